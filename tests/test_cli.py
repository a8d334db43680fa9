"""The command line end to end on a tiny service: every step, its text and its --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from builders import EPISODE_FIELDS, EVENT_FIELDS, TITLE_FIELDS, film, plays, season, write_csv
from click.testing import CliRunner

from viewrank.cli.main import cli


@pytest.fixture
def service(tmp_path: Path) -> dict[str, Path]:
    titles = [film("F1", "Alpha", released="2026-11-12"), film("F2", "Beta", language="ko", runtime=5400),
              season("S1", "Gamma", 1, released="2026-11-09")]
    episodes = [{"episode_id": "E1", "title_id": "S1", "episode_number": 1, "runtime_seconds": 3000, "available_date": "2026-11-09"},
                {"episode_id": "E2", "title_id": "S1", "episode_number": 2, "runtime_seconds": 3000, "available_date": "2026-11-13"}]
    events = (plays("F1", day="2026-11-12", count=30, seconds=7200) + plays("F1", day="2026-11-14", count=5, country="GB")
              + plays("F2", day="2026-11-09", count=12, seconds=5400, country="KR")
              + plays("E1", day="2026-11-15", count=40, seconds=3000, episode=True, country="GB"))
    return {"titles": write_csv(tmp_path / "titles.csv", TITLE_FIELDS, titles),
            "episodes": write_csv(tmp_path / "episodes.csv", EPISODE_FIELDS, episodes),
            "events": write_csv(tmp_path / "events.csv", EVENT_FIELDS, events),
            "warehouse": tmp_path / "wh", "out": tmp_path / "out"}


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_whole_pipeline_from_the_command_line(service: dict[str, Path]) -> None:
    env = {"VIEWRANK_WAREHOUSE": str(service["warehouse"])}
    assert run("init", env=env) == f"Created warehouse {service['warehouse']}\n"
    assert run("catalog", str(service["titles"]), str(service["episodes"]), env=env) == (
        f"{service['titles']}: 3 titles added, 0 updated\n{service['episodes']}: 2 episodes added, 0 updated\n")
    assert run("ingest", str(service["events"]), env=env) == (
        f"{service['events']}: 87 rows read, 87 loaded, 0 quarantined, 0 duplicates\n")
    assert run("rollup", env=env) == "Rolled up 4 days (87 events) with auto\n"
    assert run("charts", "--week", "2026-11-15", env=env) == "Charted 1 weeks: 2 new editions, 0 unchanged\n"
    run("export", "--out", str(service["out"]), env=env)
    assert (service["out"] / "all-weeks-global.tsv").read_text().splitlines() == [
        "week\tcategory\tweekly_rank\tshow_title\tseason_title\tweekly_hours_viewed\truntime\tweekly_views\t"
        "cumulative_weeks_in_top_10",   # Netflix's current layout
        "2026-11-15\tFilms (English)\t1\tAlpha\tN/A\t0\t2\t0\t1",
        "2026-11-15\tFilms (Non-English)\t1\tBeta\tN/A\t0\t1.5\t0\t1",
        "2026-11-15\tTV (English)\t1\tGamma\tGamma: Season 1\t0\t1.6667\t0\t1",
    ]
    assert (service["out"] / "all-weeks-countries.tsv").read_text().splitlines() == [
        "country_name\tcountry_iso2\tweek\tcategory\tweekly_rank\tshow_title\tseason_title\tcumulative_weeks_in_top_10",
        "South Korea\tKR\t2026-11-15\tFilms\t1\tBeta\tN/A\t1",
        "United Kingdom\tGB\t2026-11-15\tFilms\t1\tAlpha\tN/A\t1",
        "United Kingdom\tGB\t2026-11-15\tTV\t1\tGamma\tGamma: Season 1\t1",
        "United States\tUS\t2026-11-15\tFilms\t1\tAlpha\tN/A\t1",
    ]
    assert run("facts", "Alpha", "--warehouse", str(service["warehouse"])) == (
        "Alpha  (film, id F1)\n"
        "First weekend:   2026-11-12 to 2026-11-15 (4 days): 65 hours viewed, 32 views\n"
        "Debut:           No. 1 in Films (English), week ending 2026-11-15\n"
        "Weeks in Top 10: 1 (peak No. 1, 1 week there)\n"
        "Countries:       Top 10 in 2 of 3 countries in the week ending 2026-11-15; No. 1 in 2: United Kingdom, United States\n"
        "Peak countries:  2 of 3 in the week ending 2026-11-15; most No. 1s: 2 in the week ending 2026-11-15, "
        "No. 1 somewhere in 1 week\n"
        "Country weeks:   United Kingdom 1, United States 1\n")
    facts = json.loads(run("facts", "S1", "--json", env=env))["facts"]
    assert facts["first_week"]["hours_viewed"] == pytest.approx(40 * 3000 / 3600)
    assert facts["first_week"]["views"] == pytest.approx(40 * 3000 / 6000)
    lists = {item["category"]: item["entries"] for item in json.loads(run("lists", "--country", "gb", "--json", env=env))["lists"]}
    assert [(r["rank"], r["title_id"]) for r in lists["Films"]] == [(1, "F1")]
    assert json.loads(run("titles", "--search", "GAM", "--json", env=env))["items"][0]["title_id"] == "S1"


def test_ingesting_several_files_ends_with_their_total(service: dict[str, Path], tmp_path: Path) -> None:
    """A folder of hourly files prints a line a file, then one total with where the bad rows are."""
    rows = service["events"].read_text().splitlines()
    first, second = tmp_path / "logs" / "a.csv", tmp_path / "logs" / "b.csv"
    first.parent.mkdir()
    first.write_text("\n".join(rows[:50]) + "\n")
    second.write_text("\n".join([rows[0], *rows[45:], rows[1].replace(",F1,", ",NOPE,")]) + "\n")
    env = {"VIEWRANK_WAREHOUSE": str(service["warehouse"])}
    run("init", env=env)
    run("catalog", str(service["titles"]), str(service["episodes"]), env=env)
    assert run("ingest", str(first.parent), env=env).splitlines()[-1] == (
        "2 files: 93 rows read, 87 loaded, 1 quarantined, 5 duplicates; every bad row is in 'viewrank quarantine'")


def test_errors_are_one_line_and_exit_code_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["rollup", "--warehouse", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path / 'missing'} is not a viewrank warehouse (run 'viewrank init {tmp_path / 'missing'}' first)\n"
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "w"), "--set", "timezone=Mars/Base"])
    assert result.exit_code == 1
    assert "timezone: unknown time zone 'Mars/Base'" in result.output


def test_python_dash_m_is_the_same_program(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "viewrank", "init", str(tmp_path / "w")],
                            capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, f"Created warehouse {tmp_path / 'w'}\n")
    result = subprocess.run([sys.executable, "-m", "viewrank", "facts", "Nothing", "--warehouse", str(tmp_path / "w")],
                            capture_output=True, text=True, check=False)
    assert (result.returncode, result.stderr) == (1, "Error: no title named 'Nothing' (try 'viewrank titles --search')\n")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse of the real published global and country slices (weeks end on Sundays)."""
    from import_support import COUNTRIES_SLICE, GLOBAL_SLICE

    path = tmp_path_factory.mktemp("imported") / "wh"
    run("init", str(path))
    run("import", "netflix-top10", str(GLOBAL_SLICE), str(COUNTRIES_SLICE), "--warehouse", str(path), "--silent")
    return path


def fails(*args: str) -> str:
    """The stderr of a command that must fail with exit code 1 and one `Error:` line."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def test_a_week_must_be_a_week_end_day(imported: Path) -> None:
    monday = ("Error: 2023-04-24 is a Monday; weeks are labelled by their last day, a Sunday: "
              "use 2023-04-30 for the week 2023-04-24 to 2023-04-30\n")
    for command in (["lists", "--week", "2023-04-24"], ["revisions", "2023-04-24"], ["verify", "2023-04-24"],
                    ["export", "--week", "2023-04-24"], ["window", "--week", "2023-04-24"],
                    ["charts", "--week", "2023-04-24"],
                    ["import", "titles-split", "the-diplomat", "--from-week", "2023-04-24"]):
        assert fails(*command, "--warehouse", str(imported)) == monday, command
    lists = json.loads(run("lists", "--week", "2023-04-30", "--json", "--warehouse", str(imported)))
    assert next(item for item in lists["lists"] if item["category"] == "TV (English)")["entries"][0][
        "season_title"] == "The Diplomat: Season 1"


def test_a_week_without_lists_says_which_weeks_exist(imported: Path) -> None:
    message = "Error: no lists for the week ending 2023-05-21: the published weeks run from 2021-08-08 to 2025-10-26\n"
    for command in (["lists", "--week", "2023-05-21"], ["revisions", "2023-05-21"], ["export", "--week", "2023-05-21"]):
        assert fails(*command, "--warehouse", str(imported)) == message, command
    assert "2023-05-14" in run("lists", "--week", "2023-05-14", "--warehouse", str(imported))


def test_a_country_must_be_one_of_the_warehouses(imported: Path) -> None:
    unknown = "Error: 'XX' is not a country code: use an ISO 3166-1 alpha-2 code such as US, GB or KR\n"
    assert fails("lists", "--country", "XX", "--warehouse", str(imported)) == unknown
    assert fails("window", "--week", "2023-04-30", "--country", "xx", "--warehouse", str(imported)) == unknown.replace("XX", "xx")
    assert fails("lists", "--week", "2023-04-30", "--country", "AR", "--warehouse", str(imported)) == (
        "Error: no Top 10 lists for AR (Argentina) in the week ending 2023-04-30; that week has no country lists\n")
    assert fails("lists", "--week", "2023-04-23", "--country", "AD", "--warehouse", str(imported)) == (
        "Error: no Top 10 lists for AD (Andorra) in the week ending 2023-04-23; 93 countries have lists that week\n")
    argentina = json.loads(run("lists", "--week", "2023-04-23", "--country", "ar", "--json", "--warehouse", str(imported)))
    assert argentina["country"] == {"iso2": "AR", "name": "Argentina"}
    assert [row["show_title"] for row in argentina["lists"][0]["entries"][:3]] == [
        "Let Him Go", "The Last Kingdom: Seven Kings Must Die", "Hunger"]


def test_usage_errors_are_one_line_and_exit_code_1(tmp_path: Path) -> None:
    assert fails("lists", "--bogus") == "Error: No such option '--bogus' (see 'viewrank lists --help')\n"
    assert fails("revisions") == "Error: Missing argument 'WEEK' (see 'viewrank revisions --help')\n"
    assert fails("import", "nothing") == "Error: No such command 'nothing' (see 'viewrank import --help')\n"
    assert fails("lists", "--week", "2023-02-30") == (
        "Error: Invalid value for '--week': '2023-02-30' is not a date (YYYY-MM-DD) (see 'viewrank lists --help')\n")
    result = subprocess.run([sys.executable, "-m", "viewrank", "chart"], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", "Error: No such command 'chart'. Did you mean 'charts'? (see 'viewrank --help')\n")


def test_title_search_puts_names_starting_with_the_query_first(tmp_path: Path) -> None:
    titles = write_csv(tmp_path / "titles.csv", TITLE_FIELDS, [
        film("F1", "Go Go Squid"), season("S1", "Squid Game", 1), season("S2", "Squid Game", 2), film("F3", "Alpha")])
    run("init", str(tmp_path / "wh"))
    run("catalog", str(titles), "--warehouse", str(tmp_path / "wh"))
    found = json.loads(run("titles", "--search", "squid", "--json", "--warehouse", str(tmp_path / "wh")))
    assert [row["title_id"] for row in found["items"]] == ["S1", "S2", "F1"]
    assert run("titles", "--search", "squid", "--warehouse", str(tmp_path / "wh")).splitlines()[2].startswith(
        "S1  Squid Game: Season 1")


def test_figures_over_days_say_what_they_need_on_imported_lists(imported: Path, tmp_path: Path) -> None:
    needs = ("Error: this needs daily viewing from playback logs, and this warehouse holds only imported published "
             "lists: read those with 'viewrank lists', 'viewrank facts' or 'viewrank factsheet'\n")
    assert fails("daily", "--day", "2023-04-30", "--warehouse", str(imported)) == needs
    for command in (["window", "--from", "2023-04-24", "--to", "2023-04-30"], ["window", "--week", "2023-04-30"]):
        assert fails(*command, "--warehouse", str(imported)).startswith(
            "Error: a window of days (2023-04-24 to 2023-04-30) needs daily viewing from playback logs"), command
        assert "'viewrank lists --week 2023-04-30'" in fails(*command, "--warehouse", str(imported)), command
    # Most popular and the engagement report are published too: without logs they need those files.
    most_popular = ("Error: most popular by rule views91 needs playback logs rolled up ('viewrank ingest', "
                    "'viewrank rollup') or Netflix's most-popular.tsv imported "
                    "('viewrank import netflix-top10 most-popular.tsv')\n")
    assert fails("most-popular", "--warehouse", str(imported)) == most_popular
    assert fails("engagement", "--half", "2023H1", "--warehouse", str(imported)) == (
        "Error: the engagement report of 2023H1 needs playback logs rolled up over 2023-01-01 to 2023-06-30 "
        "('viewrank ingest', 'viewrank rollup') or Netflix's report for it imported "
        "('viewrank import engagement What_We_Watched_..._2023Jan-Jun.xlsx')\n")
    run("init", str(tmp_path / "empty"))
    assert fails("most-popular", "--warehouse", str(tmp_path / "empty")) == most_popular
    assert fails("daily", "--day", "2023-04-30", "--warehouse", str(tmp_path / "empty")) == (
        "Error: no playback events yet (run 'viewrank ingest', then 'viewrank rollup')\n")


def test_commands_hold_no_sql_and_read_dates_one_way() -> None:
    """The command line is a shell over the library: no SQL, no warehouse queries, one date type."""
    import re

    import viewrank.cli
    for path in Path(viewrank.cli.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b|\.execute\(|\.rows\(|\.scalar\(", text), path.name
        assert path.name == "options.py" or "fromisoformat" not in text, path.name
