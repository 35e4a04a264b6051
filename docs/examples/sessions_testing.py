"""Tests of ``sessions_app.py`` that prepare and read the session without logging in."""

from __future__ import annotations

from docs.examples.sessions_app import app


async def test_home_when_logged_in() -> None:
    client = app.test_client()
    async with client.session_transaction() as session:
        session["user"] = "ada"
    response = await client.get("/")
    assert await response.get_json() == {"user": "ada", "messages": []}


async def test_logout_empties_the_session() -> None:
    client = app.test_client()
    async with client.session_transaction() as session:
        session["user"] = "ada"
    await client.post("/logout")
    async with client.session_transaction() as session:
        assert dict(session) == {}
