"""Following redirects in the test client (``follow_redirects=True``), as Werkzeug's client does.

- 301, 302, 303 and 305 are followed with ``GET`` (``HEAD`` stays ``HEAD``), without the body
  and the headers that describe it; 307 and 308 repeat the method, the body and its headers.
- ``Location`` is resolved against the request's URL, so relative targets work. The request
  goes to the app again: to its own host or a subdomain of it (or the other way round); any
  other host is outside the test and refused.
- The ``root_path`` is kept while the target is under it, and dropped when it is not, so the
  app sees the target's whole path.
- Redirecting to the same URL with the same status twice is a loop, and more than
  ``MAX_REDIRECTS`` redirects is a chain that never ends: both raise Werkzeug's
  ``ClientRedirectError``, which Flask tests already catch.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from werkzeug.test import ClientRedirectError

from .scopes import OutgoingRequest, encode_query

if TYPE_CHECKING:
    from ..wrappers.response import Response

#: The statuses that are followed; 300 (a choice to make) and 304 (no body) are answers.
REDIRECT_STATUSES = frozenset({301, 302, 303, 305, 307, 308})
#: The redirects that repeat the request as it was.
_REPEAT_REQUEST = frozenset({307, 308})
#: The longest chain followed (httpx's limit; browsers stop around there too).
MAX_REDIRECTS = 20


def redirect_target(request: OutgoingRequest, response: Response) -> OutgoingRequest | None:
    """The request that follows ``response`` to ``request``, or ``None`` if it is not a
    redirect (or one without a ``Location`` to follow).

    Raises:
        RuntimeError: the target is another site (or not HTTP), which the app does not serve.
    """
    if response.status_code not in REDIRECT_STATUSES:
        return None
    location = response.headers.get("Location")
    if not location:
        return None
    url = urljoin(request.url, location)
    target = urlsplit(url)
    if target.scheme not in {"http", "https"} or not _same_site(
        target.hostname or "", _host_name(request.host)
    ):
        raise RuntimeError(
            f"Cannot follow the redirect to {url!r}: the test client sends requests only to "
            f"the app, at {request.host!r} and its subdomains."
        )
    path = target.path or "/"
    headers = request.headers.copy()
    headers["Host"] = target.netloc
    method, body = request.method, request.body
    if response.status_code not in _REPEAT_REQUEST:
        method = "HEAD" if method == "HEAD" else "GET"
        body = b""
        for name in ("Content-Type", "Content-Length", "Transfer-Encoding"):
            headers.remove(name)
    return replace(
        request,
        method=method,
        path=path,
        query=encode_query(target.query),
        headers=headers,
        body=body,
        scheme=target.scheme,
        root_path=request.root_path if _is_under(path, request.root_path) else "",
    )


def record_redirect(followed: set[tuple[str, int]], request: OutgoingRequest, status: int) -> None:
    """Add the redirect to ``request`` (answered with ``status``) to ``followed``.

    Raises:
        werkzeug.test.ClientRedirectError: it was followed before (a loop), or the chain is
            longer than ``MAX_REDIRECTS``.
    """
    key = (request.url, status)
    if key in followed:
        raise ClientRedirectError(
            f"Redirect loop: the app answered {status} to {request.url} a second time; "
            "following it would never end."
        )
    if len(followed) >= MAX_REDIRECTS:
        raise ClientRedirectError(
            f"Stopped after {MAX_REDIRECTS} redirects (the last to {request.url}): the app "
            "keeps redirecting."
        )
    followed.add(key)


def _host_name(host: str) -> str:
    return urlsplit(f"//{host}").hostname or ""


def _same_site(one: str, other: str) -> bool:
    return one == other or one.endswith(f".{other}") or other.endswith(f".{one}")


def _is_under(path: str, root_path: str) -> bool:
    root = root_path.rstrip("/")
    return not root or path == root or path.startswith(f"{root}/")
