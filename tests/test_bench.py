"""The rollup benchmark's machinery at a tiny size: its data rolls up exactly, its report renders."""

from __future__ import annotations

from pathlib import Path

from viewrank import Warehouse
from viewrank.rollup.daily import ROLLUP_SELECT, rollup
from viewrank.tools.bench import build_dataset, run_benchmark


def test_benchmark_data_rolls_up_like_the_sql_definition(tmp_path: Path) -> None:
    root = build_dataset(tmp_path / "wh", sessions=50_000, titles=500)
    warehouse = Warehouse(root)
    report = rollup(warehouse)
    assert report.event_rows == 50_000 and len(report.days) == 7
    stored = warehouse.execute("SELECT day, title_key, c.country_index, seconds, sessions, accounts "
                               "FROM daily_rollup JOIN countries c ON c.iso2 = country ORDER BY ALL").fetchall()
    expected = warehouse.execute(f"WITH events AS (SELECT * FROM read_parquet(?, hive_partitioning = true)) "
                                 f"{ROLLUP_SELECT} ORDER BY ALL", [warehouse.event_part_paths()]).fetchall()
    assert stored == expected


def test_benchmark_writes_results_table_and_plot(tmp_path: Path) -> None:
    import contextlib
    results = run_benchmark([20_000, 40_000], ["scan", "duckdb_group_by", "viewrank", "viewrank_kernel", "pandas"],
                            data_dir=tmp_path / "data", results_dir=tmp_path / "results", command="test",
                            progress=lambda label, length: contextlib.nullcontext(lambda steps: None), repeats=2)
    assert [(run["sessions"], run["engine"]) for run in results["runs"]] == [
        (20_000, "scan"), (20_000, "duckdb_group_by"), (20_000, "viewrank"), (20_000, "viewrank_kernel"), (20_000, "pandas"),
        (40_000, "scan"), (40_000, "duckdb_group_by"), (40_000, "viewrank"), (40_000, "viewrank_kernel"),
        (40_000, "pandas")]
    assert all(run["seconds"] > 0 and run["peak_rss_mb"] > 0 for run in results["runs"])
    # Quick engines ran twice, the median (here the faster) reported; each run stored afresh.
    assert all(len(run["runs"]) == 2 and run["seconds"] == min(r["seconds"] for r in run["runs"]) for run in results["runs"])
    table = (tmp_path / "results" / "rollup_scale.md").read_text()
    assert "| 40,000 | viewrank |" in table and "## Projection for a 5-billion-session week" in table
    assert (tmp_path / "results" / "rollup_scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
