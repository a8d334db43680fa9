"""The API's documentation page (/api and /api/docs), rendered on the server from the same
OpenAPI document /api/openapi.json serves, with each endpoint's example called live."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..charts.weekly import COUNTRY_CATEGORIES, GLOBAL_CATEGORIES
from ..errors import ViewrankError
from ..store.warehouse import Warehouse
from . import feeds, queries, reports, widget
from .api import ENDPOINTS
from .http import HTML_MEDIA_TYPE, SHORT_MAX_AGE, cache_key, cached, error_payload, json_bytes
from .openapi import Endpoint, openapi_document, samples
from .params import slug
from .render import Page, render

EXAMPLE_LINES = 40


def example_request(endpoint: Endpoint, url: str) -> Request:
    """A request for `url` on `endpoint`'s route, as Starlette would route it."""
    parts = urlsplit(url)
    path_params = {pattern[1:-1]: unquote(value) for pattern, value in
                   zip(endpoint.path.split("/"), parts.path.split("/")) if pattern.startswith("{")}
    return Request({"type": "http", "method": "GET", "path": parts.path, "query_string": parts.query.encode(),
                    "headers": [], "path_params": path_params})


def example_answer(warehouse: Warehouse, endpoint: Endpoint, url: str) -> str:
    """The example's answer as indented JSON, cut after EXAMPLE_LINES lines."""
    try:
        body: dict[str, Any] = endpoint.build(warehouse, example_request(endpoint, url))
    except ViewrankError as error:
        body = error_payload(error.status, str(error))
    lines = json.dumps(json.loads(json_bytes(body)), indent=2, ensure_ascii=False).splitlines()
    if len(lines) > EXAMPLE_LINES:
        lines = lines[:EXAMPLE_LINES] + [f"… ({len(lines) - EXAMPLE_LINES:,} more lines)"]
    return "\n".join(lines)


def _schema_text(schema: dict[str, Any]) -> str:
    """A parameter's schema in a few words: 'integer, 1 to 200, default 50'."""
    words = [str(schema.get("type", "string"))]
    if "enum" in schema:
        words.append("one of " + ", ".join(str(value) for value in schema["enum"]))
    if "minimum" in schema:
        words.append(f"{schema['minimum']:,} to {schema['maximum']:,}")
    if "default" in schema:
        words.append(f"default {schema['default']}")
    if "pattern" in schema:
        words.append(f"matching {schema['pattern']}")
    return ", ".join(words)


def embeds(warehouse: Warehouse, values: dict[str, str], base: str) -> dict[str, Any]:
    """The feeds and widgets to offer: every global list, and the example country's lists
    (base '': paths, for a static site, whose template makes them relative)."""
    iso2 = values["iso2"]
    name = queries.country_names(warehouse).get(iso2, iso2)
    offered = [(f"{category}, global", widget.global_path(category), f"Top 10 {category}")
               for category in GLOBAL_CATEGORIES if slug(category) == values["category"]] + [
              (f"{category}, {name}", widget.country_path(iso2, category), f"Top 10 {category} in {name}")
              for category in COUNTRY_CATEGORIES]
    return {
        "feeds": [(category, base + feeds.global_path(category)) for category in GLOBAL_CATEGORIES]
                 + [(name, base + feeds.country_path(iso2))],
        "widgets": [{"label": label, "url": base + path, "title": title, "code": widget.snippet(base, path, title)}
                    for label, path, title in offered],
        "snippet": widget.snippet, "iso2": iso2}


def docs_page(warehouse: Warehouse, path: str, base: str = "") -> Page:
    """Every endpoint of the OpenAPI document with its parameters, an example request and its answer."""
    values = samples(warehouse)
    document = openapi_document(ENDPOINTS, values)
    endpoints = []
    for endpoint in ENDPOINTS:
        operation = document["paths"][endpoint.path]["get"]
        url = operation["x-example"]
        endpoints.append({
            "path": endpoint.path, "id": endpoint.name, "summary": operation["summary"],
            "description": operation["description"], "example": url, "answer": example_answer(warehouse, endpoint, url),
            "schema": endpoint.schema,
            "parameters": [{"name": parameter["name"], "in": parameter["in"], "required": parameter["required"],
                            "description": parameter.get("description", ""),
                            "schema": _schema_text(parameter["schema"]), "example": parameter.get("example")}
                           for parameter in operation["parameters"]]})
    return Page("api.html", path, "API", {
        "latest_week": queries.latest_week(warehouse), "reports": reports.available(warehouse),
        "info": document["info"], "endpoints": endpoints, **embeds(warehouse, values, base)})


def static_page(warehouse: Warehouse) -> Page:
    """A static site's API page: where the JSON API lives, and this site's own feeds and widgets."""
    return Page("api.html", "/api", "API", {
        "latest_week": queries.latest_week(warehouse), "reports": reports.available(warehouse),
        "info": {"description": "This is a published copy of the site: its feeds and widgets are files here, "
                                "and the JSON API is answered by a viewrank server."},
        "endpoints": [], **embeds(warehouse, samples(warehouse), "")})


def docs(request: Request) -> Response:
    """/api and /api/docs: the API documented, from the OpenAPI document."""
    base = str(request.base_url).rstrip("/")  # the snippets name this server
    body = request.app.state.reader.read(base + cache_key(request), lambda warehouse: render(
        docs_page(warehouse, request.url.path, base)).encode("utf-8"))
    return cached(request, body, HTML_MEDIA_TYPE, max_age=SHORT_MAX_AGE)


def routes() -> list[Route]:
    return [Route("/api", docs, name="api_docs_root"), Route("/api/docs", docs, name="api_docs")]
