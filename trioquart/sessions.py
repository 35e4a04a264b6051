"""Sessions: a dict per request or websocket, kept in a cookie signed with itsdangerous.

``app.session_interface`` opens the session when a request (or a websocket handshake) begins
and saves it into the response once the ``after_request`` hooks are done, as in Flask and
Quart. Its methods are coroutines, as Quart's are, so an interface that keeps sessions on a
server (Redis, a database) can wait for it.

The cookie holds the session itself, signed (not encrypted): the client can read it, but
cannot change it without the key. A cookie that was tampered with, has expired, was signed
with a key that is no longer configured, or is not a session at all is treated as no cookie.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from . import tagged_json

if TYPE_CHECKING:
    from .app import TrioQuart
    from .wrappers.base import BaseRequestWebsocket
    from .wrappers.response import Response

_PERMANENT = "_permanent"


class Session(CallbackDict[str, Any]):
    """The session of one request or websocket connection: a ``dict`` that notes when it is
    read (:attr:`accessed`) and changed (:attr:`modified`)."""

    def __init__(self, initial: dict[str, Any] | None = None) -> None:
        def changed(session: Session) -> None:
            session.modified = True
            session.accessed = True

        super().__init__(initial, changed)
        #: Whether the session was changed (then the cookie is sent again). Set it by hand
        #: after changing a mutable value inside it, which the dict cannot see.
        self.modified = False
        #: Whether the session was read or changed (then the response varies by cookie).
        self.accessed = False

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session (``PERMANENT_SESSION_LIFETIME``)."""
        return bool(self.get(_PERMANENT, False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self[_PERMANENT] = bool(value)

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default``."""
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, set to ``default`` first if missing."""
        self.accessed = True
        return super().setdefault(key, default)


class NullSession(Session):
    """The session when no ``SECRET_KEY`` is set: empty, and any change raises."""

    def _unavailable(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "The session is unavailable because no secret key is set: set SECRET_KEY in the "
            "app's config (for example app.config['SECRET_KEY'] = secrets.token_hex()) to "
            "use sessions and flash()."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = _unavailable
    setdefault = _unavailable


class SessionInterface:
    """Opens and saves sessions; subclass it and set ``app.session_interface`` to keep them
    elsewhere. The cookie settings are read from the app's config."""

    #: The class of the session given when none can be opened.
    null_session_class = NullSession

    def make_null_session(self, app: TrioQuart) -> NullSession:
        """The session given when :meth:`open_session` returns ``None``."""
        return self.null_session_class()

    def is_null_session(self, session: object) -> bool:
        """Whether ``session`` is a null session (never saved)."""
        return isinstance(session, self.null_session_class)

    def get_cookie_name(self, app: TrioQuart) -> str:
        """``SESSION_COOKIE_NAME``."""
        return str(app.config["SESSION_COOKIE_NAME"])

    def get_cookie_domain(self, app: TrioQuart) -> str | None:
        """``SESSION_COOKIE_DOMAIN``; ``None`` leaves the cookie to the host that set it."""
        domain: str | None = app.config["SESSION_COOKIE_DOMAIN"]
        return domain or None

    def get_cookie_path(self, app: TrioQuart) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        return str(app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"])

    def get_cookie_httponly(self, app: TrioQuart) -> bool:
        """``SESSION_COOKIE_HTTPONLY``: out of reach of the page's scripts."""
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: TrioQuart) -> bool:
        """``SESSION_COOKIE_SECURE``: sent over HTTPS only."""
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: TrioQuart) -> str | None:
        """``SESSION_COOKIE_SAMESITE``: ``"Lax"``, ``"Strict"``, ``"None"`` or ``None``."""
        samesite: str | None = app.config["SESSION_COOKIE_SAMESITE"]
        return samesite

    def get_cookie_partitioned(self, app: TrioQuart) -> bool:
        """``SESSION_COOKIE_PARTITIONED`` (CHIPS)."""
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: TrioQuart, session: Session) -> datetime | None:
        """When a permanent session's cookie expires; ``None`` for a browser-session cookie."""
        if not session.permanent:
            return None
        return datetime.now(UTC) + lifetime(app)

    def should_set_cookie(self, app: TrioQuart, session: Session) -> bool:
        """Whether to send the cookie: the session changed, or it is permanent and
        ``SESSION_REFRESH_EACH_REQUEST`` renews its expiry on every response."""
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    async def open_session(
        self, app: TrioQuart, connection: BaseRequestWebsocket
    ) -> Session | None:
        """The session of ``connection`` (a request or a websocket handshake), or ``None``
        for a null session."""
        raise NotImplementedError

    async def save_session(self, app: TrioQuart, session: Session, response: Response) -> None:
        """Write ``session`` into ``response`` (called after the ``after_request`` hooks)."""
        raise NotImplementedError


class SecureCookieSessionInterface(SessionInterface):
    """Sessions kept in a cookie signed with ``SECRET_KEY`` (itsdangerous), the default.

    Signatures made with a key of ``SECRET_KEY_FALLBACKS`` are still accepted, so keys can be
    rotated without logging everybody out; new cookies are always signed with ``SECRET_KEY``.
    """

    salt = "cookie-session"
    #: Any hashlib constructor; SHA-1 in HMAC is sound here and is Flask's and Quart's choice.
    digest_method = staticmethod(hashlib.sha1)
    key_derivation = "hmac"
    session_class = Session

    def get_signing_serializer(self, app: TrioQuart) -> URLSafeTimedSerializer | None:
        """The serializer for the app's keys, or ``None`` without ``SECRET_KEY``."""
        secret_key = app.config["SECRET_KEY"]
        if not secret_key:
            return None
        # itsdangerous signs with the last key and accepts any of them.
        keys = [*(app.config["SECRET_KEY_FALLBACKS"] or []), secret_key]
        return URLSafeTimedSerializer(
            keys,
            salt=self.salt,
            serializer=tagged_json,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    async def open_session(
        self, app: TrioQuart, connection: BaseRequestWebsocket
    ) -> Session | None:
        """The session from the connection's cookie; an empty one if there is none, or if it
        is not valid (tampered, expired, garbage); ``None`` without ``SECRET_KEY``."""
        if not app.config["SECRET_KEY"]:
            return None
        cookie = connection.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        serializer = self.get_signing_serializer(app)
        assert serializer is not None
        try:
            data = serializer.loads(cookie, max_age=int(lifetime(app).total_seconds()))
        except (BadData, ValueError, UnicodeDecodeError):
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    async def save_session(self, app: TrioQuart, session: Session, response: Response) -> None:
        """Set the cookie when the session changed (or is refreshed), delete it when the
        session was emptied, and add ``Vary: Cookie`` when the session was read."""
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.modified:
                response.delete_cookie(self.get_cookie_name(app), **self._cookie_options(app))
                response.vary.add("Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        serializer = self.get_signing_serializer(app)
        assert serializer is not None  # a session that is not null had a key to open it
        response.set_cookie(
            self.get_cookie_name(app),
            serializer.dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            **self._cookie_options(app),
        )
        response.vary.add("Cookie")

    def _cookie_options(self, app: TrioQuart) -> dict[str, Any]:
        # The attributes a cookie is set with and deleted with alike.
        return {
            "path": self.get_cookie_path(app),
            "domain": self.get_cookie_domain(app),
            "secure": self.get_cookie_secure(app),
            "httponly": self.get_cookie_httponly(app),
            "samesite": self.get_cookie_samesite(app),
            "partitioned": self.get_cookie_partitioned(app),
        }


def lifetime(app: TrioQuart) -> timedelta:
    """``PERMANENT_SESSION_LIFETIME`` as a ``timedelta`` (it may be set in seconds)."""
    value = app.config["PERMANENT_SESSION_LIFETIME"]
    return value if isinstance(value, timedelta) else timedelta(seconds=value)
