"""Rollups: the fast kernel equals the SQL definition exactly, and only changed days rerun."""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders import EVENT_FIELDS, build_warehouse, film, plays, write_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from viewrank import Warehouse, WarehouseError, ingest_file
from viewrank.rollup.daily import ROLLUP_SELECT, WeekTotals, rollup
from viewrank.rollup.kernel import rollup_sorted_part
from viewrank.store.integrity import check

rows_strategy = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 4), st.integers(1, 9), st.integers(0, 90_000)),
    min_size=0, max_size=300)


def write_sorted_part(path: Path, rows: list[tuple[int, int, int, int]], row_group_size: int) -> Path:
    rows = sorted(rows)
    table = pa.table({"title_key": pa.array([r[0] for r in rows], pa.int32()),
                      "country_index": pa.array([r[1] for r in rows], pa.int16()),
                      "account_key": pa.array([r[2] for r in rows], pa.int32()),
                      "seconds": pa.array([r[3] for r in rows], pa.int32())})
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def sql_rollup(path: Path) -> list[tuple]:
    return duckdb.sql(f"WITH events AS (SELECT 0 AS day, * FROM read_parquet('{path}')) {ROLLUP_SELECT} ORDER BY ALL").fetchall()


@settings(max_examples=150, deadline=None)
@given(rows=rows_strategy, row_group_size=st.integers(1, 40))
def test_kernel_equals_the_sql_definition(tmp_path_factory: pytest.TempPathFactory, rows: list, row_group_size: int) -> None:
    path = write_sorted_part(tmp_path_factory.mktemp("part") / "part.parquet", rows, row_group_size)
    kernel = rollup_sorted_part(path)
    got = sorted((0, *row) for row in zip(*(kernel.column(name).to_pylist() for name in kernel.column_names)))
    assert got == sql_rollup(path)


@pytest.mark.parametrize("rows", [
    [(2, 0, 1), (1, 0, 1)],  # titles descend
    [(1, 1, 1), (1, 0, 1)],  # countries descend within a title
    [(1, 0, 2), (1, 0, 1)],  # accounts descend within a title and country
    [(1, 0, 1), (1, 0, 3), (1, 0, 2), (2, 0, 1)],  # ... also away from the edges
])
def test_kernel_refuses_an_unsorted_part(tmp_path: Path, rows: list[tuple[int, int, int]]) -> None:
    path = tmp_path / "part.parquet"
    title, country, account = zip(*rows)
    pq.write_table(pa.table({"title_key": pa.array(title, pa.int32()), "country_index": pa.array(country, pa.int16()),
                             "account_key": pa.array(account, pa.int32()),
                             "seconds": pa.array([5] * len(rows), pa.int32())}), path)
    with pytest.raises(WarehouseError, match="not sorted"):
        rollup_sorted_part(path)


WEEKLY_FROM_DAILY = """
SELECT day + CAST(6 - date_diff('day', DATE '2000-01-03', day) % 7 AS INTEGER) AS week,
       title_key, country, sum(seconds), sum(sessions)
FROM daily_rollup GROUP BY ALL ORDER BY ALL"""


def weekly_rows(warehouse: Warehouse) -> list[tuple]:
    """The stored weekly rollups, checked against the daily rollups they sum (weeks run Monday to Sunday; 2000-01-03 was a Monday)."""
    stored = warehouse.execute("SELECT * FROM weekly_rollup ORDER BY ALL").fetchall()
    assert stored == warehouse.execute(WEEKLY_FROM_DAILY).fetchall()
    return stored


def test_a_new_day_rolls_up_only_that_day_and_engines_agree(tmp_path: Path) -> None:
    titles = [film("A", "Alpha"), film("B", "Beta")]
    events = (plays("A", day="2026-11-09", count=5) + plays("B", day="2026-11-09", count=3, country="FR")
              + plays("A", day="2026-11-10", count=2, country="FR"))
    warehouse = build_warehouse(tmp_path, titles=titles, events=events, weeks=[])
    engines = dict(warehouse.execute("SELECT CAST(day AS VARCHAR), engine FROM rollup_days").fetchall())
    assert engines == {"2026-11-09": "kernel", "2026-11-10": "kernel"}
    # A late file for 11-10 and a new day 11-11: only those two days are recomputed.
    late = plays("B", day="2026-11-10", count=4, prefix="late") + plays("B", day="2026-11-11", count=1, prefix="new")
    week = dt.date(2026, 11, 15)
    assert weekly_rows(warehouse) == [(week, 1, "FR", 7200, 2), (week, 1, "US", 18000, 5), (week, 2, "FR", 10800, 3)]
    ingest_file(warehouse, write_csv(tmp_path / "late.csv", EVENT_FIELDS, late))
    report = rollup(warehouse)
    assert [day.isoformat() for day in report.days] == ["2026-11-10", "2026-11-11"]
    # Only part of the week was redone, so its totals were summed from the stored days too.
    assert weekly_rows(warehouse) == [(week, 1, "FR", 7200, 2), (week, 1, "US", 18000, 5),
                                      (week, 2, "FR", 10800, 3), (week, 2, "US", 18000, 5)]
    assert warehouse.scalar("SELECT engine FROM rollup_days WHERE day = '2026-11-10'") == "merge"  # two parts, merged in memory
    assert rollup(warehouse).days == []
    kernel_rows = warehouse.execute("SELECT * FROM daily_rollup ORDER BY ALL").fetchall()
    rollup(warehouse, full=True, engine="duckdb")
    assert warehouse.execute("SELECT * FROM daily_rollup ORDER BY ALL").fetchall() == kernel_rows
    assert warehouse.execute("SELECT CAST(day AS VARCHAR), title_key, country, seconds, sessions, accounts "
                             "FROM daily_rollup WHERE day = '2026-11-10' ORDER BY ALL").fetchall() == [
        ("2026-11-10", 1, "FR", 7200, 2, 2), ("2026-11-10", 2, "US", 14400, 4, 4)]


def test_week_totals_are_the_same_summed_in_memory_or_by_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    titles = [film(f"T{n}", f"Title {n}") for n in range(1, 6)]
    events = [event for n in range(1, 6) for day in ("2026-11-09", "2026-11-12", "2026-11-16")
              for event in plays(f"T{n}", day=day, count=n, seconds=600 * n, country=("US", "FR", "JP")[n % 3],
                                 prefix=f"{n}-{day}")]
    warehouse = build_warehouse(tmp_path / "dense", titles=titles, events=events, weeks=[])
    in_memory = weekly_rows(warehouse)
    assert [(str(row[0]), row[3], row[4]) for row in in_memory[:2]] == [("2026-11-15", 1200, 2), ("2026-11-15", 4800, 4)]
    monkeypatch.setattr(WeekTotals, "MAX_CELLS", 0)  # too large to sum in memory: SQL sums the stored days
    rollup(warehouse, full=True)
    assert weekly_rows(warehouse) == in_memory


def test_rollups_of_an_unknown_country_are_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    from viewrank.rollup.daily import store_rollups
    warehouse = build_warehouse(tmp_path, titles=[film("A", "Alpha")], events=plays("A", day="2026-11-09"), weeks=[])
    before = warehouse.execute("SELECT * FROM daily_rollup").fetchall()
    table = pa.table({"day": pa.array([dt.date(2026, 11, 9)]), "title_key": pa.array([1], pa.int32()),
                      "country_index": pa.array([999], pa.int16()), "seconds": pa.array([60]),
                      "sessions": pa.array([1]), "accounts": pa.array([1])})
    with pytest.raises(WarehouseError, match="country index that the countries table does not have"):
        store_rollups(warehouse, [(dt.date(2026, 11, 9), 1, 1)], [table], engine="kernel")
    assert warehouse.execute("SELECT * FROM daily_rollup").fetchall() == before == [
        (dt.date(2026, 11, 9), 1, "US", 3600, 1, 1)]


def parts_on_disk(warehouse: Warehouse) -> set[str]:
    return {path.relative_to(warehouse.path).as_posix() for path in (warehouse.path / "rollups").rglob("*.parquet")}


def test_rollups_are_parquet_parts_that_a_new_rollup_replaces(tmp_path: Path) -> None:
    events = plays("A", day="2026-11-09", count=2) + plays("A", day="2026-11-16", count=1, country="FR")
    warehouse = build_warehouse(tmp_path, titles=[film("A", "Alpha")], events=events, weeks=[])
    parts = warehouse.execute("SELECT kind, CAST(period AS VARCHAR), path, rows FROM rollup_parts ORDER BY ALL").fetchall()
    assert [part[:2] + part[3:] for part in parts] == [
        ("daily", "2026-11-09", 1), ("daily", "2026-11-16", 1), ("weekly", "2026-11-15", 1), ("weekly", "2026-11-22", 1)]
    assert parts[0][2].startswith("rollups/daily/day=2026-11-09/") and {part[2] for part in parts} == parts_on_disk(warehouse)
    # Each part holds its rows with the day or week in its folder name, readable by any Parquet reader.
    assert pq.read_table(warehouse.path / parts[0][2]).to_pylist() == [
        {"title_key": 1, "country_index": warehouse.scalar("SELECT country_index FROM countries WHERE iso2 = 'US'"),
         "seconds": 7200, "sessions": 2, "accounts": 2}]
    rollup(warehouse, full=True)
    assert not {part[2] for part in parts} & parts_on_disk(warehouse)  # replaced, and the old files deleted
    assert len(parts_on_disk(warehouse)) == 4 and check(warehouse, deep=True) == []


def test_a_part_no_rollup_registered_is_reported_and_removed_on_the_next_open(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path, titles=[film("A", "Alpha")], events=plays("A", day="2026-11-09"), weeks=[])
    registered = parts_on_disk(warehouse)
    stray = warehouse.path / "rollups/daily/day=2026-11-09/left-by-a-crash.parquet"
    stray.write_bytes(b"half a part")
    warehouse.close()
    with Warehouse(tmp_path / "warehouse", read_only=True) as reader:
        assert check(reader) == [{"check": "rollup parts on disk that nothing registered",
                                  "rows": ["rollups/daily/day=2026-11-09/left-by-a-crash.parquet"]}]
    with Warehouse(tmp_path / "warehouse") as writer:
        assert parts_on_disk(writer) == registered and check(writer) == []


def test_a_failed_rollup_deletes_the_parts_it_wrote_and_keeps_the_old_ones(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = build_warehouse(tmp_path, titles=[film("A", "Alpha")], events=plays("A", day="2026-11-09"), weeks=[])
    before, rows = parts_on_disk(warehouse), warehouse.execute("SELECT * FROM daily_rollup").fetchall()
    module = importlib.import_module("viewrank.rollup.daily")
    monkeypatch.setattr(module, "replace_day_sketches", lambda *args: 1 / 0)  # fails after the daily parts
    with pytest.raises(ZeroDivisionError):
        rollup(warehouse, full=True)
    assert parts_on_disk(warehouse) == before
    assert warehouse.execute("SELECT * FROM daily_rollup").fetchall() == rows


def test_a_missing_part_is_reported_by_check(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path, titles=[film("A", "Alpha")], events=plays("A", day="2026-11-09"), weeks=[])
    daily = warehouse.scalar("SELECT path FROM rollup_parts WHERE kind = 'daily'")
    (warehouse.path / daily).unlink()
    problems = {problem["check"]: problem["rows"] for problem in check(warehouse)}
    assert problems["registered rollup parts missing on disk"] == [daily]
    assert "could not be read" in problems["daily rollups whose sessions differ from their day's events"][0][0]
