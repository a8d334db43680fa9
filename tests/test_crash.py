"""Crash safety: SIGKILL a step before each of its SQL statements (every point where its
state changes), rerun it, and the warehouse must be consistent with every figure equal to
a run that never crashed: nothing lost, nothing counted twice."""

from __future__ import annotations

import csv
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders import EPISODE_FIELDS, EVENT_FIELDS, TITLE_FIELDS, film, plays, season, write_csv

from viewrank import Warehouse, compute_charts, import_catalog, ingest_file
from viewrank.ingest import ingest_files
from viewrank.rollup.daily import rollup
from viewrank.store.integrity import check

pytestmark = pytest.mark.slow

# Runs one step in a fresh process whose tracer kills the process before statement KILL_AT.
DRIVER = """
import os, signal, sys
from pathlib import Path
from viewrank import Warehouse, compute_charts, rollup
from viewrank.ingest import ingest_files
step, root, kill_at, argument = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
count = 0
def tracer(sql, parameters):
    global count
    count += 1
    if count == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
warehouse = Warehouse(root, tracer=tracer)
if step == "ingest":  # a file, or a folder of files (Parquet files of one layout go in one run)
    ingest_files(warehouse, [Path(argument)])
elif step == "rollup":
    rollup(warehouse)
elif step == "charts":
    compute_charts(warehouse)
elif step == "publish":  # reads only: its kill points are its file operations and page jobs
    import os, shutil
    from viewrank.web import static_site
    warehouse.tracer = None
    def before(function):
        def counted(*args, **kwargs):
            tracer("", None)
            return function(*args, **kwargs)
        return counted
    os.replace, shutil.rmtree = before(os.replace), before(shutil.rmtree)
    static_site._exchange = before(static_site._exchange)
    static_site.publish_site(warehouse, argument, progress=lambda steps: tracer("", None))
warehouse.close()
print(count)
"""
STEPS = ("ingest", "rollup", "charts")


def run_step(step: str, root: Path, argument: Path, *, kill_at: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", DRIVER, step, str(root), str(kill_at), str(argument)],
                          capture_output=True, text=True, check=False)


def figures(root: Path) -> dict[str, list]:
    """Everything a reader could see, without ids and timestamps that legitimately differ."""
    with Warehouse(root, read_only=True) as warehouse:
        queries = {
            "manifest": "SELECT path, sha256, rows_read, rows_loaded, rows_quarantined, rows_duplicate FROM ingested_files",
            "quarantine": "SELECT path, row_number, reason FROM quarantine",
            "events": "SELECT day, sum(rows) FROM event_files GROUP BY day",
            "accounts": "SELECT account_id, account_key FROM accounts",
            "daily": "SELECT * FROM daily_rollup",
            "weekly": "SELECT * FROM weekly_rollup",
            "lists": "SELECT week, scope, revision, country, category, rank, title_key, hours_viewed, views, "
                     "cumulative_weeks, streak_weeks FROM current_entries",
        }
        return {name: sorted(warehouse.execute(sql).fetchall(), key=repr) for name, sql in queries.items()}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A warehouse with one week charted, and a second file (late data, a new week, bad rows, duplicates)."""
    root = tmp_path_factory.mktemp("crash")
    titles = [film("A", "Alpha"), film("B", "Beta", language="ko"), season("S", "Gamma", 1)]
    episodes = [{"episode_id": "S-1", "title_id": "S", "episode_number": 1, "runtime_seconds": 2400}]
    first = [e for day in ("2026-11-09", "2026-11-12", "2026-11-15")
             for e in plays("A", day=day, count=5) + plays("B", day=day, count=4, country="KR")]
    second = (first[:3]  # duplicates of stored events
              + plays("B", day="2026-11-14", count=9, prefix="late", country="KR")
              + plays("S-1", day="2026-11-16", count=6, seconds=2400, episode=True, country="GB")
              + [e for day in ("2026-11-18", "2026-11-22") for e in plays("A", day=day, count=2, prefix=f"n{day}")]
              + [plays("A", day="2026-11-17", prefix="bad")[0] | {"country": "QQ"}])
    base = root / "base"
    warehouse = Warehouse.init(base)
    import_catalog(warehouse, write_csv(root / "titles.csv", TITLE_FIELDS, titles))
    import_catalog(warehouse, write_csv(root / "episodes.csv", EPISODE_FIELDS, episodes))
    ingest_file(warehouse, write_csv(root / "first.csv", EVENT_FIELDS, first))
    rollup(warehouse)
    compute_charts(warehouse)
    warehouse.close()
    log = write_csv(root / "second.csv", EVENT_FIELDS, second)
    # The clean run, and the state before each step.
    states = {}
    clean = root / "clean"
    shutil.copytree(base, clean)
    statements = {}
    for step in STEPS:
        states[step] = root / f"before-{step}"
        shutil.copytree(clean, states[step])
        result = run_step(step, clean, log)
        assert result.returncode == 0, result.stderr
        statements[step] = int(result.stdout.strip().splitlines()[-1])
    return {"root": root, "log": log, "states": states, "statements": statements, "clean": figures(clean)}


def finish_from(step: str, root: Path, log: Path) -> None:
    """Rerun `step` and the steps after it to completion, in this process."""
    with Warehouse(root) as warehouse:
        for later in STEPS[STEPS.index(step):]:
            {"ingest": lambda: ingest_files(warehouse, [log]), "rollup": lambda: rollup(warehouse),
             "charts": lambda: compute_charts(warehouse)}[later]()


@pytest.mark.parametrize("step", STEPS)
def test_sigkill_before_every_statement_then_rerun_equals_a_clean_run(scenario: dict, step: str, tmp_path: Path) -> None:
    total = scenario["statements"][step]
    assert total >= 8
    for kill_at in range(1, total + 1):
        root = tmp_path / f"{step}-{kill_at}"
        shutil.copytree(scenario["states"][step], root)
        crashed = run_step(step, root, scenario["log"], kill_at=kill_at)
        assert crashed.returncode == -signal.SIGKILL, (kill_at, crashed.stderr)
        finish_from(step, root, scenario["log"])
        with Warehouse(root, read_only=True) as warehouse:
            assert check(warehouse, deep=True) == [], (step, kill_at)
        assert figures(root) == scenario["clean"], (step, kill_at)
        shutil.rmtree(root)


def test_sigkill_before_every_statement_of_a_parquet_ingest_then_rerun_equals_a_clean_run(
        scenario: dict, tmp_path: Path) -> None:
    """Parquet files take another path (DuckDB reads them directly, the files of a folder in
    one run: ingest/run.py), killed before each of its statements too."""
    with open(scenario["log"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    log = tmp_path / "delivery"
    log.mkdir()
    pq.write_table(pa.Table.from_pylist(rows[:15]), log / "first.parquet")
    pq.write_table(pa.Table.from_pylist(rows[15:]), log / "second.parquet")
    clean = tmp_path / "clean"
    shutil.copytree(scenario["states"]["ingest"], clean)
    total = int(run_step("ingest", clean, log).stdout.strip().splitlines()[-1])
    finish_from("rollup", clean, log)
    expected = figures(clean)
    assert expected["quarantine"] == [(str(log / "second.parquet"), 8, "unknown country code QQ (expected ISO 3166-1 alpha-2)")]
    assert len(expected["manifest"]) == 3  # the scenario's first file, and the run of two
    assert total >= 8
    for kill_at in range(1, total + 1):
        root = tmp_path / f"parquet-{kill_at}"
        shutil.copytree(scenario["states"]["ingest"], root)
        crashed = run_step("ingest", root, log, kill_at=kill_at)
        assert crashed.returncode == -signal.SIGKILL, (kill_at, crashed.stderr)
        finish_from("ingest", root, log)
        with Warehouse(root, read_only=True) as warehouse:
            assert check(warehouse, deep=True) == [], kill_at
        assert figures(root) == expected, kill_at
        shutil.rmtree(root)


def test_sigkill_at_random_moments_of_an_ingest(scenario: dict, tmp_path: Path) -> None:
    generator = random.Random(7)
    for attempt in range(6):
        root = tmp_path / f"random-{attempt}"
        shutil.copytree(scenario["states"]["ingest"], root)
        process = subprocess.Popen([sys.executable, "-c", DRIVER, "ingest", str(root), "0", str(scenario["log"])],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(generator.uniform(0.2, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        finish_from("ingest", root, scenario["log"])
        with Warehouse(root, read_only=True) as warehouse:
            assert check(warehouse, deep=True) == []
        assert figures(root) == scenario["clean"]


def site_files(site: Path) -> dict[str, object]:
    """Every file's content; for workbooks the content of their parts, without zip and document timestamps."""
    def content(path: Path) -> object:
        if path.suffix != ".xlsx":
            return path.read_bytes()
        with zipfile.ZipFile(path) as workbook:
            return {name: workbook.read(name) for name in workbook.namelist() if name != "docProps/core.xml"}
    return {str(path.relative_to(site)): content(path) for path in sorted(site.rglob("*")) if path.is_file()}


def test_sigkill_at_every_step_of_a_publish_leaves_one_whole_site(tmp_path: Path) -> None:
    from web_support import build_warehouse
    root = build_warehouse(tmp_path / "warehouse")
    before, reference = tmp_path / "before", tmp_path / "reference"
    assert run_step("publish", root, before).returncode == 0
    with Warehouse(root) as warehouse:  # the next publish differs from the site in place
        warehouse.execute("UPDATE titles SET show_title = show_title || ' (restored)'")
    total = int(run_step("publish", root, reference).stdout.strip().splitlines()[-1])
    old, new = site_files(before), site_files(reference)
    assert total >= 10 and old != new
    site = tmp_path / "public" / "site"
    for kill_at in range(1, total + 1):
        shutil.copytree(before, site)
        crashed = run_step("publish", root, site, kill_at=kill_at)
        assert crashed.returncode == -signal.SIGKILL, (kill_at, crashed.stderr)
        assert site_files(site) in (old, new), kill_at
        finished = run_step("publish", root, site)
        assert finished.returncode == 0, (kill_at, finished.stderr)
        assert site_files(site) == new, kill_at
        assert [path.name for path in site.parent.iterdir()] == ["site"], kill_at  # no leftovers
        shutil.rmtree(site)
