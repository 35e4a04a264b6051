"""Config: the application's settings, a dict with Flask's loading helpers.

The defaults live here, in one place, so a reader can see every key trioquart understands.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

DEFAULTS: dict[str, Any] = {
    "DEBUG": False,
    "TESTING": False,
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
    "JSON_SORT_KEYS": False,
    "JSONIFY_MIMETYPE": "application/json",
    "WEBSOCKET_MAX_QUEUE": 32,
    "WEBSOCKET_QUEUE_TIMEOUT": 10.0,
    "MAX_WEBSOCKET_MESSAGE_SIZE": 1024 * 1024,
    # Seconds background tasks in app.nursery get to finish at shutdown before they are cancelled.
    "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 5.0,
}


class Config(dict[str, Any]):
    """The application's configuration, as a ``dict`` with loading helpers.

    Only UPPERCASE keys are loaded by the ``from_*`` helpers, as in Flask.
    """

    def __init__(self, defaults: Mapping[str, Any] | None = None) -> None:
        super().__init__(DEFAULTS)
        if defaults:
            self.update(defaults)

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Load the UPPERCASE keys of ``mapping`` and of ``kwargs``. Always returns ``True``."""
        items = dict(mapping or {})
        items.update(kwargs)
        self.update({key: value for key, value in items.items() if key.isupper()})
        return True

    def from_object(self, obj: object) -> None:
        """Load the UPPERCASE attributes of ``obj`` (a module or a class)."""
        self.update({key: getattr(obj, key) for key in dir(obj) if key.isupper()})

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
