"""Static files, downloads from a folder, and a file made in memory."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from trioquart import Response, TrioQuart, send_file, send_from_directory, url_for

app = TrioQuart(__name__)  # static files in ./static, at /static/...
REPORTS = Path(__file__).parent / "static"


@app.get("/")
async def index() -> str:
    return f'<link rel="stylesheet" href="{url_for("static", filename="style.css")}">'


@app.get("/reports/<path:name>")
async def report(name: str) -> Response:
    # The name comes from the URL: send_from_directory refuses anything outside the folder.
    return await send_from_directory(REPORTS, name, as_attachment=True)


@app.get("/export.csv")
async def export() -> Response:
    rows = [("user", "messages"), ("ada", 12), ("grace", 7)]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return await send_file(
        text.getvalue().encode(), mimetype="text/csv", download_name="export.csv"
    )


@app.get("/theme.css")
async def theme() -> Response:
    # A fixed path chosen by the code (never one from the request), cached for an hour.
    return await send_file(REPORTS / "style.css", max_age=3600)
