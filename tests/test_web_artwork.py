"""Title artwork from the catalog's optional image_url column: a data: URL, an https address or
an image file next to the catalog (copied into the warehouse and served by the site itself),
shown on the title page with alt text; nothing is fetched from the network."""

from __future__ import annotations

import base64
import re
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from web_support import build_warehouse, catalog_with_images, png

from viewrank.catalog import import_catalog
from viewrank.cli.main import cli
from viewrank.errors import InputError
from viewrank.store.warehouse import Warehouse

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

REMOTE = "https://images.example/posters/harbor-lights.jpg"


@pytest.fixture(scope="module")
def computed_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The computed warehouse with a local image, an inline one and a remote one (conftest's
    `computed` client serves it)."""
    path = build_warehouse(tmp_path_factory.mktemp("artwork") / "warehouse")
    posters = path.parent / "catalog" / "posters"
    posters.mkdir(parents=True)
    (posters / "moon-palace.png").write_bytes(png(20, 30, (200, 30, 40)))
    inline = "data:image/png;base64," + base64.b64encode(png(2, 3, (0, 90, 200))).decode()
    catalog = catalog_with_images(path, {"S06-1": "posters/moon-palace.png", "F03": inline, "S01-1": REMOTE})
    with Warehouse(path) as warehouse:
        import_catalog(warehouse, catalog)
    return path


def artwork(html: str) -> dict[str, str]:
    found = re.search(r'<img class="artwork" ([^>]*)>', html)
    assert found, "no artwork on the page"
    return dict(re.findall(r'(\w+)="([^"]*)"', found[1]))


def test_an_image_file_is_copied_into_the_warehouse_and_served_by_the_site(computed: TestClient,
                                                                         computed_path: Path) -> None:
    image = artwork(computed.get("/titles/S06-1").text)
    assert image["alt"] == "Artwork for Moon Palace: Season 1"
    assert re.fullmatch(r"/artwork/[0-9a-f]{16}\.png", image["src"])
    served = computed.get(image["src"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.content == png(20, 30, (200, 30, 40)) == (computed_path / image["src"].lstrip("/")).read_bytes()
    assert "immutable" in served.headers["cache-control"]


def test_data_and_https_urls_are_shown_as_given(computed: TestClient) -> None:
    inline = artwork(computed.get("/titles/F03").text)
    assert inline["src"].startswith("data:image/png;base64,") and inline["alt"] == "Artwork for Northern Lights"
    assert artwork(computed.get("/titles/S01-1").text)["src"] == REMOTE
    assert "img-src 'self' data: https:;" in computed.get("/titles/S01-1").headers["content-security-policy"]


def test_a_title_without_artwork_has_no_image(computed: TestClient) -> None:
    assert '<img class="artwork"' not in computed.get("/titles/F04").text


@pytest.mark.parametrize("name", ["0123456789abcdef.svg", "..%2Fviewrank.duckdb", "0123456789abcdef.png"])
def test_only_stored_artwork_is_served(computed: TestClient, name: str) -> None:
    assert computed.get(f"/artwork/{name}").status_code == 404


@pytest.mark.parametrize(("value", "reason"), [
    ("http://images.example/x.jpg", "expected an https:// address"),
    ("posters/missing.png", "no image file posters/missing.png next to the catalog"),
    ("posters/notes.txt", "expected an https:// or data: URL, or an image file"),
    ("data:text/html;base64,PHNjcmlwdD4=", "expected a base64 data:image/png"),
])
def test_a_bad_image_url_is_one_error_and_changes_nothing(computed_path: Path, tmp_path: Path, value: str,
                                                          reason: str) -> None:
    catalog = catalog_with_images(computed_path, {"F04": value, "F05": "posters/moon-palace.png"})
    (catalog.parent / "posters" / "notes.txt").write_text("not an image")
    with Warehouse(computed_path) as warehouse:
        before = warehouse.execute("SELECT title_id, image_url FROM titles ORDER BY title_id").fetchall()
        with pytest.raises(InputError) as raised:
            import_catalog(warehouse, catalog)
        assert warehouse.execute("SELECT title_id, image_url FROM titles ORDER BY title_id").fetchall() == before
    message = str(raised.value)
    assert str(catalog) in message and "image_url" in message and reason in message


def test_the_published_site_carries_the_artwork(computed_path: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["publish", "--site", str(site), "--warehouse", str(computed_path), "--silent"])
    assert result.exit_code == 0, result.output
    page = site / "titles" / "S06-1.html"
    src = artwork(page.read_text(encoding="utf-8"))["src"]
    assert src.startswith("../artwork/") and (page.parent / src).resolve().read_bytes() == png(20, 30, (200, 30, 40))
