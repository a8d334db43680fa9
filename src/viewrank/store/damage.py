"""Damage the machine can do to a warehouse, recognised cheaply: a Parquet part gone, cut
short or overwritten, a full disk, a database block that fails its checksum.

`part_damage` reads 8 bytes at each end of a part and its size, not its data, so `check`
can look at every part on every run; `storage_error` turns what DuckDB or the OS raised into
one StorageError line that names the thing and the fix.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import duckdb

from ..errors import StorageError

PARQUET_MAGIC = b"PAR1"
DISK_FULL_WORDS = ("no space left", "disk is full", "not enough space")
DAMAGED_WORDS = ("corrupt", "checksum", "invalid block", "not a valid duckdb database", "failed to read block",
                 "unexpected end of file", "serialization error")


def part_damage(path: Path) -> str | None:
    """Why the Parquet file at `path` cannot be whole (missing, truncated, overwritten ends), or None."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(4)
            if size < 12:
                return f"truncated to {size} bytes"
            handle.seek(size - 8)
            tail = handle.read(8)
    except FileNotFoundError:
        return "missing on disk"
    except OSError as error:
        return f"unreadable ({error.strerror or error})"
    if head != PARQUET_MAGIC:
        return "damaged: it does not start as a Parquet file does"
    if tail[4:] != PARQUET_MAGIC:
        return "truncated or damaged: no Parquet footer at its end"
    footer = int.from_bytes(tail[:4], "little")
    if footer <= 0 or footer > size - 12:
        return f"damaged: its footer claims {footer:,} bytes of a {size:,}-byte file"
    return None


def is_disk_full(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    return any(word in str(error).lower() for word in DISK_FULL_WORDS)


def storage_error(error: BaseException, where: str | os.PathLike[str] | None = None) -> StorageError:
    """One clear StorageError for a full disk, a damaged file or another failure of the store."""
    first = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
    place = f"{where}: " if where else ""
    if is_disk_full(error):
        return StorageError(f"{place}the disk is full ({first}); free some space and run the command again "
                            "(what it had not committed was rolled back)")
    if isinstance(error, duckdb.Error) and any(word in first.lower() for word in DAMAGED_WORDS):
        return StorageError(f"{place}the warehouse database is damaged ({first}); run 'viewrank check' to see "
                            "what is affected, and restore viewrank.duckdb from a backup")
    if isinstance(error, OSError) and error.filename:
        return StorageError(f"{place}{error.filename}: {error.strerror or first}")
    return StorageError(f"{place}{first}")
