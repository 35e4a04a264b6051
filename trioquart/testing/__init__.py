"""Testing tools: an in-process ASGI client for HTTP and websockets, test contexts, and the
lifespan runner."""

from werkzeug.test import ClientRedirectError as ClientRedirectError

from .app import LifespanError as LifespanError
from .app import TestApp as TestApp
from .bodies import make_test_body_with_headers as make_test_body_with_headers
from .cli import TrioQuartCliRunner as TrioQuartCliRunner
from .client import QuartClient as QuartClient
from .client import TestClient as TestClient
from .contexts import TestRequestContext as TestRequestContext
from .contexts import TestWebsocketContext as TestWebsocketContext
from .contexts import no_op_push as no_op_push
from .http import TestHTTPConnection as TestHTTPConnection
from .scopes import (
    make_test_headers_path_and_query_string as make_test_headers_path_and_query_string,
)
from .scopes import make_test_scope as make_test_scope
from .websocket import TestWebsocketConnection as TestWebsocketConnection
from .websocket import WebsocketDisconnectError as WebsocketDisconnectError
from .websocket import WebsocketResponseError as WebsocketResponseError

__all__ = [
    "ClientRedirectError",
    "LifespanError",
    "QuartClient",
    "TestApp",
    "TestClient",
    "TestHTTPConnection",
    "TestRequestContext",
    "TestWebsocketConnection",
    "TestWebsocketContext",
    "TrioQuartCliRunner",
    "WebsocketDisconnectError",
    "WebsocketResponseError",
    "make_test_body_with_headers",
    "make_test_headers_path_and_query_string",
    "make_test_scope",
    "no_op_push",
]
