"""The request, response and websocket objects."""

from .request import Request as Request
from .response import Response as Response

__all__ = ["Request", "Response"]
