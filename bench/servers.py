"""The servers stage: trioquart's built-in server beside Hypercorn and uvicorn, on one raw app.

Every server serves the same raw ASGI app (:mod:`bench.servers_child`: ``Hello, world!`` and a
websocket echo, no framework) in a process of its own pinned to the server CPU; the load comes
from another process pinned to the load CPU. Three figures per server:

- server CPU time per HTTP request: ``wrk -t1 -c10`` on keep-alive connections, the server's
  user + system time from ``/proc`` before and after, divided by the requests answered (and
  the requests per second of the same run);
- instructions per HTTP request under Cachegrind (full run only: a server runs about 50 times
  slower there): two runs of one keep-alive connection, one request at a time, ``short`` and
  ``short + requests`` requests; the difference of the counts divided by ``requests``, so
  that start-up, shutdown, the connection and the first requests cancel out;
- server CPU time per websocket echo (one message in, one out): 10 websockets each echoing
  64-byte text messages one after the other (:mod:`bench.servers_client`).

All the servers are started at once (an idle server costs no CPU) and warmed up; then they
take turns in every round, in an order that rotates from one round to the next. The tables
divide each figure by Hypercorn trio worker's and by uvicorn with httptools', and show the
goals of the issue that introduced the built-in server as plain facts.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.metadata
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench import wrk
from bench.apps import HELLO
from bench.instructions import SLOWDOWN
from bench.instructions import available as valgrind_available
from bench.process import (
    LOAD_CPU,
    READY_TIMEOUT,
    ROOT,
    STOP_TIMEOUT,
    Server,
    child_env,
    pinned,
    read_json_line,
    server_process,
)
from bench.procstat import CPU_TICK, cpu_seconds
from bench.report import Group, Results
from bench.servers_child import SERVERS
from bench.stats import Sample

HYPERCORN = "hypercorn-trio"
UVICORN = "uvicorn-httptools"
REFERENCES = (HYPERCORN, UVICORN)
_HTTP_GOALS = (
    ("builtin-h11", HYPERCORN, 1 / 3),
    ("builtin-httptools", HYPERCORN, 1 / 6),
    ("builtin-httptools", UVICORN, 1.2),
)
_WS_GOALS = (("builtin-h11", HYPERCORN, 0.6), ("builtin-httptools", HYPERCORN, 0.6))


def _version(distribution: str) -> str:
    try:
        return f"{distribution} {importlib.metadata.version(distribution)}"
    except importlib.metadata.PackageNotFoundError:
        return f"no {distribution}"


#: The versions of the peers that the machine line of the report does not name.
PEER_VERSIONS = ", ".join(_version(name) for name in ("uvicorn", "httptools"))

SERVERS_HTTP_CPU = Group(
    "servers_http_cpu",
    f"Servers: server CPU per HTTP request (raw app, wrk on keep-alive connections; "
    f"{PEER_VERSIONS})",
    "µs per request",
    higher_is_better=False,
    references=REFERENCES,
    ratio_goals=_HTTP_GOALS,
)
SERVERS_HTTP_RATE = Group(
    "servers_http_rate",
    "Servers: HTTP requests per second, same runs",
    "requests/s",
    references=REFERENCES,
)
SERVERS_INSTRUCTIONS = Group(
    "servers_instructions",
    "Servers: server instructions per HTTP request (raw app, under Cachegrind)",
    "M instructions",
    higher_is_better=False,
    references=REFERENCES,
    ratio_goals=_HTTP_GOALS,
)
SERVERS_WS_CPU = Group(
    "servers_ws_cpu",
    "Servers: server CPU per websocket echo (one message in, one out; raw app)",
    "µs per echo",
    higher_is_better=False,
    references=REFERENCES,
    ratio_goals=_WS_GOALS,
)
SERVERS_WS_RATE = Group(
    "servers_ws_rate",
    "Servers: websocket echoes per second, same runs",
    "echoes/s",
    references=REFERENCES,
)

_CACHEGRIND = ("valgrind", "--tool=cachegrind", "--cachegrind-out-file=/dev/null", "--cache-sim=no")
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")
#: The longest a websocket run may take.
RUN_TIMEOUT = 300.0
#: Requests per connection under Cachegrind: Hypercorn closes a connection after 1,000.
PER_CONNECTION = 500
_REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"


@dataclass(frozen=True)
class ServerSettings:
    """Durations and sizes of the servers stage.

    ``instruction_requests``: the requests that the Cachegrind figure is counted over, or None
    to leave that figure out (it takes minutes).
    """

    http_seconds: float
    ws_messages: int
    instruction_requests: int | None = None
    servers: tuple[str, ...] = SERVERS
    connections: int = 10
    ws_connections: int = 10
    warmup_seconds: float = 1.0
    #: The requests of the shorter Cachegrind run.
    instruction_short: int = 100


def http_scenario(settings: ServerSettings) -> str:
    """The HTTP load's name in the report."""
    return f"GET / (13 bytes), wrk -t1 -c{settings.connections}"


def ws_scenario(settings: ServerSettings) -> str:
    """The websocket load's name in the report."""
    return f"ws echo of 64-byte text, {settings.ws_connections} websockets"


INSTRUCTIONS_SCENARIO = "GET / (13 bytes), one connection, one request at a time"


# --- Server processes -------------------------------------------------------------------------


@contextlib.contextmanager
def running(
    name: str,
    *,
    wrapper: Sequence[str] = (),
    env: dict[str, str] | None = None,
    slowdown: float = 1.0,
    stderr: list[str] | None = None,
) -> Iterator[Server]:
    """Run server ``name`` (``python -m bench.servers_child``) on the server CPU; stop it (stdin
    end of file) when the block exits. ``wrapper``, ``slowdown`` and ``stderr`` as for
    :func:`bench.process.serving`."""
    command = [*wrapper, sys.executable, "-m", "bench.servers_child", name]
    env = {**child_env(), **(env or {})}
    # The exit status is not checked: some peers end with one of their own at the end of stdin.
    with server_process(
        command, env=env, slowdown=slowdown, stderr=stderr, check_exit=False
    ) as server:
        yield server


def check(server: Server) -> None:
    """Fail unless ``GET /`` answers 200 with the hello body (a fast wrong answer is no
    result)."""
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200 or body != HELLO.encode():
        raise RuntimeError(f"GET / answered {response.status} {body[:200]!r}")


# --- The measures -----------------------------------------------------------------------------


def http_load(server: Server, settings: ServerSettings, seconds: float) -> tuple[Sample, Sample]:
    """µs of server CPU per request and requests/s of one wrk run (extras: ``count`` and
    ``errors`` if any, on both)."""
    before = cpu_seconds(server.pid)
    run = wrk.run(server.url + "/", connections=settings.connections, seconds=seconds, cpu=LOAD_CPU)
    cpu = max(cpu_seconds(server.pid) - before, CPU_TICK)
    count = run.extras["count"]
    if not count:
        raise RuntimeError(f"no request answered at {server.url}")
    extras: dict[str, float] = {k: run.extras[k] for k in ("count", "errors") if k in run.extras}
    return Sample(cpu / count * 1e6, extras), Sample(run.value, extras)


def ws_load(server: Server, settings: ServerSettings) -> tuple[Sample, Sample]:
    """µs of server CPU per echo and echoes/s of one run of :mod:`bench.servers_client`
    (extras: ``count``)."""
    command = [sys.executable, "-m", "bench.servers_client", server.ws_url + "/ws"]
    command += ["--connections", str(settings.ws_connections)]
    command += ["--messages", str(settings.ws_messages)]
    with subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=child_env(),
        preexec_fn=pinned(LOAD_CPU),
    ) as client:
        assert client.stdin is not None
        assert client.stdout is not None
        try:
            read_json_line(client.stdout, READY_TIMEOUT, client)
            before = cpu_seconds(server.pid)
            client.stdin.write("go\n")
            client.stdin.flush()
            done = read_json_line(client.stdout, RUN_TIMEOUT, client)
            cpu = max(cpu_seconds(server.pid) - before, CPU_TICK)
        except RuntimeError:
            client.wait()
            stderr = client.stderr.read() if client.stderr else ""
            raise RuntimeError(f"websocket client failed: {stderr[-2000:]}") from None
        client.stdin.close()
        if client.wait(STOP_TIMEOUT) != 0:
            stderr = client.stderr.read() if client.stderr else ""
            raise RuntimeError(f"websocket client failed at the close: {stderr[-2000:]}")
    echoes = float(done["echoes"])
    extras = {"count": echoes}
    return Sample(cpu / echoes * 1e6, extras), Sample(echoes / done["elapsed"], extras)


def _requests(url: str, count: int) -> None:
    """``count`` requests one after the other, each checked, on keep-alive connections of at
    most :data:`PER_CONNECTION` requests each."""
    parts = urlsplit(url)
    expected = HELLO.encode()
    for first in range(0, count, PER_CONNECTION):
        with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
            buffer = b""
            for _ in range(min(PER_CONNECTION, count - first)):
                sock.sendall(_REQUEST)
                while b"\r\n\r\n" not in buffer:
                    buffer += _receive(sock)
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                while len(buffer) < len(expected):
                    buffer += _receive(sock)
                body, buffer = buffer[: len(expected)], buffer[len(expected) :]
                if not head.startswith(b"HTTP/1.1 200") or body != expected:
                    raise RuntimeError(f"GET / answered {head[:100]!r} {body!r}")


def _receive(sock: socket.socket) -> bytes:
    data = sock.recv(65536)
    if not data:
        raise RuntimeError("the server closed the connection")
    return data


def _instructions(name: str, requests: int) -> int:
    """Instructions a server executes from its start to its stop, ``requests`` answered."""
    stderr: list[str] = []
    # A fixed hash seed: the same dict layouts in both runs, so that the difference is the
    # requests' alone.
    env = {"PYTHONHASHSEED": "0"}
    with running(name, wrapper=_CACHEGRIND, env=env, slowdown=SLOWDOWN, stderr=stderr) as server:
        _requests(server.url, requests)
    found = _REFS.search(stderr[0])
    if found is None:
        raise RuntimeError(f"{name}: Cachegrind reported no instruction count")
    return int(found.group(1).replace(",", ""))


def instructions_per_request(name: str, settings: ServerSettings) -> Sample:
    """Millions of instructions per request (extras: ``count``, the requests counted over)."""
    assert settings.instruction_requests is not None
    short = _instructions(name, settings.instruction_short)
    long = _instructions(name, settings.instruction_short + settings.instruction_requests)
    count = settings.instruction_requests
    return Sample((long - short) / count / 1e6, {"count": float(count)})


# --- The stage --------------------------------------------------------------------------------


def _rotated(items: Sequence[str], round_index: int) -> list[str]:
    shift = round_index % len(items)
    return [*items[shift:], *items[:shift]]


def run(
    settings: ServerSettings,
    rounds: int,
    results: Results,
    progress: Callable[[str], None],
) -> None:
    """Measure every server of ``settings`` that starts, in ``rounds`` interleaved rounds, then
    (if asked and Valgrind is installed) their instructions per request; record the figures.
    A server that does not start (uvicorn or httptools not installed, say) is skipped."""
    with contextlib.ExitStack() as stack:
        progress("servers: starting " + ", ".join(settings.servers))
        servers: dict[str, Server] = {}
        for name in settings.servers:
            try:
                servers[name] = stack.enter_context(running(name))
                check(servers[name])
            except RuntimeError as error:
                results.skipped[name] = str(error).strip().splitlines()[-1]
        if not servers:
            return
        names = list(servers)
        results.contenders += [name for name in names if name not in results.contenders]
        for name in names:
            progress(f"servers: warming up {name}")
            http_load(servers[name], settings, settings.warmup_seconds)
        http, ws = http_scenario(settings), ws_scenario(settings)
        for round_index in range(rounds):
            progress(f"servers, round {round_index + 1}/{rounds}: HTTP, then websockets")
            turn = _rotated(names, round_index)
            for name in turn:
                per_request, rate = http_load(servers[name], settings, settings.http_seconds)
                results.add(SERVERS_HTTP_CPU, http, name, per_request)
                results.add(SERVERS_HTTP_RATE, http, name, rate)
            for name in turn:
                per_echo, rate = ws_load(servers[name], settings)
                results.add(SERVERS_WS_CPU, ws, name, per_echo)
                results.add(SERVERS_WS_RATE, ws, name, rate)
    if settings.instruction_requests is None:
        return
    if not valgrind_available():
        results.skipped["servers (instructions)"] = "Valgrind or wrk is not installed"
        return
    for name in names:
        progress(f"servers: {name} under Cachegrind")
        sample = instructions_per_request(name, settings)
        results.add(SERVERS_INSTRUCTIONS, INSTRUCTIONS_SCENARIO, name, sample)
