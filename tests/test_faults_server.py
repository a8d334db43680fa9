"""The server under a failed refresh (issue 16, the fault-injection suite): when no snapshot of
the warehouse can be taken (a full temporary folder, a damaged block), pages and the API answer
503 with Retry-After and no server path in the body, and the next request after the cause is
gone answers from a fresh snapshot."""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from builders import build_warehouse, film, plays
from faults import damage, fill, small_disk
from viewrank.web import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

WEEK = "2026-11-15"
URLS = ("/", f"/weeks/{WEEK}", f"/api/weeks/{WEEK}/global", "/api/titles/A")
# What a server path looks like in a body: the test's folders, the snapshot folder, a database file.
PATH_MARKS = ("/tmp/", "viewrank-serve-", "snapshot-", ".duckdb")


def hours(client: TestClient) -> float:
    response = client.get(f"/api/weeks/{WEEK}/global")
    assert response.status_code == 200, response.text
    return sum(entry["hours_viewed"] for lst in response.json()["lists"] for entry in lst["entries"])


@pytest.mark.parametrize("fault", ["disk full", "damaged block 0", "damaged block 1"])
def test_a_failed_snapshot_answers_503_without_server_paths_then_heals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       caplog: pytest.LogCaptureFixture,
                                                                       fault: str) -> None:
    build_warehouse(tmp_path, titles=[film("A", "Alpha")], events=plays("A", day="2026-11-10", count=3),
                    weeks=[WEEK]).close()
    root = tmp_path / "warehouse"
    database = root / "viewrank.duckdb"
    backup = database.read_bytes()
    with small_disk(tmp_path / "tmp", "64m") as disk:
        monkeypatch.setattr(tempfile, "tempdir", str(disk))
        app = create_app(root, cache_entries=0)
        client = TestClient(app)
        if fault == "disk full":
            ballast = fill(disk)
        else:   # a data block of the database file, its bytes varied so that its checksum fails
            damage(database, offset=12_288 + int(fault[-1]) * 262_144 + 100_000, length=4_096,
                   pattern=bytes(range(1, 256)))
        with caplog.at_level(logging.ERROR, logger="viewrank.web"):
            for url in URLS:
                response = client.get(url, headers={"accept": "text/html"} if not url.startswith("/api") else {})
                assert response.status_code == 503, (url, response.text)
                assert response.headers["retry-after"], url
                assert not [mark for mark in (*PATH_MARKS, str(tmp_path)) if mark in response.text], response.text
                assert ("disk is full in the temporary folder" if fault == "disk full" else "viewrank check") in response.text
        assert str(root) in caplog.text          # the server's log says which warehouse and why
        if fault == "disk full":
            ballast.unlink()
        else:
            database.write_bytes(backup)   # restored from a backup
        assert hours(client) == 3.0         # the next request takes a snapshot and answers
        for url in URLS:
            assert client.get(url).status_code == 200, url
        app.state.reader.close()


def test_a_server_killed_with_sigkill_leaves_a_snapshot_folder_the_next_server_removes(tmp_path: Path) -> None:
    """Ctrl+C removes a server's snapshot folder; SIGKILL cannot, so a starting server removes
    the folders of servers no longer running (named by process id), and keeps the others'."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx
    build_warehouse(tmp_path, titles=[film("A", "Alpha")], events=plays("A", day="2026-11-10", count=3),
                    weeks=[WEEK]).close()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}

    def serve() -> tuple[subprocess.Popen[bytes], int]:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen([sys.executable, "-m", "viewrank", "serve", "--warehouse", str(tmp_path / "warehouse"),
                                   "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/weeks", timeout=10).status_code == 200:
                    return server, port
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.2)

    killed, _ = serve()
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    (left,) = temporary.iterdir()
    assert left.name.startswith(f"viewrank-serve-{killed.pid}-") and any(left.iterdir())   # its snapshot stays
    running = temporary / f"viewrank-serve-{os.getpid()}-elsewhere"   # a live process's folder
    running.mkdir()
    server, port = serve()
    try:
        names = sorted(path.name for path in temporary.iterdir())
        assert not left.exists() and running.name in names and len(names) == 2, names
        assert any(name.startswith(f"viewrank-serve-{server.pid}-") for name in names), names
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            assert hours(client) == 3.0   # type: ignore[arg-type]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert [path.name for path in temporary.iterdir()] == [running.name]
