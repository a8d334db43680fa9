"""Consistency checks of a warehouse: what a crash, a bug, a hand edit or the disk could break.

Each check is a query or a file listing that must come back empty; `check` runs them all,
verifies the checksum of every block of the database file, and looks at both ends and the
footer of every registered part (store/damage.py), which finds a truncated or overwritten
part without reading its data; `--deep` reads every page of every part as well. A check
that cannot run (a damaged block, an unreadable part) is itself reported, never raised.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..rollup.daily import ROLLUP_SELECT
from . import events
from .damage import database_damage, page_damage, part_damage
from .quoting import quote_identifier
from .rollup_parts import ROLLUP_DIR
from .warehouse import DATABASE_FILE, EVENTS_DIR, Warehouse

BLOCK_SIZE_SQL = "SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()"
TABLES_SQL = "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
CHECKS_SQL = {
    "manifest rows differ from the event parts of a run": """
        WITH runs AS (
            SELECT coalesce(run_id, batch_id) AS run_id, sum(rows_loaded) AS rows_loaded FROM ingested_files
            WHERE batch_id NOT IN (SELECT batch_id FROM spark_batches)  -- their events stay where Spark read them
            GROUP BY ALL
        )
        SELECT r.run_id, r.rows_loaded, coalesce(sum(f.rows), 0) AS part_rows
        FROM runs r LEFT JOIN event_files f ON f.batch_id = r.run_id
        GROUP BY r.run_id, r.rows_loaded HAVING r.rows_loaded <> coalesce(sum(f.rows), 0)""",
    "event parts without a recorded run": """
        SELECT f.path FROM event_files f
        WHERE f.batch_id NOT IN (SELECT coalesce(run_id, batch_id) FROM ingested_files)""",
    "rolled-up days that no longer match their event parts": """
        WITH parts AS (SELECT day, count(*) AS parts, sum(rows) AS event_rows FROM event_files GROUP BY day)
        SELECT r.day FROM rollup_days r LEFT JOIN parts p USING (day)
        WHERE (p.day IS NULL AND r.engine <> 'spark-raw') OR r.event_parts <> p.parts OR r.event_rows <> p.event_rows""",
    "daily rollups whose sessions differ from their day's events": """
        WITH sessions AS (SELECT day, sum(sessions) AS sessions FROM daily_rollup GROUP BY day)
        SELECT r.day FROM rollup_days r LEFT JOIN sessions s USING (day)
        WHERE coalesce(s.sessions, 0) <> r.event_rows""",
    "weekly rollups out of step with the daily rollups": """
        WITH weekly AS (SELECT week, sum(seconds) AS seconds FROM weekly_rollup GROUP BY week)
        SELECT w.week FROM weekly w
        WHERE w.seconds <> (SELECT coalesce(sum(seconds), 0) FROM daily_rollup d
                            WHERE d.day BETWEEN w.week - INTERVAL 6 DAY AND w.week)""",
    "event key index out of step with the event parts": """
        SELECT (SELECT count(*) FROM event_keys) AS keys, (SELECT coalesce(sum(rows), 0) FROM event_files) AS events
        WHERE EXISTS (SELECT 1 FROM event_key_function) AND keys <> events""",
    "editions without entries or with broken ranks": """
        SELECT e.edition_id FROM editions e LEFT JOIN chart_entries c USING (edition_id)
        GROUP BY e.edition_id
        HAVING count(c.rank) = 0 OR count(c.rank) <> count(DISTINCT (c.country, c.category, c.rank))""",
    "chart entries of no edition": """
        SELECT DISTINCT edition_id FROM chart_entries WHERE edition_id NOT IN (SELECT edition_id FROM editions)""",
}


def check(warehouse: Warehouse, *, deep: bool = False) -> list[dict[str, Any]]:
    """Every inconsistency found, as {check, rows}; empty when the warehouse is sound.

    `deep` also reads every event part: every event id stored once, and every stored daily
    rollup equal to a fresh one.
    """
    problems: list[dict[str, Any]] = []
    # Every block, index blocks included (which no query of the tables reads), then every table's rows.
    broken_tables = database_damage(warehouse.path / DATABASE_FILE, int(warehouse.scalar(BLOCK_SIZE_SQL)))
    for (table,) in warehouse.execute(TABLES_SQL).fetchall():
        try:  # every column of every row: a block that fails its checksum raises here
            warehouse.execute(f"SELECT bit_xor(hash(COLUMNS(*))) FROM {quote_identifier(table)}").fetchall()
        except duckdb.Error as error:
            broken_tables.append(f"{table}: {str(error).splitlines()[0][:200]}")
    if broken_tables:
        problems.append({"check": "database blocks that fail their checksum (restore viewrank.duckdb from a backup)",
                         "rows": broken_tables[:10]})
    for name, sql in CHECKS_SQL.items():
        try:
            rows = warehouse.execute(sql).fetchall()
        except duckdb.Error as error:  # a rollup part gone missing (reported below too), a damaged block
            rows = [(f"could not be read: {str(error).splitlines()[0][:300]}",)]
        if rows:
            problems.append({"check": name, "rows": [list(row) for row in rows[:10]]})
    registered: dict[str, set[str]] = {}
    for what, table, folder, pattern in (("event parts", "event_files", EVENTS_DIR, "day=*/*"),
                                         ("rollup parts", "rollup_parts", ROLLUP_DIR, "*/*=*/*")):
        part_rows = dict(warehouse.execute(f"SELECT path, rows FROM {table}").fetchall())
        listed = registered[table] = set(part_rows)
        on_disk = {path.relative_to(warehouse.path).as_posix() for path in (warehouse.path / folder).glob(pattern)}
        for name, paths in ((f"registered {what} missing on disk", listed - on_disk),
                            (f"{what} on disk that nothing registered", on_disk - listed)):
            if paths:
                problems.append({"check": name, "rows": sorted(paths)[:10]})
        damaged = [f"{path}: {why}" for path in sorted(listed & on_disk)
                   if (why := part_damage(warehouse.path / path, part_rows[path])
                       or (page_damage(warehouse.path / path) if deep else None))]
        if damaged:
            fix = "run 'viewrank rollup' to recompute them" if table == "rollup_parts" else \
                "their events are lost: restore the files from a backup"
            problems.append({"check": f"damaged {what} ({fix})", "rows": damaged[:10]})
    if deep and registered["event_files"]:
        every_part = events.part_paths(warehouse)
        try:
            repeated = warehouse.execute(f"SELECT event_id, count(*) FROM {events.relation(every_part, ['event_id'])} "
                                         "GROUP BY event_id HAVING count(*) > 1 ORDER BY event_id LIMIT 10").fetchall()
        except duckdb.Error as error:  # a damaged event part, reported above
            repeated = [(f"could not be read: {str(error).splitlines()[0][:300]}",)]
        if repeated:
            problems.append({"check": "event ids stored more than once", "rows": [list(row) for row in repeated]})
        for (day,) in warehouse.execute("SELECT day FROM rollup_days WHERE engine <> 'spark-raw' ORDER BY day").fetchall():
            try:
                mismatched = _day_mismatches(warehouse, day)
            except duckdb.Error as error:
                problems.append({"check": "a day's events or rollup could not be read",
                                 "rows": [f"{day}: {str(error).splitlines()[0][:300]}"]})
                continue
            if mismatched:
                problems.append({"check": "daily rollup differs from a fresh rollup of its events", "rows": [str(day)]})
    return problems


def _day_mismatches(warehouse: Warehouse, day: Any) -> int:
    """Rows that differ between the stored daily rollup of `day` and a fresh rollup of its events."""
    mismatched = warehouse.execute(
        f"""WITH events AS (SELECT CAST($day AS DATE) AS day, * FROM {events.relation(events.part_paths(warehouse, day))}),
                 fresh AS (SELECT r.day, r.title_key, c.iso2 AS country, r.seconds, r.sessions, r.accounts
                           FROM ({ROLLUP_SELECT}) r JOIN countries c USING (country_index)),
                 stored AS (SELECT * FROM daily_rollup WHERE day = $day)
            SELECT count(*) FROM ((SELECT * FROM fresh EXCEPT ALL SELECT * FROM stored)
                                  UNION ALL (SELECT * FROM stored EXCEPT ALL SELECT * FROM fresh))""",
        {"day": day}).fetchone()[0]  # type: ignore[index]
    return int(mismatched)
