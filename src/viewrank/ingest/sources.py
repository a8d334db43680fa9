"""What to ingest from the paths a user names: files as given, folders walked for the log
files they hold (Hive-style day=/hour= folders or flat), and which of those are unchanged
since they were ingested, so a folder that keeps receiving hourly files costs only the new ones.

A file is taken as unchanged when its path, size and modification time equal those recorded
when it was ingested; any other file is hashed, and a known SHA-256 is still skipped.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import InputError
from ..store.warehouse import Warehouse
from .readers import detect_format

KNOWN_FILES_SQL = "SELECT path, size_bytes, modified_ns FROM ingested_files WHERE modified_ns IS NOT NULL"


def expand(paths: list[str | os.PathLike[str]]) -> list[Path]:
    """Files as named, and every log file under each named folder in path order (hidden files
    and markers such as _SUCCESS, or names without a log file's suffix, are left out)."""
    found: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            found += sorted(path for path in given.rglob("*") if path.is_file() and _is_log_file(path, given))
        elif given.is_file():
            found.append(given)
        else:
            raise InputError(str(given), "no such file or folder")
    return found


def _is_log_file(path: Path, root: Path) -> bool:
    if any(part.startswith((".", "_")) for part in path.relative_to(root).parts):
        return False
    try:
        detect_format(path)
    except InputError:
        return False
    return True


def signature(path: Path) -> tuple[str, int, int]:
    """(path, size, modification time in ns): what an unchanged file keeps."""
    stat = path.stat()
    return str(path), stat.st_size, stat.st_mtime_ns


def unchanged_files(warehouse: Warehouse) -> set[tuple[str, int, int]]:
    """The signatures recorded for every file ingested with one."""
    return {(path, int(size), int(modified)) for path, size, modified in warehouse.execute(KNOWN_FILES_SQL).fetchall()}


def file_sha256(path: Path) -> str:
    """The file's content hash, by which a renamed copy of an ingested file is known."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
