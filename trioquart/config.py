"""Config: the application's settings, a dict with Flask's loading helpers.

The defaults live here, in one place, so a reader can see every key trioquart understands.
"""

from __future__ import annotations

import errno
import json
import os
import types
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import IO, Any

from werkzeug.utils import import_string

DEFAULTS: dict[str, Any] = {
    "DEBUG": False,
    "TESTING": False,
    # Let errors that no error handler takes leave the app (out of the test client's call,
    # or to the server) instead of becoming a logged 500. None: when TESTING or DEBUG is on.
    "PROPAGATE_EXCEPTIONS": None,
    # Signs the session cookie; without it the session is read-only and empty.
    "SECRET_KEY": None,
    # Older keys whose signatures are still accepted (key rotation); new cookies use SECRET_KEY.
    "SECRET_KEY_FALLBACKS": [],
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,  # None: APPLICATION_ROOT
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    # "Lax" (Flask: None): browsers leave the cookie out of requests and websocket handshakes
    # that pages of other sites start.
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_PARTITIONED": False,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    # Send a permanent session's cookie on every response, renewing its expiry.
    "SESSION_REFRESH_EACH_REQUEST": True,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "PREFERRED_URL_SCHEME": "http",
    # Host names requests may be made to ("example.com", ".example.com" for every subdomain);
    # any other Host is answered with 400. None: any host (see docs/security.md).
    "TRUSTED_HOSTS": None,
    # Origins besides the connection's own host whose pages may open a websocket
    # ("https://app.example.com"), or ["*"] for any; others get 403. See origins.py.
    "WEBSOCKET_ALLOWED_ORIGINS": [],
    # Bodies larger than this are refused with 413 before they are read in full.
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    # Seconds a request body may take to arrive in full once the view reads it, else 408: a
    # client trickling a byte at a time cannot hold a request forever. None: no limit.
    "BODY_TIMEOUT": 60.0,
    # Forms: the most fields and files (Werkzeug's and Flask's default since CVE-2023-25577),
    # and the largest field or url-encoded form in bytes; beyond either, 413.
    "MAX_FORM_PARTS": 1000,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    # Seconds a client may take to accept each piece of a response (its start, the body, or
    # one chunk of a stream) before the response is abandoned; a stream that waits for its
    # next chunk is not counted, so server-sent events and slow downloads live on. None: no
    # limit. A response can set its own (``response.timeout``).
    "RESPONSE_TIMEOUT": 60.0,
    # Seconds a request may run (or a websocket handler stay out of receive()) before the
    # framework starts watching for the client to leave (see asgi/disconnect_watch.py). Requests
    # that finish sooner never pay for a watcher task.
    "DISCONNECT_WATCH_DELAY": 0.05,
    # Awaiting teardown hooks runs shielded from cancellation, but never longer than this.
    "TEARDOWN_TIMEOUT": 5.0,
    # Seconds clients may cache files sent by send_file and the static view without asking
    # again (an int or a timedelta); None: they revalidate every time (ETag, Last-Modified).
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    # Read changed templates again before rendering them; None: when DEBUG is on.
    "TEMPLATES_AUTO_RELOAD": None,
    "WEBSOCKET_MAX_QUEUE": 32,
    "WEBSOCKET_QUEUE_TIMEOUT": 10.0,
    "MAX_WEBSOCKET_MESSAGE_SIZE": 1024 * 1024,
    # Seconds background tasks in app.nursery get to finish at shutdown before they are cancelled.
    "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 5.0,
}


class Config(dict[str, Any]):
    """The application's configuration, as a ``dict`` with Flask's loading helpers.

    Only UPPERCASE keys are loaded by the ``from_*`` helpers, as in Flask. Loading from files
    reads the disk without a worker thread: do it when the app is set up, not in a handler.

    Args:
        root_path: the folder relative file names are found in (the app passes its own
            ``root_path``, as Flask's does); ``None``: the current directory.
        defaults: values that replace trioquart's defaults (:data:`DEFAULTS`).

    Raises:
        TypeError: ``root_path`` is a mapping (the defaults go second, as in Flask).
    """

    def __init__(
        self,
        root_path: str | os.PathLike[str] | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(root_path, Mapping):
            raise TypeError(
                "Config(root_path, defaults) takes the folder that relative file names are "
                "found in first; pass the defaults second, or as defaults=..."
            )
        super().__init__(DEFAULTS)
        if defaults:
            self.update(defaults)
        #: The folder relative file names are found in, or ``None`` for the current directory.
        self.root_path = root_path

    def _path(self, filename: str | os.PathLike[str]) -> str:
        if self.root_path is None:
            return os.fspath(filename)
        return os.path.join(self.root_path, filename)

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Load the UPPERCASE keys of ``mapping`` and of ``kwargs``. Always returns ``True``."""
        items = dict(mapping or {})
        items.update(kwargs)
        self.update({key: value for key, value in items.items() if key.isupper()})
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the UPPERCASE attributes of ``obj``: a module or a class, or the import name
        of one (``"myapp.settings"``, ``"myapp.settings:Production"``).

        Raises:
            werkzeug.utils.ImportStringError: the import name does not name an object (an
                ``ImportError`` that says which part was not found).
        """
        if isinstance(obj, str):
            obj = import_string(obj)
        self.update({key: getattr(obj, key) for key in dir(obj) if key.isupper()})

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Load the UPPERCASE names a Python file defines, as if it were imported (the file
        is run, with ``__file__`` set to its path).

        Args:
            filename: the file's path, absolute or relative to :attr:`root_path`.
            silent: return ``False`` instead of raising when the file does not exist.

        Returns:
            ``True`` once loaded; ``False`` for a missing file with ``silent``.

        Raises:
            OSError: the file cannot be read; the message says "Unable to load configuration
                file" and names the path.
            Exception: what running the file raised (a ``SyntaxError``, a ``NameError``...),
                with a note naming the file.
        """
        path = self._path(filename)
        try:
            with open(path, "rb") as file:
                source = file.read()
        except OSError as error:
            if _ignored(error, silent):
                return False
            raise
        module = types.ModuleType("config")
        module.__file__ = path
        try:
            exec(compile(source, path, "exec"), module.__dict__)
        except Exception as error:
            error.add_note(f"(while loading the configuration file {path!r})")
            raise
        self.from_object(module)
        return True

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[IO[Any]], Mapping[str, Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load the UPPERCASE keys of the mapping ``load(file)`` reads from a data file:
        ``from_file("config.json", json.load)``, or
        ``from_file("config.toml", tomllib.load, text=False)``.

        Args:
            filename: the file's path, absolute or relative to :attr:`root_path`.
            load: reads the open file and returns a mapping of settings.
            silent: return ``False`` instead of raising when the file does not exist.
            text: open the file as UTF-8 text; ``False``: as bytes.

        Returns:
            ``True`` once loaded; ``False`` for a missing file with ``silent``.

        Raises:
            OSError: the file cannot be read; the message says "Unable to load configuration
                file" and names the path.
            TypeError: ``load`` returned something other than a mapping (the message names the
                file).
            Exception: what ``load`` raised for a malformed file (such as
                ``json.JSONDecodeError``), with a note naming the file.
        """
        path = self._path(filename)
        try:
            with open(path, "r" if text else "rb", encoding="utf-8" if text else None) as file:
                obj = load(file)
        except OSError as error:
            if _ignored(error, silent):
                return False
            raise
        except Exception as error:
            error.add_note(f"(while loading the configuration file {path!r})")
            raise
        if not isinstance(obj, Mapping):
            raise TypeError(
                f"The configuration file {path!r} holds a {type(obj).__name__}; it must hold "
                "a mapping of settings (a JSON object, a TOML table)."
            )
        return self.from_mapping(obj)

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file that the environment variable ``variable_name`` names, with
        :meth:`from_pyfile`.

        Returns:
            ``True`` once loaded; ``False`` with ``silent`` when the variable is unset or
            empty, or the file does not exist.

        Raises:
            RuntimeError: the variable is unset or empty (without ``silent``).
            OSError: the file cannot be read (see :meth:`from_pyfile`).
        """
        path = os.environ.get(variable_name)
        if not path:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set, so no configuration "
                "file was loaded; set it to the path of a Python configuration file."
            )
        return self.from_pyfile(path, silent=silent)

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, Any]:
        """The keys that start with ``namespace``, as a new ``dict``:
        ``get_namespace("DB_")`` gives ``{"host": ..., "port": ...}`` for ``DB_HOST`` and
        ``DB_PORT``.

        Args:
            namespace: the prefix, separator included (``"DB_"``).
            lowercase: lowercase the keys of the result.
            trim_namespace: drop the prefix from the keys of the result.
        """
        found: dict[str, Any] = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            name = key.removeprefix(namespace) if trim_namespace else key
            found[name.lower() if lowercase else name] = value
        return found

    def from_prefixed_env(self, prefix: str = "TRIOQUART", *, loads: Any = json.loads) -> bool:
        """Load environment variables named ``{prefix}_KEY``.

        Values are parsed with ``loads`` (JSON by default, so ``true`` and ``42`` become a bool
        and an int); a value that does not parse stays a string. A double underscore nests into a
        dict: ``TRIOQUART_DB__HOST`` sets ``config["DB"]["HOST"]``. Always returns ``True``.
        """
        start = f"{prefix}_"
        for name in sorted(os.environ):
            if not name.startswith(start):
                continue
            raw = os.environ[name]
            try:
                value = loads(raw)
            except ValueError:
                value = raw
            key = name.removeprefix(start)
            if "__" not in key:
                self[key] = value
                continue
            *parents, leaf = key.split("__")
            target: dict[str, Any] = self
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = value
        return True

    def __repr__(self) -> str:
        return f"<Config {dict.__repr__(self)}>"


def _ignored(error: OSError, silent: bool) -> bool:
    """Whether a file that could not be opened is skipped: with ``silent``, a missing one.
    Otherwise the error's message is made to say that a configuration file was the matter."""
    if silent and error.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
        return True
    error.strerror = f"Unable to load configuration file ({error.strerror})"
    return False
