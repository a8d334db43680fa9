"""Ingest: every bad row quarantined with its reason, good rows stored once, nothing twice."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders import EPISODE_FIELDS, EVENT_FIELDS, TITLE_FIELDS, film, plays, season, write_csv

from viewrank import InputError, StrictModeRejection, Warehouse, import_catalog, ingest_file
from viewrank.rollup.daily import rollup
from viewrank.store import events

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
    return catalogued(tmp_path / "warehouse")


def catalogued(root: Path) -> Warehouse:
    """A new warehouse with the film F1 and the season S1 (episode E1)."""
    warehouse = Warehouse.init(root)
    import_catalog(warehouse, write_csv(root.parent / "titles.csv", TITLE_FIELDS, [film("F1", "Alpha"), season("S1", "Gamma", 1)]))
    import_catalog(warehouse, write_csv(root.parent / "episodes.csv", EPISODE_FIELDS,
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


def malformed_parquet(path: Path) -> Path:
    """MALFORMED_LOG's rows that parse, as a Parquet file of text columns (the rest of the file as it came)."""
    lines = [line.split(",") for line in MALFORMED_LOG.splitlines()[1:]]
    rows = [dict(zip(EVENT_FIELDS, [value or None for value in line])) for line in lines if len(line) == len(EVENT_FIELDS)]
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def stored(warehouse: Warehouse) -> dict[str, list]:
    """What an ingest left: its manifest figures, quarantine and events (parts read back, in order)."""
    return {"manifest": warehouse.execute("SELECT rows_read, rows_loaded, rows_quarantined, rows_duplicate "
                                          "FROM ingested_files").fetchall(),
            "quarantine": warehouse.execute("SELECT row_number, reason, raw FROM quarantine ORDER BY ALL").fetchall(),
            "events": events.read_columns(events.part_paths(warehouse), list(events.PART_SCHEMA.names)).to_pylist(),
            "accounts": warehouse.execute("SELECT * FROM accounts ORDER BY ALL").fetchall()}


def test_a_parquet_file_read_by_duckdb_ingests_as_the_streaming_reader_does(
        warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Parquet file is validated by DuckDB straight from the file (ingest/scan.py): the same
    rows, reasons, quarantined text and stored events as the record-batch path gives."""
    path = malformed_parquet(tmp_path / "log.parquet")
    direct = ingest_file(warehouse, path)
    monkeypatch.setattr("viewrank.ingest.scan.readable_directly", lambda path: None)
    streamed = ingest_file(catalogued(tmp_path / "streamed" / "warehouse"), path)
    assert (direct.rows_read, direct.rows_loaded, direct.rows_quarantined, direct.rows_duplicate) == (17, 3, 13, 1)
    assert direct.first_problems == [(3, "unknown title_id NOPE"), (4, "unknown episode_id E9"),
                                     (5, "unknown country code XX (expected ISO 3166-1 alpha-2)"),
                                     (6, "negative seconds_watched -5"), (7, "start_time yesterday is not a timestamp")]
    assert (direct.first_problems, direct.days) == (streamed.first_problems, streamed.days)
    assert stored(warehouse) == stored(Warehouse(tmp_path / "streamed" / "warehouse"))
    with pytest.raises(StrictModeRejection, match=r"log.parquet row 3: unknown title_id NOPE \(13 bad rows; nothing was"):
        ingest_file(catalogued(tmp_path / "strict" / "warehouse"), path, strict=True)


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


def test_the_same_event_id_on_another_day_is_counted_once(warehouse: Warehouse, tmp_path: Path) -> None:
    ingest_file(warehouse, write_csv(tmp_path / "a.csv", EVENT_FIELDS, plays("F1", day="2026-11-10", prefix="x")))
    resent = plays("F1", day="2026-11-12", prefix="x") + plays("F1", day="2026-11-12", prefix="y")
    report = ingest_file(warehouse, write_csv(tmp_path / "b.csv", EVENT_FIELDS, resent))
    assert (report.rows_loaded, report.rows_duplicate, report.days) == (1, 1, ["2026-11-12"])
    assert warehouse.scalar("SELECT count(*) FROM event_files") == 2  # and no 0-row part for a day of duplicates only
    assert totals(warehouse) == (2, 2 * 3600, 2)  # two days, two sessions: x-0 once


def test_a_file_of_duplicates_only_registers_no_part(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = plays("F1", day="2026-11-10", count=3)
    ingest_file(warehouse, write_csv(tmp_path / "a.csv", EVENT_FIELDS, rows))
    report = ingest_file(warehouse, write_csv(tmp_path / "b.csv", EVENT_FIELDS, rows[::-1]))
    assert (report.rows_loaded, report.rows_duplicate, report.days) == (0, 3, [])
    assert warehouse.scalar("SELECT count(*) FROM event_files") == 1


def test_a_repeated_id_inside_a_file_keeps_its_first_row_across_batches(warehouse: Warehouse, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    first = plays("F1", day="2026-11-10", count=3)
    again = first[0] | {"seconds_watched": "60", "start_time": "2026-11-11T20:00:00Z"}
    from viewrank.ingest.readers import open_input
    monkeypatch.setattr("viewrank.ingest.open_input", lambda path, format=None: open_input(path, format=format, batch_rows=2))
    report = ingest_file(warehouse, write_csv(tmp_path / "a.csv", EVENT_FIELDS, first + [again]))
    assert (report.rows_loaded, report.rows_duplicate, report.days) == (3, 1, ["2026-11-10"])
    assert warehouse.scalar("SELECT bool_and(sorted) FROM event_files")  # sorted whole, whatever the batches
    rollup(warehouse)
    assert totals(warehouse) == (1, 3 * 3600, 3)
    assert warehouse.scalar("SELECT engine FROM rollup_days") == "kernel"


def test_check_deep_finds_an_event_id_stored_on_two_days(warehouse: Warehouse, tmp_path: Path) -> None:
    from viewrank.store.integrity import check
    ingest_file(warehouse, write_csv(tmp_path / "a.csv", EVENT_FIELDS, plays("F1", day="2026-11-10", prefix="x")))
    warehouse.execute("DELETE FROM event_keys")  # an index that lost its keys, as before the index existed
    ingest_file(warehouse, write_csv(tmp_path / "b.csv", EVENT_FIELDS, plays("F1", day="2026-11-12", prefix="x")))
    assert [problem["check"] for problem in check(warehouse)] == ["event key index out of step with the event parts"]
    deep = {problem["check"]: problem["rows"] for problem in check(warehouse, deep=True)}
    assert deep["event ids stored more than once"] == [["x-0", 2]]


def test_a_warehouse_without_keys_gets_them_from_its_parts(warehouse: Warehouse, tmp_path: Path) -> None:
    ingest_file(warehouse, write_csv(tmp_path / "a.csv", EVENT_FIELDS, plays("F1", day="2026-11-10", prefix="x")))
    warehouse.execute("DELETE FROM event_keys; DELETE FROM event_key_function")  # made before the index, or by another DuckDB
    report = ingest_file(warehouse, write_csv(tmp_path / "b.csv", EVENT_FIELDS, plays("F1", day="2026-11-12", prefix="x")))
    assert (report.rows_loaded, report.rows_duplicate) == (0, 1)
    assert warehouse.scalar("SELECT count(*) FROM event_keys") == 1


BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.slow
def test_ingest_memory_is_flat_whatever_the_size_of_one_file(tmp_path: Path) -> None:
    """Issue 16 finding 3: peak memory of ingesting one file is flat (within 20%) whatever the
    size of the file: no copy of it, and no key or account index, is held in memory. From 2M
    rows DuckDB reaches its ingest memory limit and spills (a 1M-row file stays under it). The
    same measurement at 5M and 50M rows is in bench/results/ingest_memory.md."""
    result = subprocess.run([sys.executable, str(BENCH / "ingest_memory.py"), "--rows", "2000000", "20000000",
                             "--scratch", str(tmp_path)], capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    small, large = (row["peak_rss_mb"] for row in summary["results"])
    assert large <= 1.2 * small, summary
    assert large < 1024, summary


# Modules allowed to name event parts' files, and why: the events reader; the warehouse, which
# creates the folder and removes parts no transaction registered; the integrity check, which
# compares the folder's listing with the registry; the rollup benchmark, which compares
# engines reading the same parts directly; Spark, which reads a copy of the folder elsewhere.
EVENT_PART_NAMERS = {"store/events.py", "store/warehouse.py", "store/integrity.py", "tools/bench.py", "rollup/spark.py"}
# Modules allowed to open Parquet files: the events reader, rollup parts, input files, the
# benchmark, ingest's staging files (a file's rows before they become parts) and its direct Parquet scan.
# store/damage.py reads any part's footer and pages to check them whole, never its events.
PARQUET_READERS = {"store/events.py", "store/rollup_parts.py", "store/damage.py", "ingest/readers.py", "ingest/staging.py", "ingest/scan.py",
                   "tools/bench.py"}


def test_only_the_events_module_reads_event_parts() -> None:
    """Issue 12: one events reader. Every other module reaches raw events through store/events.py."""
    package = Path(__file__).resolve().parents[1] / "src" / "viewrank"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        text = path.read_text()
        if name not in EVENT_PART_NAMERS and any(
                word in text for word in ("event_part_paths", "EVENTS_DIR", "events_dir", '"events/')):
            offenders.append(f"{name} names event part files")
        if name not in PARQUET_READERS and any(
                word in text for word in ("read_parquet", "ParquetFile", "pq.read_table", "parquet.read_table")):
            offenders.append(f"{name} opens Parquet files")
    assert offenders == []


def hourly_file(folder: Path, day: str, hour: int, rows: list[dict]) -> Path:
    """One hourly delivery file in Hive-style folders, as a service drops it."""
    path = folder / f"day={day}" / f"hour={hour:02d}" / "part.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_a_folder_ingest_picks_up_only_new_files_and_says_what_it_skipped(warehouse: Warehouse, tmp_path: Path) -> None:
    from viewrank.ingest import ingest_files
    folder = tmp_path / "deliveries"
    hourly_file(folder, "2026-11-10", 20, plays("F1", day="2026-11-10", count=2, prefix="a"))
    hourly_file(folder, "2026-11-10", 21, plays("F1", day="2026-11-10", count=3, prefix="b"))
    (folder / "_SUCCESS").write_text("")
    first = ingest_files(warehouse, [folder])
    assert [(Path(r.path).parent.name, r.rows_loaded, r.unchanged) for r in first] == [("hour=20", 2, False), ("hour=21", 3, False)]
    hourly_file(folder, "2026-11-10", 22, plays("F1", day="2026-11-10", count=4, prefix="c"))
    second = ingest_files(warehouse, [folder])
    assert [(Path(r.path).parent.name, r.rows_loaded, r.unchanged) for r in second] == [
        ("hour=20", 0, True), ("hour=21", 0, True), ("hour=22", 4, False)]
    assert totals(warehouse) == (1, 9 * 3600, 9)


def test_a_late_hourly_file_changes_only_its_day_and_makes_a_new_revision_of_its_week(
        warehouse: Warehouse, tmp_path: Path) -> None:
    from viewrank import compute_charts
    from viewrank.ingest import ingest_files
    folder = tmp_path / "deliveries"
    for day in ("2026-11-09", "2026-11-12", "2026-11-16", "2026-11-23"):  # two whole chart weeks: 11-15 and 11-22
        hourly_file(folder, day, 20, plays("F1", day=day, count=3, prefix=f"f{day}"))
    ingest_files(warehouse, [folder])
    rollup(warehouse)
    compute_charts(warehouse)
    daily = "SELECT * FROM daily_rollup ORDER BY ALL"
    before = warehouse.execute(daily).fetchall()
    revisions = "SELECT CAST(week AS VARCHAR), scope, max(revision) FROM editions GROUP BY ALL ORDER BY ALL"
    assert warehouse.execute(revisions).fetchall() == [
        ("2026-11-15", "country", 1), ("2026-11-15", "global", 1), ("2026-11-22", "country", 1), ("2026-11-22", "global", 1)]
    hourly_file(folder, "2026-11-12", 23, plays("F1", day="2026-11-12", count=2, prefix="late"))
    reports = ingest_files(warehouse, [folder])
    assert [r.unchanged for r in reports] == [True, True, False, True, True]
    assert [day.isoformat() for day in rollup(warehouse).days] == ["2026-11-12"]
    compute_charts(warehouse)
    after = warehouse.execute(daily).fetchall()
    changed = sorted({str(row[0]) for row in set(before) ^ set(after)})
    assert changed == ["2026-11-12"]
    assert warehouse.execute(revisions).fetchall() == [
        ("2026-11-15", "country", 2), ("2026-11-15", "global", 2), ("2026-11-22", "country", 1), ("2026-11-22", "global", 1)]


def test_ids_whose_first_hashes_collide_stay_apart(warehouse: Warehouse, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Event ids are told apart by their second hash when their first collide: with a first
    hash of the id's first letter only, every id here collides, and none is taken for another
    (issue 13: detect collisions, never miscount). Accounts are matched by their ids themselves."""
    weak = "hash(left({id}, 1))"
    monkeypatch.setattr("viewrank.ingest.batch.KEY_SQL", weak)
    first = plays("F1", day="2026-11-10", count=4, prefix="x")
    report = ingest_file(warehouse, write_csv(tmp_path / "a.csv", EVENT_FIELDS, first))
    assert (report.rows_loaded, report.rows_duplicate) == (4, 0)
    more = plays("F1", day="2026-11-11", count=6, prefix="x")  # x-0 to x-3 again, and x-4, x-5
    report = ingest_file(warehouse, write_csv(tmp_path / "b.csv", EVENT_FIELDS, more))
    assert (report.rows_loaded, report.rows_duplicate) == (2, 4)
    assert warehouse.scalar("SELECT count(DISTINCT key) || '/' || count(*) FROM event_keys") == "1/6"  # all collide
    assert warehouse.scalar("SELECT count(DISTINCT account_key) FROM accounts") == 6
    rollup(warehouse)
    assert warehouse.execute("SELECT day, accounts FROM daily_rollup ORDER BY day").fetchall() == [
        (dt.date(2026, 11, 10), 4), (dt.date(2026, 11, 11), 2)]


def test_accounts_whose_hashes_collide_stay_apart(warehouse: Warehouse, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Events meet their accounts by the hash of the account id, unless two of a batch's
    accounts share one: then by the id itself. With a hash of the id's first letter only, the
    accounts here collide, and each event still gets its own account's key."""
    rows = [{**row, "account_id": f"a-{index % 3}"} for index, row in enumerate(plays("F1", day="2026-11-10", count=6))]
    monkeypatch.setattr("viewrank.ingest.staging.ACCOUNT_HASH_SQL", "hash(left({id}, 1))")
    report = ingest_file(warehouse, write_csv(tmp_path / "a.csv", EVENT_FIELDS, rows))
    assert report.rows_loaded == 6
    assert warehouse.execute("SELECT account_id, account_key FROM accounts ORDER BY account_id").fetchall() == [
        ("a-0", 1), ("a-1", 2), ("a-2", 3)]
    keyed = events.read_columns(events.part_paths(warehouse), ["event_id", "account_key"]).to_pylist()
    assert sorted((row["event_id"], row["account_key"]) for row in keyed) == sorted(
        (row["event_id"], int(row["account_id"][-1]) + 1) for row in rows)
    rollup(warehouse)
    assert warehouse.scalar("SELECT accounts FROM daily_rollup") == 3


def delivery_of_hours(folder: Path) -> list[Path]:
    """Four hourly files over two days, with an event re-sent in a later file, one repeated
    within a file, an account seen in several files and bad rows in two files."""
    def rows(day: str, hour: int, count: int, prefix: str) -> list[dict]:
        return plays("F1", day=day, count=count, hour=hour, prefix=prefix)
    first = rows("2026-11-10", 20, 3, "a")
    second = [*rows("2026-11-10", 21, 2, "b"), first[1], {**first[0], "title_id": "NOPE", "event_id": "bad-1"}]
    third = [*rows("2026-11-11", 0, 2, "c"), {**first[2], "account_id": "a-acct2"}, *rows("2026-11-11", 0, 1, "c")]
    fourth = [{**first[0], "event_id": "d-0"}, {**first[0], "event_id": "d-1", "seconds_watched": -5}]
    return [hourly_file(folder, day, hour, table) for (day, hour), table in
            zip([("2026-11-10", 20), ("2026-11-10", 21), ("2026-11-11", 0), ("2026-11-11", 1)], [first, second, third, fourth])]


def test_a_run_of_parquet_files_stores_what_the_files_one_at_a_time_store(warehouse: Warehouse, tmp_path: Path) -> None:
    """Parquet files ingested together go through one pass (ingest/run.py) and store the same
    events, accounts, quarantine, per-file figures and rollups as the files ingested one by
    one, in one sorted part per day instead of a part per file and day."""
    from viewrank.ingest import ingest_files
    from viewrank.store.integrity import check
    files = delivery_of_hours(tmp_path / "deliveries")
    together = ingest_files(warehouse, files)
    alone = catalogued(tmp_path / "alone" / "warehouse")
    apart = [ingest_file(alone, path) for path in files]
    figures = [(r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_duplicate, r.days, r.first_problems) for r in together]
    assert figures == [(3, 3, 0, 0, ["2026-11-10"], []),
                       (4, 2, 1, 1, ["2026-11-10"], [(4, "unknown title_id NOPE")]),
                       (4, 2, 0, 2, ["2026-11-11"], []),
                       (2, 1, 1, 0, ["2026-11-10"], [(2, "negative seconds_watched -5")])]
    assert figures == [(r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_duplicate, r.days, r.first_problems) for r in apart]
    assert len({r.batch_id for r in together}) == 4
    assert warehouse.execute("SELECT day, rows, sorted FROM event_files ORDER BY day").fetchall() == [
        (dt.date(2026, 11, 10), 6, True), (dt.date(2026, 11, 11), 2, True)]
    quarantine = "SELECT path, row_number, reason, raw FROM quarantine ORDER BY ALL"
    assert warehouse.execute(quarantine).fetchall() == alone.execute(quarantine).fetchall()
    mine, theirs = stored(warehouse), stored(alone)
    assert mine["accounts"] == theirs["accounts"] and mine["manifest"] == theirs["manifest"]
    key = lambda event: (event["event_id"],)  # noqa: E731  (parts differ in number, not in content)
    assert sorted(mine["events"], key=key) == sorted(theirs["events"], key=key)
    assert totals(warehouse) == totals(alone) == (2, 8 * 3600, 8)
    assert check(warehouse) == []
    assert [r.already_ingested_as is not None for r in ingest_files(warehouse, [files[2], files[0]])] == [True, True]


def test_a_run_that_meets_a_bad_file_keeps_the_files_before_it(warehouse: Warehouse, tmp_path: Path) -> None:
    """A file that is not readable Parquet, or that --strict refuses, fails with its own name,
    and the files before it are stored as if ingested one by one; nothing of it or after it is."""
    from viewrank.ingest import ingest_files
    files = delivery_of_hours(tmp_path / "deliveries")
    broken, content = files[2].with_name("broken.parquet"), files[2].read_bytes()
    broken.write_bytes(content[:40] + b"\0" * 20 + content[60:])  # its footer reads; its first page does not
    with pytest.raises(InputError, match="broken.parquet"):
        ingest_files(warehouse, [files[0], files[1], broken, files[3]])
    assert warehouse.execute("SELECT path FROM ingested_files ORDER BY batch_id").fetchall() == [(str(files[0]),), (str(files[1]),)]
    strict = catalogued(tmp_path / "strict" / "warehouse")
    with pytest.raises(StrictModeRejection, match=r"hour=21.part.parquet row 4: unknown title_id NOPE \(1 bad rows"):
        ingest_files(strict, files, strict=True)
    assert strict.execute("SELECT path FROM ingested_files").fetchall() == [(str(files[0]),)]
    assert strict.scalar("SELECT count(*) FROM quarantine") == 0


def test_a_change_of_layout_starts_a_new_run(warehouse: Warehouse, tmp_path: Path) -> None:
    """Files whose columns or types differ are not read as one: each layout is its own run."""
    from viewrank.ingest import ingest_files
    files = delivery_of_hours(tmp_path / "deliveries")
    table = pq.read_table(files[3])
    pq.write_table(table.set_column(table.schema.get_field_index("seconds_watched"), "seconds_watched",
                                    table["seconds_watched"].cast(pa.float64())), files[3])
    reports = ingest_files(warehouse, files)
    assert [r.rows_loaded for r in reports] == [3, 2, 2, 1]
    assert warehouse.execute("SELECT count(DISTINCT run_id) FROM ingested_files").fetchone() == (2,)


def test_trimmed_is_trim_without_its_copy() -> None:
    """validate.sql's trimmed(...) (batch.TRIMMED_SQL) equals DuckDB's trim() on every kind of end:
    ASCII spaces, the other Unicode space separators trim() takes off, and what it leaves."""
    import duckdb

    from viewrank.ingest.batch import TRIMMED_SQL
    values = ["", " ", "a", " a", "a ", "  a b  ", "\ta\n", "\u00a0a", "a\u3000", "\u2009x\u202f", "é", " é ",
              "x\u00a0y", "😀", " 😀", "ab\u1680", "\u200b", None]
    found = duckdb.connect().execute(f"SELECT list(trim(v) IS NOT DISTINCT FROM ({TRIMMED_SQL.format(column='v')})) "
                                     "FROM (SELECT unnest($values) AS v)", {"values": values}).fetchall()
    assert found == [([True] * len(values),)]
