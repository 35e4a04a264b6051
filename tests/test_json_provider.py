"""The JSON provider (``app.json``): what it writes, and that every JSON goes through it."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import gc
import io
import json
import math
import uuid
import weakref
from typing import IO, Any

import pytest
from markupsafe import Markup

import trioquart.json
from trioquart import TrioQuart, jsonify, render_template_string, request, websocket
from trioquart.json import DefaultJSONProvider, JSONProvider
from trioquart.testing import TestClient
from trioquart.wrappers.response import Response

PLUS_TWO = datetime.timezone(datetime.timedelta(hours=2))


def default_provider(app: TrioQuart) -> DefaultJSONProvider:
    assert isinstance(app.json, DefaultJSONProvider)
    return app.json


class HasHTML:
    """Not a string, but has ``__html__`` (as a template library's objects do)."""

    def __html__(self) -> str:
        return "<i>html</i>"


class TaggedProvider(JSONProvider):
    """A provider of another "library": tags what it writes, and what it reads."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return json.dumps({"tagged": obj})

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return {"read": json.loads(s)}


# --- the default provider's output ---------------------------------------------------------


def test_json_provider_defaults_are_flasks(app: TrioQuart) -> None:
    provider = default_provider(app)
    assert type(provider) is TrioQuart.json_provider_class is DefaultJSONProvider
    assert (provider.sort_keys, provider.ensure_ascii, provider.compact) == (True, True, None)
    assert provider.mimetype == "application/json"


async def test_json_provider_jsonify_body_is_quarts(app: TrioQuart, client: TestClient) -> None:
    """Compact, sorted, ASCII, and a newline: ``jsonify`` and ``dict`` return values alike."""

    @app.get("/jsonify")
    async def explicit() -> Response:
        return jsonify(b=[1, 2], a="é")

    @app.get("/dict")
    async def implicit() -> Any:
        return {"b": [1, 2], "a": "é"}

    for path in ("/jsonify", "/dict"):
        response = await client.get(path)
        assert response.headers["Content-Type"] == "application/json"
        assert await response.get_data() == b'{"a":"\\u00e9","b":[1,2]}\n'


async def test_json_provider_jsonify_arguments(app: TrioQuart) -> None:
    async with app.app_context():
        assert await jsonify().get_data() == b"null\n"
        assert await jsonify(1).get_data() == b"1\n"
        assert await jsonify(1, "a").get_data() == b'[1,"a"]\n'
        assert await jsonify(a=None).get_data() == b'{"a":null}\n'
        with pytest.raises(
            TypeError, match=r"^jsonify\(\) takes positional arguments or keyword arguments, not"
        ):
            jsonify(1, a=2)


async def test_json_provider_debug_indents_unless_compact(
    app: TrioQuart, client: TestClient
) -> None:
    @app.get("/")
    async def view() -> Any:
        return {"b": 1, "a": [1]}

    app.config["DEBUG"] = True
    indented = b'{\n  "a": [\n    1\n  ],\n  "b": 1\n}\n'
    assert await (await client.get("/")).get_data() == indented
    provider = default_provider(app)
    provider.compact = True
    assert await (await client.get("/")).get_data() == b'{"a":[1],"b":1}\n'
    app.config["DEBUG"] = False
    provider.compact = False
    assert await (await client.get("/")).get_data() == indented


async def test_json_provider_attributes_change_the_output(
    app: TrioQuart, client: TestClient
) -> None:
    provider = default_provider(app)
    provider.sort_keys = False
    provider.ensure_ascii = False
    provider.mimetype = "application/vnd.api+json"

    @app.get("/")
    async def view() -> Any:
        return {"b": "Zoë ☃", "a": 1}

    response = await client.get("/")
    assert response.headers["Content-Type"] == "application/vnd.api+json"
    assert await response.get_data() == '{"b":"Zoë ☃","a":1}\n'.encode()


def test_json_provider_dumps_uses_json_dumps_separators(app: TrioQuart) -> None:
    provider = default_provider(app)
    assert provider.dumps({"b": 1, "a": [1, 2]}) == '{"a": [1, 2], "b": 1}'
    assert provider.dumps({"b": 1, "a": 2}, sort_keys=False) == '{"b": 1, "a": 2}'
    assert provider.dumps([1], separators=[",", ":"]) == "[1]"
    assert provider.dumps({"a": 1}, indent=1) == '{\n "a": 1\n}'
    assert provider.dumps("é", ensure_ascii=False) == '"é"'
    # Any other option goes to json.dumps, with the provider's defaults still applied.
    assert provider.dumps({"b": uuid.UUID(int=2), "a": 1}, check_circular=False) == (
        '{"a": 1, "b": "00000000-0000-0000-0000-000000000002"}'
    )
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        provider.dumps(math.nan, allow_nan=False)


def test_json_provider_encodes_common_types(app: TrioQuart) -> None:
    @dataclasses.dataclass
    class Point:
        x: int
        y: int

    value = {
        "when": datetime.datetime(2026, 11, 25, 12, 30, tzinfo=datetime.UTC),
        "naive": datetime.datetime(2026, 11, 25, 12, 30),
        "east": datetime.datetime(2026, 11, 25, 14, 30, tzinfo=PLUS_TWO),
        "day": datetime.date(2026, 11, 25),
        "id": uuid.UUID(int=1),
        "price": decimal.Decimal("1.50"),
        "point": Point(1, 2),
        "markup": Markup("<b>bold</b>"),
        "html": HasHTML(),
    }
    assert json.loads(default_provider(app).dumps(value)) == {
        "when": "Wed, 25 Nov 2026 12:30:00 GMT",
        "naive": "Wed, 25 Nov 2026 12:30:00 GMT",
        "east": "Wed, 25 Nov 2026 12:30:00 GMT",
        "day": "Wed, 25 Nov 2026 00:00:00 GMT",
        "id": "00000000-0000-0000-0000-000000000001",
        "price": "1.50",
        "point": {"x": 1, "y": 2},
        "markup": "<b>bold</b>",
        "html": "<i>html</i>",
    }


@dataclasses.dataclass
class Pair:
    first: int
    second: int


@pytest.mark.parametrize("value", [object(), Pair], ids=["object", "dataclass_itself"])
def test_json_provider_unknown_type_is_a_type_error(app: TrioQuart, value: Any) -> None:
    name = type(value).__name__
    with pytest.raises(TypeError, match=rf"^Object of type {name} is not JSON serializable$"):
        default_provider(app).dumps({"value": value})


def test_json_provider_default_can_be_replaced(app: TrioQuart) -> None:
    provider = default_provider(app)
    provider.default = lambda value: sorted(value)
    assert provider.dumps({"tags": {"b", "a"}}) == '{"tags": ["a", "b"]}'


@pytest.mark.parametrize("options", [{}, {"separators": (",", ":")}, {"skipkeys": True}])
def test_json_provider_lone_surrogates_stay_valid_utf8(
    app: TrioQuart, options: dict[str, Any]
) -> None:
    """With ``ensure_ascii`` off, a string that cannot be UTF-8 is written escaped."""
    provider = default_provider(app)
    provider.ensure_ascii = False
    lone = provider.loads('"a\\ud800"')
    text = provider.dumps({"é": lone}, **options)
    assert text.encode("utf-8")  # no UnicodeEncodeError
    assert provider.loads(text) == {"é": lone}
    assert "\\ud800" in text
    assert provider.dumps("é ☃", **options) == '"é ☃"'  # other text stays as it is
    assert provider.dumps("abc", **options) == '"abc"'


def test_json_provider_loads(app: TrioQuart) -> None:
    provider = default_provider(app)
    assert provider.loads('{"a": [1]}') == {"a": [1]}
    assert provider.loads('{"a": "é"}'.encode()) == {"a": "é"}
    assert provider.loads("1.5", parse_float=decimal.Decimal) == decimal.Decimal("1.5")
    with pytest.raises(ValueError, match=r"^Expecting value"):
        provider.loads("not json")
    with pytest.raises(ValueError, match=r"^The JSON is nested too deeply to decode\.$"):
        provider.loads("[" * 100_000 + "]" * 100_000)


def test_json_provider_dump_and_load_files(app: TrioQuart) -> None:
    provider = default_provider(app)
    text = io.StringIO()
    provider.dump({"b": 1, "a": 2}, text)
    assert text.getvalue() == '{"a": 2, "b": 1}'
    assert provider.load(io.StringIO('{"a": 1}')) == {"a": 1}
    assert provider.load(io.BytesIO(b"[1, 2]")) == [1, 2]


def test_json_provider_does_not_keep_its_app_alive() -> None:
    app = TrioQuart(__name__)
    provider = app.json
    alive = weakref.ref(app)
    del app
    gc.collect()
    assert alive() is None
    with pytest.raises(ReferenceError):
        provider.response({"a": 1})


def test_json_provider_keeps_its_encoders(app: TrioQuart, monkeypatch: pytest.MonkeyPatch) -> None:
    """Answering with JSON builds no encoder per call (``json.dumps`` with options would)."""
    provider = default_provider(app)
    provider.response({"warm": "up"})
    provider.dumps({"warm": "up"})
    built: list[object] = []
    original = json.JSONEncoder.__init__

    def counting_init(self: json.JSONEncoder, **kwargs: Any) -> None:
        built.append(self)
        original(self, **kwargs)

    monkeypatch.setattr(json.JSONEncoder, "__init__", counting_init)
    for number in range(3):
        provider.response({"n": number})
        provider.dumps([number])
    assert built == []


async def test_json_provider_response_calls_a_subclass_dumps(app: TrioQuart) -> None:
    """A subclass's own ``dumps`` writes ``response()`` too, with the layout options."""
    seen: list[dict[str, Any]] = []

    class Recording(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            seen.append(kwargs)
            return super().dumps(obj, **kwargs)

    provider = Recording(app)
    assert await provider.response(a=[1]).get_data() == b'{"a":[1]}\n'
    provider.compact = False
    assert await provider.response(a=[1]).get_data() == b'{\n  "a": [\n    1\n  ]\n}\n'
    assert seen == [{"separators": (",", ":")}, {"indent": 2}]


# --- the base class -------------------------------------------------------------------------


async def test_json_provider_base_class_needs_dumps_and_loads(app: TrioQuart) -> None:
    bare = JSONProvider(app)
    with pytest.raises(NotImplementedError):
        bare.dumps(1)
    with pytest.raises(NotImplementedError):
        bare.loads("1")
    provider = TaggedProvider(app)
    response = provider.response(1, 2)
    assert response.mimetype == "application/json"
    assert await response.get_data() == b'{"tagged": [1, 2]}'
    out = io.StringIO()
    provider.dump("x", out)
    assert out.getvalue() == '{"tagged": "x"}'
    source: IO[str] = io.StringIO("[1]")
    assert provider.load(source) == {"read": [1]}


# --- everything goes through app.json --------------------------------------------------------


async def test_json_provider_replaced_is_used_everywhere(
    app: TrioQuart, client: TestClient
) -> None:
    app.json = TaggedProvider(app)

    @app.get("/dict")
    async def as_dict() -> Any:
        return {"a": 1}

    @app.get("/jsonify")
    async def as_jsonify() -> Response:
        return jsonify(a=1)

    @app.post("/echo")
    async def echo() -> Any:
        return [await request.get_json()]

    @app.get("/template")
    async def template() -> str:
        return await render_template_string("{{ value|tojson }}", value="<b>")

    @app.get("/module")
    async def module() -> str:
        return trioquart.json.dumps(trioquart.json.loads("1"))

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send_json(await websocket.receive_json())

    for path in ("/dict", "/jsonify"):
        assert await (await client.get(path)).get_data() == b'{"tagged": {"a": 1}}'
    response = await client.post("/echo", json=[2])
    assert await response.get_data() == b'{"tagged": [{"read": [2]}]}'
    template_text = await (await client.get("/template")).get_data(as_text=True)
    assert template_text == '{"tagged": "\\u003cb\\u003e"}'
    module_text = await (await client.get("/module")).get_data(as_text=True)
    assert module_text == '{"tagged": {"read": 1}}'
    async with client.websocket("/ws") as ws:
        await ws.send("[3]")
        assert await ws.receive() == '{"tagged": {"read": [3]}}'


async def test_json_provider_class_of_a_subclass() -> None:
    class TaggedApp(TrioQuart):
        json_provider_class = TaggedProvider

    app = TaggedApp(__name__)

    @app.get("/")
    async def view() -> Any:
        return [1]

    assert isinstance(app.json, TaggedProvider)
    response = await app.test_client().get("/")
    assert await response.get_data() == b'{"tagged": [1]}'


async def test_json_provider_tojson_filter(app: TrioQuart) -> None:
    """As in Flask: sorted keys, the provider's types, and HTML-safe."""
    async with app.app_context():
        text = await render_template_string(
            "<script>let v = {{ value|tojson }};</script>",
            value={"b": "</script>&'", "a": datetime.date(2026, 11, 25)},
        )
    assert text == (
        '<script>let v = {"a": "Wed, 25 Nov 2026 00:00:00 GMT", '
        '"b": "\\u003c/script\\u003e\\u0026\\u0027"};</script>'
    )


async def test_json_module_functions_outside_an_app_context() -> None:
    """The module's functions work without an app, with the default provider's defaults."""
    assert trioquart.json.dumps({"b": 1, "a": "é"}) == '{"a": "\\u00e9", "b": 1}'
    assert trioquart.json.loads(b'{"a": 1}') == {"a": 1}
    out = io.StringIO()
    trioquart.json.dump([1], out)
    assert out.getvalue() == "[1]"
    assert trioquart.json.load(io.StringIO("[2]")) == [2]
    response = jsonify(b=1, a=2)
    assert response.mimetype == "application/json"
    assert await response.get_data() == b'{"a":2,"b":1}\n'


async def test_json_module_functions_use_the_current_app(app: TrioQuart) -> None:
    app.json = TaggedProvider(app)
    async with app.app_context():
        assert trioquart.json.dumps(1) == '{"tagged": 1}'
        assert trioquart.json.loads("1") == {"read": 1}
        out = io.StringIO()
        trioquart.json.dump(2, out)
        assert out.getvalue() == '{"tagged": 2}'
        assert trioquart.json.load(io.StringIO("3")) == {"read": 3}
        assert await jsonify(4).get_data() == b'{"tagged": 4}'
