"""Server-sent events: ``ServerSentEvent`` (one event's wire format) and ``event_stream`` (a
streamed ``text/event-stream`` response with keep-alive comments).

Theory of operation: the body that ``event_stream`` returns is an async generator, iterated by
the request's driver, that opens a nursery in which a *pump* task iterates the view's events.
The body asks the pump for one event at a time and waits for it with a deadline; when the
deadline passes first it sends a keep-alive comment and goes on waiting. The pump fetches the
next event only when asked, so the view's iterator is never ahead of what the client was sent.
A client that leaves cancels the request's scope, so the pump (and the view's iterator, where
it waits) sees ``trio.Cancelled``; the pump then closes the iterator, whose ``finally`` runs.

The body yields while its nursery is open: the nursery's cancel scope then also covers the
driver's ``send``. So nothing may cancel that scope while the body is suspended: the pump
never raises an ``Exception`` into the nursery (it hands it to the body, which raises it
itself), and the body cancels the nursery only on its own way out.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import trio
from werkzeug.datastructures import Headers

from .errors import collapse_cancelled
from .globals import find_app_context
from .json import dumps
from .wrappers.response import Response

__all__ = ["ServerSentEvent", "event_stream"]

#: The line breaks of the event stream format (and only these: ``str.splitlines`` also splits
#: at characters such as U+2028 that a browser keeps inside a line).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_KEEP_ALIVE = b": ping\n\n"


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One server-sent event, checked when it is made and written by :meth:`encode`.

    Args:
        data: the event's data. A ``str`` is sent as it is, each of its lines (split at CR LF,
            CR or LF) as its own ``data:`` line; any other value except ``None`` is sent as
            JSON (``trioquart.json.dumps``, one line). ``None`` sends no data: browsers then
            dispatch no event, although ``id`` and ``retry`` still take effect.
        event: the event type (``addEventListener(event, ...)`` in the browser); ``None``
            for the default, ``message``.
        id: the event ID, which the browser sends back as ``Last-Event-ID`` when it
            reconnects; ``""`` clears it. An ``int`` is sent in decimal.
        retry: the reconnection delay the browser should use from now on, in milliseconds.
        comment: a comment, which clients ignore (each line gets its own ``:``).

    Raises:
        TypeError: a field has the wrong type (``retry`` must be an ``int``).
        ValueError: ``event`` holds CR or LF, ``id`` holds CR, LF or NUL (a browser would
            ignore it), ``retry`` is negative, or every field is ``None``.
    """

    data: Any = None
    event: str | None = None
    id: str | int | None = None
    retry: int | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        if self.event is not None:
            _check_text("event", self.event, "\r\n")
        if self.id is not None:
            if isinstance(self.id, bool) or not isinstance(self.id, str | int):
                raise TypeError(f"ServerSentEvent id must be a str or int, not {self.id!r}")
            if isinstance(self.id, str):
                _check_text("id", self.id, "\r\n\0")
        if self.retry is not None:
            if isinstance(self.retry, bool) or not isinstance(self.retry, int):
                raise TypeError(
                    f"ServerSentEvent retry must be an int of milliseconds, not {self.retry!r}"
                )
            if self.retry < 0:
                raise ValueError(f"ServerSentEvent retry must be 0 or more, not {self.retry}")
        if self.comment is not None and not isinstance(self.comment, str):
            raise TypeError(f"ServerSentEvent comment must be a str, not {self.comment!r}")
        if (self.data, self.event, self.id, self.retry, self.comment) == (None,) * 5:
            raise ValueError("A ServerSentEvent needs data, event, id, retry or comment")

    def encode(self) -> bytes:
        """The event in the ``text/event-stream`` format (UTF-8), blank line included.

        Raises:
            TypeError: ``data`` is neither a ``str`` nor a value JSON can encode.
            UnicodeEncodeError: a text holds a lone surrogate.
        """
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(f": {line}" if line else ":" for line in _LINE_BREAK.split(self.comment))
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.id is not None:
            lines.append(f"id: {self.id}")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        if self.data is not None:
            text = self.data if isinstance(self.data, str) else dumps(self.data)
            # The space after the colon is always written: a client removes one space, so
            # data that starts with a space keeps it.
            lines.extend(f"data: {line}" if line else "data:" for line in _LINE_BREAK.split(text))
        lines.append("\n")
        return "\n".join(lines).encode("utf-8")


def _check_text(name: str, value: object, forbidden: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"ServerSentEvent {name} must be a str, not {value!r}")
    for character in forbidden:
        if character in value:
            raise ValueError(
                f"ServerSentEvent {name} must not contain {character!r}: {value!r}"
                + (" (a browser ignores such an id)" if character == "\0" else "")
            )


def event_stream(
    events: AsyncIterable[ServerSentEvent | str],
    *,
    ping_interval: float | None = 15.0,
    headers: Headers | Mapping[str, str] | list[tuple[str, str]] | None = None,
) -> Response:
    """A streamed ``text/event-stream`` response that sends ``events`` as they come.

    A ``str`` item is sent as the data of an unnamed event. Whenever nothing has been sent for
    ``ping_interval`` seconds, a comment line (``: ping``) goes out, so that proxies and load
    balancers do not close the idle connection; ``None`` sends none. The response carries
    ``Cache-Control: no-cache`` and ``X-Accel-Buffering: no`` (so that nginx passes each event on at
    once); ``headers`` adds to them or replaces them by name.

    ``events`` is iterated only while the response is sent, one item for each event sent
    (never ahead). When the client leaves, it is cancelled where it waits (``trio.Cancelled``)
    and then closed, so its ``finally`` runs. An item that is neither a ``ServerSentEvent`` nor
    a ``str``, or an error of ``events``, ends the response early (the error is logged).

    Raises:
        TypeError: ``events`` is not an async iterable.
        ValueError: ``ping_interval`` is not a positive number of seconds.
    """
    iterator = aiter(events)
    if ping_interval is not None and not (0 < ping_interval < math.inf):
        raise ValueError(
            f"ping_interval must be a positive number of seconds or None, not {ping_interval!r}"
        )
    all_headers = Headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    if headers is not None:
        extra = headers if isinstance(headers, Headers) else Headers(headers)
        for name in {name.lower() for name, _ in extra.items()}:
            all_headers.remove(name)
        all_headers.extend(extra)
    ctx = find_app_context()
    shutdown = ctx.app.shutdown_event if ctx is not None else None
    return Response(
        _encoded(iterator, ping_interval, shutdown),
        headers=all_headers,
        content_type="text/event-stream; charset=utf-8",
    )


@dataclass(slots=True)
class _Failed:
    """What the pump sends when the events' iterator raised ``error``."""

    error: Exception


async def _pump(
    iterator: AsyncIterator[object],
    asks: trio.MemoryReceiveChannel[None],
    results: trio.MemorySendChannel[object],
) -> None:
    """Fetch one item from ``iterator`` for each ask and send it; close ``results`` at the
    end; close ``iterator`` however this ends."""
    try:
        async with results:
            async for _ in asks:
                try:
                    item = await anext(iterator)
                except StopAsyncIteration:
                    return
                except Exception as error:
                    await results.send(_Failed(error))  # see the module docstring
                    return
                await results.send(item)
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


async def _pump_until(
    shutdown: trio.Event | None,
    iterator: AsyncIterator[object],
    asks: trio.MemoryReceiveChannel[None],
    results: trio.MemorySendChannel[object],
) -> None:
    """:func:`_pump`, cancelled when the server starts shutting down: the stream then ends
    like a finished one (the browser reconnects, to the next server at a deploy) instead of
    holding the shutdown up until the server's graceful timeout cuts it off."""
    async with trio.open_nursery() as nursery:
        if shutdown is not None:
            nursery.start_soon(_cancel_when_set, shutdown, nursery.cancel_scope)
        await _pump(iterator, asks, results)
        nursery.cancel_scope.cancel(reason="event stream finished")


async def _cancel_when_set(event: trio.Event, scope: trio.CancelScope) -> None:
    await event.wait()
    scope.cancel(reason="server shutting down")


async def _encoded(
    iterator: AsyncIterator[object], ping_interval: float | None, shutdown: trio.Event | None
) -> AsyncGenerator[bytes, None]:
    """The response body: the events of ``iterator`` encoded, with keep-alive comments."""
    ask_send, ask_receive = trio.open_memory_channel[None](1)
    result_send, result_receive = trio.open_memory_channel[object](0)
    timeout = math.inf if ping_interval is None else ping_interval
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_pump_until, shutdown, iterator, ask_receive, result_send)
            try:
                while True:
                    ask_send.send_nowait(None)  # never full: the pump took the previous ask
                    while True:
                        # Never yield inside this scope: its deadline would cancel the send.
                        with trio.move_on_after(timeout):
                            try:
                                item = await result_receive.receive()
                            except trio.EndOfChannel:
                                return
                            break
                        yield _KEEP_ALIVE
                    yield _encode_item(item)
            finally:
                nursery.cancel_scope.cancel(reason="event stream finished")
    except BaseExceptionGroup as group:
        # What ended the stream comes out as itself: the view's error, ``GeneratorExit`` when
        # the body is closed at a yield, or a cancellation from outside.
        collapsed = collapse_cancelled(group)
        if collapsed is group:  # pragma: no cover - two failures at once, kept as they came
            raise
        raise collapsed from None


def _encode_item(item: object) -> bytes:
    if isinstance(item, ServerSentEvent):
        return item.encode()
    if isinstance(item, str):
        return ServerSentEvent(item).encode()
    if isinstance(item, _Failed):
        raise item.error
    raise TypeError(
        f"event_stream() sends ServerSentEvent or str items, not {type(item).__name__}; "
        "wrap other data as ServerSentEvent(data=...)"
    )
