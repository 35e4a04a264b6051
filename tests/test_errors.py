"""Error handling: HTTP exceptions, error handlers, unhandled errors and exception groups."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import trio
from werkzeug.exceptions import HTTPException, NotFound

from trioquart import Blueprint, Response, TrioQuart, abort
from trioquart.testing import TestClient


class AppError(Exception):
    """A base application error."""


class PaymentError(AppError):
    """A subclass, to check that handlers are found along the MRO."""


async def test_errors_http_exception_response(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def view() -> str:
        raise NotFound("Gone fishing")

    response = await client.get("/")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Gone fishing" in await response.get_data(as_text=True)


async def test_errors_handler_for_status_code(app: TrioQuart, client: TestClient) -> None:
    @app.errorhandler(404)
    async def not_found(error: HTTPException) -> Any:
        return {"error": error.code, "name": error.name}, 404

    @app.get("/missing")
    async def missing() -> str:
        abort(404)

    routed = await client.get("/no-route")
    assert routed.status_code == 404
    assert await routed.get_json() == {"error": 404, "name": "Not Found"}
    assert await (await client.get("/missing")).get_json() == {"error": 404, "name": "Not Found"}


async def test_errors_handler_for_exception_class_along_mro(
    app: TrioQuart, client: TestClient
) -> None:
    handled: list[BaseException] = []

    @app.errorhandler(AppError)
    async def app_error(error: AppError) -> Any:
        handled.append(error)
        return f"handled {type(error).__name__}", 402

    @app.get("/")
    async def view() -> str:
        raise PaymentError("declined")

    response = await client.get("/")
    assert response.status_code == 402
    assert await response.get_data(as_text=True) == "handled PaymentError"
    assert [str(error) for error in handled] == ["declined"]


async def test_errors_most_specific_handler_wins(app: TrioQuart, client: TestClient) -> None:
    @app.errorhandler(AppError)
    async def general(error: AppError) -> str:
        return "general"  # pragma: no cover - the specific one wins

    @app.errorhandler(PaymentError)
    async def specific(error: PaymentError) -> str:
        return "specific"

    @app.get("/")
    async def view() -> str:
        raise PaymentError

    assert await (await client.get("/")).get_data(as_text=True) == "specific"


async def test_errors_unhandled_exception_is_logged_500_and_next_request_works(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    fail = True

    @app.get("/")
    async def view() -> str:
        if fail:
            raise ZeroDivisionError("boom")
        return "fine"

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await client.get("/")
    assert response.status_code == 500
    assert "Internal Server Error" in await response.get_data(as_text=True)
    [record] = caplog.records
    assert record.getMessage() == "Exception on GET /"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ZeroDivisionError)
    assert "ZeroDivisionError: boom" in caplog.text
    assert "Traceback" in caplog.text
    fail = False
    response = await client.get("/")
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "fine"


async def test_errors_500_handler_sees_original_exception(
    app: TrioQuart, client: TestClient
) -> None:
    @app.errorhandler(500)
    async def server_error(error: Any) -> Any:
        return {"original": type(error.original_exception).__name__}, 500

    @app.get("/")
    async def view() -> str:
        raise KeyError("k")

    response = await client.get("/")
    assert response.status_code == 500
    assert await response.get_json() == {"original": "KeyError"}


async def test_errors_failing_error_handler_is_logged_500(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.errorhandler(AppError)
    async def broken(error: AppError) -> str:
        raise RuntimeError("handler broke")

    @app.get("/")
    async def view() -> str:
        raise AppError

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await client.get("/")
    assert response.status_code == 500
    assert "handler broke" in caplog.text


async def test_errors_lone_exception_from_nursery_reaches_its_handler(
    app: TrioQuart, client: TestClient
) -> None:
    @app.errorhandler(PaymentError)
    async def payment(error: PaymentError) -> str:
        return f"payment: {error}"

    @app.get("/")
    async def view() -> str:
        async def child() -> None:
            raise PaymentError("in child")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(child)
        return "unreachable"  # pragma: no cover - the child fails

    assert await (await client.get("/")).get_data(as_text=True) == "payment: in child"


async def test_errors_lone_http_exception_from_nursery(app: TrioQuart, client: TestClient) -> None:
    @app.get("/")
    async def view() -> str:
        async def child() -> None:
            abort(409)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(child)
        return "unreachable"  # pragma: no cover - the child fails

    assert (await client.get("/")).status_code == 409


async def test_errors_group_of_several_is_logged_500(
    app: TrioQuart, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.errorhandler(PaymentError)
    async def payment(error: PaymentError) -> str:
        return "not for groups"  # pragma: no cover - a group of two is not a PaymentError

    @app.get("/")
    async def view() -> str:
        async def child() -> None:
            raise PaymentError

        async with trio.open_nursery() as nursery:
            nursery.start_soon(child)
            nursery.start_soon(child)
        return "unreachable"  # pragma: no cover - the children fail

    with caplog.at_level(logging.ERROR, logger="trioquart"):
        response = await client.get("/")
    assert response.status_code == 500
    assert isinstance(caplog.records[0].exc_info and caplog.records[0].exc_info[1], ExceptionGroup)


def test_errors_errorhandler_rejects_other_keys(app: TrioQuart) -> None:
    with pytest.raises(
        ValueError, match=r"^errorhandler\(\) takes a status code or an exception class, not 'x'$"
    ):
        app.errorhandler("x")  # type: ignore[arg-type]


def _bp_app(register: Any) -> TrioQuart:
    app = TrioQuart(__name__)
    blueprint = Blueprint("bp", __name__)

    @blueprint.get("/missing")
    async def missing() -> str:
        abort(404)

    register(app, blueprint)
    app.register_blueprint(blueprint, url_prefix="/bp")
    return app


@pytest.mark.parametrize(
    ("register", "expected"),
    [
        pytest.param(
            lambda app, bp: (
                bp.errorhandler(NotFound)(_answer("bp NotFound")),
                app.errorhandler(404)(_answer("app 404")),
            ),
            "bp NotFound",
            id="a class handler counts as its code: the blueprint's wins",
        ),
        pytest.param(
            lambda app, bp: (
                bp.errorhandler(HTTPException)(_answer("bp HTTPException")),
                app.errorhandler(NotFound)(_answer("app NotFound")),
            ),
            "app NotFound",
            id="handlers for the code come before handlers for any code",
        ),
    ],
)
async def test_error_handler_order_is_flasks(register: Any, expected: str) -> None:
    response = await _bp_app(register).test_client().get("/bp/missing")
    assert (response.status_code, await response.get_data(as_text=True)) == (418, expected)


def _answer(text: str) -> Any:
    async def handler(error: Exception) -> tuple[str, int]:
        return text, 418

    return handler


async def test_redirects_and_abort_with_a_response_bypass_error_handlers(
    app: TrioQuart, client: TestClient
) -> None:
    @app.errorhandler(HTTPException)
    async def any_http_error(error: HTTPException) -> tuple[str, int]:
        return "handler", 418

    @app.get("/dir/")
    async def directory() -> str:
        return "dir"

    @app.get("/custom")
    async def custom() -> str:
        abort(Response("custom", status=404))

    redirect = await client.get("/dir")
    assert redirect.status_code == 308
    assert redirect.headers["Location"].endswith("/dir/")
    response = await client.get("/custom")
    assert (response.status_code, await response.get_data(as_text=True)) == (404, "custom")
    missing = await client.get("/nowhere")
    assert missing.status_code == 418
