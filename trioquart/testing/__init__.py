"""Testing tools: an in-process ASGI client for HTTP and websockets, and the lifespan runner."""

from .app import LifespanError as LifespanError
from .app import TestApp as TestApp
from .client import TestClient as TestClient
from .http import TestHTTPConnection as TestHTTPConnection
from .websocket import TestWebsocketConnection as TestWebsocketConnection
from .websocket import WebsocketDisconnectError as WebsocketDisconnectError
from .websocket import WebsocketResponseError as WebsocketResponseError

__all__ = [
    "LifespanError",
    "TestApp",
    "TestClient",
    "TestHTTPConnection",
    "TestWebsocketConnection",
    "WebsocketDisconnectError",
    "WebsocketResponseError",
]
