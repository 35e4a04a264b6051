"""Fuzzing the websocket driver with ASGI message sequences (issue 11).

Each example is one connection, driven by calling the app's ASGI callable directly: a scripted
server delivers generated events (messages, oversized messages, messages of the wrong shape,
unknown types, a disconnect with some code), and the handler performs generated operations
(accept, send of right and wrong types, receive, receive_json, close, sleep, a second receiver,
return, raise). Everything runs under a mock clock that jumps ahead whenever all tasks wait, so
queue timeouts and quiet periods cost nothing.

What must hold, whatever the sequence:

- the app's messages to the server form a legal ASGI websocket exchange (one answer to the
  handshake, frames only after accept, nothing after the close or the rejection's last body);
- each operation of the handler gives what ``docs/websockets.md`` promises for the state the
  handler has brought the connection to: its result, ``TypeError``, ``ValueError``,
  ``WebsocketClosedError`` or ``BadRequest``, or ``trio.Cancelled`` once the client left or the
  framework closed the connection; messages arrive in order, none lost or invented;
- the handler's last word is the documented one (close 1000, 1011, a rejection with the
  status the handler chose, 500 when it did neither);
- ``app(...)`` returns, raises nothing, reads the server until the disconnect, and leaves no
  task behind (with the lifespan's shared disconnect watch service as well as without).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import trio
import trio.testing
from hypothesis import event, example, given
from hypothesis import strategies as st
from werkzeug.exceptions import BadRequest

from trioquart import TrioQuart, WebsocketClosedError, abort, websocket
from trioquart.typing import ASGIReceiveEvent, ASGISendEvent, WebsocketScope
from trioquart.websocket_state import WebsocketState, is_sendable_close_code

from ..e2e.conftest import running_tasks
from .conftest import fuzz_settings

#: Small limits, so that short scripts reach them.
MAX_MESSAGE = 8
MAX_QUEUE = 2
QUEUE_TIMEOUT = 10.0
SUBPROTOCOLS = ["chat", "v2"]
#: A handler's "forever" (mock-clock seconds): the client leaving cancels it, except after the
#: handler's own close, where the framework lets the handler finish (see ``_client_left``).
FOREVER = 1e7
#: Mock-clock seconds a connection may take: only a deadlock, or a handler left waiting
#: longer than FOREVER, gets there.
HANG = 1e9

Op = tuple[Any, ...]
Event = tuple[float, dict[str, Any]]


# Strategies -------------------------------------------------------------------------------

_small_text = st.text(max_size=12)
_small_bytes = st.binary(max_size=12)
_json_text = st.one_of(
    st.from_regex(r"\A[\[\]{}\"0-9.eE+\-:, a-z]{0,12}\Z"),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | _small_text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_small_text, inner, max_size=3),
        max_leaves=6,
    ).map(json.dumps),
    st.just("[" * 3000),
)
_payload_text = st.one_of(_small_text, _json_text)
_delay = st.sampled_from([0.0, 0.0, 0.0, 0.01, 0.1, QUEUE_TIMEOUT + 1])


def _receive_event(text: str | None, data: bytes | None) -> dict[str, Any]:
    return {"type": "websocket.receive", "text": text, "bytes": data}


_message_event = st.one_of(
    st.builds(_receive_event, _payload_text, st.none()),
    st.builds(_receive_event, st.none(), _small_bytes),
    # Shapes the ASGI spec rules out, which servers must not send but the app must survive.
    st.builds(_receive_event, _small_text, _small_bytes),
    st.just({"type": "websocket.receive"}),
    st.builds(lambda text: {"type": "websocket.receive", "text": text}, _small_text),
    st.builds(lambda data: {"type": "websocket.receive", "bytes": data}, _small_bytes),
)
_garbage_event = st.sampled_from(
    [
        {"type": "websocket.connect"},
        {"type": "http.request", "body": b"x"},
        {"type": "http.disconnect"},
        {"type": "websocket.bogus"},
        {"type": "lifespan.startup"},
    ]
)
_disconnect_event = st.builds(
    lambda code, reason: {"type": "websocket.disconnect", "code": code, "reason": reason},
    st.sampled_from([1000, 1001, 1005, 1006, 1011, 3000, 4999]),
    st.sampled_from(["", "bye"]),
) | st.just({"type": "websocket.disconnect"})

#: The server's side: a connect (usually), then events, then (always) a disconnect.
server_scripts = st.builds(
    lambda first, middle, last: [first, *middle, last],
    st.tuples(_delay, st.just({"type": "websocket.connect"}))
    | st.tuples(st.just(0.0), _disconnect_event | _garbage_event),
    st.lists(st.tuples(_delay, _message_event | _garbage_event), max_size=8),
    st.tuples(_delay, _disconnect_event),
)

_sendable = st.one_of(
    _small_text,
    _small_bytes,
    _small_bytes.map(bytearray),
    _small_bytes.map(lambda data: memoryview(data)),
    # Not sendable: TypeError, nothing sent.
    st.integers(),
    st.none(),
    st.just({"a": 1}),
    st.just(["x"]),
)
_code = st.sampled_from([1000, 1001, 1008, 1011, 1014, 3000, 4000, 4999]) | st.sampled_from(
    # No close frame may carry these: ValueError, and nothing changes.
    [-1, 0, 999, 1004, 1005, 1006, 1015, 2000, 2999, 5000, 65535, 70000]
)
_op = st.one_of(
    st.tuples(st.just("accept"), st.sampled_from([None, "chat", "v2", "nope"])),
    st.tuples(st.just("send"), _sendable),
    st.tuples(st.just("receive")),
    st.tuples(st.just("receive_json")),
    st.tuples(st.just("close"), _code, st.sampled_from(["", "done"])),
    st.tuples(st.just("sleep"), st.sampled_from([0.0, 0.06, 0.2, QUEUE_TIMEOUT + 1, FOREVER])),
    st.tuples(st.just("spawn_receiver")),
)
_last_op = st.one_of(
    st.tuples(st.just("return"), st.sampled_from([None, "no", ("denied", 403), ("teapot", 418)])),
    st.tuples(st.just("raise"), st.sampled_from(["error", "abort 403", "abort 500"])),
)
#: The handler's side: operations, perhaps ending with a return or a raise.
handler_scripts = st.builds(
    lambda ops, last: [*ops, *last], st.lists(_op, max_size=8), st.lists(_last_op, max_size=1)
)


# The scripted server ----------------------------------------------------------------------


@dataclass
class ScriptedServer:
    """An ASGI server for one websocket connection that delivers ``events`` in order.

    Each event waits its delay (on the mock clock) before it is delivered; an event whose wait
    is cancelled is not lost. After the disconnect nothing more comes, as with Hypercorn. The
    app's messages are checked against the ASGI websocket protocol as they arrive, and every
    violation is kept in ``violations`` (an assertion raised inside ``send`` would go to the
    app, not to the test).
    """

    events: deque[Event]
    #: Both directions in order: ("in", event) delivered, ("out", message) sent by the app.
    log: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    #: "handshake", "accepted", "response" (rejection body under way) or "done".
    state: str = "handshake"
    disconnected: bool = False

    async def receive(self) -> ASGIReceiveEvent:
        await trio.lowlevel.checkpoint()
        if not self.events:
            await trio.sleep_forever()
        delay, event = self.events[0]
        await trio.sleep(delay)
        self.events.popleft()
        self.log.append(("in", event))
        if event["type"] == "websocket.disconnect":
            self.disconnected = True
            self.events.clear()
        return event

    async def send(self, message: ASGISendEvent) -> None:
        self.log.append(("out", dict(message)))
        problem = self._check(message)
        if problem is not None:
            self.violations.append(f"{problem}: {message!r} (in state {self.state})")
        await trio.lowlevel.checkpoint()

    def _check(self, message: ASGISendEvent) -> str | None:
        kind = message["type"]
        if self.state == "handshake":
            if kind == "websocket.accept":
                self.state = "accepted"
                subprotocol = message.get("subprotocol")
                if subprotocol is not None and subprotocol not in SUBPROTOCOLS:
                    return "accepted with a subprotocol the client did not offer"
                return None
            if kind == "websocket.close":
                self.state = "done"
                return None
            if kind == "websocket.http.response.start":
                self.state = "response"
                status = message.get("status")
                if not isinstance(status, int) or not 100 <= status <= 599:
                    return "a rejection without a valid status"
                headers = message.get("headers", [])
                if not all(isinstance(n, bytes) and isinstance(v, bytes) for n, v in headers):
                    return "rejection headers that are not byte pairs"
                return None
            return "before the handshake was answered"
        if self.state == "response":
            if kind != "websocket.http.response.body" or not isinstance(message.get("body"), bytes):
                return "in the middle of a rejection"
            if not message.get("more_body", False):
                self.state = "done"
            return None
        if self.state == "accepted":
            if kind == "websocket.send":
                text, data = message.get("text"), message.get("bytes")
                if (text is None) == (data is None):
                    return "a frame needs exactly one of text and bytes"
                if not isinstance(text if data is None else data, str if data is None else bytes):
                    return "a frame of the wrong type"
                return None
            if kind == "websocket.close":
                self.state = "done"
                if not is_sendable_close_code(message.get("code", 1000)):
                    return "a close code no close frame may carry"
                return None
            return "after accept"
        return "after the close or the rejection"

    def sent(self) -> list[dict[str, Any]]:
        return [message for direction, message in self.log if direction == "out"]


# The handler ------------------------------------------------------------------------------


@dataclass
class Record:
    """What the handler's operations gave, in order: (op, outcome, value)."""

    outcomes: list[tuple[Op, str, Any]] = field(default_factory=list)
    child_outcomes: list[tuple[str, Any]] = field(default_factory=list)
    websocket: Any = None
    #: Whether the framework closed the connection itself (1008 or 1009; it logs why).
    framework_closed: bool = False
    #: The framework's warnings and errors.
    errors: list[str] = field(default_factory=list)


class ErrorLog(logging.Handler):
    """Keeps the framework's warnings and errors in ``record``, and notes there when one says
    that the framework is closing a connection itself."""

    def __init__(self, record: Record) -> None:
        super().__init__(logging.WARNING)
        self.record = record

    def emit(self, log_record: logging.LogRecord) -> None:
        message = log_record.getMessage()
        self.record.errors.append(message)
        if message.startswith("Closing websocket"):
            self.record.framework_closed = True


_DOCUMENTED = (TypeError, ValueError, WebsocketClosedError, BadRequest)


async def perform(op: Op) -> Any:
    """Do one operation on the ``websocket`` global; its value, if any."""
    name = op[0]
    if name == "accept":
        await websocket.accept(subprotocol=op[1])
    elif name == "send":
        await websocket.send(op[1])
    elif name == "receive":
        return await websocket.receive()
    elif name == "receive_json":
        return await websocket.receive_json()
    elif name == "close":
        await websocket.close(op[1], op[2])
    elif name == "sleep":
        await trio.sleep(op[1])
    return None


def make_handler(ops: list[Op], record: Record) -> Callable[[], Awaitable[Any]]:
    async def child_receiver() -> None:
        try:
            record.child_outcomes.append(("ok", await websocket.receive()))
        except trio.Cancelled:
            record.child_outcomes.append(("cancelled", None))
            raise
        except WebsocketClosedError as error:
            record.child_outcomes.append(("error", error))

    async def handler() -> Any:
        record.websocket = websocket._get_current_object()  # type: ignore[attr-defined]
        for op in ops:
            if op[0] == "return":
                return op[1]
            if op[0] == "raise":
                if op[1] == "error":
                    raise RuntimeError("the handler failed")
                abort(int(op[1].split()[1]))
            if op[0] == "spawn_receiver":
                websocket.nursery.start_soon(child_receiver)
                record.outcomes.append((op, "ok", None))
                continue
            try:
                value = await perform(op)
            except trio.Cancelled:
                record.outcomes.append((op, "cancelled", None))
                raise
            except _DOCUMENTED as error:
                record.outcomes.append((op, "error", error))
            except BaseException as error:
                record.outcomes.append((op, "unexpected", error))
                raise
            else:
                record.outcomes.append((op, "ok", value))
        return None

    return handler


# Checking the outcome ---------------------------------------------------------------------


def payload(event: dict[str, Any]) -> str | bytes:
    """What ``websocket.receive()`` returns for a ``websocket.receive`` event."""
    text = event.get("text")
    return text if text is not None else bytes(event.get("bytes") or b"")


def json_or_error(data: str | bytes) -> Any:
    """The decoded JSON of ``data``, or ``BadRequest`` (the class) when it is not JSON."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return BadRequest


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values (NaN included, which is unequal to itself)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def next_states(state: str, op: Op, outcome: str, value: Any) -> str | None:
    """The handler's view of the connection after ``op`` gave ``outcome`` in ``state``, or
    ``None`` when the docs do not allow that outcome there."""
    name = op[0]
    open_states = ("connecting", "accepted")
    if outcome == "error" and isinstance(value, WebsocketClosedError):
        if state in open_states or name in ("close", "sleep"):
            return None
        return state if f"the websocket is {state}" in str(value) else None
    if name == "accept":
        bad_subprotocol = op[1] not in (None, *SUBPROTOCOLS)
        if state == "connecting" and bad_subprotocol:
            ok = outcome == "error" and isinstance(value, ValueError)
            return state if ok and "subprotocol" in str(value) else None
        return "accepted" if outcome == "ok" and state in open_states else None
    if name == "send":
        if not isinstance(op[1], str | bytes | bytearray | memoryview):
            ok = outcome == "error" and isinstance(value, TypeError)
            return state if ok and "str or bytes" in str(value) else None
        return "accepted" if outcome == "ok" and state in open_states else None
    if name in ("receive", "receive_json"):
        if outcome == "error" and not (name == "receive_json" and isinstance(value, BadRequest)):
            return None
        return "accepted" if state in open_states else None
    if name == "close":
        if not is_sendable_close_code(op[1]):
            ok = outcome == "error" and isinstance(value, ValueError)
            return state if ok and "Cannot close with code" in str(value) else None
        if outcome != "ok":
            return None
        return {"connecting": "rejected", "accepted": "closed"}.get(state, state)
    return state if outcome == "ok" else None


def check_operations(ops: list[Op], record: Record, server: ScriptedServer) -> None:
    """Each outcome is one the docs promise for the state the handler's own steps made.

    The handler's view is a set of states: a second receiver may accept the connection at any
    moment after it was started.
    """
    delivered = deque(
        payload(event)
        for direction, event in server.log
        if direction == "in" and event["type"] == "websocket.receive"
    )
    single_receiver = not any(op[0] == "spawn_receiver" for op in ops)
    states = {"connecting"}
    for index, (op, outcome, value) in enumerate(record.outcomes):
        assert outcome != "unexpected", f"{op} raised {value!r}"
        if op[0] == "spawn_receiver":
            continue
        if not single_receiver and "connecting" in states:
            states.add("accepted")
        if outcome == "cancelled":
            # Only the client leaving, or the framework closing, cancels the handler.
            assert index == len(record.outcomes) - 1, "the handler went on after cancellation"
            assert server.disconnected or record.framework_closed, f"{op} cancelled for nothing"
            event("the handler was cancelled")
            return
        after = {next_states(state, op, outcome, value) for state in states} - {None}
        assert after, f"{op} gave {outcome} {value!r} while the connection was {states}"
        states = {state for state in after if state is not None}
        took_message = outcome == "ok" or isinstance(value, BadRequest)
        if op[0] in ("receive", "receive_json") and took_message and single_receiver:
            assert delivered, f"{op} gave {value!r}, which was never delivered"
            data = delivered.popleft()
            if op[0] == "receive":
                assert value == data, (value, data)
                assert type(value) is type(data), (value, data)
            elif outcome == "error":
                assert json_or_error(data) is BadRequest, f"{data!r} is valid JSON"
                assert "not valid JSON" in str(value.description)
            else:
                assert same_json(value, json_or_error(data)), (value, data)


def check_ending(ops: list[Op], record: Record, server: ScriptedServer) -> None:
    """The handler's last word, when nothing cut the handler short."""
    finished = len(record.outcomes) == len([op for op in ops if op[0] not in ("return", "raise")])
    if not finished or any(outcome == "cancelled" for _, outcome, _ in record.outcomes):
        return
    # Only when the app's last word (a close, or a rejection's last body) came before the
    # client left: once it has left, nobody is there to answer.
    last_word = next(
        (
            index
            for index, (direction, m) in enumerate(server.log)
            if direction == "out"
            and (
                m["type"] == "websocket.close"
                or (m["type"] == "websocket.http.response.body" and not m.get("more_body"))
            )
        ),
        len(server.log),
    )
    if any(m["type"] == "websocket.disconnect" for d, m in server.log[:last_word] if d == "in"):
        return
    if record.framework_closed:
        return  # 1008 or 1009 (a 403 if not accepted yet): the framework had the last word
    if record.child_outcomes or any(op[0] == "spawn_receiver" for op in ops):
        return  # a child may still be receiving when the handler finishes
    event("the handler's last word checked")
    sent = server.sent()
    accepted = any(m["type"] == "websocket.accept" for m in sent)
    closes = [m for m in sent if m["type"] == "websocket.close"]
    handler_closed = any(op[0] == "close" for op, outcome, _ in record.outcomes if outcome == "ok")
    last = ops[-1] if ops and ops[-1][0] in ("return", "raise") else ("return", None)
    if accepted:
        assert len(closes) == 1, sent
        if not handler_closed:
            # Any exception after accept is an internal error, an abort() included.
            expected = 1011 if last[0] == "raise" else 1000
            assert closes[0]["code"] == expected, (last, closes)
        return
    if handler_closed:
        assert closes == [], sent
        assert sent[0]["status"] == 403, sent
        return
    starts = [m for m in sent if m["type"] == "websocket.http.response.start"]
    assert len(starts) == 1, sent
    status = starts[0]["status"]
    if last[0] == "raise":
        assert status == (500 if last[1] == "error" else int(last[1].split()[1]))
    elif last[1] is None:
        assert status == 500  # neither accepted nor answered: the documented bug report
    elif isinstance(last[1], tuple):
        assert status == last[1][1]
    else:
        assert status == 200


# The fuzzer -------------------------------------------------------------------------------


def websocket_scope() -> WebsocketScope:
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": "/ws",
        "raw_path": b"/ws",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "subprotocols": SUBPROTOCOLS,
        "extensions": {"websocket.http.response": {}},
    }


def make_app(ops: list[Op], record: Record) -> TrioQuart:
    app = TrioQuart(__name__)
    app.config["MAX_WEBSOCKET_MESSAGE_SIZE"] = MAX_MESSAGE
    app.config["WEBSOCKET_MAX_QUEUE"] = MAX_QUEUE
    app.config["WEBSOCKET_QUEUE_TIMEOUT"] = QUEUE_TIMEOUT
    app.websocket("/ws")(make_handler(ops, record))
    return app


async def run_connection(app: TrioQuart, server: ScriptedServer) -> None:
    """Serve one connection; its tasks must all be gone when it returns."""
    await trio.testing.wait_all_tasks_blocked()
    before = len(running_tasks())
    with trio.fail_after(HANG):
        await app(websocket_scope(), server.receive, server.send)
    await trio.testing.wait_all_tasks_blocked()
    assert len(running_tasks()) == before, "the connection left a task behind"


def fuzz_one(events: list[Event], ops: list[Op], with_lifespan: bool) -> None:
    record = Record()
    app = make_app(ops, record)
    server = ScriptedServer(deque(events))

    async def main() -> None:
        if with_lifespan:
            async with app.test_app():
                await run_connection(app, server)
        else:
            await run_connection(app, server)

    logger = logging.getLogger("trioquart")
    handler = ErrorLog(record)
    logger.addHandler(handler)
    try:
        trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    finally:
        logger.removeHandler(handler)

    assert server.violations == []
    connected = events[0][1]["type"] == "websocket.connect"
    if not connected:
        assert server.sent() == [], "answered a connection that never connected"
        return
    if server.state != "handshake":
        # Read until the disconnect: else a real server would keep the connection's task.
        assert server.disconnected, "the app stopped reading before the disconnect"
    else:
        assert server.disconnected, "the app returned without answering the handshake"
    assert server.state in ("done", "handshake") or server.disconnected
    if server.state == "response":
        raise AssertionError("the rejection's body was left unfinished")
    check_operations(ops, record, server)
    check_ending(ops, record, server)
    closes = [m.get("code") for m in server.sent() if m["type"] == "websocket.close"]
    event(f"ended with {server.state}, close {closes}")
    ws = record.websocket
    if ws is not None:
        if server.state == "accepted":
            # Accepted and never closed by the app: only the client's leaving ends that.
            assert ws.state is WebsocketState.DISCONNECTED
        elif any(m["type"] == "websocket.accept" for m in server.sent()):
            assert ws.state in (WebsocketState.CLOSED, WebsocketState.DISCONNECTED)
        elif server.state == "done":
            assert ws.state is WebsocketState.REJECTED


@fuzz_settings(200)
@given(events=server_scripts, ops=handler_scripts, with_lifespan=st.booleans())
@example(
    events=[
        (0.0, {"type": "websocket.connect"}),
        (0.0, {"type": "websocket.bogus"}),
        (0.0, _receive_event("a", None)),
        (0.0, {"type": "websocket.disconnect"}),
    ],
    ops=[("receive",), ("receive",)],
    with_lifespan=False,
)
@example(
    # A reader task started after the handler's own close must not hand it messages.
    events=[
        (0.0, {"type": "websocket.connect"}),
        (0.0, _receive_event("a", None)),
        (0.0, {"type": "websocket.disconnect"}),
    ],
    ops=[("accept", None), ("close", 1000, ""), ("sleep", 0.2), ("receive",)],
    with_lifespan=False,
)
@example(
    # A code no close frame can carry is refused, and the connection stays usable (under
    # Hypercorn, close(70000) used to fail inside the server's send and leave the client
    # waiting for a close that never came).
    events=[(0.0, {"type": "websocket.connect"}), (0.0, {"type": "websocket.disconnect"})],
    ops=[("accept", None), ("close", 70000, ""), ("send", "still open")],
    with_lifespan=False,
)
def test_websocket_asgi_sequences(events: list[Event], ops: list[Op], with_lifespan: bool) -> None:
    fuzz_one(events, ops, with_lifespan)


@pytest.mark.parametrize(
    ("code", "sendable"),
    [
        *[(code, True) for code in (1000, 1003, 1007, 1011, 1014, 3000, 4999)],
        *[(code, False) for code in (-1, 0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 70000)],
        (True, False),
        ("1000", False),
    ],
)
def test_which_close_codes_a_close_frame_carries(code: object, sendable: bool) -> None:
    assert is_sendable_close_code(code) is sendable


@pytest.mark.parametrize("outcome", ["rejects", "raises"])
def test_client_leaving_as_the_handler_rejects_answers_nobody(outcome: str) -> None:
    """The client leaves during the handshake just as the handler returns a rejection (or
    raises), with no checkpoint in between: the handler is not cancelled, but nobody is left
    to answer; an error is still logged."""
    app = TrioQuart(__name__)
    left = trio.Event()
    hooks: list[object] = []

    @app.websocket("/ws")
    async def handler() -> tuple[str, int]:
        await left.wait()
        if outcome == "raises":
            raise RuntimeError("handler bug")
        return "denied", 403

    @app.after_websocket
    async def after(response: object) -> object:
        hooks.append(response)
        return response

    class Server(ScriptedServer):
        async def receive(self) -> ASGIReceiveEvent:
            event = await super().receive()
            if event["type"] == "websocket.disconnect":
                left.set()
            return event

    server = Server(
        deque([(0.0, {"type": "websocket.connect"}), (0.1, {"type": "websocket.disconnect"})])
    )
    record = Record()
    logger = logging.getLogger("trioquart")
    errors = ErrorLog(record)
    logger.addHandler(errors)
    try:
        trio.run(
            app,
            websocket_scope(),
            server.receive,
            server.send,
            clock=trio.testing.MockClock(autojump_threshold=0),
        )
    finally:
        logger.removeHandler(errors)
    assert server.sent() == []
    assert not any("after accepting" in message for message in record.errors)
    assert hooks == []  # docs/websockets.md: after_websocket hooks do not run after a disconnect
    logged = [message for message in record.errors if "after it ended" in message]
    assert len(logged) == (1 if outcome == "raises" else 0)
