"""The ``trioquart`` command line (also ``python -m trioquart``), built on click."""

from __future__ import annotations

import click

from .serving import DEFAULT_BACKLOG, DEFAULT_WEBSOCKET_PING_INTERVAL, import_app, run_app


@click.group()
# The installed distribution's version, which click reads with importlib.metadata when asked.
@click.version_option(package_name="trioquart", prog_name="trioquart")
def main() -> None:
    """trioquart: serve and manage trioquart applications."""


@main.command()
@click.argument("target")
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", "-p", default=5000, show_default=True, help="Port to bind.")
@click.option("--reload", is_flag=True, help="Restart when a source file changes.")
@click.option("--workers", "-w", default=1, show_default=True, help="Worker processes.")
@click.option("--debug", is_flag=True, help="Debug logging and DEBUG = True.")
@click.option(
    "--backlog",
    default=DEFAULT_BACKLOG,
    show_default=True,
    type=click.IntRange(min=1),
    help="Connections the kernel may queue before they are accepted.",
)
@click.option(
    "--ws-ping-interval",
    default=DEFAULT_WEBSOCKET_PING_INTERVAL or 0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds between pings on websockets (0: none).",
)
def run(
    target: str,
    host: str,
    port: int,
    reload: bool,
    workers: int,
    debug: bool,
    backlog: int,
    ws_ping_interval: float,
) -> None:
    """Serve TARGET ("module:app") on Hypercorn's trio worker."""
    try:
        app = import_app(target)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="TARGET") from error
    run_app(
        app,
        host=host,
        port=port,
        debug=debug,
        use_reloader=reload,
        workers=workers,
        application_path=target,
        backlog=backlog,
        websocket_ping_interval=ws_ping_interval or None,
    )
