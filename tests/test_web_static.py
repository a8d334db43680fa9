"""`viewrank publish`: the site as static files with relative links that resolve on disk."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from web_html import hrefs, table_rows
from web_support import HOSTILE, WEEKS, build_warehouse

from viewrank.charts.weekly import GLOBAL_CATEGORIES, weekly_list
from viewrank.cli.main import cli
from viewrank.store.warehouse import Warehouse
from viewrank.web.feeds import ATOM
from viewrank.web.params import slug


@pytest.fixture(scope="module")
def warehouse_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("static") / "warehouse")


@pytest.fixture(scope="module")
def site(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("published") / "site"
    result = CliRunner().invoke(cli, ["publish", "--site", str(target), "--warehouse", str(warehouse_path), "--silent"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Wrote ") and f"to {target}" in result.output
    return target


def test_site_has_every_page_and_download(site: Path) -> None:
    expected = ["index.html", "countries.html", "search.html", "downloads.html", "404.html", "_headers",
                "static/site.css", "static/site.js", "countries/KR.html", "titles/F01.html", "titles/S01-2/factsheet.html",
                f"titles/F15/weeks/{WEEKS[0]}.html", "downloads/all-weeks-global.tsv",
                "downloads/all-weeks-countries.xlsx", "downloads/all-weeks-global.json",
                "daily.html", "daily/2026-10-19.html", "daily/2026-11-14/kids.html", "daily/lists/originals.html",
                "windows.html", "windows/lists/kids.html"]
    for week in WEEKS:
        expected += [f"weeks/{week}.html", f"weeks/{week}/countries.html", f"weeks/{week}/countries/US.html",
                     f"downloads/weeks/{week}/global.tsv", f"downloads/weeks/{week}/countries.json"]
    missing = [name for name in expected if not (site / name).is_file()]
    assert missing == []
    assert not (site / "titles/F14.html").exists()  # never charted: no page, and nothing links to it


def test_every_link_resolves_to_a_file(site: Path) -> None:
    broken = []
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 100
    for page in pages:
        for href in hrefs(page.read_text(encoding="utf-8")):
            if href.startswith("data:"):
                continue
            assert not href.startswith(("/", "http:", "https:")), f"{page}: {href} is not relative"
            target = unquote(href.split("#", 1)[0].split("?", 1)[0])
            if target and not (page.parent / target).resolve().is_file():
                broken.append(f"{page.relative_to(site)} -> {href}")
    assert broken == []


def test_static_pages_show_the_warehouse_numbers(site: Path, warehouse_path: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    with Warehouse(warehouse_path, read_only=True) as warehouse:
        for category in GLOBAL_CATEGORIES:
            shown = table_rows(html, slug(category))
            expected = weekly_list(warehouse, WEEKS[-1], category=category)
            assert [(row["Rank"], row["_attrs"]["data-title-id"], row["Hours viewed"]) for row in shown] == [
                (str(entry["rank"]), entry["title_id"], f"{entry['hours_viewed']:,.0f}") for entry in expected]
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<link rel="stylesheet" href="static/site.css">' in html
    assert 'href="weeks/2026-11-08.html"' in html  # the week picker, as a relative file link


def test_static_site_has_its_feeds_widgets_and_an_api_page(site: Path) -> None:
    """Feeds link relative to their own file (resolving on disk) and name entries by URN; every
    country's widgets are pages; the API page says where the JSON API lives."""
    feed = ET.parse(site / "feeds/countries/KR.atom").getroot()
    entries = feed.findall(f"{{{ATOM}}}entry")
    assert [entry.findtext(f"{{{ATOM}}}title") for entry in entries][0] == "Top 10 in South Korea, week ending 15 November 2026"
    assert len(entries) == len(WEEKS) and all(entry.findtext(f"{{{ATOM}}}id").startswith("urn:uuid:") for entry in entries)
    for link in feed.iter(f"{{{ATOM}}}link"):
        href = link.get("href")
        assert not href.startswith(("/", "http")) and (site / "feeds/countries" / unquote(href.split("#")[0])).is_file(), href
    assert ET.parse(site / "feeds/global/films-english.atom").getroot().findtext(f"{{{ATOM}}}title").startswith("Top 10 Films (English)")
    widget = (site / "widget/countries/KR/tv.html").read_text(encoding="utf-8")
    assert widget.count("<li ") == 10 and "Week ending 15 November 2026" in widget
    assert (site / "widget/global/tv-non-english.html").is_file()
    api = (site / "api.html").read_text(encoding="utf-8")
    assert "viewrank serve --warehouse DIR" in api and 'href="feeds/countries/US.atom"' in api
    assert 'href="api.html"' in (site / "index.html").read_text(encoding="utf-8")
    country = (site / "countries/KR.html").read_text(encoding="utf-8")
    assert 'href="../feeds/countries/KR.atom" type="application/atom+xml"' in country
    assert 'href="../widget/countries/KR/films.html"' in country and "src=&#34;../widget/countries/KR/films.html&#34;" in country


def test_static_headers_let_only_the_widgets_be_framed(site: Path) -> None:
    rules = {block.split("\n", 1)[0]: block for block in (site / "_headers").read_text().split("\n/")}
    rules = {("/" + path).replace("//", "/"): block for path, block in rules.items()}
    assert "frame-ancestors *" in rules["/widget/*"] and "X-Frame-Options" not in rules["/widget/*"]
    for path in ("/", "/index.html", "/weeks/*", "/titles/*", "/feeds/*", "/api"):
        assert "frame-ancestors 'none'" in rules[path] and "X-Frame-Options: DENY" in rules[path], path


def test_static_downloads_equal_the_export(site: Path, warehouse_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "--warehouse", str(warehouse_path), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in ("all-weeks-global.tsv", "all-weeks-countries.tsv"):
        assert (site / "downloads" / name).read_bytes() == (tmp_path / name).read_bytes()


def test_publish_replaces_its_own_site_only(site: Path, warehouse_path: Path, tmp_path: Path) -> None:
    stale = site / "weeks" / "1999-01-03.html"
    stale.write_text("old")
    again = CliRunner().invoke(cli, ["publish", "--site", str(site), "--warehouse", str(warehouse_path), "--silent"])
    assert again.exit_code == 0, again.output
    assert not stale.exists() and (site / "index.html").is_file()
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("keep me")
    refused = CliRunner().invoke(cli, ["publish", "--site", str(foreign), "--warehouse", str(warehouse_path)])
    assert refused.exit_code == 1
    assert "is not empty and holds no published viewrank site" in refused.output
    assert (foreign / "thesis.txt").read_text() == "keep me"


def test_serve_has_help() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "Example:" in result.output
