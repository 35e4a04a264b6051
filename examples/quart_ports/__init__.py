"""Three small Quart applications, each written as Quart's documentation writes it (for Quart
on trio, ``quart_trio``) in ``quart_app.py`` and ported to trioquart in ``app.py`` by changing
the imports and nothing else: ``blog`` (blueprints, sessions, flash, templates, SQLite),
``chat`` (a websocket broker on trio memory channels) and ``video`` (ranged file responses).
"""
