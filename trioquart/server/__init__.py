"""trioquart's built-in ASGI 3 server for trio: HTTP/1.1 on h11 and websockets on wsproto.

Each connection is one task, and the app is called in that task, so a plain request costs no
task of its own; the app's ``receive`` reads the socket itself, which is how a disconnect
reaches an app waiting in it. Timeouts (a slow request head, an idle keep-alive connection)
are deadlines on cancel scopes, not tasks. A response the app gives whole goes out in one
write. The server serves any ASGI 3 application: it imports nothing else of trioquart.
"""

from __future__ import annotations

from .config import ServerConfig
from .serve import run, serve

__all__ = ["ServerConfig", "run", "serve"]
