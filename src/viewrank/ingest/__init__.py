"""Playback-log ingest: validate every row, quarantine the bad ones, store the good ones
as immutable Parquet parts partitioned by day, and never count an input or an event twice.

A file is streamed in record batches (readers.py), so memory is bounded by a batch whatever
the size of the file. Each batch is validated and keyed by SQL in DuckDB (validate.sql) and
its good rows staged on disk; then DuckDB drops the event ids already stored (keys.py: an
event id is unique in the warehouse whatever its day), gives new accounts their keys and
streams the rows sorted by (day, title_key, country_index, account_key) into one part per
day (staging.py), spilling rather than holding anything in memory. The whole file is one
transaction: its parts, keys, accounts, quarantine and manifest row commit together or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, StrictModeRejection, WarehouseError
from ..store.events import PartWriter
from ..store.quoting import sql_literal
from ..store.warehouse import STAGING_DIR, Warehouse
from . import sources
from .keys import FINGERPRINT_SQL, KEY_SQL, rebuild_if_stale
from . import scan
from .readers import ROW, RawBatch, RawInput, open_input
from .staging import Stage

REQUIRED_COLUMNS = ("event_id", "account_id", "country", "start_time", "seconds_watched")
EARLIEST_START = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
FUTURE_TOLERANCE = dt.timedelta(days=1)
FIRST_PROBLEMS = 5
# DuckDB's settings while ingesting: past the memory limit, a file's deduplication, sort and
# inserts (held in its transaction until it commits) spill to the temporary folder beside the
# database; without keeping insertion order, writing the file's new events to staging needs no buffer.
INGEST_MEMORY_LIMIT = "256MB"
INGEST_SETTINGS = {"memory_limit": INGEST_MEMORY_LIMIT, "preserve_insertion_order": "false"}


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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_files(warehouse: Warehouse, paths: Iterable[str | os.PathLike[str]], *, strict: bool = False,
                 format: str | None = None, now: dt.datetime | None = None,
                 advance: Callable[[int], None] | None = None) -> list[IngestReport]:
    """Ingest files, and the log files under folders, in order, each in its own transaction,
    a file unchanged since it was ingested (path, size and modification time) is skipped unread;
    the keys are checked and DuckDB's settings made once for the run."""
    unchanged = sources.unchanged_files(warehouse)
    reports = []
    with _prepared(warehouse):
        for path in sources.expand(list(paths)):
            if sources.signature(path) in unchanged:
                reports.append(IngestReport(str(path), already_ingested_as=f"{path} (unchanged since then)", unchanged=True))
            else:
                reports.append(ingest_file(warehouse, path, strict=strict, format=format, now=now, prepared=True))
            if advance:
                advance(1)
    return reports


def ingest_file(warehouse: Warehouse, path: str | os.PathLike[str], *, strict: bool = False,
                format: str | None = None, now: dt.datetime | None = None,
                prepared: bool = False) -> IngestReport:
    """Ingest one playback-log file (CSV, TSV, JSON Lines or Parquet) in one atomic batch
    (`prepared`: the caller has made event_keys current and DuckDB's ingest settings for its run)."""
    path = Path(path)
    report = IngestReport(str(path))
    if not path.is_file():
        raise InputError(str(path), "no such file")
    sha256 = file_sha256(path)
    known = warehouse.execute("SELECT path, batch_id FROM ingested_files WHERE sha256 = ?", [sha256]).fetchone()
    if known:
        report.already_ingested_as = f"{known[0]} (batch {known[1]})"
        return report
    raw = open_input(path, format=format)
    missing_title = _check_columns(path, raw.columns)
    batch = _Batch(warehouse, path, report, strict=strict, now=now or dt.datetime.now(dt.timezone.utc), missing_title=missing_title)
    with contextlib.nullcontext() if prepared else _prepared(warehouse):
        batch.run(raw, sha256)
    return report


@contextlib.contextmanager
def _prepared(warehouse: Warehouse) -> Iterator[None]:
    """event_keys made current and DuckDB's ingest settings in force, for one file or a run."""
    rebuild_if_stale(warehouse)
    with _settings(warehouse, INGEST_SETTINGS):
        yield


@contextlib.contextmanager
def _settings(warehouse: Warehouse, settings: dict[str, str]) -> Iterator[None]:
    """DuckDB's settings changed for the block, then set back."""
    before = {name: warehouse.scalar(f"SELECT CAST(current_setting({sql_literal(name)}) AS VARCHAR)") for name in settings}
    for name, value in settings.items():
        warehouse.execute(f"SET {name} = {sql_literal(value)}")
    try:
        yield
    finally:
        for name, value in before.items():
            with contextlib.suppress(duckdb.Error):
                warehouse.execute(f"SET {name} = {sql_literal(value)}")


def _refuse_spark_days(warehouse: Warehouse, days: list[dt.date]) -> None:
    """A day rolled up on Spark from its raw files takes no locally ingested events (its rollup
    would silently leave them out, or a local rollup would drop Spark's events)."""
    spark_days = [day for (day,) in warehouse.execute(SPARK_DAYS_SQL, [days]).fetchall()]
    if spark_days:
        raise WarehouseError(f"{spark_days[0]} was rolled up on Spark from its raw files: a day is rolled up either "
                             f"from local events or on Spark, not both ({len(spark_days)} such days; give this "
                             "file to spark-ingest with the other files of those days instead)")


def _check_columns(path: Path, columns: list[str]) -> list[str]:
    """Refuse a file without a required column; the optional id columns it lacks."""
    names = set(columns)
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise InputError(str(path), f"missing column {missing[0]!r} (found: {', '.join(sorted(names - {ROW}))})")
    if "title_id" not in names and "episode_id" not in names:
        raise InputError(str(path), "needs a title_id or an episode_id column")
    return [name for name in ("title_id", "episode_id") if name not in names]


def _validate_sql() -> str:
    return resources.files("viewrank.ingest").joinpath("validate.sql").read_text()


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

SPARK_DAYS_SQL = "SELECT day FROM rollup_days WHERE engine = 'spark-raw' AND list_contains(?, day) ORDER BY day"
INSERT_MANIFEST_SQL = """
INSERT INTO ingested_files (batch_id, path, sha256, size_bytes, format, rows_read, rows_loaded, rows_quarantined,
                            rows_duplicate, ingested_at, modified_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
# A quarantined row's text and reason are kept to MAX_QUARANTINED_CHARS, saying where they
# were cut (one 100 MB bad row once grew the database by 75 MB).
MAX_QUARANTINED_CHARS = 4_096
CUT_SQL = ("CASE WHEN length({column}) > $max THEN left({column}, $max) || '… (cut at ' || format('{{:,}}', $max) "
           "|| ' characters)' ELSE {column} END")
INSERT_QUARANTINE_SQL = f"""
INSERT INTO quarantine SELECT $batch_id, $path, row, {CUT_SQL.format(column="reason")}, {CUT_SQL.format(column="raw")}
FROM (SELECT unnest($rows) AS row, unnest($reasons) AS reason, unnest($raws) AS raw)
"""


class _Batch:
    """One input file on its way into the warehouse, a record batch at a time."""

    def __init__(self, warehouse: Warehouse, path: Path, report: IngestReport, *,
                 strict: bool, now: dt.datetime, missing_title: list[str]):
        self.warehouse, self.path, self.report = warehouse, path, report
        self.strict, self.now, self.missing_title = strict, now, missing_title
        self.first_problem: tuple[int, str] | None = None
        day = UTC_DAY_SQL if warehouse.methodology.timezone == "UTC" else DAY_SQL
        self.batch_sql = BATCH_SQL.format(validate=_validate_sql(), key=KEY_SQL.format(id="v.event_id"), day=day,
                                          fingerprint=FINGERPRINT_SQL.format(id="v.event_id"))
        for name in VALIDATION_VARIABLES:
            self.batch_sql = self.batch_sql.replace(f"${name}", f"getvariable('ingest_{name}')")
        self.validation = {"timezone": warehouse.methodology.timezone, "earliest": EARLIEST_START, "latest": now + FUTURE_TOLERANCE,
                           "max_seconds": warehouse.methodology.max_session_seconds}

    def run(self, raw: RawInput, sha256: str) -> None:
        warehouse, report = self.warehouse, self.report
        batch_id = report.batch_id = warehouse.scalar("SELECT nextval('batch_ids')")
        staging = warehouse.path / STAGING_DIR / f"batch-{batch_id:08d}"
        shutil.rmtree(staging, ignore_errors=True)
        writer = PartWriter(staging, batch_id, ordered=True)
        stage = Stage(warehouse, staging)
        placed: list[Path] = []
        for name in VALIDATION_VARIABLES:
            warehouse.execute(f"SET VARIABLE ingest_{name} = $value", {"value": self.validation[name]})
        try:
            with warehouse.atomic():
                stored = scan.readable_directly(self.path) if raw.format == "parquet" else None
                if stored is not None:
                    self._scan(raw, stored, stage)
                else:
                    for batch in raw.batches:
                        self._ingest(batch, stage)
                if self.strict and self.first_problem:
                    row, reason = self.first_problem
                    raise StrictModeRejection(str(self.path), f"{reason} ({report.rows_quarantined} bad rows; "
                                              "nothing was ingested)", row=row)
                report.rows_loaded = stage.settle(writer)
                report.rows_duplicate = stage.rows - report.rows_loaded
                parts = writer.close()
                _refuse_spark_days(warehouse, [day for day, *_ in parts])
                for day, relative, rows, is_sorted in parts:
                    target = warehouse.path / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staging / relative, target)
                    placed.append(target)
                    warehouse.execute("INSERT INTO event_files (batch_id, day, path, rows, sorted) VALUES (?, ?, ?, ?, ?)",
                                      [batch_id, day, relative, rows, is_sorted])
                    report.days.append(day.isoformat())
                _, size, modified = sources.signature(self.path)
                warehouse.execute(INSERT_MANIFEST_SQL, [
                    batch_id, str(self.path), sha256, size, raw.format, report.rows_read, report.rows_loaded,
                    report.rows_quarantined, report.rows_duplicate, self.now.replace(tzinfo=None), modified])
        except BaseException:
            stage.close()
            writer.abort()
            for target in placed:
                target.unlink(missing_ok=True)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _scan(self, raw: RawInput, stored: list[str], stage: Stage) -> None:
        """Validate and stage a whole Parquet file in DuckDB (scan.py), and quarantine its bad rows."""
        report = self.report
        source = scan.source_sql(self.path, stored, raw.columns, self.missing_title)
        rows, bad = scan.stage(self.warehouse, self.path, source, self.batch_sql, stage.staged)
        report.rows_read, report.rows_quarantined = rows, bad
        if bad:
            report.first_problems = scan.first_bad_rows(self.warehouse, stage.staged, FIRST_PROBLEMS)
            self.first_problem = report.first_problems[0]
            if not self.strict:
                scan.quarantine(self.warehouse, source, stage.staged, CUT_SQL, {
                    "batch_id": report.batch_id, "path": str(self.path), "max": MAX_QUARANTINED_CHARS})
        stage.adopt(rows - bad)

    def _ingest(self, raw: RawBatch, stage: Stage) -> None:
        """Validate and quarantine one record batch, and stage its good rows."""
        warehouse, report = self.warehouse, self.report
        table = raw.table
        for name in self.missing_title:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
        report.rows_read += table.num_rows + len(raw.rejected)
        # Over the batch alone (Warehouse.over): registered, every batch would stay in memory until the file commits.
        batch = warehouse.over("raw", table, self.batch_sql)
        bad = batch.filter(pc.is_valid(batch["reason"])).select([ROW, "reason"])
        problems = list(raw.rejected)
        if bad.num_rows:
            bad_raw = table.filter(pc.is_in(table[ROW], value_set=bad[ROW].combine_chunks()))
            text = dict(zip(*warehouse.over("raw", bad_raw, BAD_ROWS_SQL).to_pydict().values()))
            problems += [(row, reason, text[row]) for row, reason in zip(bad[ROW].to_pylist(), bad["reason"].to_pylist())]
        self._quarantine(sorted(problems))
        if self.strict and self.first_problem:
            return  # the file will be refused: only count the rest of its problems
        stage.add(batch.filter(pc.is_null(batch["reason"])) if bad.num_rows else batch)

    def _quarantine(self, problems: list[tuple[int, str, str]]) -> None:
        if not problems:
            return
        report = self.report
        report.rows_quarantined += len(problems)
        if self.first_problem is None:
            self.first_problem = (problems[0][0], problems[0][1])
        room = FIRST_PROBLEMS - len(report.first_problems)
        report.first_problems += [(row, reason) for row, reason, _ in problems[:max(room, 0)]]
        if self.strict:
            return
        self.warehouse.execute(INSERT_QUARANTINE_SQL, {
            "batch_id": report.batch_id, "path": str(self.path), "rows": [p[0] for p in problems],
            "reasons": [p[1] for p in problems], "raws": [p[2] for p in problems], "max": MAX_QUARANTINED_CHARS})
