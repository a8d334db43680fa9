"""The one atomic file writer: a reader or a crash never sees half a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewrank.files import replacing, write_atomically


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "all-weeks-global.tsv"
    write_atomically(target, "week\trank\n")
    with pytest.raises(RuntimeError), replacing(target, "w", encoding="utf-8") as handle:
        handle.write("half a fi")
        raise RuntimeError("disk full")
    assert target.read_text() == "week\trank\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["all-weeks-global.tsv"]


def test_the_target_changes_only_when_the_block_ends(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.xlsx"
    with replacing(target) as handle:
        handle.write(b"PK")
        assert not target.exists()
    assert target.read_bytes() == b"PK"
