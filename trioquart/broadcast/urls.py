"""Broadcast URLs: which backend a URL names, and its settings.

``memory://`` is the one-process backend; ``redis://[[user]:password@]host[:port][/db]``
(port 6379 and db 0 by default) is Redis, through coredis, installed by the
``trioquart[redis]`` extra.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from .backend import Backend
from .memory import MemoryBackend

#: Redis's port when the URL names none.
REDIS_PORT = 6379


def backend_for_url(url: str) -> Backend:
    """The backend that ``url`` names. Not a checkpoint; connects to nothing.

    Raises:
        ValueError: an unknown scheme, a ``memory://`` URL with more than the scheme, or a
            ``redis://`` URL without a host or with a db that is not a number.
        ImportError: a ``redis://`` URL without coredis installed (the extra is named).
    """
    parts = urlsplit(url)
    if parts.scheme == "memory":
        if parts.netloc or parts.path or parts.query:
            raise ValueError(f"Broadcast URL {url!r}: a memory URL is just 'memory://'")
        return MemoryBackend()
    if parts.scheme == "redis":
        return _redis_backend(url)
    raise ValueError(
        f"Broadcast URL {url!r} has an unknown scheme {parts.scheme!r}; use 'memory://' or "
        "'redis://host:port/db'"
    )


def _redis_backend(url: str) -> Backend:
    parts = urlsplit(url)
    db_text = parts.path.strip("/") or "0"
    if not parts.hostname or not db_text.isdigit():
        raise ValueError(
            f"Broadcast URL {url!r}: a Redis URL is 'redis://host:port/db', for example "
            "'redis://localhost:6379/0'"
        )
    try:
        from .redis_backend import RedisBackend
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] != "coredis":
            raise
        raise ImportError(
            f"Broadcast URL {url!r} needs coredis, which is not installed; install trioquart "
            "with the Redis extra: pip install 'trioquart[redis]'"
        ) from error
    return RedisBackend(
        parts.hostname,
        parts.port or REDIS_PORT,
        int(db_text),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )
