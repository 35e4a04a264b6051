"""The app under test in the testing guide, built by a factory so each test gets a fresh one."""

from __future__ import annotations

import trio

from trioquart import TrioQuart, current_app, websocket


def create_app() -> TrioQuart:
    app = TrioQuart(__name__)
    app.config["TESTING"] = True
    reports: list[str] = []

    async def build_report(name: str) -> None:
        await trio.sleep(1)  # slow work that must not hold up the response
        reports.append(name)

    @app.get("/")
    async def index() -> str:
        return "home"

    @app.post("/reports/<name>")
    async def order_report(name: str) -> tuple[str, int]:
        current_app.nursery.start_soon(build_report, name)  # needs the lifespan
        return "building", 202

    @app.get("/reports")
    async def list_reports() -> list[str]:
        return reports

    @app.websocket("/ws")
    async def echo() -> None:
        if websocket.args.get("token") != "ok":
            await websocket.close(1008)  # before accept: rejected with 403
            return
        while True:
            await websocket.send(await websocket.receive())

    return app
