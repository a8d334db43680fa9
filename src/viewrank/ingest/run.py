"""A run of Parquet files ingested in one pass and one transaction.

A delivery of 24 hourly files a day costs what one daily file costs: DuckDB validates and
stages every row of the run in one statement (scan.py), drops duplicate ids once for the run
and the ids already stored with one anti-join, numbers the run's new accounts, and writes one
sorted part per day for the whole run (staging.py), which the rollup's streaming kernel reads
as it would a day delivered in one file. Each file keeps its own batch id, manifest row,
quarantine rows and counts; the parts are registered under the run's id (its first file's
batch id), and a crash at any moment leaves none of the run stored.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import pyarrow as pa

from ..errors import StrictModeRejection
from ..store.warehouse import Warehouse
from . import scan, sources
from .batch import CUT_SQL, FIRST_PROBLEMS, MAX_QUARANTINED_CHARS, IngestReport, batch_sql, check_columns, stored_batch
from .readers import detect_format, normalise_name
from .staging import Stage

# A run stops growing past this much input, so its staging files stay a few times this size on disk.
MAX_RUN_BYTES = 1 << 30
HASHING_THREADS = 2
KNOWN_SQL = "SELECT sha256, path, batch_id FROM ingested_files WHERE list_contains(?, sha256)"


def scannable(path: Path, format: str | None = None) -> scan.ScanFile | None:
    """The file as a member of a run, when it is Parquet that DuckDB may read directly; else None
    (it is ingested alone, streamed through readers.py). A file without the required columns is refused here."""
    if (format or detect_format(path)) != "parquet":
        return None
    found = scan.readable_directly(path)
    if found is None:
        return None
    stored, layout = found
    names = [normalise_name(name) for name in stored]
    return scan.ScanFile(path, stored, names, check_columns(path, names), layout)


def fits(run: list[scan.ScanFile], file: scan.ScanFile) -> bool:
    """Whether `file` may join `run`: the same layout, and the run not yet at its size."""
    if not run:
        return True
    size = sum(member.path.stat().st_size for member in run)
    return file.layout == run[0].layout and file.names == run[0].names and size < MAX_RUN_BYTES


def ingest_run(warehouse: Warehouse, files: list[scan.ScanFile], *, strict: bool, now: dt.datetime,
               advance: Callable[[int], None] | None = None) -> list[IngestReport]:
    """Ingest the files in one transaction, in order (the first copy of an event id is the one
    kept); a report per file. A file already ingested (the same content) is skipped. `advance`
    is told of the files in thirds, as the run is staged, settled and committed."""
    reports = [IngestReport(str(file.path)) for file in files]
    with ThreadPoolExecutor(HASHING_THREADS) as pool:  # hashlib lets go of the GIL: files hash side by side
        hashes = list(pool.map(sources.file_sha256, [file.path for file in files]))
    known = {sha256: f"{path} (batch {batch_id})" for sha256, path, batch_id in warehouse.execute(KNOWN_SQL, [hashes]).fetchall()}
    todo: list[int] = []
    for index, sha256 in enumerate(hashes):
        if sha256 in known:
            reports[index].already_ingested_as = known[sha256]
        else:
            todo.append(index)
            reports[index].batch_id = warehouse.scalar("SELECT nextval('batch_ids')")
            known[sha256] = f"{files[index].path} (batch {reports[index].batch_id})"
    told = 0

    def done_thirds(thirds: int) -> None:
        nonlocal told
        files_done = len(files) * thirds // 3
        if advance and files_done > told:
            advance(files_done - told)
        told = max(told, files_done)
    if todo:
        _Run(warehouse, [files[i] for i in todo], [reports[i] for i in todo], [hashes[i] for i in todo],
             strict=strict, now=now, done_thirds=done_thirds).store()
    done_thirds(3)
    return reports


class _Run:
    """The files of a run not ingested before, on their way into the warehouse together."""

    def __init__(self, warehouse: Warehouse, files: list[scan.ScanFile], reports: list[IngestReport],
                 hashes: list[str], *, strict: bool, now: dt.datetime, done_thirds: Callable[[int], None]):
        self.warehouse, self.files, self.reports, self.hashes = warehouse, files, reports, hashes
        self.strict, self.now, self.done_thirds = strict, now, done_thirds
        self.run_id = int(reports[0].batch_id or 0)

    def store(self) -> None:
        with stored_batch(self.warehouse, self.run_id, self.now) as batch:
            self._stage(batch.stage)
            self.done_thirds(1)
            batch.stage.settle(batch.writer)
            self.done_thirds(2)
            loaded = batch.stage.loaded_by_file()
            batch.place_parts()
            for index, (file, report, sha256) in enumerate(zip(self.files, self.reports, self.hashes)):
                rows, days = loaded.get(index, (0, []))
                report.rows_loaded = rows
                report.rows_duplicate = report.rows_read - report.rows_quarantined - rows
                report.days = [day.isoformat() for day in days]
                batch.record(report, file.path, sha256, "parquet")

    def _stage(self, stage: Stage) -> None:
        """Validate and stage every row of the run, and quarantine the bad ones (or refuse the
        first file holding one, under `strict`)."""
        warehouse, reports = self.warehouse, self.reports
        source = scan.source_sql(self.files)
        counts = scan.stage(warehouse, self.files, source, batch_sql(warehouse), stage.staged)
        for index, report in enumerate(reports):
            report.rows_read, report.rows_quarantined = counts.get(index, (0, 0))
        bad = sum(report.rows_quarantined for report in reports)
        if bad:
            for index, problems in scan.first_bad_rows(warehouse, stage.staged, FIRST_PROBLEMS).items():
                reports[index].first_problems = problems
            if self.strict:
                report = next(report for report in reports if report.first_problems)
                row, reason = report.first_problems[0]
                raise StrictModeRejection(report.path, f"{reason} ({report.rows_quarantined} bad rows; nothing was ingested)",
                                          row=row)
            run_files = pa.table({"file": pa.array(range(len(reports)), pa.int64()),
                                  "batch_id": pa.array([report.batch_id for report in reports], pa.int64()),
                                  "path": pa.array([report.path for report in reports], pa.string())})
            scan.quarantine(warehouse, self.files, source, stage.staged, run_files, CUT_SQL, {"max": MAX_QUARANTINED_CHARS})
        stage.adopt(sum(report.rows_read for report in reports) - bad)
