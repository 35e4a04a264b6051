"""``python -m trioquart``: the command-line interface (see ``cli.py``)."""

from .cli import main

main()
