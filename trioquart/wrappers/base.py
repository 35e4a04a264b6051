"""What HTTP requests and websocket connections share, read from the ASGI scope.

Werkzeug's sans-I/O request supplies the parsing (args, cookies, url, host, authorization);
this class adds the routing results and the ASGI-specific attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers
from werkzeug.sansio.request import Request as _SansIORequest

if TYPE_CHECKING:
    from werkzeug.exceptions import HTTPException
    from werkzeug.routing import MapAdapter

    from ..routing import TrioQuartRule
    from ..typing import HTTPScope, WebsocketScope


def headers_from_scope(raw: Any) -> Headers:
    """Decode ASGI header pairs into Werkzeug ``Headers``.

    Header bytes are decoded as latin-1, which maps every byte to one character, so a client
    sending non-latin-1 (for example UTF-8) bytes gets its header through unchanged rather
    than an error; ``value.encode("latin-1")`` gives the original bytes back.
    """
    headers = Headers()
    for name, value in raw:
        headers.add(name.decode("latin-1"), value.decode("latin-1"))
    return headers


class BaseRequestWebsocket(_SansIORequest):
    """The request-like attributes of an HTTP request or a websocket connection.

    Args:
        scope: the ASGI scope of the connection.
    """

    #: The matched rule, or ``None`` when routing failed.
    url_rule: TrioQuartRule | None
    #: The routing failure to raise when the view would run, or ``None``.
    routing_exception: HTTPException | None
    #: Keyword arguments the URL converters produced for the view.
    view_args: dict[str, Any] | None
    #: The URL map bound to this connection's host and scheme (matching and ``url_for``).
    url_adapter: MapAdapter | None

    def __init__(self, scope: HTTPScope | WebsocketScope, method: str) -> None:
        root_path = scope.get("root_path", "")
        path = scope["path"]
        # Strip the mount point only at a segment boundary: "/mountain" is not under "/mount".
        mount = root_path.rstrip("/")
        if mount and (path == mount or path.startswith(f"{mount}/")):
            path = path[len(mount) :] or "/"
        client = scope.get("client")
        server = scope.get("server")
        super().__init__(
            method,
            scope.get("scheme", "http"),
            (server[0], server[1]) if server else None,
            root_path,
            path,
            scope.get("query_string", b""),
            headers_from_scope(scope["headers"]),
            client[0] if client else None,
        )
        self.scope = scope
        self.http_version = scope.get("http_version", "1.1")
        self.url_rule = None
        self.routing_exception = None
        self.view_args = None
        self.url_adapter = None

    @property
    def endpoint(self) -> str | None:
        """The endpoint name of the matched rule, or ``None``."""
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The name of the blueprint that owns the matched endpoint, or ``None``."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None
