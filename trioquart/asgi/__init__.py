"""The ASGI drivers: how one HTTP request, one websocket connection and the lifespan are
served, on top of the app's public methods.

- ``http``: one HTTP request, in its own cancel scope.
- ``websocket``: one websocket connection, in its own nursery (``websocket.nursery``).
- ``lifespan``: the app's serving lifetime (``before_serving`` ... ``after_serving``).
- ``disconnect_watch``: the one mechanism that turns a client leaving into cancellation.
- ``request_inbox`` and ``websocket_inbox``: the one reader of each connection's ``receive``.

Internal: an application imports none of this.
"""
