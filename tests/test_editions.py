"""The one edition writer's streak rule, over a real warehouse: a streak continues from the
week before (stored, or written in the same batch) and restarts after a week off the list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from viewrank.charts.editions import Entry, write_editions
from viewrank.store.warehouse import Warehouse

WEEKS = [dt.date(2026, 1, 4) + dt.timedelta(weeks=index) for index in range(6)]


def listed(*title_keys: int, country: str | None = None) -> list[Entry]:
    return [Entry(country, "TV (English)" if country is None else "TV", rank, key, 1.0, 1.0, 1.0, 1)
            for rank, key in enumerate(title_keys, start=1)]


def streaks(written: dict[dt.date, list[Entry]]) -> dict[tuple[dt.date, int], int]:
    return {(week, entry.title_key): entry.streak_weeks for week, entries in written.items() for entry in entries}


def test_streaks_continue_across_stored_and_new_weeks_and_restart_after_a_gap(tmp_path: Path) -> None:
    with Warehouse.init(tmp_path / "w") as warehouse, warehouse.atomic():
        stored = {WEEKS[0]: listed(7), WEEKS[2]: listed(9)}
        write_editions(warehouse, "global", stored, origin="imported", source="first", methodology={})
        batch = {WEEKS[1]: listed(7, 8), WEEKS[2]: listed(8), WEEKS[3]: listed(7, 8, 9), WEEKS[4]: listed(7, 8)}
        write_editions(warehouse, "global", batch, origin="imported", source="second", methodology={})
        recorded = warehouse.execute(
            "SELECT week, title_key, streak_weeks FROM current_entries ORDER BY ALL").fetchall()
    assert streaks(stored) == {(WEEKS[0], 7): 1, (WEEKS[2], 9): 1}
    assert streaks(batch) == {
        (WEEKS[1], 7): 2, (WEEKS[1], 8): 1,   # 7 continues the stored week before the batch
        (WEEKS[2], 8): 2,                      # the batch's own week 2 replaces the stored one (9 is off)
        (WEEKS[3], 7): 1, (WEEKS[3], 8): 3, (WEEKS[3], 9): 1,
        (WEEKS[4], 7): 2, (WEEKS[4], 8): 4,
    }
    assert recorded == [(WEEKS[0], 7, 1)] + sorted((week, key, streak)
                                                    for (week, key), streak in streaks(batch).items())


def test_each_country_list_has_its_own_streak(tmp_path: Path) -> None:
    with Warehouse.init(tmp_path / "w") as warehouse, warehouse.atomic():
        write_editions(warehouse, "country", {WEEKS[0]: listed(7, country="US") + listed(7, country="KR")},
                       origin="imported", source="first", methodology={})
        batch = {WEEKS[1]: listed(7, country="US") + listed(8, 7, country="FR")}
        write_editions(warehouse, "country", batch, origin="imported", source="second", methodology={})
    assert [(entry.country, entry.title_key, entry.streak_weeks) for entry in batch[WEEKS[1]]] == [
        ("US", 7, 2), ("FR", 8, 1), ("FR", 7, 1)]
