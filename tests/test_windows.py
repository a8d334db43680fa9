"""Lists over any window (a day, a date range, each title's first N days) and specialty lists,
pinned on small hand-computed cases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Iterator

import pytest
from builders import build_warehouse, film, plays, season
from click.testing import CliRunner

from viewrank import NotFound, SettingsError, Warehouse
from viewrank.charts.lists import window_lists
from viewrank.charts.windows import date_window, first_days_window
from viewrank.cli.main import cli

D = dt.date.fromisoformat


def ids(result: dict, category: str) -> list[str]:
    return [row["title_id"] for row in result["lists"][category]]


def figures(result: dict, category: str) -> list[tuple]:
    return [(row["title_id"], row["hours_viewed"], row["runtime_hours"], row["views"]) for row in result["lists"][category]]


@pytest.fixture(scope="module")
def service_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A: 1-hour film, B: 2-hour film, K: Korean film, S: a season gaining its second episode on 11-11."""
    titles = [film("A", "Alpha", runtime=3600), film("B", "Beta", runtime=7200),
              film("K", "Kimchi", language="ko", runtime=3600) | {"genre": "Animation", "is_kids": "true"},
              season("S", "Sigma", 1, released="2026-11-01") | {"genre": "drama"}]
    episodes = [{"episode_id": "S-E1", "title_id": "S", "episode_number": 1, "runtime_seconds": 3600,
                 "available_date": "2026-11-01"},
                {"episode_id": "S-E2", "title_id": "S", "episode_number": 2, "runtime_seconds": 3600,
                 "available_date": "2026-11-11"}]
    events = (plays("A", day="2026-11-10", count=3, seconds=3600)                     # 3 h, 3 views
              + plays("B", day="2026-11-10", count=2, seconds=7200, country="GB")     # 4 h, 2 views
              + plays("K", day="2026-11-10", count=4, seconds=1800, country="KR")     # 2 h, 2 views
              + plays("S-E1", day="2026-11-10", count=2, seconds=3600, episode=True)  # 2 h over 1 h: 2 views
              + plays("A", day="2026-11-11", count=10, seconds=3600)
              + plays("S-E2", day="2026-11-11", count=6, seconds=3600, episode=True))
    with build_warehouse(tmp_path_factory.mktemp("windows"), titles=titles, episodes=episodes, events=events,
                         weeks=[]) as warehouse:
        return warehouse.path


@pytest.fixture
def service(service_path: Path) -> Iterator[Warehouse]:
    """Read-only, so that the commands can open it too."""
    with Warehouse(service_path, read_only=True) as warehouse:
        yield warehouse


def test_daily_lists_global_per_category(service: Warehouse) -> None:
    result = window_lists(service, date_window(service, D("2026-11-10"), D("2026-11-10")))
    assert (result["window"], result["scope"], result["rank_by"]) == (
        {"from": D("2026-11-10"), "to": D("2026-11-10"), "days": 1}, "global", "views")
    assert figures(result, "Films (English)") == [("A", 3.0, 1.0, 3.0), ("B", 4.0, 2.0, 2.0)]
    assert figures(result, "Films (Non-English)") == [("K", 2.0, 1.0, 2.0)]
    assert figures(result, "TV (English)") == [("S", 2.0, 1.0, 2.0)]   # one episode out on 11-10
    assert result["lists"]["TV (Non-English)"] == []


def test_daily_lists_per_country(service: Warehouse) -> None:
    day = date_window(service, D("2026-11-10"), D("2026-11-10"))
    us = window_lists(service, day, country="us")
    assert (us["country"], ids(us, "Films"), ids(us, "TV")) == ("US", ["A"], ["S"])
    gb = window_lists(service, day, country="GB")
    assert (ids(gb, "Films"), ids(gb, "TV")) == (["B"], [])
    assert ids(window_lists(service, day, country="KR"), "Films") == ["K"]


def test_rank_by_hours_reverses_views(service: Warehouse) -> None:
    day = date_window(service, D("2026-11-10"), D("2026-11-10"))
    assert ids(window_lists(service, day, rank_by="hours"), "Films (English)") == ["B", "A"]
    assert window_lists(service, day, rank_by="hours")["rank_by"] == "hours"


def test_date_range_sums_days_and_takes_runtime_at_its_end(service: Warehouse) -> None:
    result = window_lists(service, date_window(service, D("2026-11-10"), D("2026-11-11")))
    assert figures(result, "Films (English)") == [("A", 13.0, 1.0, 13.0), ("B", 4.0, 2.0, 2.0)]
    # Sigma: 2 + 6 hours; by 11-11 both episodes are out, so the runtime is 2 hours and views 8 / 2.
    assert figures(result, "TV (English)") == [("S", 8.0, 2.0, 4.0)]


def test_a_window_outside_the_rolled_up_days_is_refused(service: Warehouse) -> None:
    with pytest.raises(NotFound, match="not inside the rolled-up days 2026-11-10 to 2026-11-11"):
        date_window(service, D("2026-11-09"), D("2026-11-11"))
    with pytest.raises(NotFound, match="ends .* before it starts"):
        date_window(service, D("2026-11-11"), D("2026-11-10"))


def test_first_days_windows_measure_each_title_from_its_own_premiere(tmp_path: Path) -> None:
    titles = [film("P0", "Old", released="2026-11-01"), film("P1", "First", released="2026-11-10"),
              film("P2", "Second", released="2026-11-11"), film("P3", "Late", released="2026-11-12"),
              season("Q", "Quartz", 1, released="2026-11-10")]
    episodes = [{"episode_id": f"Q-E{n}", "title_id": "Q", "episode_number": n, "runtime_seconds": 3600,
                 "available_date": day} for n, day in ((1, "2026-11-10"), (2, "2026-11-12"), (3, "2026-11-14"))]
    events = (plays("P0", day="2026-11-10", count=50)               # premiered before the rolled-up days
              + plays("P1", day="2026-11-10", count=2) + plays("P1", day="2026-11-12", count=3)
              + plays("P1", day="2026-11-13", count=10)             # day 4 of P1: outside its 3 days
              + plays("P2", day="2026-11-11", count=4)
              + plays("P3", day="2026-11-12", count=40)             # its 3rd day (11-14) is not rolled up
              + plays("Q-E1", day="2026-11-10", count=4, episode=True))
    warehouse = build_warehouse(tmp_path, titles=titles, episodes=episodes, events=events, weeks=[])
    window = first_days_window(warehouse, 3)
    result = window_lists(warehouse, window)
    assert result["window"] == {"first_days": 3, "premieres_from": D("2026-11-10"), "premieres_to": D("2026-11-11")}
    assert figures(result, "Films (English)") == [("P1", 5.0, 2.0, 2.5), ("P2", 4.0, 2.0, 2.0)]
    rows = result["lists"]["Films (English)"]
    assert [(row["window_from"], row["window_to"]) for row in rows] == [
        (D("2026-11-10"), D("2026-11-12")), (D("2026-11-11"), D("2026-11-13"))]
    # Quartz at the end of its own window (11-12): two episodes, 2 hours; 4 hours viewed = 2 views.
    assert figures(result, "TV (English)") == [("Q", 4.0, 2.0, 2.0)]


def test_most_popular_by_viewers_beside_most_watched(tmp_path: Path) -> None:
    titles = [film("V1", "Binge", runtime=3600), film("V2", "Crowd", runtime=3600)]
    one_account = [row | {"account_id": "fan"} for row in plays("V1", day="2026-11-10", count=10)]
    events = one_account + plays("V2", day="2026-11-10", count=3)
    warehouse = build_warehouse(tmp_path, titles=titles, events=events, settings={"distinct_sketches": True}, weeks=[])
    day = date_window(warehouse, D("2026-11-10"), D("2026-11-10"))
    assert ids(window_lists(warehouse, day), "Films (English)") == ["V1", "V2"]          # 10 views against 3
    by_viewers = window_lists(warehouse, day, rank_by="viewers")
    assert [(row["title_id"], row["viewers"]) for row in by_viewers["lists"]["Films (English)"]] == [("V2", 3), ("V1", 1)]
    assert by_viewers["viewers"] == "estimated"
    exact = window_lists(warehouse, day, rank_by="viewers", exact_viewers=True)
    assert ([(row["title_id"], row["viewers"]) for row in exact["lists"]["Films (English)"]], exact["viewers"]) == (
        [("V2", 3), ("V1", 1)], "exact")
    with_audience = window_lists(warehouse, day, audience=True)["lists"]["Films (English)"]
    assert [(row["title_id"], row["viewers"], row["accounts"], row["starters"], row["watchers"], row["completers"])
            for row in with_audience] == [("V1", 1, 1, 1, 1, 1), ("V2", 3, 3, 3, 3, 3)]


# -- specialty lists -----------------------------------------------------------------------------

SPECIALTY = {
    "kids": {"kids": True},
    "originals": {"originals_only": True},
    "dramas": {"genres": ["Drama"], "description": "Drama"},
    "korean": {"languages": ["ko"]},
    "uk": {"countries": ["gb"]},
    "kids-films-in-korea": {"kids": True, "kinds": ["film"], "countries": ["KR"]},
    "childrens": {"genres": ["Children's"]},
}


@pytest.fixture(scope="module")
def specialty(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    titles = [film("A", "Alpha") | {"genre": "Drama"}, film("L", "Licensed", original=False) | {"genre": "comedy"},
              film("K", "Kids Film", language="ko") | {"genre": "animation", "is_kids": "true"},
              film("C", "Story Time") | {"genre": "Children's", "is_kids": "true"},
              season("S", "Kids Show", 1) | {"genre": "animation", "is_kids": "true"}]
    episodes = [{"episode_id": "S-E1", "title_id": "S", "episode_number": 1, "runtime_seconds": 3600}]
    events = (plays("A", day="2026-11-10", count=5) + plays("A", day="2026-11-10", count=1, country="GB")
              + plays("L", day="2026-11-10", count=4) + plays("L", day="2026-11-10", count=2, country="GB")
              + plays("K", day="2026-11-10", count=3, country="KR") + plays("K", day="2026-11-10", count=1)
              + plays("C", day="2026-11-10", count=2)
              + plays("S-E1", day="2026-11-10", count=2, episode=True, country="KR"))
    return build_warehouse(tmp_path_factory.mktemp("specialty"), titles=titles, episodes=episodes, events=events,
                           settings={"specialty_lists": json.dumps(SPECIALTY)}, weeks=[])


@pytest.mark.parametrize("name, expected", [
    ("kids", {"Films (English)": ["C"], "Films (Non-English)": ["K"], "TV (English)": ["S"]}),
    ("originals", {"Films (English)": ["A", "C"], "Films (Non-English)": ["K"], "TV (English)": ["S"]}),
    ("dramas", {"Films (English)": ["A"]}),
    ("korean", {"Films (Non-English)": ["K"]}),
    ("uk", {"Films (English)": ["L", "A"]}),               # GB viewing only: L 2 views, A 1
    ("kids-films-in-korea", {"Films (Non-English)": ["K"]}),  # the kids season is TV; C is not watched in KR
    ("childrens", {"Films (English)": ["C"]}),
])
def test_specialty_list_filters(specialty: Warehouse, name: str, expected: dict) -> None:
    result = window_lists(specialty, date_window(specialty, D("2026-11-10"), D("2026-11-10")), list_name=name)
    assert result["list"] == name
    assert {category: ids(result, category) for category in result["lists"] if result["lists"][category]} == expected


def test_specialty_list_counts_only_its_countries(specialty: Warehouse) -> None:
    result = window_lists(specialty, date_window(specialty, D("2026-11-10"), D("2026-11-10")), list_name="uk")
    assert [(row["title_id"], row["hours_viewed"]) for row in result["lists"]["Films (English)"]] == [("L", 2.0), ("A", 1.0)]


def test_specialty_list_with_a_country_list(specialty: Warehouse) -> None:
    result = window_lists(specialty, date_window(specialty, D("2026-11-10"), D("2026-11-10")), list_name="kids",
                          country="KR")
    assert (ids(result, "Films"), ids(result, "TV")) == (["K"], ["S"])


def test_unknown_specialty_list_names_the_defined_ones(specialty: Warehouse) -> None:
    with pytest.raises(NotFound, match="no specialty list named 'horror' .defined: childrens, dramas, kids, "
                                       "kids-films-in-korea, korean, originals, uk"):
        window_lists(specialty, date_window(specialty, D("2026-11-10"), D("2026-11-10")), list_name="horror")


@pytest.mark.parametrize("definition, message", [
    ({"x": {"genres": ["drama'; DROP TABLE titles; --"]}}, "list 'x' genres: expected a short name"),
    ({"x": {"sql": "TRUE"}}, "list 'x': unknown field 'sql'"),
    ({"x": {"kids": "yes"}}, "list 'x' kids: expected true or false"),
    ({"x": {"countries": ["USA"]}}, "list 'x' countries: expected an ISO 3166-1 alpha-2 country code"),
    ({"x": {"languages": []}}, "list 'x' languages: expected a non-empty list"),
    ({"Bad Name": {}}, "list name 'Bad Name': use lower-case letters"),
])
def test_specialty_definitions_are_validated_never_pasted_into_sql(tmp_path: Path, definition: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Warehouse.init(tmp_path / "w", {"specialty_lists": json.dumps(definition)})


def test_a_specialty_list_naming_an_unknown_country_is_refused_when_used(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path, titles=[film("A", "Alpha")], events=plays("A", day="2026-11-10"),
                                settings={"specialty_lists": json.dumps({"nowhere": {"countries": ["XX"]}})}, weeks=[])
    with pytest.raises(SettingsError, match="specialty list 'nowhere': unknown country code 'XX'"):
        window_lists(warehouse, date_window(warehouse, D("2026-11-10"), D("2026-11-10")), list_name="nowhere")


# -- the commands ------------------------------------------------------------------------------------

def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_daily_and_window_commands(service: Warehouse) -> None:
    where = ("--warehouse", str(service.path))
    assert run("daily", "--day", "2026-11-10", "--country", "GB", *where) == (
        "Films, in GB, 2026-11-10, by views\n"
        "#  Title  Hours viewed  Views\n"
        "-  -----  ------------  -----\n"
        "1  Beta              4      2\n"
        "\n"
        "TV, in GB, 2026-11-10, by views\n"
        "#  Title  Hours viewed  Views\n"
        "-  -----  ------------  -----\n")
    daily = json.loads(run("daily", "--day", "2026-11-10", "--json", *where))
    assert [row["title_id"] for row in daily["lists"]["Films (English)"]] == ["A", "B"]
    window = json.loads(run("window", "--from", "2026-11-10", "--to", "2026-11-11", "--rank-by", "hours", "--json", *where))
    assert [row["title_id"] for row in window["lists"]["Films (English)"]] == ["A", "B"]
    first = json.loads(run("window", "--first-days", "1", "--json", *where))
    assert first["window"] == {"first_days": 1, "premieres_from": "2026-11-10", "premieres_to": "2026-11-11"}
    kids = json.loads(run("window", "--from", "2026-11-10", "--to", "2026-11-10", "--list", "kids", "--json", *where))
    assert [row["title_id"] for rows in kids["lists"].values() for row in rows] == ["K"]


def test_window_command_errors_are_one_line(service: Warehouse) -> None:
    result = CliRunner().invoke(cli, ["window", "--from", "2026-11-01", "--to", "2026-11-11", "--warehouse", str(service.path)])
    assert (result.exit_code, result.output) == (
        1, "Error: 2026-11-01 to 2026-11-11 is not inside the rolled-up days 2026-11-10 to 2026-11-11\n")
    result = CliRunner().invoke(cli, ["window", "--week", "2026-11-15", "--first-days", "3",
                                      "--warehouse", str(service.path)])
    assert (result.exit_code, result.output) == (
        1, "Error: give exactly one of --from and --to, --week, or --first-days (see 'viewrank window --help')\n")
