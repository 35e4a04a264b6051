"""The chat demo: multi-room chat over websockets (``python -m trioquart run examples.chat:app``)."""

from .app import app as app

__all__ = ["app"]
