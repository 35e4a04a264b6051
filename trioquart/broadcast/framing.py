"""How a message travels through a byte-only transport (Redis): one leading byte says whether
it was published as ``str`` (``s``, then UTF-8) or ``bytes`` (``b``, then the bytes), so it is
received as the type it was published as. I/O free."""

from __future__ import annotations

from .errors import Message


def encode(message: Message) -> bytes:
    """``message`` as a frame."""
    if isinstance(message, str):
        return b"s" + message.encode()
    return b"b" + message


def decode(frame: bytes) -> Message:
    """The message that ``frame`` carries.

    Raises:
        ValueError: ``frame`` was not made by ``encode`` (someone else published on the
            channel).
    """
    kind, body = frame[:1], frame[1:]
    if kind == b"s":
        return body.decode()
    if kind == b"b":
        return body
    raise ValueError(f"Not a broadcast frame (it starts with {frame[:1]!r}, not b's' or b'b')")
