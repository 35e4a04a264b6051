"""A real ``redis-server`` for the Redis backend's tests: the ``redis_server`` fixture and its
helpers live in ``tests/redis_server.py``, shared with the chat demo's tests across processes.
"""

from __future__ import annotations

from ..redis_server import RedisServer as RedisServer
from ..redis_server import free_port as free_port
from ..redis_server import redis_server as redis_server

__all__ = ["RedisServer", "free_port", "redis_server"]
