"""Benchmark: one week's lists (4 global, 2 x 93 country) from rollups of 20,000 titles in
every one of 93 countries on every day, the densest a week's rollups can be, against a
same-run baseline: one scan that sums the week's rollup rows.

    python bench/charts_week.py --titles 20000

Writes bench/results/charts_week.{md,json}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from viewrank import Warehouse, compute_charts
from viewrank.rollup.daily import replace_rollup_rows
from viewrank.store.rollup_parts import DAILY, WEEKLY

RESULTS = Path(__file__).parent / "results"
WEEK = dt.date(2026, 11, 15)

FILL_SQL = """
INSERT INTO titles (title_id, show_title, kind, original_language, release_date, runtime_seconds, season_title)
SELECT 'T' || i, 'Title ' || i, CASE WHEN i % 2 = 0 THEN 'film' ELSE 'tv' END,
       CASE WHEN i % 3 = 0 THEN 'ko' ELSE 'en' END, DATE '2026-01-01',
       CASE WHEN i % 2 = 0 THEN 3600 + i % 5000 END, CASE WHEN i % 2 = 1 THEN 'Title ' || i || ': Season 1' END
FROM range(1, $titles + 1) r(i);
INSERT INTO episodes (episode_id, title_key, episode_number, runtime_seconds, available_date)
SELECT 'E' || title_key || '-' || n, title_key, n, 1800 + (title_key * n) % 1800, DATE '2026-01-01'
FROM titles, range(1, 9) e(n) WHERE kind = 'tv';
INSERT INTO rollup_days SELECT DATE '2026-11-09' + CAST(d AS INTEGER), 1, 1, 'bench', now() FROM range(7) r(d);
"""
DAY_SQL = """
SELECT t.title_key, c.country_index, (hash(t.title_key, c.iso2, $day) % 1000000) + 1 AS seconds, 10 AS sessions,
       5 AS accounts
FROM titles t, countries c WHERE c.netflix_top10 ORDER BY ALL"""
WEEK_SQL = """
SELECT title_key, country_index, sum(seconds) AS seconds, sum(sessions) AS sessions
FROM daily_rollup_rows GROUP BY ALL ORDER BY ALL"""


def timed(function) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp()) / "warehouse"
    warehouse = Warehouse.init(root)
    for statement in filter(str.strip, FILL_SQL.split(";")):
        warehouse.execute(statement, {"titles": args.titles} if "$titles" in statement else None)
    for offset in range(7):
        day = WEEK - dt.timedelta(days=6 - offset)
        replace_rollup_rows(warehouse, DAILY, day, warehouse.arrow(DAY_SQL, {"day": str(day)}))
    replace_rollup_rows(warehouse, WEEKLY, WEEK, warehouse.arrow(WEEK_SQL))
    rollup_rows = warehouse.scalar("SELECT count(*) FROM daily_rollup")
    charts, scans = [], []
    for _ in range(args.repeats):
        warehouse.execute("DELETE FROM chart_entries; DELETE FROM editions")
        scans.append(timed(lambda: warehouse.execute(
            "SELECT title_key, sum(seconds) FROM weekly_rollup WHERE week = ? GROUP BY ALL", [WEEK]).fetchall()))
        charts.append(timed(lambda: compute_charts(warehouse, weeks=[WEEK])))
    entries = warehouse.scalar("SELECT count(*) FROM chart_entries")
    warehouse.close()
    shutil.rmtree(root.parent)
    chart_median, scan_median = statistics.median(charts), statistics.median(scans)
    results = {"command": "python " + " ".join(sys.argv), "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "titles": args.titles, "rollup_rows": rollup_rows, "chart_entries": entries,
               "charts_seconds_median": round(chart_median, 3), "baseline_group_by_seconds_median": round(scan_median, 3),
               "ratio": round(chart_median / scan_median, 2), "charts_seconds_all": [round(c, 3) for c in charts]}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "charts_week.json").write_text(json.dumps(results, indent=2) + "\n")
    text = "\n".join([
        "# One week's lists from rollups", "",
        f"Command: `{results['command']}`  ", f"Run: {results['date']}", "",
        f"{args.titles:,} titles watched in each of 93 countries on each of 7 days: {rollup_rows:,} rollup rows.",
        f"The week's 4 global and 186 country lists ({entries:,} entries, cumulative weeks and streaks included):",
        "", "| step | median seconds of " + str(args.repeats) + " | ratio |", "|---|---:|---:|",
        f"| baseline: GROUP BY title over the week's rollup rows | {scan_median:.3f} | 1.00 |",
        f"| compute_charts for the week (both scopes, stored as editions) | {chart_median:.3f} | {chart_median / scan_median:.2f} |", ""])
    (RESULTS / "charts_week.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
