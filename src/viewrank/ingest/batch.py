"""What every ingest batch shares, whether it is one file or a run of Parquet files: the
report of a file, the validating SQL with its settings, the quarantine's cut, and storing a
batch's parts and manifest rows inside its transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterator

from ..errors import InputError, WarehouseError
from ..store.events import PartWriter
from ..store.warehouse import STAGING_DIR, Warehouse
from . import sources
from .keys import FINGERPRINT_SQL, KEY_SQL
from .readers import ROW
from .staging import Stage

REQUIRED_COLUMNS = ("event_id", "account_id", "country", "start_time", "seconds_watched")
EARLIEST_START = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
FUTURE_TOLERANCE = dt.timedelta(days=1)
FIRST_PROBLEMS = 5


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
    unchanged: bool = False  # skipped unread: same path, size and modification time as when ingested


def check_columns(path: Path, columns: list[str]) -> list[str]:
    """Refuse a file without a required column; the optional id columns it lacks."""
    names = set(columns)
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise InputError(str(path), f"missing column {missing[0]!r} (found: {', '.join(sorted(names - {ROW}))})")
    if "title_id" not in names and "episode_id" not in names:
        raise InputError(str(path), "needs a title_id or an episode_id column")
    return [name for name in ("title_id", "episode_id") if name not in names]


# trim() takes off the Unicode space separators (Zs): of ASCII text, only the space. A value
# all of ASCII (as many bytes as characters) that neither starts nor ends with a space is its
# own trim, found without the copy trim() makes of every value (a third of the validation).
TRIMMED_SQL = ("CASE WHEN strlen(CAST({column} AS VARCHAR)) = length(CAST({column} AS VARCHAR)) "
               "AND NOT starts_with(CAST({column} AS VARCHAR), ' ') AND NOT ends_with(CAST({column} AS VARCHAR), ' ') "
               "THEN CAST({column} AS VARCHAR) ELSE trim(CAST({column} AS VARCHAR)) END")


def validate_sql() -> str:
    """validate.sql, with each trimmed(column) written out as TRIMMED_SQL."""
    text = resources.files("viewrank.ingest").joinpath("validate.sql").read_text()
    return re.sub(r"trimmed\((\w+)\)", lambda match: TRIMMED_SQL.format(column=match.group(1)), text)


# A batch validated (validate.sql), keyed and typed as it is staged (staging.py).
BATCH_SQL = """
WITH validated AS ({validate})
SELECT v._row, v.reason, {key} AS key, {fingerprint} AS fingerprint,
       {day} AS day,
       v.event_id, v.account_id,
       CAST(v.title_key AS INTEGER) AS title_key,
       CAST(v.episode_key AS INTEGER) AS episode_key, CAST(v.country_index AS SMALLINT) AS country_index,
       CAST(v.start_time AS TIMESTAMPTZ) AS start_time,
       CASE WHEN v.reason IS NULL THEN CAST(round(v.seconds_value) AS INTEGER) END AS seconds
FROM validated v
"""
# A start time's day in the methodology's time zone; a UTC day needs no time zone rules (they
# took a third of the validation's time).
DAY_SQL = "CAST(timezone($timezone, v.start_time) AS DATE)"
UTC_DAY_SQL = "CAST(DATE '1970-01-01' + CAST(epoch_us(v.start_time) // 86400000000 AS INTEGER) AS DATE)"
# The raw text of the bad rows (`raw` holds only them), for the quarantine.
BAD_ROWS_SQL = "SELECT raw._row, to_json(raw) FROM raw"
# The validation's settings, as variables: statements over an Arrow table take no parameters.
VALIDATION_VARIABLES = ("timezone", "earliest", "latest", "max_seconds")
# A quarantined row's text and reason are kept to MAX_QUARANTINED_CHARS, saying where they
# were cut (one 100 MB bad row once grew the database by 75 MB).
MAX_QUARANTINED_CHARS = 4_096
CUT_SQL = ("CASE WHEN length({column}) > $max THEN left({column}, $max) || '… (cut at ' || format('{{:,}}', $max) "
           "|| ' characters)' ELSE {column} END")

SPARK_DAYS_SQL = "SELECT day FROM rollup_days WHERE engine = 'spark-raw' AND list_contains(?, day) ORDER BY day"
INSERT_MANIFEST_SQL = """
INSERT INTO ingested_files (batch_id, run_id, path, sha256, size_bytes, format, rows_read, rows_loaded, rows_quarantined,
                            rows_duplicate, ingested_at, modified_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def batch_sql(warehouse: Warehouse) -> str:
    """BATCH_SQL for this warehouse's time zone, reading its settings from the variables `set_validation` makes."""
    day = UTC_DAY_SQL if warehouse.methodology.timezone == "UTC" else DAY_SQL
    sql = BATCH_SQL.format(validate=validate_sql(), key=KEY_SQL.format(id="v.event_id"), day=day,
                           fingerprint=FINGERPRINT_SQL.format(id="v.event_id"))
    for name in VALIDATION_VARIABLES:
        sql = sql.replace(f"${name}", f"getvariable('ingest_{name}')")
    return sql


def set_validation(warehouse: Warehouse, now: dt.datetime) -> None:
    """The validation's settings as DuckDB variables, for rows ingested at `now`."""
    values = {"timezone": warehouse.methodology.timezone, "earliest": EARLIEST_START, "latest": now + FUTURE_TOLERANCE,
              "max_seconds": warehouse.methodology.max_session_seconds}
    for name in VALIDATION_VARIABLES:
        warehouse.execute(f"SET VARIABLE ingest_{name} = $value", {"value": values[name]})


class Batch:
    """A batch's staging folder, its staged rows and its part writer, inside its transaction."""

    def __init__(self, warehouse: Warehouse, batch_id: int, now: dt.datetime):
        self.warehouse, self.batch_id, self.now = warehouse, batch_id, now
        self.staging = warehouse.path / STAGING_DIR / f"batch-{batch_id:08d}"
        self.writer = PartWriter(self.staging, batch_id, ordered=True)
        self.stage = Stage(warehouse, self.staging)
        self.placed: list[Path] = []

    def place_parts(self) -> list[dt.date]:
        """Finish the batch's parts, move them into the event store and register them; the days they hold."""
        warehouse, writer = self.warehouse, self.writer
        parts = writer.close()
        refuse_spark_days(warehouse, [day for day, *_ in parts])
        for day, relative, rows, is_sorted in parts:
            target = warehouse.path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / relative, target)
            self.placed.append(target)
            warehouse.execute("INSERT INTO event_files (batch_id, day, path, rows, sorted) VALUES (?, ?, ?, ?, ?)",
                              [writer.batch_id, day, relative, rows, is_sorted])
        return [day for day, *_ in parts]

    def record(self, report: IngestReport, path: Path, sha256: str, format: str) -> None:
        """The file's manifest row, with its figures from `report` (the batch is its run)."""
        _, size, modified = sources.signature(path)
        self.warehouse.execute(INSERT_MANIFEST_SQL, [
            report.batch_id, self.batch_id, str(path), sha256, size, format, report.rows_read, report.rows_loaded,
            report.rows_quarantined, report.rows_duplicate, self.now.replace(tzinfo=None), modified])


@contextlib.contextmanager
def stored_batch(warehouse: Warehouse, batch_id: int, now: dt.datetime) -> Iterator[Batch]:
    """A batch in its transaction: what it stores commits together, or nothing of it stays
    (its parts placed are removed); its staging folder is removed either way."""
    batch = Batch(warehouse, batch_id, now)
    shutil.rmtree(batch.staging, ignore_errors=True)
    set_validation(warehouse, now)
    try:
        with warehouse.atomic():
            yield batch
    except BaseException:
        batch.stage.close()
        batch.writer.abort()
        for target in batch.placed:
            target.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(batch.staging, ignore_errors=True)


def refuse_spark_days(warehouse: Warehouse, days: list[dt.date]) -> None:
    """A day rolled up on Spark from its raw files takes no locally ingested events (its rollup
    would silently leave them out, or a local rollup would drop Spark's events)."""
    spark_days = [day for (day,) in warehouse.execute(SPARK_DAYS_SQL, [days]).fetchall()]
    if spark_days:
        raise WarehouseError(f"{spark_days[0]} was rolled up on Spark from its raw files: a day is rolled up either "
                             f"from local events or on Spark, not both ({len(spark_days)} such days; give this "
                             "file to spark-ingest with the other files of those days instead)")
