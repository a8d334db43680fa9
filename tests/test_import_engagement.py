"""Importing the half-year engagement reports: every layout, values as published, totals
equal to the sheets themselves, and rows matched to the Top 10 titles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from import_support import (COUNTRIES_SLICE, ENGAGEMENT_2023H1, ENGAGEMENT_2024H2, GLOBAL_SLICE, fingerprint,
                            new_warehouse, run, run_json)

from viewrank import Warehouse
from viewrank.imports.engagement import import_engagement_files
from viewrank.imports.netflix_top10 import import_top10_files

D = dt.date


def sheet_figures(path: Path) -> dict[str, tuple[int, int]]:
    """(title rows, sum of Hours Viewed) per sheet, straight from openpyxl."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    figures = {}
    for sheet in workbook.worksheets:
        rows = [row for row in sheet.iter_rows(values_only=True)]
        header = next(index for index, row in enumerate(rows) if "Title" in row)
        title, hours = rows[header].index("Title"), rows[header].index("Hours Viewed")
        data = [row for row in rows[header + 1:] if row[title] is not None]
        figures[sheet.title] = (len(data), sum(row[hours] for row in data))
    workbook.close()
    return figures


def stored_figures(warehouse: Warehouse, path: Path) -> dict[str, tuple[int, int]]:
    return {row["sheet"]: (row["rows"], row["hours"]) for row in warehouse.rows(
        """SELECT sheet, count(*) AS rows, sum(hours_viewed) AS hours FROM engagement_rows
           JOIN import_sources USING (source_id) WHERE path = ? GROUP BY sheet""", [str(path)])}


def row(warehouse: Warehouse, title: str, period_start: str, **where: Any) -> dict[str, Any]:
    rows = warehouse.rows(
        """SELECT e.*, t.title_id, t.kind AS title_kind, t.source AS title_source FROM current_engagement_rows e
           JOIN titles t USING (title_key) WHERE e.title = ? AND e.period_start = ?""", [title, period_start])
    rows = [r for r in rows if all(r[key] == value for key, value in where.items())]
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture(scope="module")
def both_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Top 10 slice, then both report slices through the CLI (first report given first).
    Shared by the tests below, which only read it (a re-import must change nothing)."""
    path = tmp_path_factory.mktemp("engagement") / "wh"
    with Warehouse.init(path) as warehouse:
        import_top10_files(warehouse, [GLOBAL_SLICE])
    run("import", "engagement", ENGAGEMENT_2023H1, ENGAGEMENT_2024H2, "--warehouse", path)
    return path


def test_every_sheet_is_stored_whole(both_reports: Path) -> None:
    with Warehouse(both_reports) as warehouse:
        for path in (ENGAGEMENT_2023H1, ENGAGEMENT_2024H2):
            assert stored_figures(warehouse, path) == sheet_figures(path)
        assert sheet_figures(ENGAGEMENT_2024H2) == {"TV": (19, 4_674_400_000), "Film": (20, 2_097_600_000)}
        periods = warehouse.rows("SELECT period_start, period_end, title_rows FROM engagement_reports ORDER BY 1")
    assert periods == [{"period_start": D(2023, 1, 1), "period_end": D(2023, 6, 30), "title_rows": 28},
                       {"period_start": D(2024, 7, 1), "period_end": D(2024, 12, 31), "title_rows": 39}]


def test_the_diplomat_per_report_matches_the_top10_title(both_reports: Path) -> None:
    with Warehouse(both_reports) as warehouse:
        top10_id = warehouse.scalar("SELECT title_id FROM titles WHERE season_title = 'The Diplomat: Season 1'")
        first = row(warehouse, "The Diplomat: Season 1", "2023-01-01")
        assert (first["hours_viewed"], first["views"], first["runtime_text"], first["kind"]) == (214_100_000, None, None, None)
        later = row(warehouse, "The Diplomat: Season 1", "2024-07-01")
        assert (later["hours_viewed"], later["views"], later["sheet"], later["kind"]) == (78_400_000, 11_600_000, "TV", "tv")
        assert first["title_id"] == later["title_id"] == top10_id
        assert first["matched"] == later["matched"] == "top10"
        season_2 = row(warehouse, "The Diplomat: Season 2", "2024-07-01")
        assert (season_2["hours_viewed"], season_2["views"], season_2["matched"]) == (100_100_000, 20_200_000, "new")
        assert warehouse.rows("SELECT show_title, season_number, kind, source FROM titles WHERE title_id = ?",
                              [season_2["title_id"]]) == \
            [{"show_title": "The Diplomat", "season_number": 2, "kind": "tv", "source": "engagement"}]


def test_values_are_kept_as_published(both_reports: Path) -> None:
    with Warehouse(both_reports) as warehouse:
        meteor = row(warehouse, "Meteor Garden: Season 1 // 流星花園: 第 1 季 // 流星花园: 第 1 季", "2023-01-01")
        assert (meteor["title_english"], meteor["title_original"]) == ("Meteor Garden: Season 1",
                                                                      "流星花園: 第 1 季 // 流星花园: 第 1 季")
        assert meteor["title_kind"] == "tv"   # the first report does not say; the season label does
        tyson = row(warehouse, "Jake Paul vs. Mike Tyson", "2024-07-01")
        assert (tyson["runtime_text"], round(tyson["runtime_hours"], 4)) == ("4:44*", 4.7333)
        peppa = row(warehouse, "Peppa Pig: Season 1", "2024-07-01")
        assert (peppa["runtime_text"], peppa["runtime_hours"], peppa["views"]) == ("*", None, 17_000_000)
        korean = row(warehouse, "라디오 스타", "2023-01-01")
        assert (korean["available_globally"], korean["release_date"], korean["hours_viewed"]) == (False, None, 100_000)


def test_namesakes_are_told_apart_and_titles_recur_across_reports(both_reports: Path) -> None:
    with Warehouse(both_reports) as warehouse:
        for name in ("Maria", "Monster"):
            rows = warehouse.rows("SELECT DISTINCT title_key, release_date FROM engagement_rows WHERE title = ?", [name])
            assert len(rows) == 2 and len({r["release_date"] for r in rows}) == 2
        # Listed on the later report's TV sheet and unlabelled on the first: one title.
        el_camino = warehouse.rows("SELECT DISTINCT title_key FROM engagement_rows WHERE title = 'El Camino: A Breaking Bad Movie'")
        assert len(el_camino) == 1


def test_reimport_changes_nothing(both_reports: Path) -> None:
    before = fingerprint(both_reports)
    reports = run_json("import", "engagement", ENGAGEMENT_2024H2, "--warehouse", both_reports)
    assert reports[0]["already_imported_as"].startswith(str(ENGAGEMENT_2024H2))
    assert fingerprint(both_reports) == before


ENGAGEMENT_STATE_SQL = (
    "SELECT title_id, show_title, season_number, season_title, kind, release_date, source FROM titles ORDER BY ALL",
    """SELECT e.period_start, e.sheet, e.sheet_row, t.title_id, e.matched FROM current_engagement_rows e
       JOIN titles t USING (title_key) ORDER BY ALL""")


def test_reports_imported_before_the_top10_files_meet_the_same_titles(tmp_path: Path) -> None:
    """Engagement reports imported first make titles of their own; the Top 10 files imported
    after them take over those rows, so both orders end with the same titles and rows."""
    states, moved = [], []
    for name, reports_first in (("lists-first", False), ("reports-first", True)):
        warehouse_path = new_warehouse(tmp_path, name)
        if reports_first:
            run("import", "engagement", ENGAGEMENT_2023H1, ENGAGEMENT_2024H2, "--warehouse", warehouse_path)
        moved.append([report["report_rows_rehomed"] for report in run_json(
            "import", "netflix-top10", GLOBAL_SLICE, COUNTRIES_SLICE, "--warehouse", warehouse_path)])
        if not reports_first:
            run("import", "engagement", ENGAGEMENT_2023H1, ENGAGEMENT_2024H2, "--warehouse", warehouse_path)
        with Warehouse(warehouse_path, read_only=True) as warehouse:
            states.append([warehouse.execute(sql).fetchall() for sql in ENGAGEMENT_STATE_SQL])
            diplomat = warehouse.execute(
                """SELECT e.period_start, e.matched FROM current_engagement_rows e JOIN titles t USING (title_key)
                   WHERE t.title_id = 'the-diplomat-season-1-0339b047' ORDER BY 1""").fetchall()
        assert diplomat == [(D(2023, 1, 1), "top10"), (D(2024, 7, 1), "top10")], name
    assert states[0] == states[1]
    assert moved[0] == [0, 0] and moved[1][0] > 0   # the global list took the reports' rows


def test_text_report(tmp_path: Path) -> None:
    run("init", tmp_path / "wh")
    output = run("import", "engagement", ENGAGEMENT_2024H2, "--warehouse", tmp_path / "wh").output
    assert "2024-07-01 to 2024-12-31: TV 19 rows, 4,674,400,000 hours; Film 20 rows, 2,097,600,000 hours" in output


SHEETS = {
    "2023Jan-Jun": {"Engagement": 18_214},
    "2023Jul-Dec": {"TV": 6_599, "Film": 9_395},
    "2024Jan-Jun": {"TV": 6_801, "Film": 9_360},
    "2024Jul-Dec": {"TV": 6_883, "Film": 8_680},
    "2025Jan-Jun": {"Shows": 7_508, "Movies": 8_674},
}
DIPLOMAT = {  # (hours, views) of season 1 per report, as SOURCES.md quotes them
    "2023-01-01": (214_100_000, None), "2023-07-01": (42_900_000, 6_400_000), "2024-01-01": (21_600_000, 3_200_000),
    "2024-07-01": (78_400_000, 11_600_000), "2025-01-01": (23_000_000, 3_400_000),
}


def report_path(realdata: Path, half: str) -> Path:
    return realdata / "engagement" / f"What_We_Watched_A_Netflix_Engagement_Report_{half}.xlsx"


@pytest.mark.realdata
def test_one_real_report(realdata: Path, tmp_path: Path) -> None:
    path = report_path(realdata, "2023Jul-Dec")
    with Warehouse.init(tmp_path / "wh") as warehouse:
        report = import_engagement_files(warehouse, [path])[0]
        assert {sheet: figures["rows"] for sheet, figures in report.sheets.items()} == SHEETS["2023Jul-Dec"]
        assert stored_figures(warehouse, path) == sheet_figures(path)
        diplomat = row(warehouse, "The Diplomat: Season 1", "2023-07-01")
        assert (diplomat["hours_viewed"], diplomat["views"]) == DIPLOMAT["2023-07-01"]


@pytest.mark.realdata
@pytest.mark.slow
def test_all_real_reports_with_the_top10_history(realdata: Path, tmp_path: Path) -> None:
    paths = [report_path(realdata, half) for half in SHEETS]
    with Warehouse.init(tmp_path / "wh") as warehouse:
        import_top10_files(warehouse, [realdata / "netflix-top10" / "all-weeks-global.tsv"])
        reports = import_engagement_files(warehouse, paths)
        for report, half in zip(reports, SHEETS):
            assert {sheet: figures["rows"] for sheet, figures in report.sheets.items()} == SHEETS[half]
        for path in paths:
            assert stored_figures(warehouse, path) == sheet_figures(path)
        top10 = {r["season_title"]: r["title_id"] for r in warehouse.rows(
            "SELECT season_title, title_id FROM titles WHERE source = 'netflix-top10' AND show_title = 'The Diplomat'")}
        for period, figures in DIPLOMAT.items():
            season_1 = row(warehouse, "The Diplomat: Season 1", period)
            assert (season_1["hours_viewed"], season_1["views"]) == figures
            assert season_1["title_id"] == top10["The Diplomat: Season 1"]
        season_2 = row(warehouse, "The Diplomat: Season 2", "2025-01-01")
        assert (season_2["hours_viewed"], season_2["views"], season_2["title_id"]) == \
            (21_500_000, 4_300_000, top10["The Diplomat: Season 2"])
        film = row(warehouse, "The Diplomat // डिप्लोमैट", "2025-01-01")
        assert (film["title_english"], film["title_original"], film["title_id"]) == \
            ("The Diplomat", "डिप्लोमैट", top10[None])


@pytest.mark.realdata
@pytest.mark.slow
def test_real_reports_and_lists_in_any_order_meet_the_same_titles(realdata: Path, tmp_path: Path) -> None:
    """Every real report with the current global file and the countries extract, imported
    lists first, reports first, and reports between the countries and the global list, ends
    with the same titles and the same row of every report on the same title. The 2024 film
    "The Champion" is the case that once differed: a 2023 Polish namesake on a country list
    made it look charted before its release when the lists came first."""
    top10 = realdata / "netflix-top10"
    countries, global_file = top10 / "all-weeks-countries_2023-04-23_extract.csv", top10 / "all-weeks-global.tsv"
    reports = [report_path(realdata, half) for half in SHEETS]
    orders = {"lists first": [[global_file, countries], reports], "reports first": [reports, [global_file, countries]],
              "reports between": [[countries], reports, [global_file]]}
    states = {}
    for name, steps in orders.items():
        with Warehouse.init(tmp_path / name.replace(" ", "-")) as warehouse:
            for files in steps:
                (import_engagement_files if files is reports else import_top10_files)(warehouse, files)
            states[name] = [warehouse.execute(sql).fetchall() for sql in ENGAGEMENT_STATE_SQL]
            champion = warehouse.execute(
                """SELECT e.period_start, t.title_id, e.matched FROM current_engagement_rows e JOIN titles t USING (title_key)
                   WHERE e.title_english = 'The Champion' ORDER BY 1""").fetchall()
        assert champion == [(D(2024, 7, 1), "the-champion-34c3105c", "top10"),
                            (D(2025, 1, 1), "the-champion-34c3105c", "top10")], name
    assert states["lists first"] == states["reports first"] == states["reports between"]
