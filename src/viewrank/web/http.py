"""HTTP conventions of the site and API: caching with ETags, one error shape, security headers.

Caching: a chart edition is never rewritten, but a week can get a newer revision (late data,
a methodology fix), so pages and JSON of a named week are cached for an hour and carry an
ETag of their body; a client revalidates with If-None-Match and gets 304 while the week is
unchanged. Latest-week aliases, searches and title pages change weekly: one minute. Errors
are never cached.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..cli.output import to_jsonable

# Every query parameter a page or API route reads; cache_key ignores the rest.
QUERY_PARAMETERS = ("add", "category", "page", "per_page", "q", "sort", "t", "week")
WEEK_MAX_AGE = 3600
SHORT_MAX_AGE = 60
JSON_MEDIA_TYPE = "application/json"
HTML_MEDIA_TYPE = "text/html; charset=utf-8"

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
ERROR_HEADINGS = {400: "That request could not be understood", 404: "Not found", 405: "Method not allowed",
                  500: "Something went wrong", 503: "The charts are being updated"}


def json_bytes(value: Any) -> bytes:
    """JSON with snake_case keys as given, ISO dates, UTF-8 text as is."""
    return json.dumps(to_jsonable(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def cached(request: Request, body: bytes, media_type: str, *, max_age: int,
           headers: dict[str, str] | None = None) -> Response:
    """A 200 with Cache-Control and an ETag of the body, or a 304 when the client has that body."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    all_headers = {"cache-control": f"public, max-age={max_age}", "etag": etag, **(headers or {})}
    if etag in [tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=all_headers)
    return Response(body, media_type=media_type, headers=all_headers)


def cache_key(request: Request) -> str:
    """What identifies a GET's body: its path and every value, in order, of the parameters the
    site reads (some are lists, such as the titles compared); any other parameter is ignored."""
    params = request.query_params
    return request.url.path + "?" + urlencode([(name, value) for name in QUERY_PARAMETERS for value in params.getlist(name)])


def error_payload(status: int, message: str) -> dict[str, Any]:
    """The one error shape of the API: {"ok": false, "status": 404, "error": "..."}."""
    return {"ok": False, "status": status, "error": message}


def wants_json(request: Request) -> bool:
    """API routes and .json downloads answer errors in JSON; pages answer with an HTML page."""
    path = request.url.path
    return path == "/api" or path.startswith("/api/") or path.endswith(".json")


def error_heading(status: int) -> str:
    return ERROR_HEADINGS.get(status, "Error")


class SecurityHeadersMiddleware:
    """Adds the security headers (CSP without inline scripts, nosniff, referrer policy,
    no framing) to every response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    header for header in SECURITY_HEADERS if header[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)
