"""Numbered schema migrations: NNNN_what.sql files in this folder, applied in order, each
recorded in the schema_version table, all pending ones in one transaction.

A warehouse made before versions were recorded (the first release) has no schema_version
table; migration 1 is that release's schema written with IF NOT EXISTS, so it applies to
such a warehouse as a no-op and the later ones bring it up to date. To change the schema,
add the next file; never edit one that has shipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import duckdb

from ...errors import WarehouseError
from ..rollup_parts import KINDS, view_sql

MIGRATION_FILE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
VERSION_TABLE_SQL = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT now()
)"""
HAS_VERSION_TABLE_SQL = "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version' AND schema_name = 'main'"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every migration shipped with this build, in order."""
    found = []
    for entry in resources.files(__name__).iterdir():
        match = MIGRATION_FILE.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    assert [m.version for m in found] == list(range(1, len(found) + 1)), "migrations must be numbered 1, 2, 3, ..."
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The newest migration applied to the database (0 before any was recorded)."""
    if not con.execute(HAS_VERSION_TABLE_SQL).fetchall()[0][0]:
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0])


def refuse_newer(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """A warehouse migrated by a newer viewrank cannot be read by this one."""
    version, latest = schema_version(con), len(migrations())
    if version > latest:
        raise WarehouseError(f"{where} has schema version {version}, newer than this viewrank knows ({latest}); "
                             "upgrade viewrank to open it")


def migrate(con: duckdb.DuckDBPyConnection, where: str) -> list[int]:
    """Apply the pending migrations in one transaction; the versions applied."""
    refuse_newer(con, where)
    current = schema_version(con)
    pending = [migration for migration in migrations() if migration.version > current]
    if not pending:
        return []
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(VERSION_TABLE_SQL)
        _create_missing_rows_views(con)
        for migration in pending:
            con.execute(migration.sql)
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [migration.version, migration.name])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return [migration.version for migration in pending]


def _create_missing_rows_views(con: duckdb.DuckDBPyConnection) -> None:
    """The rollup rows views over no parts yet, which the schema's views read."""
    views = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    for kind in KINDS:
        if kind.view not in views:
            con.execute(view_sql(kind, []))
