"""Frames that keep ``str`` and ``bytes`` apart (``trioquart/broadcast/framing.py``)."""

from __future__ import annotations

import pytest

from trioquart.broadcast import Message
from trioquart.broadcast.framing import decode, encode


@pytest.mark.parametrize("message", ["text", "", "é", b"\x00bytes", b"", b"s", "b"])
def test_framing_round_trip_keeps_the_type(message: Message) -> None:
    received = decode(encode(message))
    assert received == message
    assert type(received) is type(message)


def test_framing_marks_the_type_in_one_byte() -> None:
    assert (encode("hi"), encode(b"hi")) == (b"shi", b"bhi")


@pytest.mark.parametrize("frame", [b"", b"xhello"])
def test_framing_refuses_foreign_frames(frame: bytes) -> None:
    with pytest.raises(ValueError, match=r"^Not a broadcast frame \(it starts with b'.*'"):
        decode(frame)
