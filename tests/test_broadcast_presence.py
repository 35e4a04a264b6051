"""The one-process roster of ``trioquart/broadcast/presence.py``."""

from __future__ import annotations

from trioquart.broadcast.presence import Membership, Roster


def test_roster_counts_each_member_until_every_join_has_left() -> None:
    roster = Roster()
    roster.add("room", "bob")
    roster.add("room", "alice")
    roster.add("room", "bob")
    assert roster.members("room") == ["alice", "bob"]
    roster.discard("room", "bob")
    assert roster.members("room") == ["alice", "bob"]
    roster.discard("room", "bob")
    roster.discard("room", "bob")  # once too often: nothing
    roster.discard("elsewhere", "bob")
    assert roster.members("room") == ["alice"]
    roster.discard("room", "alice")
    assert roster.members("room") == []


def test_membership_is_compared_by_identity() -> None:
    assert Membership("room", "bob") != Membership("room", "bob")
