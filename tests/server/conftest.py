"""The built-in server on 127.0.0.1, and a raw HTTP/1.1 client to talk to it.

``served(nursery, app, **options)`` serves ``app`` for a block on an ephemeral port and checks
for leaks when the block ends: once the block's clients have left, the process's tasks and
files must come back to what they were when the server had started. ``RawClient`` sends bytes
as given and parses what comes back, so malformed and pipelined requests can be tested.
``certificate`` is a self-signed certificate for 127.0.0.1, made with the ``openssl`` tool
(neither ``trustme`` nor ``cryptography`` is installed).
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import trio
import trio.testing

from tests.e2e.conftest import Baseline
from trioquart.server import ServerConfig, serve
from trioquart.server.http11 import HTTP11Connection
from trioquart.server.types import ASGIApp, Receive, Scope, Send


@dataclass
class Running:
    """A server started by ``served``."""

    urls: list[str]
    host: str
    port: int
    stop: trio.Event
    finished: trio.Event


@asynccontextmanager
async def served(
    nursery: trio.Nursery, app: ASGIApp, *, check_leaks: bool = True, **options: object
) -> AsyncIterator[Running]:
    """``app`` served on 127.0.0.1 with a port of the system's choosing, for the block.

    The server is stopped when the block ends (unless the block stopped it), after the leak
    check. A block that raises skips the check (its error says more).
    """
    settings: dict[str, object] = {"host": "127.0.0.1", "port": 0, **options}
    config = ServerConfig(**settings)  # type: ignore[arg-type]
    stop = trio.Event()
    finished = trio.Event()

    async def run(task_status: trio.TaskStatus[list[str]]) -> None:
        try:
            await serve(app, config, shutdown_trigger=stop, task_status=task_status)
        finally:
            finished.set()

    urls = await nursery.start(run)
    host, _, port = urls[0].partition("://")[2].rpartition(":")
    running = Running(urls, host, int(port) if port.isdigit() else 0, stop, finished)
    try:
        await trio.testing.wait_all_tasks_blocked()
        baseline = Baseline.now()
        yield running
        if check_leaks:
            await baseline.wait_until_back()
    finally:
        stop.set()
        with trio.fail_after(30):
            await finished.wait()


@dataclass
class Response:
    """A parsed HTTP response."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    chunked: bool = False

    def header(self, name: str) -> str | None:
        """The first value of the header ``name`` (any case), or ``None``."""
        for found, value in self.headers:
            if found.lower() == name.lower():
                return value
        return None


@dataclass
class RawClient:
    """A TCP connection that sends raw bytes and reads parsed responses."""

    stream: trio.abc.Stream
    buffer: bytes = b""
    eof: bool = False
    chunks: list[bytes] = field(default_factory=list)

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, running: Running, *, certificate: Path | None = None
    ) -> AsyncIterator[RawClient]:
        """Connect to ``running`` (over TLS trusting ``certificate`` if given); closed when the
        block ends."""
        stream: trio.abc.Stream = await trio.open_tcp_stream(running.host, running.port)
        if certificate is not None:
            context = ssl.create_default_context(cafile=str(certificate))
            stream = trio.SSLStream(stream, context, server_hostname=running.host)
        async with stream:
            yield cls(stream)

    async def send(self, data: bytes) -> None:
        """Send ``data`` as it is."""
        await self.stream.send_all(data)

    async def fill(self) -> bool:
        """Read once more; ``False`` at the end of the stream."""
        try:
            data = await self.stream.receive_some(65536)
        except trio.BrokenResourceError:
            data = b""
        self.buffer += data
        self.eof = not data
        return bool(data)

    async def response(self, *, head: bool = False) -> Response:
        """The next response (``head``: to a HEAD request, so without a body)."""
        while b"\r\n\r\n" not in self.buffer:
            if not await self.fill():
                raise EOFError(f"no response, got {self.buffer!r}")
        raw_head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = raw_head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ")[1])
        headers = [
            (name.strip(), value.strip())
            for name, _, value in (line.partition(":") for line in lines)
        ]
        response = Response(status, headers, b"")
        if head or status in (100, 204, 304):
            return response
        if response.header("transfer-encoding") == "chunked":
            response.chunked = True
            response.body = await self._chunked()
        elif (length := response.header("content-length")) is not None:
            while len(self.buffer) < int(length):
                if not await self.fill():
                    raise EOFError("body cut short")
            response.body, self.buffer = self.buffer[: int(length)], self.buffer[int(length) :]
        else:
            while await self.fill():
                pass
            response.body, self.buffer = self.buffer, b""
        return response

    async def _chunked(self) -> bytes:
        """A chunked body, up to its last chunk."""
        body = b""
        while True:
            while b"\r\n" not in self.buffer:
                if not await self.fill():
                    raise EOFError(f"chunked body cut short after {body!r}")
            size_line, _, rest = self.buffer.partition(b"\r\n")
            size = int(size_line, 16)
            while len(rest) < size + 2:
                if not await self.fill():
                    raise EOFError(f"chunked body cut short after {body!r}")
                rest = self.buffer.partition(b"\r\n")[2]
            self.chunks.append(rest[:size])
            body += rest[:size]
            self.buffer = rest[size + 2 :]
            if size == 0:
                return body

    async def closed(self) -> bool:
        """Whether the server closes the connection without sending anything more."""
        while await self.fill():
            pass
        return self.buffer == b""


def get(path: str = "/", *headers: str, method: str = "GET", version: str = "1.1") -> bytes:
    """A request head for ``path``, with a ``Host`` header and ``headers``."""
    lines = [f"{method} {path} HTTP/{version}", "Host: test", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def respond(send: Send, status: int = 200, body: bytes = b"", **options: object) -> None:
    """Send a whole response: its start, then ``body`` at once."""
    headers = options.get("headers", [(b"content-type", b"text/plain")])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive) -> bytes:
    """The whole request body."""
    body = b""
    while True:
        message = await receive()
        assert message["type"] == "http.request", message
        body += bytes(message.get("body", b""))
        if not message.get("more_body", False):
            return body


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers every request with ``hello``; has no lifespan."""
    if scope["type"] != "http":
        raise RuntimeError("http only")
    await respond(send, body=b"hello")


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made with the openssl tool."""
    openssl = shutil.which("openssl")
    if openssl is None:  # pragma: no cover - the test images have openssl
        pytest.skip("no openssl to make a certificate with")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt"),
            *("ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@asynccontextmanager
async def tls_client(certificate: tuple[Path, Path]) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client trusting ``certificate``."""
    context = ssl.create_default_context(cafile=str(certificate[0]))
    async with httpx.AsyncClient(verify=context) as client:
        yield client


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """A server TLS context for ``certificate``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def memory_connection(
    stream: trio.abc.Stream, stopping: trio.Event | None = None
) -> HTTP11Connection:
    """A connection serving ``hello`` on ``stream`` (an in-memory one), outside any server."""
    return HTTP11Connection(
        stream,
        hello,
        ServerConfig(),
        secure=False,
        client=None,
        server=None,
        state=None,
        stopping=trio.Event() if stopping is None else stopping,
    )
