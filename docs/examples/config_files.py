"""Configuration from files: defaults in code, a TOML file, then a file the environment names."""

from __future__ import annotations

import tomllib

from trioquart import TrioQuart, current_app


class Defaults:
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25


def create_app(root_path: str | None = None) -> TrioQuart:
    app = TrioQuart(__name__, root_path=root_path)
    app.config.from_object(Defaults)
    # settings.toml in the app's folder (its root_path), if there is one
    app.config.from_file("settings.toml", tomllib.load, text=False, silent=True)
    # then the Python file MYAPP_SETTINGS names, for one deployment's secrets
    app.config.from_envvar("MYAPP_SETTINGS", silent=True)

    @app.get("/mail")
    async def mail() -> dict[str, object]:
        return current_app.config.get_namespace("MAIL_")  # {"server": ..., "port": ...}

    return app
