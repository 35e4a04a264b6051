"""Pages from templates: a layout, a list streamed as it renders, filters and a blueprint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from trioquart import (
    Blueprint,
    TrioQuart,
    render_template,
    render_template_string,
    stream_template,
)

app = TrioQuart(__name__)  # templates in ./templates, next to this file

ROOMS = {"general": ["ada", "grace"], "random": ["linus"]}


@app.context_processor
async def site() -> dict[str, Any]:
    return {"site_name": "trio chat", "year": datetime.now(UTC).year}


@app.template_filter()
def initials(name: str) -> str:
    return "".join(part[0].upper() for part in name.split())


@app.get("/")
async def index() -> str:
    return await render_template("index.html", rooms=ROOMS)


@app.get("/rooms/<room>/members")
async def members(room: str) -> AsyncIterator[str]:
    # Each member is sent as soon as it is rendered.
    return await stream_template("members.html", room=room, members=ROOMS.get(room, []))


@app.get("/hello/<name>")
async def hello(name: str) -> str:
    return await render_template_string("<p>Hello {{ name }}!</p>", name=name)


admin = Blueprint("admin", __name__, template_folder="templates_admin")


@admin.get("/")
async def dashboard() -> str:
    return await render_template("admin/dashboard.html", rooms=ROOMS)


app.register_blueprint(admin, url_prefix="/admin")
