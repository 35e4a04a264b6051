"""One request read from several tasks at once: the body's chunks and the parsed form are
shared, never lost or read twice; and what the inbox skips."""

from __future__ import annotations

from typing import Any

import trio
import trio.testing

from trioquart import TrioQuart, request
from trioquart.asgi.request_inbox import RequestInbox
from trioquart.testing import TestClient


def chunk(body: bytes, more: bool = True) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


async def test_three_readers_share_the_body_chunks() -> None:
    to_inbox, from_server = trio.open_memory_channel[dict[str, Any]](10)
    inbox = RequestInbox(from_server.receive)
    read: list[bytes] = []

    async def reader() -> None:
        while (piece := await inbox.read_chunk()) is not None:
            read.append(piece)

    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(reader)
        # One reader waits in the server's receive, the other two for its news.
        await trio.testing.wait_all_tasks_blocked()
        for piece in (b"a", b"b", b"c"):
            await to_inbox.send(chunk(piece))
            await trio.testing.wait_all_tasks_blocked()
        await to_inbox.send(chunk(b"", more=False))
    assert sorted(read) == [b"a", b"b", b"c"]


async def test_messages_of_other_types_are_skipped_while_reading_the_body() -> None:
    to_inbox, from_server = trio.open_memory_channel[dict[str, Any]](10)
    for message in ({"type": "http.unknown"}, chunk(b"body"), chunk(b"", more=False)):
        to_inbox.send_nowait(message)
    inbox = RequestInbox(from_server.receive)
    assert await inbox.read_chunk() == b"body"
    assert await inbox.read_chunk() is None
    assert not inbox.disconnected


async def test_two_tasks_reading_a_large_form_get_the_same_parse(
    app: TrioQuart, client: TestClient
) -> None:
    """Both parse it (in worker threads: it is large); the first parse stored is the form."""
    value = "x" * 70_000  # above the size parsed on the event loop

    @app.post("/")
    async def view() -> Any:
        forms: list[Any] = []

        async def read_form() -> None:
            forms.append(await request.form)

        # One worker thread at a time, and none until both tasks wait for one: both have
        # read the body and started to parse by then.
        limiter = trio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = 1
        await limiter.acquire()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read_form)
            nursery.start_soon(read_form)
            await trio.testing.wait_all_tasks_blocked()
            limiter.release()
        first, second = forms
        return {"same": first is second, "length": len(first["field"])}

    response = await client.post("/", form={"field": value})
    assert await response.get_json() == {"same": True, "length": 70_000}


async def test_the_request_reports_its_body_limit(app: TrioQuart, client: TestClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1234

    @app.get("/")
    async def view() -> Any:
        return {"limit": request.max_content_length}

    assert await (await client.get("/")).get_json() == {"limit": 1234}
