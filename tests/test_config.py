"""Config: defaults and the loading helpers."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from trioquart import TrioQuart
from trioquart.config import Config


def test_config_defaults(app: TrioQuart) -> None:
    assert app.config["DEBUG"] is False
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert repr(Config(defaults={"X": 1})).startswith("<Config {")


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


# --- files ----------------------------------------------------------------------------------


@pytest.fixture
def rooted(tmp_path: Path) -> TrioQuart:
    """An app whose root path (where relative config files are found) is ``tmp_path``."""
    return TrioQuart(__name__, root_path=str(tmp_path))


def test_config_root_path_is_the_apps(rooted: TrioQuart, tmp_path: Path) -> None:
    assert rooted.config.root_path == str(tmp_path)
    assert Config().root_path is None
    config = Config(tmp_path, {"DEBUG": True, "OWN": 1})
    assert (config.root_path, config["DEBUG"], config["OWN"]) == (tmp_path, True, 1)
    assert config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024  # the other defaults stay


def test_config_defaults_are_the_second_argument() -> None:
    with pytest.raises(TypeError, match=r"^Config\(root_path, defaults\) takes the folder"):
        Config({"X": 1})  # type: ignore[arg-type]


def test_config_from_file_json_relative_to_the_root_path(rooted: TrioQuart, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"SECRET_KEY": "é", "lower": 1}', encoding="utf-8")
    assert rooted.config.from_file("config.json", load=json.load) is True
    assert rooted.config["SECRET_KEY"] == "é"
    assert "lower" not in rooted.config


def test_config_from_file_toml_in_binary_mode(rooted: TrioQuart, tmp_path: Path) -> None:
    path = tmp_path / "settings" / "config.toml"
    path.parent.mkdir()
    path.write_text('MAX_CONTENT_LENGTH = 1024\n[DB]\nHOST = "db.local"\n')
    assert rooted.config.from_file(path, tomllib.load, text=False) is True  # absolute
    assert rooted.config["MAX_CONTENT_LENGTH"] == 1024
    assert rooted.config["DB"] == {"HOST": "db.local"}


def test_config_from_file_without_a_root_path_is_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("config.json").write_text('{"TESTING": true}')
    config = Config()
    config.from_file(Path("config.json"), json.load)
    assert config["TESTING"] is True


@pytest.mark.parametrize("name", ["missing.json", "folder", "not-a-folder.json/x.json"])
def test_config_from_file_silent_skips_a_missing_file(
    rooted: TrioQuart, tmp_path: Path, name: str
) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "not-a-folder.json").write_text("{}")
    assert rooted.config.from_file(name, json.load, silent=True) is False
    assert rooted.config.from_pyfile(name, silent=True) is False


def test_config_from_file_missing_names_the_file(rooted: TrioQuart, tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    expected = f"[Errno 2] Unable to load configuration file (No such file or directory): '{path}'"
    with pytest.raises(FileNotFoundError) as info:
        rooted.config.from_file("missing.json", json.load)
    assert str(info.value) == expected
    with pytest.raises(FileNotFoundError) as info:
        rooted.config.from_pyfile("missing.json")
    assert str(info.value) == expected


def test_config_from_file_unreadable_is_an_error_even_when_silent(
    rooted: TrioQuart, tmp_path: Path
) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError, match="Unable to load configuration file"):
        rooted.config.from_file("folder", json.load)
    # silent skips only a file that is not there, not one that cannot be opened.
    with pytest.raises(OSError, match=r"Unable to load configuration file \(File name too long\)"):
        rooted.config.from_file("x" * 300 + ".json", json.load, silent=True)


def test_config_from_file_malformed_names_the_file(rooted: TrioQuart, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"DEBUG": tru')
    with pytest.raises(json.JSONDecodeError) as info:
        rooted.config.from_file("bad.json", json.load)
    assert info.value.__notes__ == [
        f"(while loading the configuration file '{tmp_path / 'bad.json'}')"
    ]
    (tmp_path / "latin1.json").write_bytes('{"A": "é"}'.encode("latin-1"))
    with pytest.raises(UnicodeDecodeError, match="can't decode byte 0xe9"):
        rooted.config.from_file("latin1.json", json.load)


def test_config_from_file_must_hold_a_mapping(rooted: TrioQuart, tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text("[1, 2]")
    path = tmp_path / "list.json"
    with pytest.raises(TypeError) as info:
        rooted.config.from_file("list.json", json.load)
    assert str(info.value) == (
        f"The configuration file '{path}' holds a list; it must hold a mapping of settings "
        "(a JSON object, a TOML table)."
    )


def test_config_from_pyfile(rooted: TrioQuart, tmp_path: Path) -> None:
    (tmp_path / "settings.cfg").write_text(
        "import os\nSECRET_KEY = 'from file'\nBASE = os.path.dirname(__file__)\nlower = 'ignored'\n"
    )
    assert rooted.config.from_pyfile("settings.cfg") is True
    assert rooted.config["SECRET_KEY"] == "from file"
    assert rooted.config["BASE"] == str(tmp_path)
    assert "lower" not in rooted.config


def test_config_from_pyfile_errors_name_the_file(rooted: TrioQuart, tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("DEBUG = (\n")
    with pytest.raises(SyntaxError) as syntax:
        rooted.config.from_pyfile("broken.py")
    assert syntax.value.filename == str(path)
    path.write_text("DEBUG = undefined_name\n")
    with pytest.raises(NameError, match="undefined_name") as name:
        rooted.config.from_pyfile(path)
    assert name.value.__notes__ == [f"(while loading the configuration file '{path}')"]
    assert rooted.config["DEBUG"] is False  # nothing was loaded


def test_config_from_envvar(
    rooted: TrioQuart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "prod.cfg").write_text("TESTING = True\n")
    monkeypatch.setenv("MYAPP_SETTINGS", str(tmp_path / "prod.cfg"))
    assert rooted.config.from_envvar("MYAPP_SETTINGS") is True
    assert rooted.config["TESTING"] is True
    monkeypatch.setenv("MYAPP_SETTINGS", "missing.cfg")
    assert rooted.config.from_envvar("MYAPP_SETTINGS", silent=True) is False
    with pytest.raises(FileNotFoundError, match=r"missing\.cfg"):
        rooted.config.from_envvar("MYAPP_SETTINGS")


@pytest.mark.parametrize("value", [None, ""])
def test_config_from_envvar_unset(
    app: TrioQuart, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("MYAPP_SETTINGS", raising=False)
    else:
        monkeypatch.setenv("MYAPP_SETTINGS", value)
    assert app.config.from_envvar("MYAPP_SETTINGS", silent=True) is False
    with pytest.raises(RuntimeError) as info:
        app.config.from_envvar("MYAPP_SETTINGS")
    assert str(info.value) == (
        "The environment variable 'MYAPP_SETTINGS' is not set, so no configuration file was "
        "loaded; set it to the path of a Python configuration file."
    )


def test_config_from_object_import_name(app: TrioQuart) -> None:
    app.config.from_object("tests.test_config:ProductionSettings")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.config.from_object("tests.test_config")  # a module: its UPPERCASE names
    assert app.config["MODULE_SETTING"] == "module"
    with pytest.raises(ImportError, match=r"tests\.no_such_module"):
        app.config.from_object("tests.no_such_module")


class ProductionSettings:
    """Settings loaded by import name in ``test_config_from_object_import_name``."""

    SESSION_COOKIE_SECURE = True


MODULE_SETTING = "module"


def test_config_get_namespace(app: TrioQuart) -> None:
    app.config.from_mapping(IMAGE_STORE_TYPE="fs", IMAGE_STORE_PATH="/var/images", IMAGE="x")
    assert app.config.get_namespace("IMAGE_STORE_") == {"type": "fs", "path": "/var/images"}
    assert app.config.get_namespace("IMAGE_STORE_", lowercase=False) == {
        "TYPE": "fs",
        "PATH": "/var/images",
    }
    assert app.config.get_namespace("IMAGE_STORE_", trim_namespace=False) == {
        "image_store_type": "fs",
        "image_store_path": "/var/images",
    }
    assert app.config.get_namespace("NOTHING_") == {}
