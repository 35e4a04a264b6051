"""Shared settings of the fuzzers (issue 11): a bounded number of examples in the suite.

The examples are derandomized, the same on every run, so the suite stays deterministic and
takes the same time, and no example database is kept, so nothing is written to .hypothesis/
in the working tree. ``TRIOQUART_FUZZ_EXAMPLES=5000`` searches longer, with fresh random
examples on every run (a failure then prints the blob that reproduces it).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

#: Examples per fuzzer when searching longer; ``None`` in the suite's ordinary runs.
SEARCH_EXAMPLES = (
    int(os.environ["TRIOQUART_FUZZ_EXAMPLES"])
    if os.environ.get("TRIOQUART_FUZZ_EXAMPLES")
    else None
)


def fuzz_settings(examples: int, *, at_most: int | None = None) -> settings:
    """Settings for one fuzzer: ``examples`` in the suite, more when searching longer (but
    never above ``at_most``, for a fuzzer with few distinct inputs)."""
    search = SEARCH_EXAMPLES
    if search is not None and at_most is not None:
        search = min(search, at_most)
    return settings(
        max_examples=search or examples,
        deadline=None,
        database=None,
        derandomize=SEARCH_EXAMPLES is None,
        print_blob=True,
        # An example is a whole connection (a whole server, end to end), some carry large
        # bodies: slow and large inputs are the point here.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
