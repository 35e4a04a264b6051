"""Which web pages may open a websocket: the handshake's ``Origin`` against the allowed ones.

Browsers send a page's cookies with every websocket handshake to a site, whichever site the
page came from, and do not apply the same-origin policy to websockets. Without a check, any
page a logged-in user visits can open a websocket in their name (cross-site websocket
hijacking). Browsers always send ``Origin`` on a websocket handshake, so the check is made on
it; clients that are not browsers usually send none, and cannot be made to carry someone
else's cookies, so a handshake without ``Origin`` is let through.

No library does this for ASGI (Werkzeug checks ``Host``, not ``Origin``), hence by hand.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

#: In ``WEBSOCKET_ALLOWED_ORIGINS``: any origin may open a websocket (the check is off).
ANY_ORIGIN = "*"

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def origin_allowed(origin: str | None, host: str, allowed: Collection[str]) -> bool:
    """Whether a handshake with ``Origin: origin`` to ``host`` may proceed.

    Args:
        origin: the ``Origin`` header, or ``None`` when the client sent none (not a browser).
        host: the connection's ``host[:port]`` as Werkzeug reads it (the scheme's default
            port left out), which the page's own host must equal.
        allowed: origins (``"https://app.example.com"``) allowed besides the connection's own
            host, or ``"*"`` for any. Compared without regard to case and default ports.
    """
    if origin is None or ANY_ORIGIN in allowed:
        return True
    page = normalise_origin(origin)
    if page is None:
        # "null" (a sandboxed frame, a file: page) or garbage: only allowed if listed as is.
        return origin in allowed
    _, page_host = page
    if page_host == host.lower():
        return True
    return any(normalise_origin(entry) == page for entry in allowed)


def normalise_origin(origin: str) -> tuple[str, str] | None:
    """``(scheme, host[:port])`` of a serialised origin, lowercase and without the scheme's
    default port; ``None`` if ``origin`` is not ``scheme://host[:port]``."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, hostname = parts.scheme.lower(), parts.hostname
    if not scheme or not hostname or parts.path or parts.query or parts.fragment:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    if ":" in hostname:
        hostname = f"[{hostname}]"  # IPv6, bracketed as in a Host header
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return scheme, hostname
    return scheme, f"{hostname}:{port}"
