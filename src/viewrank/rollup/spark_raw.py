"""Raw playback logs to daily rollups on Apache Spark, for deliveries larger than one machine.

Spark reads the raw delivery files where they lie (any path Spark reads: local, file://,
hdfs://, s3a://, ...). Each file is validated on an executor by local ingest's own readers
and its validate.sql (in an embedded DuckDB), so a row is good or quarantined, and for the
same reason, exactly as `viewrank ingest` decides; Spark then drops repeated event ids
across every file of the run (the first delivered wins: files in the order given, a folder's
files by path, rows in file order) and runs the one rollup definition (daily.ROLLUP_SELECT).

Only small results come back: the manifest of files read (size, SHA-256, row counts), the
quarantined rows and the daily rollups, stored through the same rollup-part store as the
local engines (daily.store_rollups) in one transaction. The events themselves stay where they
were read, so a run is a whole recomputation of the days its files touch: give it every file
of those days (a day is rolled up either from locally ingested events or on Spark, never
both); files read again replace their earlier manifest rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, WarehouseError
from ..ingest.batch import (BAD_ROWS_SQL, BATCH_SQL, DAY_SQL, EARLIEST_START, FUTURE_TOLERANCE, IngestReport, check_columns,
                            validate_sql)
from ..ingest.readers import ROW, RawBatch, detect_format, open_input
from ..store.rollup_parts import rollup_transaction
from ..store.warehouse import Warehouse
from .daily import ROLLUP_SELECT, SPARK_RAW_ENGINE, store_rollups
from .spark import spark_session

ENGINE = SPARK_RAW_ENGINE  # rollup_days.engine of the days this module rolls up
FILE_ERROR_ROW = 0  # the row of an error about a whole file that names no row
# The raw text of an error about a whole file, which fails the run: no input line holds a newline.
WHOLE_FILE = "\n(the whole file)\n"
SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".pq")
# Rows an executor hands back to Spark at a time.
SLICE_ROWS = 65_536

# What an executor returns for every input row: good rows carry the event, bad ones a reason.
VALIDATED = pa.schema([
    ("file", pa.int32()), ("row", pa.int64()), ("event_id", pa.string()), ("account_id", pa.string()),
    ("title_key", pa.int32()), ("country_index", pa.int16()), ("seconds", pa.int32()), ("day", pa.date32()),
    ("reason", pa.string()), ("raw", pa.string())])
VALIDATED_DDL = ("file INT, row BIGINT, event_id STRING, account_id STRING, title_key INT, country_index SMALLINT, "
                 "seconds INT, day DATE, reason STRING, raw STRING")

# Local ingest's batch SQL (validate.sql, then each good row's day and whole seconds); Spark
# compares event and account ids themselves, so the hashed keys are left out.
EXECUTOR_BATCH_SQL = BATCH_SQL.format(validate=validate_sql(), key="NULL", fingerprint="NULL", day=DAY_SQL,
                                      account_key="NULL", account_print="NULL")

# Every good row numbered among the copies of its event id, the first delivered being copy 1.
RANKED_SQL = """
SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY file, row) AS copy FROM validated WHERE reason IS NULL
UNION ALL
SELECT *, CAST(NULL AS INT) AS copy FROM validated WHERE reason IS NOT NULL
"""
FILE_COUNTS_SQL = """
SELECT file, count(*) AS rows_read, count(reason) AS quarantined, count_if(copy > 1) AS duplicate
FROM ranked GROUP BY file
"""
QUARANTINE_SQL = "SELECT file, row, reason, raw FROM ranked WHERE reason IS NOT NULL ORDER BY file, row"
EVENTS_SQL = ("SELECT day, title_key, country_index, seconds, account_id AS account_key "
              "FROM ranked WHERE copy = 1")


@dataclass
class SparkIngestReport:
    """What a Spark run read and rolled up: a report per file (as `viewrank ingest` gives) and the days."""

    master: str
    files: list[IngestReport] = field(default_factory=list)
    days: list[dt.date] = field(default_factory=list)
    event_rows: int = 0
    engine: str = ENGINE


@dataclass(frozen=True)
class Validation:
    """What an executor needs to validate files as local ingest does: the catalog and the bounds."""

    order: dict[str, int]  # file URL -> its position in the delivery
    titles: pa.Table
    episodes: pa.Table
    countries: pa.Table
    parameters: dict[str, Any]  # validate.sql's and BATCH_SQL's: bounds and time zone


def ingest_and_rollup_with_spark(warehouse: Warehouse, sources: list[str], *, master: str = "local[2]",
                                 session: Any = None, now: dt.datetime | None = None,
                                 progress: Callable[[str], None] | None = None) -> SparkIngestReport:
    """Validate, deduplicate and roll up the raw files under `sources` (files or folders, any
    Hadoop-compatible URL) on Spark, and store the results in the warehouse in one transaction."""
    if not sources:
        raise InputError("(no sources)", "give at least one file or folder to read")
    spark = session or spark_session(master, app_name="viewrank-ingest")
    spark.sparkContext.setLogLevel("ERROR")
    report = SparkIngestReport(master=spark.sparkContext.master)
    say = progress or (lambda _: None)
    say("listing and hashing the delivery")
    manifest = _manifest(spark, sources)
    known = dict(warehouse.execute(
        "SELECT sha256, path || ' (batch ' || batch_id || ')' FROM ingested_files "
        "WHERE batch_id NOT IN (SELECT batch_id FROM spark_batches)").fetchall())
    files: list[tuple[str, int, str]] = []
    seen: dict[str, str] = {}
    for url, size, sha256 in manifest:
        file_report = IngestReport(url)
        if sha256 in known or sha256 in seen:
            file_report.already_ingested_as = known.get(sha256) or f"{seen[sha256]} (in this run)"
        else:
            seen[sha256] = url
            files.append((url, size, sha256))
        report.files.append(file_report)
    if not files:
        return report
    now = now or dt.datetime.now(dt.timezone.utc)
    say(f"validating {len(files)} files")
    with warnings.catch_warnings():  # pyspark warns about pandas 3, which mapInArrow does not use
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
        validated = spark.read.format("binaryFile").load([url for url, _, _ in files]).select("path", "content") \
            .mapInArrow(functools.partial(validate_files, _validation(warehouse, [url for url, _, _ in files], now)),
                        VALIDATED_DDL)
    validated.createOrReplaceTempView("validated")
    ranked = spark.sql(RANKED_SQL).persist()
    try:
        ranked.createOrReplaceTempView("ranked")
        quarantine = spark.sql(QUARANTINE_SQL).toArrow()
        _refuse_broken_files(quarantine, files)
        counts = {row["file"]: row for row in spark.sql(FILE_COUNTS_SQL).toArrow().to_pylist()}
        say("rolling up")
        spark.sql(EVENTS_SQL).createOrReplaceTempView("events")
        rollups = spark.sql(ROLLUP_SELECT).toArrow()
    finally:
        ranked.unpersist()
    _store(warehouse, report, files, counts, quarantine, rollups, now)
    return report


def _manifest(spark: Any, sources: list[str]) -> list[tuple[str, int, str]]:
    """(URL, size, SHA-256) of every input file under `sources`, in delivery order: sources in
    the order given, the files of a folder by path; hidden files and other suffixes are skipped."""
    from pyspark.sql.functions import sha2
    found: list[tuple[str, int, str]] = []
    for source in sources:
        try:
            rows = (spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(source)
                    .select("path", "length", sha2("content", 256).alias("sha256")).collect())
        except Exception as error:  # Spark's AnalysisException: the path does not exist or cannot be listed
            raise InputError(source, f"cannot be read ({str(error).splitlines()[0]})") from None
        chosen = [(row["path"], int(row["length"]), row["sha256"]) for row in rows if _is_input(row["path"])]
        if not chosen:
            raise InputError(source, f"holds no input file (expected names ending {', '.join(SUFFIXES)})")
        found += sorted(chosen)
    return found


def _is_input(url: str) -> bool:
    name = PurePosixPath(url).name
    return not name.startswith((".", "_")) and name.lower().endswith(SUFFIXES)


def _validation(warehouse: Warehouse, urls: list[str], now: dt.datetime) -> Validation:
    return Validation(
        order={url: position for position, url in enumerate(urls)},
        titles=warehouse.arrow("SELECT title_key, title_id FROM titles"),
        episodes=warehouse.arrow("SELECT episode_key, episode_id, title_key FROM episodes"),
        countries=warehouse.arrow("SELECT iso2, country_index FROM countries"),
        parameters={"timezone": warehouse.methodology.timezone, "earliest": EARLIEST_START,
                    "latest": now + FUTURE_TOLERANCE, "max_seconds": warehouse.methodology.max_session_seconds})


def validate_files(validation: Validation, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """On an executor: each file (URL and bytes) read and validated exactly as local ingest does."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'; SET threads = 1")
    for name in ("titles", "episodes", "countries"):
        _expose(con, name, getattr(validation, name))
    for batch in batches:
        for url, content in zip(batch.column("path").to_pylist(), batch.column("content").to_pylist()):
            for table in _validate_file(con, validation, url, content):
                yield from table.to_batches(max_chunksize=SLICE_ROWS)


def _expose(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """An Arrow table as a view of the executor's own DuckDB (the warehouse's `registered` is for the warehouse)."""
    con.from_arrow(table).create_view(name, replace=True)


def _validate_file(con: duckdb.DuckDBPyConnection, validation: Validation, url: str,
                   content: bytes) -> Iterator[pa.Table]:
    """A file's rows validated a record batch at a time; a file that cannot be read is one row saying why."""
    file = validation.order[url]
    with tempfile.TemporaryDirectory(prefix="viewrank-spark-") as folder:
        path = Path(folder) / PurePosixPath(url).name
        path.write_bytes(content)
        try:
            raw = open_input(path, format=detect_format(path))
            missing = check_columns(path, raw.columns)
            for piece in raw.batches:
                yield _validate_batch(con, validation, file, piece, missing)
        except InputError as error:
            yield pa.Table.from_pylist([{"file": file, "row": error.row or FILE_ERROR_ROW, "reason": error.reason,
                                         "raw": WHOLE_FILE}], VALIDATED)


def _validate_batch(con: duckdb.DuckDBPyConnection, validation: Validation, file: int, piece: RawBatch,
                    missing: list[str]) -> pa.Table:
    table = piece.table
    for name in missing:
        table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
    _expose(con, "raw", table)
    try:
        batch = con.sql(EXECUTOR_BATCH_SQL, params=validation.parameters).to_arrow_table()
        bad = batch.filter(pc.is_valid(batch["reason"])).select([ROW, "reason"])
        text: dict[int, str] = {}
        if bad.num_rows:
            _expose(con, "raw", table.filter(pc.is_in(table[ROW], value_set=bad[ROW].combine_chunks())))
            text = dict(con.execute(BAD_ROWS_SQL).fetchall())
    finally:
        con.execute("DROP VIEW IF EXISTS raw")
    good = batch.filter(pc.is_null(batch["reason"]))
    problems = [*zip(bad[ROW].to_pylist(), bad["reason"].to_pylist(), (text[row] for row in bad[ROW].to_pylist())),
                *piece.rejected]
    columns = {name: good[name] for name in ("event_id", "account_id", "title_key", "country_index", "seconds", "day")}
    rows = pa.table({"file": pa.nulls(good.num_rows, pa.int32()).fill_null(file), "row": good[ROW], **columns,
                     "reason": pa.nulls(good.num_rows, pa.string()), "raw": pa.nulls(good.num_rows, pa.string())})
    quarantined = pa.Table.from_pylist([{"file": file, "row": row, "reason": reason, "raw": raw}
                                        for row, reason, raw in problems], VALIDATED)
    return pa.concat_tables([rows.cast(VALIDATED), quarantined])


def _refuse_broken_files(quarantine: pa.Table, files: list[tuple[str, int, str]]) -> None:
    """A file that cannot be read at all (no header, a missing column, not Parquet) fails the run."""
    for file, row, reason, raw in zip(*(quarantine[name].to_pylist() for name in ("file", "row", "reason", "raw"))):
        if raw == WHOLE_FILE:
            raise InputError(files[file][0], reason, row=row or None)


def _store(warehouse: Warehouse, report: SparkIngestReport, files: list[tuple[str, int, str]],
           counts: dict[int, dict[str, int]], quarantine: pa.Table, rollups: pa.Table, now: dt.datetime) -> None:
    """Record the manifest, the quarantine and the rollups of the run's days in one transaction."""
    days = sorted(set(rollups["day"].to_pylist()))
    local = [day for (day,) in warehouse.execute(
        "SELECT DISTINCT day FROM event_files WHERE list_contains(?, day) ORDER BY day", [days]).fetchall()]
    if local:
        raise WarehouseError(f"{local[0]} already has events ingested locally: a day is rolled up either from "
                             f"local events or on Spark, not both ({len(local)} such days)")
    by_url = {item.path: item for item in report.files}
    problems = quarantine.to_pylist()
    with rollup_transaction(warehouse):
        warehouse.execute(
            "CREATE OR REPLACE TEMP TABLE replaced AS SELECT batch_id FROM ingested_files "
            "WHERE list_contains(?, sha256) AND batch_id IN (SELECT batch_id FROM spark_batches)",
            [[sha256 for _, _, sha256 in files]])
        for table in ("quarantine", "spark_batches", "ingested_files"):
            warehouse.execute(f"DELETE FROM {table} WHERE batch_id IN (SELECT batch_id FROM replaced)")
        warehouse.execute("DROP TABLE replaced")
        for file, (url, size, sha256) in enumerate(files):
            count = counts.get(file, {"rows_read": 0, "quarantined": 0, "duplicate": 0})
            item = by_url[url]
            item.batch_id = warehouse.scalar("SELECT nextval('batch_ids')")
            item.rows_read, item.rows_quarantined, item.rows_duplicate = (
                count["rows_read"], count["quarantined"], count["duplicate"])
            item.rows_loaded = item.rows_read - item.rows_quarantined - item.rows_duplicate
            item.first_problems = [(p["row"], p["reason"]) for p in problems if p["file"] == file][:5]
            warehouse.execute("INSERT INTO ingested_files (batch_id, path, sha256, size_bytes, format, rows_read, "
                              "rows_loaded, rows_quarantined, rows_duplicate, ingested_at) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              [item.batch_id, url, sha256, size, detect_format(Path(PurePosixPath(url).name)),
                               item.rows_read, item.rows_loaded, item.rows_quarantined, item.rows_duplicate,
                               now.replace(tzinfo=None)])
            warehouse.execute("INSERT INTO spark_batches VALUES (?, ?)", [item.batch_id, report.master])
        batch_ids = pa.table({"file": pa.array(range(len(files)), pa.int32()),
                              "batch_id": pa.array([by_url[url].batch_id for url, _, _ in files], pa.int64()),
                              "path": pa.array([url for url, _, _ in files], pa.string())})
        with warehouse.registered("run_files", batch_ids), warehouse.registered("run_quarantine", quarantine):
            warehouse.execute("INSERT INTO quarantine SELECT f.batch_id, f.path, q.row, q.reason, q.raw "
                              "FROM run_quarantine q JOIN run_files f USING (file) ORDER BY q.file, q.row")
        for week in _weeks(warehouse, rollups, days):
            store_rollups(warehouse, week, [_rows_of(rollups, [day for day, _, _ in week])], engine=ENGINE)
            report.days += [day for day, _, _ in week]
            report.event_rows += sum(rows for _, _, rows in week)


def _weeks(warehouse: Warehouse, rollups: pa.Table, days: list[dt.date]) -> list[list[tuple[dt.date, int, int]]]:
    """The run's days grouped by chart week as store_rollups takes them: (day, 0 parts, events)."""
    sessions: dict[dt.date, int] = {}
    for day, count in zip(rollups["day"].to_pylist(), rollups["sessions"].to_pylist()):
        sessions[day] = sessions.get(day, 0) + count
    weeks: dict[dt.date, list[tuple[dt.date, int, int]]] = {}
    for day in days:
        weeks.setdefault(warehouse.methodology.week_end(day), []).append((day, 0, sessions[day]))
    return list(weeks.values())


def _rows_of(rollups: pa.Table, days: list[dt.date]) -> pa.Table:
    return rollups.filter(pc.is_in(rollups["day"], pa.array(days, pa.date32())))
