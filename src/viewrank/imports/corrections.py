"""Correcting inferred identities by hand: merge two title ids that are one title, or split
a title's chart history at a week where a namesake takes over.

Editions are never changed in place: every edition that lists the title becomes a new
revision with the corrected title. Engagement rows, most-popular rows, viewing-history plays
and episodes follow a merge; a split moves chart entries only. A later re-import keeps the
correction, because rows that already have an id keep it. Titles with playback events are
refused: their events are stored under the title and would contradict the correction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from ..catalog import display_name
from ..charts.editions import ENTRY_COLUMNS, Entry, write_editions
from ..errors import CatalogError, NotFound
from ..store import events
from ..store.warehouse import Warehouse
from .identity import make_title_id


# A merged title's spellings become the target's aliases, marked with the merged id (a spelling
# both had stays the target's own, with the newer publication).
MOVE_ALIASES_SQL = (
    """UPDATE title_aliases a SET published = greatest(a.published, b.published) FROM title_aliases b
       WHERE a.title_key = $target AND b.title_key = $source AND b.show_title = a.show_title
         AND b.season_title IS NOT DISTINCT FROM a.season_title""",
    """DELETE FROM title_aliases b WHERE b.title_key = $source AND EXISTS (
           SELECT 1 FROM title_aliases a WHERE a.title_key = $target AND a.show_title = b.show_title
                                           AND a.season_title IS NOT DISTINCT FROM b.season_title)""",
    """UPDATE title_aliases SET title_key = $target, merged_from = coalesce(merged_from, $from_id)
       WHERE title_key = $source""")


def _title(warehouse: Warehouse, title_id: str) -> dict[str, Any]:
    rows = warehouse.rows("SELECT * FROM titles WHERE title_id = ?", [title_id])
    if not rows:
        raise NotFound(f"no title with id {title_id!r} (try 'viewrank titles --search')")
    return rows[0]


def _refuse_events(warehouse: Warehouse, title: dict[str, Any]) -> None:
    parts = events.part_paths(warehouse)
    viewed = warehouse.scalar("SELECT count(*) FROM daily_rollup WHERE title_key = ?", [title["title_key"]])
    if not viewed and parts:
        viewed = warehouse.scalar(f"SELECT count(*) FROM {events.relation(parts, ['title_key'])} WHERE title_key = ?",
                                  [title["title_key"]])
    if viewed:
        raise CatalogError(f"{title['title_id']} has playback events; only titles known from imported lists "
                           "can be merged or split")


def _rekey(warehouse: Warehouse, title_key: int, new_key: int, since: dt.date | None, source: str) -> int:
    """New revisions of every current edition listing `title_key` (from week `since`), with
    `new_key` in its place; returns how many editions changed."""
    columns = ", ".join(ENTRY_COLUMNS)
    affected = warehouse.execute(
        "SELECT DISTINCT edition_id, week, scope, origin FROM current_entries WHERE title_key = ? "
        "AND (? IS NULL OR week >= ?) ORDER BY scope, week", [title_key, since, since]).fetchall()
    for scope in ("global", "country"):
        chosen = [(edition_id, week, origin) for edition_id, week, edition_scope, origin in affected if edition_scope == scope]
        for origin in sorted({origin for _, _, origin in chosen}):
            weeks: dict[dt.date, list[Entry]] = {}
            for edition_id, week, edition_origin in chosen:
                if edition_origin != origin:
                    continue
                entries = [Entry(*row) for row in warehouse.execute(
                    f"SELECT {columns} FROM chart_entries WHERE edition_id = ?", [edition_id]).fetchall()]
                weeks[week] = [dataclasses.replace(entry, title_key=new_key) if entry.title_key == title_key else entry
                               for entry in entries]
            write_editions(warehouse, scope, weeks, origin=origin, source=source,
                           methodology={"origin": origin, "correction": source})
    return len(affected)


def merge_titles(warehouse: Warehouse, from_id: str, into_id: str) -> dict[str, Any]:
    """Make `from_id` the same title as `into_id`: its rows move over and the id disappears."""
    if from_id == into_id:
        raise CatalogError("give two different title ids")
    source, target = _title(warehouse, from_id), _title(warehouse, into_id)
    _refuse_events(warehouse, source)
    clash = warehouse.execute(
        "SELECT week, scope, category, country FROM current_entries WHERE title_key IN (?, ?) "
        "GROUP BY ALL HAVING count(DISTINCT title_key) > 1 ORDER BY week LIMIT 1",
        [source["title_key"], target["title_key"]]).fetchone()
    if clash:
        where = f"{clash[2]} list" + (f" of {clash[3]}" if clash[3] else "")
        raise CatalogError(f"{from_id} and {into_id} are both on the {where} of {clash[0]}: they are different titles")
    with warehouse.atomic():
        editions = _rekey(warehouse, source["title_key"], target["title_key"], None, f"titles-merge {from_id} into {into_id}")
        for table in ("engagement_rows", "most_popular", "viewing_history_plays", "episodes"):
            warehouse.execute(f"UPDATE {table} SET title_key = ? WHERE title_key = ?",
                              [target["title_key"], source["title_key"]])
        moved = {"source": source["title_key"], "target": target["title_key"], "from_id": from_id}
        for statement in MOVE_ALIASES_SQL:
            warehouse.execute(statement, {name: value for name, value in moved.items() if f"${name}" in statement})
        warehouse.execute("DELETE FROM titles WHERE title_key = ?", [source["title_key"]])
        warehouse.execute("INSERT INTO title_corrections VALUES ('merge', ?, ?, NULL, ?, now())", [from_id, into_id, editions])
    return {"action": "merge", "title_id": from_id, "into": into_id, "new_editions": editions}


def split_title(warehouse: Warehouse, title_id: str, from_week: dt.date) -> dict[str, Any]:
    """Give the chart entries of `title_id` from `from_week` on to a new title (a namesake)."""
    title = _title(warehouse, title_id)
    _refuse_events(warehouse, title)
    before, after = warehouse.execute(
        "SELECT count(*) FILTER (WHERE week < ?), count(*) FILTER (WHERE week >= ?) FROM current_entries "
        "WHERE title_key = ?", [from_week, from_week, title["title_key"]]).fetchone()  # type: ignore[misc]
    if not before or not after:
        raise CatalogError(f"{title_id} has chart entries only {'after' if not before else 'before'} {from_week}: "
                           "nothing to split")
    new_id = make_title_id(display_name(title["show_title"], title["season_title"]), "split", title_id, from_week)
    copied = [name for name in title if name not in ("title_key", "title_id")]
    with warehouse.atomic():
        new_key = warehouse.scalar(
            f"INSERT INTO titles (title_id, {', '.join(copied)}) SELECT ?, {', '.join(copied)} FROM titles "
            "WHERE title_key = ? RETURNING title_key", [new_id, title["title_key"]])
        editions = _rekey(warehouse, title["title_key"], new_key, from_week, f"titles-split {title_id} at {from_week}")
        warehouse.execute("INSERT INTO title_corrections VALUES ('split', ?, ?, ?, ?, now())",
                          [title_id, new_id, from_week, editions])
    return {"action": "split", "title_id": title_id, "new_title_id": new_id, "from_week": from_week,
            "new_editions": editions}
