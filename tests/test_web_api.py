"""The API as integrators use it, over Netflix's real published files (slices in tests/fixtures)
and over the computed fixture warehouse: the documentation page, CORS, whole numbers as
integers, no server paths in any answer, and `latest` that never answers an older week."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from html import unescape
import re
import warnings
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote, urlencode

import pytest
from jsonschema import Draft202012Validator
from import_support import COUNTRIES_SLICE, FIXTURES, GLOBAL_SLICE, MOST_POPULAR
from web_html import hrefs
from web_support import WEEKS

from viewrank.imports.netflix_top10 import import_top10_files
from viewrank.store.warehouse import Warehouse
from viewrank.web import create_app
from viewrank.web.api import ENDPOINTS
from viewrank.web.feeds import ATOM

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

DIPLOMAT = "the-diplomat-season-1-0339b047"
COUNTRY_WEEK = "2023-04-23"  # the one week of the countries slice
LATEST_WEEK = "2025-10-26"  # the latest week of the global slice


@pytest.fixture(scope="module")
def imported_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("imported") / "warehouse"
    with Warehouse.init(path) as warehouse:
        import_top10_files(warehouse, [GLOBAL_SLICE, COUNTRIES_SLICE, MOST_POPULAR])
    return path


@pytest.fixture(scope="module")
def imported(imported_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(imported_path)) as client:
        yield client


def example_urls(client: TestClient) -> list[str]:
    document = client.get("/api/openapi.json").json()
    return [item["get"]["x-example"] for item in document["paths"].values()]


@pytest.mark.parametrize("path", ["/api", "/api/docs"])
def test_the_api_page_documents_every_endpoint_with_a_live_example(imported: TestClient, path: str) -> None:
    response = imported.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = unescape(response.text)
    links = hrefs(response.text)
    document = imported.get("/api/openapi.json").json()
    for endpoint in ENDPOINTS:
        operation = document["paths"][endpoint.path]["get"]
        assert f"<code>GET {endpoint.path}</code>" in html and operation["summary"] in html
        assert operation["x-example"] in links
        for parameter in operation["parameters"]:
            assert f"<code>{parameter['name']}</code>" in html
    # the example answers are the live answers, e.g. The Diplomat's facts in its example
    assert f"/api/titles/{DIPLOMAT}" not in links or "57480000" in html
    assert '<a href="/api" aria-current="page">API</a>' in html
    assert "<script>" not in response.text and ' style="' not in response.text


def test_every_page_links_the_api_page_not_the_raw_document(computed: TestClient) -> None:
    assert "/api" in hrefs(computed.get("/").text) and "/api/openapi.json" not in hrefs(computed.get("/").text)


@pytest.mark.parametrize("which", ["imported", "computed"])
def test_every_example_answers(request: pytest.FixtureRequest, which: str) -> None:
    client: TestClient = request.getfixturevalue(which)
    urls = example_urls(client)
    assert len(urls) == len(ENDPOINTS)
    has_reports = bool(client.get("/api/reports").json()["reports"])
    for url in urls:
        response = client.get(url)
        if url.startswith("/api/reports/") and not has_reports:  # documented: 404 until a report is imported
            assert response.status_code == 404 and "has no most popular report yet" in response.json()["error"]
        else:
            assert response.status_code == 200, (url, response.text[:300])
    assert has_reports == (which == "imported")


def test_cors_lets_any_origin_read_the_api(imported: TestClient) -> None:
    origin = {"origin": "https://plugin.example"}
    for url in [*example_urls(imported), "/api/openapi.json", "/api/titles/nope"]:
        response = imported.get(url, headers=origin)
        assert response.headers["access-control-allow-origin"] == "*", url
        assert "ETag" in response.headers["access-control-expose-headers"]
    preflight = imported.options("/api/weeks/latest/global", headers={
        **origin, "access-control-request-method": "GET", "access-control-request-headers": "if-none-match"})
    assert preflight.status_code == 204 and preflight.content == b""
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert set(preflight.headers["access-control-allow-methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert "If-None-Match" in preflight.headers["access-control-allow-headers"]
    assert int(preflight.headers["access-control-max-age"]) > 0
    # the pages stay same-origin and unframable
    page = imported.get("/", headers=origin)
    assert "access-control-allow-origin" not in page.headers and page.headers["x-frame-options"] == "DENY"
    assert imported.post("/api/weeks", headers=origin).status_code == 405


def test_whole_numbers_are_integers(imported: TestClient) -> None:
    body = imported.get(f"/api/titles/{DIPLOMAT}").text
    assert '"hours_viewed":57480000,' in body and "57480000.0" not in body
    lists = imported.get(f"/api/weeks/{COUNTRY_WEEK}/global?category=tv-english").json()
    first = lists["lists"][0]["entries"][0]
    assert first["title_id"] == DIPLOMAT and first["hours_viewed"] == 57480000
    assert isinstance(first["hours_viewed"], int)
    latest = imported.get(f"/api/weeks/{LATEST_WEEK}/global?category=tv-english").json()["lists"][0]["entries"]
    diplomat = next(entry for entry in latest if entry["title_id"] == DIPLOMAT)
    assert (diplomat["hours_viewed"], diplomat["views"], diplomat["runtime_hours"]) == (13800000, 2000000, 6.75)
    assert not re.search(r'"(hours_viewed|views)":\d+\.0[,}]', imported.get(f"/api/weeks/{LATEST_WEEK}/global").text)


def test_no_answer_names_a_server_folder(imported: TestClient, imported_path: Path) -> None:
    urls = [*example_urls(imported), "/api", "/api/weeks", f"/api/titles/{DIPLOMAT}/factsheet",
            f"/api/weeks/{COUNTRY_WEEK}/countries/AR", "/api/reports/most-popular", "/api/weeks/2000-01-02/global"]
    for url in urls:
        body = imported.get(url).text
        for folder in (str(FIXTURES), str(imported_path), str(Path.home()), "/tmp/"):
            assert folder not in body, (url, folder)
    source = imported.get(f"/api/weeks/{COUNTRY_WEEK}/global").json()["edition"]["source"]
    assert re.fullmatch(r"all-weeks-global_slice\.tsv sha256:[0-9a-f]{64}", source)


def test_latest_is_the_latest_week_for_countries_too(imported: TestClient) -> None:
    """The countries slice has one week, older than the global slice's latest: `latest` says so."""
    for url in ("/api/weeks/latest/countries/AR", "/api/weeks/latest/countries"):
        response = imported.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"] == (f"no country lists were published for the latest week ({LATEST_WEEK}); "
                                            f"country lists run from {COUNTRY_WEEK} to {COUNTRY_WEEK}")
    named = imported.get(f"/api/weeks/{COUNTRY_WEEK}/countries/AR").json()
    assert named["week"] == COUNTRY_WEEK and [len(item["entries"]) for item in named["lists"]] == [10, 10]
    week = imported.get("/api/weeks/2023-04-30/countries/AR")  # a week with global lists only
    assert week.status_code == 404 and week.json()["error"].startswith(
        "no country lists were published for the week ending 2023-04-30; country lists run from 2023-04-23")


def test_a_country_without_lists_says_so(computed: TestClient) -> None:
    response = computed.get("/api/weeks/latest/countries/DE")
    assert response.status_code == 404
    assert response.json()["error"] == "Germany has no Top 10 lists in the week ending 2026-11-15 (nor in any other week)"


def test_openapi_examples_are_json_values_of_their_types(imported: TestClient) -> None:
    document = imported.get("/api/openapi.json").json()
    assert json.loads(json.dumps(document)) == document
    for item in document["paths"].values():
        for parameter in item["get"]["parameters"]:
            if "example" in parameter and parameter["schema"].get("type") == "integer":
                assert isinstance(parameter["example"], int)


def test_no_lists_yet_is_said_plainly(tmp_path: Path) -> None:
    with Warehouse.init(tmp_path / "empty"):
        pass
    with TestClient(create_app(tmp_path / "empty")) as client:
        for url in ("/api/weeks/latest/global", "/api/weeks/latest/countries/US"):
            response = client.get(url)
            assert response.status_code == 404 and "no lists have been published yet" in response.json()["error"]
        assert client.get("/api").status_code == 200
        assert client.get("/api/weeks").json() == {"ok": True, "latest": None, "count": 0, "weeks": []}



# -- one call per list: season, year and external ids in every entry --------------------------

def test_entries_carry_season_year_and_external_ids(computed: TestClient) -> None:
    body = computed.get(f"/api/weeks/{WEEKS[-1]}/global").json()
    entries = {entry["title_id"]: entry for item in body["lists"] for entry in item["entries"]}
    assert {key: entries["S01-2"][key] for key in ("season_number", "year", "tmdb_id", "imdb_id")} == {
        "season_number": 2, "year": 2026, "tmdb_id": 900101, "imdb_id": "tt9000101"}
    assert {key: entries["F03"][key] for key in ("season_number", "year", "tmdb_id", "imdb_id")} == {
        "season_number": None, "year": 2024, "tmdb_id": 900003, "imdb_id": "tt9000003"}
    assert entries["F02"]["tmdb_id"] is None and entries["F02"]["imdb_id"] is None
    country = computed.get(f"/api/weeks/{WEEKS[-1]}/countries/GB").json()
    harbor = next(entry for item in country["lists"] for entry in item["entries"] if entry["title_id"] == "S01-2")
    assert (harbor["season_number"], harbor["year"], harbor["tmdb_id"], harbor["imdb_id"]) == (2, 2026, 900101, "tt9000101")
    found = computed.get("/api/titles?q=harbor%20lights").json()["items"]
    assert [(item["title_id"], item["season_number"], item["tmdb_id"]) for item in found] == [
        ("S01-1", 1, 900101), ("S01-2", 2, 900101)]
    assert computed.get("/api/titles/F03").json()["title"]["imdb_id"] == "tt9000003"


def test_imported_entries_carry_the_season_number(imported: TestClient) -> None:
    lists = imported.get(f"/api/weeks/{COUNTRY_WEEK}/global?category=tv-english").json()["lists"][0]["entries"]
    assert (lists[0]["title_id"], lists[0]["season_number"], lists[0]["year"], lists[0]["tmdb_id"]) == (
        DIPLOMAT, 1, None, None)


@pytest.mark.parametrize("value, reason", [("tt12", "expected an IMDb id like tt1856010"),
                                           ("nm0000001", "expected an IMDb id like tt1856010")])
def test_a_bad_imdb_id_is_refused_with_file_and_row(tmp_path: Path, value: str, reason: str) -> None:
    from viewrank.catalog import import_catalog
    from viewrank.errors import InputError

    titles = tmp_path / "titles.csv"
    titles.write_text(f"title_id,show_title,kind,runtime_seconds,imdb_id\nA,Alpha,film,5400,tt0000001\n"
                      f"B,Beta,film,5400,{value}\n")
    with Warehouse.init(tmp_path / "w") as warehouse:
        with pytest.raises(InputError, match=f"titles.csv row 3 column 'imdb_id': bad imdb_id '{value}' \\({reason}\\)"):
            import_catalog(warehouse, titles)
        assert warehouse.scalar("SELECT count(*) FROM titles") == 0


# -- one JSON shape: the CLI's --json prints what the API answers -----------------------------

@pytest.mark.parametrize("args, url", [
    (["lists"], "/api/weeks/latest/global"),
    (["lists", "--week", COUNTRY_WEEK], f"/api/weeks/{COUNTRY_WEEK}/global"),
    (["lists", "--week", COUNTRY_WEEK, "--country", "ar"], f"/api/weeks/{COUNTRY_WEEK}/countries/AR"),
    (["facts", "The Diplomat: Season 1"], f"/api/titles/{DIPLOMAT}/facts"),
    (["facts", DIPLOMAT], f"/api/titles/{DIPLOMAT}/facts"),
    (["titles", "--search", "diplomat", "--limit", "3"], "/api/titles?q=diplomat&per_page=3"),
    (["titles", "--limit", "20", "--page", "2"], "/api/titles?page=2&per_page=20"),
    (["titles"], "/api/titles"),
])
def test_the_cli_json_is_the_api_answer(imported: TestClient, imported_path: Path, args: list[str], url: str) -> None:
    from click.testing import CliRunner

    from viewrank.cli import cli

    result = CliRunner().invoke(cli, [*args, "--json", "--warehouse", str(imported_path)])
    assert result.exit_code == 0, result.output
    answer = imported.get(url)
    assert answer.status_code == 200
    assert json.loads(result.stdout) == answer.json()


# -- every documented endpoint, called from its OpenAPI example, answers what its schema says ---

def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator (OpenAPI 3.1's dialect) for `schema`, its $refs resolved
    against the document's components."""
    return Draft202012Validator({**schema, "components": document["components"]},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def _example_url(path: str, parameters: list[dict[str, Any]]) -> str:
    """The request the parameters' examples make: path parameters filled in, query ones appended."""
    for parameter in parameters:
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", quote(str(parameter["example"]), safe=""))
    query = [(p["name"], str(p["example"])) for p in parameters if p["in"] == "query" and "example" in p]
    return path + ("?" + urlencode(query) if query else "")


@pytest.mark.parametrize("which", ["imported", "computed"])
def test_every_documented_endpoint_answers_its_schema(request: pytest.FixtureRequest, which: str) -> None:
    client: TestClient = request.getfixturevalue(which)
    document = client.get("/api/openapi.json").json()
    Draft202012Validator.check_schema({"$defs": document["components"]["schemas"]})
    called = 0
    for path, item in document["paths"].items():
        operation = item["get"]
        url = _example_url(path, operation["parameters"])
        assert url == operation["x-example"]
        response = client.get(url)
        status = str(response.status_code)
        assert status in operation["responses"], (url, status)
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        errors = sorted(_validator(document, schema).iter_errors(response.json()), key=str)
        assert not errors, (url, [f"{list(error.absolute_path)}: {error.message}" for error in errors[:5]])
        called += status == "200"
    assert called == len(document["paths"]) - (which == "computed")  # the computed warehouse has no report


@pytest.mark.parametrize("url", ["/api/weeks/1999-01-03/global", "/api/weeks/latest/countries/ZZ",
                                 "/api/titles?page=0", "/api/titles/nope/facts", "/api/reports/elsewhere"])
def test_errors_answer_the_error_schema(imported: TestClient, url: str) -> None:
    document = imported.get("/api/openapi.json").json()
    response = imported.get(url)
    assert response.status_code in (400, 404)
    assert not list(_validator(document, {"$ref": "#/components/schemas/Error"}).iter_errors(response.json()))


def test_the_schemas_are_strict_enough_to_fail(imported: TestClient) -> None:
    """A body missing a key, or with hours as text, is refused: the schema test can fail."""
    document = imported.get("/api/openapi.json").json()
    body = imported.get(f"/api/weeks/{COUNTRY_WEEK}/global").json()
    validator = _validator(document, {"$ref": "#/components/schemas/GlobalLists"})
    assert not list(validator.iter_errors(body))
    del body["lists"][0]["entries"][0]["season_number"]
    body["lists"][0]["entries"][1]["hours_viewed"] = "57.48M"
    assert {error.validator for error in validator.iter_errors(body)} >= {"required", "type"}


# -- Atom feeds and the embeddable widget -------------------------------------------------------

def atom(response: Any) -> ET.Element:
    """A feed parsed, with every element RFC 4287 requires checked."""
    assert response.status_code == 200 and response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{{{ATOM}}}feed"
    for name in ("id", "title", "updated", "author/{%s}name" % ATOM):
        assert (feed.findtext(f"{{{ATOM}}}{name}") or "").strip(), name
    assert feed.find(f"{{{ATOM}}}link[@rel='self']") is not None
    for entry in feed.findall(f"{{{ATOM}}}entry"):
        for name in ("id", "title", "updated"):
            assert (entry.findtext(f"{{{ATOM}}}{name}") or "").strip(), name
        assert dt.datetime.fromisoformat(entry.findtext(f"{{{ATOM}}}updated", "").replace("Z", "+00:00")).tzinfo
        assert entry.find(f"{{{ATOM}}}link[@rel='alternate']") is not None
    ids = [entry.findtext(f"{{{ATOM}}}id") for entry in feed.findall(f"{{{ATOM}}}entry")]
    assert len(ids) == len(set(ids))
    return feed


def entries(feed: ET.Element) -> list[ET.Element]:
    return feed.findall(f"{{{ATOM}}}entry")


@pytest.mark.parametrize("category", ["films-english", "tv-english", "films-non-english", "tv-non-english"])
def test_each_global_list_has_a_feed_with_a_week_per_entry(computed: TestClient, category: str) -> None:
    feed = atom(computed.get(f"/feeds/global/{category}.atom"))
    found = entries(feed)
    assert [entry.findtext(f"{{{ATOM}}}id") for entry in found] == [
        f"http://testserver/weeks/{week}#{category}" for week in reversed(WEEKS)]  # newest first
    latest = computed.get(f"/api/weeks/{WEEKS[-1]}/global?category={category}").json()["lists"][0]["entries"]
    content = found[0].findtext(f"{{{ATOM}}}content") or ""
    assert found[0].find(f"{{{ATOM}}}content").get("type") == "html"  # type: ignore[union-attr]
    assert [unescape(text) for text in re.findall(r'<li value="\d+">(.*?) · ', content)] == [
        entry["title"] for entry in latest]
    assert computed.get(f"/feeds/global/{category}.atom", headers={"origin": "https://x.example"}).headers[
        "access-control-allow-origin"] == "*"


def test_a_country_feed_gets_an_entry_when_its_week_is_published(tmp_path: Path) -> None:
    path = tmp_path / "warehouse"
    with Warehouse.init(path) as warehouse:
        import_top10_files(warehouse, [GLOBAL_SLICE])
    with TestClient(create_app(path)) as client:
        before = atom(client.get("/feeds/countries/AR.atom"))
        assert entries(before) == [] and before.findtext(f"{{{ATOM}}}title") == "Top 10 in Argentina · viewrank Top 10"
        with Warehouse(path) as warehouse:
            import_top10_files(warehouse, [COUNTRIES_SLICE])
        after = entries(atom(client.get("/feeds/countries/AR.atom")))
        assert [entry.findtext(f"{{{ATOM}}}id") for entry in after] == [
            f"http://testserver/weeks/{COUNTRY_WEEK}/countries/AR"]
        content = after[0].findtext(f"{{{ATOM}}}content") or ""
        assert content.count("<li ") == 20 and "<h3>Films</h3>" in content and "<h3>TV</h3>" in content
        assert client.get("/feeds/countries/ZZ.atom").status_code == 404
        assert client.get("/feeds/global/documentaries.atom").status_code == 400


def test_the_widget_may_be_framed_and_the_site_may_not(computed: TestClient) -> None:
    widget = computed.get("/widget/countries/KR/tv")
    assert widget.status_code == 200
    assert "frame-ancestors *" in widget.headers["content-security-policy"]
    assert "x-frame-options" not in widget.headers and "unsafe-inline" not in widget.headers["content-security-policy"]
    for page in ("/", "/api", "/countries/KR", "/titles/S06-1"):
        headers = computed.get(page).headers
        assert headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in headers["content-security-policy"]


@pytest.mark.parametrize("url, api", [
    ("/widget/countries/KR/tv", f"/api/weeks/{WEEKS[-1]}/countries/KR"),
    (f"/widget/countries/gb/films?week={WEEKS[1]}", f"/api/weeks/{WEEKS[1]}/countries/GB"),
    ("/widget/global/tv-non-english", "/api/weeks/latest/global?category=tv-non-english"),
])
def test_the_widget_shows_the_list_the_api_gives(computed: TestClient, url: str, api: str) -> None:
    html = computed.get(url).text
    category = "Films" if "films" in url else ("TV" if "/countries/" in url else "TV (Non-English)")
    expected = next(item["entries"] for item in computed.get(api).json()["lists"] if item["category"] == category)
    assert re.findall(r'<li data-title-id="([^"]+)">', html) == [entry["title_id"] for entry in expected]
    assert "<script" not in html and 'target="_blank" rel="noopener"' in html


def test_the_widget_of_a_country_shows_its_latest_lists_with_their_week(imported: TestClient) -> None:
    html = imported.get("/widget/countries/AR/tv").text
    assert "Week ending 23 April 2023" in html and html.count("<li data-title-id=") == 10
    assert imported.get("/widget/countries/AR/documentaries").status_code == 400
    assert imported.get("/widget/countries/ZZ/tv").status_code == 404


def test_the_api_page_offers_feeds_and_a_widget_snippet(imported: TestClient) -> None:
    html = unescape(imported.get("/api").text)
    assert '<iframe src="http://testserver/widget/countries/AR/tv" title="Top 10 TV in Argentina"' in html
    assert "http://testserver/feeds/global/tv-english.atom" in html and "http://testserver/feeds/countries/AR.atom" in html
    for url in re.findall(r'href="(http://testserver/(?:feeds|widget)/[^"]+)"', imported.get("/api").text):
        assert imported.get(url).status_code == 200, url
