"""Benchmark: peak memory of ingesting ONE Parquet file of N rows, for several N, each ingest
in its own process (peak RSS from getrusage). Memory must not grow with the size of one file:
no key or account is held in memory, DuckDB spills past its ingest memory limit (issue 16,
finding 3: flat within 20% from 5M to 50M rows).

    python bench/ingest_memory.py --rows 5000000 50000000

Prints one JSON object; with --write also bench/results/ingest_memory.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

RESULTS = Path(__file__).parent / "results"
# Accounts grow with the file, one per 10 sessions (a day's file holds fewer sessions per
# account than bench/delivery.py's week, one per 25): a day of a large service has millions of
# accounts, and neither they nor the rows may make memory grow.
SESSIONS_PER_ACCOUNT = 10
CHUNK = 1_000_000

INGEST_SCRIPT = """
import resource, sys, time
from viewrank import Warehouse, ingest_file
start = time.perf_counter()
report = ingest_file(Warehouse(sys.argv[1]), sys.argv[2])
assert report.rows_loaded == int(sys.argv[3]), report
print(round(time.perf_counter() - start, 2), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def write_events(path: Path, rows: int) -> None:
    """One Parquet file of `rows` valid playback events, written a million rows at a time."""
    accounts = max(1, rows // SESSIONS_PER_ACCOUNT)
    schema = pa.schema([(name, pa.string()) for name in ("event_id", "account_id", "title_id", "country", "start_time")]
                       + [("seconds_watched", pa.int64())])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, CHUNK):
            ids = np.arange(start, min(rows, start + CHUNK))
            writer.write_table(pa.table({
                "event_id": pa.array(np.char.add("event-", ids.astype(str))),
                "account_id": pa.array(np.char.add("account-", (ids % accounts).astype(str))),
                "title_id": pa.array(np.where(ids % 3 == 0, "F1", "F2")),
                "country": pa.array(np.where(ids % 5 == 0, "US", "FR")),
                "start_time": pa.array(np.full(len(ids), "2026-11-10T20:00:00Z")),
                "seconds_watched": pa.array(ids % 3600)}, schema=schema))


def measure(rows: int, folder: Path) -> dict[str, float]:
    """Seconds and peak RSS (MB) of ingesting one file of `rows` rows into a fresh warehouse."""
    from viewrank import Warehouse, import_catalog

    folder.mkdir(parents=True)
    warehouse = Warehouse.init(folder / "warehouse")
    catalog = folder / "titles.csv"
    catalog.write_text("title_id,show_title,kind,original_language,release_date,is_original,runtime_seconds\n"
                       "F1,Alpha,film,en,2026-01-01,true,7200\nF2,Beta,film,en,2026-01-01,true,7200\n")
    import_catalog(warehouse, catalog)
    warehouse.close()
    events = folder / "events.parquet"
    write_events(events, rows)
    result = subprocess.run([sys.executable, "-c", INGEST_SCRIPT, str(folder / "warehouse"), str(events), str(rows)],
                            capture_output=True, text=True, check=True)
    seconds, peak_mb = result.stdout.split()[-2:]
    shutil.rmtree(folder)
    return {"rows": rows, "seconds": float(seconds), "peak_rss_mb": int(peak_mb)}


def run(sizes: list[int], scratch: Path) -> dict[str, object]:
    measured = [measure(rows, scratch / f"rows-{rows}") for rows in sizes]
    small, large = measured[0], measured[-1]
    return {"command": "python bench/ingest_memory.py --rows " + " ".join(map(str, sizes)),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": platform.machine(),
            "cpus": os.cpu_count(), "load_average": os.getloadavg(), "results": measured,
            "growth": round(large["peak_rss_mb"] / small["peak_rss_mb"] - 1, 3)}


def markdown(summary: dict[str, object]) -> str:
    lines = ["# Peak memory of ingesting one file", "", f"`{summary['command']}` ({summary['when']}, "
             f"{summary['cpus']} CPUs, load average {', '.join(f'{x:.1f}' for x in summary['load_average'])})", "",  # type: ignore[attr-defined]
             f"Each file has one account per {SESSIONS_PER_ACCOUNT} rows.", "",
             "| rows in the file | ingest seconds | peak RSS (MB) |", "|---:|---:|---:|"]
    lines += [f"| {r['rows']:,} | {r['seconds']:.1f} | {r['peak_rss_mb']:,} |" for r in summary["results"]]  # type: ignore[attr-defined]
    lines += ["", f"Growth of peak memory from the smallest to the largest file: {100 * summary['growth']:.1f}% "  # type: ignore[operator]
              "(no key index or account index in memory; DuckDB spills past its ingest memory limit).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[5_000_000, 50_000_000])
    parser.add_argument("--scratch", type=Path, default=None, help="where the files are written (default: a temporary folder)")
    parser.add_argument("--write", action="store_true", help="write bench/results/ingest_memory.{md,json}")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=arguments.scratch) as scratch:
        summary = run(sorted(arguments.rows), Path(scratch))
    print(json.dumps(summary))
    if arguments.write:
        (RESULTS / "ingest_memory.json").write_text(json.dumps(summary, indent=2) + "\n")
        (RESULTS / "ingest_memory.md").write_text(markdown(summary))


if __name__ == "__main__":
    main()
