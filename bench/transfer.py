"""Server memory and throughput while one large file goes over one connection, each way.

Each contender's app serves the files of a temporary folder at ``GET /files/<name>`` and saves
uploads there from ``POST /uploads`` (see :data:`bench.apps.FILES_DIR_VAR`), its framework's
ordinary way, from a fresh ``bench.server`` process. The folder holds sparse files
(``truncate``): reading them returns zeros without touching the disk, so the download figures
are the server's and not the disk's. They are read once before the first contender, so that
none pays for filling the page cache (which made the first server of a run take twice the CPU
time of the others).

Every scenario is a :class:`Transfer`: a name, the bytes it moves, a client and a 1 MiB
warm-up of the same kind, run first so that modules imported on first use are not charged to
the transfer. Then the server's RSS is read, its peak (``VmHWM``) is reset to it, and a client
in this process (h11 over a trio socket, on the load CPU) moves the bytes while the server's
RSS is read every 50 ms; then its peak, and, after a pause, its RSS once more. The download
counts and discards the body; the upload sends a ``multipart/form-data`` body of one file part
and checks the size the server says it saved, and the saved file is deleted afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import h11
import trio

from bench.apps import FILES_DIR_VAR, UPLOAD_FIELD, UPLOAD_NAME, Contender
from bench.process import LOAD_CPU, Server, serving
from bench.procstat import cpu_seconds, peak_rss_kib, reset_peak_rss, rss_kib
from bench.stats import Sample

WARMUP_NAME = "warmup"
WARMUP_BYTES = 1 << 20
DOWNLOAD_NAME = "download"
UPLOAD_TARGET = "/uploads"
SAMPLE_SECONDS = 0.05
SETTLE_SECONDS = 0.3
RECEIVE_BYTES = 256 * 1024
SEND_BYTES = 256 * 1024
BOUNDARY = "bench-transfer-3f9c2a1e7b"
READ_AHEAD_BYTES = 1 << 20
TIMEOUT_SECONDS = 600.0

#: A client: given the server's host and port, move the bytes; return how many arrived.
Client = Callable[[str, int], Awaitable[int]]


@dataclass(frozen=True)
class TransferSettings:
    """The size of each transfer, in bytes (for an upload, of the file in the form)."""

    download: int
    upload: int


@dataclass(frozen=True)
class Transfer:
    """One scenario: a client that moves ``size`` bytes, and one that moves a little first."""

    kind: str
    size: int
    client: Client
    warmup: Client

    @property
    def name(self) -> str:
        """The scenario's name in the report: ``1 GiB download``."""
        return f"{size_label(self.size)} {self.kind}"


@dataclass(frozen=True)
class Measured:
    """One transfer: bytes moved, wall, server and client CPU seconds, server RSS in KiB."""

    size: int
    seconds: float
    server_cpu: float
    client_cpu: float
    rss_before: int
    rss_peak: int
    rss_after: int
    rss_reads: int


def size_label(size: int) -> str:
    """``1 GiB``, ``128 MiB``..."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} B"


def rss_samples(measured: Measured) -> dict[str, Sample]:
    """The server's RSS in MiB before, at its peak during and after a transfer, by row."""
    return {
        "before": Sample(measured.rss_before / 1024),
        "peak during": Sample(measured.rss_peak / 1024),
        "after": Sample(measured.rss_after / 1024),
    }


def growth_samples(measured: Measured) -> dict[str, Sample]:
    """How much the server's RSS grew in KiB: at its peak, and once done, by row."""
    return {
        "peak - before": Sample(measured.rss_peak - measured.rss_before),
        "after - before": Sample(measured.rss_after - measured.rss_before),
    }


def transfers(settings: TransferSettings) -> list[Transfer]:
    """The scenarios of a run, in order."""
    download, warmup = f"/files/{DOWNLOAD_NAME}", f"/files/{WARMUP_NAME}"
    return [
        Transfer(
            "download",
            settings.download,
            _downloader(download, settings.download),
            _downloader(warmup, WARMUP_BYTES),
        ),
        Transfer(
            "upload",
            settings.upload,
            _uploader(UPLOAD_TARGET, settings.upload),
            _uploader(UPLOAD_TARGET, WARMUP_BYTES),
        ),
    ]


@contextlib.contextmanager
def files_folder(settings: TransferSettings) -> Iterator[Path]:
    """A temporary folder with the sparse files to download (removed afterwards), read once
    here so that every contender finds them in the page cache alike."""
    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as folder:
        for name, size in ((WARMUP_NAME, WARMUP_BYTES), (DOWNLOAD_NAME, settings.download)):
            with open(os.path.join(folder, name), "w+b") as file:
                file.truncate(size)
                while file.read(READ_AHEAD_BYTES):
                    pass
        yield Path(folder)


def run(contender: Contender, settings: TransferSettings, folder: Path) -> dict[str, Measured]:
    """Serve ``folder`` (see :func:`files_folder`) from a fresh server and measure every
    transfer on it, each after its warm-up, by scenario name."""
    results = {}
    uploaded = folder / UPLOAD_NAME
    with serving(contender, extra_env={FILES_DIR_VAR: str(folder)}) as server:
        host, port = _address(server)
        for transfer in transfers(settings):
            try:
                warmup = trio.run(transfer.warmup, host, port)
                _check(warmup, WARMUP_BYTES, f"warm-up {transfer.kind}")
                results[transfer.name] = measure(server, transfer)
            finally:
                uploaded.unlink(missing_ok=True)
    return results


def measure(server: Server, transfer: Transfer) -> Measured:
    """Run one transfer while reading the server's RSS."""
    host, port = _address(server)
    time.sleep(SETTLE_SECONDS)
    before = rss_kib(server.pid)
    peak_reset = reset_peak_rss(server.pid)
    cpu_before, client_before = cpu_seconds(server.pid), time.thread_time()
    with _on_load_cpu():
        moved, seconds, sampled_peak, reads = trio.run(_sampled, server.pid, transfer, host, port)
    server_cpu = cpu_seconds(server.pid) - cpu_before
    client_cpu = time.thread_time() - client_before
    # Without the reset, VmHWM may be the start-up's peak: only the samples are this run's.
    peak = max(sampled_peak, peak_rss_kib(server.pid)) if peak_reset else sampled_peak
    _check(moved, transfer.size, transfer.name)
    time.sleep(SETTLE_SECONDS)
    after = rss_kib(server.pid)
    return Measured(moved, seconds, server_cpu, client_cpu, before, peak, after, reads)


def rate_sample(measured: Measured) -> Sample:
    """MB/s (10^6 bytes), with everything measured as extras."""
    return Sample(measured.size / measured.seconds / 1e6, _extras(measured))


def per_cpu_sample(measured: Measured) -> Sample:
    """MB per server CPU second."""
    cpu = measured.server_cpu
    return Sample(measured.size / cpu / 1e6 if cpu else 0.0, _extras(measured))


def _extras(measured: Measured) -> dict[str, float]:
    return {
        "bytes": measured.size,
        "seconds": measured.seconds,
        "server_cpu_s": measured.server_cpu,
        "client_cpu_s": measured.client_cpu,
        "rss_before_kib": measured.rss_before,
        "rss_peak_kib": measured.rss_peak,
        "rss_after_kib": measured.rss_after,
        "rss_reads": measured.rss_reads,
    }


def _address(server: Server) -> tuple[str, int]:
    parts = urlsplit(server.url)
    if parts.hostname is None or parts.port is None:
        raise RuntimeError(f"no host and port in {server.url}")
    return parts.hostname, parts.port


def _check(moved: int, expected: int, what: str) -> None:
    if moved != expected:
        raise RuntimeError(f"{what}: {moved:,} bytes arrived, not {expected:,}")


@contextlib.contextmanager
def _on_load_cpu() -> Iterator[None]:
    """Pin this thread (the client) to the load CPU during the block, away from the server."""
    if LOAD_CPU is None:
        yield
        return
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {LOAD_CPU})
    try:
        yield
    finally:
        os.sched_setaffinity(0, previous)


async def _sampled(
    pid: int, transfer: Transfer, host: str, port: int
) -> tuple[int, float, int, int]:
    """Bytes moved, seconds, highest RSS read (KiB) and how many reads."""
    peak = rss_kib(pid)
    reads = 1

    async def sample() -> None:
        nonlocal peak, reads
        while True:
            await trio.sleep(SAMPLE_SECONDS)
            peak = max(peak, rss_kib(pid))
            reads += 1

    with trio.fail_after(TIMEOUT_SECONDS):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(sample)
            started = time.perf_counter()
            moved = await transfer.client(host, port)
            seconds = time.perf_counter() - started
            nursery.cancel_scope.cancel()
    return moved, seconds, peak, reads


def _downloader(target: str, size: int) -> Client:
    """A client that GETs ``target`` on a fresh connection and counts the body's bytes."""

    async def download(host: str, port: int) -> int:
        connection = h11.Connection(h11.CLIENT)
        headers = [("Host", f"{host}:{port}"), ("Connection", "close")]
        request = h11.Request(method="GET", target=target, headers=headers)
        async with await trio.open_tcp_stream(host, port) as stream:
            for message in (request, h11.EndOfMessage()):
                await stream.send_all(connection.send(message) or b"")
            received = 0
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    connection.receive_data(await stream.receive_some(RECEIVE_BYTES))
                elif isinstance(event, h11.Response):
                    if event.status_code != 200:
                        raise RuntimeError(f"GET {target}: status {event.status_code}")
                    length = dict(event.headers).get(b"content-length")
                    if length is not None and int(length) != size:
                        raise RuntimeError(f"GET {target}: Content-Length {int(length):,}")
                elif isinstance(event, h11.Data):
                    received += len(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    return received

    return download


def _uploader(target: str, size: int) -> Client:
    """A client that POSTs to ``target``, on a fresh connection, a ``multipart/form-data`` body
    whose one part is a file of ``size`` bytes, sent in chunks with a ``Content-Length``, and
    returns ``size`` once the server's JSON reply says that it saved that many bytes (or the
    whole body's length: the raw app writes the body as it comes, without parsing it)."""
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{UPLOAD_FIELD}"; filename="upload.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    length = len(head) + size + len(tail)

    async def upload(host: str, port: int) -> int:
        headers = [
            ("Host", f"{host}:{port}"),
            ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"),
            ("Content-Length", str(length)),
            ("Connection", "close"),
        ]
        request = h11.Request(method="POST", target=target, headers=headers)
        connection = h11.Connection(h11.CLIENT)
        stream = await trio.open_tcp_stream(host, port)
        try:
            async with stream, trio.open_nursery() as nursery:
                # Sent beside the reading, so that an early refusal (413) is read, not lost.
                nursery.start_soon(_send_form, stream, connection, request, (head, size, tail))
                reply = await _read_reply(stream, connection)
        except ExceptionGroup as group:  # the nursery's; the runner expects one RuntimeError
            first = group.exceptions[0]
            raise RuntimeError(f"POST {target}: {str(first) or type(first).__name__}") from group
        saved = json.loads(reply)["saved"]
        if saved not in (size, length):
            raise RuntimeError(f"POST {target}: {saved:,} bytes saved, not {size:,}")
        return size

    return upload


async def _send_form(
    stream: trio.SocketStream,
    connection: h11.Connection,
    request: h11.Request,
    parts: tuple[bytes, int, bytes],
) -> None:
    """Send ``request`` and its body: the form's head, ``size`` bytes of content, its tail;
    stop if the server closes the connection (its reply, or its silence, tells why)."""
    head, size, tail = parts
    with contextlib.suppress(trio.BrokenResourceError):
        await stream.send_all(connection.send(request) or b"")
        await stream.send_all(connection.send(h11.Data(data=head)) or b"")
        remaining = size
        while remaining > 0:
            chunk = _CONTENT[: min(SEND_BYTES, remaining)]
            await stream.send_all(connection.send(h11.Data(data=chunk)) or b"")
            remaining -= len(chunk)
        for message in (h11.Data(data=tail), h11.EndOfMessage()):
            await stream.send_all(connection.send(message) or b"")


async def _read_reply(stream: trio.SocketStream, connection: h11.Connection) -> bytes:
    """The body of a 200 response (anything else raises ``RuntimeError``)."""
    reply = bytearray()
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await stream.receive_some(RECEIVE_BYTES))
        elif isinstance(event, h11.Response):
            if event.status_code != 200:
                raise RuntimeError(f"status {event.status_code}")
        elif isinstance(event, h11.Data):
            reply += event.data
        elif isinstance(event, h11.EndOfMessage):
            return bytes(reply)
        elif isinstance(event, h11.ConnectionClosed):
            raise RuntimeError("the connection closed before the reply ended")


#: What the uploads send, again and again: pseudo-random bytes, so that the parsers meet the
#: CRs and LFs that may start a delimiter (zeros would let them skip whole chunks).
_CONTENT = random.Random(12).randbytes(SEND_BYTES)
