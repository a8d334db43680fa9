"""Personal Netflix exports: tell ViewingActivity.csv (sessions) from NetflixViewingHistory.csv
(titles and dates) by their header, validate every file, then import each."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..errors import InputError
from ..formats.tabular import read_table
from ..ingest import file_sha256
from ..store.warehouse import Warehouse
from .sources import already_imported
from .viewing_activity import ActivityReport, import_activity, is_viewing_activity, read_sessions
from .viewing_history import HistoryReport, import_history, is_viewing_history, read_plays

PersonalReport = ActivityReport | HistoryReport


def import_personal_files(warehouse: Warehouse, paths: list[Path],
                          progress: Callable[[int], None] | None = None) -> list[PersonalReport]:
    """Import viewing-activity and viewing-history exports; a file seen before is skipped."""
    todo: list[tuple[Callable[[], PersonalReport] | None, PersonalReport]] = []
    seen: dict[str, Path] = {}
    for path in paths:
        if not path.is_file():
            raise InputError(str(path), "no such file")
        sha256 = file_sha256(path)
        known = already_imported(warehouse, sha256, path, seen)
        table = read_table(path)
        if is_viewing_activity(table):
            todo.append((_later(import_activity, warehouse, table, sha256, read_sessions(table)) if not known else None,
                         ActivityReport(str(path), already_imported_as=known)))
        elif is_viewing_history(table):
            todo.append((_later(import_history, warehouse, table, sha256, read_plays(table)) if not known else None,
                         HistoryReport(str(path), already_imported_as=known)))
        else:
            raise InputError(str(path), "neither a ViewingActivity.csv nor a NetflixViewingHistory.csv export "
                             f"(header: {', '.join(table.layout.columns)})", row=1)
    reports = []
    for run, skipped in todo:
        reports.append(run() if run else skipped)
        if progress:
            progress(1)
    return reports


def _later(function: Callable[..., PersonalReport], *args: Any) -> Callable[[], PersonalReport]:
    return lambda: function(*args)
