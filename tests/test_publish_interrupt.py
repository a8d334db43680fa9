"""A real `viewrank publish` stopped mid-run (Ctrl+C once or twice, or SIGTERM) leaves no
hidden half-built folder behind, and an earlier published site whole."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from web_support import build_warehouse

from viewrank.web.static_site import MARKER_FILE

pytestmark = pytest.mark.slow  # four real publishes of the fixture site

START_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def warehouse_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("publish") / "warehouse")


def hidden(parent: Path, name: str) -> list[Path]:
    return sorted(parent.glob(f".{name}-*"))


def publish(warehouse: Path, site: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "viewrank", "publish", "--site", str(site), "--warehouse",
                             str(warehouse), "--silent"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop_mid_run(process: subprocess.Popen[str], site: Path, signals: list[signal.Signals]) -> tuple[int, str]:
    """Wait until the half-built site has title pages being written, then send `signals` (50 ms apart)."""
    deadline = time.monotonic() + START_TIMEOUT
    while not any((folder / "titles").is_dir() for folder in hidden(site.parent, site.name)):
        assert process.poll() is None, "publish ended before it could be interrupted"
        assert time.monotonic() < deadline, "publish never started writing pages"
        time.sleep(0.005)
    for number in signals:
        process.send_signal(number)
        time.sleep(0.05)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr


@pytest.mark.parametrize("signals", [[signal.SIGINT], [signal.SIGINT, signal.SIGINT], [signal.SIGTERM]],
                         ids=["ctrl-c", "ctrl-c-twice", "sigterm"])
def test_an_interrupted_first_publish_leaves_nothing(warehouse_path: Path, tmp_path: Path,
                                                     signals: list[signal.Signals]) -> None:
    site = tmp_path / "public"
    code, stderr = stop_mid_run(publish(warehouse_path, site), site, signals)
    assert code == 1 and stderr.strip().splitlines()[-1] == "Aborted!", stderr[-500:]
    assert hidden(tmp_path, "public") == [] and not site.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_publish_keeps_the_earlier_site_whole(warehouse_path: Path, tmp_path: Path) -> None:
    site = tmp_path / "public"
    first = publish(warehouse_path, site)
    first.communicate(timeout=600)
    assert first.returncode == 0
    before = {path.relative_to(site): path.read_bytes() for path in site.rglob("*") if path.is_file()}
    assert (site / MARKER_FILE).exists() and len(before) > 200
    code, _ = stop_mid_run(publish(warehouse_path, site), site, [signal.SIGINT])
    assert code == 1
    assert hidden(tmp_path, "public") == []
    assert {path.relative_to(site): path.read_bytes() for path in site.rglob("*") if path.is_file()} == before
