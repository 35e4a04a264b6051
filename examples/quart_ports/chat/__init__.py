"""The chat: Quart's chat tutorial style on trio (``quart_app.py``) and its trioquart port
(``app.py``).

Serve the port with ``python -m trioquart run examples.quart_ports.chat.app:app``.
"""
