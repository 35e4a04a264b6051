"""trioquart: a trio-native web framework with a Quart/Flask-style API.

The public names are re-exported here; see ``docs/`` for the guide.
"""

from .app import TrioQuart as TrioQuart
from .blueprints import Blueprint as Blueprint
from .errors import abort as abort
from .files import send_file as send_file
from .files import send_from_directory as send_from_directory
from .flashing import flash as flash
from .flashing import get_flashed_messages as get_flashed_messages
from .globals import current_app as current_app
from .globals import g as g
from .globals import has_app_context as has_app_context
from .globals import has_request_context as has_request_context
from .globals import has_websocket_context as has_websocket_context
from .globals import request as request
from .globals import session as session
from .globals import websocket as websocket
from .helpers import make_response as make_response
from .helpers import redirect as redirect
from .helpers import stream_with_context as stream_with_context
from .helpers import url_for as url_for
from .json import jsonify as jsonify
from .sse import ServerSentEvent as ServerSentEvent
from .sse import event_stream as event_stream
from .templating import render_template as render_template
from .templating import render_template_string as render_template_string
from .templating import stream_template as stream_template
from .templating import stream_template_string as stream_template_string
from .websocket_state import WebsocketClosedError as WebsocketClosedError
from .wrappers.request import Request as Request
from .wrappers.response import Response as Response
from .wrappers.websocket import Websocket as Websocket

__all__ = [
    "Blueprint",
    "Request",
    "Response",
    "ServerSentEvent",
    "TrioQuart",
    "Websocket",
    "WebsocketClosedError",
    "abort",
    "current_app",
    "event_stream",
    "flash",
    "g",
    "get_flashed_messages",
    "has_app_context",
    "has_request_context",
    "has_websocket_context",
    "jsonify",
    "make_response",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "send_file",
    "send_from_directory",
    "session",
    "stream_template",
    "stream_template_string",
    "stream_with_context",
    "url_for",
    "websocket",
]
