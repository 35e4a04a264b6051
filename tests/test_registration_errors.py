"""Registering views: the mistakes ``add_url_rule`` refuses, on apps and blueprints."""

from __future__ import annotations

import pytest

from trioquart import Blueprint, TrioQuart


async def view() -> str:
    return "view"


def test_add_url_rule_needs_a_view_function_or_an_endpoint(app: TrioQuart) -> None:
    with pytest.raises(TypeError, match="needs a view_func or an endpoint"):
        app.add_url_rule("/")
    with pytest.raises(TypeError, match="needs a view_func"):
        Blueprint("parts", __name__).add_url_rule("/", "index")
    app.add_url_rule("/", "index")  # a rule alone, as in Flask: app.endpoint gives the view
    assert "index" not in app.view_functions


def test_methods_given_as_one_string_are_refused(app: TrioQuart) -> None:
    # A string is an iterable of letters: "GET" would register G, E and T.
    with pytest.raises(TypeError, match="not the string 'GET'"):
        app.add_url_rule("/", view_func=view, methods="GET")
    assert "view" not in app.view_functions
