"""The press fact sheet on a hand-computed case: every figure, and the edition or rollup window
each one came from."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from builders import build_warehouse, plays, season
from click.testing import CliRunner

from viewrank import NotFound, Warehouse
from viewrank.cli.main import cli
from viewrank.cli.render import render_factsheet as render_markdown
from viewrank.reports.factsheet import factsheet

D = dt.date.fromisoformat


def episode(title_id: str, number: int, available: str) -> dict:
    return {"episode_id": f"{title_id}-E{number}", "title_id": title_id, "episode_number": number,
            "runtime_seconds": 3600, "available_date": available}


@pytest.fixture(scope="module")
def gamma(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Gamma season 2 premieres Thursday 10-15 (episode 2 on 10-22); season 1 premiered 09-03.
    Delta, an older season, is watched in the same first weekend. Charted weeks: 10-18 and 10-25.

    S2: 6 h in the US on 10-15, 2 h in GB on 10-16, 4 h on 10-20, 2 h on 11-11 (its 28th day).
    S1: 3 h on 09-03, 1 h on 10-16. Delta: 10 h on 10-15."""
    titles = [season("S1", "Gamma", 1, released="2026-09-03"), season("S2", "Gamma", 2, released="2026-10-15"),
              season("DL", "Delta", 1, released="2026-01-01")]
    episodes = [episode("S1", 1, "2026-09-03"), episode("S2", 1, "2026-10-15"), episode("S2", 2, "2026-10-22"),
                episode("DL", 1, "2026-01-01")]
    events = (plays("S2-E1", day="2026-10-15", count=6, episode=True)
              + plays("S2-E1", day="2026-10-16", count=2, episode=True, country="GB")
              + plays("S2-E1", day="2026-10-20", count=4, episode=True)
              + plays("S2-E2", day="2026-11-11", count=2, episode=True)
              + plays("S2-E2", day="2026-11-12", count=30, episode=True)   # its 29th day
              + plays("S1-E1", day="2026-09-03", count=3, episode=True)
              + plays("S1-E1", day="2026-10-16", count=1, episode=True)
              + plays("DL-E1", day="2026-10-15", count=10, episode=True))
    with build_warehouse(tmp_path_factory.mktemp("gamma"), titles=titles, episodes=episodes, events=events,
                         weeks=["2026-10-18", "2026-10-25"]) as warehouse:
        return warehouse.path


@pytest.fixture
def warehouse(gamma: Path):
    with Warehouse(gamma, read_only=True) as opened:
        yield opened


def edition(edition_id: int, scope: str, week: str) -> dict:
    return {"kind": "edition", "scope": scope, "edition_id": edition_id, "revision": 1, "week": D(week),
            "origin": "computed"}


def rollups(start: str, end: str) -> dict:
    return {"kind": "rollups", "from": D(start), "to": D(end)}


def test_fact_sheet_figures_and_their_sources(warehouse: Warehouse) -> None:
    sheet = factsheet(warehouse, "Gamma: Season 2")
    assert sheet["title"]["title_id"] == "S2"
    assert sheet["first_weekend"] == {
        "start": D("2026-10-15"), "end": D("2026-10-18"), "days": 4, "week": D("2026-10-18"), "label": "first weekend",
        "hours_viewed": 8.0, "views": 8.0, "source": rollups("2026-10-15", "2026-10-18"),
        # TV (English) over 10-15..10-18: Delta 10 views, Gamma 2 8, Gamma 1 1.
        "place": {"rank": 2, "of": 3, "category": "TV (English)", "percentile": 50.0}}
    assert sheet["debut"] == {"week": D("2026-10-18"), "category": "TV (English)", "rank": 2, "hours_viewed": 8.0,
                              "views": 8.0, "source": edition(1, "global", "2026-10-18")}
    assert (sheet["weeks_in_top_10"], sheet["peak_rank"], sheet["weeks_at_peak"]) == (2, 1, 1)
    # Week 10-25: 4 hours over two episodes (2 hours) = 2 views, alone on the list.
    assert [(week["week"], week["rank"], week["views"], week["source"]) for week in sheet["weeks"]] == [
        (D("2026-10-18"), 2, 8.0, edition(1, "global", "2026-10-18")),
        (D("2026-10-25"), 1, 2.0, edition(3, "global", "2026-10-25"))]
    countries = sheet["countries"]
    assert countries["debut_week"] | {"ranks": None} == {
        "week": D("2026-10-18"), "count": 2, "of": 2, "number_one": ["United Kingdom"], "ranks": None,
        "source": edition(2, "country", "2026-10-18")}
    assert [(week["week"], week["count"], week["number_one"]) for week in countries["by_week"]] == [
        (D("2026-10-18"), 2, ["United Kingdom"]), (D("2026-10-25"), 1, ["United States"])]
    # First 28 days 10-15..11-11: 6 + 2 + 4 + 2 = 14 hours over 2 hours = 7 views; day 29 is left out.
    assert sheet["first_28_days"] == {
        "days": 28, "from": D("2026-10-15"), "to": D("2026-11-11"), "complete": True, "hours_viewed": 14.0,
        "runtime_hours": 2.0, "views": 7.0, "source": rollups("2026-10-15", "2026-11-11"),
        "place": {"rank": 2, "of": 3, "category": "TV (English)", "percentile": 50.0}}
    assert sheet["first_91_days"] == {"days": 91, "from": D("2026-10-15"), "to": D("2027-01-13"), "complete": False,
                                      "reason": "the rollups cover 2026-09-03 to 2026-11-12"}
    [season_one] = sheet["seasons"]
    assert season_one["first_weekend"] == {"start": D("2026-09-03"), "end": D("2026-09-06"), "days": 4,
                                           "label": "first weekend",
                                           "hours_viewed": 3.0, "views": 3.0, "source": rollups("2026-09-03", "2026-09-06")}
    assert season_one["debut"] == {"week": D("2026-10-18"), "category": "TV (English)", "rank": 3,
                                   "source": edition(1, "global", "2026-10-18")}
    assert (season_one["first_28_days"]["hours_viewed"], season_one["first_28_days"]["views"]) == (3.0, 3.0)


def test_fact_sheet_numbers_match_the_editions_they_cite(warehouse: Warehouse) -> None:
    sheet = factsheet(warehouse, "S2")
    for week in sheet["weeks"]:
        cited = warehouse.rows("SELECT rank, views FROM chart_entries WHERE edition_id = ? AND title_key = "
                               "(SELECT title_key FROM titles WHERE title_id = 'S2')", [week["source"]["edition_id"]])
        assert cited == [{"rank": week["rank"], "views": week["views"]}]


def test_fact_sheet_as_markdown(warehouse: Warehouse) -> None:
    assert render_markdown(factsheet(warehouse, "S2")) == """# Gamma: Season 2

Season · en · released 2026-10-15 · id `S2`

Within its first weekend (15-18 October 2026), Gamma: Season 2 had 8 hours viewed and 8 views, ranked [No. 2 on the weekly global Top 10 list for English-language TV][1] and appeared in the Top 10 in [2 countries][2]. It spent [2 weeks in the global Top 10][3], [1 of them][3] at No. 1. At its peak it was in the Top 10 in [2 countries][2] (week ending 18 October 2026) and No. 1 in [1 country][2], No. 1 somewhere in [2 weeks][3].

[1]: /weeks/2026-10-18 "global edition 1 revision 1 (week 2026-10-18, computed)"
[2]: /weeks/2026-10-18/countries "country edition 2 revision 1 (week 2026-10-18, computed)"
[3]: /titles/S2 "global history of S2"

| Figure | Value | Source |
|---|---|---|
| First weekend (2026-10-15 to 2026-10-18, 4 days) | 8 hours viewed, 8 views; No. 2 of 3 in TV (English) over the same days (percentile 50) | rollups 2026-10-15 to 2026-10-18 |
| Debut | No. 2 in TV (English), week ending 2026-10-18 | global edition 1 revision 1 (week 2026-10-18, computed) |
| Weeks in the Top 10 | 2 (peak No. 1, 1 week there) | editions 1, 3 |
| Countries, first week 2026-10-18 | Top 10 in 2 of 2 countries; No. 1 in United Kingdom | country edition 2 revision 1 (week 2026-10-18, computed) |
| Most countries in one week | 2 in the week ending 2026-10-18 | country edition 2 revision 1 (week 2026-10-18, computed) |
| Most No. 1 countries in one week | 1 in the week ending 2026-10-18 (No. 1 somewhere in 2 weeks) | country edition 2 (week 2026-10-18) |
| First 28 days (2026-10-15 to 2026-11-11) | 14 hours viewed, 7 views; No. 2 of 3 in TV (English) over the same days (percentile 50) | rollups 2026-10-15 to 2026-11-11 |
| First 91 days (2026-10-15 to 2027-01-13) | not complete: the rollups cover 2026-09-03 to 2026-11-12 | none |

## Other seasons

| Season | Released | Debut | First weekend | First 28 days |
|---|---|---|---|---|
| Gamma: Season 1 | 2026-09-03 | No. 3, week ending 2026-10-18 | 3 hours viewed, 3 views | 3 hours viewed, 3 views |
"""


def test_factsheet_command(gamma: Path) -> None:
    result = CliRunner().invoke(cli, ["factsheet", "Gamma: Season 1", "--json", "--warehouse", str(gamma)])
    assert result.exit_code == 0, result.output
    sheet = json.loads(result.output)
    assert (sheet["title"]["title_id"], sheet["debut"]["rank"], [s["title_id"] for s in sheet["seasons"]]) == (
        "S1", 3, ["S2"])
    result = CliRunner().invoke(cli, ["factsheet", "Gamma", "--warehouse", str(gamma)])
    assert result.exit_code == 1 and result.output.startswith("Error: 'Gamma' names 2 titles, give its title id")


def test_unknown_title(warehouse: Warehouse) -> None:
    with pytest.raises(NotFound, match="no title named 'Omega'"):
        factsheet(warehouse, "Omega")


def test_fact_sheet_without_rollups(tmp_path: Path) -> None:
    """A warehouse of imported charts has no viewing to measure windows on."""
    warehouse = build_warehouse(tmp_path, titles=[season("S1", "Gamma", 1, released="2026-09-03")], events=[], weeks=[])
    sheet = factsheet(warehouse, "S1")
    assert (sheet["debut"], sheet["weeks"], sheet["countries"], sheet["seasons"]) == (None, [], None, [])
    assert sheet["first_28_days"] == {"days": 28, "from": D("2026-09-03"), "to": D("2026-09-30"), "complete": False,
                                      "reason": "nothing is rolled up"}
    assert "| First 28 days (2026-09-03 to 2026-09-30) | not complete: nothing is rolled up | none |" in render_markdown(sheet)


def test_facts_the_fact_sheet_and_the_title_page_read_one_history(warehouse: Warehouse) -> None:
    """One title history (reports/history.py): the facts, the fact sheet and the site's title page
    show the same weeks with the same figures."""
    from viewrank.reports.facts import title_facts
    from viewrank.reports.history import title_history
    from viewrank.web.pages import _title_context

    key = warehouse.scalar("SELECT title_key FROM titles WHERE title_id = 'S2'")
    history = title_history(warehouse, key)
    assert [(row["week"], row["rank"], row["views"], row["edition_id"]) for row in history] == [
        (D("2026-10-18"), 2, 8.0, 1), (D("2026-10-25"), 1, 2.0, 3)]
    shown = ("week", "category", "rank", "hours_viewed", "views")
    assert title_facts(warehouse, "S2")["history"] == [{name: row[name] for name in shown} for row in history]
    assert [{name: week[name] for name in shown} for week in factsheet(warehouse, "S2")["weeks"]] == \
        [{name: row[name] for name in shown} for row in history]
    page = _title_context(warehouse, "S2")["history"]
    assert [{name: row[name] for name in row if name != "countries"} for row in page] == history
