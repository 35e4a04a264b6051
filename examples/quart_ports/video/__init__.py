"""The video page: Quart's video tutorial style (``quart_app.py``) and its trioquart port
(``app.py``).

Serve the port with ``python -m trioquart run examples.quart_ports.video.app:app``.
"""
