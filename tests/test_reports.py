"""Most popular of all time and the half-year engagement report, on hand-computed cases.

Every event is dated in the past: ingest quarantines events from the future."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from builders import build_warehouse, film, plays, season
from click.testing import CliRunner

from viewrank import NotFound, Warehouse
from viewrank.errors import InvalidInput
from viewrank.cli.main import cli
from viewrank.formats.top10 import MOST_POPULAR_COLUMNS
from viewrank.reports.popular import (
    engagement_report,
    export_engagement,
    export_most_popular,
    half_year,
    most_popular,
    most_popular_columns,
    runtime_text,
    shown,
)

D = dt.date.fromisoformat


def titles_of(result: dict) -> dict[str, list[str]]:
    return {category: [row["title_id"] for row in rows] for category, rows in result["lists"].items() if rows}


# -- most popular ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def popular(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """Rolled-up days 2026-08-01 to 2026-11-08.

    O1 original, 1 h: 5 views on day 1, 2 on day 91 (10-30), 50 on day 92: 7 views, 7 hours in 91 days; 5 h in 28.
    O2 original, 1 h, from 08-02: 6 views; 6 hours in 28 days.
    O4 original, 4 h: 3 plays of 4 h on day 1: 3 views, 12 hours.
    N1 licensed: 100 views, not eligible. O3 original from 09-01: its 91st day (11-30) is not rolled up.
    SO original season, Korean: episode 1 (1 h) out on day 1, episode 2 only after its window.
    """
    titles = [film("O1", "One", runtime=3600, released="2026-08-01"), film("O2", "Two", runtime=3600, released="2026-08-02"),
              film("O4", "Four", runtime=14400, released="2026-08-01"),
              film("N1", "Licensed Hit", runtime=3600, released="2026-08-01", original=False),
              film("O3", "Too Recent", runtime=3600, released="2026-09-01"),
              season("SO", "Seoul", 1, language="ko", released="2026-08-01")]
    episodes = [{"episode_id": "SO-E1", "title_id": "SO", "episode_number": 1, "runtime_seconds": 3600,
                 "available_date": "2026-08-01"},
                {"episode_id": "SO-E2", "title_id": "SO", "episode_number": 2, "runtime_seconds": 3600,
                 "available_date": "2026-12-01"}]
    events = (plays("O1", day="2026-08-01", count=5) + plays("O1", day="2026-10-30", count=2)
              + plays("O1", day="2026-10-31", count=50)
              + plays("O2", day="2026-08-02", count=6)
              + plays("O4", day="2026-08-01", count=3, seconds=14400)
              + plays("N1", day="2026-08-01", count=100)
              + plays("O3", day="2026-09-01", count=80)
              + plays("SO-E1", day="2026-08-03", count=9, seconds=1800, episode=True, country="KR")
              + plays("N1", day="2026-11-08", count=1))
    return build_warehouse(tmp_path_factory.mktemp("popular"), titles=titles, episodes=episodes, events=events,
                           settings={"hours_rounding": 1, "views_rounding": 1}, weeks=[])


def test_most_popular_ranks_originals_by_views_in_their_first_91_days(popular: Warehouse) -> None:
    result = most_popular(popular)
    assert (result["rule"], result["days"], result["ranked_by"]) == ("views91", 91, "views")
    assert result["window"] == {"first_days": 91, "premieres_from": D("2026-08-01"), "premieres_to": D("2026-08-10")}
    assert titles_of(result) == {"Films (English)": ["O1", "O2", "O4"], "TV (Non-English)": ["SO"]}
    assert [(row["hours_viewed"], row["views"]) for row in result["lists"]["Films (English)"]] == [
        (7.0, 7.0), (6.0, 6.0), (12.0, 3.0)]
    season_row = result["lists"]["TV (Non-English)"][0]
    assert (season_row["hours_viewed"], season_row["runtime_hours"], season_row["views"]) == (4.5, 1.0, 4.5)


def test_most_popular_by_the_older_rule_hours_in_28_days(popular: Warehouse) -> None:
    result = most_popular(popular, rule="hours28")
    assert (result["rule"], result["days"], result["ranked_by"]) == ("hours28", 28, "hours")
    # O3's 28 days (09-01..09-28) are rolled up now: 80 hours puts it first.
    assert titles_of(result) == {"Films (English)": ["O3", "O4", "O2", "O1"], "TV (Non-English)": ["SO"]}
    assert [row["hours_viewed"] for row in result["lists"]["Films (English)"]] == [80.0, 12.0, 6.0, 5.0]


def test_most_popular_rule_is_a_setting(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path, titles=[film("O1", "One", released="2026-10-01")],
                                events=plays("O1", day="2026-10-01") + plays("O1", day="2026-10-28"),
                                settings={"most_popular_rule": "hours28"}, weeks=[])
    assert most_popular(warehouse)["rule"] == "hours28"
    with pytest.raises(InvalidInput, match="unknown most-popular rule 'views7'"):
        most_popular(warehouse, rule="views7")


def test_most_popular_exports_the_published_layout(popular: Warehouse, tmp_path: Path) -> None:
    assert export_most_popular(popular, tmp_path / "most-popular.tsv", most_popular(popular)) == 4
    assert (tmp_path / "most-popular.tsv").read_text().splitlines() == [
        "\t".join(MOST_POPULAR_COLUMNS),
        "Films (English)\t1\tOne\tN/A\t7\t1\t7",
        "Films (English)\t2\tTwo\tN/A\t6\t1\t6",
        "Films (English)\t3\tFour\tN/A\t12\t4\t3",
        "TV (Non-English)\t1\tSeoul\tSeoul: Season 1\t5\t1\t5",   # 4.5 rounds half up
    ]
    assert most_popular_columns(28) == ("category", "rank", "show_title", "season_title",
                                        "hours_viewed_first_28_days", "runtime", "views_first_28_days")


def test_most_popular_export_matches_the_real_file_layout(realdata: Path) -> None:
    real = (realdata / "netflix-top10" / "most-popular.tsv").read_text().splitlines()
    assert tuple(real[0].split("\t")) == MOST_POPULAR_COLUMNS
    # Hours and views are multiples of 100,000; runtime has at most 4 decimals and no trailing zeros.
    for line in real[1:]:
        category, rank, show, season_title, hours, runtime, views = line.split("\t")
        assert int(hours) % 100_000 == 0 and int(views) % 100_000 == 0
        assert runtime == f"{float(runtime):.4f}".rstrip("0").rstrip(".")
        assert (season_title == "N/A") == category.startswith("Films")


# -- engagement report -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def engagement(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """2025H2 fully rolled up (07-01 to 12-31), rounding to 100 hours and views, threshold 10 hours.

    F5 260 h in US and GB (the only two countries served): available globally. F1 120 h of a 1.5 h film.
    F2 40 h: under one step, shown as the floor bucket. F4 10.5 h: just over. F3 exactly 10 h: not more than.
    F6 watched in H1 only. S1 a season of 40 + 50 minute episodes, the second out on 12-20: 30 h.
    """
    titles = [film("F1", "One Point Five", runtime=5400, released="2025-07-10"),
              *(film(key, name, runtime=3600, released=released) for key, name, released in (
                  ("F2", "Forty", "2025-01-01"), ("F3", "Exactly Ten", "2025-01-01"), ("F4", "Ten And A Half", ""),
                  ("F5", "Big", "2025-01-01"), ("F6", "Last Half", "2025-01-01"))),
              season("S1", "Series", 1, released="2025-07-01")]
    episodes = [{"episode_id": "S1-E1", "title_id": "S1", "episode_number": 1, "runtime_seconds": 2400,
                 "available_date": "2025-07-01"},
                {"episode_id": "S1-E2", "title_id": "S1", "episode_number": 2, "runtime_seconds": 3000,
                 "available_date": "2025-12-20"}]
    events = (plays("F5", day="2025-07-01", count=200) + plays("F5", day="2025-12-31", count=60, country="GB")
              + plays("F1", day="2025-08-01", count=120) + plays("F2", day="2025-09-01", count=40)
              + plays("F3", day="2025-09-01", count=10) + plays("F4", day="2025-10-01", count=21, seconds=1800)
              + plays("F6", day="2025-06-30", count=500)
              + plays("S1-E1", day="2025-07-02", count=30, episode=True))
    return build_warehouse(tmp_path_factory.mktemp("engagement"), titles=titles, episodes=episodes, events=events,
                           settings={"engagement_min_hours": 10, "hours_rounding": 100, "views_rounding": 100}, weeks=[])


def sheet_rows(report: dict, sheet: str) -> list[tuple]:
    return [(row["title_id"], row["hours_shown"], row["runtime_shown"], row["views_shown"], row["available_globally"],
             row["release_date"]) for row in report["sheets"][sheet]]


def test_engagement_report_thresholds_rounding_and_floor_bucket(engagement: Warehouse) -> None:
    report = engagement_report(engagement, "2025H2")
    assert report["covered"] == {"from": D("2025-07-01"), "to": D("2025-12-31"), "complete": True}
    assert (report["min_hours"], report["rounding"]) == (10, {"hours": 100, "views": 100})
    # Sorted by exact views: F5 260, F1 80, F2 40, F4 10.5.
    assert sheet_rows(report, "Film") == [
        ("F5", 300, "1:00", 300, True, D("2025-01-01")),
        ("F1", 100, "1:30", 100, False, D("2025-07-10")),    # 80 views round up to 100
        ("F2", 100, "1:00", 100, False, D("2025-01-01")),    # 40 hours and 40 views: the floor bucket
        ("F4", 100, "1:00", 100, False, None),
    ]
    # The season's runtime at the end of the half: both episodes, 1:30; 30 hours = 20 views.
    assert sheet_rows(report, "TV") == [("S1", 100, "1:30", 100, False, D("2025-07-01"))]
    assert report["sheets"]["TV"][0]["views"] == pytest.approx(20.0)


def test_engagement_thresholds_and_rounding_are_options(engagement: Warehouse) -> None:
    report = engagement_report(engagement, "2025h2", min_hours=50, rounding=10)
    assert [(row["title_id"], row["hours_shown"], row["views_shown"]) for row in report["sheets"]["Film"]] == [
        ("F5", 260, 260), ("F1", 120, 80)]
    assert report["sheets"]["TV"] == []


def test_engagement_report_of_a_half_in_progress_covers_the_rolled_up_days(engagement: Warehouse) -> None:
    report = engagement_report(engagement, "2025H1", min_hours=1)
    assert report["covered"] == {"from": D("2025-06-30"), "to": D("2025-06-30"), "complete": False}
    assert [row["title_id"] for row in report["sheets"]["Film"]] == ["F6"]
    with pytest.raises(NotFound, match="no rolled-up days in 2026H1"):
        engagement_report(engagement, "2026H1")
    with pytest.raises(InvalidInput, match="'2025H3' is not a half year"):
        half_year("2025H3")


def test_display_helpers() -> None:
    assert (shown(49_999, 100_000), shown(150_000, 100_000), shown(None, 100_000)) == (100_000, 200_000, None)
    assert (runtime_text(6.4167), runtime_text(397.55), runtime_text(0.5), runtime_text(None)) == (
        "6:25", "397:33", "0:30", None)


def test_engagement_files(engagement: Warehouse, tmp_path: Path) -> None:
    report = engagement_report(engagement, "2025H2")
    assert export_engagement(report, xlsx=tmp_path / "r.xlsx", tsv=tmp_path / "r.tsv") == {
        str(tmp_path / "r.xlsx"): 5, str(tmp_path / "r.tsv"): 5}
    assert (tmp_path / "r.tsv").read_text().splitlines() == [
        "sheet\ttitle\tavailable_globally\trelease_date\thours_viewed\truntime\tviews",
        "TV\tSeries: Season 1\tNo\t2025-07-01\t100\t1:30\t100",
        "Film\tBig\tYes\t2025-01-01\t300\t1:00\t300",
        "Film\tOne Point Five\tNo\t2025-07-10\t100\t1:30\t100",
        "Film\tForty\tNo\t2025-01-01\t100\t1:00\t100",
        "Film\tTen And A Half\tNo\t\t100\t1:00\t100",
    ]
    workbook = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert workbook.sheetnames == ["TV", "Film"]
    film_sheet = workbook["Film"]
    assert [[cell.value for cell in row] for row in film_sheet.iter_rows(min_row=2, max_row=3, min_col=2, max_col=2)] == [
        ["What We Watched: An Engagement Report"], ["Views from July to December 2025"]]
    assert [[cell.value for cell in row] for row in film_sheet.iter_rows(min_row=6, min_col=2, max_col=7)] == [
        ["Title", "Available Globally?", "Release Date", "Hours Viewed", "Runtime", "Views"],
        ["Big", "Yes", "2025-01-01", 300, "1:00", 300],
        ["One Point Five", "No", "2025-07-10", 100, "1:30", 100],
        ["Forty", "No", "2025-01-01", 100, "1:00", 100],
        ["Ten And A Half", "No", None, 100, "1:00", 100],
    ]
    assert [film_sheet.cell(row=7, column=column).number_format for column in range(2, 8)] == [
        "@", "@", "yyyy\\-mm\\-dd", "#,##0", "@", "#,##0"]


def test_engagement_workbook_copies_the_published_layout(engagement: Warehouse, realdata: Path, tmp_path: Path) -> None:
    export_engagement(engagement_report(engagement, "2025H2"), xlsx=tmp_path / "r.xlsx")
    ours = openpyxl.load_workbook(tmp_path / "r.xlsx")
    real = openpyxl.load_workbook(
        realdata / "engagement" / "What_We_Watched_A_Netflix_Engagement_Report_2024Jan-Jun.xlsx", read_only=False)
    assert ours.sheetnames == real.sheetnames == ["TV", "Film"]
    for name in ours.sheetnames:
        mine, theirs = ours[name], real[name]
        for row, column in [(2, 2), (3, 2), *((6, column) for column in range(2, 8)), *((7, column) for column in range(2, 8))]:
            a, b = mine.cell(row=row, column=column), theirs.cell(row=row, column=column)
            assert (a.number_format, a.font.name, a.font.sz, a.font.b, a.alignment.horizontal) == (
                b.number_format, b.font.name, b.font.sz, b.font.b, b.alignment.horizontal), (name, row, column)
            if row == 6:
                assert a.value == b.value
        assert {key: dim.width for key, dim in mine.column_dimensions.items()} == {
            key: dim.width for key, dim in theirs.column_dimensions.items()}
        assert theirs["B3"].value.startswith("Views from ") and mine["B3"].value.startswith("Views from ")
    real.close()


def test_engagement_command(engagement: Warehouse, tmp_path: Path) -> None:
    path = str(engagement.path)
    engagement.close()   # the command opens it read-only
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(cli, ["engagement", "--half", "2025H2", "--min-hours", "50", "--out", str(out),
                                      "--tsv", str(tmp_path / "report.tsv"), "--warehouse", path])
    assert result.exit_code == 0, result.output
    assert result.output == (f"2025H2: 2025-07-01 to 2025-12-31, titles over 50 hours: TV 0, Film 2\n"
                             f"Wrote {out} (2 rows)\nWrote {tmp_path / 'report.tsv'} (2 rows)\n")
    result = CliRunner().invoke(cli, ["most-popular", "--json", "--warehouse", path])
    assert result.exit_code == 0 and json.loads(result.output)["rule"] == "views91"
    result = CliRunner().invoke(cli, ["engagement", "--half", "H2", "--warehouse", path])
    assert (result.exit_code, result.output) == (
        1, "Error: 'H2' is not a half year (write it like 2026H1 for January-June or 2026H2 for July-December)\n")
