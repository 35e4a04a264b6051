"""An app with commands of its own (``docs/cli.md``).

``trioquart --app docs.examples.cli_app create-user alice --admin`` runs ``create_user``;
``trioquart --app docs.examples.cli_app export users.json`` runs ``export`` with trio.
"""

from __future__ import annotations

import json

import click
import trio

from trioquart import TrioQuart, current_app

app = TrioQuart(__name__)
#: The "database" of this example, in memory: user names and their roles.
USERS: dict[str, str] = {"root": "admin"}


@app.get("/users")
async def list_users() -> dict[str, str]:
    """Every user and their role."""
    return USERS


@app.cli.command("create-user")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Give the user every right.")
def create_user(name: str, admin: bool) -> None:
    """Add the user NAME."""
    USERS[name] = "admin" if admin else "member"
    # The command runs in an application context: current_app (and g) work.
    click.echo(f"{current_app.name}: created {name} ({USERS[name]})")


@app.cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
async def export(path: str) -> None:
    """Write the users to PATH as JSON."""
    # An async def command runs with trio.run, so trio's I/O is at hand.
    await trio.Path(path).write_text(json.dumps(USERS, sort_keys=True))
    click.echo(f"Wrote {path}: {', '.join(sorted(USERS))}")


@app.shell_context_processor
def shell_names() -> dict[str, object]:
    """Names ``trioquart shell`` adds to ``app`` and ``g``."""
    return {"users": USERS}
