"""Benchmarks for trioquart, side by side with a raw ASGI app and its peers.

Run with ``nox -s bench`` (or ``python -m bench --help`` inside an environment that has the
peers installed); ``docs/performance.md`` says what is measured and how. Benchmarks measure and
report; they never assert timings, and the test suite does not run them.
"""
