"""A video page written the way Quart's video tutorial writes one: a page with a ``<video>``
tag, and the file sent by ``await send_file(path, conditional=True)``, so that a browser
seeking through it gets ``206 Partial Content`` for the ``Range`` it asks for (and 304 for an
``If-None-Match`` that still matches).

The video lives in the app's static folder (``app.static_folder``), so the automatic
``/static/`` route serves it too, with ranges as well; the page's stylesheet comes from there.

``quart_app.py`` (Quart on trio) and ``app.py`` (trioquart) differ only in their imports.
"""

from __future__ import annotations

import os

from quart import Response, render_template, send_file
from quart_trio import QuartTrio

app = QuartTrio(__name__)

VIDEO = "video.mp4"


@app.get("/")
async def index() -> str:
    """The page that plays the video."""
    return await render_template("index.html")


@app.get("/video.mp4")
async def video() -> Response:
    """The video, whole or the part a ``Range`` header asks for."""
    # Typed Optional (an app may have no static folder); this one has the default.
    assert app.static_folder is not None
    return await send_file(os.path.join(app.static_folder, VIDEO), conditional=True)
