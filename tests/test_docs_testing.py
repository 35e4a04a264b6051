"""The examples of ``docs/testing.md`` that ``tests/test_docs.py`` does not run
(``docs/examples/testing_contexts.py``)."""

from __future__ import annotations

import trio

from docs.examples import testing_contexts


async def test_docs_testing_contexts_examples() -> None:
    with trio.fail_after(5):
        await testing_contexts.test_note_from_request()
        await testing_contexts.test_saving_redirects_to_the_note()
        await testing_contexts.test_mounted_under_a_prefix()
        await testing_contexts.test_a_client_that_leaves_cancels_the_feed()
