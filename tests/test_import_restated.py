"""Weeks Netflix restated between its real publications (../shared/realdata/netflix-top10:
three earlier global files and the current one): importing them in publication order, each
import lists the weeks whose lists changed and, by list row, what changed; every figure it
names is the one the older and the newer file print."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from import_support import new_warehouse, run_json

from viewrank import Warehouse

FIGURES = {"hours_viewed": "weekly_hours_viewed", "cumulative_weeks": "cumulative_weeks_in_top_10"}


def published_rows(path: Path) -> dict[tuple[str, str, int], dict[str, str]]:
    """A published global file's rows by (week, category, rank)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {(row["week"], row["category"], int(row["weekly_rank"])): row
                for row in csv.DictReader(handle, delimiter="\t")}


def spellings(warehouse_path: Path) -> dict[str, set[str]]:
    """Every name each title id was published under (season title, else show title)."""
    found: dict[str, set[str]] = {}
    with Warehouse(warehouse_path, read_only=True) as warehouse:
        for title_id, show, season in warehouse.execute(
                "SELECT t.title_id, a.show_title, a.season_title FROM title_aliases a JOIN titles t USING (title_key)"
        ).fetchall():
            found.setdefault(title_id, set()).add(season or show)
    return found


def changes_of(report: dict[str, Any]) -> list[tuple[str, str, int, str, Any, Any]]:
    return [(week["week"], change["category"], change["rank"], change["column"], change["before"], change["after"])
            for week in report["restated"] for change in week["changes"]]


@pytest.mark.realdata
def test_restated_weeks_of_the_real_publications_list_what_changed(realdata: Path, tmp_path: Path) -> None:
    top10 = realdata / "netflix-top10"
    files = sorted((top10 / "publications").glob("*.tsv")) + [top10 / "all-weeks-global.tsv"]
    warehouse_path = new_warehouse(tmp_path)
    reports = [run_json("import", "netflix-top10", file, "--warehouse", warehouse_path)[0] for file in files]
    names = spellings(warehouse_path)
    changes = [changes_of(report) for report in reports]
    assert changes[0] == []

    # 2023-07-26 over 2021-11-17: hours revised in 16 of the 20 weeks both hold, and with them
    # the order of some lists (2021-07-25: Twilight rises above Fear Street Part 3: 1666).
    assert [week["week"] for week in reports[1]["restated"]] == [
        "2021-07-11", "2021-07-18", "2021-07-25", "2021-08-01", "2021-08-08", "2021-08-15", "2021-08-22",
        "2021-08-29", "2021-09-05", "2021-09-12", "2021-09-19", "2021-09-26", "2021-10-10", "2021-10-17",
        "2021-10-24", "2021-10-31"]
    assert Counter(change[3] for change in changes[1]) == {"hours_viewed": 39, "title_id": 26, "cumulative_weeks": 13}
    swapped = [(rank, column, before, after) for week, category, rank, column, before, after in changes[1]
               if (week, category) == ("2021-07-25", "Films (English)") and rank in (3, 4)]
    assert [(rank, column) for rank, column, *_ in swapped] == [(3, "title_id"), (3, "hours_viewed"),
                                                                 (4, "title_id"), (4, "hours_viewed")]
    assert (names[swapped[0][2]], names[swapped[0][3]]) == ({"Fear Street Part 3: 1666"}, {"Twilight"})
    assert (swapped[1][2:], swapped[3][2:]) == ((12_350_000, 12_550_000), (12_260_000, 12_350_000))

    # 2024-11-20 over 2023-07-26: no figure changed; 239 rows in 100 weeks name other season
    # titles ("Nevertheless,: Season 1" became "Nevertheless,: Limited Series").
    assert (len(reports[2]["restated"]), Counter(change[3] for change in changes[2])) == (100, {"title_id": 239})
    nevertheless = [change for change in changes[2] if change[:3] == ("2021-07-18", "TV (Non-English)", 9)]
    assert [(names[before], names[after]) for *_, before, after in nevertheless] == [
        ({"Nevertheless,: Season 1"}, {"Nevertheless,: Limited Series"})]

    # The current file over 2024-11-20: 65 rows in 53 weeks renamed ("The Chestnut Man: Season 1"
    # is now published as the show alone).
    assert (len(reports[3]["restated"]), Counter(change[3] for change in changes[3])) == (53, {"title_id": 65})
    chestnut = [change for change in changes[3] if change[:3] == ("2021-10-03", "TV (Non-English)", 2)]
    assert [(names[before], names[after]) for *_, before, after in chestnut] == [
        ({"The Chestnut Man: Season 1"}, {"The Chestnut Man"})]

    # Every change is what the two files print: figures exactly, titles by a name each was published under.
    for older, newer, restated in zip(files, files[1:], changes[1:]):
        before_rows, after_rows = published_rows(older), published_rows(newer)
        for week, category, rank, column, before, after in restated:
            was, now = before_rows[(week, category, rank)], after_rows[(week, category, rank)]
            if column == "title_id":
                assert {was["season_title"] if was["season_title"] != "N/A" else was["show_title"]} <= names[before]
                assert {now["season_title"] if now["season_title"] != "N/A" else now["show_title"]} <= names[after]
            else:
                assert (float(was[FIGURES[column]]), float(now[FIGURES[column]])) == (before, after)
