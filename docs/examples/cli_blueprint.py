"""An app whose blueprints bring their own commands (``docs/cli.md``).

``trioquart --app docs.examples.cli_blueprint users create alice`` runs ``create`` from the
``users`` blueprint's group; ``trioquart --app docs.examples.cli_blueprint backup users.json``
runs ``backup``, which its blueprint puts straight on the ``trioquart`` command.
"""

from __future__ import annotations

import json

import click
import trio

from trioquart import Blueprint, TrioQuart, current_app

#: The "database" of this example, in memory: user names and their roles.
USERS: dict[str, str] = {"root": "admin"}

users = Blueprint("users", __name__)
# bp.cli is a click group; its help is what `trioquart --help` shows for it.
users.cli.help = "Manage the users."


@users.cli.command("create")
@click.argument("name")
@click.option("--role", default="member", show_default=True, help="The user's role.")
def create_user(name: str, role: str) -> None:
    """Add the user NAME."""
    USERS[name] = role
    click.echo(f"{current_app.name}: created {name} ({role})")


@users.cli.command("list")
def list_users() -> None:
    """Show every user and their role."""
    for name, role in sorted(USERS.items()):
        click.echo(f"{name}: {role}")


# cli_group=None: no group, the commands sit next to run, routes and shell.
maintenance = Blueprint("maintenance", __name__, cli_group=None)


@maintenance.cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
async def backup(path: str) -> None:
    """Save the users to PATH as JSON."""
    # An async def command runs with trio.run, as on app.cli.
    await trio.Path(path).write_text(json.dumps(USERS, sort_keys=True))
    click.echo(f"Saved {', '.join(sorted(USERS))} to {path}")


app = TrioQuart(__name__)
# Declare a blueprint's commands before registering it: registration adds them to app.cli.
app.register_blueprint(users)
app.register_blueprint(maintenance)
