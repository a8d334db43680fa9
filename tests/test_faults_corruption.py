"""Corrupt bytes in each kind of file (issue 16, the fault-injection suite): every block of the
database file, and the footer and the pages of an event part and of each kind of rollup part.
Plain `check` finds damage to the database and to a part's footer; `check --deep` finds
damage to a part's pages as well; neither ever crashes, and rollups are recomputed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from builders import build_warehouse, film, plays
from faults import damage

from viewrank import Warehouse
from viewrank.store.damage import FIRST_BLOCK_OFFSET, database_damage
from viewrank.store.integrity import check

WEEK = "2026-11-15"
VARIED = bytes(range(1, 256))


def run_cli(*args: str) -> Any:
    from click.testing import CliRunner

    from viewrank.cli import cli
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corruption")
    build_warehouse(root, titles=[film("A", "Alpha"), film("B", "Beta")],
                    events=[e for day in ("2026-11-10", "2026-11-11") for e in
                            plays("A", day=day, count=40) + plays("B", day=day, count=25, country="FR")],
                    weeks=[WEEK]).close()
    return root / "warehouse"


def copy(built: Path, to: Path) -> Path:
    shutil.copytree(built, to)
    return to


def block_size(root: Path) -> int:
    with Warehouse(root, read_only=True) as warehouse:
        return int(warehouse.scalar("SELECT block_size FROM pragma_database_size()"))


def test_check_finds_a_damaged_block_anywhere_in_the_database_file(built: Path, tmp_path: Path) -> None:
    """64 bytes overwritten in the middle of each block in turn (index blocks included, which
    no query of the tables reads) and in each database header: plain check says which."""
    size = block_size(built)
    database = built / "viewrank.duckdb"
    assert database_damage(database, size) == []
    blocks = (database.stat().st_size - FIRST_BLOCK_OFFSET) // size
    assert blocks >= 8
    places = [("header", 4096 + 2048), ("header", 8192 + 2048)] + [
        ("block", FIRST_BLOCK_OFFSET + block * size + size // 2) for block in range(blocks)]
    for number, (kind, offset) in enumerate(places):
        root = copy(built, tmp_path / f"damaged-{number}")
        damage(root / "viewrank.duckdb", offset=offset, length=64, pattern=VARIED)
        found = run_cli("check", "--warehouse", str(root))
        assert found.exit_code == 1, (kind, offset, found.output)
        if found.output.startswith("Error: "):   # the database cannot even be opened
            assert len(found.output.strip().splitlines()) == 1 and "damaged" in found.output, found.output
        else:
            assert "fail their checksum" in found.output, (kind, offset, found.output)
            assert (f"block {number - 2} at byte" if kind == "block" else "database header") in found.output
        shutil.rmtree(root)


def part_of(root: Path, kind: str) -> tuple[Path, int]:
    table, where = ("event_files", "") if kind == "event" else ("rollup_parts", f"WHERE kind = '{kind}'")
    with Warehouse(root, read_only=True) as warehouse:
        path, rows = warehouse.execute(f"SELECT path, rows FROM {table} {where} ORDER BY path LIMIT 1").fetchone()
    return root / path, rows


def footer_span(part: Path) -> tuple[int, int]:
    """Where the footer (the file's metadata) starts and how long it is."""
    data = part.read_bytes()
    length = int.from_bytes(data[-8:-4], "little")
    return len(data) - 8 - length, length


@pytest.mark.parametrize("kind", ["event", "daily", "weekly"])
@pytest.mark.parametrize("place", ["footer", "pages"])
def test_check_finds_corrupt_bytes_in_each_kind_of_part(built: Path, tmp_path: Path, kind: str, place: str) -> None:
    root = copy(built, tmp_path / "warehouse")
    with Warehouse(root) as warehouse:
        clean = check(warehouse, deep=True)
        figures = warehouse.execute("SELECT * FROM current_entries EXCLUDE (edition_id) ORDER BY ALL").fetchall()
    assert clean == []
    part, _ = part_of(root, kind)
    start, length = footer_span(part)
    if place == "footer":
        damage(part, offset=start + length // 2, length=8)
    else:
        damage(part, offset=4 + (start - 4) // 2, length=8)
    relative = part.relative_to(root).as_posix()
    plain = run_cli("check", "--warehouse", str(root))
    deep = run_cli("check", "--deep", "--warehouse", str(root))
    assert deep.exit_code == 1 and relative in deep.output and "damaged" in deep.output, deep.output
    if place == "footer":    # found without reading the data
        assert plain.exit_code == 1 and relative in plain.output and "footer" in plain.output, plain.output
    if kind != "event":      # derived data: recomputed from the events
        repaired = run_cli("rollup", *(["--full"] if place == "pages" else []), "--warehouse", str(root))
        assert repaired.exit_code == 0, repaired.output
        assert run_cli("charts", "--warehouse", str(root)).exit_code == 0
        with Warehouse(root) as warehouse:
            assert check(warehouse, deep=True) == []
            assert warehouse.execute("SELECT * FROM current_entries EXCLUDE (edition_id) ORDER BY ALL").fetchall() \
                == figures
