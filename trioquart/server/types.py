"""The ASGI shapes the server speaks: an application, its scope and its messages.

The server serves any ASGI 3 application, not only trioquart's, so it depends on nothing else in
trioquart; messages are plain dictionaries, checked by the code that reads them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeAlias

#: A scope or a message, as the ASGI specification defines them.
Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
#: What the application awaits to get the next event.
Receive: TypeAlias = Callable[[], Awaitable[Message]]
#: What the application awaits to send an event.
Send: TypeAlias = Callable[[Message], Awaitable[None]]
#: An ASGI 3 application.
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The ASGI versions in every scope.
ASGI_VERSIONS = {"version": "3.0", "spec_version": "2.4"}
