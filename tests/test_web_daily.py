"""The daily, window and specialty-list pages, in-process, over the hand-made warehouse with
some titles marked kids and originals: each list checked against the rollups summed in SQL
here, and a window that is a chart week against that week's published list."""

from __future__ import annotations

import csv
import datetime as dt
import re
import warnings
from pathlib import Path

import pytest
from web_html import hrefs, table_rows
from web_support import WEEKS, build_warehouse

from viewrank.catalog import import_catalog
from viewrank.store.warehouse import Warehouse
from viewrank.web import create_app

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

KIDS = {"F05", "F06", "S03-1"}
ORIGINALS = {"F03", "F04", "S01-1", "S06-1"}
DAY = dt.date(2026, 11, 14)
# A day's Films (English) by views (hours over runtime), summed from the rollups of every country.
DAY_FILMS_SQL = """
SELECT t.title_id, sum(r.seconds) / 3600 AS hours, sum(r.seconds) / t.runtime_seconds AS views
FROM daily_rollup r JOIN titles t USING (title_key)
WHERE r.day = $day AND t.kind = 'film' AND t.original_language = 'en' AND (NOT $kids OR t.is_kids)
GROUP BY t.title_id, t.runtime_seconds ORDER BY views DESC, t.title_id LIMIT 10
"""


@pytest.fixture(scope="module")
def computed_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made warehouse, its catalog then marking a few titles kids and a few originals
    (conftest's `computed` client serves it)."""
    path = build_warehouse(tmp_path_factory.mktemp("daily") / "warehouse")
    source = path.parent / (path.name + "-inputs") / "titles.csv"
    with open(source, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    marked = path.parent / "titles-marked.csv"
    with open(marked, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, [*rows[0], "is_kids", "is_original"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "is_kids": str(row["title_id"] in KIDS).lower(),
                             "is_original": str(row["title_id"] in ORIGINALS).lower()})
    with Warehouse(path) as warehouse:
        import_catalog(warehouse, marked)
    return path


def expected_films(computed_path: Path, *, kids: bool = False) -> list[tuple[str, str]]:
    with Warehouse(computed_path, read_only=True) as warehouse:
        rows = warehouse.rows(DAY_FILMS_SQL, {"day": DAY, "kids": kids})
    return [(row["title_id"], f"{row['hours']:,.0f}") for row in rows]


def shown(html: str, section: str = "films-english") -> list[tuple[str, str]]:
    return [(row["_attrs"]["data-title-id"], row["Hours viewed"]) for row in table_rows(html, section)]


def test_a_days_lists_are_its_rollups(computed: TestClient, computed_path: Path) -> None:
    page = computed.get(f"/daily/{DAY}")
    assert page.status_code == 200
    assert "<h1>Daily Top 10: Saturday 14 November 2026</h1>" in page.text
    assert shown(page.text) == expected_films(computed_path) and len(shown(page.text)) == 10
    assert [row["Rank"] for row in table_rows(page.text, "films-english")] == [str(rank) for rank in range(1, 11)]
    links = hrefs(page.text)
    assert f"/daily/{DAY - dt.timedelta(days=1)}" in links and f"/daily/{DAY + dt.timedelta(days=1)}" in links
    assert f"/daily/{DAY}/kids" in links and f"/daily/{DAY}/originals" in links


def test_the_latest_day_and_the_last_day_has_no_next(computed: TestClient) -> None:
    latest = computed.get("/daily").text
    assert "Sunday 15 November 2026" in latest and 'rel="next"' not in latest
    first = computed.get(f"/daily/{WEEKS[0] - dt.timedelta(days=6)}").text
    assert 'rel="prev"' not in first and 'rel="next"' in first


def test_specialty_lists_rank_only_their_titles(computed: TestClient, computed_path: Path) -> None:
    kids = computed.get(f"/daily/{DAY}/kids").text
    assert shown(kids) == expected_films(computed_path, kids=True) and {title for title, _ in shown(kids)} <= KIDS
    assert 'aria-current="page" aria-selected="true">Kids</a>' in kids
    assert {row["_attrs"]["data-title-id"] for row in table_rows(kids, "tv-english")} == {"S03-1"}
    originals = computed.get("/daily/lists/originals").text
    listed = {row["_attrs"]["data-title-id"] for section in ("films-english", "tv-english", "tv-non-english")
              for row in table_rows(originals, section)}
    assert listed == ORIGINALS


def test_a_window_that_is_a_chart_week_equals_that_weeks_list(computed: TestClient) -> None:
    week = WEEKS[-1]
    window = computed.get(f"/windows/{week - dt.timedelta(days=6)}/{week}").text
    assert "<h1>Top 10 over 7 days: 9 November 2026 – 15 November 2026</h1>" in window
    published = computed.get(f"/weeks/{week}").text
    for section in ("films-english", "tv-english", "tv-non-english"):
        assert shown(window, section) == shown(published, section), section
    assert 'name="from"' in window and 'value="2026-11-09"' in window


def test_the_window_form_goes_to_the_windows_page(computed: TestClient) -> None:
    sent = computed.get("/windows?from=2026-11-01&to=2026-11-10&list=kids", follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/windows/2026-11-01/2026-11-10/kids"
    default = computed.get("/windows").text
    assert "Top 10 over 28 days: 19 October 2026 – 15 November 2026" in default


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/daily/2026-12-01", 404, "2026-12-01 to 2026-12-01 is not inside the rolled-up days 2026-10-19 to 2026-11-15"),
    (f"/daily/{DAY}/classics", 404, "no specialty list named &#39;classics&#39; (defined: kids, originals"),
    ("/daily/14-11-2026", 400, "day &#39;14-11-2026&#39; is not a date like 2026-11-15"),
    ("/windows/2026-11-10/2026-11-01", 404, "the window ends (2026-11-01) before it starts (2026-11-10)"),
    ("/windows?from=2026-11-01", 400, "a window needs both from and to"),
])
def test_bad_days_lists_and_windows_are_one_clear_error(computed: TestClient, path: str, status: int,
                                                         message: str) -> None:
    answer = computed.get(path)
    assert answer.status_code == status and message in answer.text


def test_the_nav_and_the_week_page_lead_to_the_daily_lists(computed: TestClient) -> None:
    home = computed.get("/").text
    assert re.search(r'<a href="/daily"[^>]*>Daily</a>', home)
    assert f'href="/daily/{WEEKS[-1]}"' in home


def test_an_imported_warehouse_has_no_daily_lists(tmp_path: Path) -> None:
    with Warehouse.init(tmp_path / "empty"):
        pass
    with TestClient(create_app(tmp_path / "empty")) as empty:
        assert ">Daily</a>" not in empty.get("/").text
        answer = empty.get("/daily")
        assert answer.status_code == 404 and "no playback events yet" in answer.text
