"""Playback-log ingest: validate every row, quarantine the bad ones, store the good ones
as immutable Parquet parts partitioned by day, and never count an input or an event twice.

Consecutive Parquet files of one layout are ingested as a run (run.py): DuckDB reads,
validates and stages all their rows in one statement (scan.py), and the run's new events are
found, keyed and sorted into one part per day in one pass (staging.py), so a day delivered as
24 hourly files is stored as a day delivered in one file is. Any other file (CSV, TSV, JSON
Lines, a Parquet file whose footer DuckDB cannot trust) is streamed in record batches
(readers.py), validated by the same SQL (validate.sql) and staged the same way. Either way the
batch is one transaction: its parts, keys, accounts, quarantine and manifest rows commit
together or not at all, and memory is bounded by DuckDB's ingest limit, which it spills past."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, StrictModeRejection
from ..store.warehouse import Warehouse
from . import run, scan, sources
from .sources import file_sha256
from .batch import (BAD_ROWS_SQL, CUT_SQL, EARLIEST_START, FIRST_PROBLEMS, FUTURE_TOLERANCE, MAX_QUARANTINED_CHARS,
                    IngestReport, batch_sql, check_columns, stored_batch)
from .keys import rebuild_if_stale
from .readers import ROW, RawBatch, RawInput, open_input
from .staging import Stage

__all__ = ["EARLIEST_START", "FUTURE_TOLERANCE", "IngestReport", "file_sha256", "ingest_file", "ingest_files"]
INSERT_QUARANTINE_SQL = f"""
INSERT INTO quarantine SELECT $batch_id, $path, row, {CUT_SQL.format(column="reason")}, {CUT_SQL.format(column="raw")}
FROM (SELECT unnest($rows) AS row, unnest($reasons) AS reason, unnest($raws) AS raw)
"""
# DuckDB's settings while ingesting: past the memory limit, a file's deduplication, sort and
# inserts (held in its transaction until it commits) spill to the temporary folder beside the
# database; without keeping insertion order, writing the file's new events to staging needs no buffer.
INGEST_MEMORY_LIMIT = "256MB"
INGEST_SETTINGS = {"memory_limit": INGEST_MEMORY_LIMIT, "preserve_insertion_order": "false"}


def ingest_files(warehouse: Warehouse, paths: Iterable[str | os.PathLike[str]], *, strict: bool = False,
                 format: str | None = None, now: dt.datetime | None = None,
                 advance: Callable[[int], None] | None = None) -> list[IngestReport]:
    """Ingest files, and the log files under folders, in order: consecutive Parquet files of one
    layout as runs in one pass each (run.py), any other file alone; a file unchanged since it was
    ingested (path, size and modification time) is skipped unread. A run that meets a bad file
    is ingested again a file at a time, so the files before it are kept and the error names it."""
    now = now or dt.datetime.now(dt.timezone.utc)
    unchanged = sources.unchanged_files(warehouse)
    found = sources.expand(list(paths))
    reports: list[IngestReport | None] = [None] * len(found)
    pending: list[tuple[int, scan.ScanFile]] = []

    def flush() -> None:
        files = [file for _, file in pending]
        try:
            done = run.ingest_run(warehouse, files, strict=strict, now=now, advance=advance)
        except InputError:
            if len(files) == 1:
                raise
            done = [report for file in files for report in run.ingest_run(warehouse, [file], strict=strict, now=now)]
        for (index, _), report in zip(pending, done):
            reports[index] = report
        pending.clear()

    with _prepared(warehouse):
        for index, path in enumerate(found):
            if sources.signature(path) in unchanged:
                reports[index] = IngestReport(str(path), already_ingested_as=f"{path} (unchanged since then)", unchanged=True)
            elif (member := _scannable(path, format, flush if pending else None)) is not None:
                if pending and not run.fits([file for _, file in pending], member):
                    flush()
                pending.append((index, member))
                continue
            else:
                if pending:
                    flush()
                reports[index] = ingest_file(warehouse, path, strict=strict, format=format, now=now, prepared=True)
            if advance:
                advance(1)
        if pending:
            flush()
    return [report for report in reports if report is not None]


def ingest_file(warehouse: Warehouse, path: str | os.PathLike[str], *, strict: bool = False,
                format: str | None = None, now: dt.datetime | None = None,
                prepared: bool = False) -> IngestReport:
    """Ingest one playback-log file (CSV, TSV, JSON Lines or Parquet) in one atomic batch
    (`prepared`: the caller has made event_keys current and DuckDB's ingest settings for its run)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "no such file")
    now = now or dt.datetime.now(dt.timezone.utc)
    with contextlib.nullcontext() if prepared else _prepared(warehouse):
        member = run.scannable(path, format)
        if member is not None:
            return run.ingest_run(warehouse, [member], strict=strict, now=now)[0]
        report = IngestReport(str(path))
        sha256 = sources.file_sha256(path)
        known = warehouse.execute("SELECT path, batch_id FROM ingested_files WHERE sha256 = ?", [sha256]).fetchone()
        if known:
            report.already_ingested_as = f"{known[0]} (batch {known[1]})"
            return report
        raw = open_input(path, format=format)
        missing_title = check_columns(path, raw.columns)
        _Batch(warehouse, path, report, strict=strict, now=now, missing_title=missing_title).run(raw, sha256)
    return report


def _scannable(path: Path, format: str | None, flush: Callable[[], None] | None) -> scan.ScanFile | None:
    """run.scannable, storing the run so far (`flush`) before a refused file's error is raised."""
    try:
        return run.scannable(path, format)
    except InputError:
        if flush:
            flush()
        raise


@contextlib.contextmanager
def _prepared(warehouse: Warehouse) -> Iterator[None]:
    """event_keys made current and DuckDB's ingest settings in force, for one file or a run."""
    rebuild_if_stale(warehouse)
    with warehouse.settings(INGEST_SETTINGS):
        yield


class _Batch:
    """One input file on its way into the warehouse, a record batch at a time."""

    def __init__(self, warehouse: Warehouse, path: Path, report: IngestReport, *,
                 strict: bool, now: dt.datetime, missing_title: list[str]):
        self.warehouse, self.path, self.report = warehouse, path, report
        self.strict, self.now, self.missing_title = strict, now, missing_title
        self.first_problem: tuple[int, str] | None = None
        self.batch_sql = batch_sql(warehouse)

    def run(self, raw: RawInput, sha256: str) -> None:
        warehouse, report = self.warehouse, self.report
        report.batch_id = warehouse.scalar("SELECT nextval('batch_ids')")
        with stored_batch(warehouse, report.batch_id, self.now) as batch:
            for record_batch in raw.batches:
                self._ingest(record_batch, batch.stage)
            if self.strict and self.first_problem:
                row, reason = self.first_problem
                raise StrictModeRejection(str(self.path), f"{reason} ({report.rows_quarantined} bad rows; "
                                          "nothing was ingested)", row=row)
            report.rows_loaded = batch.stage.settle(batch.writer)
            report.rows_duplicate = batch.stage.rows - report.rows_loaded
            report.days = [day.isoformat() for day in batch.place_parts()]
            batch.record(report, self.path, sha256, raw.format)

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
