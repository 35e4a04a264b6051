"""Response bodies of the less common kinds: async iterables that are not generators, empty
chunks in a stream, and an ``abort`` exception returned instead of raised."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from werkzeug.exceptions import HTTPException

from trioquart import Response, TrioQuart, abort, stream_with_context
from trioquart.testing import TestClient


class Countdown:
    """An async iterable that is not a generator: it has no ``aclose``."""

    def __init__(self, start: int) -> None:
        self._left = start

    def __aiter__(self) -> AsyncIterator[str]:
        return self

    async def __anext__(self) -> str:
        if self._left == 0:
            raise StopAsyncIteration
        self._left -= 1
        return f"{self._left + 1} "


async def test_async_iterable_without_aclose_streams_as_the_body(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/")
    async def view() -> Any:
        return Response(Countdown(3))

    assert await (await client.get("/")).get_data() == b"3 2 1 "
    head = await client.head("/")  # never read, and nothing to close
    assert head.status_code == 200
    assert await head.get_data() == b""


async def test_stream_with_context_over_an_iterable_without_aclose(
    app: TrioQuart, client: TestClient
) -> None:
    @stream_with_context
    def countdown() -> Countdown:
        return Countdown(2)

    @app.get("/")
    async def view() -> Any:
        return countdown()

    assert await (await client.get("/")).get_data() == b"2 1 "


async def test_empty_chunks_of_a_stream_are_not_sent(app: TrioQuart) -> None:
    """An empty chunk carries nothing, and a server may take it as the end of the body."""

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in (b"", b"a", b"", b"b"):
            yield chunk

    @app.get("/")
    async def view() -> Any:
        return chunks()

    sent: list[dict[str, Any]] = []

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        async def record(message: Any) -> None:
            sent.append(message)
            await send(message)

        await app(scope, receive, record)

    response = await TestClient(recording).get("/")
    assert await response.get_data() == b"ab"
    bodies = [
        (message["body"], message["more_body"])
        for message in sent
        if message["type"] == "http.response.body"
    ]
    assert bodies == [(b"a", True), (b"b", True), (b"", False)]


async def test_a_caught_abort_returned_as_the_value_sends_its_response(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/")
    async def view() -> Any:
        try:
            abort(Response("teapot", status=418))
        except HTTPException as error:
            return error

    response = await client.get("/")
    assert response.status_code == 418
    assert await response.get_data() == b"teapot"
