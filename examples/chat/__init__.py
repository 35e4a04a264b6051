"""The chat demo: a multi-room chat over websockets.

Serve it with ``python -m trioquart run examples.chat:app`` (or ``nox -s demo``).
"""

from .app import app as app

__all__ = ["app"]
