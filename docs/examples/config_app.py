"""Configuration: defaults, a mapping, then the environment."""

from __future__ import annotations

from trioquart import TrioQuart, current_app


def create_app() -> TrioQuart:
    app = TrioQuart(__name__)
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WEBSOCKET_MAX_QUEUE=64,
        GREETING="Hello",  # your own keys sit beside trioquart's
    )
    app.config.from_prefixed_env()  # then TRIOQUART_GREETING=... and friends win

    @app.get("/")
    async def index() -> str:
        return f"{current_app.config['GREETING']}, world"

    return app
