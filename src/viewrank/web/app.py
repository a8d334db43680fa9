"""The Starlette application: HTML pages, downloads and the JSON API over one read-only warehouse.

Endpoints are plain functions, so Starlette runs them in its thread pool; each opens the
warehouse for the length of the request (see connection.py).
"""

from __future__ import annotations

import logging
import os
import re
from importlib import resources
from typing import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..catalog import ARTWORK_FOLDER
from ..charts.weekly import published_weeks
from ..errors import NotFound, ViewrankError
from ..store.warehouse import Warehouse
from . import api, api_docs, daily, downloads, feeds, pages, reports, urls, widget
from .connection import CACHE_ENTRIES, RETRY_DELAYS, WarehouseReader
from .http import (
    HTML_MEDIA_TYPE,
    SHORT_MAX_AGE,
    WEEK_MAX_AGE,
    CorsMiddleware,
    SecurityHeadersMiddleware,
    cache_key,
    cached,
    error_heading,
    error_payload,
    json_bytes,
    wants_json,
)
from .params import parse_date, parse_page, parse_query, resolve_week
from .render import Page, render

logger = logging.getLogger("viewrank.web")
RETRY_AFTER_SECONDS = 2
DOWNLOAD_NAME = re.compile(r"(?P<scope>global|countries)\.(?P<format>tsv|xlsx|json)")


def _page(request: Request, build: Callable[[Warehouse], Page], *, max_age: int = SHORT_MAX_AGE) -> Response:
    body = request.app.state.reader.read(cache_key(request), lambda warehouse: render(build(warehouse)).encode("utf-8"))
    return cached(request, body, HTML_MEDIA_TYPE, max_age=max_age)


def home(request: Request) -> Response:
    return _page(request, lambda warehouse: pages.week_page(warehouse, None))


def week(request: Request) -> Response:
    return _page(request, lambda warehouse: pages.week_page(warehouse, request.path_params["week"]),
                 max_age=WEEK_MAX_AGE)


def countries(request: Request) -> Response:
    return _page(request, lambda warehouse: pages.countries_page(warehouse, None))


def week_countries(request: Request) -> Response:
    return _page(request, lambda warehouse: pages.countries_page(warehouse, request.path_params["week"]),
                 max_age=WEEK_MAX_AGE)


def country(request: Request) -> Response:
    return _page(request, lambda warehouse: pages.country_page(warehouse, request.path_params["iso2"], None))


def week_country(request: Request) -> Response:
    return _page(request, lambda warehouse: pages.country_page(
        warehouse, request.path_params["iso2"], request.path_params["week"]), max_age=WEEK_MAX_AGE)


def title(request: Request) -> Response:
    return _page(request, lambda warehouse: pages.title_page(
        warehouse, request.path_params["title_id"], request.path_params.get("week")))


def title_factsheet(request: Request) -> Response:
    return _page(request, lambda warehouse: pages.factsheet_page(warehouse, request.path_params["title_id"]))


def search(request: Request) -> Response:
    query = parse_query(request.query_params.get("q"))
    page = parse_page(request.query_params.get("page"))
    return _page(request, lambda warehouse: pages.search_page(warehouse, query, page))


def compare_titles(request: Request) -> Response:
    title_ids = [parse_query(value) for value in request.query_params.getlist("t") if value.strip()]
    add = parse_query(request.query_params.get("add"))
    return _page(request, lambda warehouse: pages.compare_page(warehouse, title_ids, add))


def downloads_index(request: Request) -> Response:
    return _page(request, pages.downloads_page)


def report_endpoint(slug: str) -> Callable[[Request], Response]:
    """The page of one declared report (it answers 404 while the warehouse has no such table)."""
    def report(request: Request) -> Response:
        query = parse_query(request.query_params.get("q"))
        page = parse_page(request.path_params.get("page"))
        return _page(request, lambda warehouse: pages.report_page(
            warehouse, slug, query, request.query_params.get("sort"), page, request.path_params.get("section")))
    return report


def download_all(request: Request) -> Response:
    """/downloads/all-weeks-{global,countries}.{tsv,xlsx,json}"""
    match = DOWNLOAD_NAME.fullmatch(request.path_params["name"])
    if not match:
        raise NotFound(f"no download named all-weeks-{request.path_params['name'][:60]} "
                       "(try all-weeks-global.tsv or all-weeks-countries.xlsx)")
    return _download(request, match["scope"], match["format"], None)


def download_week(request: Request) -> Response:
    """/downloads/weeks/{week}/{global,countries}.{tsv,xlsx,json}"""
    match = DOWNLOAD_NAME.fullmatch(request.path_params["name"])
    if not match:
        raise NotFound(f"no download named {request.path_params['name'][:60]!r} "
                       "(try global.tsv, countries.json or global.xlsx)")
    return _download(request, match["scope"], match["format"], request.path_params["week"])


def _download(request: Request, scope: str, format: str, week_text: str | None) -> Response:
    def make(warehouse: Warehouse) -> bytes:
        week = resolve_week(week_text, published_weeks(warehouse)) if week_text else None
        return downloads.download(warehouse, scope, format, week)

    body = request.app.state.reader.read(cache_key(request), make)
    name = downloads.file_name(scope, format, parse_date(week_text) if week_text else None)
    return cached(request, body, downloads.MEDIA_TYPES[format], max_age=WEEK_MAX_AGE if week_text else SHORT_MAX_AGE,
                  headers={"content-disposition": f'attachment; filename="{name}"'})


def _error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """One error answer: the JSON shape for the API and .json files, an HTML page otherwise."""
    all_headers = {"cache-control": "no-store", **(headers or {})}
    if wants_json(request):
        return Response(json_bytes(error_payload(status, message)), status_code=status,
                        media_type="application/json", headers=all_headers)
    page = Page("error.html", request.url.path, error_heading(status),
                {"heading": error_heading(status), "message": message, "latest_week": None, "reports": []})
    return Response(render(page), status_code=status, media_type=HTML_MEDIA_TYPE, headers=all_headers)


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    messages = {404: f"there is no page at {request.url.path[:100]}", 405: f"{request.method} is not allowed here"}
    return _error(request, error.status_code, messages.get(error.status_code, str(error.detail)),
                  dict(error.headers or {}))


async def viewrank_error(request: Request, error: Exception) -> Response:
    """Every error viewrank raises on purpose, answered with the status it carries; a 500 keeps
    its details in the log, a 503 tells the client when to try again."""
    assert isinstance(error, ViewrankError)
    if error.status >= 500 and error.status != 503:
        return await server_error(request, error)
    headers = {"retry-after": str(RETRY_AFTER_SECONDS)} if error.status == 503 else None
    return _error(request, error.status, str(error), headers)


async def server_error(request: Request, error: Exception) -> Response:
    logger.exception("unhandled error", exc_info=error)
    return _error(request, 500, "the server could not answer this request; the error has been logged")


ARTWORK_NAME = re.compile(r"[0-9a-f]{16}\.(jpg|png|webp|gif)")
ARTWORK_MAX_AGE = 86400 * 365  # named by its content: never changes


def artwork(request: Request) -> Response:
    """An image file the catalog import copied into the warehouse (catalog.ARTWORK_FOLDER)."""
    name = request.path_params["name"]
    path = request.app.state.reader.path / ARTWORK_FOLDER / name
    if not ARTWORK_NAME.fullmatch(name) or not path.is_file():
        raise NotFound(f"no artwork named {name[:60]!r}")
    return FileResponse(path, headers={"Cache-Control": f"public, max-age={ARTWORK_MAX_AGE}, immutable"})


def routes() -> list[Route | Mount]:
    static = StaticFiles(directory=str(resources.files("viewrank.web").joinpath("static")))
    return [
        Route("/", home),
        Route("/weeks/{week}", week),
        Route("/weeks/{week}/countries", week_countries),
        Route("/weeks/{week}/countries/{iso2}", week_country),
        Route("/countries", countries),
        Route("/countries/{iso2}", country),
        Route("/titles/{title_id}", title),
        Route("/titles/{title_id}/weeks/{week}", title),
        Route("/titles/{title_id}/factsheet", title_factsheet),
        Route("/search", search),
        Route("/compare", compare_titles),
        Route("/artwork/{name}", artwork),
        Route("/downloads", downloads_index),
        Route("/downloads/all-weeks-{name}", download_all),
        Route("/downloads/weeks/{week}/{name}", download_week),
        *daily.routes(),
        *api_docs.routes(),
        *feeds.routes(),
        *widget.routes(),
        *api.routes(),
        *[Route(path, report_endpoint(declared.slug)) for declared in reports.REPORTS
          for path in (urls.report(declared.slug), urls.report(declared.slug) + "/pages/{page}",
                       urls.report(declared.slug) + "/{section}", urls.report(declared.slug) + "/{section}/pages/{page}")],
        Mount("/static", app=static, name="static"),
    ]


def create_app(warehouse_path: str | os.PathLike[str], *, retry_delays: tuple[float, ...] = RETRY_DELAYS,
               cache_entries: int = CACHE_ENTRIES) -> Starlette:
    """The site and API over the warehouse at `warehouse_path`, opened read-only per request;
    `cache_entries` bodies are kept while the warehouse is unchanged (0: none)."""
    app = Starlette(
        routes=routes(),
        middleware=[Middleware(SecurityHeadersMiddleware), Middleware(CorsMiddleware)],
        exception_handlers={HTTPException: http_error, ViewrankError: viewrank_error, Exception: server_error},
    )
    app.state.reader = WarehouseReader(warehouse_path, retry_delays=retry_delays, cache_entries=cache_entries)
    return app
