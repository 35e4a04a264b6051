"""The access log: one line per request on the ``trioquart.server.access`` logger."""

from __future__ import annotations

import logging

log = logging.getLogger("trioquart.server.access")


def log_request(
    client: tuple[str, int] | None,
    method: str,
    path: str,
    http_version: str,
    status: int,
    sent: int,
    seconds: float,
) -> None:
    """Log one request: who asked, what, the status, the body bytes sent and the time taken."""
    who = f"{client[0]}:{client[1]}" if client is not None else "-"
    log.info(
        '%s "%s %s HTTP/%s" %d %d %.1fms',
        who,
        method,
        path,
        http_version,
        status,
        sent,
        seconds * 1000,
    )
