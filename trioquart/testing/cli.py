"""``TrioQuartCliRunner``: click's test runner, for an app's command-line commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click
from click.testing import CliRunner, Result

from ..cli import ScriptInfo

if TYPE_CHECKING:
    from ..app import TrioQuart


class TrioQuartCliRunner(CliRunner):
    """Invokes commands in-process with ``app`` loaded for them; made by
    ``app.test_cli_runner()``.

    Commands run synchronously (an ``async def`` command starts its own ``trio.run``), so call
    :meth:`invoke` from a plain ``def`` test, not from one already running in trio.

    Args:
        app: the application the commands are for.
        **kwargs: click's ``CliRunner`` options (``env``, ``charset``, ...).
    """

    def __init__(self, app: TrioQuart, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self,
        cli: click.Command | None = None,
        args: str | Sequence[str] | None = None,
        **kwargs: Any,
    ) -> Result:
        """Run ``cli`` (default: ``app.cli``, the app's own commands) with ``args``, and
        return click's ``Result`` (``output``, ``exit_code``, ``exception``).

        Unless ``obj`` is given, commands get a ``ScriptInfo`` that loads this app, so
        ``trioquart.cli.main`` (``run``, ``routes``, ``shell``) works here too.
        """
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(self.app.cli if cli is None else cli, args, **kwargs)
