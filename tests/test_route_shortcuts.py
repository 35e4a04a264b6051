"""The routing shortcuts answer exactly as Werkzeug's matcher, or leave the answer to it.

Pure tests, no event loop: for several URL maps, every (path, method) the shortcut answers must
get the same rule and arguments from Werkzeug, and the common cases must be answered.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import BaseConverter, Rule

from trioquart.route_shortcuts import Shortcuts
from trioquart.routing import Router, TrioQuartRule

PATHS = (
    "/",
    "/items/5",
    "/items/new",
    "/items/x",
    "/items/",
    "/items/5/",
    "/items//5",
    "/items/-1",
    "/items/\u0663",
    "/users/bob/posts/3",
    "/users/bob/posts/x",
    "/users//posts/3",
    "/echo",
    "/dup",
    "/ws",
    "/both",
    "/files/a/b",
    "/nope",
    "/slash",
    "/slash/",
    "/en/about",
    "/items/about",
)
METHODS = ("GET", "HEAD", "POST", "OPTIONS", "PUT")


def _router(*extra: tuple[str, str, list[str], dict[str, Any]]) -> Router:
    router = Router()
    router.add("/", "index", ["GET"])
    router.add("/items/<int:id>", "item", ["GET"])
    router.add("/items/new", "new_item", ["GET", "POST"])
    router.add("/users/<name>/posts/<int(min=1):n>", "post", ["GET"])
    router.add("/echo", "echo", ["POST"])
    router.add("/dup", "dup_one", ["GET"])
    router.add("/dup", "dup_two", ["GET", "PUT"])
    router.add("/ws", "ws", ["GET"], websocket=True)
    router.add("/both", "both_http", ["GET"])
    router.add("/both", "both_ws", ["GET"], websocket=True)
    router.add("/slash/", "slash", ["GET"])
    router.add("/<lang>/about", "about", ["GET"])
    for rule, endpoint, methods, options in extra:
        router.add(rule, endpoint, methods, **options)
    return router


def _werkzeug(router: Router, path: str, method: str) -> Any:
    adapter = router.url_map.bind("localhost")
    try:
        return adapter.match(path, method, return_rule=True, websocket=False)
    except HTTPException as error:
        return type(error)


def _check_agrees(router: Router) -> set[tuple[str, str]]:
    shortcuts = Shortcuts(router.url_map)
    answered = set()
    for path, method in itertools.product(PATHS, METHODS):
        found = shortcuts.match(path, method)
        if found is not None:
            answered.add((path, method))
            assert found == _werkzeug(router, path, method), (path, method)
    return answered


def test_route_shortcuts_agree_with_werkzeug_and_answer_the_common_cases() -> None:
    answered = _check_agrees(_router())
    assert {
        ("/", "GET"),
        ("/", "HEAD"),
        ("/", "OPTIONS"),
        ("/items/5", "GET"),
        ("/items/new", "GET"),
        ("/items/new", "POST"),
        ("/users/bob/posts/3", "GET"),
        ("/echo", "POST"),
        ("/slash/", "GET"),
        ("/en/about", "GET"),
        ("/items/about", "GET"),
    } <= answered
    # Left to Werkzeug: 404/405/308 answers, rules claimed twice, websocket paths, a
    # converter refusing the value (min=1), and paths that Werkzeug redirects.
    for left in [
        ("/nope", "GET"),
        ("/echo", "GET"),
        ("/items/5", "POST"),
        ("/dup", "GET"),
        ("/ws", "GET"),
        ("/both", "GET"),
        ("/items//5", "GET"),
        ("/slash", "GET"),
        ("/items/x", "GET"),
    ]:
        assert left not in answered


def test_route_shortcuts_converter_validation_error_is_left_to_werkzeug() -> None:
    router = _router()
    assert Shortcuts(router.url_map).match("/users/bob/posts/0", "GET") is None
    assert _werkzeug(router, "/users/bob/posts/0", "GET") is not None


@pytest.mark.parametrize(
    "extra",
    [
        ("/files/<path:rest>", "files", ["GET"], {}),
        ("/items/<int:id>/page", "page", ["GET"], {"defaults": {"page": 1}}),
        ("/old", "old", ["GET"], {"redirect_to": "/"}),
        ("/img/<name>.png", "img", ["GET"], {}),
    ],
)
def test_route_shortcuts_a_rule_werkzeug_must_match_disables_converter_shortcuts(
    extra: tuple[str, str, list[str], dict[str, Any]],
) -> None:
    router = _router(extra)
    answered = _check_agrees(router)
    assert ("/", "GET") in answered  # static rules are still answered
    assert ("/items/5", "GET") not in answered


def test_route_shortcuts_rules_added_to_the_map_directly_are_seen() -> None:
    """A rule added through ``url_map.add`` (here one for every method) updates the table."""
    router = _router()
    request: Any = SimpleNamespace(path="/", method="POST", query_string=b"")
    request.url_adapter = router.url_map.bind("localhost")
    with pytest.raises(MethodNotAllowed):
        router.match_request(request)
    router.url_map.add(TrioQuartRule("/", endpoint="any_method"))
    answered = _check_agrees(router)
    assert ("/", "GET") not in answered
    assert ("/items/5", "GET") in answered
    rule, args = router.match_request(request)
    assert (rule.endpoint, args) == ("any_method", {})


def test_route_shortcuts_host_matching_maps_are_left_to_werkzeug() -> None:
    router = Router()
    router.url_map.host_matching = True
    router.add("/", "index", ["GET"], host="example.com")
    assert Shortcuts(router.url_map).match("/", "GET") is None


def test_route_shortcuts_a_plain_werkzeug_rule_is_left_to_werkzeug() -> None:
    router = _router()
    router.url_map.add(Rule("/plain", endpoint="plain", methods=["GET"]))
    shortcuts = Shortcuts(router.url_map)
    assert shortcuts.match("/plain", "GET") is None
    assert shortcuts.match("/items/5", "GET") is None
    assert shortcuts.match("/", "GET") is not None


class _SlashyConverter(BaseConverter):
    regex = "[a-z/]+"
    part_isolating = True


class _ClashingConverter(BaseConverter):
    regex = "(?P<__trioquart_0>x)"
    part_isolating = True


def test_route_shortcuts_odd_converter_regexes() -> None:
    router = Router(converters={"slashy": _SlashyConverter, "clash": _ClashingConverter})
    router.add("/s/<slashy:value>", "slashy", ["GET"])
    shortcuts = Shortcuts(router.url_map)
    assert shortcuts.match("/s/ab", "GET") == _werkzeug(router, "/s/ab", "GET")
    assert shortcuts.match("/s/a/b", "GET") is None
    router.add("/c/<clash:value>", "clash", ["GET"])
    assert Shortcuts(router.url_map).match("/s/ab", "GET") is None


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        ([("/a/", "slashed"), ("/<name>", "named")], "/a"),
        ([("/<name>", "named"), ("/<int:i>/", "number")], "/1"),
    ],
)
def test_route_shortcuts_leave_strict_slash_redirects_to_werkzeug(
    rules: list[tuple[str, str]], path: str
) -> None:
    # Werkzeug answers 308 to the rule with the trailing slash, although another rule matches
    # the path as it is; the shortcut must not answer with that other rule.
    router = Router()
    for rule, endpoint in rules:
        router.add(rule, endpoint, ["GET"])
    assert Shortcuts(router.url_map).match(path, "GET") is None
    assert _werkzeug(router, path, "GET").__name__ == "RequestRedirect"
    _check_agrees(router)
