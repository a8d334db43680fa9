"""What a reader sees on the site's pages, in-process, over slices of Netflix's real files and
the small hand-made warehouse: no internal context or ids as text, missing data not shown as
fact, week wording and units as Netflix writes them."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path
from typing import Iterator

import pytest
from import_support import COUNTRIES_SLICE, ENGAGEMENT_2023H1, ENGAGEMENT_2024H2, GLOBAL_SLICE, MOST_POPULAR, run
from starlette.exceptions import StarletteDeprecationWarning
from web_html import table_rows
from web_support import WEEKS, build_warehouse

from viewrank.reports.popular import most_popular
from viewrank.store.warehouse import Warehouse
from viewrank.web import create_app, pages
from viewrank.web.render import figure

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

DIPLOMAT = "The Diplomat: Season 1"
COUNTRY_WEEK = dt.date(2023, 4, 23)


@pytest.fixture(scope="module")
def real_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse of real published slices: 4+ weeks of global lists, one week of country lists."""
    path = tmp_path_factory.mktemp("real") / "warehouse"
    run("init", path)
    run("import", "netflix-top10", GLOBAL_SLICE, COUNTRIES_SLICE, MOST_POPULAR, "--warehouse", path)
    run("import", "engagement", ENGAGEMENT_2023H1, ENGAGEMENT_2024H2, "--warehouse", path)
    return path


@pytest.fixture(scope="module")
def real(real_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(real_path)) as client:
        yield client


@pytest.fixture(scope="module")
def diplomat_id(real_path: Path) -> str:
    with Warehouse(real_path, read_only=True) as warehouse:
        return str(warehouse.scalar("SELECT title_id FROM titles WHERE season_title = ?", [DIPLOMAT]))


def text_of(html: str) -> str:
    """The page's visible words, roughly: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_titles_pager_says_which_page(real: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    html = real.get("/search").text
    assert "Page(" not in html and "template=" not in html
    total = int(re.search(r"([\d,]+) titles", html)[1].replace(",", ""))  # type: ignore[index]
    pages_count = -(-total // pages.SEARCH_PER_PAGE)
    assert pages_count > 1 and f"Page 1 of {pages_count}" in text_of(html)
    assert f"Page 2 of {pages_count}" in text_of(real.get("/search?page=2").text)


def test_countries_column_is_unknown_in_weeks_without_country_lists(real: TestClient, diplomat_id: str) -> None:
    rows = {row["_attrs"]["data-week"]: row["Countries"] for row in table_rows(real.get(f"/titles/{diplomat_id}").text)
            if "data-week" in row["_attrs"]}
    assert len(rows) == 6  # six weeks on the global lists, as published
    assert rows.pop(str(COUNTRY_WEEK)) == "86"  # Netflix: Top 10 in 86 countries that week
    assert set(rows.values()) == {"— (no country lists that week)"}


def test_no_re_entry_when_the_week_before_was_never_imported(real: TestClient) -> None:
    rows = table_rows(real.get(f"/weeks/{COUNTRY_WEEK}/countries/AR").text)
    changes = {row["Title"]: row["Change"] for row in rows}
    assert changes["The Night Agent"] == "—Last week not in this warehouse"  # 5 weeks in the Top 10
    assert changes["The Diplomat"] == "New"  # its first week
    assert "Re-entry" not in changes.values()


def test_films_have_no_season_column(real: TestClient, computed: TestClient) -> None:
    for client, path in ((real, f"/weeks/{COUNTRY_WEEK}"), (computed, "/"), (real, f"/weeks/{COUNTRY_WEEK}/countries/AR")):
        for row in table_rows(client.get(path).text):
            is_film = (row["_section"] or "").startswith("films")
            assert ("Season" in row) != is_film, (path, row)


def test_languages_by_name_and_no_internal_ids(computed: TestClient) -> None:
    title = computed.get("/titles/S06-1").text
    assert "TV season · Korean" in text_of(title)
    week = text_of(computed.get(f"/weeks/{WEEKS[1]}").text)
    assert "edition" not in week and "revision" not in week
    sheet = text_of(computed.get("/titles/S01-2/factsheet").text)
    assert "edition" not in sheet and f"Global lists, week ending {WEEKS[-1].day} November 2026" in sheet


def test_week_wording_and_units(real: TestClient, computed: TestClient, diplomat_id: str) -> None:
    for client, path in ((computed, "/"), (computed, "/countries"), (computed, "/countries/KR"), (real, f"/titles/{diplomat_id}"),
                         (real, f"/titles/{diplomat_id}/factsheet")):
        words = text_of(client.get(path).text)
        assert "week of" not in words.lower(), path
    assert "Week ending 15 November 2026 (9–15 November)" in text_of(computed.get("/").text)
    facts = text_of(real.get(f"/titles/{diplomat_id}").text)
    assert "57.48M hours" in facts  # Netflix: 57,480,000 hours viewed in its first week
    assert figure(57_480_000, "hours") == "57.48M hours" and figure(2_100_000, "views") == "2.1M views"
    assert figure(None) == "—" and figure(950) == "950"


def test_short_runs_get_no_charts(computed: TestClient) -> None:
    assert 'class="chart"' not in computed.get("/titles/S01-2").text  # one week on the lists
    assert computed.get("/titles/S06-1").text.count('class="chart"') == 3  # four weeks: rank, hours, views


def test_week_picker_keeps_the_tab(computed: TestClient) -> None:
    html = computed.get(f"/weeks/{WEEKS[1]}").text
    assert "data-keep-tab" in html  # site.js carries the chosen tab's #hash on these links
    assert "keepTab" in computed.get("/static/site.js").text


def minutes(runtime: str) -> int:
    hours, _, mins = runtime.partition(":")
    return int(hours) * 60 + int(mins)


def test_engagement_by_half_year_with_tv_and_film_tabs(real: TestClient) -> None:
    html = real.get("/engagement").text
    words = text_of(html)
    assert "Engagement reports: July–December 2024" in words  # the newest half imported, TV first
    assert "runtime text" not in words and "period start" not in words
    assert re.search(r"Title Hours viewed ▼? ?Views Runtime Released Available globally", words)
    assert 'href="/engagement/2023H1-tv"' in html and 'href="/engagement/2024H2-films"' in html
    tv = {row["Title"] for row in table_rows(html)}
    films = {row["Title"] for row in table_rows(real.get("/engagement/2024H2-films").text)}
    assert "The Diplomat: Season 2" in tv and "Maria" in films and not tv & films
    found = table_rows(real.get("/engagement/2024H2-tv?q=diplomat").text)
    assert sorted(row["Title"] for row in found) == ["The Diplomat: Season 1", "The Diplomat: Season 2"]


def test_engagement_sorts_runtime_as_a_duration(real: TestClient) -> None:
    rows = table_rows(real.get("/engagement/2024H2-tv?sort=runtime_text").text)
    shown = [row["Runtime"].rstrip("*") for row in rows if row["Runtime"] not in ("—", "*")]
    assert len(shown) > 10 and [minutes(text) for text in shown] == sorted(minutes(text) for text in shown)
    assert rows[-1]["Runtime"] == "*"  # no runtime published: last, not first
    descending = [row["Runtime"].rstrip("*") for row in table_rows(real.get("/engagement/2024H2-tv?sort=-runtime_text").text)]
    assert [minutes(text) for text in descending if text] == sorted((minutes(text) for text in shown), reverse=True)


def test_most_popular_has_netflix_category_tabs(real: TestClient) -> None:
    html = real.get("/most-popular/tv-english").text
    for tab in ("Films (English)", "Films (Non-English)", "TV (English)", "TV (Non-English)"):
        assert f">{tab}</a>" in html
    rows = table_rows(html)
    assert [row["Rank"] for row in rows] == [str(rank) for rank in range(1, 11)]
    assert rows[0]["Title"] == "Wednesday: Season 1" and rows[0]["Counted over"] == "First 91 days"
    assert rows[0]["Views"] == "252,100,000"  # as Netflix published it
    assert real.get("/api/reports/most-popular").json()["columns"] == [
        "basis", "category", "rank", "hours_viewed", "runtime_hours", "views"]  # the API keeps its shape


def test_title_map_colours_each_country_by_rank(real: TestClient, real_path: Path, diplomat_id: str) -> None:
    html = real.get(f"/titles/{diplomat_id}").text
    begin = html.index('<svg class="world-map"')
    svg = html[begin:html.index("</svg>", begin)]
    by_name = {name: css for css, name in re.findall(r'class="(map-[a-z0-9]+)"><title>([^<:]+):', svg)}
    with Warehouse(real_path, read_only=True) as warehouse:
        ranks = dict(warehouse.execute(
            "SELECT n.name, min(c.rank) FROM current_entries c JOIN countries n ON n.iso2 = c.country "
            "JOIN titles t USING (title_key) WHERE c.scope = 'country' AND c.week = ? AND t.title_id = ? GROUP BY 1",
            [COUNTRY_WEEK, diplomat_id]).fetchall())
    assert len(ranks) == 86  # Netflix: Top 10 in 86 countries in its first week
    bands = {1: "map-r1", 2: "map-r2", 3: "map-r2", 4: "map-r4", 5: "map-r4", 6: "map-r4"}
    for name, rank in ranks.items():  # small countries (Singapore, Malta, ...) are dots, coloured the same way
        assert by_name[name] == bands.get(rank, "map-r7"), name
    assert sum(css == "map-out" for css in by_name.values()) == 93 - 86  # lists that week, without the title
    assert 'href="/weeks/2023-04-23/countries/FI"' in svg  # each country with lists links to them
    assert "in the Top 10 of 86 of the 93 countries with lists" in svg


def test_rank_by_week_per_country(computed: TestClient) -> None:
    rows = [row for row in table_rows(computed.get("/titles/S06-1").text) if "data-country" in row["_attrs"]]
    assert rows and all("Rank by week" in row for row in rows)
    html = computed.get("/titles/S06-1").text
    assert html.count('class="spark"') == len(rows)
    assert re.search(r'aria-label="Rank in South Korea: week ending 2026-10-25: No\. \d+', html)


def test_compare_aligns_titles_by_week_since_premiere(real: TestClient, real_path: Path, diplomat_id: str) -> None:
    with Warehouse(real_path, read_only=True) as warehouse:
        aftermath, first, weeks = warehouse.execute(
            "SELECT t.title_id, min(c.week), count(DISTINCT c.week) FROM current_entries c JOIN titles t USING (title_key) "
            "WHERE t.show_title = 'Aftermath' AND c.scope = 'global' GROUP BY 1 ORDER BY 3 DESC, 2 LIMIT 1").fetchone()
    html = real.get(f"/compare?t={diplomat_id}&add=aftermath").text
    rows = table_rows(html)
    diplomat = {row["Week"]: row for row in rows if row["_attrs"]["data-title-id"] == diplomat_id}
    other = {row["Week"]: row for row in rows if row["_attrs"]["data-title-id"] == aftermath}
    assert (diplomat["1"]["Week ending"], diplomat["1"]["Hours viewed"], diplomat["1"]["Countries"]) == (
        "23 April 2023", "57,480,000", "86")
    assert diplomat["2"]["Week ending"] == "30 April 2023" and diplomat["2"]["Countries"] == "—"
    assert other["1"]["Week ending"] == f"{first.day} {first:%B %Y}" and len(other) == weeks  # no release date known
    for chart in ("compare-hours", "compare-rank", "compare-countries"):
        assert f'id="{chart}"' in html
    assert real.get("/compare?t=a&t=b&t=c&t=d&t=e").status_code == 404
    assert "No title matches" in real.get("/compare?add=zzzzzzzz").text


def test_most_popular_from_the_rollups_where_none_is_imported(tmp_path: Path) -> None:
    path = build_warehouse(tmp_path / "warehouse")
    with Warehouse(path) as warehouse:  # make the fixture's films originals, as the demo's are
        warehouse.execute("UPDATE titles SET is_original = true, release_date = DATE '2026-10-19'")  # 28 days rolled up
        expected = most_popular(warehouse, rule="hours28")["lists"]["Films (English)"]
    with TestClient(create_app(path)) as client:
        html = client.get("/").text
        assert 'href="/most-popular"' in html
        page = client.get("/most-popular/28-days-films-english").text
    rows = [row for row in table_rows(page) if "data-title-id" in row["_attrs"]]
    assert expected and [row["_attrs"]["data-title-id"] for row in rows] == [entry["title_id"] for entry in expected]
    assert [row["Hours viewed"] for row in rows] == [f"{entry['hours_viewed']:,.0f}" for entry in expected]
    assert "First 28 days, by hours" in text_of(page)


def test_no_output_names_a_week_by_week_of() -> None:
    """Weeks are named by their last day ('week ending 2026-11-15') in every page, message, CLI
    line and fact sheet; 'week of' a Sunday reads as a week starting then."""
    source = Path(__file__).resolve().parents[1] / "src" / "viewrank"
    found = [f"{path.relative_to(source)}:{number}" for path in sorted(source.rglob("*"))
             if path.suffix in (".py", ".html")
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"week of (\{|\d{4}-)", line)]
    assert found == []


def test_a_title_with_runs_years_apart_gets_charts_of_its_runs() -> None:
    """Two 4-week runs four years apart: the charts break the axis once instead of drawing 200
    empty weeks, and label each run with its own year."""
    from viewrank.web import svg

    runs = [dt.date(2020, 3, 1) + dt.timedelta(days=7 * i) for i in range(4)] + [
        dt.date(2024, 5, 5) + dt.timedelta(days=7 * i) for i in range(4)]
    history = [{"week": week, "rank": 1 + i % 4, "hours_viewed": 1e6 * (i + 1), "views": None}
               for i, week in enumerate(runs)]
    charts = svg.history_charts(history, list_size=10, title="Returning", number=figure)
    rank, hours = (str(chart["svg"]) for chart in charts)
    assert [chart["heading"] for chart in charts] == ["Rank", "Hours viewed"]
    assert hours.count('<rect class="chart-bar"') == 8 and hours.count('class="chart-break"') == 1
    widths = {float(width) for width in re.findall(r'class="chart-bar" x="[\d.]+" y="[\d.]+" width="([\d.]+)"', hours)}
    assert min(widths) == pytest.approx(svg.PLOT_WIDTH / 9 * 0.7, abs=0.1)  # 9 columns (8 weeks, 1 break), not 219
    labels = re.findall(r'text-anchor="(?:middle|end)">([^<]+)</text>', rank)
    assert "1 Mar 2020" in labels and "5 May 2024" in labels
    assert rank.count('<polyline class="chart-line"') == 2  # the line breaks between the runs
    assert "Off the list from 2020-03-22 to 2024-05-05" in rank
