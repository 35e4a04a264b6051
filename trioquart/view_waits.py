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
is ``MAY``.
"""

from __future__ import annotations

import dis
import enum
import functools
import inspect
from types import CodeType, FunctionType
from typing import Any

from .globals import request


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
_ARGUMENT_LOADS = frozenset({"LOAD_CONST", "LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_DEREF"})
_CALL_BOOKKEEPING = frozenset({"PUSH_NULL", "KW_NAMES", "PRECALL"})
_CALLS = frozenset({"CALL", "CALL_KW"})

_MAX_REMEMBERED_VIEWS = 4096
_waits_by_function: dict[FunctionType, Waits] = {}


def view_waits(view: Any) -> Waits:
    """What awaiting ``view(...)`` can wait on: ``Waits.NEVER``, ``FOR_BODY`` or ``MAY``."""
    # Looked up by the function (hashed by identity): hashing a code object hashes its
    # whole contents, at every request.
    if type(view) is not FunctionType:
        return Waits.MAY
    known = _waits_by_function.get(view)
    if known is None:
        known = _code_waits(view.__code__)
        if known is Waits.FOR_BODY and not _reads_the_request_proxy(view):
            known = Waits.MAY
        if len(_waits_by_function) >= _MAX_REMEMBERED_VIEWS:
            _waits_by_function.clear()
        _waits_by_function[view] = known
    return known


def never_waits(view: Any) -> bool:
    """Whether calling ``view`` and sending ``None`` once surely completes its coroutine."""
    return view_waits(view) is Waits.NEVER


@functools.lru_cache(maxsize=1024)
def _code_waits(code: CodeType) -> Waits:
    if not code.co_flags & inspect.CO_COROUTINE:
        return Waits.MAY
    instructions = list(dis.get_instructions(code))
    found = Waits.NEVER
    for index, instruction in enumerate(instructions):
        if instruction.opcode not in _STARTS_WAITING:
            continue
        if (
            instruction.opname != "GET_AWAITABLE"
            or _body_reader_before(instructions, index) is None
        ):
            return Waits.MAY
        found = Waits.FOR_BODY
    return found


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
            loads += 1
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


def _reads_the_request_proxy(view: FunctionType) -> bool:
    """Whether every body reader the view awaits belongs to trioquart's ``request``."""
    instructions = list(dis.get_instructions(view.__code__))
    for index, instruction in enumerate(instructions):
        if instruction.opname == "GET_AWAITABLE":
            name = _body_reader_before(instructions, index)
            if name is None or view.__globals__.get(name) is not request:
                return False
    return True
