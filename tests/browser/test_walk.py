"""A reader's walk through the site in headless Chromium, at desktop and phone widths: home,
a week, a title with its map, a comparison, the fact sheet and an engagement half year, with
what is on screen checked at every step and no console error anywhere. The desktop walk
writes the README's screenshots (docs/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from web_support import WEEKS

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


def fits(page: Any, width: int) -> None:
    """Nothing on the page is wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_reader_walk(sized: tuple[str, Any], server_url: str, docs: Path, artifacts: Path) -> None:
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
    assert page.problems == []
