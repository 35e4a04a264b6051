"""Reassembling a client's websocket frames into the messages the application receives."""

from __future__ import annotations

from wsproto.events import BytesMessage, TextMessage

from .types import Message


class MessageTooBigError(Exception):
    """A message grew past the size limit (the connection is then closed with 1009)."""


class MessageAssembler:
    """Joins the fragments wsproto reports into whole ``websocket.receive`` messages.

    Text stays ``str`` and binary stays ``bytes``; the size limit counts the bytes on the wire
    (UTF-8 for text) and is checked as fragments arrive, so an oversized message is refused
    before it is held in full.
    """

    def __init__(self, max_size: int) -> None:
        self._max_size = max_size
        self._text: list[str] = []
        self._binary: list[bytes] = []
        self._size = 0

    def add(self, event: TextMessage | BytesMessage) -> Message | None:
        """Take one fragment; return the message it completes, if it does.

        Raises:
            MessageTooBigError: the message so far is larger than the limit.
        """
        if isinstance(event, TextMessage):
            self._grow(len(event.data.encode()))
            self._text.append(event.data)
        else:
            self._grow(len(event.data))
            self._binary.append(bytes(event.data))
        if not event.message_finished:
            return None
        self._size = 0
        if isinstance(event, TextMessage):
            text, self._text = "".join(self._text), []
            return {"type": "websocket.receive", "text": text}
        data, self._binary = b"".join(self._binary), []
        return {"type": "websocket.receive", "bytes": data}

    def _grow(self, size: int) -> None:
        self._size += size
        if self._size > self._max_size:
            raise MessageTooBigError(f"websocket message over {self._max_size} bytes")
