"""Where the server under soak listens."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    """A host and port on which the server listens."""

    host: str
    port: int

    @classmethod
    def from_url(cls, url: str) -> Endpoint:
        """From Hypercorn's ``http://host:port``."""
        host, _, port = url.removeprefix("http://").rpartition(":")
        return cls(host.strip("[]"), int(port))

    @property
    def http_url(self) -> str:
        """The base ``http://`` URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def authority(self) -> str:
        """``host:port``, as in a ``Host`` header."""
        return f"{self.host}:{self.port}"
