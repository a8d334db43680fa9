"""The web app in-process (Starlette's TestClient) over a small real warehouse."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Iterator

import duckdb
import openpyxl
import pytest
from starlette.exceptions import StarletteDeprecationWarning
from web_html import hrefs, table_rows
from web_support import HOSTILE, QUOTES, WEEKS

from viewrank.charts.weekly import COUNTRY_CATEGORIES, GLOBAL_CATEGORIES, weekly_list
from viewrank.cli.output import to_jsonable
from viewrank.export import export_all
from viewrank.reports.facts import title_facts
from viewrank.reports.factsheet import factsheet
from viewrank.store.warehouse import Warehouse
from viewrank.web import create_app
from viewrank.web.api import ENDPOINTS
from viewrank.web.openapi import openapi_document, samples
from viewrank.web.params import slug
from viewrank.web.render import figure

with warnings.catch_warnings():
    # Starlette 1.10 asks for the httpx2 package for its TestClient; httpx (pinned) still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

LATEST = WEEKS[-1]


@pytest.fixture(scope="module")
def warehouse(computed_path: Path) -> Iterator[Warehouse]:
    """The same warehouse read through the library (a separate in-process connection)."""
    with Warehouse(computed_path, read_only=True) as opened:
        yield opened


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def number(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def expected_movement(warehouse: Warehouse, week: dt.date, category: str, country: str | None,
                      entry: dict[str, Any]) -> tuple[str, int | None]:
    """Movement recomputed independently from the previous week's list."""
    before = {row["title_id"]: row["rank"] for row in
              weekly_list(warehouse, week - dt.timedelta(days=7), category=category, country=country)}
    previous = before.get(entry["title_id"])
    if previous is None:
        return ("new", None) if entry["cumulative_weeks"] == 1 else ("re_entry", None)
    if previous == entry["rank"]:
        return "same", 0
    return ("up", previous - entry["rank"]) if previous > entry["rank"] else ("down", entry["rank"] - previous)


ROUTES = [
    "/", f"/weeks/{WEEKS[1]}", "/countries", f"/weeks/{WEEKS[2]}/countries", "/countries/KR",
    f"/weeks/{WEEKS[0]}/countries/us", "/titles/F01", f"/titles/F02/weeks/{WEEKS[1]}", "/titles/F14",
    "/search", "/search?q=harbor", "/search?q=&page=1", "/downloads",
    "/downloads/all-weeks-global.tsv", "/downloads/all-weeks-countries.tsv", "/downloads/all-weeks-global.xlsx",
    "/downloads/all-weeks-countries.json", f"/downloads/weeks/{LATEST}/global.tsv",
    f"/downloads/weeks/{LATEST}/countries.xlsx", f"/downloads/weeks/{WEEKS[0]}/global.json",
    "/api/weeks", "/api/weeks/latest/global", f"/api/weeks/{WEEKS[1]}/global?category=tv-english",
    "/api/weeks/latest/countries", f"/api/weeks/{LATEST}/countries/GB", "/api/titles", "/api/titles?q=moon",
    "/api/titles/S06-1", f"/api/titles/S06-1?week={WEEKS[0]}", "/api/countries", "/api/reports",
    "/titles/S06-1/factsheet", "/titles/F14/factsheet", "/api/titles/S06-1/factsheet",
    "/api/openapi.json", "/static/site.css", "/static/site.js",
]


@pytest.mark.parametrize("path", ROUTES)
def test_route_answers(computed: TestClient, path: str) -> None:
    response = computed.get(path)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("week", [None, *WEEKS])
def test_week_page_shows_the_warehouse_numbers(computed: TestClient, warehouse: Warehouse, week: dt.date | None) -> None:
    html = computed.get("/" if week is None else f"/weeks/{week}").text
    chosen = week or LATEST
    for category in GLOBAL_CATEGORIES:
        shown = table_rows(html, slug(category))
        expected = weekly_list(warehouse, chosen, category=category)
        assert [row["_attrs"]["data-title-id"] for row in shown] == [entry["title_id"] for entry in expected]
        for row, entry in zip(shown, expected):
            assert row["Rank"] == str(entry["rank"])
            assert row["Hours viewed"] == number(entry["hours_viewed"])
            assert row["Views"] == number(entry["views"])
            assert row["Weeks in Top 10"] == str(entry["cumulative_weeks"])
            assert row["Title"] == entry["show_title"]
            kind, places = expected_movement(warehouse, chosen, category, None, entry)
            assert row["Change"] == {"up": f"▲ {places}Up {places}", "down": f"▼ {places}Down {places}",
                                     "same": "=Same as last week", "new": "New", "re_entry": "Re-entry"}[kind]


def test_week_page_labels_its_source_and_links_the_weeks(computed: TestClient, warehouse: Warehouse) -> None:
    html = computed.get(f"/weeks/{WEEKS[1]}").text
    edition = warehouse.rows("SELECT edition_id, revision FROM current_editions WHERE week = ? AND scope = 'global'",
                             [WEEKS[1]])[0]
    assert edition["revision"] == 1
    assert f"edition {edition['edition_id']}" not in html and "revision" not in html  # no internal ids as labels
    assert "Computed" in html and "from the playback logs" in html
    links = hrefs(html)
    assert f"/weeks/{WEEKS[0]}" in links and f"/weeks/{WEEKS[2]}" in links  # previous and next
    assert all(f"/weeks/{week}" in links for week in WEEKS)  # the picker lists every week


def test_re_entry_and_new_are_marked(computed: TestClient) -> None:
    rows = {row["_attrs"]["data-title-id"]: row for row in table_rows(computed.get(f"/weeks/{WEEKS[2]}").text)}
    assert rows["F12"]["Change"] == "Re-entry"  # on the list in week 0, off in week 1, back in week 2
    assert rows["F01"]["Change"] == "New"


def test_api_global_lists_equal_the_warehouse(computed: TestClient, warehouse: Warehouse) -> None:
    body = computed.get(f"/api/weeks/{WEEKS[2]}/global").json()
    assert body["week"] == WEEKS[2].isoformat() and body["start"] == (WEEKS[2] - dt.timedelta(days=6)).isoformat()
    assert [item["category"] for item in body["lists"]] == list(GLOBAL_CATEGORIES)
    for item in body["lists"]:
        expected = weekly_list(warehouse, WEEKS[2], category=item["category"])
        assert len(item["entries"]) == len(expected)
        for entry, row in zip(item["entries"], expected):
            assert entry["rank"] == row["rank"] and entry["title_id"] == row["title_id"]
            assert entry["hours_viewed"] == row["hours_viewed"] and entry["views"] == row["views"]
            assert entry["runtime_hours"] == row["runtime_hours"]
            assert entry["cumulative_weeks_in_top_10"] == row["cumulative_weeks"]
            assert (entry["movement"], entry["movement_places"]) == expected_movement(
                warehouse, WEEKS[2], item["category"], None, row)
    assert body["edition"]["origin"] == "computed" and body["edition"]["revision"] == 1


def test_api_category_filter(computed: TestClient, warehouse: Warehouse) -> None:
    body = computed.get("/api/weeks/latest/global?category=TV%20(Non-English)").json()
    assert [item["category"] for item in body["lists"]] == ["TV (Non-English)"]
    expected = weekly_list(warehouse, LATEST, category="TV (Non-English)")
    assert [entry["title_id"] for entry in body["lists"][0]["entries"]] == [row["title_id"] for row in expected]


@pytest.mark.parametrize("iso2", ["US", "KR", "JP"])
def test_country_page_and_api_equal_the_warehouse(computed: TestClient, warehouse: Warehouse, iso2: str) -> None:
    html = computed.get(f"/weeks/{WEEKS[1]}/countries/{iso2.lower()}").text
    body = computed.get(f"/api/weeks/{WEEKS[1]}/countries/{iso2}").json()
    assert body["country"]["iso2"] == iso2
    for category, item in zip(COUNTRY_CATEGORIES, body["lists"]):
        expected = weekly_list(warehouse, WEEKS[1], category=category, country=iso2)
        shown = table_rows(html, slug(category))
        assert [row["_attrs"]["data-title-id"] for row in shown] == [row["title_id"] for row in expected]
        assert [row["Weeks in Top 10"] for row in shown] == [str(row["cumulative_weeks"]) for row in expected]
        assert [(entry["rank"], entry["title_id"], entry["cumulative_weeks_in_top_10"]) for entry in item["entries"]] \
            == [(row["rank"], row["title_id"], row["cumulative_weeks"]) for row in expected]
        assert "hours_viewed" not in item["entries"][0]  # country lists are ranks only, as published


def test_countries_overview_shows_each_number_one(computed: TestClient, warehouse: Warehouse) -> None:
    rows = {row["_attrs"]["data-country"]: row for row in table_rows(computed.get("/countries").text)}
    api = {item["iso2"]: item for item in computed.get("/api/weeks/latest/countries").json()["countries"]}
    assert set(rows) == set(api) == {"US", "GB", "KR", "FR", "BR", "JP"}
    for iso2, row in rows.items():
        for category in COUNTRY_CATEGORIES:
            top = weekly_list(warehouse, LATEST, category=category, country=iso2)[0]
            title = top["season_title"] or top["show_title"]
            assert row[f"No. 1 in {category}"] == title
            assert api[iso2]["number_one"][slug(category)]["title_id"] == top["title_id"]


def test_title_page_and_api_match_the_facts(computed: TestClient, warehouse: Warehouse) -> None:
    facts = title_facts(warehouse, "S06-1")
    body = computed.get("/api/titles/S06-1").json()
    assert body["facts"] == to_jsonable(facts)
    assert [row["rank"] for row in body["history"]] == [row["rank"] for row in facts["history"]]
    html = computed.get("/titles/S06-1").text
    history = [row for row in table_rows(html) if "data-week" in row["_attrs"]]
    assert [row["Rank"] for row in history] == [str(row["rank"]) for row in facts["history"]]
    assert [row["Hours viewed"] for row in history] == [number(row["hours_viewed"]) for row in facts["history"]]
    assert f"{facts['weeks_in_top_10']}</dd>" in html
    assert 'role="img"' in html and "<title id=\"rank-chart-title\">Weekly rank of Moon Palace: Season 1</title>" in html
    countries = [row for row in table_rows(html) if "data-country" in row["_attrs"]]
    assert {row["_attrs"]["data-country"] for row in countries} == {row["iso2"] for row in body["countries"]}
    assert body["countries_week"] == LATEST.isoformat()


def test_factsheet_page_and_api_give_every_figure_with_its_source(computed: TestClient, warehouse: Warehouse) -> None:
    sheet = factsheet(warehouse, "S01-2")
    assert computed.get("/api/titles/S01-2/factsheet").json() == {"ok": True, "factsheet": to_jsonable(sheet)}
    html = computed.get("/titles/S01-2/factsheet").text
    rows = {row["_attrs"]["data-figure"]: row for row in table_rows(html) if "data-figure" in row["_attrs"]}
    debut = sheet["debut"]
    assert rows["debut"]["Value"] == f"No. {debut['rank']} in {debut['category']}, week ending {long_date(debut['week'])}"
    assert rows["debut"]["Source"] == f"Global lists, week ending {long_date(debut['week'])} (computed)"
    assert rows["weeks_in_top_10"]["Value"].startswith(f"{sheet['weeks_in_top_10']} (peak No. {sheet['peak_rank']},")
    weekend = sheet["first_weekend"]
    assert rows["first_weekend"]["Value"].startswith(f"{figure(weekend['hours_viewed'], 'hours')}")
    assert rows["first_weekend"]["Source"] == f"Rollups {long_date(weekend['start'])} to {long_date(weekend['end'])}"
    first = sheet["countries"]["debut_week"]
    assert rows["countries_debut_week"]["Value"].startswith(f"Top 10 in {first['count']} of {first['of']} countries")
    links = hrefs(html)
    assert f"/weeks/{debut['week']}" in links and f"/weeks/{first['week']}/countries" in links  # sources link to editions
    assert "/titles/S01-1/factsheet" in links  # the other season, which has its own fact sheet
    assert "/titles/S01-2/factsheet" in hrefs(computed.get("/titles/S01-2").text)


def test_factsheet_of_an_unknown_title_is_404(computed: TestClient) -> None:
    assert computed.get("/titles/NOPE/factsheet").status_code == 404
    assert computed.get("/api/titles/NOPE/factsheet").json() == {"ok": False, "status": 404,
                                                              "error": "no title with the id 'NOPE' (search for it at /search)"}


def test_title_page_for_a_chosen_week(computed: TestClient, warehouse: Warehouse) -> None:
    html = computed.get(f"/titles/F15/weeks/{WEEKS[0]}").text
    shown = {row["_attrs"]["data-country"]: row["Rank"] for row in table_rows(html) if "data-country" in row["_attrs"]}
    expected = {iso2: str(row["rank"]) for iso2 in ("US", "GB", "KR", "FR", "BR", "JP")
                for row in weekly_list(warehouse, WEEKS[0], category="Films", country=iso2) if row["title_id"] == "F15"}
    assert shown == expected and shown


def test_title_never_charted(computed: TestClient) -> None:
    html = computed.get("/titles/F14").text
    assert "Never in a global Top 10" in html and "has not been on any country" in html
    assert computed.get("/api/titles/F14").json()["history"] == []


def test_search_finds_titles_and_paginates(computed: TestClient) -> None:
    rows = table_rows(computed.get("/search?q=HARBOR").text)
    assert sorted(row["_attrs"]["data-title-id"] for row in rows) == ["F04", "S01-1", "S01-2"]
    first = computed.get("/api/titles?per_page=7").json()
    assert (first["total"], first["pages"], first["page"], len(first["items"])) == (30, 5, 1, 7)
    assert first["previous"] is None and first["next"] == "/api/titles?page=2&per_page=7"
    seen = [item["title_id"] for item in first["items"]]
    page = first
    while page["next"]:
        page = computed.get(page["next"]).json()
        seen += [item["title_id"] for item in page["items"]]
    assert sorted(seen) == sorted({title_id for title_id in seen}) and len(seen) == 30
    assert computed.get("/api/titles?q=zzzz").json() | {"items": None} == {
        "ok": True, "query": "zzzz", "page": 1, "per_page": 50, "total": 0, "pages": 1, "previous": None,
        "next": None, "items": None}


def test_api_weeks_and_countries(computed: TestClient, warehouse: Warehouse) -> None:
    body = computed.get("/api/weeks").json()
    assert body["latest"] == LATEST.isoformat() and body["count"] == 4
    assert [item["week"] for item in body["weeks"]] == [week.isoformat() for week in reversed(WEEKS)]
    assert all(item["global"]["origin"] == "computed" and item["countries"] for item in body["weeks"])
    countries = computed.get("/api/countries").json()
    assert [(item["iso2"], item["weeks"]) for item in countries["countries"]] == [
        ("BR", 4), ("FR", 4), ("JP", 4), ("KR", 4), ("GB", 4), ("US", 4)]


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"ok", "status", "error"} and body["ok"] is False
    assert body["status"] == response.status_code and isinstance(body["error"], str) and body["error"]
    return body


@pytest.mark.parametrize("path, status, words", [
    ("/api/weeks/2026-13-45/global", 400, "not a valid calendar date"),
    ("/api/weeks/last-week/global", 400, "YYYY-MM-DD"),
    ("/api/weeks/2026-11-14/global", 404, "no lists for the week ending 2026-11-14"),
    ("/api/weeks/1999-01-03/global", 404, "published weeks run from"),
    ("/api/weeks/latest/global?category=documentaries", 400, "unknown category"),
    ("/api/weeks/latest/countries/%C3%84%C3%96", 400, "not an ISO 3166-1 alpha-2 code"),
    ("/api/weeks/latest/countries/USA", 400, "not an ISO 3166-1 alpha-2 code"),
    ("/api/weeks/latest/countries/ZZ", 404, "no country with the code 'ZZ'"),
    ("/api/weeks/latest/countries/DE", 404, "Germany has no Top 10 lists"),
    ("/api/titles?page=0", 400, "page 0 is out of range"),
    ("/api/titles?page=99999999999999999999", 400, "not a whole number"),
    ("/api/titles?page=99999", 404, "past the last page"),
    ("/api/titles?page=-1", 400, "not a whole number"),
    ("/api/titles?per_page=5000", 400, "per_page 5,000 is out of range"),
    ("/api/titles?q=%00evil", 400, "control characters"),
    ("/api/titles?q=" + "x" * 500, 400, "limit is 200"),
    ("/api/titles/nope", 404, "no title with the id 'nope'"),
    ("/api/titles/%F0%9F%92%A5%E2%80%AE", 404, "no title with the id"),
    (f"/api/titles/F15?week={WEEKS[0]}x", 400, "YYYY-MM-DD"),
    ("/api/titles/F14?week=2026-11-15", 404, "was on no country Top 10 list"),
    ("/api/reports/most-popular", 404, "no most popular report"),
    ("/api/reports/elsewhere", 404, "no elsewhere report"),
    ("/api/nothing/here", 404, "there is no page at /api/nothing/here"),
    ("/downloads/all-weeks-films.json", 404, "no download named"),
    ("/downloads/weeks/2026-11-14/global.json", 404, "no lists for the week"),
])
def test_api_errors_have_one_shape(computed: TestClient, path: str, status: int, words: str) -> None:
    response = computed.get(path)
    assert response.status_code == status
    assert words in error_of(response)["error"]
    assert response.headers["cache-control"] == "no-store"


def test_api_method_not_allowed(computed: TestClient) -> None:
    response = computed.post("/api/weeks")
    assert response.status_code == 405 and error_of(response)["error"] == "POST is not allowed here"


@pytest.mark.parametrize("path, status, words", [
    ("/weeks/2026-02-30", 400, "not a valid calendar date"),
    ("/weeks/2026-11-14", 404, "no lists for the week"),
    ("/countries/%E2%98%83", 400, "not an ISO 3166-1 alpha-2 code"),
    ("/titles/missing", 404, "no title with the id"),
    ("/titles/F02/weeks/2020-01-05", 404, "was on no country Top 10 list"),
    ("/search?page=abc", 400, "not a whole number"),
    ("/search?q=a&page=500", 404, "past the last page"),
    ("/no/such/page", 404, "there is no page at /no/such/page"),
    ("/engagement", 404, "no engagement report"),
    ("/most-popular/9-days-films", 404, "most popular has no list named"),
])
def test_html_errors_are_pages(computed: TestClient, path: str, status: int, words: str) -> None:
    response = computed.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert words in response.text.replace("&#39;", "'") and "<h1>" in response.text


def test_hostile_titles_are_text(computed: TestClient) -> None:
    for path in ("/", "/titles/F01", "/titles/F02", "/search?q=script", "/countries", "/countries/KR",
                 f"/titles/F01/weeks/{LATEST}"):
        html = computed.get(path).text
        assert HOSTILE not in html and "<Script>" not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in computed.get("/").text
    assert "&lt;Script&gt; &amp; &#34;Quotes&#34;, Inc." in computed.get("/").text
    echoed = computed.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E").text
    assert HOSTILE not in echoed and 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in echoed
    assert computed.get("/api/titles/F01").json()["title"]["show_title"] == HOSTILE  # JSON carries it as data
    assert QUOTES in {item["show_title"] for item in computed.get("/api/titles?q=quotes").json()["items"]}


def test_pages_load_no_inline_script(computed: TestClient) -> None:
    html = computed.get("/").text
    assert html.count("<script") == 1 and '<script src="/static/site.js" defer></script>' in html
    tags = re.findall(r"<[a-z][^>]*>", html)  # a widget snippet shown as text may name a style
    assert tags and not any(" style=" in tag or " on" + "click=" in tag for tag in tags)


def test_caching_headers_and_etags(computed: TestClient) -> None:
    named = computed.get(f"/api/weeks/{LATEST}/global")
    latest = computed.get("/api/weeks/latest/global")
    assert named.headers["cache-control"] == "public, max-age=3600"
    assert latest.headers["cache-control"] == "public, max-age=60"
    assert named.content == latest.content and named.headers["etag"] == latest.headers["etag"]
    again = computed.get(f"/api/weeks/{LATEST}/global", headers={"if-none-match": named.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    page = computed.get(f"/weeks/{LATEST}")
    assert computed.get(f"/weeks/{LATEST}", headers={"if-none-match": page.headers["etag"]}).status_code == 304
    assert computed.get(f"/weeks/{LATEST}", headers={"if-none-match": '"other"'}).status_code == 200


def test_tsv_downloads_are_the_published_files(computed: TestClient, warehouse: Warehouse, tmp_path: Path) -> None:
    export_all(warehouse, tmp_path)
    for scope in ("global", "countries"):
        response = computed.get(f"/downloads/all-weeks-{scope}.tsv")
        assert response.content == (tmp_path / f"all-weeks-{scope}.tsv").read_bytes()
        assert response.headers["content-disposition"] == f'attachment; filename="all-weeks-{scope}.tsv"'
    week_file = computed.get(f"/downloads/weeks/{WEEKS[1]}/global.tsv").text.splitlines()
    everything = (tmp_path / "all-weeks-global.tsv").read_text().splitlines()
    assert week_file == [everything[0]] + [line for line in everything[1:] if line.startswith(WEEKS[1].isoformat())]


def test_xlsx_and_json_downloads_carry_the_same_cells(computed: TestClient, tmp_path: Path) -> None:
    tsv = [line.split("\t") for line in computed.get("/downloads/all-weeks-countries.tsv").text.splitlines()]
    records = computed.get("/downloads/all-weeks-countries.json").json()
    workbook = openpyxl.load_workbook(io.BytesIO(computed.get("/downloads/all-weeks-countries.xlsx").content))
    sheet = [list(row) for row in workbook["countries"].iter_rows(values_only=True)]
    assert sheet[0] == tsv[0] and list(records[0]) == tsv[0]
    assert len(sheet) == len(tsv) and len(records) == len(tsv) - 1
    for cells, record, row in zip(sheet[1:], records, tsv[1:]):
        assert [str(value) for value in cells] == row
        assert [str(value) for value in record.values()] == row
        assert isinstance(record["weekly_rank"], int)


def test_openapi_describes_every_api_route(computed: TestClient, warehouse: Warehouse) -> None:
    document = computed.get("/api/openapi.json").json()
    assert document == json.loads(json.dumps(to_jsonable(openapi_document(ENDPOINTS, samples(warehouse)))))
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {endpoint.path for endpoint in ENDPOINTS}
    text = json.dumps(document)
    for reference in {part.split('"')[0] for part in text.split('"$ref": "#/')[1:]}:
        node: Any = document
        for key in reference.split("/"):
            node = node[key]
    for path, item in document["paths"].items():
        names = {parameter["name"] for parameter in item["get"]["parameters"]}
        assert {part[1:-1] for part in path.split("/") if part.startswith("{")} <= names
        assert all(parameter == {**document["components"]["parameters"][key], **(
            {"example": parameter["example"]} if "example" in parameter else {})}
            for key, parameter in zip(next(e.parameters for e in ENDPOINTS if e.path == path),
                                      item["get"]["parameters"]))


@pytest.fixture()
def locked_warehouse(computed_path: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the warehouse held open read-write by another process, as `viewrank ingest` would."""
    copy = tmp_path / "warehouse"
    shutil.copytree(computed_path, copy)
    code = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    with subprocess.Popen([sys.executable, "-c", code, str(copy / "viewrank.duckdb")],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        try:
            yield copy
        finally:
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(timeout=30)


def test_a_warehouse_busy_before_the_first_snapshot_answers_503(locked_warehouse: Path) -> None:
    with TestClient(create_app(locked_warehouse, retry_delays=(0.01, 0.01))) as busy:
        response = busy.get("/api/weeks")
        assert response.status_code == 503 and response.headers["retry-after"] == "2"
        assert "being written by another process" in error_of(response)["error"]
        page = busy.get("/")
        assert page.status_code == 503 and "The charts are being updated" in page.text


def test_answers_stay_consistent_during_a_write_and_show_it_once_committed(computed_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "warehouse"
    shutil.copytree(computed_path, copy)
    with TestClient(create_app(copy, retry_delays=(0.01,))) as cached_client:
        before = cached_client.get("/api/weeks").json()
        countries_before = cached_client.get("/api/countries").json()
        code = ("import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.readline(); "
                "con.execute(\"INSERT INTO editions SELECT 999, week, scope, origin, 2, source, methodology, created_at, published "
                "FROM editions WHERE scope = 'global' AND week = (SELECT max(week) FROM editions)\"); "
                "con.execute('INSERT INTO chart_entries SELECT 999, c.* EXCLUDE (edition_id) FROM chart_entries c "
                "JOIN editions e USING (edition_id) WHERE e.week = (SELECT max(week) FROM editions) "
                "AND e.scope = \\'global\\' AND e.revision = 1'); con.close()")
        with subprocess.Popen([sys.executable, "-c", code, str(copy / "viewrank.duckdb")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) as writer:
            assert writer.stdout is not None and writer.stdin is not None
            assert writer.stdout.readline().strip() == "ready"
            assert cached_client.get("/api/weeks").json() == before  # from the cache, no lock needed
            assert cached_client.get("/api/countries").json() == countries_before
            assert cached_client.get("/api/titles").status_code == 200  # never cached: from the last snapshot
            writer.stdin.write("go\n")
            writer.stdin.close()
            assert writer.wait(timeout=60) == 0
        after = cached_client.get("/api/weeks").json()
        assert after["weeks"][0]["global"] == {**before["weeks"][0]["global"], "edition_id": 999, "revision": 2}


def test_the_server_does_not_keep_the_warehouse_locked(computed: TestClient, computed_path: Path) -> None:
    assert computed.get("/").status_code == 200
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    result = subprocess.run([sys.executable, "-c", code, str(computed_path / "viewrank.duckdb")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr  # a writer can open it between requests


@pytest.fixture()
def reports_client(computed_path: Path, tmp_path: Path) -> Iterator[TestClient]:
    """A copy of the warehouse with a most-popular list, as `viewrank import` writes it."""
    copy = tmp_path / "warehouse"
    shutil.copytree(computed_path, copy)
    con = duckdb.connect(str(copy / "viewrank.duckdb"))
    con.execute("""INSERT INTO most_popular (source_id, basis, category, rank, title_key, hours_viewed, runtime_hours, views)
                   SELECT 1, 'first_91_days', CASE WHEN kind = 'film' THEN 'Films' ELSE 'TV' END,
                          CAST(row_number() OVER (PARTITION BY kind ORDER BY title_id) AS INTEGER),
                          title_key, 1000.0 * title_key, 2.5, 400.0 * title_key
                   FROM titles WHERE title_id <> 'F14'""")
    con.close()
    with TestClient(create_app(copy)) as test_client:
        yield test_client


def test_report_pages_plug_in_when_the_table_has_rows(computed: TestClient, reports_client: TestClient) -> None:
    assert "Engagement" not in computed.get("/").text and computed.get("/engagement").status_code == 404
    computed = computed.get("/most-popular")  # from the rollups: no original in this catalog, so no list
    assert computed.status_code == 200 and "no most-popular list" in computed.text
    assert "/most-popular" in hrefs(reports_client.get("/").text)
    page = reports_client.get("/most-popular/tv?q=harbor&sort=-views")  # the TV tab
    assert page.status_code == 200
    rows = table_rows(page.text)
    assert [row["Title"] for row in rows] == ["Harbor Lights: Season 2", "Harbor Lights: Season 1"]
    assert [row["Runtime"] for row in rows] == ["2:30"] * 2
    assert [row["Title"] for row in table_rows(reports_client.get("/most-popular?q=harbor").text)] == [
        "The Last Harbor"]  # the first tab, Films
    body = reports_client.get("/api/reports/most-popular?sort=rank&per_page=3&page=2").json()
    assert (body["total"], body["pages"]) == (29, 10)
    assert body["columns"] == ["basis", "category", "rank", "hours_viewed", "runtime_hours", "views"]
    assert [row["rank"] for row in body["rows"]] == [2, 3, 3]  # films and TV ranks, interleaved
    assert reports_client.get("/api/reports").json()["reports"][0]["slug"] == "most-popular"
    bad = reports_client.get("/api/reports/most-popular?sort=title_key")
    assert bad.status_code == 400 and "cannot sort by 'title_key'" in error_of(bad)["error"]


def test_a_snapshot_being_read_survives_refreshes_and_goes_once_read(computed_path: Path, tmp_path: Path) -> None:
    from viewrank.web.connection import WarehouseReader
    copy = tmp_path / "warehouse"
    shutil.copytree(computed_path, copy)
    reader = WarehouseReader(copy, cache_entries=0)
    try:
        def write(number: int) -> None:
            with Warehouse(copy) as warehouse:
                warehouse.execute("CREATE OR REPLACE TABLE scratch AS SELECT ? AS n", [number])
        with reader.open() as held:
            first = set(reader._snapshots.iterdir())
            for number in range(3):  # three refreshes while the first snapshot is still being read
                write(number)
                with reader.open() as newer:
                    assert newer.scalar("SELECT n FROM scratch") == number
            assert first <= set(reader._snapshots.iterdir())
            assert held.scalar("SELECT count(*) FROM titles") > 0
        assert [path.name for path in reader._snapshots.glob("*.duckdb")] == ["snapshot-4.duckdb"]
    finally:
        reader.close()


def test_a_snapshot_keeps_its_rollups_when_their_parts_are_replaced(computed_path: Path, tmp_path: Path) -> None:
    from viewrank.rollup.daily import rollup
    from viewrank.web.connection import WarehouseReader
    copy = tmp_path / "warehouse"
    shutil.copytree(computed_path, copy)
    reader = WarehouseReader(copy, cache_entries=0)
    try:
        with reader.open() as held:
            totals = "SELECT count(*), sum(seconds) FROM daily_rollup"
            before = held.execute(totals).fetchone()
            old_parts = set((copy / "rollups").rglob("*.parquet"))
            with Warehouse(copy) as warehouse:
                rollup(warehouse, full=True)  # every part written anew, the old ones deleted
            assert old_parts and not old_parts & set((copy / "rollups").rglob("*.parquet"))
            assert held.execute(totals).fetchone() == before and before[0] > 0
        with reader.open() as newer:
            assert newer.execute(totals).fetchone() == before
    finally:
        reader.close()


def test_a_wal_that_vanishes_as_the_server_looks_is_no_error(computed_path: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by the soak test: a writer's WAL was seen to exist, then gone when its size was read."""
    from viewrank.web.connection import WarehouseReader
    copy = tmp_path / "warehouse"
    shutil.copytree(computed_path, copy)
    wal, real_exists = copy / "viewrank.duckdb.wal", Path.exists
    monkeypatch.setattr(Path, "exists", lambda self, *args, **kwargs: self == wal or real_exists(self, *args, **kwargs))
    reader = WarehouseReader(copy, cache_entries=0)
    try:
        with reader.open() as warehouse:
            assert warehouse.scalar("SELECT count(*) FROM titles") > 0
    finally:
        reader.close()


def test_a_title_pages_country_weeks_come_from_its_country_rows(warehouse: Warehouse) -> None:
    """The title page derives its weeks in country lists from the rows it reads for the map;
    they equal the separate query the API and the comparison use, for every charted title."""
    from viewrank.web import queries

    keys = [key for (key,) in warehouse.execute("SELECT DISTINCT title_key FROM current_entries WHERE scope = 'country'")
            .fetchall()]
    assert len(keys) > 20
    for key in keys:
        rows = queries.title_countries(warehouse, key, None)
        assert queries.country_weeks_of(rows) == queries.title_country_weeks(warehouse, key), key
