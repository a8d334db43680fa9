"""A reader's walk through the site in headless Chromium, at desktop and phone widths: home,
a week, a title with its map, a comparison, the fact sheet, an engagement half year and a
country's feed and widget (framed by another page), with what is on screen checked at every
step and no console error anywhere. The desktop walk
writes the README's screenshots (docs/)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import xml.etree.ElementTree as ET

import pytest
from web_support import WEEKS

from viewrank.web.feeds import ATOM

pytestmark = pytest.mark.browser
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(SIZES))
def sized(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[str, Any]]:
    """A page of one size that records console errors and uncaught exceptions."""
    name = request.param
    context = browser.new_context(viewport=SIZES[name], device_scale_factor=1 if name == "desktop" else 2,
                                  is_mobile=name == "phone", has_touch=name == "phone")
    page = context.new_page()
    page.problems = []
    page.on("console", lambda message: page.problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield name, page
    context.close()


@pytest.fixture()
def other_site() -> Iterator[tuple[str, dict[str, bytes]]]:
    """Another site on its own loopback port (another origin) serving the pages put in its dict."""
    served: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = served.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def fits(page: Any, width: int) -> None:
    """Nothing on the page is wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_reader_walk(sized: tuple[str, Any], server_url: str, docs: Path, artifacts: Path,
                     other_site: tuple[str, dict[str, bytes]]) -> None:
    size, page = sized
    width = SIZES[size]["width"]
    page.goto(server_url + "/")
    assert page.get_by_role("heading", level=1).text_content() == "Global Top 10"
    assert "Week ending 15 November 2026" in page.locator(".lede").first.text_content()
    assert page.locator("#films-english tbody tr").count() == 10 and page.locator("#films-english").is_visible()
    fits(page, width)
    if size == "desktop":
        page.screenshot(path=str(docs / "home.png"))
    page.screenshot(path=str(artifacts / f"walk-home-{size}.png"))

    # A week: the previous one, the chosen tab kept.
    page.get_by_role("tab", name="TV (Non-English)").click()
    page.get_by_role("link", name="Previous week").click()
    page.wait_for_url(f"**/weeks/{WEEKS[-2]}#tv-non-english")
    assert page.locator("#tv-non-english").is_visible() and not page.locator("#films-english").is_visible()

    # A title, its map and its countries' ranks by week.
    page.locator("#tv-non-english").get_by_role("link", name="Moon Palace").click()
    page.wait_for_url("**/titles/S06-1")
    assert page.get_by_role("heading", level=1).text_content() == "Moon Palace: Season 1"
    assert "TV season · Korean ·" in " ".join(page.locator(".lede").first.inner_text().split())
    poster = page.get_by_role("img", name="Artwork for Moon Palace: Season 1")
    assert poster.is_visible() and poster.evaluate("image => image.complete && image.naturalWidth") == 160
    world = page.get_by_role("img", name="Where Moon Palace: Season 1 was in the Top 10")
    world.scroll_into_view_if_needed()
    assert world.is_visible()
    box = world.bounding_box()
    assert box["width"] > width * 0.8 and box["x"] + box["width"] <= width
    korea = page.locator("#world-map a[href*='/countries/KR'] path")
    assert korea.get_attribute("class").startswith("map-r") and "South Korea: No. " in korea.text_content()
    countries = page.locator("tr[data-country]")
    assert countries.count() > 0 and page.locator("tr[data-country] svg.spark").count() == countries.count()
    fits(page, width)
    if size == "desktop":
        page.goto(server_url + "/titles/S06-1")
        page.screenshot(path=str(docs / "title.png"), full_page=True)
    page.screenshot(path=str(artifacts / f"walk-title-{size}.png"), full_page=True)

    # The comparison: the title, then another by name.
    page.get_by_role("link", name="Compare").click()
    page.wait_for_url("**/compare?t=S06-1")
    page.get_by_label("Add a title").fill("Harbor Lights")
    page.get_by_role("button", name="Add").click()
    page.wait_for_url("**/compare?t=S06-1&add=*")
    assert page.locator(".compared li").count() == 2
    assert page.get_by_role("img", name="Hours viewed by week since premiere").is_visible()
    assert page.locator("#compare-rank polyline").count() >= 1
    fits(page, width)
    page.screenshot(path=str(artifacts / f"walk-compare-{size}.png"), full_page=True)

    # The fact sheet.
    page.goto(server_url + "/titles/S06-1")
    page.get_by_role("link", name="Press fact sheet").click()
    page.wait_for_url("**/titles/S06-1/factsheet")
    assert page.locator('tr[data-figure="debut"] [data-label="Value"]').text_content().startswith("No. ")
    assert "edition" not in page.locator("main").text_content()
    fits(page, width)

    # An engagement half year, its Films tab, every column on screen.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Engagement reports").click()
    page.wait_for_url("**/engagement")
    assert page.get_by_role("heading", level=1).text_content() == "Engagement reports: July–December 2024"
    page.get_by_role("navigation", name="Lists").get_by_role("link", name="Films").click()
    page.wait_for_url("**/engagement/2024H2-films")
    first = page.locator("#report-rows tbody tr").first
    assert first.locator('[data-label="Hours viewed"]').is_visible()
    views = first.locator('[data-label="Views"]')
    assert views.is_visible() and views.bounding_box()["x"] + views.bounding_box()["width"] <= width
    fits(page, width)
    page.screenshot(path=str(artifacts / f"walk-engagement-{size}.png"))

    # A country: its feed, as a feed reader gets it, and its widget, alone and framed by another site.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Countries").click()
    page.wait_for_url("**/countries")
    page.locator("main").get_by_role("link", name="South Korea", exact=True).first.click()
    page.wait_for_url("**/countries/KR")
    assert page.get_by_role("heading", level=1).text_content() == "Top 10 in South Korea"
    page.get_by_text("Follow and embed").click()
    feed_link = page.get_by_role("link", name="Atom feed: Top 10 in South Korea")
    assert feed_link.is_visible()
    feed_url = feed_link.evaluate("link => link.href")
    assert page.locator('link[rel="alternate"][type="application/atom+xml"]').get_attribute("href") == "/feeds/countries/KR.atom"
    answer = page.request.get(feed_url)
    assert answer.ok and answer.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(answer.body())
    titles = [entry.findtext(f"{{{ATOM}}}title") for entry in feed.iter(f"{{{ATOM}}}entry")]
    assert titles == [f"Top 10 in South Korea, week ending {week.day} {week:%B %Y}" for week in reversed(WEEKS)]
    snippet = page.get_by_label("Snippet for the widget TV in South Korea").text_content()
    assert snippet.startswith(f'<iframe src="{server_url}/widget/countries/KR/tv"')  # made absolute on the page
    fits(page, width)
    page.screenshot(path=str(artifacts / f"walk-country-{size}.png"), full_page=True)
    page.get_by_role("link", name="Widget: TV in South Korea").click()
    page.wait_for_url("**/widget/countries/KR/tv")
    assert page.get_by_role("heading", level=1).text_content() == "TV"
    assert page.locator(".widget-week").text_content().startswith("Week ending 15 November 2026")
    assert page.locator(".widget-list li").count() == 10
    shown = page.locator(".widget-list li").first.inner_text()
    blog_url, blog = other_site
    blog["/blog"] = f"<!doctype html><title>Someone's blog</title><link rel=icon href=data:,><h1>What Korea watches</h1>{snippet}".encode()
    page.goto(blog_url + "/blog")  # another site, another origin, framing the widget
    framed = page.frame_locator("iframe").locator(".widget-list li")
    framed.first.wait_for()
    assert framed.count() == 10 and framed.first.inner_text() == shown
    page.screenshot(path=str(artifacts / f"walk-widget-{size}.png"))
    assert page.problems == []
