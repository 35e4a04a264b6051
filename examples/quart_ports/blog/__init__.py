"""The blog: Quart's blog tutorial style (``quart_app.py``) and its trioquart port (``app.py``).

Run the port with ``python -m trioquart --app examples.quart_ports.blog.app init-db``, then the
same with ``run``.
"""
