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
from ..store import STAGING_DIR, Warehouse
from .readers import RawInput, read_input

REQUIRED_COLUMNS = ("event_id", "account_id", "country", "start_time", "seconds_watched")
EARLIEST_START = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
FUTURE_TOLERANCE = dt.timedelta(days=1)


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
    warehouse.con.register("raw", raw.table)
    try:
        warehouse.execute(
            "CREATE OR REPLACE TEMP TABLE batch AS " + _validate_sql(),
            {"earliest": EARLIEST_START, "latest": now + FUTURE_TOLERANCE,
             "max_seconds": warehouse.methodology.max_session_seconds},
        )
    finally:
        warehouse.con.unregister("raw")
    problems = [(row, reason, text) for row, reason, text in raw.rejected]
    problems += warehouse.execute(
        "SELECT _row, reason, raw_json FROM batch WHERE reason IS NOT NULL ORDER BY _row").fetchall()
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
           CAST(episode_key AS INTEGER) AS episode_key, country,
           CAST(start_time AS TIMESTAMPTZ) AS start_time,
           CAST(round(seconds_value) AS INTEGER) AS seconds,
           CAST(timezone($timezone, start_time) AS DATE) AS day
    FROM batch
    WHERE reason IS NULL
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY _row) = 1
"""


def _store_batch(warehouse: Warehouse, path: Path, raw: RawInput, sha256: str,
                 problems: list[tuple[int, str, str]], report: IngestReport, now: dt.datetime) -> None:
    batch_id = warehouse.scalar("SELECT nextval('batch_ids')")
    report.batch_id = batch_id
    warehouse.execute("CREATE OR REPLACE TEMP TABLE good AS " + GOOD_ROWS_SQL,
                      {"timezone": warehouse.methodology.timezone})
    days = [day for (day,) in warehouse.execute("SELECT DISTINCT day FROM good ORDER BY day").fetchall()]
    # Drop events whose id is already stored on the same day (a retried or overlapping upload).
    existing = [part for day in days for part in warehouse.event_part_paths(day)]
    if existing:
        warehouse.execute("DELETE FROM good WHERE event_id IN (SELECT event_id FROM read_parquet(?))", [existing])
    valid = warehouse.scalar("SELECT count(*) FROM batch WHERE reason IS NULL")
    report.rows_loaded = warehouse.scalar("SELECT count(*) FROM good")
    report.rows_duplicate = valid - report.rows_loaded
    staging = warehouse.path / STAGING_DIR / f"batch-{batch_id:08d}"
    parts = _write_parts(warehouse, staging, batch_id)
    placed: list[Path] = []
    try:
        with warehouse.atomic():
            for day, relative, rows in parts:
                target = warehouse.path / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / relative, target)
                placed.append(target)
                warehouse.execute("INSERT INTO event_files VALUES (?, ?, ?, ?)", [batch_id, day, relative, rows])
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
        warehouse.execute("DROP TABLE IF EXISTS good; DROP TABLE IF EXISTS batch")
    report.days = [day.isoformat() for day, _, _ in parts]


def _write_parts(warehouse: Warehouse, staging: Path, batch_id: int) -> list[tuple[dt.date, str, int]]:
    """Write the batch's good rows as one Parquet part per day, sorted for compact storage."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    target = str(staging / "events").replace("'", "''")
    warehouse.execute(
        f"COPY (SELECT * FROM good ORDER BY day, title_key, country) TO '{target}' "
        f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day), FILENAME_PATTERN 'batch-{batch_id:08d}-{{i}}')")
    parts = []
    for part in sorted((staging / "events").glob("day=*/*.parquet")):
        day = dt.date.fromisoformat(part.parent.name.removeprefix("day="))
        rows = warehouse.scalar("SELECT count(*) FROM read_parquet(?)", [str(part)])
        parts.append((day, part.relative_to(staging).as_posix(), rows))
    return parts
