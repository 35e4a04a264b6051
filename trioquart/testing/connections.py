"""The test client's connections and their errors, importable as from ``quart.testing.connections``.

The classes live in ``http.py`` and ``websocket.py``; this module gathers them under Quart's
module name, so that ``from quart.testing.connections import TestWebsocketConnection`` ports by
renaming the package.
"""

from .http import TestHTTPConnection as TestHTTPConnection
from .websocket import TestWebsocketConnection as TestWebsocketConnection
from .websocket import WebsocketDisconnectError as WebsocketDisconnectError
from .websocket import WebsocketResponseError as WebsocketResponseError

__all__ = [
    "TestHTTPConnection",
    "TestWebsocketConnection",
    "WebsocketDisconnectError",
    "WebsocketResponseError",
]
