"""What a server process holds right now, seen from inside it: trio tasks, files, memory."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import trio

from bench.procstat import cpu_seconds, rss_kib

# trio.serve_listeners runs each accepted connection in a task of this name.
_CONNECTION_TASK_SUFFIX = "_run_handler"


@dataclass(frozen=True)
class Census:
    """A process's trio tasks, open file descriptors, resident set size and CPU time so far."""

    tasks: int
    fds: int
    rss_kib: int
    cpu_seconds: float = 0.0

    def within(self, other: Census) -> bool:
        """Whether there are no more tasks and files than in ``other``."""
        return self.tasks <= other.tasks and self.fds <= other.fds

    def as_dict(self) -> dict[str, float]:
        """The figures by name (for JSON)."""
        return asdict(self)


def _subtree_size(task: trio.lowlevel.Task) -> int:
    size = 0
    pending = [task]
    while pending:
        current = pending.pop()
        size += 1
        for nursery in current.child_nurseries:
            pending.extend(nursery.child_tasks)
    return size


def _own_connection_task() -> trio.lowlevel.Task | None:
    """The task of the connection that is asking (the nearest serve_listeners handler above the
    current task), or None when there is none."""
    task: trio.lowlevel.Task | None = trio.lowlevel.current_task()
    while task is not None:
        if task.name.endswith(_CONNECTION_TASK_SUFFIX):
            return task
        parent = task.parent_nursery
        task = parent.parent_task if parent is not None else None
    return None


def count_self() -> Census:
    """Count this process, leaving out the connection that asks: its tasks and its socket.

    So that a request for the figures does not show up in them.
    """
    root = trio.lowlevel.current_root_task()
    assert root is not None
    tasks = _subtree_size(root)
    fds = len(os.listdir("/proc/self/fd")) - 1  # the directory listing's own descriptor
    own = _own_connection_task()
    if own is not None:
        tasks -= _subtree_size(own)
        fds -= 1
    pid = os.getpid()
    return Census(tasks=tasks, fds=fds, rss_kib=rss_kib(pid), cpu_seconds=cpu_seconds(pid))


def _where(awaitable: object) -> str:
    """The coroutine frames a task waits in, outermost first."""
    frames = []
    while awaitable is not None:
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is None:
            break
        frames.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
    return " > ".join(frames)


def describe_tasks() -> list[str]:
    """Every trio task of this process, indented under its parent, and where it waits."""
    lines = []
    root = trio.lowlevel.current_root_task()
    assert root is not None
    pending = [(root, 0)]
    while pending:
        task, depth = pending.pop()
        lines.append("  " * depth + f"{task.name} @ {_where(task.coro)}")
        for nursery in task.child_nurseries:
            pending.extend((child, depth + 1) for child in nursery.child_tasks)
    return lines
