"""Config: defaults and the loading helpers."""

from __future__ import annotations

import pytest

from trioquart import TrioQuart
from trioquart.config import Config


def test_config_defaults(app: TrioQuart) -> None:
    assert app.config["DEBUG"] is False
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert repr(Config({"X": 1})).startswith("<Config {")


def test_config_from_mapping(app: TrioQuart) -> None:
    assert app.config.from_mapping({"SECRET_KEY": "s", "lower": 1}, DEBUG=True) is True
    assert app.config["SECRET_KEY"] == "s"
    assert app.config["DEBUG"] is True
    assert "lower" not in app.config


def test_config_from_object(app: TrioQuart) -> None:
    class Settings:
        TESTING = True
        MAX_CONTENT_LENGTH = 10
        not_loaded = "x"

    app.config.from_object(Settings)
    assert app.config["TESTING"] is True
    assert app.config["MAX_CONTENT_LENGTH"] == 10
    assert "not_loaded" not in app.config


def test_config_from_prefixed_env(app: TrioQuart, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIOQUART_SECRET_KEY", "from env")
    monkeypatch.setenv("TRIOQUART_DEBUG", "true")
    monkeypatch.setenv("TRIOQUART_MAX_CONTENT_LENGTH", "1024")
    monkeypatch.setenv("TRIOQUART_DB__HOST", "db.local")
    monkeypatch.setenv("TRIOQUART_DB__PORT", "5432")
    monkeypatch.setenv("OTHER_SECRET_KEY", "ignored")
    assert app.config.from_prefixed_env() is True
    assert app.config["SECRET_KEY"] == "from env"
    assert app.config["DEBUG"] is True
    assert app.config["MAX_CONTENT_LENGTH"] == 1024
    assert app.config["DB"] == {"HOST": "db.local", "PORT": 5432}


def test_config_from_prefixed_env_custom_prefix(
    app: TrioQuart, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYAPP_NAME", "[1, 2]")
    app.config.from_prefixed_env("MYAPP")
    assert app.config["NAME"] == [1, 2]
