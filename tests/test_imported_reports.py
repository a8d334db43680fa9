"""Reporting commands on a warehouse of imported files only (no playback logs): most popular and
the engagement report answer from what Netflix published, and what cannot be answered says
exactly what it needs (never 'run viewrank rollup' where there are no logs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_support import COUNTRIES_SLICE, ENGAGEMENT_2023H1, GLOBAL_SLICE, MOST_POPULAR, new_warehouse, run, run_json


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse_path = new_warehouse(tmp_path_factory.mktemp("published"))
    run("import", "netflix-top10", GLOBAL_SLICE, COUNTRIES_SLICE, MOST_POPULAR, "--warehouse", warehouse_path)
    run("import", "engagement", ENGAGEMENT_2023H1, "--warehouse", warehouse_path)
    return warehouse_path


def test_most_popular_is_the_imported_list(published: Path, tmp_path: Path) -> None:
    result = run_json("most-popular", "--warehouse", published)
    assert (result["rule"], result["days"], result["ranked_by"], result["source"]["path"]) == \
        ("views91", 91, "views", str(MOST_POPULAR))
    first = result["lists"]["Films (English)"][0]
    assert (first["rank"], first["show_title"], first["hours_viewed"], first["views"]) == \
        (1, "KPop Demon Hunters", 541_800_000, 325_100_000)
    assert [len(entries) for entries in result["lists"].values()] == [10, 10, 10, 10]
    text = run("most-popular", "--export", tmp_path / "most-popular.tsv", "--warehouse", published).output
    assert f"As published in {MOST_POPULAR}" in text and "rollup" not in text
    # The export writes the published rows again (final newline aside: see the export conventions).
    assert (tmp_path / "most-popular.tsv").read_text().rstrip("\n") == MOST_POPULAR.read_text().rstrip("\n")


def test_a_rule_nothing_was_published_for_says_what_it_needs(published: Path) -> None:
    result = run("most-popular", "--rule", "hours28", "--warehouse", published, ok=False)
    assert result.exit_code == 1
    assert result.stderr == ("Error: most popular by rule hours28 needs playback logs rolled up ('viewrank ingest', "
                             "'viewrank rollup') or an imported most-popular.tsv ranked that way; the imported one "
                             "ranks by rule views91 (use --rule views91)\n")


def test_engagement_is_the_imported_report(published: Path, tmp_path: Path) -> None:
    report = run_json("engagement", "--half", "2023h1", "--out", tmp_path / "e.xlsx", "--tsv", tmp_path / "e.tsv",
                      "--warehouse", published)
    assert report["source"]["path"] == str(ENGAGEMENT_2023H1)
    assert report["period"] == {"from": "2023-01-01", "to": "2023-06-30"}
    top = report["sheets"]["TV"][0]
    assert (top["title"], top["hours_viewed"], top["release_date"], top["available_globally"]) == \
        ("The Night Agent: Season 1", 812_100_000, "2023-03-23", True)
    assert sum(len(rows) for rows in report["sheets"].values()) == 28   # every title row of the slice
    lines = (tmp_path / "e.tsv").read_text().splitlines()
    assert lines[1] == "TV\tThe Night Agent: Season 1\tYes\t2023-03-23\t812100000\t\t"


def test_engagement_of_a_half_without_a_report_says_what_it_needs(published: Path, tmp_path: Path) -> None:
    result = run("engagement", "--half", "2024H2", "--out", tmp_path / "e.xlsx", "--warehouse", published, ok=False)
    assert result.exit_code == 1 and "rollup' to" not in result.stderr
    assert result.stderr == (
        "Error: the engagement report of 2024H2 needs playback logs rolled up over 2024-07-01 to 2024-12-31 "
        "('viewrank ingest', 'viewrank rollup') or Netflix's report for it imported ('viewrank import engagement "
        "What_We_Watched_..._2024Jul-Dec.xlsx'); imported reports: 2023H1\n")
    assert not (tmp_path / "e.xlsx").exists()


def test_a_window_says_what_the_imported_files_hold_and_how_to_read_them(published: Path) -> None:
    """Any window of days (dates, a week, first days) on imported files names each imported kind
    with the command that reads it, the week nearest the window's end, as one error line."""
    holds = ("and this warehouse holds only imported files: the published global weekly lists of 16 weeks from "
             "2021-08-08 to 2025-10-26 ('viewrank lists --week {week}'); the published country weekly lists of the "
             "week 2023-04-23 ('viewrank lists --week 2023-04-23 --country XX'); the engagement reports of 2023H1 "
             "('viewrank engagement --half 2023H1'); Netflix's most-popular lists ('viewrank most-popular')\n")
    logs = "needs daily viewing from playback logs ('viewrank ingest', then 'viewrank rollup'), "
    for command, what, week in (
            (["--week", "2023-04-23"], "a window of days (2023-04-17 to 2023-04-23)", "2023-04-23"),
            (["--from", "2023-05-01", "--to", "2023-05-10"], "a window of days (2023-05-01 to 2023-05-10)", "2023-05-07"),
            (["--first-days", "7", "--json"], "each title's first 7 days", "2025-10-26")):
        result = run("window", *command, "--warehouse", published, ok=False)
        assert (result.exit_code, result.stdout) == (1, ""), command
        assert result.stderr == f"Error: {what} {logs}" + holds.format(week=week), command


def test_engagement_text_of_an_imported_report_names_no_hours_threshold(published: Path, tmp_path: Path) -> None:
    """An imported report is Netflix's own selection: the summary names its source and counts, not 'over 0 hours'."""
    text = run("engagement", "--half", "2023H1", "--out", tmp_path / "e.xlsx", "--warehouse", published).output
    first = text.splitlines()[0]
    assert first.startswith(f"2023H1: as published in {ENGAGEMENT_2023H1} (this warehouse has no playback logs), "
                            "2023-01-01 to 2023-06-30: TV "), first
    assert "hours" not in first
