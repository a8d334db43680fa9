"""Damage the machine can do to a warehouse, recognised cheaply: a Parquet part gone, cut
short or overwritten, a full disk, a database block that fails its checksum.

`part_damage` reads both ends of a part and its footer, not its data, so `check` can look
at every part on every run (`page_damage` reads the data too, checking each page's CRC, for
`check --deep`); `database_damage` verifies the checksum DuckDB keeps in every block of its
file, a sequential read of the database alone; `storage_error` turns what DuckDB or the OS
raised into one StorageError line that names the thing and the fix.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import StorageError

PARQUET_MAGIC = b"PAR1"
LOCK_WORDS = ("could not set lock", "conflicting lock", "file handle conflict")
DISK_FULL_WORDS = ("no space left", "disk is full", "not enough space")
DAMAGED_WORDS = ("corrupt", "checksum", "invalid block", "not a valid duckdb database", "failed to read block",
                 "unexpected end of file", "serialization error")


# DuckDB's file: a 4 KiB file header, two 4 KiB database headers, then blocks; each header
# and block starts with a 64-bit checksum of the rest of it (DuckDB's src/common/checksum.cpp:
# 5381 xor the product of each 64-bit word with CHECKSUM_FACTOR, modulo 2^64).
DATABASE_HEADER_SIZE = 4096
FIRST_BLOCK_OFFSET = 3 * DATABASE_HEADER_SIZE
CHECKSUM_SEED, CHECKSUM_FACTOR = np.uint64(5381), np.uint64(0xBF58476D1CE4E5B9)
BLOCKS_A_READ = 64


def _checksums(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(stored, computed) checksums of the rows of `words`, each row one header or block."""
    computed = np.bitwise_xor.reduce(words[:, 1:] * CHECKSUM_FACTOR, axis=1) ^ CHECKSUM_SEED
    return words[:, 0], computed


def database_damage(path: Path, block_size: int) -> list[str]:
    """The headers and blocks of the DuckDB file at `path` whose content no longer matches the
    checksum stored with it, read in order a few MB at a time (memory stays flat)."""
    found: list[str] = []
    with open(path, "rb") as handle:
        headers = np.fromfile(handle, dtype="<u8", count=FIRST_BLOCK_OFFSET // 8)
        if headers.size == FIRST_BLOCK_OFFSET // 8:
            stored, computed = _checksums(headers.reshape(3, -1)[1:])
            found += [f"database header {n + 1}: checksum differs" for n in np.flatnonzero(stored != computed)]
        first = 0
        while True:
            words = np.fromfile(handle, dtype="<u8", count=BLOCKS_A_READ * block_size // 8)
            whole = words.size // (block_size // 8)
            if not whole:
                break
            stored, computed = _checksums(words[: whole * block_size // 8].reshape(whole, -1))
            found += [f"block {first + n} at byte {FIRST_BLOCK_OFFSET + (first + n) * block_size:,}: checksum differs"
                      for n in np.flatnonzero(stored != computed)]
            first += whole
    return found


def part_damage(path: Path, rows: int | None = None) -> str | None:
    """Why the Parquet file at `path` cannot be whole (missing, truncated, overwritten ends, a
    footer that does not parse or, given the `rows` registered, counts others), or None."""
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
    try:
        metadata = pq.read_metadata(path)
    except (OSError, pa.ArrowException) as error:
        return f"damaged: its footer cannot be read ({_first_line(error)})"
    if rows is not None and metadata.num_rows != rows:
        return f"damaged: its footer counts {metadata.num_rows:,} rows where {rows:,} were registered"
    return None


def page_damage(path: Path) -> str | None:
    """Why the pages of the Parquet file at `path` cannot be read whole, or None: every page is
    read and decoded, and checked against the CRC its writer stored (parts written since CRCs
    were, store/events.py and store/rollup_parts.py)."""
    try:
        for _ in pq.ParquetFile(path, page_checksum_verification=True).iter_batches(batch_size=65_536):
            pass
    except (OSError, pa.ArrowException) as error:
        return f"damaged: its data cannot be read ({_first_line(error)})"
    return None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def is_lock_conflict(error: BaseException) -> bool:
    """Whether another process holds the database (not a damaged one: a "block" is no lock)."""
    return any(word in str(error).lower() for word in LOCK_WORDS)


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
