"""Importing personal Netflix exports: ViewingActivity.csv as playback events through the
ordinary ingest, NetflixViewingHistory.csv as plays per title and day (never hours), and
every row loaded or accounted for."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterator

import pytest
from import_support import GLOBAL_SLICE, VIEWING, fingerprint, run, run_json

from viewrank import Warehouse
from viewrank.imports.netflix_top10 import import_top10_files
from viewrank.imports.personal import import_personal_files
from viewrank.imports.watch_titles import Parsed, WatchedTitles, split_episode
from viewrank.rollup.daily import rollup

SAMAGUIAR = VIEWING / "ViewingActivity_samaguiar_slice.csv"
ADHIKARI = VIEWING / "ViewingActivity_adhikari_slice.csv"
FELIPE = VIEWING / "NetflixViewingHistory_felipebacelo_slice.csv"
EZRANY = VIEWING / "NetflixViewingHistory_ezrany_slice.csv"
OUTCOMES = ("loaded", "duplicates", "quarantined", "untitled")


def accounted(report: dict[str, object]) -> int:
    return sum(report[name] for name in OUTCOMES) + sum(report["supplemental"].values())  # type: ignore[misc, union-attr]


def event_count(warehouse: Warehouse) -> int:
    parts = warehouse.event_part_paths()
    return warehouse.scalar("SELECT count(*) FROM read_parquet(?)", [parts]) if parts else 0


# -- names ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def top10(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """A warehouse holding the Top 10 slice (name reading only looks titles up)."""
    with Warehouse.init(tmp_path_factory.mktemp("top10") / "wh") as warehouse:
        import_top10_files(warehouse, [GLOBAL_SLICE])
        yield warehouse


@pytest.mark.parametrize("name, parsed", [
    ("Outlander: Season 1: The Way Out (Episode 3)", Parsed("tv", "Outlander", "Outlander: Season 1", "The Way Out (Episode 3)")),
    ("Anatomy of a Scandal: Limited Series: Episode 6",
     Parsed("tv", "Anatomy of a Scandal", "Anatomy of a Scandal: Limited Series", "Episode 6")),
    ("Pacific Rim: The Black: Season 2: bOy (Episode 1)",
     Parsed("tv", "Pacific Rim: The Black", "Pacific Rim: The Black: Season 2", "bOy (Episode 1)")),
    ("Disenchantment: Part 4: Bean Falls Apart (Episode 10)",
     Parsed("tv", "Disenchantment", "Disenchantment: Part 4", "Bean Falls Apart (Episode 10)")),
    ("Black Lagoon: BLACK LAGOON: The Black Lagoon (Episode 1)",
     Parsed("tv", "Black Lagoon", "Black Lagoon: BLACK LAGOON", "The Black Lagoon (Episode 1)")),
    ("Love Is Blind: S4: Seattle: Surprise (Episode 3)",   # a season title known from the Top 10
     Parsed("tv", "Love Is Blind", "Love Is Blind: S4: Seattle", "Surprise (Episode 3)")),
    ("Rise of Empires: Ottoman: The New Sultan",   # another name of the export shares its head
     Parsed("tv", "Rise of Empires", "Rise of Empires: Ottoman", "The New Sultan")),
    ("Bright: Samurai Soul", Parsed("film", "Bright: Samurai Soul", None, None)),
    ("Love Again", Parsed("film", "Love Again", None, None)),
])
def test_names_are_read_into_show_season_and_episode(top10: Warehouse, name: str, parsed: Parsed) -> None:
    titles = WatchedTitles(top10, "test", [name, "Rise of Empires: Ottoman: Through the Walls"])
    assert titles.parse(name) == parsed


def test_known_titles_are_found_by_their_whole_name(top10: Warehouse) -> None:
    titles = WatchedTitles(top10, "test", [])
    title_id, episode_id, episode = titles.resolve("The Diplomat: Season 1", dt.date(2023, 5, 1), episodes=True)
    assert title_id.startswith("the-diplomat-season-1-") and (episode_id, episode) == (None, None)
    # The film 'The Diplomat' (2025) is the only title of that name without a season.
    film_id, _, _ = titles.resolve("The Diplomat", dt.date(2025, 6, 1), episodes=True)
    assert top10.scalar("SELECT kind FROM titles WHERE title_id = ?", [film_id]) == "film"
    assert titles.new_titles == {}


def test_episode_numbers() -> None:
    assert split_episode("Castle Leoch (Episode 2)") == ("Castle Leoch", 2)
    assert split_episode("Episode 6") == (None, 6)
    assert split_episode("The Intercept") == ("The Intercept", None)


# -- ViewingActivity.csv ------------------------------------------------------------------------

def test_sessions_become_events_and_every_row_is_accounted_for(tmp_path: Path) -> None:
    run("init", tmp_path / "wh")
    report = run_json("import", "viewing-activity", SAMAGUIAR, "--warehouse", tmp_path / "wh")[0]
    assert report["rows_read"] == 150
    assert report["supplemental"] == {"HOOK": 59, "TRAILER": 13, "TEASER_TRAILER": 1, "PREVIEW": 1}
    assert (report["loaded"], report["duplicates"], report["quarantined"], report["untitled"]) == (76, 0, 0, 0)
    assert accounted(report) == report["accounted"] == report["rows_read"]
    with Warehouse(tmp_path / "wh") as warehouse:
        assert event_count(warehouse) == 76
        assert warehouse.rows("SELECT path, format, rows_read, rows_loaded FROM ingested_files") == \
            [{"path": str(SAMAGUIAR), "format": "netflix-viewing-activity", "rows_read": 76, "rows_loaded": 76}]
        assert warehouse.scalar("SELECT count(*) FROM accounts") == 1   # one profile
        # A new episode's runtime is a lower bound: the furthest position seen (00:58:08).
        leoch = warehouse.rows("""SELECT e.episode_number, e.episode_title, e.runtime_seconds, t.season_title, t.source
                                  FROM episodes e JOIN titles t USING (title_key) WHERE e.episode_title = 'Castle Leoch'""")
        assert leoch == [{"episode_number": 2, "episode_title": "Castle Leoch", "runtime_seconds": 58 * 60 + 8,
                          "season_title": "Outlander: Season 1", "source": "viewing-activity"}]
        seconds = warehouse.scalar("SELECT sum(seconds) FROM read_parquet(?)", [warehouse.event_part_paths()])
    with Warehouse(tmp_path / "wh") as warehouse:   # the events roll up like any others
        rollup(warehouse)
        assert warehouse.scalar("SELECT sum(seconds) FROM daily_rollup") == seconds
        assert warehouse.scalar("SELECT DISTINCT country FROM daily_rollup") == "US"


def test_repeated_sessions_and_overlapping_exports_are_duplicates(tmp_path: Path) -> None:
    with Warehouse.init(tmp_path / "wh") as warehouse:
        report = import_personal_files(warehouse, [ADHIKARI])[0]
        assert (report.rows_read, report.loaded, report.duplicates) == (135, 132, 3)
        # An earlier export of the same account: fewer rows, same sessions.
        older = tmp_path / "ViewingActivity.csv"
        older.write_bytes(b"\n".join(ADHIKARI.read_bytes().split(b"\n")[:1] + ADHIKARI.read_bytes().split(b"\n")[11:]))
        again = import_personal_files(warehouse, [older])[0]
        assert (again.rows_read, again.loaded, again.duplicates, again.accounted) == (125, 0, 125, 125)
        assert event_count(warehouse) == 132


def test_reimporting_an_export_changes_nothing(tmp_path: Path) -> None:
    run("init", tmp_path / "wh")
    run("import", "viewing-activity", SAMAGUIAR, "--warehouse", tmp_path / "wh")
    before = fingerprint(tmp_path / "wh")
    output = run("import", "viewing-activity", SAMAGUIAR, "--warehouse", tmp_path / "wh").output
    assert "already imported as" in output
    assert fingerprint(tmp_path / "wh") == before


def test_text_report_names_every_outcome(tmp_path: Path) -> None:
    run("init", tmp_path / "wh")
    output = run("import", "viewing-activity", SAMAGUIAR, "--warehouse", tmp_path / "wh").output
    assert ("150 rows read: 76 loaded, 0 duplicates, 0 quarantined, 0 untitled, 74 supplemental "
            "(HOOK 59, PREVIEW 1, TEASER_TRAILER 1, TRAILER 13)") in output


# -- NetflixViewingHistory.csv ------------------------------------------------------------------

def test_history_becomes_plays_never_hours(tmp_path: Path) -> None:
    run("init", tmp_path / "wh")
    output = run("import", "viewing-activity", FELIPE, EZRANY, "--warehouse", tmp_path / "wh").output
    assert "never as hours" in output
    reports = run_json("import", "sources", "--warehouse", tmp_path / "wh")
    assert [r["outcome"]["plays_loaded"] + r["outcome"]["untitled"] for r in reports] == [60, 50]
    assert [r["rows_read"] for r in reports] == [60, 50]
    assert [r["layout"]["extra"]["date_format"] for r in reports] == ["day-first", "day-first"]
    with Warehouse(tmp_path / "wh") as warehouse:
        assert warehouse.scalar("SELECT sum(plays) FROM viewing_history_plays") == 109   # 110 rows, one untitled
        assert warehouse.scalar("SELECT count(*) FROM event_files") == 0
        assert warehouse.scalar("SELECT count(*) FROM ingested_files") == 0
        first = warehouse.rows("""SELECT p.day, t.show_title, p.plays FROM viewing_history_plays p
                                  JOIN titles t USING (title_key) ORDER BY p.day DESC, t.show_title LIMIT 1""")
        assert first == [{"day": dt.date(2021, 6, 6), "show_title": "Attack on Titan", "plays": 1}]
    assert "1 untitled" in output


def test_us_dates_are_month_first(tmp_path: Path) -> None:
    export = tmp_path / "NetflixViewingHistory.csv"
    export.write_text('Title,Date\n"Love Again","4/29/23"\n"Love Again","12/1/22"\n')
    with Warehouse.init(tmp_path / "wh") as warehouse:
        report = import_personal_files(warehouse, [export])[0]
        assert report.date_format == "month-first"
        assert [row[0] for row in warehouse.execute("SELECT day FROM viewing_history_plays ORDER BY day").fetchall()] == \
            [dt.date(2022, 12, 1), dt.date(2023, 4, 29)]


# -- the real exports -------------------------------------------------------------------------------

REAL_ACTIVITY = {  # rows read, supplemental rows (SOURCES.md rows; types counted from the files)
    "samaguiar": (9_152, 1_155), "Adhikari-Priyanka": (21_891, 1_787), "Sumlayen": (13_341, 2_445),
}


@pytest.mark.realdata
@pytest.mark.slow   # 10-30 s each: ingest writes one Parquet part per day, and these span 5-15 years
@pytest.mark.parametrize("owner", ["samaguiar", "Adhikari-Priyanka", "Sumlayen"])
def test_real_viewing_activity_is_loaded_or_accounted_for(realdata: Path, tmp_path: Path, owner: str) -> None:
    with Warehouse.init(tmp_path / "wh") as warehouse:
        report = import_personal_files(warehouse, [realdata / "viewing-activity" / owner / "ViewingActivity.csv"])[0]
        assert (report.rows_read, sum(report.supplemental.values())) == REAL_ACTIVITY[owner]
        assert report.accounted == report.rows_read
        assert event_count(warehouse) == report.loaded
        assert warehouse.scalar("SELECT count(*) FROM quarantine") == report.quarantined


@pytest.mark.realdata
def test_real_viewing_histories(realdata: Path, tmp_path: Path) -> None:
    files = [realdata / "viewing-activity" / owner / "NetflixViewingHistory.csv" for owner in ("felipebacelo", "ezrany")]
    with Warehouse.init(tmp_path / "wh") as warehouse:
        reports = import_personal_files(warehouse, files)
        assert [(r.rows_read, r.plays_loaded, r.untitled) for r in reports] == [(577, 577, 0), (4_054, 4_051, 3)]
        assert [(r.first_day, r.last_day) for r in reports] == [(dt.date(2019, 7, 16), dt.date(2021, 6, 6)),
                                                               (dt.date(2018, 9, 23), dt.date(2023, 4, 29))]
        assert warehouse.scalar("SELECT sum(plays) FROM viewing_history_plays") == 577 + 4_051
