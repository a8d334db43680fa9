"""The measurement rules of METHODOLOGY.md pinned on small hand-computed cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from builders import build_warehouse, film, plays, season

from viewrank import Methodology, runtime_seconds_as_of, title_facts, weekly_list
from viewrank.export import global_rows

W1, W2, W3, W4 = "2026-11-01", "2026-11-08", "2026-11-15", "2026-11-22"


def ranks(warehouse, week: str, category: str = "Films (English)", country: str | None = None) -> list[str]:
    return [row["title_id"] for row in weekly_list(warehouse, dt.date.fromisoformat(week), category=category, country=country)]


@pytest.mark.parametrize("timezone, start_time, expected_day, expected_week", [
    ("UTC", "2026-11-15T23:30:00+00:00", "2026-11-15", "2026-11-15"),
    ("Asia/Tokyo", "2026-11-15T23:30:00+00:00", "2026-11-16", "2026-11-22"),       # already Monday in Tokyo
    ("America/Los_Angeles", "2026-11-16T05:00:00+00:00", "2026-11-15", "2026-11-15"),  # still Sunday evening in LA
    ("America/Los_Angeles", "2026-11-16T08:00:00+00:00", "2026-11-16", "2026-11-22"),
])
def test_week_boundaries_follow_the_methodology_time_zone(tmp_path: Path, timezone: str, start_time: str,
                                                          expected_day: str, expected_week: str) -> None:
    event = plays("F1", day="2026-11-10")[0] | {"start_time": start_time}
    warehouse = build_warehouse(tmp_path, titles=[film("F1", "Alpha")], events=[event],
                                settings={"timezone": timezone}, weeks=[])
    assert warehouse.rows("SELECT CAST(day AS VARCHAR) AS day FROM daily_rollup") == [{"day": expected_day}]
    assert warehouse.methodology.week_end(dt.date.fromisoformat(expected_day)).isoformat() == expected_week


def test_week_start_setting_moves_the_week_label() -> None:
    sunday_weeks = Methodology.from_values({"week_start": "sunday"})
    assert sunday_weeks.week_end(dt.date(2026, 11, 15)) == dt.date(2026, 11, 21)  # Sunday..Saturday
    assert Methodology.from_values({}).week_end(dt.date(2026, 11, 15)) == dt.date(2026, 11, 15)


def test_runtime_of_a_weekly_release_season_grows_with_available_episodes(tmp_path: Path) -> None:
    episodes = [
        {"episode_id": "E1", "title_id": "S1", "episode_number": 1, "runtime_seconds": 3000, "available_date": "2026-11-06"},
        {"episode_id": "E2", "title_id": "S1", "episode_number": 2, "runtime_seconds": 2400, "available_date": "2026-11-06"},
        {"episode_id": "E3", "title_id": "S1", "episode_number": 3, "runtime_seconds": 2700, "available_date": "2026-11-13"},
        {"episode_id": "E4", "title_id": "S1", "episode_number": 4, "runtime_seconds": 3300, "available_date": "2026-11-20"},
    ]
    events = (plays("E1", day="2026-11-09", count=9, seconds=3000, episode=True)
              + plays("E3", day="2026-11-16", count=3, seconds=2700, episode=True))
    warehouse = build_warehouse(tmp_path, titles=[season("S1", "Gamma", 1, released="2026-11-06")],
                                episodes=episodes, events=events, weeks=[W2, W3, W4])
    assert runtime_seconds_as_of(warehouse, "S1", dt.date(2026, 11, 5)) is None
    assert runtime_seconds_as_of(warehouse, "S1", dt.date(2026, 11, 8)) == 5400
    assert runtime_seconds_as_of(warehouse, "S1", dt.date(2026, 11, 15)) == 8100
    assert runtime_seconds_as_of(warehouse, "S1", dt.date(2026, 11, 22)) == 11400
    # Week ending 11-15: 9 x 3000 s = 7.5 h over a runtime of 8100 s (2.25 h) as of the week's end.
    row = weekly_list(warehouse, dt.date(2026, 11, 15), category="TV (English)")[0]
    assert row["season_title"] == "Gamma: Season 1"
    assert row["hours_viewed"] == pytest.approx(7.5)
    assert row["runtime_hours"] == pytest.approx(2.25)
    assert row["views"] == pytest.approx(27000 / 8100)
    # Week ending 11-22: 3 x 2700 s over 11400 s.
    row = weekly_list(warehouse, dt.date(2026, 11, 22), category="TV (English)")[0]
    assert row["views"] == pytest.approx(8100 / 11400)


def switch_case(tmp_path: Path, switch: str):
    """A: 1-hour film, 10 hours viewed = 10 views. B: 4-hour film, 20 hours viewed = 5 views."""
    titles = [film("A", "Short", runtime=3600), film("B", "Long", runtime=14400)]
    events = plays("A", day="2026-11-10", count=10, seconds=3600) + plays("B", day="2026-11-10", count=10, seconds=7200)
    return build_warehouse(tmp_path, titles=titles, events=events, settings={"rank_by_views_from": switch}, weeks=[W3])


def test_ranked_by_views_once_the_switch_date_has_passed(tmp_path: Path) -> None:
    warehouse = switch_case(tmp_path, "2026-11-09")  # week 11-09..11-15 starts on the switch date
    assert ranks(warehouse, W3) == ["A", "B"]
    exported = [row for row in global_rows(warehouse)]
    assert [(r[2], r[3], r[5], r[6], r[7]) for r in exported] == [
        ("1", "Short", "0", "1", "0"), ("2", "Long", "0", "4", "0")]


def test_ranked_by_hours_before_the_switch_and_views_left_empty(tmp_path: Path) -> None:
    warehouse = switch_case(tmp_path, "2026-11-10")  # the week starts a day before the switch
    assert ranks(warehouse, W3) == ["B", "A"]
    assert [(r[2], r[3], r[6], r[7]) for r in global_rows(warehouse)] == [("1", "Long", "", ""), ("2", "Short", "", "")]


def test_display_rounding_never_decides_ranks(tmp_path: Path) -> None:
    # 2,000,000 s = 555.56 h and 1,980,000 s = 550 h both display as 600 h with a 100-hour step,
    # yet the exact values rank them; runtimes are equal so views order the same way.
    titles = [film("X", "Exact Leader", runtime=3600), film("Y", "Exact Second", runtime=3600)]
    events = (plays("Y", day="2026-11-10", count=22, seconds=90_000)
              + plays("X", day="2026-11-11", count=25, seconds=80_000))
    warehouse = build_warehouse(tmp_path, titles=titles, events=events, weeks=[W3],
                                settings={"hours_rounding": 100, "views_rounding": 100, "max_session_seconds": 100_000})
    assert ranks(warehouse, W3) == ["X", "Y"]
    assert [(r[2], r[3], r[5]) for r in global_rows(warehouse)] == [("1", "Exact Leader", "600"), ("2", "Exact Second", "600")]


def test_ties_fall_to_the_other_metric_then_to_the_title_id(tmp_path: Path) -> None:
    titles = [film("T2", "Twin Two", runtime=3600), film("T1", "Twin One", runtime=3600),
              film("H", "Same Views More Hours", runtime=7200), film("L", "Same Views", runtime=3600)]
    events = (plays("T1", day="2026-11-10", count=3) + plays("T2", day="2026-11-10", count=3)
              + plays("H", day="2026-11-10", count=2, seconds=7200) + plays("L", day="2026-11-10", count=2))
    warehouse = build_warehouse(tmp_path, titles=titles, events=events, weeks=[W3])
    # Views: T1 = T2 = 3 (tie -> id), H = L = 2 (tie -> H has 4 hours against 2).
    assert ranks(warehouse, W3) == ["T1", "T2", "H", "L"]


def test_cumulative_weeks_count_a_re_entry_and_the_streak_restarts(tmp_path: Path) -> None:
    titles = [film("A", "Alpha", runtime=3600), film("B", "Beta", runtime=3600)]
    days = {W1: "2026-10-28", W2: "2026-11-04", W3: "2026-11-11", W4: "2026-11-18"}
    leader = {W1: "A", W2: "A", W3: "B", W4: "A"}
    events = []
    for week, day in days.items():
        events += plays(leader[week], day=day, count=5)
        events += plays("B" if leader[week] == "A" else "A", day=day, count=2)
    warehouse = build_warehouse(tmp_path, titles=titles, events=events, settings={"list_size": 1},
                                weeks=list(days))
    history = warehouse.rows("""SELECT CAST(week AS VARCHAR) AS week, t.title_id, cumulative_weeks, streak_weeks
                                FROM current_entries JOIN titles t USING (title_key)
                                WHERE scope = 'global' ORDER BY week""")
    assert [(h["week"], h["title_id"], h["cumulative_weeks"], h["streak_weeks"]) for h in history] == [
        (W1, "A", 1, 1), (W2, "A", 2, 2), (W3, "B", 1, 1), (W4, "A", 3, 1)]
    facts = title_facts(warehouse, "Alpha")
    assert (facts["weeks_in_top_10"], facts["peak_rank"], facts["weeks_at_peak"]) == (3, 1, 3)


def test_country_lists_and_countries_count(tmp_path: Path) -> None:
    titles = [film("A", "Alpha", released="2026-11-12"), film("K", "Kimchi Nights", language="ko"),
              season("S", "Seoul Story", 1, language="ko")]
    episodes = [{"episode_id": "S-E1", "title_id": "S", "episode_number": 1, "runtime_seconds": 3600}]
    events = (plays("A", day="2026-11-12", count=4, country="US") + plays("A", day="2026-11-13", count=3, country="GB")
              + plays("A", day="2026-11-14", count=1, country="KR")
              + plays("K", day="2026-11-12", count=2, country="US") + plays("K", day="2026-11-12", count=5, country="KR")
              + plays("S-E1", day="2026-11-12", count=1, country="FR", episode=True))
    warehouse = build_warehouse(tmp_path, titles=titles, episodes=episodes, events=events, weeks=[W3])
    assert ranks(warehouse, W3, "Films", "US") == ["A", "K"]
    assert ranks(warehouse, W3, "Films", "KR") == ["K", "A"]
    assert ranks(warehouse, W3, "TV", "FR") == ["S"]
    assert ranks(warehouse, W3, "Films (Non-English)") == ["K"]
    assert ranks(warehouse, W3, "TV (Non-English)") == ["S"]
    facts = title_facts(warehouse, "Alpha")
    assert facts["countries"]["count"] == 3
    assert facts["countries"]["of"] == 4
    assert facts["countries"]["number_one"] == ["United Kingdom", "United States"]
    assert facts["countries"]["ranks"] == {"United Kingdom": 1, "United States": 1, "South Korea": 2}
    # First week: premiere Thursday 11-12 to Sunday 11-15 is 4 days, 8 hours, 4 views.
    first = facts["first_week"]
    assert (first["start"], first["end"], first["days"]) == (dt.date(2026, 11, 12), dt.date(2026, 11, 15), 4)
    assert (first["hours_viewed"], first["views"]) == (8.0, 4.0)
    assert facts["debut"]["rank"] == 1 and facts["debut"]["category"] == "Films (English)"


def test_a_recomputed_week_is_a_new_revision_only_when_it_changed(tmp_path: Path) -> None:
    from builders import EVENT_FIELDS, write_csv

    from viewrank import compute_charts, ingest_file
    warehouse = switch_case(tmp_path, "2026-11-09")
    again = compute_charts(warehouse, weeks=[dt.date(2026, 11, 15)])
    assert again.new_editions == [] and again.unchanged == 2
    late = write_csv(tmp_path / "late.csv", EVENT_FIELDS, plays("B", day="2026-11-14", count=20, seconds=14400, prefix="late"))
    ingest_file(warehouse, late)
    from viewrank.rollup.daily import rollup
    rollup(warehouse)
    changed = compute_charts(warehouse, weeks=[dt.date(2026, 11, 15)])
    assert [(e["scope"], e["revision"]) for e in changed.new_editions] == [("global", 2), ("country", 2)]
    assert ranks(warehouse, W3) == ["B", "A"]
    assert warehouse.scalar("SELECT count(*) FROM chart_entries") == 8  # revision 1 kept, frozen


def test_charts_read_rollups_only_never_raw_events(tmp_path: Path) -> None:
    import shutil

    from viewrank import Warehouse, compute_charts
    warehouse = switch_case(tmp_path, "2026-11-09")
    expected = ranks(warehouse, W3)
    warehouse.execute("DELETE FROM editions; DELETE FROM chart_entries")
    shutil.rmtree(warehouse.events_dir)  # no raw event left to read
    statements: list[str] = []
    traced = Warehouse(warehouse.path, tracer=lambda sql, parameters: statements.append(sql))
    statements.clear()  # opening the warehouse checks its parts; computing charts must not
    compute_charts(traced, weeks=[dt.date(2026, 11, 15)])
    assert ranks(traced, W3) == expected
    assert statements and not any("read_parquet" in sql or "event_files" in sql for sql in statements)


def test_charts_recompute_only_changed_weeks_and_the_weeks_after_a_change(tmp_path: Path) -> None:
    from builders import EVENT_FIELDS, write_csv

    from viewrank import compute_charts, ingest_file
    from viewrank.rollup.daily import rollup
    titles = [film("A", "Alpha", runtime=3600), film("B", "Beta", runtime=3600)]
    days = ["2026-10-27", "2026-11-03", "2026-11-10", "2026-11-17"]
    events = [event for day in days for event in plays("A", day=day, count=3) + plays("B", day=day, count=1)]
    events += plays("A", day="2026-10-26") + plays("A", day="2026-11-22")  # whole weeks from Monday to Sunday
    warehouse = build_warehouse(tmp_path, titles=titles, events=events, settings={"list_size": 1})
    assert warehouse.scalar("SELECT count(*) FROM chart_runs") == 4
    assert compute_charts(warehouse).weeks == []
    # Late plays of B in week 2 make it No. 1 there: weeks 2, 3 and 4 get new revisions or a re-check.
    late = plays("B", day="2026-11-04", count=5, prefix="late")
    ingest_file(warehouse, write_csv(tmp_path / "late.csv", EVENT_FIELDS, late))
    rollup(warehouse)
    report = compute_charts(warehouse)
    assert [week.isoformat() for week in report.weeks] == [W2, W3, W4]
    assert [(e["week"].isoformat(), e["scope"]) for e in report.new_editions] == [
        (W2, "global"), (W2, "country"), (W3, "global"), (W3, "country"), (W4, "global"), (W4, "country")]
    # Weeks 3 and 4 keep their ranks; A's weeks in the Top 10 drop by one (it lost week 2).
    assert warehouse.execute("""SELECT CAST(week AS VARCHAR), title_key, cumulative_weeks, streak_weeks
                                FROM current_entries WHERE scope = 'global' ORDER BY week""").fetchall() == [
        (W1, 1, 1, 1), (W2, 2, 1, 1), (W3, 1, 2, 1), (W4, 1, 3, 2)]


def test_charts_leave_weeks_with_imported_lists_alone_unless_asked(tmp_path: Path) -> None:
    from viewrank import compute_charts
    warehouse = switch_case(tmp_path, "2026-11-09")
    warehouse.execute("UPDATE editions SET origin = 'imported' WHERE scope = 'global'")
    warehouse.execute("DELETE FROM chart_runs")
    assert compute_charts(warehouse).weeks == []
    assert compute_charts(warehouse, weeks=[dt.date(2026, 11, 15)]).weeks == [dt.date(2026, 11, 15)]
