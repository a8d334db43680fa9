"""Soak: the real server answers a bounded stream of loopback requests while another
process keeps ingesting, rolling up and charting; every answer is a 200 and every list
is whole. The figures of the last run go to test-artifacts/soak.json."""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from web_support import build_warehouse

pytestmark = pytest.mark.slow
REQUESTS = 1200
SECONDS = 90
ROUTES = ["/", "/api/weeks", "/api/weeks/latest/global", "/countries", "/api/countries", "/api/titles?q=a"]

# Keeps writing until told to stop: a new file of late and new events, then rollup and charts.
WRITER = """
import datetime as dt, random, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from builders import EVENT_FIELDS, write_csv
from viewrank import Warehouse, compute_charts, ingest_file, rollup
root, stop = Path(sys.argv[1]), Path(sys.argv[2])
titles = [t for (t,) in __import__("duckdb").connect(str(root / "viewrank.duckdb"), read_only=True)
          .execute("SELECT title_id FROM titles WHERE kind = 'film'").fetchall()]
rounds = 0
while not stop.exists():
    rounds += 1
    day = dt.date(2026, 11, 9) + dt.timedelta(days=rounds % 7)
    events = [{"event_id": f"soak-{rounds}-{i}", "account_id": f"s{i % 97}", "title_id": random.choice(titles),
               "episode_id": "", "country": random.choice(["US", "KR", "FR", "BR"]),
               "start_time": f"{day}T20:00:00+00:00", "seconds_watched": random.randint(60, 7200)} for i in range(500)]
    path = write_csv(root.parent / f"soak-{rounds}.csv", EVENT_FIELDS, events)
    with Warehouse(root) as warehouse:
        ingest_file(warehouse, path)
        rollup(warehouse)
        compute_charts(warehouse)
print(rounds)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_with_one_retry(client: httpx.Client, route: str, server: subprocess.Popen[bytes], log: Path,
                       resets: list[str]) -> httpx.Response:
    """GET `route`; a kept-alive connection reset under load is retried once on a new connection,
    as browsers do, and counted. A server that died, or a retry that fails, fails the test."""
    try:
        return client.get(route)
    except httpx.TransportError as error:
        if server.poll() is None:
            resets.append(f"{route}: {error!r}")
            try:
                return client.get(route)
            except httpx.TransportError:
                pass
        raise AssertionError(f"{route}: {error!r}; server exit code {server.poll()}; its log ends:\n"
                             + log.read_text()[-3000:]) from error


def test_server_answers_consistently_while_another_process_writes(tmp_path: Path) -> None:
    root = build_warehouse(tmp_path / "warehouse")
    port, stop = free_port(), tmp_path / "stop"
    server_log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "viewrank", "serve", "--warehouse", str(root), "--port", str(port),
                               "--cache-entries", "0"], stdout=server_log, stderr=subprocess.STDOUT)
    latencies: list[float] = []
    errors: list[str] = []
    resets: list[str] = []
    writer = None
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 30
            while True:  # wait for the server to listen and take its first snapshot
                try:
                    if client.get("/api/weeks").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
            writer = subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(stop), str(Path(__file__).parent)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            finish = time.monotonic() + SECONDS
            for number in range(REQUESTS):
                if time.monotonic() > finish:
                    break
                route = ROUTES[number % len(ROUTES)]
                start = time.perf_counter()
                response = get_with_one_retry(client, route, server, tmp_path / "server.log", resets)
                latencies.append(time.perf_counter() - start)
                if response.status_code != 200:
                    errors.append(f"{route}: {response.status_code}")
                elif route == "/api/weeks/latest/global":
                    for listing in response.json()["lists"]:
                        ranks = [entry["rank"] for entry in listing["entries"]]
                        if not ranks or ranks != list(range(1, len(ranks) + 1)):
                            errors.append(f"incomplete list {listing['category']}: {ranks}")
    finally:
        stop.touch()
        rounds = writer.communicate(timeout=120) if writer else ("0", "")
        server.terminate()
        server.wait(timeout=30)
        server_log.close()
    assert writer is not None and writer.returncode == 0, rounds[1]
    figures = {"requests": len(latencies), "errors": len(errors), "writer_rounds": int(rounds[0].strip()),
               "median_ms": round(statistics.median(latencies) * 1000, 1),
               "p99_ms": round(sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000, 1), "first_errors": errors[:10],
               "connection_resets": resets}
    artifacts = Path(__file__).parents[1] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "soak.json").write_text(json.dumps(figures, indent=2) + "\n")
    assert errors == [], errors[:10]
    assert len(resets) <= len(latencies) // 100, resets
    assert figures["writer_rounds"] >= 2 and figures["requests"] >= 300
