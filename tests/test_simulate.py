"""The synthetic service generator: exact sizes, referential integrity, realism, determinism."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from viewrank.tools import simulate
from viewrank.tools.simulate import SimulatedService, generate

TOP10_COUNTRIES = set(
    "AR AU AT BS BH BD BE BO BR BG CA CL CO CR HR CY CZ DK DO EC EG SV EE FI FR DE GP GR GT HN HK HU IS IN "
    "ID IE IL IT JM JP JO KE KW LV LB LT LU MY MV MT MQ MU MX MA NL NC NZ NI NG NO OM PK PA PY PE PH PL PT "
    "QA RO RE SA RS SG SK SI ZA KR ES LK SE CH TW TH TT TR UA AE GB US UY VE VN".split())
EXPECTED_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("account_id", pa.string()), ("title_id", pa.string()),
    ("episode_id", pa.string()), ("country", pa.string()),
    ("start_time", pa.timestamp("us", tz="UTC")), ("seconds_watched", pa.int32()),
])


def small(out_dir: Path, seed: int = 7) -> SimulatedService:
    """A small service: 300 titles, four weeks ending Sunday 2026-11-15, 60,000 sessions."""
    return generate(out_dir, titles=300, weeks=4, sessions=60_000, end_date=date(2026, 11, 15), seed=seed)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> SimulatedService:
    return small(tmp_path_factory.mktemp("sim"))


@pytest.fixture(scope="module")
def db(service: SimulatedService) -> duckdb.DuckDBPyConnection:
    """titles, episodes and events (one row per session, with its title and runtime) as views."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE titles AS SELECT * FROM read_csv('{service.titles_path}', header=true, "
                "types={'season_number': 'INTEGER', 'runtime_seconds': 'INTEGER', 'release_date': 'DATE'})")
    con.execute(f"CREATE TABLE episodes AS SELECT * FROM read_csv('{service.episodes_path}', header=true, "
                "types={'runtime_seconds': 'INTEGER', 'available_date': 'DATE'})")
    files = ", ".join(f"'{p}'" for p in service.events_paths)
    con.execute(f"CREATE TABLE raw AS SELECT *, filename FROM read_parquet([{files}], hive_partitioning=false, "
                "filename=true)")
    con.execute("""CREATE VIEW events AS
        SELECT r.*, coalesce(r.title_id, e.title_id) AS tid, e.available_date,
               coalesce(e.runtime_seconds, t.runtime_seconds) AS runtime,
               CAST(epoch_us(r.start_time) // 86400000000 AS INTEGER) AS utc_day  -- days since 1970
        FROM raw r LEFT JOIN episodes e USING (episode_id) LEFT JOIN titles t ON t.title_id = r.title_id""")
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The single value a query returns."""
    return con.execute(sql).fetchall()[0][0]


def test_dates_paths_and_exact_session_count(service: SimulatedService, db: duckdb.DuckDBPyConnection) -> None:
    assert service.last_day == date(2026, 11, 15) and service.first_day == date(2026, 10, 19)
    assert service.first_day.weekday() == 0 and len(service.events_paths) == 28
    expected = [f"day={service.first_day + timedelta(days=d)}" for d in range(28)]
    assert [p.parent.name for p in service.events_paths] == expected
    assert all(p.name == "events.parquet" and p.parent.parent.name == "events" for p in service.events_paths)
    assert service.sessions == 60_000 == sum(pq.read_metadata(p).num_rows for p in service.events_paths)
    assert one(db, "SELECT count(DISTINCT event_id) FROM raw") == 60_000


def test_file_schemas(service: SimulatedService) -> None:
    assert all(pq.read_schema(p).remove_metadata() == EXPECTED_SCHEMA for p in service.events_paths)
    with service.titles_path.open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == ["title_id", "show_title", "season_number", "season_title", "kind",
                                       "original_language", "release_date", "is_original", "runtime_seconds",
                                       "genre", "is_kids"]
    with service.episodes_path.open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == ["episode_id", "title_id", "episode_number", "episode_title",
                                       "runtime_seconds", "available_date"]


def test_every_event_references_the_catalog_with_exactly_one_id(db: duckdb.DuckDBPyConnection) -> None:
    assert one(db, "SELECT count(*) FROM raw WHERE (title_id IS NULL) = (episode_id IS NULL)") == 0
    assert one(db, "SELECT count(*) FROM raw WHERE title_id NOT IN (SELECT title_id FROM titles WHERE kind = 'film')") == 0
    assert one(db, "SELECT count(*) FROM raw WHERE episode_id NOT IN (SELECT episode_id FROM episodes)") == 0
    assert one(db, "SELECT count(*) FROM episodes WHERE title_id NOT IN (SELECT title_id FROM titles WHERE kind = 'tv')") == 0
    assert one(db, "SELECT count(*) FROM raw WHERE account_id IS NULL OR NOT regexp_full_match(account_id, 'a[0-9]+')") == 0


def test_nothing_is_watched_before_it_is_available(db: duckdb.DuckDBPyConnection) -> None:
    early = """SELECT count(*) FROM events JOIN titles t ON t.title_id = events.tid
               WHERE utc_day < t.release_date - DATE '1970-01-01'
                  OR utc_day < available_date - DATE '1970-01-01'"""
    assert one(db, early) == 0
    future = "SELECT list(title_id) FROM titles WHERE release_date > DATE '2026-11-15'"
    assert one(db, f"SELECT len(({future}))") > 0
    assert one(db, f"SELECT count(*) FROM events WHERE list_contains(({future}), tid)") == 0


def test_seconds_watched_within_runtime(db: duckdb.DuckDBPyConnection) -> None:
    assert one(db, "SELECT count(*) FROM events WHERE seconds_watched < 1 OR seconds_watched > runtime") == 0
    assert one(db, "SELECT count(*) FROM events WHERE seconds_watched = runtime") > 1000
    assert one(db, "SELECT count(*) FROM events WHERE seconds_watched <= 60") > 500


def test_countries_are_the_top10_countries(db: duckdb.DuckDBPyConnection) -> None:
    assert len(TOP10_COUNTRIES) == 93 and set(simulate.COUNTRIES) == TOP10_COUNTRIES
    seen = {r[0] for r in db.execute("SELECT DISTINCT country FROM raw").fetchall()}
    assert seen <= TOP10_COUNTRIES and len(seen) > 60
    top = [r[0] for r in db.execute("SELECT country FROM raw GROUP BY 1 ORDER BY count(*) DESC LIMIT 3").fetchall()]
    assert top[0] == "US"


def test_day_partition_matches_utc_date_of_start_time(db: duckdb.DuckDBPyConnection) -> None:
    mismatched = """SELECT count(*) FROM events
                    WHERE regexp_extract(filename, 'day=([0-9-]+)', 1)::DATE - DATE '1970-01-01' <> utc_day"""
    assert one(db, mismatched) == 0


def test_home_language_titles_lead_their_countries(db: duckdb.DuckDBPyConnection) -> None:
    share = """SELECT avg((t.original_language = '{lang}')::INT) FROM events
               JOIN titles t ON t.title_id = events.tid WHERE country = '{country}'"""
    assert one(db, share.format(lang="ko", country="KR")) > 3 * one(db, share.format(lang="ko", country="US"))
    assert one(db, share.format(lang="es", country="MX")) > 3 * one(db, share.format(lang="es", country="GB"))


def test_same_seed_same_bytes_other_seed_differs(service: SimulatedService, tmp_path: Path) -> None:
    again, other = small(tmp_path / "again", seed=7), small(tmp_path / "other", seed=8)
    for a, b in zip([service.titles_path, service.episodes_path, *service.events_paths],
                    [again.titles_path, again.episodes_path, *again.events_paths]):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert other.sessions == 60_000
    assert service.titles_path.read_bytes() != other.titles_path.read_bytes()
    assert pq.read_table(service.events_paths[3]) != pq.read_table(other.events_paths[3])


def test_end_date_must_be_a_sunday(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Sunday"):
        generate(tmp_path, end_date=date(2026, 11, 14), titles=100, weeks=1, sessions=100)


def test_progress_is_advanced_once_per_day_file(tmp_path: Path) -> None:
    steps: list[int] = []
    result = generate(tmp_path, titles=60, weeks=1, sessions=1_000, progress=steps.append)
    assert steps == [1] * 7 and result.sessions == 1_000


def test_stale_day_files_from_an_earlier_run_are_removed(tmp_path: Path) -> None:
    generate(tmp_path, titles=60, weeks=2, sessions=500)
    result = generate(tmp_path, titles=60, weeks=1, sessions=500)
    assert sorted((tmp_path / "events").glob("day=*/events.parquet")) == sorted(result.events_paths)


def test_catalog_shape(db: duckdb.DuckDBPyConnection) -> None:
    films = one(db, "SELECT avg((kind = 'film')::INT) FROM titles")
    assert 0.45 < films < 0.65
    assert one(db, "SELECT count(*) FROM titles WHERE kind = 'film' AND (season_number IS NOT NULL "
                   "OR season_title IS NOT NULL OR runtime_seconds NOT BETWEEN 75 * 60 AND 170 * 60)") == 0
    assert one(db, "SELECT count(*) FROM titles WHERE kind = 'tv' AND (runtime_seconds IS NOT NULL "
                   "OR NOT starts_with(season_title, show_title || ': '))") == 0
    assert one(db, "SELECT count(*) FROM (SELECT title_id FROM episodes GROUP BY 1 "
                   "HAVING count(*) NOT BETWEEN 4 AND 10 OR max(episode_number) <> count(*))") == 0
    assert one(db, "SELECT count(*) FROM episodes WHERE runtime_seconds NOT BETWEEN 20 * 60 AND 70 * 60") == 0
    assert one(db, "SELECT count(*) FROM titles WHERE kind = 'tv' AND title_id NOT IN (SELECT title_id FROM episodes)") == 0
    # Several seasons of one show; each show name belongs to exactly one show.
    assert one(db, "SELECT max(season_number) FROM titles") >= 3
    assert one(db, "SELECT count(*) FROM (SELECT show_title FROM titles WHERE kind = 'tv' "
                   "GROUP BY 1 HAVING count(DISTINCT split_part(title_id, '-', 1)) > 1)") == 0
    assert one(db, "SELECT count(*) FROM (SELECT split_part(title_id, '-', 1) FROM titles WHERE kind = 'tv' "
                   "GROUP BY 1 HAVING count(DISTINCT show_title) > 1 OR count(*) <> max(season_number))") == 0
    seasons_in_order = """SELECT bool_and(release_date > prev) FROM (
        SELECT release_date, lag(release_date) OVER (PARTITION BY split_part(title_id, '-', 1) ORDER BY season_number) prev
        FROM titles WHERE kind = 'tv') WHERE prev IS NOT NULL"""
    assert one(db, seasons_in_order) is True
    assert one(db, "SELECT count(*) FROM titles WHERE release_date < DATE '2026-10-19'") > 100
    assert one(db, "SELECT count(*) FROM titles WHERE release_date BETWEEN DATE '2026-10-19' AND DATE '2026-11-15'") > 80


def test_special_names_and_namesake_films(db: duckdb.DuckDBPyConnection) -> None:
    script = db.execute("""SELECT kind, genre FROM titles WHERE show_title = '<Script> & "Quotes", Inc.'""").fetchall()
    assert script == [("film", "comedy")]
    names = {r[0] for r in db.execute("SELECT show_title FROM titles").fetchall()}
    assert {"Amor en Sevilla: Señales", "Kärlek på distans"} <= names
    namesakes = db.execute("""SELECT show_title, count(DISTINCT title_id), count(DISTINCT year(release_date))
                              FROM titles WHERE kind = 'film' GROUP BY 1 HAVING count(*) > 1""").fetchall()
    assert len(namesakes) == 2 and all(ids == 2 and years == 2 for _, ids, years in namesakes)


def test_weekly_release_seasons_grow_week_by_week(db: duckdb.DuckDBPyConnection) -> None:
    weekly = db.execute("""SELECT e.title_id, list(DISTINCT available_date ORDER BY available_date), any_value(t.release_date)
                           FROM episodes e JOIN titles t USING (title_id) GROUP BY 1
                           HAVING count(DISTINCT available_date) > 2""").fetchall()
    assert weekly, "no weekly-release season"
    for _, dates, released in weekly:
        assert dates[0] == released
        assert all((b - a).days == 7 for a, b in zip(dates, dates[1:]))


def test_weekends_get_more_viewing_than_weekdays(service: SimulatedService) -> None:
    per_day = {p.parent.name[4:]: pq.read_metadata(p).num_rows for p in service.events_paths}
    weekend = [n for d, n in per_day.items() if date.fromisoformat(d).weekday() >= 5]
    weekday = [n for d, n in per_day.items() if date.fromisoformat(d).weekday() < 5]
    ratio = (sum(weekend) / len(weekend)) / (sum(weekday) / len(weekday))
    assert 1.15 < ratio < 1.5


def test_new_releases_decay_after_premiere(db: duckdb.DuckDBPyConnection) -> None:
    by_age = """SELECT sum((utc_day - rel BETWEEN 0 AND 6)::INT), sum((utc_day - rel BETWEEN 14 AND 20)::INT)
                FROM (SELECT utc_day, t.release_date - DATE '1970-01-01' AS rel FROM events
                      JOIN titles t ON t.title_id = events.tid
                      WHERE t.release_date BETWEEN DATE '2026-10-19' AND DATE '2026-10-25')"""
    first_week, third_week = db.execute(by_age).fetchall()[0]
    assert first_week > 1.5 * third_week > 0
    top = """SELECT tid FROM events JOIN titles t ON t.title_id = events.tid
             WHERE t.release_date BETWEEN DATE '2026-10-19' AND DATE '2026-10-25' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"""
    first_week, third_week = db.execute(by_age.replace("WHERE", f"WHERE t.title_id = ({top}) AND")).fetchall()[0]
    assert first_week > third_week
