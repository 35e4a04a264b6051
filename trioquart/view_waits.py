"""What a view can wait on, read once from its bytecode: nothing, only the request body, or more.

Theory of operation: a request's cancel scope only matters where its code waits, and entering
one costs trio about as much as the rest of a small request. So the HTTP driver asks, for a
view with no request hooks:

- ``Waits.NEVER``: the view's own code contains no ``await``, ``async for`` or ``async with``.
  Awaiting it runs it to completion at once; nothing in it can be cancelled, so it runs
  outside any scope.
- ``Waits.FOR_BODY``: its only awaits are the request proxy's body readers
  (``await request.get_data()``, ``get_json()``, ``form``, ``files``, ``body``), called with
  constants or local variables as arguments. Reading a body waits on the server's ``receive``,
  and whoever reads it sees the client leave by itself: once the driver has read a small body
  ahead, the view cannot wait any more than a ``NEVER`` one.
- ``Waits.MAY``: anything else, including every callable that is not a plain ``async def``
  function (a wrapper, a ``partial``, a callable object): these are assumed to wait.

Wrong answers must only ever be slow, never unsafe: anything the reading does not recognise
is ``MAY``. A ``FOR_BODY`` answer also rests on what the awaited names resolve to, checked
at every call: the view's global for ``request`` must still be trioquart's proxy (a view that
rebinds it is ``MAY``), and the request class's readers trioquart's own
(:func:`reads_body_itself`). Not noticed: a view that replaces a reader on the request object
itself (``request.get_data = ...``) before awaiting it.
"""

from __future__ import annotations

import dis
import enum
import functools
import inspect
from types import CodeType, FunctionType
from typing import Any

from .globals import request
from .wrappers.request import Request


class Waits(enum.Enum):
    """What a view's own code can wait on (see the module's docstring)."""

    NEVER = "never"
    FOR_BODY = "for the request body"
    MAY = "may wait on anything"


# The opcodes that begin a suspension of a coroutine's own frame (3.11 to 3.13). The ones
# that continue it (SEND, YIELD_VALUE, CLEANUP_THROW) only ever follow one of these, since a
# coroutine cannot ``yield``.
_STARTS_WAITING = frozenset(
    opcode
    for name in ("GET_AWAITABLE", "GET_AITER", "GET_ANEXT", "BEFORE_ASYNC_WITH", "END_ASYNC_FOR")
    if (opcode := dis.opmap.get(name)) is not None
)
_BODY_READERS = frozenset({"get_data", "get_json", "form", "files", "body"})
# What may stand between ``request.<reader>`` and the await: the reader's arguments, when
# they are constants or local variables, and the opcodes of one call of it (3.13 pushes the
# call's NULL after the attribute when the owner's name was imported).
# Each load's count of values (3.13's LOAD_FAST_LOAD_FAST pushes two locals at once).
_ARGUMENT_LOADS = {
    "LOAD_CONST": 1,
    "LOAD_FAST": 1,
    "LOAD_FAST_CHECK": 1,
    "LOAD_DEREF": 1,
    "LOAD_FAST_LOAD_FAST": 2,
}
_CALL_BOOKKEEPING = frozenset({"PUSH_NULL", "KW_NAMES", "PRECALL"})
_CALLS = frozenset({"CALL", "CALL_KW"})

_MAX_REMEMBERED_VIEWS = 4096
#: A function's answer, and the global names its body readers are awaited through.
_waits_by_function: dict[FunctionType, tuple[Waits, tuple[str, ...]]] = {}


def view_waits(view: Any) -> Waits:
    """What awaiting ``view(...)`` can wait on: ``Waits.NEVER``, ``FOR_BODY`` or ``MAY``."""
    # Looked up by the function (hashed by identity): hashing a code object hashes its
    # whole contents, at every request.
    if type(view) is not FunctionType:
        return Waits.MAY
    known = _waits_by_function.get(view)
    if known is None:
        known = _code_waits(view.__code__)
        if len(_waits_by_function) >= _MAX_REMEMBERED_VIEWS:
            _waits_by_function.clear()
        _waits_by_function[view] = known
    waits, owners = known
    if waits is Waits.FOR_BODY:
        # Checked at every call: a module's global can be rebound (a test's monkeypatch).
        namespace = view.__globals__
        if type(namespace) is not dict:
            return Waits.MAY
        for name in owners:
            if namespace.get(name) is not request:
                return Waits.MAY
    return waits


def reads_body_itself(request_class: type) -> bool:
    """Whether ``request_class`` reads the body with trioquart's own readers (a subclass that
    overrides one may wait on anything there)."""
    known = _reads_body_itself_by_class.get(request_class)
    if known is None:
        known = issubclass(request_class, Request) and all(
            getattr(request_class, name) is getattr(Request, name) for name in _BODY_READERS
        )
        _reads_body_itself_by_class[request_class] = known
    return known


_reads_body_itself_by_class: dict[type, bool] = {}


@functools.lru_cache(maxsize=1024)
def _code_waits(code: CodeType) -> tuple[Waits, tuple[str, ...]]:
    """The answer for ``code``, and the global names its body readers are awaited through."""
    if not code.co_flags & inspect.CO_COROUTINE:
        return Waits.MAY, ()
    instructions = list(dis.get_instructions(code))
    owners: set[str] = set()
    for index, instruction in enumerate(instructions):
        if instruction.opcode not in _STARTS_WAITING:
            continue
        owner = (
            _body_reader_before(instructions, index)
            if instruction.opname == "GET_AWAITABLE"
            else None
        )
        if owner is None:
            return Waits.MAY, ()
        owners.add(owner)
    if not owners:
        return Waits.NEVER, ()
    if any(
        instruction.opname in ("STORE_GLOBAL", "DELETE_GLOBAL") and instruction.argval in owners
        for instruction in instructions
    ):
        return Waits.MAY, ()  # the view rebinds the name it reads the body through
    return Waits.FOR_BODY, tuple(sorted(owners))


def _body_reader_before(instructions: list[dis.Instruction], index: int) -> str | None:
    """The global name whose body reader the await at ``index`` awaits, if it is one."""
    loads = 0
    call: dis.Instruction | None = None
    position = index - 1
    while position >= 0:
        instruction = instructions[position]
        if instruction.opname in _CALLS and call is None and loads == 0:
            call = instruction
        elif instruction.opname in _ARGUMENT_LOADS:
            loads += _ARGUMENT_LOADS[instruction.opname]
        elif instruction.opname not in _CALL_BOOKKEEPING:
            break
        position -= 1
    # Every load must be an argument of the one call (CALL_KW loads its names too), so the
    # attribute found is the callee, not an argument: ``await f(request.get_data)`` is not
    # a body read.
    expected_loads = 0 if call is None else (call.arg or 0) + (call.opname == "CALL_KW")
    if loads != expected_loads or position < 1:
        return None
    attribute, owner = instructions[position], instructions[position - 1]
    if (
        attribute.opname not in ("LOAD_ATTR", "LOAD_METHOD")
        or attribute.argval not in _BODY_READERS
        or owner.opname != "LOAD_GLOBAL"
    ):
        return None
    # The sequence must run straight through: a jump into it (``await (a() if c else
    # request.get_data())`` jumps to the await) would bring another awaitable along.
    if any(instruction.is_jump_target for instruction in instructions[position : index + 1]):
        return None
    return str(owner.argval)
