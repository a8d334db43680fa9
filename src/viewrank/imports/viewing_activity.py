"""Importing a personal Netflix export (ViewingActivity.csv) as playback events.

Each row is one playback session. Rows with a Supplemental Video Type (trailers, hooks,
recaps, ...) are not viewing of a title: they are left out and counted by type. The others
become events in the ingest input layout and go through the ordinary ingest path
(validation, quarantine, duplicate events, Parquet parts):

    event_id    hash of (profile, start time, title): the same session in an overlapping
                export is one event
    account_id  hash of (file content, profile)
    title_id / episode_id   found or created by watch_titles.py
    country     the code before the space of 'US (United States)'
    start_time  Start Time (UTC), seconds_watched = Duration

Catalog entries created here have no known runtime; they get a lower bound: the furthest
playback position seen (Bookmark or Latest Bookmark), or the longest session when no
position was recorded. Every row read is loaded, a duplicate, quarantined, supplemental or
untitled (no Title: nothing to attribute it to).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..formats.tabular import Table
from ..ingest import EARLIEST_START, FUTURE_TOLERANCE, IngestReport, ingest_file
from ..store.warehouse import STAGING_DIR, Warehouse
from .sources import record_source
from .watch_titles import WatchedTitles

KIND = "netflix-viewing-activity"
TITLE_SOURCE = "viewing-activity"
REQUIRED = ("Profile Name", "Start Time", "Duration", "Title", "Country")
CLOCK = re.compile(r"(\d+):([0-5]\d):([0-5]\d)")
EVENT_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("account_id", pa.string()), ("title_id", pa.string()), ("episode_id", pa.string()),
    ("country", pa.string()), ("start_time", pa.timestamp("s", tz="UTC")), ("seconds_watched", pa.int64()),
    ("source_row", pa.int64()),
])


@dataclass
class Session:
    row: int
    profile: str
    start: dt.datetime
    seconds: int
    title: str
    supplemental: str | None
    position: int          # furthest playback position recorded, 0 if none
    country: str


@dataclass
class ActivityReport:
    path: str
    already_imported_as: str | None = None
    source_id: int | None = None
    batch_id: int | None = None
    rows_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    supplemental: dict[str, int] = field(default_factory=dict)
    untitled: int = 0        # rows without a title: nothing to attribute them to
    titles_new: int = 0
    episodes_new: int = 0
    first_problems: list[tuple[int, str]] = field(default_factory=list)
    accounted: int = 0       # the sum of every outcome: equals rows_read


def is_viewing_activity(table: Table) -> bool:
    return {"Profile Name", "Start Time", "Duration"} <= set(table.layout.columns)


def read_sessions(table: Table) -> list[Session]:
    """Every row as a session; a value that cannot be read is an error naming row and column."""
    for name in REQUIRED:
        if name not in table.layout.columns:
            raise InputError(str(table.path), f"missing column {name!r} (not a ViewingActivity.csv export)",
                             row=1, column=name)
    sessions = []
    latest = dt.datetime.now(dt.timezone.utc) + FUTURE_TOLERANCE
    for number, record in table.records():
        def fail(column: str, reason: str) -> InputError:
            return InputError(str(table.path), reason, row=number, column=column)
        try:
            start = dt.datetime.fromisoformat(record["Start Time"].strip()).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            raise fail("Start Time", f"Start Time {record['Start Time']!r} is not a date and time") from None
        if not EARLIEST_START <= start <= latest:
            raise fail("Start Time", f"Start Time {record['Start Time']!r} is before {EARLIEST_START:%Y} or in the future")
        seconds = _clock(record["Duration"])
        if seconds is None:
            raise fail("Duration", f"Duration {record['Duration']!r} is not H:MM:SS")
        title = record["Title"].strip()
        positions = [_clock(record.get(column, "")) for column in ("Bookmark", "Latest Bookmark")]
        sessions.append(Session(number, record["Profile Name"], start, seconds, title,
                                record.get("Supplemental Video Type", "").strip() or None,
                                max((p for p in positions if p is not None), default=0),
                                record["Country"].strip().split(" ", 1)[0].upper()))
    return sessions


def _clock(text: str) -> int | None:
    match = CLOCK.fullmatch(text.strip())
    return None if not match else int(match.group(1)) * 3600 + int(match.group(2)) * 60 + int(match.group(3))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]


def import_activity(warehouse: Warehouse, table: Table, sha256: str, sessions: list[Session]) -> ActivityReport:
    """Import one validated export: catalog entries first, then the events through ingest."""
    report = ActivityReport(str(table.path))
    report.rows_read = len(sessions)
    titles = WatchedTitles(warehouse, TITLE_SOURCE, (session.title for session in sessions if not session.supplemental))
    events: list[dict[str, Any]] = []
    for session in sessions:
        if session.supplemental:
            report.supplemental[session.supplemental] = report.supplemental.get(session.supplemental, 0) + 1
            continue
        if not session.title:
            report.untitled += 1
            continue
        title_id, episode_id, _ = titles.resolve(session.title, session.start.date(), episodes=True)
        titles.observe_runtime(title_id, episode_id, session.position or session.seconds)
        events.append({"event_id": "va-" + _digest(session.profile, session.start.isoformat(), session.title),
                       "account_id": "va-" + _digest(sha256, session.profile), "title_id": title_id,
                       "episode_id": episode_id, "country": session.country, "start_time": session.start,
                       "seconds_watched": session.seconds, "source_row": session.row})
    report.titles_new, report.episodes_new = len(titles.new_titles), len(titles.new_episodes)
    # One transaction: the new titles, the events and the record of the export commit together
    # or not at all (a kill between them once made the rerun report every row a duplicate).
    # The events pass through a Parquet file in the warehouse's staging folder, which the next
    # open removes should the process be killed.
    staging = warehouse.path / STAGING_DIR / f"activity-{sha256[:16]}"
    with warehouse.atomic():
        titles.write()
        try:
            staging.mkdir(parents=True, exist_ok=True)
            part = staging / f"{table.path.stem}-{sha256[:12]}.parquet"
            pq.write_table(pa.Table.from_pylist(events, schema=EVENT_SCHEMA), part)
            ingested = ingest_file(warehouse, part)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _record(warehouse, table, sha256, events, ingested, report)
    return report


def _record(warehouse: Warehouse, table: Table, sha256: str, events: list[dict[str, Any]], ingested: IngestReport,
            report: ActivityReport) -> None:
    """Count the outcome, name the export (not the staged Parquet file) in the manifest and the
    quarantine, and record the source (inside the import's transaction)."""
    report.batch_id = ingested.batch_id
    report.loaded, report.quarantined = ingested.rows_loaded, ingested.rows_quarantined
    report.duplicates = len(events) - report.loaded - report.quarantined
    # ingest numbers rows by their place in the Parquet file; report the export's own lines
    report.first_problems = [(events[row - 1]["source_row"], reason) for row, reason in ingested.first_problems]
    report.accounted = (report.loaded + report.duplicates + report.quarantined + report.untitled
                        + sum(report.supplemental.values()))
    if ingested.batch_id is not None:   # name the export, not the temporary Parquet file, whose
        # modification time is no signature of the export (a folder ingest must never skip by it)
        warehouse.execute("UPDATE ingested_files SET path = ?, format = ?, modified_ns = NULL WHERE batch_id = ?",
                          [str(table.path), KIND, ingested.batch_id])
        warehouse.execute("UPDATE quarantine SET path = ?, row_number = coalesce(CAST(json_extract(raw, '$.source_row') AS BIGINT), row_number) "
                          "WHERE batch_id = ?", [str(table.path), ingested.batch_id])
    report.source_id = record_source(
        warehouse, kind=KIND, path=table.path, sha256=sha256, layout=table.layout.to_dict(),
        rows_read=report.rows_read, outcome={"loaded": report.loaded, "duplicates": report.duplicates,
                                             "quarantined": report.quarantined, "untitled": report.untitled,
                                             "supplemental": report.supplemental,
                                             "titles_new": report.titles_new, "episodes_new": report.episodes_new,
                                             "batch_id": report.batch_id})

