"""A soak test of trioquart over Hypercorn's trio worker: ``python -m soak`` (``nox -s soak``).

Thousands of websockets and a stream of HTTP requests run against a server process for a set
time; a third of the websockets drop at random points (mid-frame too). The server's trio tasks,
open files and resident memory are sampled throughout, and the run fails if they do not come
back to their baseline once the clients are gone, or if an orderly client missed a message.
``docs/reliability.md`` describes it and records the figures of a run. Never part of the tests
(``tests/test_soak_tool.py`` only checks that the tool still runs).
"""
