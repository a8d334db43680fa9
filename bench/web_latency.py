"""Benchmark: latency of the web site and API (`viewrank serve`) over five years of weekly
history, against same-run baselines: a static file (no warehouse access) and /api/weeks.

    python bench/web_latency.py --weeks 260 --requests 400 --concurrency 8

Builds a warehouse of synthetic editions written straight into the tables (260 weeks x
4 global lists x 10 + 93 countries x 2 lists x 10 per week) unless --warehouse names one,
starts the real server on a loopback port, sends a fixed number of requests per route from
a local httpx client, and writes bench/results/web_latency.{md,json}.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx

from viewrank import Warehouse

RESULTS = Path(__file__).parent / "results"
DATA = Path(__file__).parent / "data"
FIRST_WEEK = dt.date(2021, 7, 4)

# Titles i with i % 4 = k belong to list k (0 Films (English), 1 TV (English), 2 Films
# (Non-English), 3 TV (Non-English)). Each 4-week block has ten titles per list whose ranks
# rotate weekly; country lists take ten of the week's twenty films (or series) in a
# per-country order. Weeks in the Top 10 are counted with a window, as charts would.
FILL_SQL = """
INSERT INTO titles (title_id, show_title, season_title, kind, original_language, release_date, runtime_seconds)
SELECT 'B' || lpad(CAST(i AS VARCHAR), 5, '0'), 'Bench Title ' || i,
       CASE WHEN i % 2 = 1 THEN 'Bench Title ' || i || ': Season 1' END,
       CASE WHEN i % 2 = 0 THEN 'film' ELSE 'tv' END, CASE WHEN i % 4 < 2 THEN 'en' ELSE 'ko' END,
       DATE '2021-01-01', CASE WHEN i % 2 = 0 THEN 5400 + i % 3600 END
FROM range(4, 4 + $titles) r(i);
INSERT INTO editions (edition_id, week, scope, origin, revision, source, methodology, created_at)
SELECT 2 * w + s + 1, $first + INTERVAL (7 * w) DAY, CASE WHEN s = 0 THEN 'global' ELSE 'country' END,
       'computed', 1, 'rollups', '{}', TIMESTAMP '2026-11-16 06:00:00'
FROM range($weeks) a(w), range(2) b(s);
INSERT INTO chart_entries
WITH picked AS (
    SELECT w, k, r, 4 * ((w // 4) * 10 + (r + w) % 10) + k + 4 AS i FROM range($weeks) a(w), range(4) b(k), range(1, 11) c(r)
)
SELECT 2 * w + 1, NULL,
       ['Films (English)', 'TV (English)', 'Films (Non-English)', 'TV (Non-English)'][k + 1], r, t.title_key,
       1e6 * (11 - r) + hash(w, k, r) % 100000, 1.5 + (i % 7) / 10.0, (1e6 * (11 - r)) / (1.5 + (i % 7) / 10.0),
       CAST(row_number() OVER (PARTITION BY k, t.title_key ORDER BY w) AS INTEGER),
       CAST(row_number() OVER (PARTITION BY k, t.title_key ORDER BY w) AS INTEGER), false, NULL, NULL
FROM picked JOIN titles t ON t.title_id = 'B' || lpad(CAST(i AS VARCHAR), 5, '0');
INSERT INTO chart_entries
WITH picked AS (
    SELECT w, n.iso2 AS country, f, r,
           4 * ((w // 4) * 10 + (((r * 7 + hash(n.iso2) % 20) % 20) % 10 + w) % 10)
             + f + 2 * (((r * 7 + hash(n.iso2) % 20) % 20) // 10) + 4 AS i
    FROM range($weeks) a(w), (SELECT iso2 FROM countries WHERE netflix_top10) n, range(2) b(f), range(1, 11) c(r)
)
SELECT 2 * w + 2, country, CASE WHEN f = 0 THEN 'Films' ELSE 'TV' END, r, t.title_key, NULL, NULL, NULL,
       CAST(row_number() OVER (PARTITION BY country, f, t.title_key ORDER BY w) AS INTEGER),
       CAST(row_number() OVER (PARTITION BY country, f, t.title_key ORDER BY w) AS INTEGER), NULL, NULL, NULL
FROM picked JOIN titles t ON t.title_id = 'B' || lpad(CAST(i AS VARCHAR), 5, '0')
"""


def build(path: Path, weeks: int) -> None:
    """A warehouse with `weeks` weeks of global and country editions, written directly."""
    titles = 4 * ((weeks // 4 + 1) * 10 + 10)
    with Warehouse.init(path) as warehouse, warehouse.atomic():
        for statement in filter(str.strip, FILL_SQL.split(";")):
            warehouse.execute(statement, {name: value for name, value in
                                          (("titles", titles), ("weeks", weeks), ("first", FIRST_WEEK))
                                          if f"${name}" in statement})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def routes(path: Path) -> list[tuple[str, str]]:
    """(label, path) of every route measured, baselines first."""
    con = duckdb.connect(str(path / "viewrank.duckdb"), read_only=True)
    weeks = [week for (week,) in con.execute("SELECT DISTINCT week FROM editions ORDER BY week").fetchall()]
    most_listed = con.execute("""SELECT t.title_id FROM chart_entries c JOIN titles t USING (title_key)
                                 GROUP BY ALL ORDER BY count(*) DESC, t.title_id LIMIT 4""").fetchall()
    title_id = most_listed[0][0]
    map_week = con.execute("""SELECT max(c.week) FROM current_entries c JOIN titles t USING (title_key)
                              WHERE t.title_id = ? AND c.scope = 'country'""", [title_id]).fetchone()[0]  # type: ignore[index]
    con.close()
    middle = weeks[len(weeks) // 2].isoformat()
    return [
        ("baseline: static file /static/site.css", "/static/site.css"),
        ("baseline: /api/weeks (smallest warehouse query)", "/api/weeks"),
        ("/ (latest global lists)", "/"),
        ("/weeks/{week}", f"/weeks/{middle}"),
        ("/countries (No. 1 in 93 countries)", "/countries"),
        ("/weeks/{week}/countries/{iso2}", f"/weeks/{middle}/countries/KR"),
        ("/titles/{id} (facts, history, SVG charts)", f"/titles/{title_id}"),
        ("/titles/{id}/weeks/{week} (world map, rank by week per country)", f"/titles/{title_id}/weeks/{map_week}"),
        ("/compare?t=... (four titles by week since premiere)", "/compare?" + "&".join(f"t={row[0]}" for row in most_listed)),
        ("/search?q=", "/search?q=bench%20title%2012"),
        ("/api/weeks/{week}/global", f"/api/weeks/{middle}/global"),
        ("/api/weeks/latest/countries/{iso2}", "/api/weeks/latest/countries/US"),
        ("/api/titles?q=&page=", "/api/titles?q=title&page=3&per_page=50"),
        ("/api/titles/{id}", f"/api/titles/{title_id}"),
        ("/downloads/weeks/{week}/countries.tsv", f"/downloads/weeks/{middle}/countries.tsv"),
    ]


async def measure(base: str, path: str, requests: int, concurrency: int) -> list[float]:
    """Seconds per request (sent to last byte read) for `requests` GETs, `concurrency` at a time."""
    latencies: list[float] = []
    todo = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60, trust_env=False) as client:
        async def worker() -> None:
            for _ in todo:
                start = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {response.status_code} {response.text[:200]}")
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=260, help="Weeks of history to generate.")
    parser.add_argument("--warehouse", type=Path, help="Use this warehouse instead of generating one.")
    parser.add_argument("--requests", type=int, default=400, help="Measured requests per route.")
    parser.add_argument("--warmup", type=int, default=20, help="Unmeasured requests per route first.")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    command = " ".join(["python bench/web_latency.py", shlex.join(sys.argv[1:])]).strip()

    path = args.warehouse or DATA / f"web-{args.weeks}-weeks"
    if args.warehouse is None and not (path / "viewrank.duckdb").exists():
        started = time.perf_counter()
        build(path, args.weeks)
        print(f"Built {path} in {time.perf_counter() - started:.1f} s")
    with Warehouse(path, read_only=True) as warehouse:
        shape = warehouse.rows("""SELECT count(DISTINCT week) AS weeks, count(*) FILTER (WHERE scope = 'global') AS global_entries,
                                         count(*) FILTER (WHERE scope = 'country') AS country_entries,
                                         (SELECT count(*) FROM titles) AS titles FROM current_entries""")[0]
    size_mb = (path / "viewrank.duckdb").stat().st_size / 1e6

    load_before = os.getloadavg()[0]
    results = {"uncached": serve_and_measure(path, args, cache_entries=0),
               "cached": serve_and_measure(path, args, cache_entries=512)}
    write(command, shape, size_mb, args, results, (load_before, os.getloadavg()[0]))


def serve_and_measure(path: Path, args: argparse.Namespace, *, cache_entries: int) -> list[dict[str, Any]]:
    """Start `viewrank serve` on a free loopback port and measure every route."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "viewrank", "serve", "--warehouse", str(path), "--port", str(port),
                               "--cache-entries", str(cache_entries)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/static/site.css", trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start (run `viewrank serve` by hand to see why)")
                time.sleep(0.1)
        results = []
        for label, route in routes(path):
            asyncio.run(measure(base, route, args.warmup, args.concurrency))
            started = time.perf_counter()
            latencies = asyncio.run(measure(base, route, args.requests, args.concurrency))
            elapsed = time.perf_counter() - started
            results.append({"route": label, "path": route, "requests": len(latencies),
                            "median_ms": statistics.median(latencies) * 1000,
                            "p99_ms": statistics.quantiles(latencies, n=100)[98] * 1000,
                            "requests_per_second": len(latencies) / elapsed})
            print(f"cache {cache_entries:3}  {label:48} median {results[-1]['median_ms']:7.1f} ms  "
                  f"p99 {results[-1]['p99_ms']:7.1f} ms")
    finally:
        server.terminate()
        server.wait(timeout=30)
    static, smallest = results[0]["median_ms"], results[1]["median_ms"]
    for result in results:
        result["ratio_to_static"] = result["median_ms"] / static
        result["ratio_to_api_weeks"] = result["median_ms"] / smallest
    return results


def write(command: str, shape: dict[str, Any], size_mb: float, args: argparse.Namespace,
          results: dict[str, list[dict[str, Any]]], load: tuple[float, float]) -> None:
    RESULTS.mkdir(exist_ok=True)
    run = {"command": command, "run_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                      f"duckdb {duckdb.__version__}",
           "warehouse": {**shape, "database_mb": round(size_mb, 1)},
           "requests_per_route": args.requests, "warmup_per_route": args.warmup, "concurrency": args.concurrency,
           "load_average_1min": {"before": load[0], "after": load[1]}, "results": results}
    (RESULTS / "web_latency.json").write_text(json.dumps(run, indent=2) + "\n")
    lines = [
        "# Web latency over five years of weekly history", "",
        f"Command: `{command}`  ",
        f"Run: {run['run_at']} on {run['machine']}; 1-minute load average {load[0]:.1f} before, {load[1]:.1f} after "
        "(other work shared the machine: compare ratios within the run).  ",
        f"Warehouse: {shape['weeks']} weeks, {shape['global_entries']:,} global and {shape['country_entries']:,} "
        f"country entries, {shape['titles']:,} titles ({size_mb:.1f} MB).  ",
        f"Load: one uvicorn process (`viewrank serve`), {args.requests} requests per route after {args.warmup} "
        f"warm-up requests, {args.concurrency} in flight at a time, from a local httpx client over loopback.", "",
        "Uncached: `--cache-entries 0`, every request attaches the warehouse and runs its queries. Cached: the",
        "default, a response is reused while the warehouse files are unchanged (web/cache.py).", "",
        "| route | uncached median ms | uncached p99 ms | uncached / static | uncached / /api/weeks "
        "| cached median ms | cached p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for cold, warm in zip(results["uncached"], results["cached"]):
        lines.append(f"| {cold['route']} | {cold['median_ms']:.1f} | {cold['p99_ms']:.1f} | {cold['ratio_to_static']:.1f} "
                     f"| {cold['ratio_to_api_weeks']:.1f} | {warm['median_ms']:.1f} | {warm['p99_ms']:.1f} |")
    lines += ["", f"Latency is per request, from sending it to reading the whole body, with {args.concurrency} requests in",
              "flight, so it includes queueing behind the others on this machine's cores.", ""]
    (RESULTS / "web_latency.md").write_text("\n".join(lines))
    print(f"Wrote {RESULTS / 'web_latency.md'}")


if __name__ == "__main__":
    main()
