"""Tests of the Quart ports in ``examples/quart_ports``, under each framework that imports."""
