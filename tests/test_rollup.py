"""Rollups: the fast kernel equals the SQL definition exactly, and only changed days rerun."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings, strategies as st

from builders import EVENT_FIELDS, build_warehouse, film, plays, write_csv
from viewrank import WarehouseError, ingest_file, rollup
from viewrank.rollup import ROLLUP_SELECT
from viewrank.rollup_kernel import rollup_sorted_part

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


def test_a_new_day_rolls_up_only_that_day_and_engines_agree(tmp_path: Path) -> None:
    titles = [film("A", "Alpha"), film("B", "Beta")]
    events = (plays("A", day="2026-11-09", count=5) + plays("B", day="2026-11-09", count=3, country="FR")
              + plays("A", day="2026-11-10", count=2, country="FR"))
    warehouse = build_warehouse(tmp_path, titles=titles, events=events, weeks=[])
    engines = dict(warehouse.execute("SELECT CAST(day AS VARCHAR), engine FROM rollup_days").fetchall())
    assert engines == {"2026-11-09": "kernel", "2026-11-10": "kernel"}
    # A late file for 11-10 and a new day 11-11: only those two days are recomputed.
    late = plays("B", day="2026-11-10", count=4, prefix="late") + plays("B", day="2026-11-11", count=1, prefix="new")
    ingest_file(warehouse, write_csv(tmp_path / "late.csv", EVENT_FIELDS, late))
    report = rollup(warehouse)
    assert [day.isoformat() for day in report.days] == ["2026-11-10", "2026-11-11"]
    assert warehouse.scalar("SELECT engine FROM rollup_days WHERE day = '2026-11-10'") == "duckdb"  # two parts
    assert rollup(warehouse).days == []
    kernel_rows = warehouse.execute("SELECT * FROM daily_rollup ORDER BY ALL").fetchall()
    rollup(warehouse, full=True, engine="duckdb")
    assert warehouse.execute("SELECT * FROM daily_rollup ORDER BY ALL").fetchall() == kernel_rows
    assert warehouse.execute("SELECT CAST(day AS VARCHAR), title_key, country, seconds, sessions, accounts "
                             "FROM daily_rollup WHERE day = '2026-11-10' ORDER BY ALL").fetchall() == [
        ("2026-11-10", 1, "FR", 7200, 2, 2), ("2026-11-10", 2, "US", 14400, 4, 4)]
