"""Faults as the machine makes them, for the fault-injection tests: a small disk that fills up
(a real tmpfs, mounted where the tests run as root) and bytes damaged in place."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (like '4m') mounted at `path` for the block: writes past it fail with ENOSPC."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'not root'}): the disk-full "
                    "tests need root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(disk: Path, *, leave: int = 0) -> Path:
    """Fill `disk` up, leaving about `leave` bytes free; the ballast file, to delete to free it again."""
    ballast = disk / "ballast"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize - leave
    with open(ballast, "wb") as handle:
        with contextlib.suppress(OSError):
            handle.write(b"\0" * max(free, 0))
    return ballast


def damage(path: Path, *, offset: int, length: int = 64) -> None:
    """Overwrite `length` bytes of `path` at `offset` (negative: from the end) with 0xFF."""
    size = path.stat().st_size
    start = offset if offset >= 0 else size + offset
    with open(path, "r+b") as handle:
        handle.seek(start)
        handle.write(b"\xff" * min(length, size - start))
