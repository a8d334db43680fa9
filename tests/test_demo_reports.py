"""Windows, reports, fact sheets and viewer counts on the built-in demo service: they agree with
the weekly editions, the published layouts and the exact counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterator

import openpyxl
import pytest
from click.testing import CliRunner

from viewrank import Warehouse
from viewrank.charts.lists import window_lists
from viewrank.charts.weekly import GLOBAL_CATEGORIES, published_weeks, weekly_list
from viewrank.charts.windows import covered_days, date_window
from viewrank.cli.main import cli
from viewrank.reports.audience import estimated_viewers, exact_audience
from viewrank.reports.factsheet import factsheet
from viewrank.reports.popular import engagement_report, export_engagement
from viewrank.rollup import sketch
from viewrank.tools.demo import run_demo

END = dt.date(2026, 11, 15)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 titles, 4 weeks, 200,000 sessions (about 8 s: the catalog import and 28 ingests dominate)."""
    path = tmp_path_factory.mktemp("demo") / "warehouse"
    run_demo(path, titles=60, weeks=4, sessions=200_000, end_date=END)
    return path


@pytest.fixture
def warehouse(demo: Path) -> Iterator[Warehouse]:
    with Warehouse(demo, read_only=True) as opened:
        yield opened


def test_a_chart_week_as_a_window_equals_its_edition(warehouse: Warehouse) -> None:
    for week in published_weeks(warehouse):
        lists = window_lists(warehouse, date_window(warehouse, week - dt.timedelta(days=6), week))["lists"]
        for category in GLOBAL_CATEGORIES:
            published = weekly_list(warehouse, week, category=category)
            assert [r["title_id"] for r in lists[category]] == [r["title_id"] for r in published]
            assert [(r["hours_viewed"], r["views"]) for r in lists[category]] == [
                (pytest.approx(r["hours_viewed"]), pytest.approx(r["views"])) for r in published]


def test_fact_sheets_agree_with_the_lists(warehouse: Warehouse) -> None:
    charted = warehouse.execute("""SELECT DISTINCT t.title_id FROM current_entries c JOIN titles t USING (title_key)
                                   WHERE c.scope = 'global' ORDER BY 1""").fetchall()
    assert len(charted) > 20
    for (title_id,) in charted:
        sheet = factsheet(warehouse, title_id)
        entries = warehouse.rows("""SELECT c.week, c.rank, c.edition_id FROM current_entries c JOIN titles t USING (title_key)
                                    WHERE c.scope = 'global' AND t.title_id = ? ORDER BY c.week""", [title_id])
        assert (sheet["debut"]["week"], sheet["debut"]["rank"], sheet["debut"]["source"]["edition_id"]) == (
            entries[0]["week"], entries[0]["rank"], entries[0]["edition_id"])
        assert sheet["weeks_in_top_10"] == len(entries)
        assert sheet["peak_rank"] == min(entry["rank"] for entry in entries)
        for week in sheet["countries"]["by_week"] if sheet["countries"] else []:
            count, number_one = warehouse.execute(
                """SELECT count(*), count(*) FILTER (WHERE c.rank = 1) FROM current_entries c JOIN titles t USING (title_key)
                   WHERE c.scope = 'country' AND c.week = ? AND t.title_id = ?""", [week["week"], title_id]).fetchone()
            assert (week["count"], len(week["number_one"])) == (count, number_one)
        debut_countries = sheet["countries"]["debut_week"] if sheet["countries"] else None
        if debut_countries:
            assert debut_countries["count"] == next(
                (week["count"] for week in sheet["countries"]["by_week"] if week["week"] == debut_countries["week"]), 0)


def test_sketch_estimates_are_within_their_error_of_the_exact_counts(warehouse: Warehouse) -> None:
    window = date_window(warehouse, *covered_days(warehouse))
    keys = [key for (key,) in warehouse.execute("SELECT title_key FROM titles").fetchall()]
    exact = exact_audience(warehouse, window, keys)
    estimated = estimated_viewers(warehouse, window)
    assert set(estimated) == set(exact)
    for key, counts in exact.items():
        # 3 standard errors, plus the couple of accounts a register collision can hide in a small set.
        assert abs(estimated[key] - counts["accounts"]) <= 3 * sketch.STANDARD_ERROR * counts["accounts"] + 2, key


def test_engagement_report_opens_in_the_published_layout(warehouse: Warehouse, tmp_path: Path) -> None:
    report = engagement_report(warehouse, "2026H2", min_hours=10)
    assert report["rounding"] == {"hours": 100, "views": 100}   # the demo's rounding settings
    assert sum(len(rows) for rows in report["sheets"].values()) > 40
    export_engagement(report, xlsx=tmp_path / "What_We_Watched_2026Jul-Dec.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "What_We_Watched_2026Jul-Dec.xlsx")
    assert workbook.sheetnames == ["TV", "Film"]
    for name in workbook.sheetnames:
        sheet = workbook[name]
        assert [cell.value for cell in sheet[6]][1:7] == ["Title", "Available Globally?", "Release Date", "Hours Viewed",
                                                          "Runtime", "Views"]
        assert sheet["B3"].value == "Views from July to December 2026"
        assert sheet["B4"].value == "Rolled-up days 2026-10-19 to 2026-11-15 only"
        rows = list(sheet.iter_rows(min_row=7, min_col=2, max_col=7, values_only=True))
        assert len(rows) == len(report["sheets"][name])
        assert all(hours >= 100 and hours % 100 == 0 and views % 100 == 0 for _, _, _, hours, _, views in rows)


def test_the_importer_reads_the_report_back(warehouse: Warehouse, tmp_path: Path) -> None:
    report = engagement_report(warehouse, "2026H2", min_hours=10)
    path = tmp_path / "What_We_Watched_2026Jul-Dec.xlsx"
    export_engagement(report, xlsx=path)
    fresh = tmp_path / "fresh"
    assert CliRunner().invoke(cli, ["init", str(fresh)]).exit_code == 0
    result = CliRunner().invoke(cli, ["import", "engagement", str(path), "--warehouse", str(fresh)])
    assert result.exit_code == 0, result.output
    with Warehouse(fresh, read_only=True) as imported:
        rows = imported.rows("""SELECT sheet, title, available_globally, release_date, hours_viewed, runtime_text, views,
                                       period_start, period_end FROM current_engagement_rows ORDER BY sheet DESC, sheet_row""")
    assert [(r["period_start"], r["period_end"]) for r in rows[:1]] == [(dt.date(2026, 7, 1), dt.date(2026, 12, 31))]
    assert [(r["sheet"], r["title"], r["available_globally"], r["release_date"], r["hours_viewed"], r["runtime_text"],
             r["views"]) for r in rows] == [
        (sheet, entry["title"], entry["available_globally"], entry["release_date"], entry["hours_shown"],
         entry["runtime_shown"], entry["views_shown"]) for sheet, entries in report["sheets"].items() for entry in entries]


def test_commands_on_the_demo(demo: Path, tmp_path: Path) -> None:
    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--warehouse", str(demo)])
        assert result.exit_code == 0, result.output
        return result.output
    out = tmp_path / "engagement.xlsx"
    assert run("engagement", "--half", "2026H2", "--min-hours", "10", "--out", str(out)).startswith(
        "2026H2: 2026-10-19 to 2026-11-15 (the days rolled up so far), titles over 10 hours: TV ")
    assert out.exists()
    assert run("most-popular").endswith("\nNo original's first 91 days are all rolled up yet: "
                                        "fewer than 91 days are rolled up.\n")
    assert run("window", "--week", "2026-11-15", "--rank-by", "viewers", "--audience").startswith(
        "Films (English), global, 2026-11-09 to 2026-11-15, by viewers\n"
        " #  Title                      Hours viewed  Views  Viewers  Accounts  Starters  Watchers  Completers\n")
    assert run("factsheet", "F000013").startswith("# Midnight in Berlin\n")
    assert run("list-definitions") == ("List       Description  Filter\n"
                                       "---------  -----------  -------------------\n"
                                       "kids                    kids=True\n"
                                       "originals               originals_only=True\n")
