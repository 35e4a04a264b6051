"""Types shared across trioquart: ASGI scopes and messages, handler and hook signatures.

ASGI messages are dictionaries on the wire; they are described here as ``TypedDict`` so that the
drivers are checked against the shapes the ASGI specification defines.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypeAlias, TypedDict

if TYPE_CHECKING:
    from werkzeug.datastructures import Headers

    from .wrappers.response import Response


class ASGIVersions(TypedDict):
    """The ``asgi`` key of a scope."""

    version: str
    spec_version: NotRequired[str]


class HTTPScope(TypedDict):
    """The scope of one HTTP request."""

    type: Literal["http"]
    asgi: ASGIVersions
    http_version: str
    method: str
    scheme: str
    path: str
    raw_path: NotRequired[bytes]
    query_string: bytes
    root_path: str
    headers: Iterable[tuple[bytes, bytes]]
    client: NotRequired[tuple[str, int] | None]
    server: NotRequired[tuple[str, int | None] | None]
    extensions: NotRequired[dict[str, dict[object, object]]]
    state: NotRequired[dict[str, Any]]


class WebsocketScope(TypedDict):
    """The scope of one websocket connection."""

    type: Literal["websocket"]
    asgi: ASGIVersions
    http_version: str
    scheme: str
    path: str
    raw_path: NotRequired[bytes]
    query_string: bytes
    root_path: str
    headers: Iterable[tuple[bytes, bytes]]
    client: NotRequired[tuple[str, int] | None]
    server: NotRequired[tuple[str, int | None] | None]
    subprotocols: NotRequired[Iterable[str]]
    extensions: NotRequired[dict[str, dict[object, object]]]
    state: NotRequired[dict[str, Any]]


class LifespanScope(TypedDict):
    """The scope of the lifespan protocol."""

    type: Literal["lifespan"]
    asgi: ASGIVersions
    state: NotRequired[dict[str, Any]]


Scope: TypeAlias = HTTPScope | WebsocketScope | LifespanScope

# Messages are read with ``message["type"]`` and ``.get(...)``; a precise union of every message
# TypedDict would force a cast at each read without catching more mistakes, so receive returns a
# plain mapping and the send side is typed precisely where it is built.
ASGIReceiveEvent: TypeAlias = Mapping[str, Any]
ASGISendEvent: TypeAlias = Mapping[str, Any]
ASGIReceiveCallable: TypeAlias = Callable[[], Awaitable[ASGIReceiveEvent]]
ASGISendCallable: TypeAlias = Callable[[ASGISendEvent], Awaitable[None]]
# Any ASGI 3 callable: middleware from other libraries, typed with their own scope and
# message types, must fit here.
ASGIApp: TypeAlias = Callable[[Any, Any, Any], Awaitable[None]]

HeadersValue: TypeAlias = "Headers | Mapping[str, str] | Iterable[tuple[str, str]]"
StatusCode: TypeAlias = int
ResponseBody: TypeAlias = (
    "str | bytes | dict[str, Any] | list[Any] | AsyncIterable[bytes] | AsyncIterable[str]"
)
ResponseValue: TypeAlias = "Response | ResponseBody"
ResponseReturnValue: TypeAlias = (
    "ResponseValue | tuple[ResponseValue, StatusCode] | tuple[ResponseValue, HeadersValue]"
    " | tuple[ResponseValue, StatusCode, HeadersValue]"
)

ViewFunction: TypeAlias = Callable[..., Awaitable[Any]]
BeforeHook: TypeAlias = Callable[[], Awaitable[Any]]
AfterRequestHook: TypeAlias = "Callable[[Response], Awaitable[Response]]"
AfterWebsocketHook: TypeAlias = "Callable[[Response | None], Awaitable[Response | None]]"
TeardownHook: TypeAlias = Callable[[BaseException | None], Awaitable[None]]
ErrorHandler: TypeAlias = Callable[[Any], Awaitable[Any]]
ServingHook: TypeAlias = Callable[[], Awaitable[None]]
WhileServingHook: TypeAlias = Callable[[], AsyncGenerator[None, None]]
