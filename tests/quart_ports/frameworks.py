"""The frameworks the Quart ports run under in these tests.

trioquart's port (``app.py``) always; Quart's original (``quart_app.py``) too where
``quart_trio`` can be imported, as in a developer's virtualenv. CI installs only trioquart's
test dependencies, so there the list has one entry: it is built when this module is imported,
and nothing is skipped.

The tests are typed against the port: the original is driven through the same calls (Quart's
API is the one the port keeps), so its objects stand where trioquart's types are named.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType

from trioquart.testing import WebsocketDisconnectError

EXAMPLES = "examples.quart_ports"


@dataclass(frozen=True)
class Framework:
    """One framework: which file of each example it runs, and what its test client raises."""

    name: str
    #: The file of each example written for it, without ``.py``.
    module: str
    #: What its test client's ``receive()`` raises once the app has closed the websocket.
    disconnect_error: type[Exception]

    @property
    def is_trioquart(self) -> bool:
        """Whether this is trioquart (rather than the Quart original)."""
        return self.name == "trioquart"

    def load(self, example: str) -> ModuleType:
        """The module of ``example`` (``"blog"``, ``"chat"``, ``"video"``) for this framework."""
        return importlib.import_module(f"{EXAMPLES}.{example}.{self.module}")

    def close_code(self, error: Exception) -> int:
        """The close code in ``error`` (a ``disconnect_error``): trioquart's has ``.code``,
        Quart's carries it as its only argument."""
        assert isinstance(error, self.disconnect_error)
        return int(getattr(error, "code", None) or error.args[0])


def available() -> list[Framework]:
    """trioquart, and Quart on trio when it is installed."""
    frameworks = [Framework("trioquart", "app", WebsocketDisconnectError)]
    if importlib.util.find_spec("quart_trio") is not None:
        connections = importlib.import_module("quart.testing.connections")
        frameworks.append(
            Framework("quart_trio", "quart_app", connections.WebsocketDisconnectError)
        )
    return frameworks


FRAMEWORKS = available()
