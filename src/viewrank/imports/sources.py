"""The record of imported files: one row per file content, so a re-import of the same bytes
(under any name) changes nothing, and every import says what became of its rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Callable, Protocol, TypeVar

from ..errors import InputError
from ..ingest import file_sha256
from ..store.warehouse import Warehouse


def known_source(warehouse: Warehouse, sha256: str) -> str | None:
    """'path (source N)' when a file with these bytes was imported before, else None."""
    row = warehouse.execute("SELECT path, source_id FROM import_sources WHERE sha256 = ?", [sha256]).fetchone()
    return f"{row[0]} (source {row[1]})" if row else None


def already_imported(warehouse: Warehouse, sha256: str, path: Path, seen: dict[str, Path]) -> str | None:
    """Where these bytes were imported before, or named earlier in the same command (`seen`)."""
    if sha256 in seen:
        return f"{seen[sha256]} (the same content, earlier in this command)"
    seen[sha256] = path
    return known_source(warehouse, sha256)


class ImportReport(Protocol):
    already_imported_as: str | None


Report = TypeVar("Report", bound=ImportReport)
Parsed = TypeVar("Parsed")


def read_new_files(warehouse: Warehouse, paths: list[Path], *, report: Callable[[str], Report],
                   read: Callable[[Path, str], Parsed]) -> tuple[list[Report], list[tuple[Parsed, Report]]]:
    """A report per file, and every file not imported before (by content) read and validated,
    so that a bad file is refused before anything is written."""
    reports: list[Report] = []
    todo: list[tuple[Parsed, Report]] = []
    seen: dict[str, Path] = {}
    for path in paths:
        if not path.is_file():
            raise InputError(str(path), "no such file")
        result = report(str(path))
        reports.append(result)
        sha256 = file_sha256(path)
        result.already_imported_as = already_imported(warehouse, sha256, path, seen)
        if result.already_imported_as is None:
            todo.append((read(path, sha256), result))
    return reports, todo


def record_source(warehouse: Warehouse, *, kind: str, path: Path, sha256: str, layout: dict[str, Any],
                  rows_read: int, outcome: dict[str, Any]) -> int:
    """Add the file to import_sources (inside the caller's transaction); returns its source id."""
    return int(warehouse.scalar(
        "INSERT INTO import_sources (kind, path, sha256, size_bytes, layout, rows_read, outcome, imported_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING source_id",
        [kind, str(path), sha256, path.stat().st_size, json.dumps(layout, ensure_ascii=False), rows_read,
         json.dumps(outcome, sort_keys=True), dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)]))


def list_sources(warehouse: Warehouse) -> list[dict[str, Any]]:
    """Every imported file, oldest first, with its layout and outcome decoded."""
    rows = warehouse.rows("SELECT source_id, kind, path, sha256, rows_read, layout, outcome, imported_at "
                          "FROM import_sources ORDER BY source_id")
    for row in rows:
        row["layout"] = json.loads(row["layout"])
        row["outcome"] = json.loads(row["outcome"])
    return rows
