"""Signals: blinker signals sent at the points of a request's life, as Quart sends them.

Connect a receiver to watch the framework without changing it (metrics, audit logs, test
assertions)::

    @request_finished.connect
    async def record(sender: TrioQuart, response: Response) -> None: ...

The sender is the app (for ``websocket_received`` and ``websocket_sent``, the message, as in
Quart). Receivers may be ``async def`` or plain functions; a plain one runs in a worker thread,
as Quart runs it. A receiver that raises stops the request as an error in a hook would.

The framework sends a signal only when it has receivers, so an app that connects none pays
nothing for them.
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal, Namespace

from .sync import ensure_async

_signals = Namespace()

#: Before a template is rendered: ``template``, ``context``.
before_render_template = _signals.signal("before-render-template")
#: After a template was rendered: ``template``, ``context``.
template_rendered = _signals.signal("template-rendered")
#: A request starts, before the ``before_request`` hooks.
request_started = _signals.signal("request-started")
#: A response is ready, after the ``after_request`` hooks: ``response``.
request_finished = _signals.signal("request-finished")
#: A request ends, after its teardown hooks: ``exc`` (the error, or ``None``).
request_tearing_down = _signals.signal("request-tearing-down")
#: A handler raised an error that no error handler takes: ``exception``.
got_request_exception = _signals.signal("got-request-exception")
#: A websocket connection starts, before the ``before_websocket`` hooks.
websocket_started = _signals.signal("websocket-started")
#: A message arrived from the client (the message is the sender).
websocket_received = _signals.signal("websocket-received")
#: A message went to the client (the message is the sender).
websocket_sent = _signals.signal("websocket-sent")
#: A websocket handler finished: ``response`` (the rejection, or ``None`` after accept).
websocket_finished = _signals.signal("websocket-finished")
#: A websocket connection ends, after its teardown hooks: ``exc``.
websocket_tearing_down = _signals.signal("websocket-tearing-down")
#: A websocket handler raised an error that no error handler takes: ``exception``.
got_websocket_exception = _signals.signal("got-websocket-exception")
#: An application context ends, after its ``teardown_appcontext`` functions: ``exc``.
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
#: A task in the app-wide nursery raised: ``exception``.
got_background_exception = _signals.signal("got-background-exception")
#: A message was flashed: ``message``, ``category``.
message_flashed = _signals.signal("message-flashed")


async def send(signal: NamedSignal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` from ``sender`` to its receivers, plain ones in a worker thread."""
    if signal.receivers:
        await signal.send_async(sender, _sync_wrapper=ensure_async, **kwargs)
