"""Testing websocket handlers with the in-process test client (pytest with pytest-trio)."""

from __future__ import annotations

import base64

import pytest

from trioquart.testing import WebsocketDisconnectError, WebsocketResponseError

from .websockets_closing import app as closing_app
from .websockets_echo import app as echo_app
from .websockets_reject import app as reject_app


async def test_echo_keeps_the_frame_type() -> None:
    client = echo_app.test_client()
    async with client.websocket("/ws") as ws:
        await ws.send("text")
        assert await ws.receive() == "text"
        await ws.send(b"\x00\x01")
        assert await ws.receive() == b"\x00\x01"


async def test_wrong_password_is_rejected() -> None:
    client = reject_app.test_client()
    token = base64.b64encode(b"alice:wrong").decode()
    with pytest.raises(WebsocketResponseError) as info:  # raised on entering the block
        async with client.websocket("/chat", headers={"Authorization": f"Basic {token}"}):
            pass
    assert info.value.response.status_code == 403
    assert await info.value.response.get_data() == b"Invalid password"


async def test_close_code_reaches_the_client() -> None:
    client = closing_app.test_client()
    async with client.websocket("/goodbye") as ws:
        assert await ws.receive() == "goodbye"
        with pytest.raises(WebsocketDisconnectError) as info:
            await ws.receive()
    assert (info.value.code, info.value.reason) == (4000, "come back tomorrow")
