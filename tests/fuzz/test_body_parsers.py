"""Fuzzing the body parsers with generated request bodies (issue 11).

Bodies go through the in-process test client to views that read them with
``request.get_data()``, ``get_json()`` (plain, ``silent`` and ``force``), ``form`` and ``files``:
JSON documents and JSON-like text, deep nesting, huge numbers, invalid UTF-8, url-encoded forms
with odd percent-escapes, multipart bodies with random boundaries, part headers and
truncations, under wrong content types and charsets, with small limits and with the defaults.
Websocket messages go to a handler that calls ``receive_json()``.

What must hold: never a 500 (a body gives 200, or 400, 413 or 415); a valid body parses to
what a reference parser makes of it (``json.loads``, ``urllib.parse.parse_qsl``, or the
fields a multipart body was built from); every request finishes within seconds; a websocket
message that is not JSON is a ``BadRequest`` the handler catches, never a 1011 close.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus

import trio
from hypothesis import event, example, given
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.test import encode_multipart

from trioquart import TrioQuart, request, websocket

from .conftest import fuzz_settings

#: Seconds (real time) any request may take; a parse stuck in a loop fails here.
TIMEOUT = 20

#: The limits of the "small" app, low enough for generated bodies to reach them.
SMALL = {"MAX_CONTENT_LENGTH": 3000, "MAX_FORM_PARTS": 6, "MAX_FORM_MEMORY_SIZE": 200}

ALLOWED_ERRORS = {400, 413, 415}
#: Nesting that must always decode (tests/test_json_limits.py decodes 100 levels).
ORDINARY_NESTING = 100


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_app(limits: dict[str, int] | None) -> TrioQuart:
    """An app whose views read the body each way and report what they got."""
    app = TrioQuart(__name__)
    if limits is not None:
        app.config.update(limits)

    @app.post("/data")
    async def data() -> Any:
        raw = await request.get_data()
        text = await request.get_data(as_text=True)
        return {"raw": digest(raw), "text": digest(text.encode("utf-8", "surrogatepass"))}

    @app.post("/json")
    async def json_view() -> Any:
        return {"value": await request.get_json()}

    @app.post("/json/silent")
    async def json_silent() -> Any:
        return {"value": await request.get_json(silent=True)}

    @app.post("/json/force")
    async def json_force() -> Any:
        return {"value": await request.get_json(force=True)}

    @app.post("/form")
    async def form() -> Any:
        fields = await request.form
        files = await request.files
        return {
            "form": [[key, values] for key, values in fields.lists()],
            "files": [
                [key, [[upload.filename, digest(upload.read())] for upload in uploads]]
                for key, uploads in files.lists()
            ],
        }

    @app.websocket("/ws")
    async def socket() -> None:
        while True:
            try:
                value = await websocket.receive_json()
            except BadRequest as error:
                await websocket.send_json({"bad": error.description})
            else:
                await websocket.send_json({"value": value})

    return app


@dataclass
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def post(app: TrioQuart, path: str, body: bytes, content_type: str | None) -> Answer:
    """POST ``body`` in a fresh trio run; the answer, which must come within ``TIMEOUT``."""
    headers = {} if content_type is None else {"Content-Type": content_type}

    async def main() -> Answer:
        with trio.fail_after(TIMEOUT):
            response = await app.test_client().post(path, data=body, headers=headers)
            return Answer(response.status_code, await response.get_data())

    answer = trio.run(main)
    event(f"{path}: {answer.status}")
    assert answer.status == 200 or answer.status in ALLOWED_ERRORS, (answer, body[:200])
    return answer


def reference_json(data: str | bytes) -> Any:
    """``json.loads`` of ``data``, or ``BadRequest`` (the class) when it is not JSON."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return BadRequest


def nesting(text: str | bytes) -> int:
    """How deeply arrays and objects nest in JSON-like ``text`` (brackets in strings aside)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def too_deep_here(data: str | bytes, error_text: str | bytes) -> bool:
    """Whether ``data`` was refused as "nested too deeply" although it nests deeper than
    ``ORDINARY_NESTING``: the decoder's limit is the interpreter's recursion limit, counted
    from the caller's own depth, so a handler (deeper in the stack than this test) may refuse
    a document this test's ``json.loads`` decodes."""
    text = error_text.decode() if isinstance(error_text, bytes) else error_text
    return "nested too deeply" in text and nesting(data) > ORDINARY_NESTING


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values (NaN included, which is unequal to itself)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def too_large(limits: dict[str, int] | None, body: bytes) -> bool:
    return limits is not None and len(body) > limits["MAX_CONTENT_LENGTH"]


# Strategies -------------------------------------------------------------------------------

_limits = st.sampled_from([SMALL, None])
_charset = st.sampled_from(
    [
        "",
        "; charset=utf-8",
        "; charset=latin-1",
        "; charset=utf-16",
        "; charset=nope",
        "; charset=",
        '; charset=""',
        '; charset="utf-8"',
    ]
)
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**30, max_value=10**60)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def json_documents(draw: st.DrawFn) -> bytes:
    """A JSON document as some encoder would write it, in some Unicode encoding."""
    value = draw(_json_values)
    text = json.dumps(
        value, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 0, 2]))
    )
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-32", "utf-8-sig"]))
    return text.encode(encoding, "surrogatepass")


_json_like = st.one_of(
    json_documents(),
    st.from_regex(rb"\A[\[\]{}\"0-9.eE+\-:, \\a-z\x00-\x1f\x80-\xff]{0,40}\Z"),
    st.integers(1, 100_001).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 100_001).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.integers(1, 6000).map(lambda digits: b"9" * digits),
    st.sampled_from(
        [
            b"1e999",
            b"-1e999",
            b"NaN",
            b"Infinity",
            b'"\\ud800"',
            b'"\\udc00x"',
            b"\xef\xbb\xbf[1]",
            b"\xff\xfe[\x001\x00]\x00",
            b"",
            b" ",
            b"nul",
            b'{"a":1,"a":2}',
            b"[1,]",
            b'"\\u12"',
            b'"\x00"',
        ]
    ),
    st.binary(max_size=60),
)
_json_type = st.sampled_from(
    [
        "application/json",
        "application/vnd.api+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        None,
    ]
)


@given(
    body=_json_like,
    content_type=_json_type,
    charset=_charset,
    path=st.sampled_from(["/json", "/json/silent", "/json/force", "/data"]),
    limits=_limits,
)
@fuzz_settings(150)
@example(body=b'"\\ud800"', content_type="application/json", charset="", path="/json", limits=None)
@example(body=b"{}", content_type="text/plain", charset="; charset=nope", path="/data", limits=None)
def test_json_bodies(
    body: bytes, content_type: str | None, charset: str, path: str, limits: dict[str, int] | None
) -> None:
    if content_type is None:
        charset = ""  # no header to carry it
    full_type = None if content_type is None else content_type + charset
    answer = post(make_app(limits), path, body, full_type)
    is_json = content_type is not None and (
        content_type == "application/json" or content_type.endswith("+json")
    )
    if too_large(limits, body):
        # Refused unread, unless the content type already answered (/json/silent: None).
        if path == "/json" and not is_json:
            assert answer.status == 400
        elif path == "/json/silent" and not is_json:
            assert answer.json() == {"value": None}
        else:
            assert answer.status == 413
        return
    if path == "/data":
        if not known_charset(charset):
            assert answer.status == 415
            assert b"charset" in answer.body
            return
        assert answer.status == 200
        text = body.decode(charset_name(charset), "replace")
        assert answer.json() == {
            "raw": digest(body),
            "text": digest(text.encode("utf-8", "surrogatepass")),
        }
        return
    expected = reference_json(body)
    if path == "/json/silent":
        assert answer.status == 200
        wanted = None if expected is BadRequest or not is_json else expected
        value = answer.json()["value"]
        # None for a document too deep to decode here (see too_deep_here).
        assert same_json(value, wanted) or (value is None and nesting(body) > ORDINARY_NESTING)
    elif not is_json and path == "/json":
        assert answer.status == 400
        assert b"Expected a JSON body" in answer.body
    elif expected is BadRequest:
        assert answer.status == 400
        assert b"not valid JSON" in answer.body
    elif answer.status == 400:
        assert too_deep_here(body, answer.body), answer
    else:
        assert answer.status == 200, answer
        assert same_json(answer.json()["value"], expected)


# Url-encoded forms --------------------------------------------------------------------------

_form_text = st.text(st.characters(codec="utf-8"), max_size=10)


@st.composite
def urlencoded_bodies(draw: st.DrawFn) -> bytes:
    """Fields encoded as browsers and clients do, then perhaps mangled."""
    pairs = draw(st.lists(st.tuples(_form_text, _form_text), max_size=10))
    quoting = draw(st.sampled_from([quote, quote_plus]))
    text = "&".join(f"{quoting(key)}={quoting(value)}" for key, value in pairs)
    extra = draw(
        st.lists(
            st.sampled_from(
                ["%", "%zz", "%e2%82", "%ff", "&", "&&", "=", "==", ";", "+", "%00", "a", "%C3%A9"]
            ),
            max_size=6,
        )
    )
    body = text + "".join(extra)
    return body.encode(draw(st.sampled_from(["utf-8", "latin-1"])), "replace")


_form_type = st.sampled_from(
    ["application/x-www-form-urlencoded", "text/plain", None, "multipart/form-data"]
)


def reference_urlencoded(body: bytes, charset: str, limits: dict[str, int] | None) -> Any:
    """What the form must be (pairs), or the status it must fail with."""
    max_parts = limits["MAX_FORM_PARTS"] if limits else 1000
    max_memory = limits["MAX_FORM_MEMORY_SIZE"] if limits else 500_000
    if len(body) > max_memory:
        return 413
    text = body.decode(charset, "replace")
    if text and 1 + text.count("&") > max_parts:
        return 413
    return by_key(parse_qsl(text, keep_blank_values=True))


def by_key(pairs: Iterable[tuple[str, Any]]) -> list[list[Any]]:
    """Each key once, in the order of its first field, with all its values (as ``/form``)."""
    grouped: dict[str, list[Any]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return [[key, values] for key, values in grouped.items()]


def charset_name(charset: str) -> str:
    """The codec a ``; charset=...`` suffix names (UTF-8 for none, or an empty one)."""
    return charset.partition("=")[2].strip('"') or "utf-8"


def known_charset(charset: str) -> bool:
    """Whether ``charset`` (a ``; charset=...`` suffix) names a codec bodies can be read with."""
    try:
        b" ".decode(charset_name(charset), "replace")
    except (LookupError, UnicodeError):
        return False
    return True


@given(
    body=urlencoded_bodies() | st.binary(max_size=80),
    content_type=_form_type,
    charset=st.sampled_from(["", "; charset=utf-8", "; charset=latin-1", "; charset=nope"]),
    limits=_limits,
)
@fuzz_settings(150)
@example(
    body=b"a=%e9",
    content_type="application/x-www-form-urlencoded",
    charset="; charset=nope",
    limits=None,
)
def test_urlencoded_bodies(
    body: bytes, content_type: str | None, charset: str, limits: dict[str, int] | None
) -> None:
    full_type = None if content_type is None else content_type + charset
    answer = post(make_app(limits), "/form", body, full_type)
    if too_large(limits, body):
        assert answer.status == 413
        return
    if content_type == "multipart/form-data":
        assert answer.status == 400  # no boundary
        return
    if content_type != "application/x-www-form-urlencoded":
        assert answer.status == 200
        assert answer.json() == {"form": [], "files": []}
        return
    if not known_charset(charset):
        # The client's error, not a crash (a form above the size limit is refused first).
        too_big = limits is not None and len(body) > limits["MAX_FORM_MEMORY_SIZE"]
        assert answer.status == (413 if too_big else 415), answer
        return
    expected = reference_urlencoded(body, charset_name(charset), limits)
    if isinstance(expected, int):
        assert answer.status == expected, answer
        return
    assert answer.status == 200, answer
    assert answer.json() == {"form": expected, "files": []}


# Multipart forms ----------------------------------------------------------------------------

_boundary_chars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?"
_name = st.text(st.characters(codec="utf-8", exclude_characters='"\r\n\\%'), min_size=1, max_size=8)


@st.composite
def multipart_forms(draw: st.DrawFn) -> tuple[str, bytes, list[list[Any]], list[list[Any]]]:
    """A valid multipart body: (boundary, body, its fields, its files)."""
    fields = draw(st.lists(st.tuples(_name, _form_text), max_size=5))
    uploads = draw(st.lists(st.tuples(_name, _name, st.binary(max_size=300)), max_size=3))
    data: MultiDict[str, Any] = MultiDict()
    for key, value in fields:
        data.add(key, value)
    for key, filename, content in uploads:
        data.add(key, FileStorage(BytesIO(content), filename=filename))
    boundary = draw(st.text(st.sampled_from(_boundary_chars), min_size=1, max_size=70))
    boundary = boundary.rstrip(" ")
    # In the order the body holds them (grouped by name, as a MultiDict iterates).
    written = list(data.items(multi=True))
    expected_fields = by_key((key, value) for key, value in written if isinstance(value, str))
    expected_files = by_key(
        (key, [value.filename, digest(value.stream.read())])
        for key, value in written
        if isinstance(value, FileStorage)
    )
    for _, value in written:
        if isinstance(value, FileStorage):
            value.stream.seek(0)
    _, body = encode_multipart(data, boundary=boundary)
    return boundary, body, expected_fields, expected_files


@st.composite
def mangled(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` truncated, with bytes changed, or with a part header replaced."""
    how = draw(st.sampled_from(["truncate", "flip", "insert", "header"]))
    if not body:
        return draw(st.binary(max_size=40))
    at = draw(st.integers(0, len(body) - 1))
    if how == "truncate":
        return body[:at]
    if how == "flip":
        return body[:at] + bytes([body[at] ^ draw(st.integers(1, 255))]) + body[at + 1 :]
    if how == "insert":
        return body[:at] + draw(st.binary(min_size=1, max_size=20)) + body[at:]
    header = draw(
        st.sampled_from(
            [
                b"Content-Disposition: form-data",
                b"Content-Disposition:",
                b"X: y",
                b"Content-Disposition: form-data; name=\"a\"; filename*=UTF-8''%ff",
                b"Content-Type: text/plain",
            ]
        )
    )
    return body.replace(b"Content-Disposition: form-data", header, 1)


@given(
    form=multipart_forms(),
    data=st.data(),
    limits=_limits,
    variant=st.sampled_from(["valid", "mangled", "other boundary", "quoted boundary"]),
)
@fuzz_settings(150)
def test_multipart_bodies(
    form: tuple[str, bytes, list[list[Any]], list[list[Any]]],
    data: st.DataObject,
    limits: dict[str, int] | None,
    variant: str,
) -> None:
    boundary, body, fields, files = form
    # Characters that are special in a header parameter must be quoted (RFC 2045).
    special = any(char in boundary for char in '()<>@,;:\\"/[]?=')
    quoted = variant == "quoted boundary" or special
    content_type = (
        f'multipart/form-data; boundary="{boundary}"'
        if quoted
        else (f"multipart/form-data; boundary={boundary}")
    )
    if variant == "mangled":
        body = data.draw(mangled(body))
    elif variant == "other boundary":
        content_type = f'multipart/form-data; boundary="{boundary}x"'
    answer = post(make_app(limits), "/form", body, content_type)
    if too_large(limits, body):
        assert answer.status == 413
        return
    if variant in ("valid", "quoted boundary") and answer.status != 413:
        # Valid: exactly its fields and files, unless a limit refuses it.
        assert answer.status == 200, answer
        assert answer.json() == {"form": fields, "files": files}
    elif variant == "other boundary" and answer.status == 200:
        # The body holds no part of that boundary: nothing, never made-up fields.
        assert answer.json() == {"form": [], "files": []}


# Anything at all ------------------------------------------------------------------------------


@given(
    body=st.binary(max_size=200) | _json_like | urlencoded_bodies(),
    content_type=st.one_of(
        st.none(),
        st.text(max_size=40),
        st.sampled_from(
            [
                "multipart/form-data; boundary=",
                'multipart/form-data; boundary=""',
                "multipart/form-data; boundary=" + "b" * 200,
                "application/x-www-form-urlencoded; charset=utf-32",
                "application/json; charset=utf-16",
            ]
        ),
    ),
    path=st.sampled_from(["/data", "/json", "/json/silent", "/json/force", "/form"]),
    limits=_limits,
)
@fuzz_settings(150)
def test_any_body_never_fails_the_server(
    body: bytes, content_type: str | None, path: str, limits: dict[str, int] | None
) -> None:
    if content_type is not None:
        # Header values go out as latin-1, without line breaks (the client would refuse).
        content_type = content_type.encode("latin-1", "replace").decode("latin-1")
        content_type = content_type.replace("\r", " ").replace("\n", " ")
    post(make_app(limits), path, body, content_type)


@given(
    body=st.integers(0, 2**32).map(lambda seed: b"a=" + random.Random(seed).randbytes(70_000))
    | st.just(b"&".join(b"k%d=v" % i for i in range(12_000))),
    path=st.sampled_from(["/form", "/json"]),
)
@fuzz_settings(8, at_most=50)
def test_large_bodies_parse_in_a_thread(body: bytes, path: str) -> None:
    """Above 64 KiB a form is parsed in a worker thread: the same answers there."""
    content_type = "application/x-www-form-urlencoded" if path == "/form" else "application/json"
    answer = post(make_app(None), path, body, content_type)
    if path == "/json":
        assert answer.status == 400
        return
    expected = reference_urlencoded(body, "utf-8", None)
    if isinstance(expected, int):
        assert answer.status == expected
    else:
        assert answer.status == 200
        assert answer.json()["form"] == expected


# Websocket messages ---------------------------------------------------------------------------


@given(
    messages=st.lists(
        _json_like.map(lambda b: b.decode("utf-8", "replace")) | st.text(), min_size=1, max_size=6
    )
)
@fuzz_settings(100)
@example(messages=['"\\ud800"', "[" * 100_000, "{}"])
def test_websocket_receive_json(messages: list[str]) -> None:
    app = make_app(None)

    async def main() -> list[Any]:
        replies = []
        with trio.fail_after(TIMEOUT):
            async with app.test_client().websocket("/ws") as ws:
                for message in messages:
                    await ws.send(message)
                    reply = await ws.receive()
                    # What a real server must be able to send: UTF-8 text.
                    assert isinstance(reply, str)
                    reply.encode("utf-8")
                    replies.append(json.loads(reply))
        return replies

    replies = trio.run(main)
    for message, reply in zip(messages, replies, strict=True):
        expected = reference_json(message)
        if expected is BadRequest:
            assert "not valid JSON" in reply["bad"]
        elif "bad" in reply:
            assert too_deep_here(message, reply["bad"]), (message, reply)
        else:
            assert same_json(reply["value"], expected), (message, reply)
