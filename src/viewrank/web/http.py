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

from ..shapes import jsonable

# Every query parameter a page or API route reads; cache_key ignores the rest.
QUERY_PARAMETERS = ("add", "category", "from", "list", "page", "per_page", "q", "sort", "t", "to", "week")
WEEK_MAX_AGE = 3600
SHORT_MAX_AGE = 60
JSON_MEDIA_TYPE = "application/json"
HTML_MEDIA_TYPE = "text/html; charset=utf-8"

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# The widget is the one page other sites may frame: its own policy, and no X-Frame-Options.
FRAMABLE_PREFIX = "/widget/"
FRAMABLE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
# Cross-origin reads (browser plugins, widgets on other sites) of the API and the feeds: GET and
# HEAD from any origin, no credentials, and a preflight that allows the caching headers.
CORS_PREFIXES = ("/api", "/feeds")
CORS_METHODS = "GET, HEAD, OPTIONS"
CORS_REQUEST_HEADERS = "Accept, Accept-Language, Cache-Control, If-None-Match, If-Modified-Since"
CORS_HEADERS = (
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"ETag, Cache-Control, Retry-After"),
)
CORS_PREFLIGHT_MAX_AGE = 86400
FRAMABLE_HEADERS = tuple((b"content-security-policy", FRAMABLE_CONTENT_SECURITY_POLICY.encode())
                         if name == b"content-security-policy" else (name, value)
                         for name, value in SECURITY_HEADERS if name != b"x-frame-options")
ERROR_HEADINGS = {400: "That request could not be understood", 404: "Not found", 405: "Method not allowed",
                  500: "Something went wrong", 503: "The charts are being updated"}


def json_bytes(value: Any) -> bytes:
    """JSON with snake_case keys as given, ISO dates, whole numbers as integers, UTF-8 text as is."""
    return json.dumps(jsonable(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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
    """API routes and .json downloads answer errors in JSON; pages (the API's own docs too)
    answer with an HTML page."""
    path = request.url.path
    return (path.startswith("/api/") and path != "/api/docs") or path.endswith(".json")


def error_heading(status: int) -> str:
    return ERROR_HEADINGS.get(status, "Error")


class SecurityHeadersMiddleware:
    """Adds the security headers (CSP without inline scripts, nosniff, referrer policy,
    no framing) to every response; the widget's allow framing by any site."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = FRAMABLE_HEADERS if scope["path"].startswith(FRAMABLE_PREFIX) else SECURITY_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    header for header in headers if header[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cors_applies(path: str) -> bool:
    """The API and the feeds may be read from any origin; the pages may not."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in CORS_PREFIXES)


class CorsMiddleware:
    """CORS for GET and HEAD under /api and /feeds: every answer there carries
    Access-Control-Allow-Origin: *, and an OPTIONS request (a preflight) is answered with 204."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not cors_applies(scope["path"]):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": [
                *CORS_HEADERS, (b"access-control-allow-methods", CORS_METHODS.encode()),
                (b"access-control-allow-headers", CORS_REQUEST_HEADERS.encode()),
                (b"access-control-max-age", str(CORS_PREFLIGHT_MAX_AGE).encode()),
                (b"allow", CORS_METHODS.encode())]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + list(CORS_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
