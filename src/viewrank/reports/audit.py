"""Audits of published editions: what changed between revisions, and whether a published
week still follows from the stored events under the settings it was computed with."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..catalog import display_name
from ..charts.weekly import list_parameters, ranked_lists_sql
from ..errors import NotFound
from ..settings import Methodology
from ..store import events
from ..store.warehouse import Warehouse

ENTRY_SQL = """
SELECT c.country, c.category, c.rank, t.title_id, t.season_title, t.show_title, c.hours_viewed, c.views
FROM chart_entries c JOIN titles t USING (title_key)
WHERE c.edition_id = ?
ORDER BY c.country NULLS FIRST, c.category, c.rank
"""
# Exact values may differ in the last bits after a different summation order; anything
# smaller than this many seconds (or views) is the same number.
TOLERANCE = 1e-6


def editions_of(warehouse: Warehouse, week: dt.date) -> list[dict[str, Any]]:
    rows = warehouse.rows("SELECT edition_id, scope, origin, revision, source, methodology, created_at "
                          "FROM editions WHERE week = ? ORDER BY scope, revision", [week])
    if not rows:
        raise NotFound(f"no edition for the week ending {week} (weeks are named by their last day)")
    return rows


def _entries(warehouse: Warehouse, edition_id: int) -> dict[tuple[Any, str, int], dict[str, Any]]:
    return {(row["country"], row["category"], row["rank"]): row for row in warehouse.rows(ENTRY_SQL, [edition_id])}


def _label(row: dict[str, Any]) -> str:
    return display_name(row["show_title"], row["season_title"])


def diff_entries(before: dict[tuple[Any, str, int], dict[str, Any]],
                 after: dict[tuple[Any, str, int], dict[str, Any]]) -> list[dict[str, Any]]:
    """Each list position whose title or exact values differ between two sets of entries."""
    changes = []
    for position in sorted(set(before) | set(after), key=lambda p: (p[0] or "", p[1], p[2])):
        old, new = before.get(position), after.get(position)
        if old and new and old["title_id"] == new["title_id"] and all(
                abs((old[k] or 0) - (new[k] or 0)) <= TOLERANCE for k in ("hours_viewed", "views")):
            continue
        changes.append({"country": position[0], "category": position[1], "rank": position[2],
                        "before": None if old is None else {"title_id": old["title_id"], "title": _label(old),
                                                            "hours_viewed": old["hours_viewed"], "views": old["views"]},
                        "after": None if new is None else {"title_id": new["title_id"], "title": _label(new),
                                                           "hours_viewed": new["hours_viewed"], "views": new["views"]}})
    return changes


def revisions(warehouse: Warehouse, week: dt.date) -> list[dict[str, Any]]:
    """Every revision of the week's editions, each with what changed from the one before."""
    result = []
    previous: dict[str, dict[tuple[Any, str, int], dict[str, Any]]] = {}
    for edition in editions_of(warehouse, week):
        entries = _entries(warehouse, edition["edition_id"])
        scope = edition["scope"]
        result.append({key: edition[key] for key in ("edition_id", "scope", "origin", "revision", "source", "created_at")}
                      | {"entries": len(entries),
                         "changes": diff_entries(previous[scope], entries) if scope in previous else None})
        previous[scope] = entries
    return result


def verify(warehouse: Warehouse, week: dt.date) -> dict[str, Any]:
    """Recompute the week from its stored events with each edition's recorded settings and
    report every difference from the published (current) revision."""
    current = {}
    for edition in editions_of(warehouse, week):
        current[edition["scope"]] = edition  # ordered by revision: the last one wins
    method_now = warehouse.methodology
    days = [week - dt.timedelta(days=offset) for offset in range(6, -1, -1)]
    parts = [part for day in days for part in events.part_paths(warehouse, day)]
    report: dict[str, Any] = {"week": week, "event_parts": len(parts), "scopes": {}}
    if not parts:
        raise NotFound(f"no stored events for the week ending {week}: an imported edition cannot be recomputed")
    warehouse.execute(f"CREATE OR REPLACE TEMP VIEW week_events AS SELECT * FROM {events.relation(parts, with_day=True)}")
    try:
        for scope, edition in current.items():
            recorded = Methodology.from_values(json.loads(edition["methodology"]))
            if recorded.timezone != method_now.timezone or recorded.week_start != method_now.week_start:
                raise NotFound(f"edition {edition['edition_id']} used another time zone or week start than the "
                               "warehouse stores its events by; it cannot be recomputed from them")
            recomputed = {(row["country"], row["category"], row["rank"]): row for row in warehouse.rows(
                f"SELECT n.*, t.title_id, t.season_title, t.show_title FROM ({ranked_lists_sql('events')}) n "
                "JOIN titles t USING (title_key)", list_parameters(recorded, week, scope))}
            differences = diff_entries(_entries(warehouse, edition["edition_id"]), recomputed)
            report["scopes"][scope] = {"edition_id": edition["edition_id"], "revision": edition["revision"],
                                       "origin": edition["origin"], "entries": len(recomputed),
                                       "differences": differences}
    finally:
        warehouse.execute("DROP VIEW IF EXISTS week_events")
    report["ok"] = all(not scope["differences"] for scope in report["scopes"].values())
    return report
