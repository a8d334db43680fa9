"""Benchmark: viewrank's ingest and rollup throughput against DuckDB's own GROUP BY on the
same files, measured in the same run (the machines are shared and noisy: read the ratios).

    python bench/ingest_rollup.py --sessions 5000000

Writes bench/results/ingest_rollup.{md,json}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import sys
import time
from pathlib import Path

import duckdb

from viewrank import Warehouse, import_catalog, ingest_file
from viewrank.rollup.daily import ROLLUP_SELECT, rollup
from viewrank.tools import simulate

RESULTS = Path(__file__).parent / "results"

# The same grouping as the rollup, straight from the generated input files: the baseline.
BASELINE_SQL = """
SELECT CAST(start_time AS DATE) AS day, coalesce(title_id, episode_id) AS watched, country,
       sum(seconds_watched), count(*), count(DISTINCT account_id)
FROM read_parquet(?) GROUP BY ALL
"""


def timed(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5_000_000)
    parser.add_argument("--titles", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data" / "ingest_rollup")
    args = parser.parse_args()

    shutil.rmtree(args.data, ignore_errors=True)
    generate_seconds, service = timed(simulate.generate, args.data / "input", titles=args.titles,
                                      weeks=args.weeks, sessions=args.sessions)
    files = [str(path) for path in service.events_paths]
    sessions = service.sessions

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    baseline_seconds, _ = timed(lambda: con.execute(BASELINE_SQL, [files]).fetchall())
    scan_seconds, _ = timed(lambda: con.execute(
        "SELECT count(*), sum(seconds_watched) FROM read_parquet(?)", [files]).fetchall())

    warehouse = Warehouse.init(args.data / "warehouse")
    import_catalog(warehouse, service.titles_path)
    import_catalog(warehouse, service.episodes_path)
    ingest_seconds, _ = timed(lambda: [ingest_file(warehouse, path) for path in service.events_paths])
    rollup_seconds, report = timed(rollup, warehouse)
    assert report.event_rows == sessions, (report.event_rows, sessions)
    parts = warehouse.event_part_paths()
    stored_baseline_seconds, _ = timed(lambda: con.execute(
        f"WITH events AS (SELECT * FROM read_parquet(?, hive_partitioning = true)) {ROLLUP_SELECT}", [parts]).fetchall())
    warehouse.close()

    def rate(seconds: float) -> float:
        return sessions / seconds

    results = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": "python " + " ".join(sys.argv),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}, duckdb {duckdb.__version__}",
        "sessions": sessions, "days": len(files), "generate_seconds": round(generate_seconds, 2),
        "timings_seconds": {
            "duckdb_scan_input": round(scan_seconds, 3),
            "duckdb_group_by_input": round(baseline_seconds, 3),
            "viewrank_ingest": round(ingest_seconds, 3),
            "viewrank_rollup": round(rollup_seconds, 3),
            "duckdb_group_by_stored_parts": round(stored_baseline_seconds, 3),
        },
        "sessions_per_second": {
            "duckdb_group_by_input": round(rate(baseline_seconds)),
            "viewrank_ingest": round(rate(ingest_seconds)),
            "viewrank_rollup": round(rate(rollup_seconds)),
        },
        "ratios_to_duckdb_group_by": {
            "ingest": round(ingest_seconds / baseline_seconds, 2),
            "rollup": round(rollup_seconds / baseline_seconds, 2),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest_rollup.json").write_text(json.dumps(results, indent=2) + "\n")
    timings = results["timings_seconds"]
    lines = [
        "# Ingest and rollup against DuckDB's GROUP BY",
        "",
        f"Command: `{results['command']}`  ",
        f"Run: {results['date']} on {results['machine']}  ",
        f"Data: {sessions:,} synthetic sessions over {len(files)} daily Parquet files (generated in {generate_seconds:.1f} s).",
        "",
        "| step | seconds | sessions/s | time / DuckDB GROUP BY |",
        "|---|---:|---:|---:|",
        f"| DuckDB scan of the input files | {timings['duckdb_scan_input']:.2f} | {rate(scan_seconds):,.0f} | {scan_seconds / baseline_seconds:.2f} |",
        f"| DuckDB GROUP BY (day, title, country) on the input files (baseline) | {timings['duckdb_group_by_input']:.2f} | {rate(baseline_seconds):,.0f} | 1.00 |",
        f"| viewrank ingest (validate, dedupe, quarantine, store by day) | {timings['viewrank_ingest']:.2f} | {rate(ingest_seconds):,.0f} | {ingest_seconds / baseline_seconds:.2f} |",
        f"| viewrank rollup (day, title, country: seconds, sessions, accounts) | {timings['viewrank_rollup']:.2f} | {rate(rollup_seconds):,.0f} | {rollup_seconds / baseline_seconds:.2f} |",
        f"| DuckDB GROUP BY on the stored event parts | {timings['duckdb_group_by_stored_parts']:.2f} | {rate(stored_baseline_seconds):,.0f} | {stored_baseline_seconds / baseline_seconds:.2f} |",
        "",
    ]
    (RESULTS / "ingest_rollup.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
