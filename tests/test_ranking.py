"""Ranking holds for any data: the lists equal a plain sort by the methodology's keys."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from viewrank import Warehouse, compute_charts
from viewrank.rollup.daily import replace_rollup_rows
from viewrank.store.rollup_parts import WEEKLY

WEEK = dt.date(2026, 11, 15)
COUNTRIES = ["US", "KR", "FR"]
titles_strategy = st.lists(
    st.tuples(st.sampled_from(["film", "tv"]), st.sampled_from(["en", "ko"]),
              st.sampled_from([None, 1800, 3600, 5400])),  # None: no runtime known, so no views
    min_size=1, max_size=14)
viewing_strategy = st.lists(st.tuples(st.integers(0, 13), st.sampled_from(COUNTRIES), st.sampled_from([0, 1800, 3600, 5400, 7200])),
                            max_size=60)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Warehouse]:
    """One warehouse ranking the week by views, one ranking it by hours (switch date after it)."""
    return {by_views: Warehouse.init(tmp_path_factory.mktemp("ranking") / "warehouse",
                                     {"list_size": 3, "rank_by_views_from": "2026-01-05" if by_views else "2027-01-04"})
            for by_views in (True, False)}


def expected_lists(titles: list, seconds: dict, by_views: bool) -> dict:
    lists: dict = {}
    for (country, key), total in seconds.items():
        kind, language, runtime = titles[key]
        if total <= 0:
            continue
        category = ("Films" if kind == "film" else "TV") + ("" if country else " (English)" if language == "en" else " (Non-English)")
        views = total / runtime if runtime else None
        metric, other = (views, total) if by_views else (total, views)
        lists.setdefault((country, category), []).append((metric is None, -(metric or 0), other is None, -(other or 0), f"T{key:03d}"))
    return {list_key: [row[-1] for row in sorted(rows)[:3]] for list_key, rows in lists.items()}


@settings(max_examples=60, deadline=None)
@given(titles=titles_strategy, viewing=viewing_strategy, by_views=st.booleans())
def test_lists_equal_a_plain_sort(warehouses: dict[bool, Warehouse], titles: list, viewing: list, by_views: bool) -> None:
    warehouse = warehouses[by_views]
    warehouse.execute("DELETE FROM titles; DELETE FROM episodes; DELETE FROM chart_entries; DELETE FROM editions")
    for key, (kind, language, runtime) in enumerate(titles):
        warehouse.execute("INSERT INTO titles (title_key, title_id, show_title, kind, original_language, runtime_seconds) "
                          "VALUES (?, ?, ?, ?, ?, ?)", [key, f"T{key:03d}", f"Title {key}", kind, language,
                                                        runtime if kind == "film" else None])
        if kind == "tv" and runtime:
            warehouse.execute("INSERT INTO episodes (episode_id, title_key, runtime_seconds) VALUES (?, ?, ?)",
                              [f"E{key}", key, runtime])
    seconds: dict = {}
    for key, country, amount in viewing:
        if key < len(titles):
            seconds[(country, key)] = seconds.get((country, key), 0) + amount
            seconds[(None, key)] = seconds.get((None, key), 0) + amount
    index = dict(warehouse.execute("SELECT iso2, country_index FROM countries").fetchall())
    by_country = sorted((key, index[country], total) for (country, key), total in seconds.items() if country)
    replace_rollup_rows(warehouse, WEEKLY, WEEK, pa.table({
        "title_key": pa.array([row[0] for row in by_country], pa.int32()),
        "country_index": pa.array([row[1] for row in by_country], pa.int16()),
        "seconds": pa.array([row[2] for row in by_country], pa.int64()),
        "sessions": pa.array([1] * len(by_country), pa.int64())}))
    compute_charts(warehouse, weeks=[WEEK])
    got: dict = {}
    for country, category, title_id in warehouse.execute(
            "SELECT c.country, c.category, t.title_id FROM current_entries c JOIN titles t USING (title_key) "
            "ORDER BY c.country NULLS FIRST, c.category, c.rank").fetchall():
        got.setdefault((country, category), []).append(title_id)
    assert got == expected_lists(titles, seconds, by_views)
