"""Playback-log ingest: validate every row, quarantine the bad ones, store the good ones
as immutable Parquet parts partitioned by day, and never count an input or an event twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pyarrow as pa

from ..errors import InputError, StrictModeRejection
from ..store.quoting import sql_literal
from ..store.warehouse import EVENTS_DIR, STAGING_DIR, Warehouse
from .readers import RawInput, read_input

REQUIRED_COLUMNS = ("event_id", "account_id", "country", "start_time", "seconds_watched")
EARLIEST_START = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
FUTURE_TOLERANCE = dt.timedelta(days=1)
# Row groups a rollup streams one at a time: large enough to scan fast, small enough to bound memory.
PART_ROW_GROUP_SIZE = 1_000_000
# How event parts are written (DuckDB COPY options); the benchmark writes its parts the same way.
PART_FORMAT = f"FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE {PART_ROW_GROUP_SIZE}"


@dataclass
class IngestReport:
    """What one input file contributed."""

    path: str
    batch_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    already_ingested_as: str | None = None
    first_problems: list[tuple[int, str]] = field(default_factory=list)
    days: list[str] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_file(warehouse: Warehouse, path: str | os.PathLike[str], *, strict: bool = False,
                format: str | None = None, now: dt.datetime | None = None) -> IngestReport:
    """Ingest one playback-log file (CSV, TSV, JSON Lines or Parquet) in one atomic batch."""
    path = Path(path)
    report = IngestReport(str(path))
    if not path.is_file():
        raise InputError(str(path), "no such file")
    sha256 = file_sha256(path)
    known = warehouse.execute("SELECT path, batch_id FROM ingested_files WHERE sha256 = ?", [sha256]).fetchone()
    if known:
        report.already_ingested_as = f"{known[0]} (batch {known[1]})"
        return report
    raw = read_input(path, format=format)
    _check_columns(raw)
    report.rows_read = raw.rows_read
    now = now or dt.datetime.now(dt.timezone.utc)
    with warehouse.registered("raw", raw.table):
        warehouse.execute(
            "CREATE OR REPLACE TEMP TABLE batch AS " + _validate_sql(),
            {"earliest": EARLIEST_START, "latest": now + FUTURE_TOLERANCE,
             "max_seconds": warehouse.methodology.max_session_seconds})
        problems = [(row, reason, text) for row, reason, text in raw.rejected]
        problems += warehouse.execute(
            "SELECT b._row, b.reason, to_json(raw) FROM batch b JOIN raw USING (_row) WHERE b.reason IS NOT NULL"
        ).fetchall()
    problems.sort()
    report.rows_quarantined = len(problems)
    report.first_problems = [(row, reason) for row, reason, _ in problems[:5]]
    if strict and problems:
        row, reason, _ = problems[0]
        raise StrictModeRejection(str(path), f"{reason} ({len(problems)} bad rows; nothing was ingested)", row=row)
    _store_batch(warehouse, path, raw, sha256, problems, report, now)
    return report


def _validate_sql() -> str:
    return resources.files("viewrank.ingest").joinpath("validate.sql").read_text()


def _check_columns(raw: RawInput) -> None:
    names = set(raw.table.column_names)
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise InputError(str(raw.path), f"missing column {missing[0]!r} (found: {', '.join(sorted(names - {'_row'}))})")
    if "title_id" not in names and "episode_id" not in names:
        raise InputError(str(raw.path), "needs a title_id or an episode_id column")
    for optional in ("title_id", "episode_id"):
        if optional not in names:
            raw.table = raw.table.append_column(optional, pa.nulls(raw.table.num_rows, pa.string()))


GOOD_ROWS_SQL = """
    SELECT event_id, account_id, CAST(title_key AS INTEGER) AS title_key,
           CAST(episode_key AS INTEGER) AS episode_key, CAST(country_index AS SMALLINT) AS country_index,
           CAST(start_time AS TIMESTAMPTZ) AS start_time,
           CAST(round(seconds_value) AS INTEGER) AS seconds,
           CAST(timezone($timezone, start_time) AS DATE) AS day
    FROM batch
    WHERE reason IS NULL
"""

# A file that repeats an event id keeps its first row (retried lines inside one upload).
DROP_REPEATED_IDS_SQL = """
DELETE FROM good WHERE rowid NOT IN (SELECT min(rowid) FROM good GROUP BY event_id)
"""

# New accounts get the next dense keys; known ones keep theirs.
NEW_ACCOUNTS_SQL = """
INSERT INTO accounts
SELECT account_id, CAST((SELECT coalesce(max(account_key), 0) FROM accounts) + row_number() OVER (ORDER BY account_id) AS INTEGER)
FROM (SELECT DISTINCT account_id FROM good) g
WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = g.account_id)
"""

KEYED_SQL = """
SELECT g.event_id, a.account_key, g.title_key, g.episode_key, g.country_index, g.start_time, g.seconds, g.day
FROM good g JOIN accounts a USING (account_id)
"""

# What an event part holds, in the order a rollup streams it.
PART_SQL = """
SELECT * EXCLUDE (day) FROM keyed WHERE day = DATE '{day}'
ORDER BY title_key, country_index, account_key
"""


def _store_batch(warehouse: Warehouse, path: Path, raw: RawInput, sha256: str,
                 problems: list[tuple[int, str, str]], report: IngestReport, now: dt.datetime) -> None:
    """Write the good rows as per-day parts and record the batch, all in one transaction."""
    batch_id = warehouse.scalar("SELECT nextval('batch_ids')")
    report.batch_id = batch_id
    staging = warehouse.path / STAGING_DIR / f"batch-{batch_id:08d}"
    placed: list[Path] = []
    try:
        with warehouse.atomic():
            warehouse.execute("CREATE OR REPLACE TEMP TABLE good AS " + GOOD_ROWS_SQL,
                              {"timezone": warehouse.methodology.timezone})
            if warehouse.scalar("SELECT count(*) - count(DISTINCT event_id) FROM good"):
                warehouse.execute(DROP_REPEATED_IDS_SQL)
            days = [day for (day,) in warehouse.execute("SELECT DISTINCT day FROM good ORDER BY day").fetchall()]
            # Drop events whose id is already stored on the same day (a retried or overlapping upload).
            existing = [part for day in days for part in warehouse.event_part_paths(day)]
            if existing:
                warehouse.execute("DELETE FROM good WHERE event_id IN (SELECT event_id FROM read_parquet(?))", [existing])
            valid = warehouse.scalar("SELECT count(*) FROM batch WHERE reason IS NULL")
            report.rows_loaded = warehouse.scalar("SELECT count(*) FROM good")
            report.rows_duplicate = valid - report.rows_loaded
            warehouse.execute(NEW_ACCOUNTS_SQL)
            warehouse.execute("CREATE OR REPLACE TEMP TABLE keyed AS " + KEYED_SQL)
            for day, relative, rows in _write_parts(warehouse, staging, batch_id, days):
                target = warehouse.path / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / relative, target)
                placed.append(target)
                warehouse.execute("INSERT INTO event_files VALUES (?, ?, ?, ?)", [batch_id, day, relative, rows])
                report.days.append(day.isoformat())
            warehouse.execute(
                "INSERT INTO quarantine SELECT ?, ?, row, reason, raw FROM "
                "(SELECT unnest(?) AS row, unnest(?) AS reason, unnest(?) AS raw)",
                [batch_id, str(path), [p[0] for p in problems], [p[1] for p in problems], [p[2] for p in problems]])
            warehouse.execute(
                "INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [batch_id, str(path), sha256, path.stat().st_size, raw.format, report.rows_read,
                 report.rows_loaded, report.rows_quarantined, report.rows_duplicate, now.replace(tzinfo=None)])
    except BaseException:
        for target in placed:
            target.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        warehouse.execute("DROP TABLE IF EXISTS keyed; DROP TABLE IF EXISTS good; DROP TABLE IF EXISTS batch")


def _write_parts(warehouse: Warehouse, staging: Path, batch_id: int,
                 days: list[dt.date]) -> list[tuple[dt.date, str, int]]:
    """Write one sorted Parquet part per day into the staging folder."""
    shutil.rmtree(staging, ignore_errors=True)
    parts = []
    for day in days:
        relative = f"{EVENTS_DIR}/day={day.isoformat()}/batch-{batch_id:08d}.parquet"
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        warehouse.execute(f"COPY ({PART_SQL.format(day=day.isoformat())}) TO {sql_literal(str(target))} "
                          f"({PART_FORMAT})")
        rows = warehouse.scalar("SELECT count(*) FROM keyed WHERE day = ?", [day])
        parts.append((day, relative, rows))
    return parts
