"""Browser-test fixtures: a real uvicorn server on a free loopback port and headless Chromium.

Chromium comes from Debian's package (/usr/bin/chromium) and is driven by the playwright
package's bundled driver; nothing is downloaded. Without either, the tests skip.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared test helpers in tests/

from web_support import build_warehouse, catalog_with_images, png  # noqa: E402

from viewrank.store.warehouse import Warehouse  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


ENGAGEMENT_SLICE = (Path(__file__).resolve().parents[1] / "fixtures" / "engagement"
                    / "What_We_Watched_A_Netflix_Engagement_Report_2024Jul-Dec_slice.xlsx")
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="session")
def browser_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made warehouse plus a slice of Netflix's real 2024H2 engagement report, and
    artwork for Moon Palace (an image file next to the catalog)."""
    from viewrank.catalog import import_catalog
    from viewrank.imports.engagement import import_engagement_files

    path = build_warehouse(tmp_path_factory.mktemp("browser") / "warehouse")
    catalog = catalog_with_images(path, {"S06-1": "moon-palace.png"})
    (catalog.parent / "moon-palace.png").write_bytes(png(160, 240, (46, 52, 92)))
    with Warehouse(path) as warehouse:
        import_engagement_files(warehouse, [ENGAGEMENT_SLICE])
        import_catalog(warehouse, catalog)
    return path


@pytest.fixture(scope="session")
def server_url(browser_warehouse: Path) -> Iterator[str]:
    """The site served by uvicorn in a thread, on a port the OS picked."""
    import uvicorn

    from viewrank.web import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(browser_warehouse), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)
    sock.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A desktop-sized page that records console errors, uncaught exceptions and dialogs."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.problems = []
    opened.on("console", lambda message: opened.problems.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: opened.problems.append(str(error)))
    opened.on("dialog", lambda dialog: (opened.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield opened
    context.close()


@pytest.fixture(scope="session")
def docs() -> Path:
    """Where the README's screenshots live (committed)."""
    DOCS.mkdir(exist_ok=True)
    return DOCS


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
