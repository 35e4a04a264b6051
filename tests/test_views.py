"""Class-based views: ``View`` and ``MethodView``, as in Quart."""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, ClassVar

import pytest

from trioquart import Blueprint, TrioQuart, g, request, url_for
from trioquart.testing import TestClient
from trioquart.views import MethodView, View


async def test_view_dispatch_request_gets_the_url_values(
    app: TrioQuart, client: TestClient
) -> None:
    class Greeting(View):
        """Says hello."""

        def __init__(self, greeting: str) -> None:
            self.greeting = greeting

        async def dispatch_request(self, **kwargs: Any) -> Any:
            return f"{self.greeting}, {kwargs['name']} ({request.endpoint})"

    view = Greeting.as_view("greet", "Hello")
    assert (view.__name__, view.__doc__, view.view_class) == ("greet", "Says hello.", Greeting)
    app.add_url_rule("/hello/<name>", view_func=view)
    assert await (await client.get("/hello/ada")).get_data() == b"Hello, ada (greet)"
    assert (await client.post("/hello/ada")).status_code == 405  # GET only by default


async def test_view_methods_and_automatic_options(app: TrioQuart, client: TestClient) -> None:
    class Form(View):
        methods = ("GET", "POST")
        provide_automatic_options = False

        async def dispatch_request(self) -> Any:
            return request.method

    app.add_url_rule("/form", view_func=Form.as_view("form"))
    assert await (await client.post("/form")).get_data() == b"POST"
    assert (await client.options("/form")).status_code == 405
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == "form")
    assert rule.methods == {"GET", "HEAD", "POST"}

    class Opt(View):
        methods = ("GET", "OPTIONS")
        provide_automatic_options = True

        async def dispatch_request(self) -> str:
            return "never for OPTIONS"  # pragma: no cover - answered automatically

    app.add_url_rule("/opt", view_func=Opt.as_view("opt"))
    response = await client.options("/opt")
    assert (response.status_code, response.headers["Allow"]) == (200, "GET, HEAD, OPTIONS")


async def test_view_instances_per_request_or_shared(app: TrioQuart, client: TestClient) -> None:
    made: list[str] = []

    class Fresh(View):
        def __init__(self) -> None:
            made.append("fresh")

        async def dispatch_request(self) -> str:
            return str(id(self))

    class Shared(Fresh):
        init_every_request = False

    app.add_url_rule("/fresh", view_func=Fresh.as_view("fresh"))
    app.add_url_rule("/shared", view_func=Shared.as_view("shared"))
    assert made == ["fresh"]  # Shared's instance, made by as_view
    shared = {await (await client.get("/shared")).get_data() for _ in range(3)}
    assert len(shared) == 1
    for _ in range(3):
        await client.get("/fresh")
    assert made == ["fresh"] * 4


async def test_view_decorators_apply_in_order(app: TrioQuart, client: TestClient) -> None:
    def tag(label: str) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Any]]:
        def decorator(view: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
            @wraps(view)
            async def wrapper(**kwargs: Any) -> Any:
                return f"{label}({await view(**kwargs)})"

            return wrapper

        return decorator

    class Decorated(View):
        decorators: ClassVar[list[Callable[..., Any]]] = [tag("inner"), tag("outer")]

        async def dispatch_request(self) -> str:
            return "view"

    view = Decorated.as_view("decorated")
    app.add_url_rule("/decorated", view_func=view)
    assert view.view_class is Decorated
    assert await (await client.get("/decorated")).get_data() == b"outer(inner(view))"


async def test_view_class_can_be_replaced_for_tests(app: TrioQuart, client: TestClient) -> None:
    class Real(View):
        async def dispatch_request(self) -> str:
            return "real"  # pragma: no cover - replaced

    class Fake(View):
        async def dispatch_request(self) -> str:
            return "fake"

    view = Real.as_view("thing")
    app.add_url_rule("/thing", view_func=view)
    view.view_class = Fake
    assert await (await client.get("/thing")).get_data() == b"fake"


async def test_view_without_dispatch_request_is_a_500(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    class Empty(View):
        pass

    app.add_url_rule("/empty", view_func=Empty.as_view("empty"))
    with caplog.at_level(logging.ERROR):
        assert (await client.get("/empty")).status_code == 500
    assert "Empty must define dispatch_request()" in caplog.text


async def test_view_plain_dispatch_request_runs_in_a_thread(
    app: TrioQuart, client: TestClient
) -> None:
    loop_thread = threading.get_ident()

    class Plain(View):
        def dispatch_request(self, name: str) -> str:  # type: ignore[override]
            thread = threading.get_ident() != loop_thread
            return f"{name} {request.path} {g.get('marker')} {thread}"

    @app.before_request
    async def mark() -> None:
        g.marker = "g"

    app.add_url_rule("/plain/<name>", view_func=Plain.as_view("plain"))
    assert await (await client.get("/plain/x")).get_data() == b"x /plain/x g True"


async def test_method_view_dispatches_on_the_method(app: TrioQuart, client: TestClient) -> None:
    loop_thread = threading.get_ident()

    class Items(MethodView):
        async def get(self, item_id: int) -> Any:
            return {"get": item_id, "self": url_for("items", item_id=item_id)}

        def put(self, item_id: int) -> Any:
            return {"put": item_id, "thread": threading.get_ident() != loop_thread}

        async def delete(self, item_id: int) -> Any:
            return "", 204

    assert Items.methods == {"GET", "PUT", "DELETE"}
    app.add_url_rule("/items/<int:item_id>", view_func=Items.as_view("items"))
    assert await (await client.get("/items/3")).get_json() == {"get": 3, "self": "/items/3"}
    assert await (await client.put("/items/3")).get_json() == {"put": 3, "thread": True}
    assert (await client.delete("/items/3")).status_code == 204
    head = await client.head("/items/3")
    assert (head.status_code, await head.get_data()) == (200, b"")
    response = await client.post("/items/3")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}


async def test_method_view_own_head_and_inherited_methods(
    app: TrioQuart, client: TestClient
) -> None:
    class Base(MethodView):
        async def get(self) -> str:
            return "get"

    class WithHead(Base):
        async def head(self) -> Any:
            return "", 200, {"X-Head": "own"}

        def post(self) -> str:
            return "post"

    class Fixed(Base):
        methods = ("GET",)

        async def post(self) -> str:
            return "not routed"  # pragma: no cover - not in methods

    class Mixin:
        async def patch(self) -> str:
            return "patched"

    class Mixed(Base, Mixin):
        pass

    assert WithHead.methods == {"GET", "HEAD", "POST"}
    assert Fixed.methods == ("GET",)
    assert Mixed.methods == {"GET", "PATCH"}
    assert MethodView.methods is None

    class Abstract(MethodView):
        """Defines no method: nothing to route yet."""

    assert Abstract.methods is None
    app.add_url_rule("/head", view_func=WithHead.as_view("head"))
    app.add_url_rule("/fixed", view_func=Fixed.as_view("fixed"))
    app.add_url_rule("/mixed", view_func=Mixed.as_view("mixed"))
    assert (await client.head("/head")).headers["X-Head"] == "own"
    assert await (await client.post("/head")).get_data() == b"post"
    assert (await client.post("/fixed")).status_code == 405
    assert await (await client.patch("/mixed")).get_data() == b"patched"


async def test_method_view_other_http_methods(app: TrioQuart, client: TestClient) -> None:
    loop_thread = threading.get_ident()

    class Dav(MethodView):
        methods = ("PROPFIND", "MKCOL")

        async def propfind(self) -> str:
            return "props"

        def mkcol(self) -> str:
            return f"made (thread: {threading.get_ident() != loop_thread})"

    app.add_url_rule("/dav", view_func=Dav.as_view("dav"))
    assert await (await client.open("/dav", method="PROPFIND")).get_data() == b"props"
    assert await (await client.open("/dav", method="MKCOL")).get_data() == b"made (thread: True)"


async def test_method_view_listing_a_method_it_lacks_is_a_500(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    class Partial(MethodView):
        methods = ("GET", "POST")

        async def get(self) -> str:
            return "get"  # pragma: no cover - not requested

    app.add_url_rule("/partial", view_func=Partial.as_view("partial"))
    with caplog.at_level(logging.ERROR):
        assert (await client.post("/partial")).status_code == 500
    assert (
        "Partial has no post() method for a POST request; define it, or leave 'POST' out of "
        "its methods." in caplog.text
    )


async def test_method_view_in_a_blueprint(app: TrioQuart, client: TestClient) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api")

    class Users(MethodView):
        async def get(self) -> str:
            return url_for(".users")

    bp.add_url_rule("/users", view_func=Users.as_view("users"))
    app.register_blueprint(bp)
    assert await (await client.get("/api/users")).get_data() == b"/api/users"
