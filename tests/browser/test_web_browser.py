"""The site in headless Chromium against a real uvicorn server: tabs, week picker, a country
and a title clicked through, numbers checked against the warehouse, screenshots saved."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from web_support import HOSTILE, WEEKS

from viewrank.charts.weekly import weekly_list
from viewrank.reports.facts import title_facts
from viewrank.reports.factsheet import factsheet
from viewrank.store.warehouse import Warehouse

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def shown_list(page: Any, panel: str) -> list[tuple[str, str, str, str]]:
    """(rank, title id, hours viewed, views) of the rows of one visible list."""
    return page.eval_on_selector_all(
        f"#{panel} tbody tr[data-title-id]",
        """rows => rows.map(row => [row.querySelector('[data-label="Rank"]').textContent.trim(),
                                    row.dataset.titleId,
                                    row.querySelector('[data-label="Hours viewed"]').textContent.trim(),
                                    row.querySelector('[data-label="Views"]').textContent.trim()])""")


def expected_list(warehouse_path: Path, week: dt.date, category: str) -> list[list[str]]:
    with Warehouse(warehouse_path, read_only=True) as warehouse:
        return [[str(row["rank"]), row["title_id"], f"{row['hours_viewed']:,.0f}", f"{row['views']:,.0f}"]
                for row in weekly_list(warehouse, week, category=category)]


def test_tabs_switch_lists_by_click_and_keyboard(page: Any, server_url: str, browser_warehouse: Path,
                                                 artifacts: Path) -> None:
    page.goto(server_url + "/")
    tabs = page.get_by_role("tab")
    assert tabs.count() == 4
    assert page.get_by_role("tab", name="Films (English)").get_attribute("aria-selected") == "true"
    assert page.locator("#films-english").is_visible() and not page.locator("#tv-english").is_visible()
    assert shown_list(page, "films-english") == expected_list(browser_warehouse, WEEKS[-1], "Films (English)")
    page.screenshot(path=str(artifacts / "web-home-desktop.png"), full_page=True)

    page.get_by_role("tab", name="TV (English)").click()
    assert page.locator("#tv-english").is_visible() and not page.locator("#films-english").is_visible()
    assert page.url.endswith("#tv-english")
    assert shown_list(page, "tv-english") == expected_list(browser_warehouse, WEEKS[-1], "TV (English)")

    page.keyboard.press("ArrowRight")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "TV (Non-English)" and page.locator("#tv-non-english").is_visible()
    page.keyboard.press("Home")
    assert page.evaluate("document.activeElement.textContent") == "Films (English)"
    assert page.get_by_role("tabpanel").count() == 1
    assert page.problems == []


def test_week_picker_moves_between_weeks(page: Any, server_url: str, browser_warehouse: Path) -> None:
    page.goto(server_url + "/")
    page.get_by_role("tab", name="TV (English)").click()
    page.get_by_role("link", name="Previous week").click()  # the chosen tab comes along
    page.wait_for_url(f"**/weeks/{WEEKS[-2]}#tv-english")
    assert page.get_by_role("tab", name="TV (English)").get_attribute("aria-selected") == "true"
    assert shown_list(page, "tv-english") == expected_list(browser_warehouse, WEEKS[-2], "TV (English)")
    page.get_by_role("tab", name="Films (English)").click()
    assert shown_list(page, "films-english") == expected_list(browser_warehouse, WEEKS[-2], "Films (English)")
    page.locator("details.all-weeks summary").click()  # opens the list of all weeks
    page.get_by_role("navigation", name="Week").get_by_role("link", name="25 Oct").click()
    page.wait_for_url(f"**/weeks/{WEEKS[0]}#films-english")
    assert page.get_by_role("link", name="Previous week").count() == 0  # the first week
    page.get_by_role("tab", name="Films (Non-English)").click()
    assert shown_list(page, "films-non-english") == expected_list(browser_warehouse, WEEKS[0], "Films (Non-English)")
    assert page.problems == []


def test_country_then_title(page: Any, server_url: str, browser_warehouse: Path, artifacts: Path) -> None:
    page.goto(server_url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Countries").click()
    page.wait_for_url("**/countries")
    page.get_by_role("link", name="South Korea").click()
    page.wait_for_url("**/countries/KR")
    with Warehouse(browser_warehouse, read_only=True) as warehouse:
        films = [(str(row["rank"]), row["title_id"], str(row["cumulative_weeks"]))
                 for row in weekly_list(warehouse, WEEKS[-1], category="Films", country="KR")]
        facts = title_facts(warehouse, "F15")
    shown = page.eval_on_selector_all(
        "#films tbody tr[data-title-id]",
        """rows => rows.map(row => [row.querySelector('[data-label="Rank"]').textContent.trim(), row.dataset.titleId,
                                    row.querySelector('[data-label="Weeks in Top 10"]').textContent.trim()])""")
    assert [tuple(row) for row in shown] == films
    page.screenshot(path=str(artifacts / "web-country-desktop.png"), full_page=True)

    page.locator("#films").get_by_role("link", name="Seoul Nights").click()
    page.wait_for_url("**/titles/F15")
    assert page.get_by_role("heading", level=1).text_content() == "Seoul Nights"
    chart = page.get_by_role("img", name="Weekly rank of Seoul Nights")
    assert chart.is_visible()
    assert page.locator("#rank-chart circle").count() == facts["weeks_in_top_10"]
    history = page.eval_on_selector_all("tr[data-week]", "rows => rows.map(r => r.querySelector('[data-label=\"Rank\"]').textContent.trim())")
    assert history == [str(row["rank"]) for row in facts["history"]]
    page.screenshot(path=str(artifacts / "web-title-desktop.png"), full_page=True)
    page.get_by_role("navigation", name="Week ending, country lists").get_by_role("link", name="Previous week").click()
    page.wait_for_url(f"**/titles/F15/weeks/{WEEKS[-2]}")
    assert page.locator("tr[data-country]").count() > 0
    assert page.problems == []


def test_title_to_its_fact_sheet_and_on_to_its_sources(page: Any, server_url: str, browser_warehouse: Path,
                                                       artifacts: Path) -> None:
    with Warehouse(browser_warehouse, read_only=True) as warehouse:
        sheet = factsheet(warehouse, "S01-2")
    page.goto(server_url + "/titles/S01-2")
    page.get_by_role("link", name="Press fact sheet").click()
    page.wait_for_url("**/titles/S01-2/factsheet")
    debut = page.locator('tr[data-figure="debut"]')
    assert debut.locator('[data-label="Value"]').text_content().startswith(f"No. {sheet['debut']['rank']} in ")
    page.screenshot(path=str(artifacts / "web-factsheet-desktop.png"), full_page=True)
    debut.get_by_role("link").click()  # the edition the debut figure came from
    page.wait_for_url(f"**/weeks/{sheet['debut']['week']}")
    assert page.locator('tr[data-title-id="S01-2"]').count() >= 1
    assert page.problems == []


def test_hostile_title_is_shown_as_text(page: Any, server_url: str) -> None:
    page.goto(server_url + "/")
    assert page.locator("#films-english tbody tr").first.get_by_role("link").text_content() == HOSTILE
    page.locator("#films-english tbody tr").first.get_by_role("link").click()
    page.wait_for_url("**/titles/F01")
    assert page.get_by_role("heading", level=1).text_content() == HOSTILE
    page.goto(server_url + "/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert page.locator("#search-query").input_value() == HOSTILE
    assert page.problems == []  # no alert dialog, no script error, no CSP violation


def test_without_javascript_every_list_is_on_the_page(browser: Any, server_url: str, browser_warehouse: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server_url + "/")
    for panel, category in (("films-english", "Films (English)"), ("tv-non-english", "TV (Non-English)")):
        assert page.locator(f"#{panel}").is_visible()
        assert shown_list(page, panel) == expected_list(browser_warehouse, WEEKS[-1], category)
    page.get_by_role("link", name="TV (English)").click()
    assert page.url.endswith("#tv-english")
    context.close()


def test_phone_layout_stacks_and_does_not_overflow(browser: Any, server_url: str, artifacts: Path) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    for path, name in (("/", "home"), ("/countries/KR", "country"), ("/titles/F15", "title"), ("/countries", "countries")):
        page.goto(server_url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        page.screenshot(path=str(artifacts / f"web-{name}-phone.png"), full_page=True)
    page.goto(server_url + "/")
    assert page.eval_on_selector("#films-english tbody tr", "row => getComputedStyle(row).display") == "flex"
    first_screen = page.eval_on_selector_all(
        "#films-english tbody tr", f"rows => rows.filter(row => row.getBoundingClientRect().bottom <= {PHONE['height']}).length")
    assert first_screen >= 5  # a phone's first screen shows several entries, not one and a half
    assert not page.locator("#films-english thead").is_visible() or page.eval_on_selector(
        "#films-english thead", "head => head.getBoundingClientRect().height") <= 1
    context.close()


def test_keyboard_focus_is_visible(page: Any, server_url: str) -> None:
    page.goto(server_url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
