"""Audits: verify recomputes a week from raw events; revisions show what late data changed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from builders import EVENT_FIELDS, build_warehouse, film, plays, write_csv
from click.testing import CliRunner

from viewrank import NotFound, compute_charts, ingest_file
from viewrank.cli.main import cli
from viewrank.reports.audit import revisions, verify
from viewrank.rollup.daily import rollup

WEEK = dt.date(2026, 11, 15)


@pytest.fixture
def warehouse(tmp_path: Path):
    titles = [film("A", "Alpha", runtime=3600), film("B", "Beta", runtime=7200, language="fr")]
    events = plays("A", day="2026-11-10", count=4) + plays("B", day="2026-11-11", count=3, seconds=7200, country="FR")
    return build_warehouse(tmp_path, titles=titles, events=events, weeks=[WEEK.isoformat()])


def test_verify_passes_when_the_lists_follow_from_the_events(warehouse) -> None:
    report = verify(warehouse, WEEK)
    assert report["ok"] and report["event_parts"] == 2
    assert {scope: (r["entries"], r["differences"]) for scope, r in report["scopes"].items()} == {
        "global": (2, []), "country": (2, [])}


def test_verify_finds_a_doctored_number_and_unpublished_late_data(warehouse, tmp_path: Path) -> None:
    warehouse.execute("UPDATE chart_entries SET hours_viewed = 40 WHERE country IS NULL AND rank = 1 "
                      "AND category = 'Films (English)'")
    report = verify(warehouse, WEEK)
    assert not report["ok"]
    assert report["scopes"]["global"]["differences"] == [{
        "country": None, "category": "Films (English)", "rank": 1,
        "before": {"title_id": "A", "title": "Alpha", "hours_viewed": 40.0, "views": 4.0},
        "after": {"title_id": "A", "title": "Alpha", "hours_viewed": 4.0, "views": 4.0}}]
    warehouse.close()
    result = CliRunner().invoke(cli, ["verify", WEEK.isoformat(), "--warehouse", str(warehouse.path)])
    assert result.exit_code == 1
    assert "  published Films (English) No. 1: Alpha (40 h, 4 views) ; recomputed Alpha (4 h, 4 views)" in result.output
    assert result.output.endswith(f"Error: the published lists of {WEEK} do not follow from the stored events\n")


def test_revisions_show_what_late_data_changed(warehouse, tmp_path: Path) -> None:
    ingest_file(warehouse, write_csv(tmp_path / "late.csv", EVENT_FIELDS,
                                     plays("B", day="2026-11-14", count=6, seconds=7200, prefix="late", country="US")))
    rollup(warehouse)
    assert not verify(warehouse, WEEK)["ok"]  # the published week no longer matches the events
    compute_charts(warehouse)
    assert verify(warehouse, WEEK)["ok"]
    history = revisions(warehouse, WEEK)
    assert [(r["scope"], r["revision"], r["entries"]) for r in history] == [
        ("country", 1, 2), ("country", 2, 3), ("global", 1, 2), ("global", 2, 2)]
    assert history[3]["changes"] == [{
        "country": None, "category": "Films (Non-English)", "rank": 1,
        "before": {"title_id": "B", "title": "Beta", "hours_viewed": 6.0, "views": 3.0},
        "after": {"title_id": "B", "title": "Beta", "hours_viewed": 18.0, "views": 9.0}}]
    assert [(c["country"], c["rank"], c["before"] and c["before"]["title_id"], c["after"]["title_id"])
            for c in history[1]["changes"]] == [("US", 1, "A", "B"), ("US", 2, None, "A")]  # 6 views overtake 4
    warehouse.close()
    first = tmp_path / "first"
    assert CliRunner().invoke(cli, ["export", "--week", WEEK.isoformat(), "--revision", "1", "--out", str(first),
                                    "--warehouse", str(warehouse.path)]).exit_code == 0
    assert (first / "all-weeks-global.tsv").read_text().splitlines()[1:] == [
        "2026-11-15\tFilms (English)\t1\tAlpha\tN/A\t0\t1\t0\t1",
        "2026-11-15\tFilms (Non-English)\t1\tBeta\tN/A\t0\t2\t0\t1"]
    assert len((first / "all-weeks-countries.tsv").read_text().splitlines()) == 3  # US and FR, not the late US No. 2
    output = CliRunner().invoke(cli, ["revisions", WEEK.isoformat(), "--warehouse", str(warehouse.path), "--json"]).output
    assert [entry["revision"] for entry in json.loads(output)] == [1, 2, 1, 2]


def test_audits_name_a_week_without_editions(warehouse) -> None:
    with pytest.raises(NotFound, match="no edition for the week ending 2026-11-22"):
        verify(warehouse, dt.date(2026, 11, 22))
