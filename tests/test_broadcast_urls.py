"""Which backend a broadcast URL names (``trioquart/broadcast/urls.py``), and the error when
the Redis extra is missing (simulated by hiding coredis)."""

from __future__ import annotations

import sys

import pytest

from trioquart.broadcast import Broadcast
from trioquart.broadcast.memory import MemoryBackend
from trioquart.broadcast.redis_backend import RedisBackend
from trioquart.broadcast.urls import backend_for_url


def test_urls_memory() -> None:
    assert isinstance(backend_for_url("memory://"), MemoryBackend)
    assert Broadcast().url == "memory://"


@pytest.mark.parametrize("url", ["memory://host", "memory:///path", "memory://?size=1"])
def test_urls_memory_takes_nothing_more(url: str) -> None:
    with pytest.raises(ValueError, match=r"^Broadcast URL '.*': a memory URL is just 'memory://'$"):
        backend_for_url(url)


def test_urls_unknown_scheme() -> None:
    with pytest.raises(
        ValueError,
        match=(
            r"^Broadcast URL 'amqp://host' has an unknown scheme 'amqp'; use 'memory://' or "
            r"'redis://host:port/db'$"
        ),
    ):
        Broadcast("amqp://host")


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("redis://localhost", ("localhost", 6379, 0)),
        ("redis://redis.internal:6380/2", ("redis.internal", 6380, 2)),
        ("redis://:p%40ss@127.0.0.1/", ("127.0.0.1", 6379, 0)),
        ("redis://user:secret@127.0.0.1:1/15", ("127.0.0.1", 1, 15)),
    ],
)
def test_urls_redis(url: str, where: tuple[str, int, int]) -> None:
    backend = backend_for_url(url)
    assert isinstance(backend, RedisBackend)
    assert (backend.host, backend.port, backend.db) == where


@pytest.mark.parametrize("url", ["redis://", "redis:///0", "redis://localhost/zero"])
def test_urls_redis_needs_a_host_and_a_numbered_db(url: str) -> None:
    with pytest.raises(
        ValueError,
        match=(
            r"^Broadcast URL '.*': a Redis URL is 'redis://host:port/db', for example "
            r"'redis://localhost:6379/0'$"
        ),
    ):
        backend_for_url(url)


@pytest.mark.parametrize("hidden", ["coredis", "coredis.patterns.pubsub"])
def test_urls_redis_without_the_extra(monkeypatch: pytest.MonkeyPatch, hidden: str) -> None:
    # ``None`` in sys.modules makes importing that module fail as if it were not installed.
    monkeypatch.setitem(sys.modules, hidden, None)
    monkeypatch.delitem(sys.modules, "trioquart.broadcast.redis_backend")
    with pytest.raises(
        ImportError,
        match=(
            r"^Broadcast URL 'redis://localhost' needs coredis, which is not installed; install "
            r"trioquart with the Redis extra: pip install 'trioquart\[redis\]'$"
        ),
    ) as caught:
        Broadcast("redis://localhost")
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_urls_other_import_errors_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trioquart.broadcast.redis_backend", None)
    with pytest.raises(ModuleNotFoundError, match=r"redis_backend"):
        Broadcast("redis://localhost")
