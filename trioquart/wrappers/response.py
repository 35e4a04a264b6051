"""Response: status, headers and a body that is bytes or an async iterator of chunks.

Werkzeug's sans-I/O response supplies headers, status, mimetype and cookies; this class adds
the body and the async accessors the test client and after-request hooks use.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterable
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.sansio.response import Response as _SansIOResponse


class Response(_SansIOResponse):
    """An HTTP response.

    Args:
        body: ``bytes``/``str`` (sent at once, with ``Content-Length``) or an async iterable of
            ``bytes``/``str`` chunks (streamed, each chunk sent as it is produced).
        status: the status code (default 200).
        headers: extra headers.
        mimetype: the media type; ``text/html`` by default (with ``charset=utf-8``).
        content_type: the full ``Content-Type``, overriding ``mimetype``.
    """

    default_mimetype = "text/html"

    def __init__(
        self,
        body: str | bytes | AsyncIterable[bytes] | AsyncIterable[str] | None = None,
        status: int | None = None,
        headers: Headers | dict[str, str] | list[tuple[str, str]] | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
    ) -> None:
        super().__init__(
            status=status, headers=headers, mimetype=mimetype, content_type=content_type
        )
        self.body: bytes | AsyncIterable[bytes] | AsyncIterable[str] = b""
        self.set_data(b"" if body is None else body)

    def set_data(self, data: str | bytes | AsyncIterable[bytes] | AsyncIterable[str]) -> None:
        """Replace the body; a ``bytes``/``str`` body also sets ``Content-Length``."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if isinstance(data, bytes | bytearray | memoryview):
            self.body = bytes(data)
            self.headers["Content-Length"] = str(len(self.body))
        else:
            self.body = data
            self.headers.pop("Content-Length", None)

    @property
    def is_streamed(self) -> bool:
        """Whether the body is an async iterator (sent chunk by chunk)."""
        return not isinstance(self.body, bytes)

    async def iter_body(self) -> AsyncGenerator[bytes, None]:
        """Yield the body as ``bytes`` chunks (one chunk for a ``bytes`` body)."""
        if isinstance(self.body, bytes):
            yield self.body
            return
        async for chunk in self.body:
            yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)

    async def get_data(self, *, as_text: bool = False) -> Any:
        """Return the whole body, consuming a streamed body (which is then kept as bytes).

        Returns:
            ``bytes``, or ``str`` decoded as UTF-8 with ``as_text=True``.
        """
        if not isinstance(self.body, bytes):
            self.set_data(b"".join([chunk async for chunk in self.iter_body()]))
        assert isinstance(self.body, bytes)
        return self.body.decode("utf-8") if as_text else self.body

    async def get_json(self) -> Any:
        """Parse the body as JSON.

        Raises:
            ValueError: the body is not valid JSON.
        """
        return json.loads(await self.get_data())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status!r}>"
