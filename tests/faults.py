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


def damage(path: Path, *, offset: int, length: int = 64, pattern: bytes = b"\xff") -> None:
    """Overwrite `length` bytes of `path` at `offset` (negative: from the end) with `pattern`,
    repeated (0xFF by default; DuckDB's block checksum cannot see an even number of identical
    8-byte words changed alike, so damage meant for it varies its bytes)."""
    size = path.stat().st_size
    start = offset if offset >= 0 else size + offset
    with open(path, "r+b") as handle:
        handle.seek(start)
        handle.write((pattern * length)[:min(length, size - start)])


# A step run in a fresh process that SIGKILLs itself before its KILL_AT-th statement or file
# operation (0: never) and prints how many there were. The step is Python run with `warehouse`
# open (and `arguments`, the rest of the command line); closing the warehouse is a step too.
KILL_DRIVER = """
import os, shutil, signal, sys
count, kill_at = 0, int(sys.argv[2])
def step(*_):
    global count
    count += 1
    if count == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
def counted(function):
    def before(*args, **kwargs):
        step()
        return function(*args, **kwargs)
    return before
for module, name in ((os, "replace"), (os, "rename"), (os, "unlink"), (os, "remove"), (os, "rmdir"),
                     (os, "mkdir"), (shutil, "rmtree"), (shutil, "move"), (shutil, "copyfile")):
    setattr(module, name, counted(getattr(module, name)))
from pathlib import Path
from viewrank import Warehouse
arguments = sys.argv[4:]
warehouse = Warehouse(sys.argv[1], tracer=step)
exec(sys.argv[3])
step()
warehouse.close()
print(count)
"""


def run_killed(root: Path, code: str, *arguments: object, kill_at: int = 0,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `code` on the warehouse at `root` in a new process killed before step `kill_at`."""
    import sys
    return subprocess.run([sys.executable, "-c", KILL_DRIVER, str(root), str(kill_at), code, *map(str, arguments)],
                          capture_output=True, text=True, check=False, env=env)


def steps_of(finished: subprocess.CompletedProcess[str]) -> int:
    """How many kill points a run that was not killed went through."""
    assert finished.returncode == 0, finished.stderr
    return int(finished.stdout.split()[-1])


def kill_points(total: int) -> range:
    """Every kill point with KILL_POINTS=all in the environment, else an even sample of about
    KILL_POINTS (8 by default, so that CI stays quick; README gives the figures of a whole run)."""
    wanted = os.environ.get("KILL_POINTS", "8")
    every = wanted == "all" or total <= int(wanted)
    return range(1, total + 1, 1 if every else -(-total // int(wanted)))


def warehouse_contents(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Every row of every table (as sorted reprs), without timestamp columns, which say when
    a run happened rather than what it stored: what two runs that ended alike must share."""
    import duckdb
    con = duckdb.connect(str(root / "viewrank.duckdb"), read_only=True)
    try:
        tables = [name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1").fetchall()
            if name not in skip]
        found = {}
        for table in tables:
            columns = [f'"{name}"' for name, kind in con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main' "
                "ORDER BY column_index", [table]).fetchall() if not kind.startswith("TIMESTAMP")]
            found[table] = sorted(map(repr, con.execute(f'SELECT {", ".join(columns)} FROM "{table}"').fetchall()))
        return found
    finally:
        con.close()
