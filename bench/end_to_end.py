"""End-to-end benchmark: raw hourly or daily playback files to Top 10 lists, as a user meets it.

Why: the rollup benchmark (`viewrank bench`) measures the rollup on sorted, pre-keyed parts;
issue 13 asks how the whole path (init, catalog, ingest, rollup, charts, and a late file)
compares with what a data engineer would write instead over the same raw files: one DuckDB
SQL script, a Polars lazy query, Spark in local mode, and a bare scan of the columns read.

viewrank is called only through its command line (`python -m viewrank ...`), so the
benchmark keeps working while the package is restructured. Every step and every baseline
runs in its own process; its wall time and the peak RSS of its process tree are recorded.
The top 10 lists of every engine are compared: any disagreement is reported as a bug.

    python bench/end_to_end.py --sessions 10000000 --delivery hourly
    python bench/end_to_end.py --sessions 10000000,50000000 --delivery hourly,daily

Deliveries are generated once under bench/data/ (git-ignored) and reused by later runs.
Results: bench/results/end_to_end.md, .json and .png (or --results DIR).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import delivery  # noqa: E402  (bench/delivery.py, next to this file)

ENGINES = ("viewrank", "viewrank_spark", "duckdb_script", "polars_lazy", "spark_local", "scan")
BASELINE, SCAN = "duckdb_script", "scan"
PROJECTED_SESSIONS = 5_000_000_000
DEFAULT_TIMEOUT = 1800.0
SPARK_MAX_SESSIONS = 10_000_000  # beyond this Spark local on 2 cores takes well over 10 minutes
DUCKDB_MEMORY_LIMIT = "8GB"  # the machine is shared: keep DuckDB's buffer pool in check (it spills)
TOP = 10

# ---------------------------------------------------------------------------------------------
# Running a child process: wall time and the peak RSS of its whole process tree.


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and all its descendants (Spark's JVM is a grandchild)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    stat = handle.read()
                parents[int(entry)] = int(stat[stat.rindex(b")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    family, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in family:
                family.add(pid)
                frontier.append(pid)
    total = 0
    for pid in family:
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    return total


def run_child(argv: list[str], *, log: Path, timeout: float = DEFAULT_TIMEOUT, cwd: Path | None = None) -> dict[str, Any]:
    """Run argv in its own process group; return seconds, peak RSS (MB), exit code and output."""
    log.parent.mkdir(parents=True, exist_ok=True)
    load_before = round(os.getloadavg()[0], 1)  # the machine is shared: say how busy it was
    with open(log, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)
        peak, done, timed_out = 0, threading.Event(), threading.Event()

        def watch() -> None:
            nonlocal peak
            while not done.wait(0.2):
                peak = max(peak, _tree_rss_bytes(process.pid))
                if time.perf_counter() - started > timeout:
                    timed_out.set()
                    os.killpg(process.pid, signal.SIGKILL)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        watcher.join()
    try:  # leftovers of the group (a JVM that outlived its driver) must not run on
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = max(peak, usage.ru_maxrss * 1024) / 2**20
    output = log.read_text(errors="replace")
    status_text = "timeout" if timed_out.is_set() else ("ok" if process.returncode == 0 else f"exit {process.returncode}")
    return {"seconds": seconds, "peak_rss_mb": round(peak_mb), "status": status_text, "output": output,
            "load_before": load_before, "load_after": round(os.getloadavg()[0], 1)}


# ---------------------------------------------------------------------------------------------
# Baseline engines, each run as `python bench/end_to_end.py --worker JOB.json` in its own process.

DUCKDB_SCRIPT = """
WITH raw AS (
    SELECT event_id, account_id, title_id, episode_id, country, start_time, seconds_watched
    FROM read_parquet($files, hive_partitioning = false)
),
titles AS (SELECT * FROM read_csv($titles_csv, header = true, all_varchar = true)),
episodes AS (SELECT * FROM read_csv($episodes_csv, header = true, all_varchar = true)),
-- Validate and resolve: an episode maps to its season; unknown titles, bad countries and
-- negative or absurd durations are dropped.
valid AS (
    SELECT r.event_id, r.account_id, coalesce(e.title_id, t.title_id) AS title_id, r.country,
           CAST(r.start_time AS DATE) AS day, r.seconds_watched AS seconds
    FROM raw r
    LEFT JOIN episodes e ON e.episode_id = r.episode_id
    LEFT JOIN titles t ON t.title_id = r.title_id AND r.episode_id IS NULL
    WHERE coalesce(e.title_id, t.title_id) IS NOT NULL
      AND r.seconds_watched BETWEEN 0 AND 86400
      AND r.country IN (SELECT unnest($countries))
),
-- One row per event id: a re-sent event is an identical copy.
events AS (
    SELECT event_id, any_value(account_id) AS account_id, any_value(title_id) AS title_id,
           any_value(country) AS country, any_value(day) AS day, any_value(seconds) AS seconds
    FROM valid GROUP BY event_id
),
cells AS (
    SELECT day + CAST(7 - isodow(day) AS INTEGER) AS week, title_id, country,
           sum(seconds) AS seconds, count(*) AS sessions, count(DISTINCT account_id) AS accounts
    FROM events GROUP BY ALL
),
season_runtime AS (
    SELECT w.week, e.title_id, sum(CAST(e.runtime_seconds AS BIGINT)) AS runtime
    FROM (SELECT DISTINCT week FROM cells) w JOIN episodes e ON CAST(e.available_date AS DATE) <= w.week
    GROUP BY ALL
),
scored AS (
    SELECT c.*, CASE WHEN t.kind = 'film' THEN 'Films' ELSE 'TV' END AS kind_label,
           CASE WHEN t.original_language = 'en' THEN ' (English)' ELSE ' (Non-English)' END AS language_label,
           CASE WHEN t.kind = 'film' THEN CAST(t.runtime_seconds AS BIGINT) ELSE s.runtime END AS runtime
    FROM cells c JOIN titles t USING (title_id)
    LEFT JOIN season_runtime s ON s.week = c.week AND s.title_id = c.title_id
),
lists AS (
    SELECT week, '' AS country, kind_label || language_label AS category, title_id,
           sum(seconds) AS seconds, any_value(runtime) AS runtime
    FROM scored GROUP BY week, category, title_id
    UNION ALL
    SELECT week, country, kind_label, title_id, seconds, runtime FROM scored
)
SELECT CAST(week AS VARCHAR) AS week, country, category,
       row_number() OVER (PARTITION BY week, country, category
                          ORDER BY seconds / runtime DESC, seconds DESC, title_id) AS rank,
       title_id, CAST(seconds AS BIGINT) AS seconds
FROM lists WHERE seconds > 0
QUALIFY rank <= 10
ORDER BY week, country, category, rank
"""

SCAN_SQL = """
SELECT count(*), min(event_id), min(account_id), min(title_id), min(episode_id), min(country),
       CAST(min(start_time) AS VARCHAR), sum(seconds_watched)
FROM read_parquet($files, hive_partitioning = false)
"""


def _duckdb(job: dict[str, Any], sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{job['duckdb_memory_limit']}'")
    con.execute("SET temp_directory = ?", [job["tmp"]])
    con.execute("SET preserve_insertion_order = false")
    return con.execute(sql, {k: v for k, v in {
        "files": job["files"], "titles_csv": job["titles_csv"], "episodes_csv": job["episodes_csv"],
        "countries": list(delivery.COUNTRIES)}.items() if f"${k}" in sql}).fetchall()


def _polars(job: dict[str, Any]) -> list[tuple[Any, ...]]:
    import polars as pl

    strings = {"title_id": pl.String, "kind": pl.String, "original_language": pl.String, "episode_id": pl.String}
    titles = pl.scan_csv(job["titles_csv"], schema_overrides={**strings, "runtime_seconds": pl.Int64})
    episodes = pl.scan_csv(job["episodes_csv"], schema_overrides={**strings, "runtime_seconds": pl.Int64},
                           try_parse_dates=True)
    raw = pl.scan_parquet(job["files"], hive_partitioning=False).select(delivery.EVENT_COLUMNS)
    events = (
        raw.join(episodes.select("episode_id", pl.col("title_id").alias("episode_title")), on="episode_id", how="left")
        .with_columns(pl.when(pl.col("episode_id").is_null()).then(pl.col("title_id"))
                      .otherwise(pl.col("episode_title")).alias("resolved"))
        .join(titles.select(pl.col("title_id").alias("resolved")), on="resolved", how="semi")
        .filter(pl.col("seconds_watched").is_between(0, 86400), pl.col("country").is_in(list(delivery.COUNTRIES)))
        .select("event_id", "account_id", pl.col("resolved").alias("title_id"), "country",
                pl.col("start_time").dt.date().alias("day"), pl.col("seconds_watched").cast(pl.Int64).alias("seconds"))
        .unique(subset=["event_id"], keep="any")
    )
    cells = (
        events.with_columns((pl.col("day") + pl.duration(days=7 - pl.col("day").dt.weekday())).alias("week"))
        .group_by("week", "title_id", "country")
        .agg(pl.col("seconds").sum(), pl.len().alias("sessions"), pl.col("account_id").n_unique().alias("accounts"))
    )
    weeks = cells.select("week").unique()
    season_runtime = (weeks.join(episodes, how="cross").filter(pl.col("available_date") <= pl.col("week"))
                      .group_by("week", "title_id").agg(pl.col("runtime_seconds").sum().alias("season_runtime")))
    scored = (
        cells.join(titles.select("title_id", "kind", "original_language", "runtime_seconds"), on="title_id")
        .join(season_runtime, on=["week", "title_id"], how="left")
        .with_columns(
            pl.when(pl.col("kind") == "film").then(pl.lit("Films")).otherwise(pl.lit("TV")).alias("kind_label"),
            pl.when(pl.col("original_language") == "en").then(pl.lit(" (English)"))
            .otherwise(pl.lit(" (Non-English)")).alias("language_label"),
            pl.when(pl.col("kind") == "film").then(pl.col("runtime_seconds"))
            .otherwise(pl.col("season_runtime")).alias("runtime"))
    )
    global_lists = (scored.group_by("week", (pl.col("kind_label") + pl.col("language_label")).alias("category"), "title_id")
                    .agg(pl.col("seconds").sum(), pl.col("runtime").first())
                    .with_columns(pl.lit("").alias("country")))
    country_lists = scored.select("week", pl.col("kind_label").alias("category"), "title_id", "seconds", "runtime", "country")
    ranked = (
        pl.concat([global_lists.select("week", "country", "category", "title_id", "seconds", "runtime"),
                   country_lists.select("week", "country", "category", "title_id", "seconds", "runtime")])
        .filter(pl.col("seconds") > 0)
        .with_columns((pl.col("seconds") / pl.col("runtime")).alias("views"))
        .sort(["week", "country", "category", "views", "seconds", "title_id"],
              descending=[False, False, False, True, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1).over("week", "country", "category").alias("rank"))
        .filter(pl.col("rank") <= TOP)
        .select(pl.col("week").cast(pl.String), "country", "category", "rank", "title_id", "seconds")
    )
    return list(ranked.collect(engine="streaming").iter_rows())


SPARK_SQL = """
WITH valid AS (
    SELECT r.event_id, r.account_id, coalesce(e.title_id, t.title_id) AS title_id, r.country,
           to_date(r.start_time) AS day, CAST(r.seconds_watched AS BIGINT) AS seconds
    FROM raw r
    LEFT JOIN episodes e ON e.episode_id = r.episode_id
    LEFT JOIN titles t ON t.title_id = r.title_id AND r.episode_id IS NULL
    WHERE coalesce(e.title_id, t.title_id) IS NOT NULL
      AND r.seconds_watched BETWEEN 0 AND 86400
      AND r.country IN (SELECT iso2 FROM countries)
),
events AS (
    SELECT event_id, any_value(account_id) AS account_id, any_value(title_id) AS title_id,
           any_value(country) AS country, any_value(day) AS day, any_value(seconds) AS seconds
    FROM valid GROUP BY event_id
),
cells AS (
    SELECT date_add(day, 6 - weekday(day)) AS week, title_id, country,
           sum(seconds) AS seconds, count(*) AS sessions, count(DISTINCT account_id) AS accounts
    FROM events GROUP BY 1, 2, 3
),
season_runtime AS (
    SELECT w.week, e.title_id, sum(CAST(e.runtime_seconds AS BIGINT)) AS runtime
    FROM (SELECT DISTINCT week FROM cells) w JOIN episodes e ON to_date(e.available_date) <= w.week
    GROUP BY 1, 2
),
scored AS (
    SELECT c.*, CASE WHEN t.kind = 'film' THEN 'Films' ELSE 'TV' END AS kind_label,
           CASE WHEN t.original_language = 'en' THEN ' (English)' ELSE ' (Non-English)' END AS language_label,
           CASE WHEN t.kind = 'film' THEN CAST(t.runtime_seconds AS BIGINT) ELSE s.runtime END AS runtime
    FROM cells c JOIN titles t ON t.title_id = c.title_id
    LEFT JOIN season_runtime s ON s.week = c.week AND s.title_id = c.title_id
),
lists AS (
    SELECT week, '' AS country, concat(kind_label, language_label) AS category, title_id,
           sum(seconds) AS seconds, first(runtime) AS runtime
    FROM scored GROUP BY week, concat(kind_label, language_label), title_id
    UNION ALL
    SELECT week, country, kind_label, title_id, seconds, runtime FROM scored
),
ranked AS (
    SELECT CAST(week AS STRING) AS week, country, category,
           row_number() OVER (PARTITION BY week, country, category
                              ORDER BY seconds / runtime DESC, seconds DESC, title_id) AS rank,
           title_id, seconds
    FROM lists WHERE seconds > 0
)
SELECT * FROM ranked WHERE rank <= 10 ORDER BY week, country, category, rank
"""


def _spark(job: dict[str, Any]) -> list[tuple[Any, ...]]:
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("viewrank-end-to-end")
             .config("spark.driver.memory", job.get("spark_driver_memory", "4g"))
             .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "16").config("spark.local.dir", job["tmp"])
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        spark.read.parquet(*job["files"]).select(*delivery.EVENT_COLUMNS).createOrReplaceTempView("raw")
        for name in ("titles", "episodes"):
            spark.read.csv(job[f"{name}_csv"], header=True).createOrReplaceTempView(name)
        spark.createDataFrame([(c,) for c in delivery.COUNTRIES], ["iso2"]).createOrReplaceTempView("countries")
        return [tuple(row) for row in spark.sql(SPARK_SQL).collect()]
    finally:
        spark.stop()


def worker(job_path: Path) -> None:
    """Run one baseline engine described by a job file and write its lists next to it."""
    job = json.loads(job_path.read_text())
    engine = job["engine"]
    if engine == "duckdb_script":
        rows = _duckdb(job, DUCKDB_SCRIPT)
    elif engine == "polars_lazy":
        rows = _polars(job)
    elif engine == "spark_local":
        rows = _spark(job)
    elif engine == "scan":
        rows = _duckdb(job, SCAN_SQL)
        Path(job["out"]).write_text(json.dumps({"scan": [str(v) for v in rows[0]]}))
        return
    else:
        raise SystemExit(f"unknown engine {engine}")
    lists = [[str(w), c or "", cat, int(r), t, int(s)] for w, c, cat, r, t, s in rows]
    Path(job["out"]).write_text(json.dumps({"lists": lists}))


# ---------------------------------------------------------------------------------------------
# viewrank, through its command line only.

VIEWRANK = [sys.executable, "-m", "viewrank"]


def _viewrank_lists(warehouse: Path, week: str, work: Path, titles_csv: Path, log_dir: Path) -> list[list[Any]]:
    """viewrank's lists for `week` in the baselines' shape: global from `lists --json` (with
    exact hours), countries from `export` (ranks and names, mapped back to title ids)."""
    result = run_child([*VIEWRANK, "lists", "--week", week, "--json", "--warehouse", str(warehouse)],
                       log=log_dir / "lists.log")
    if result["status"] != "ok":
        raise RuntimeError(f"viewrank lists failed: {result['output'][-2000:]}")
    text = result["output"]
    data = json.loads(text[text.index("{"):])
    rows: list[list[Any]] = []
    for listing in data["lists"]:  # the API's shape: [{"category": ..., "entries": [...]}, ...]
        for entry in listing["entries"]:
            rows.append([week, "", listing["category"], int(entry["rank"]), entry["title_id"],
                         round(entry["hours_viewed"] * 3600)])
    export_dir = work / "export"
    shutil.rmtree(export_dir, ignore_errors=True)
    result = run_child([*VIEWRANK, "export", "--week", week, "--out", str(export_dir), "--warehouse", str(warehouse)],
                       log=log_dir / "export.log")
    if result["status"] != "ok":
        raise RuntimeError(f"viewrank export failed: {result['output'][-2000:]}")
    by_name: dict[tuple[str, str], str] = {}
    with open(titles_csv, newline="") as handle:
        for title in csv.DictReader(handle):
            by_name[(title["show_title"], title["season_title"] or "N/A")] = title["title_id"]
    with open(export_dir / "all-weeks-countries.tsv", newline="") as handle:
        for line in csv.DictReader(handle, delimiter="\t"):
            if line["week"] == week:
                title_id = by_name.get((line["show_title"], line["season_title"]), f"?{line['show_title']}")
                rows.append([week, line["country_iso2"], line["category"], int(line["weekly_rank"]), title_id, None])
    return rows


def _run_viewrank(root: Path, info: dict[str, Any], work: Path, timeout: float) -> tuple[list[dict[str, Any]], dict[str, list[list[Any]]]]:
    """Every viewrank step in its own process: init, catalog, ingest, rollup, charts, then a late file."""
    warehouse = work / "warehouse"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    files = [str(root / f) for f in info["files"]]
    wh = ["--warehouse", str(warehouse)]
    steps = [
        ("init", [*VIEWRANK, "init", str(warehouse)]),
        ("catalog", [*VIEWRANK, "catalog", str(root / "titles.csv"), str(root / "episodes.csv"), *wh]),
        ("ingest", [*VIEWRANK, "ingest", "--silent", *wh, *files]),
        ("rollup", [*VIEWRANK, "rollup", "--silent", *wh]),
        ("charts", [*VIEWRANK, "charts", "--silent", *wh]),
    ]
    late = [
        ("late_ingest", [*VIEWRANK, "ingest", "--silent", *wh, str(root / info["late_file"])]),
        ("late_rollup", [*VIEWRANK, "rollup", "--silent", *wh]),
        ("late_charts", [*VIEWRANK, "charts", "--silent", *wh]),
    ] if info.get("late_file") else []
    rows: list[dict[str, Any]] = []
    lists: dict[str, list[list[Any]]] = {}
    for name, argv in steps + late:
        result = run_child(argv, log=work / "logs" / f"{name}.log", timeout=timeout)
        rows.append({"engine": "viewrank", "step": name, "seconds": result["seconds"],
                     "peak_rss_mb": result["peak_rss_mb"], "status": result["status"],
                     "load": [result["load_before"], result["load_after"]], "output_tail": result["output"][-600:]})
        if result["status"] != "ok":
            break
        if name == "charts":
            lists["viewrank"] = _viewrank_lists(warehouse, info["week"], work, root / "titles.csv", work / "logs")
        if name == "late_charts":
            lists["viewrank_after_late"] = _viewrank_lists(warehouse, info["week"], work, root / "titles.csv", work / "logs")
    by_step = {row["step"]: row for row in rows}
    for total, parts in (("end_to_end", ("ingest", "rollup", "charts")),
                         ("with_setup", ("init", "catalog", "ingest", "rollup", "charts")),
                         ("late_total", ("late_ingest", "late_rollup", "late_charts"))):
        if all(by_step.get(p, {}).get("status") == "ok" for p in parts):
            rows.append({"engine": "viewrank", "step": total, "status": "ok",
                         "seconds": sum(by_step[p]["seconds"] for p in parts),
                         "peak_rss_mb": max(by_step[p]["peak_rss_mb"] for p in parts)})
    return rows, lists


def _run_viewrank_spark(root: Path, info: dict[str, Any], work: Path, timeout: float) -> tuple[list[dict[str, Any]], list[list[Any]] | None]:
    """viewrank's raw-to-rollup path on Spark local[2] (`viewrank spark-ingest` over the delivery
    folder), then charts, each step in its own process like the local path."""
    warehouse = work / "warehouse"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    wh = ["--warehouse", str(warehouse)]
    steps = [
        ("init", [*VIEWRANK, "init", str(warehouse)]),
        ("catalog", [*VIEWRANK, "catalog", str(root / "titles.csv"), str(root / "episodes.csv"), *wh]),
        ("spark_ingest", [*VIEWRANK, "spark-ingest", "--silent", "--master", "local[2]", *wh, str(root / "events")]),
        ("charts", [*VIEWRANK, "charts", "--silent", *wh]),
    ]
    rows: list[dict[str, Any]] = []
    for name, argv in steps:
        result = run_child(argv, log=work / "logs" / f"{name}.log", timeout=timeout)
        rows.append({"engine": "viewrank_spark", "step": name if name == "spark_ingest" else f"spark_{name}",
                     "seconds": result["seconds"], "peak_rss_mb": result["peak_rss_mb"], "status": result["status"],
                     "load": [result["load_before"], result["load_after"]], "output_tail": result["output"][-600:]})
        if result["status"] != "ok":
            return rows, None
    rows.append({"engine": "viewrank_spark", "step": "spark_end_to_end", "status": "ok",
                 "seconds": rows[2]["seconds"] + rows[3]["seconds"],
                 "peak_rss_mb": max(rows[2]["peak_rss_mb"], rows[3]["peak_rss_mb"])})
    return rows, _viewrank_lists(warehouse, info["week"], work, root / "titles.csv", work / "logs")


def _run_baseline(engine: str, root: Path, info: dict[str, Any], work: Path, timeout: float,
                  extra_files: tuple[str, ...] = (), tag: str = "") -> tuple[dict[str, Any], list[list[Any]] | None, Any]:
    """One baseline engine over the raw files, in its own process."""
    work.mkdir(parents=True, exist_ok=True)
    tmp = work / f"tmp-{engine}{tag}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    job = {"engine": engine, "files": [str(root / f) for f in (*info["files"], *extra_files)],
           "titles_csv": str(root / "titles.csv"), "episodes_csv": str(root / "episodes.csv"),
           "out": str(work / f"{engine}{tag}.out.json"), "tmp": str(tmp), "duckdb_memory_limit": DUCKDB_MEMORY_LIMIT}
    job_path = work / f"{engine}{tag}.job.json"
    job_path.write_text(json.dumps(job))
    Path(job["out"]).unlink(missing_ok=True)
    result = run_child([sys.executable, str(Path(__file__).resolve()), "--worker", str(job_path)],
                       log=work / "logs" / f"{engine}{tag}.log", timeout=timeout)
    shutil.rmtree(tmp, ignore_errors=True)
    row = {"engine": engine, "step": engine, "seconds": result["seconds"], "peak_rss_mb": result["peak_rss_mb"],
           "status": result["status"], "load": [result["load_before"], result["load_after"]],
           "output_tail": result["output"][-600:]}
    if result["status"] != "ok":
        return row, None, None
    out = json.loads(Path(job["out"]).read_text())
    return row, out.get("lists"), out.get("scan")


def compare_lists(lists: dict[str, list[list[Any]]], week: str) -> list[dict[str, Any]]:
    """Pairwise comparison of the week's lists against the first engine's: titles at every
    (country, category, rank), and weekly seconds where both engines give them."""
    def keyed(rows: list[list[Any]]) -> dict[tuple[str, str, int], tuple[str, Any]]:
        return {(c, cat, r): (t, s) for w, c, cat, r, t, s in rows if w == week}

    names = [name for name in lists if name != "viewrank_after_late" and not name.endswith("+late")]
    checks = []
    for pairs in ([(names[0], other) for other in names[1:]]
                  + ([("viewrank_after_late", "duckdb_script+late")] if {"viewrank_after_late", "duckdb_script+late"} <= set(lists) else [])):
        left, right = keyed(lists[pairs[0]]), keyed(lists[pairs[1]])
        differences = []
        for key in sorted(set(left) | set(right)):
            a, b = left.get(key), right.get(key)
            if a is None or b is None or a[0] != b[0] or (a[1] is not None and b[1] is not None and abs(a[1] - b[1]) > 1):
                differences.append(f"{key[0] or 'global'} {key[1]} #{key[2]}: {a} vs {b}")
        checks.append({"left": pairs[0], "right": pairs[1], "entries": len(left), "agree": not differences,
                       "differences": differences[:20], "difference_count": len(differences)})
    return checks


def run(sessions: list[int], deliveries: list[str], *, engines: tuple[str, ...] = ENGINES,
        data_dir: Path = HERE / "data", results_dir: Path | None = HERE / "results", titles: int = 3000,
        seed: int = 13, timeout: float = DEFAULT_TIMEOUT, spark_max_sessions: int = SPARK_MAX_SESSIONS,
        command: str = "", progress: bool = True) -> dict[str, Any]:
    """Run the benchmark for every (sessions, delivery); write the results when results_dir is given."""
    def say(message: str) -> None:
        if progress:
            print(message, file=sys.stderr, flush=True)

    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command or "python bench/end_to_end.py " + " ".join(sys.argv[1:]),
        "machine": machine_line(), "week": delivery.WEEK_END.isoformat(), "duckdb_memory_limit": DUCKDB_MEMORY_LIMIT,
        "runs": [], "checks": [], "deliveries": [], "skipped": [],
    }
    for count in sessions:
        for layout in deliveries:
            spec = delivery.Spec(count, layout, late=True, titles=titles, seed=seed)
            say(f"[{count:,} sessions, {layout}] delivery {spec.name()}")
            root, info = delivery.ensure(spec, data_dir / "deliveries", progress=progress)
            results["deliveries"].append({k: v for k, v in info.items() if k != "files"} | {"file_count": len(info["files"])})
            work = data_dir / "work" / spec.name()
            lists: dict[str, list[list[Any]]] = {}
            base = {"sessions": count, "delivery": layout}
            if "viewrank" in engines:
                say("  viewrank: init, catalog, ingest, rollup, charts, late file")
                rows, found = _run_viewrank(root, info, work / "viewrank", timeout)
                results["runs"].extend(base | row for row in rows)
                lists.update(found)
                for row in rows:
                    say(f"    {row['step']}: {row['seconds']:.2f} s, {row['peak_rss_mb']} MB, {row['status']}")
            if "viewrank_spark" in engines:
                say("  viewrank on Spark local[2]: init, catalog, spark-ingest, charts")
                rows, found_spark = _run_viewrank_spark(root, info, work / "viewrank_spark", timeout)
                results["runs"].extend(base | row for row in rows)
                if found_spark is not None:
                    lists["viewrank_spark"] = found_spark
                for row in rows:
                    say(f"    {row['step']}: {row['seconds']:.2f} s, {row['peak_rss_mb']} MB, {row['status']}")
            for engine in (e for e in ENGINES if e in engines and e not in ("viewrank", "viewrank_spark")):
                if engine == "spark_local" and count > spark_max_sessions:
                    reason = f"skipped above {spark_max_sessions:,} sessions (more than ~10 minutes on 2 cores)"
                    results["skipped"].append(base | {"engine": engine, "reason": reason})
                    say(f"  {engine}: {reason}")
                    continue
                say(f"  {engine}")
                row, found_lists, scan = _run_baseline(engine, root, info, work, timeout)
                if scan is not None:
                    row["scan"] = scan
                results["runs"].append(base | row)
                say(f"    {row['seconds']:.2f} s, {row['peak_rss_mb']} MB, {row['status']}")
                if found_lists is not None:
                    lists[engine] = found_lists
            if "viewrank_after_late" in lists and "duckdb_script" in engines:
                say("  duckdb_script over the delivery and the late file (check only)")
                row, found_lists, _ = _run_baseline("duckdb_script", root, info, work, timeout,
                                                    extra_files=(info["late_file"],), tag="+late")
                if found_lists is not None:
                    lists["duckdb_script+late"] = found_lists
            for check in compare_lists(lists, info["week"]) if len(lists) > 1 else []:
                results["checks"].append(base | check)
                if not check["agree"]:
                    say(f"  !!! DISAGREEMENT {check['left']} vs {check['right']}: {check['difference_count']} entries differ; "
                        + "; ".join(check["differences"][:5]))
            if results_dir is not None:  # partial results after each size and delivery: a long run can be read early
                write_results(results, results_dir)
    if results_dir is not None:
        write_results(results, results_dir)  # also when nothing ran
    return results


def machine_line() -> str:
    """Cores, Python and library versions, as the other bench results give them."""
    versions = []
    for module in ("duckdb", "pyarrow", "numpy", "polars", "pyspark"):
        try:
            versions.append(f"{module} {__import__(module).__version__}")
        except ImportError:
            pass
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, " + ", ".join(versions)


# ---------------------------------------------------------------------------------------------
# Results: markdown, JSON, plot.

LABELS = {"init": "viewrank init", "catalog": "viewrank catalog", "ingest": "viewrank ingest",
          "rollup": "viewrank rollup", "charts": "viewrank charts",
          "end_to_end": "**viewrank end to end** (ingest + rollup + charts)",
          "with_setup": "viewrank end to end with init and catalog",
          "late_ingest": "late file: ingest", "late_rollup": "late file: rollup", "late_charts": "late file: charts",
          "late_total": "late file: ingest + rollup + charts",
          "duckdb_script": "DuckDB one-script answer", "polars_lazy": "Polars lazy", "spark_local": "Spark local[2]",
          "scan": "DuckDB bare scan of the columns read",
          "spark_init": "viewrank on Spark: init", "spark_catalog": "viewrank on Spark: catalog",
          "spark_ingest": "viewrank spark-ingest local[2] (validate, dedupe, roll up)",
          "spark_charts": "viewrank on Spark: charts",
          "spark_end_to_end": "**viewrank on Spark end to end** (spark-ingest + charts)"}


def _reference(runs: list[dict[str, Any]], sessions: int, layout: str, step: str) -> float | None:
    for row in runs:
        if row["sessions"] == sessions and row["delivery"] == layout and row["step"] == step and row["status"] == "ok":
            return float(row["seconds"])
    return None


def _load(row: dict[str, Any]) -> str:
    load = row.get("load")
    return f"{load[0]:.1f} to {load[1]:.1f}" if load else ""


def write_results(results: dict[str, Any], out_dir: Path) -> None:
    """bench/results/end_to_end.{json,md,png}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "end_to_end.json").write_text(json.dumps(results, indent=2) + "\n")
    runs = results["runs"]
    lines = [
        "# End to end: raw deliveries to Top 10 lists", "",
        f"Command: `{results['command']}`  ",
        f"Run: {results['date']} on {results['machine']}", "",
        "One week of synthetic raw playback logs as a service delivers them (bench/delivery.py): 168 hourly "
        "Parquet files (`day=/hour=` folders) or 7 daily files; UUID-like event ids, string account ids (one per "
        "25 sessions), film title ids or episode ids, 93 countries with skewed weights, UTC start times with a few "
        "late arrivals across file boundaries, Zipf-like popularity; 0.2% of events re-sent in a later file and "
        "0.2% bad rows (unknown title, negative seconds). Every step and every engine ran in its own process; "
        "peak RSS is that of the whole process tree. viewrank was driven through its command line only "
        "(`python -m viewrank ...`); *end to end* is ingest + rollup + charts. The late file is one more hour "
        "of new sessions for a day already rolled up. The DuckDB script, Polars and Spark each dedupe event ids, "
        "drop bad rows, map episodes to seasons, group per (week, title, country) with seconds, sessions and "
        f"distinct accounts, and rank the global and country Top 10 lists (DuckDB memory_limit "
        f"{results['duckdb_memory_limit']}, spilling to disk; Polars' streaming engine; Spark local[2] with a 4 GB driver).", "",
        "The machine is shared with other engineers: the last column gives the 1-minute load average "
        "before and after each step (2 cores; above 2 the step competed for CPU), so read ratios with it.", "",
        "| sessions | delivery | step | seconds | sessions/s | vs DuckDB script | vs scan | peak RSS (MB) | load |",
        "|---:|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in runs:
        sessions, layout = row["sessions"], row["delivery"]
        if row["status"] != "ok":
            lines.append(f"| {sessions:,} | {layout} | {LABELS.get(row['step'], row['step'])} | {row['status']} | | | | {row['peak_rss_mb']:,} | {_load(row)} |")
            continue
        seconds = row["seconds"]
        baseline, scan = _reference(runs, sessions, layout, BASELINE), _reference(runs, sessions, layout, SCAN)
        setup = ("init", "catalog", "spark_init", "spark_catalog")
        rate = f"{sessions / seconds / 1e6:.2f}M" if not row["step"].startswith((*setup, "late")) else ""
        versus = f"{seconds / baseline:.2f}x the time" if baseline and not row["step"].startswith(setup) else ""
        versus_scan = f"{seconds / scan:.1f}x" if scan and not row["step"].startswith(setup) else ""
        lines.append(f"| {sessions:,} | {layout} | {LABELS.get(row['step'], row['step'])} | {seconds:.2f} | {rate} | "
                     f"{versus} | {versus_scan} | {row['peak_rss_mb']:,} | {_load(row)} |")
    for skipped in results["skipped"]:
        lines.append(f"| {skipped['sessions']:,} | {skipped['delivery']} | {LABELS.get(skipped['engine'], skipped['engine'])} "
                     f"| {skipped['reason']} | | | | | |")
    lines += ["", "![time against volume](end_to_end.png)", "", "## Do the engines agree?", ""]
    if not results["checks"]:
        lines.append("No comparison was possible (fewer than two engines finished).")
    for check in results["checks"]:
        verdict = "agree" if check["agree"] else f"**DISAGREE ({check['difference_count']} entries): a bug**"
        lines.append(f"- {check['sessions']:,} {check['delivery']}: {check['left']} vs {check['right']}, week "
                     f"{results['week']}, {check['entries']} list entries (global and 93 countries): {verdict}")
        for difference in check["differences"][:10]:
            lines.append(f"    - {difference}")
    lines += ["", "Global lists are compared title by title and on exact weekly seconds (viewrank's from "
              "`viewrank lists --json`); country lists title by title (viewrank's from `viewrank export`). "
              "`viewrank_after_late` is checked against the DuckDB script over the delivery plus the late file.", "",
              f"## Projection for a {PROJECTED_SESSIONS / 1e9:.0f}-billion-session week", ""]
    largest = max((row["sessions"] for row in runs), default=0)
    for layout in sorted({row["delivery"] for row in runs if row["sessions"] == largest}):
        parts = []
        for step in ("end_to_end", BASELINE, "polars_lazy", "spark_local", SCAN):
            seconds = _reference(runs, largest, layout, step)
            if seconds:
                hours = PROJECTED_SESSIONS / (largest / seconds) / 3600
                parts.append(f"{LABELS[step].replace('**', '')} {hours:.1f} h" if hours >= 1 else
                             f"{LABELS[step].replace('**', '')} {hours * 60:.0f} min")
        lines.append(f"- {layout}, linear from the {largest:,}-session rate on this machine: " + "; ".join(parts) + ".")
    lines += ["", "A linear projection assumes the rate holds; memory that grows with the input (a whole file or "
              "a day held at once) would break it first.", ""]
    (out_dir / "end_to_end.md").write_text("\n".join(lines))
    _plot(results, out_dir / "end_to_end.png")


def _plot(results: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    figure, axis = plt.subplots(figsize=(8, 5))
    styles = {"hourly": "-", "daily": "--"}
    for step in ("end_to_end", BASELINE, "polars_lazy", "spark_local", SCAN):
        for layout, style in styles.items():
            points = sorted((row["sessions"], row["seconds"]) for row in results["runs"]
                            if row["step"] == step and row["delivery"] == layout and row["status"] == "ok")
            if points:
                axis.plot(*zip(*points), style, marker="o", label=f"{LABELS[step].replace('**', '')} ({layout})")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("sessions in the week")
    axis.set_ylabel("seconds")
    axis.set_title("Raw delivery to Top 10 lists, 2 cores")
    axis.legend(fontsize=7)
    axis.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", default="10000000", help="comma-separated session counts")
    parser.add_argument("--delivery", default="hourly", help="comma-separated: hourly, daily")
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated subset of {', '.join(ENGINES)}")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where deliveries are cached (git-ignored)")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--titles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds before a step is killed")
    parser.add_argument("--spark-max-sessions", type=int, default=SPARK_MAX_SESSIONS)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return
    engines = tuple(e.strip() for e in args.engines.split(","))
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    results = run([int(s.replace("_", "")) for s in args.sessions.split(",")], args.delivery.split(","),
                  engines=engines, data_dir=args.data, results_dir=args.results, titles=args.titles, seed=args.seed,
                  timeout=args.timeout, spark_max_sessions=args.spark_max_sessions)
    if any(not check["agree"] for check in results["checks"]):
        print("DISAGREEMENT between engines: see the results", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
