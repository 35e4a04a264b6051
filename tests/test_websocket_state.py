"""The websocket state table: every allowed transition, and every refused one."""

from __future__ import annotations

import itertools

import pytest

from trioquart.websocket_state import (
    WebsocketClosedError,
    WebsocketEvent,
    WebsocketState,
    next_state,
)

S = WebsocketState
E = WebsocketEvent

ALLOWED = {
    (S.CONNECTING, E.ACCEPT): S.ACCEPTED,
    (S.CONNECTING, E.REJECT): S.REJECTED,
    (S.CONNECTING, E.CLIENT_LEFT): S.DISCONNECTED,
    (S.ACCEPTED, E.CLOSE): S.CLOSED,
    (S.ACCEPTED, E.CLIENT_LEFT): S.DISCONNECTED,
    (S.DISCONNECTED, E.CLIENT_LEFT): S.DISCONNECTED,
    (S.CLOSED, E.CLIENT_LEFT): S.CLOSED,
    (S.REJECTED, E.CLIENT_LEFT): S.REJECTED,
}


@pytest.mark.parametrize(("state", "event"), list(ALLOWED))
def test_allowed_transitions(state: WebsocketState, event: WebsocketEvent) -> None:
    assert next_state(state, event) is ALLOWED[state, event]


@pytest.mark.parametrize(
    ("state", "event"),
    [pair for pair in itertools.product(S, E) if pair not in ALLOWED],
)
def test_every_other_transition_is_refused_with_a_clear_error(
    state: WebsocketState, event: WebsocketEvent
) -> None:
    with pytest.raises(WebsocketClosedError, match=f"Cannot {event.value}: the websocket is"):
        next_state(state, event)


def test_nothing_leaves_a_final_state_except_by_staying() -> None:
    for final in (S.CLOSED, S.REJECTED, S.DISCONNECTED):
        reachable = {ALLOWED[key] for key in ALLOWED if key[0] is final}
        assert reachable <= {final}
