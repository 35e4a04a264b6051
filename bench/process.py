"""Child processes of the end-to-end scenarios: the server under test and load generators.

On a machine with at least two cores the server is pinned to CPU 0 and the load generator to
CPU 1, so that they do not steal time from each other.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bench.apps import Contender

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def cpus() -> list[int]:
    """The CPUs this process may run on."""
    return sorted(os.sched_getaffinity(0))


SERVER_CPU: int | None = cpus()[0] if len(cpus()) >= 2 else None
LOAD_CPU: int | None = cpus()[1] if len(cpus()) >= 2 else None


def pinned(cpu: int | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` that pins the child to ``cpu`` (None: no pinning)."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def child_env() -> dict[str, str]:
    """The environment of child processes: ``bench`` importable from the repository root."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def read_json_line(stream: IO[str], timeout: float, proc: subprocess.Popen[str]) -> Any:
    """Read one JSON line from a child, failing after ``timeout`` seconds or if it exits."""
    ready, _, _ = select.select([stream], [], [], timeout)
    line = stream.readline() if ready else ""
    if not line:
        proc.kill()
        raise RuntimeError("child process gave no answer")
    return json.loads(line)


@dataclass
class Server:
    """A running server process."""

    proc: subprocess.Popen[str]
    url: str
    pid: int

    @property
    def ws_url(self) -> str:
        """The base URL with the ``ws`` scheme."""
        return "ws" + self.url.removeprefix("http")


def _stderr_tail(log: IO[str]) -> str:
    log.seek(0)
    return log.read()[-2000:].strip()


def _stop(proc: subprocess.Popen[str], *, kill: bool, timeout: float = STOP_TIMEOUT) -> None:
    """Close the child's stdin (its signal to stop gracefully) and wait; or kill it outright."""
    if kill:
        proc.kill()
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def serving(
    contender: Contender,
    *,
    kill: bool = False,
    wrapper: Sequence[str] = (),
    extra_env: Mapping[str, str] | None = None,
    slowdown: float = 1.0,
    stderr: list[str] | None = None,
) -> Iterator[Server]:
    """Serve the contender's app with ``python -m bench.server`` and stop it (stdin EOF) when
    the block exits.

    ``kill``: kill it instead, without checking how it exits (thousands of open websockets take
    seconds to close gracefully, which measures nothing). ``wrapper``: a command that runs the
    server (Valgrind, say), which ``slowdown`` times slower start-up and shutdown are allowed.
    ``stderr``: receives everything the process wrote there, once it has stopped.
    """
    command = [*wrapper, sys.executable, "-m", "bench.server", contender.module]
    if contender.source is not None:
        command += ["--source", contender.source]
    env = child_env()
    env.update(extra_env or {})
    with server_process(command, env=env, kill=kill, slowdown=slowdown, stderr=stderr) as server:
        yield server


@contextlib.contextmanager
def server_process(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    kill: bool = False,
    slowdown: float = 1.0,
    stderr: list[str] | None = None,
    check_exit: bool = True,
) -> Iterator[Server]:
    """Run ``command`` on the server CPU, a child that prints ``{"urls": [...], "pid": ...}``
    once it listens and stops gracefully at the end of its stdin; stop it when the block
    exits. ``kill``, ``slowdown`` and ``stderr`` as for :func:`serving`; ``check_exit``: fail
    if it exited with an error."""
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            cwd=ROOT,
            env=dict(env),
            preexec_fn=pinned(SERVER_CPU),
        )
        assert proc.stdout is not None
        assert proc.stdin is not None
        try:
            try:
                hello = read_json_line(proc.stdout, READY_TIMEOUT * slowdown, proc)
            except RuntimeError:
                proc.wait()
                raise RuntimeError(f"{command[-1]} did not start: {_stderr_tail(log)}") from None
            yield Server(proc, hello["urls"][0], hello["pid"])
        finally:
            _stop(proc, kill=kill, timeout=STOP_TIMEOUT * slowdown)
            proc.stdout.close()
            if stderr is not None:
                log.seek(0)
                stderr.append(log.read())
        if check_exit and not kill and proc.returncode not in (0, None):
            raise RuntimeError(f"server exited with {proc.returncode}: {_stderr_tail(log)}")


def loadgen(*args: str, timeout: float) -> dict[str, Any]:
    """Run ``python -m bench.loadgen ARGS`` on the load CPU; return its JSON report."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(),
        timeout=timeout,
        check=False,
        preexec_fn=pinned(LOAD_CPU),
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@contextlib.contextmanager
def holding(*args: str, kill: bool = False) -> Iterator[dict[str, Any]]:
    """Run a long-lived ``bench.loadgen`` (``ws-idle``) until the block exits (``kill``: as for
    :func:`serving`)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=child_env(),
        preexec_fn=pinned(LOAD_CPU),
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        try:
            hello = read_json_line(proc.stdout, READY_TIMEOUT, proc)
        except RuntimeError:
            proc.wait()
            stderr = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"load generator failed: {stderr[-2000:]}") from None
        yield hello
    finally:
        _stop(proc, kill=kill)
