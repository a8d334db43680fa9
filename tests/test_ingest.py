"""Ingest: every bad row quarantined with its reason, good rows stored once, nothing twice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders import EPISODE_FIELDS, EVENT_FIELDS, TITLE_FIELDS, film, plays, season, write_csv

from viewrank import InputError, StrictModeRejection, Warehouse, import_catalog, ingest_file
from viewrank.rollup.daily import rollup

HEADER = ",".join(EVENT_FIELDS)
MALFORMED_LOG = f"""{HEADER}
e1,a1,F1,,US,2026-11-10T20:00:00Z,3600
e2,a2,F1,,us,2026-11-10T21:00:00+00:00,1800.4
e3,a3,NOPE,,US,2026-11-10T20:00:00Z,60
e4,a4,,E9,US,2026-11-10T20:00:00Z,60
e5,a5,F1,,XX,2026-11-10T20:00:00Z,60
e6,a6,F1,,US,2026-11-10T20:00:00Z,-5
e7,a7,F1,,US,yesterday,60
e8,a8,F1,,US,2026-11-10T20:00:00Z,lots
e9,a9,F1,,US,"2026-11-10T20:00:00Z,60
e10,a10,F1,,US,2026-11-10T20:00:00Z
e11,a11,F1,,US,2026-11-10T20:00:00Z,999999
e12,a12,F1,,US,2099-01-01T00:00:00Z,60
e13,a13,F1,,US,1970-01-01T00:00:00Z,60
,a14,F1,,US,2026-11-10T20:00:00Z,60
e15,a15,F1,,US,2026-11-10T20:00:00Z,NaN
e16,a16,F1,E1,US,2026-11-10T20:00:00Z,60
e17,a17,,E1,US,2026-11-11T20:00:00Z,1200
e1,a1,F1,,US,2026-11-10T20:00:00Z,3600
"""
EXPECTED_QUARANTINE = [
    (4, "unknown title_id NOPE"),
    (5, "unknown episode_id E9"),
    (6, "unknown country code XX (expected ISO 3166-1 alpha-2)"),
    (7, "negative seconds_watched -5"),
    (8, "start_time yesterday is not a timestamp"),
    (9, "seconds_watched lots is not a number"),
    (10, "broken quoting (unexpected end of data)"),
    (11, "expected 7 fields, found 6"),
    (12, "seconds_watched 999999 is longer than 86400 seconds"),
    (13, "start_time 2099-01-01T00:00:00Z is in the future"),
    (14, "start_time 1970-01-01T00:00:00Z is before 2000-01-01"),
    (15, "missing event_id"),
    (16, "seconds_watched NaN is not a number"),
    (17, "episode E1 belongs to S1, not to F1"),
]


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse.init(tmp_path / "warehouse")
    import_catalog(warehouse, write_csv(tmp_path / "titles.csv", TITLE_FIELDS, [film("F1", "Alpha"), season("S1", "Gamma", 1)]))
    import_catalog(warehouse, write_csv(tmp_path / "episodes.csv", EPISODE_FIELDS,
                                        [{"episode_id": "E1", "title_id": "S1", "episode_number": 1, "runtime_seconds": 1500}]))
    return warehouse


def totals(warehouse: Warehouse) -> tuple:
    rollup(warehouse)
    return warehouse.execute("SELECT count(*), sum(seconds), sum(sessions) FROM daily_rollup").fetchone()


def test_malformed_rows_are_quarantined_exactly_with_row_and_reason(warehouse: Warehouse, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(MALFORMED_LOG)
    report = ingest_file(warehouse, log)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined, report.rows_duplicate) == (18, 3, 14, 1)
    stored = warehouse.execute("SELECT row_number, reason FROM quarantine ORDER BY row_number").fetchall()
    assert stored == EXPECTED_QUARANTINE
    assert report.first_problems == EXPECTED_QUARANTINE[:5]
    # The good rows: e1 (3600 s), e2 (1800.4 s rounds to 1800, country upper-cased), e17 (an episode of S1).
    events = warehouse.rows("SELECT event_id, iso2 AS country, seconds FROM read_parquet(?) "
                            "JOIN countries USING (country_index) ORDER BY event_id", [warehouse.event_part_paths()])
    assert events == [{"event_id": "e1", "country": "US", "seconds": 3600},
                      {"event_id": "e17", "country": "US", "seconds": 1200},
                      {"event_id": "e2", "country": "US", "seconds": 1800}]
    raw = json.loads(warehouse.scalar("SELECT raw FROM quarantine WHERE row_number = 4"))
    assert raw["title_id"] == "NOPE"


def test_the_same_file_twice_changes_no_figure(warehouse: Warehouse, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(MALFORMED_LOG)
    ingest_file(warehouse, log)
    before = totals(warehouse)
    again = ingest_file(warehouse, log)
    assert again.already_ingested_as and again.rows_loaded == 0
    renamed = tmp_path / "renamed.csv"
    shutil.copy(log, renamed)
    assert ingest_file(warehouse, renamed).already_ingested_as
    assert totals(warehouse) == before
    assert warehouse.scalar("SELECT count(*) FROM quarantine") == len(EXPECTED_QUARANTINE)


def test_overlapping_files_count_each_event_once(warehouse: Warehouse, tmp_path: Path) -> None:
    first = plays("F1", day="2026-11-10", count=6, prefix="x")
    ingest_file(warehouse, write_csv(tmp_path / "a.csv", EVENT_FIELDS, first[:4]))
    report = ingest_file(warehouse, write_csv(tmp_path / "b.jsonl.csv", EVENT_FIELDS, first[2:]))
    assert (report.rows_loaded, report.rows_duplicate) == (2, 2)
    assert totals(warehouse) == (1, 6 * 3600, 6)


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_json_lines_and_parquet_go_through_the_same_validation(warehouse: Warehouse, tmp_path: Path, suffix: str) -> None:
    rows = plays("F1", day="2026-11-10", count=3) + [plays("F1", day="2026-11-10", prefix="bad")[0] | {"country": "ZZ"}]
    path = tmp_path / f"log.{suffix}"
    if suffix == "jsonl":
        path.write_text("\n".join(json.dumps(row) for row in rows) + "\n{not json\n")
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    report = ingest_file(warehouse, path)
    assert report.rows_loaded == 3
    expected = [(4, "unknown country code ZZ (expected ISO 3166-1 alpha-2)")]
    if suffix == "jsonl":
        expected.append((5, "not valid JSON (Expecting property name enclosed in double quotes at column 2)"))
    assert report.first_problems == expected


def test_strict_mode_rejects_the_whole_file_and_stores_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(MALFORMED_LOG)
    with pytest.raises(StrictModeRejection, match=r"log.csv row 4: unknown title_id NOPE \(14 bad rows; nothing was ingested\)"):
        ingest_file(warehouse, log, strict=True)
    assert warehouse.scalar("SELECT count(*) FROM ingested_files") == 0
    assert warehouse.event_part_paths() == []
    assert list((warehouse.path / "events").iterdir()) == []


def test_a_file_without_a_required_column_is_refused(warehouse: Warehouse, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("event_id,account_id,title_id,country,start_time\ne1,a1,F1,US,2026-11-10T20:00:00Z\n")
    with pytest.raises(InputError, match=r"missing column 'seconds_watched'"):
        ingest_file(warehouse, log)
    assert warehouse.scalar("SELECT count(*) FROM ingested_files") == 0


def test_invalid_utf8_costs_only_its_row(warehouse: Warehouse, tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_bytes(f"{HEADER}\ne1,a1,F1,,US,2026-11-10T20:00:00Z,60\ne2,a\xff,F1,,US,2026-11-10T20:00:00Z,60\n".encode("latin-1"))
    report = ingest_file(warehouse, log)
    assert report.rows_loaded == 1
    assert report.first_problems == [(3, "not valid UTF-8 (invalid start byte at byte 4)")]


def test_unregistered_parts_left_by_a_crash_are_removed_on_open(warehouse: Warehouse, tmp_path: Path) -> None:
    ingest_file(warehouse, write_csv(tmp_path / "a.csv", EVENT_FIELDS, plays("F1", day="2026-11-10")))
    orphan = warehouse.events_dir / "day=2026-11-10" / "batch-00000099-0.parquet"
    shutil.copy(warehouse.event_part_paths()[0], orphan)
    warehouse.close()
    reopened = Warehouse(warehouse.path)
    assert not orphan.exists()
    assert totals(reopened) == (1, 3600, 1)
