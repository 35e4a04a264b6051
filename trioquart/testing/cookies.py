"""The test client's cookies: the standard library's ``CookieJar``, fed and read as a browser's.

``http.cookiejar`` already keeps cookies by domain and path with their expiry, ``Secure`` and
``Max-Age`` rules (RFC 6265 and the Netscape rules browsers follow); it only expects urllib's
request and response objects, which these helpers build from a URL and ASGI-style headers.
"""

from __future__ import annotations

import email.message
import time
import urllib.request
from collections.abc import Iterable
from datetime import datetime
from http.cookiejar import Cookie, CookieJar

from werkzeug.datastructures import Headers
from werkzeug.http import dump_cookie, parse_cookie

# Websocket URLs get the cookies of their http(s) twin, as in a browser.
_HTTP_SCHEMES = {"ws": "http", "wss": "https"}


def _url_request(scheme: str, host: str, path: str) -> urllib.request.Request:
    scheme = _HTTP_SCHEMES.get(scheme, scheme)
    return urllib.request.Request(f"{scheme}://{host}{path or '/'}")


class _Response:
    """What ``CookieJar.extract_cookies`` reads from a response: its headers."""

    def __init__(self, set_cookies: Iterable[str]) -> None:
        self._headers = email.message.Message()
        for value in set_cookies:
            self._headers["Set-Cookie"] = value

    def info(self) -> email.message.Message:
        return self._headers


def cookie_header(jar: CookieJar, scheme: str, host: str, path: str) -> str | None:
    """The ``Cookie`` header a browser would send to ``scheme://host/path``, if any."""
    request = _url_request(scheme, host, path)
    jar.add_cookie_header(request)
    return request.get_header("Cookie")


def store_cookies(jar: CookieJar, scheme: str, host: str, path: str, headers: Headers) -> None:
    """Keep the cookies that a response to ``scheme://host/path`` sets (and drop the ones it
    expires)."""
    set_cookies = headers.getlist("Set-Cookie")
    if set_cookies:
        request = _url_request(scheme, host, path)
        jar.extract_cookies(_Response(set_cookies), request)  # type: ignore[arg-type]


def set_cookie(
    jar: CookieJar,
    server_name: str,
    key: str,
    value: str = "",
    *,
    max_age: int | None = None,
    expires: datetime | float | None = None,
    path: str = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
) -> None:
    """Store a cookie as if ``server_name`` had set it (with Werkzeug's quoting of ``value``)."""
    header = dump_cookie(
        key,
        value,
        max_age=max_age,
        expires=expires,
        path=path,
        domain=domain,
        secure=secure,
        httponly=httponly,
        samesite=samesite,
    )
    store_cookies(
        jar, "https" if secure else "http", server_name, path, Headers([("Set-Cookie", header)])
    )


def delete_cookie(
    jar: CookieJar, server_name: str, key: str, *, path: str = "/", domain: str | None = None
) -> None:
    """Forget the cookie ``key`` that ``server_name`` set, if there is one."""
    set_cookie(jar, server_name, key, expires=0, max_age=0, path=path, domain=domain)


def cookie_values(jar: CookieJar) -> dict[str, str]:
    """Every unexpired cookie's name and value (unquoted as the app reads it)."""
    now = int(time.time())
    cookies: list[Cookie] = [cookie for cookie in jar if not cookie.is_expired(now)]
    values: dict[str, str] = {}
    for cookie in cookies:
        values.update(parse_cookie(f"{cookie.name}={cookie.value or ''}"))
    return values
