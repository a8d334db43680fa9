"""Distinct viewers: the DataSketches HLL sketch within its stated error, the rollup's sketches equal
to sketches of the raw accounts, exact counts and starters/watchers/completers by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders import EVENT_FIELDS, TITLE_FIELDS, build_warehouse, film, plays, season, write_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from viewrank import NotFound, Warehouse, ingest_file
from viewrank.charts.lists import window_lists
from viewrank.charts.specialty import country_filter
from viewrank.charts.windows import date_window, first_days_window
from viewrank.reports.audience import estimated_viewers, exact_audience
from viewrank.rollup import sketch
from viewrank.rollup.daily import rollup
from viewrank.rollup.sketches import day_sketches

D = dt.date.fromisoformat
SEEDS = range(20)


# -- the sketch --------------------------------------------------------------------------------------

@pytest.mark.parametrize("cardinality", [1_000, 10_000, 100_000])
def test_estimates_stay_within_three_standard_errors(cardinality: int) -> None:
    errors = []
    for seed in SEEDS:
        keys = np.random.default_rng(seed).choice(1 << 40, size=cardinality, replace=False)
        errors.append(sketch.estimate(sketch.sketch(keys)) / cardinality - 1)
    assert max(abs(error) for error in errors) < 3 * sketch.STANDARD_ERROR
    # The spread over 20 seeds is about the stated standard error (1.625%).
    assert float(np.sqrt(np.mean(np.square(errors)))) < 1.5 * sketch.STANDARD_ERROR


def test_standard_error_is_the_documented_one() -> None:
    assert (sketch.REGISTERS, round(sketch.STANDARD_ERROR, 5)) == (4096, 0.01625)


def test_merge_is_the_sketch_of_the_union() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 1 << 31, 5_000), rng.integers(0, 1 << 31, 7_000)
    union = len(np.unique(np.concatenate([a, b])))
    merged = sketch.merge(sketch.sketch(a), sketch.sketch(b))
    assert merged == sketch.merge(sketch.sketch(b), sketch.sketch(a))                      # in any order
    assert abs(sketch.estimate(merged) / union - 1) < 3 * sketch.STANDARD_ERROR
    assert sketch.estimate(merged, sketch.sketch(b)) == sketch.estimate(merged)            # idempotent
    assert sketch.estimate(merged) == sketch.estimate(sketch.sketch(a), sketch.sketch(b))
    assert sketch.estimate() == 0.0


def test_small_and_empty_sets() -> None:
    assert sketch.estimate(sketch.sketch([])) == 0.0
    assert round(sketch.estimate(sketch.sketch([42]))) == 1
    assert round(sketch.estimate(sketch.sketch([1, 2, 3, 2, 1]))) == 3
    assert [round(sketch.estimate(sketch.sketch(range(n)))) for n in (100, 300)] == [100, 300]


def test_the_stored_form_never_changes() -> None:
    """Stored sketches of past days stay valid only while the hash and the serialised form stay
    the same: Apache DataSketches' compact HLL form (MurmurHash3, seed 9001) of keys 0, 4, 6."""
    assert sketch.sketch([0, 4, 6]).hex() == "0201070c03080308cbd7c20481bc5d06fc2d420a"
    assert round(sketch.estimate(bytes.fromhex("0201070c03080308cbd7c20481bc5d06fc2d420a"))) == 3


# -- the rollup's sketches -----------------------------------------------------------------------------

rows_strategy = st.lists(st.tuples(st.integers(1, 6), st.integers(0, 3), st.integers(1, 300)), min_size=1, max_size=400)


def write_part(path: Path, rows: list[tuple[int, int, int]], row_group_size: int) -> str:
    rows = sorted(rows)
    pq.write_table(pa.table({"title_key": pa.array([r[0] for r in rows], pa.int32()),
                             "country_index": pa.array([r[1] for r in rows], pa.int16()),
                             "account_key": pa.array([r[2] for r in rows], pa.int32())}), path,
                   row_group_size=row_group_size)
    return str(path)


def stored(table: pa.Table | None) -> dict[int, int]:
    """Distinct accounts per title from day_sketches' rows (exact for the small sets of these tests)."""
    counts: dict[int, int] = {}
    if table is None:
        return counts
    for title, serialised in zip(table.column("title_key").to_pylist(), table.column("sketch").to_pylist()):
        assert title not in counts, "a title's sketch is stored twice"
        counts[title] = round(sketch.estimate(serialised))
    return counts


def expected(rows: list[tuple[int, int, int]]) -> dict[int, int]:
    return {title: len({r[2] for r in rows if r[0] == title}) for title in {r[0] for r in rows}}


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy, other=rows_strategy, row_group_size=st.integers(1, 60))
def test_rollup_sketches_equal_sketches_of_the_accounts(tmp_path_factory: pytest.TempPathFactory, rows: list,
                                                        other: list, row_group_size: int) -> None:
    folder = tmp_path_factory.mktemp("parts")
    one = write_part(folder / "one.parquet", rows, row_group_size)
    assert stored(day_sketches({D("2026-11-10"): [one]})) == expected(rows)
    # A day stored as two parts (late data) merges them.
    two = write_part(folder / "two.parquet", other, row_group_size)
    assert stored(day_sketches({D("2026-11-10"): [one, two]})) == expected(rows + other)


def test_rollup_sketches_of_many_titles_and_row_groups(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    rows = [(int(t), int(c), int(a)) for t, c, a in zip(rng.integers(1, 60, 5_000), rng.integers(0, 5, 5_000),
                                                        rng.integers(1, 2_000, 5_000))]
    assert stored(day_sketches({D("2026-11-10"): [write_part(tmp_path / "part.parquet", rows, 377)]})) == expected(rows)
    # A large title's sketch from many row groups is the sketch of its accounts.
    big = [(7, 0, int(a)) for a in rng.integers(1, 1 << 30, 60_000)]
    table = day_sketches({D("2026-11-10"): [write_part(tmp_path / "big.parquet", big, 5_000)]})
    assert table is not None
    assert sketch.estimate(table.column("sketch")[0].as_py()) == sketch.estimate(sketch.sketch([r[2] for r in big]))


# -- counting in a warehouse ------------------------------------------------------------------------

@pytest.fixture
def audience(tmp_path: Path) -> Warehouse:
    """A season S whose runtime at the window's end is 6,000 s (so a watcher needs 4,200 s, a completer
    5,400 s), and a film F of 3,600 s. Accounts and what they played of S:
    a1 100 s (not even a starter), a2 120 s (a starter), a3 4,200 s (a watcher), a4 5,400 s (a completer),
    a5 3,000 s on 11-10 and 3,000 s on 11-11 (a completer over both days, a starter on either alone),
    a6 6,000 s from GB. F: a1 and a5, one hour each."""
    episodes = [{"episode_id": "E1", "title_id": "S", "episode_number": 1, "runtime_seconds": 3000,
                 "available_date": "2026-11-01"},
                {"episode_id": "E2", "title_id": "S", "episode_number": 2, "runtime_seconds": 3000,
                 "available_date": "2026-11-11"}]

    def play(account: str, episode: str, seconds: int, day: str = "2026-11-10", country: str = "US") -> dict:
        row = plays(episode, day=day, seconds=seconds, country=country, episode=True, prefix=f"{account}-{episode}-{day}")[0]
        return row | {"account_id": account}
    events = [play("a1", "E1", 100), play("a2", "E1", 120), play("a3", "E1", 3000), play("a3", "E2", 1200),
              play("a4", "E1", 3000), play("a4", "E2", 2400), play("a5", "E1", 3000),
              play("a5", "E2", 3000, day="2026-11-11"), play("a6", "E1", 3000, country="GB"),
              play("a6", "E2", 3000, country="GB")]
    events += [row | {"account_id": account, "title_id": "F", "episode_id": "", "event_id": f"F-{account}"}
               for account, row in zip(("a1", "a5"), plays("F", day="2026-11-11", count=2))]
    return build_warehouse(tmp_path, titles=[season("S", "Series", 1, released="2026-11-01"),
                                             film("F", "Film", runtime=3600, released="2026-11-11")],
                           episodes=episodes, events=events, settings={"distinct_sketches": True}, weeks=[])


def keyed(warehouse: Warehouse, counts: dict) -> dict:
    ids = dict(warehouse.execute("SELECT title_key, title_id FROM titles").fetchall())
    return {(country, ids[key]): value for (country, key), value in counts.items()}


def test_exact_accounts_starters_watchers_and_completers(audience: Warehouse) -> None:
    window = date_window(audience, D("2026-11-10"), D("2026-11-11"))
    keys = [key for (key,) in audience.execute("SELECT title_key FROM titles").fetchall()]
    assert keyed(audience, exact_audience(audience, window, keys)) == {
        (None, "S"): {"accounts": 6, "starters": 5, "watchers": 4, "completers": 3},
        (None, "F"): {"accounts": 2, "starters": 2, "watchers": 2, "completers": 2}}
    # On 11-10 alone, S has only its first episode out: 3,000 s, so a watcher needs 2,100 s, a completer 2,700 s.
    day = date_window(audience, D("2026-11-10"), D("2026-11-10"))
    assert keyed(audience, exact_audience(audience, day, keys)) == {
        (None, "S"): {"accounts": 6, "starters": 5, "watchers": 4, "completers": 4}}
    by_country = exact_audience(audience, window, keys, scope="country")
    assert keyed(audience, by_country)[("GB", "S")] == {"accounts": 1, "starters": 1, "watchers": 1, "completers": 1}
    only_gb = exact_audience(audience, window, keys, scope="country", where=country_filter(audience, "gb"))
    assert list(keyed(audience, only_gb)) == [("GB", "S")]


def test_exact_audience_over_each_titles_first_days(audience: Warehouse) -> None:
    keys = [key for (key,) in audience.execute("SELECT title_key FROM titles").fetchall()]
    # Only F's first day (11-11) is rolled up in full; S premiered on 11-01, before the rolled-up days.
    assert keyed(audience, exact_audience(audience, first_days_window(audience, 1), keys)) == {
        (None, "F"): {"accounts": 2, "starters": 2, "watchers": 2, "completers": 2}}


def test_estimates_merge_days_and_count_an_account_once(audience: Warehouse) -> None:
    window = date_window(audience, D("2026-11-10"), D("2026-11-11"))
    estimates = keyed(audience, estimated_viewers(audience, window))
    assert {key: round(value) for key, value in estimates.items()} == {(None, "S"): 6, (None, "F"): 2}
    day = keyed(audience, estimated_viewers(audience, date_window(audience, D("2026-11-11"), D("2026-11-11"))))
    assert {key: round(value) for key, value in day.items()} == {(None, "S"): 1, (None, "F"): 2}


def test_late_events_replace_that_days_sketch(audience: Warehouse, tmp_path: Path) -> None:
    late = [row | {"account_id": f"late{i}"} for i, row in
            enumerate(plays("F", day="2026-11-11", count=3, prefix="late"))] + [
            plays("F", day="2026-11-11", prefix="again")[0] | {"account_id": "a1"}]   # a1 again: no new viewer
    ingest_file(audience, write_csv(tmp_path / "late.csv", EVENT_FIELDS, late))
    rollup(audience)
    window = date_window(audience, D("2026-11-10"), D("2026-11-11"))
    assert round(keyed(audience, estimated_viewers(audience, window))[(None, "F")]) == 5
    assert audience.scalar("SELECT engine FROM rollup_days WHERE day = '2026-11-11'") == "merge"   # two parts


def test_without_sketches_viewers_are_counted_exactly(tmp_path: Path) -> None:
    warehouse = build_warehouse(tmp_path, titles=[film("F", "Film", runtime=3600)],
                                events=plays("F", day="2026-11-10", count=4), settings={"distinct_sketches": "false"},
                                weeks=[])
    assert warehouse.scalar("SELECT count(*) FROM daily_sketch") == 0
    day = date_window(warehouse, D("2026-11-10"), D("2026-11-10"))
    result = window_lists(warehouse, day, rank_by="viewers")
    assert (result["viewers"], result["lists"]["Films (English)"][0]["viewers"]) == ("exact", 4)
    with pytest.raises(NotFound, match="no distinct-account sketches for 2026-11-10 to 2026-11-10: they are off"):
        estimated_viewers(warehouse, day)


def test_country_lists_count_viewers_exactly(audience: Warehouse) -> None:
    result = window_lists(audience, date_window(audience, D("2026-11-10"), D("2026-11-11")), country="GB",
                          rank_by="viewers")
    assert result["viewers"] == "exact"
    assert [(row["title_id"], row["viewers"]) for row in result["lists"]["TV"]] == [("S", 1)]


def test_exact_counts_do_not_depend_on_the_batches(audience: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    import viewrank.reports.audience
    window = date_window(audience, D("2026-11-10"), D("2026-11-11"))
    keys = [key for (key,) in audience.execute("SELECT title_key FROM titles").fetchall()]
    whole = exact_audience(audience, window, keys, scope="country")
    monkeypatch.setattr(viewrank.reports.audience, "EXACT_BATCH_SESSIONS", 1)   # one title per pass
    steps: list[int] = []
    assert exact_audience(audience, window, keys, scope="country", progress=steps.append) == whole
    assert steps == [1, 1]


def test_sketches_of_the_first_release_are_dropped_and_rebuilt(tmp_path: Path) -> None:
    """Migration 2: the first release's hand-made registers (another hash) cannot be merged with
    DataSketches sketches, so they go, estimates say how to rebuild them, and rollup --full does."""
    import duckdb
    from test_store import release_5246d10_warehouse

    old = release_5246d10_warehouse(tmp_path / "old")
    con = duckdb.connect(str(old / "viewrank.duckdb"))
    con.execute("INSERT INTO daily_sketch VALUES ('2026-11-10', 1, 7, 3)")
    con.close()
    (old / "settings.json").write_text((old / "settings.json").read_text().replace(
        '"distinct_sketches": false', '"distinct_sketches": true'))
    warehouse = Warehouse(old)
    assert warehouse.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'daily_sketch' "
                             "ORDER BY ordinal_position").fetchall() == [("day",), ("title_key",), ("sketch",)]
    assert warehouse.scalar("SELECT count(*) FROM daily_sketch") == 0
    from viewrank.catalog import import_catalog
    import_catalog(warehouse, write_csv(tmp_path / "titles.csv", TITLE_FIELDS, [film("A", "Alpha")]))
    ingest_file(warehouse, write_csv(tmp_path / "events.csv", EVENT_FIELDS, plays("A", day="2026-11-10", count=3)))
    rollup(warehouse)
    window = date_window(warehouse, D("2026-11-10"), D("2026-11-10"))
    assert [round(value) for value in estimated_viewers(warehouse, window).values()] == [3]
