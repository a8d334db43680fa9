"""Kills of every importer at each step (issue 16, the fault-injection suite): each import is
SIGKILLed before each of its statements and file operations in turn, then run again; the
warehouse must pass `check --deep` and hold exactly what a run that was never killed holds."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest
from builders import EPISODE_FIELDS, TITLE_FIELDS, build_warehouse, film, plays, season, write_csv
from faults import kill_points, run_killed, steps_of, warehouse_contents
from import_support import ENGAGEMENT_2023H1, ENGAGEMENT_2024H2, GLOBAL_SLICE

from viewrank import Warehouse
from viewrank.store.integrity import check

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures"
ENGAGEMENT = ("from viewrank.imports.engagement import import_engagement_files\n"
              "import_engagement_files(warehouse, [Path(a) for a in arguments])")
CATALOG = ("from viewrank import import_catalog\n"
           "for a in arguments:\n    import_catalog(warehouse, a)")
TOP10 = ("from viewrank.imports.netflix_top10 import import_top10_files\n"
         "import_top10_files(warehouse, [Path(a) for a in arguments])")
ACTIVITY = ("from viewrank.imports.personal import import_personal_files\n"
            "import_personal_files(warehouse, [Path(a) for a in arguments])")
CHARTS = "from viewrank import compute_charts\ncompute_charts(warehouse)"


def kill_at_every_step(tmp_path: Path, base: Path, code: str, arguments: list[Any], *, then: str | None = None,
                       minimum: int = 8) -> int:
    """Kill `code` at each step on a copy of `base`, rerun it (then `then`, if given, as a
    reader would next), and compare with the clean run; returns the number of kill points."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}
    clean = tmp_path / "clean"
    shutil.copytree(base, clean)
    total = steps_of(run_killed(clean, code, *arguments, env=env))
    if then:
        steps_of(run_killed(clean, then, env=env))
    expected = warehouse_contents(clean)
    assert total >= minimum, total
    for kill_at in kill_points(total):
        root = tmp_path / f"killed-{kill_at}"
        shutil.copytree(base, root)
        killed = run_killed(root, code, *arguments, kill_at=kill_at, env=env)
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr)
        steps_of(run_killed(root, code, *arguments, env=env))
        if then:
            steps_of(run_killed(root, then, env=env))
        with Warehouse(root, read_only=True) as warehouse:
            assert check(warehouse, deep=True) == [], kill_at
        assert warehouse_contents(root) == expected, kill_at
        assert not (root / "staging").exists() or not any((root / "staging").iterdir()), kill_at
        shutil.rmtree(root)
    assert list(temporary.iterdir()) == []
    print(f"{total} kill points, {len(kill_points(total))} tried")
    return total


def test_import_engagement_killed_at_every_step_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    base = tmp_path / "base"
    with Warehouse.init(base) as warehouse:   # Top 10 titles for the reports' rows to match
        from viewrank.imports.netflix_top10 import import_top10_files
        import_top10_files(warehouse, [GLOBAL_SLICE])
    kill_at_every_step(tmp_path, base, ENGAGEMENT, [ENGAGEMENT_2023H1, ENGAGEMENT_2024H2])


def test_import_catalog_killed_at_every_step_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    """A runtime correction and new episodes for a charted warehouse: the titles, episodes and
    the weeks marked stale are all or nothing, and the charts made after match."""
    titles = [film("A", "Alpha", runtime=7200), film("B", "Beta", runtime=3600), season("S", "Gamma", 1)]
    events = [e for day in ("2026-11-09", "2026-11-22")
              for e in plays("A", day=day, count=3, seconds=3600) + plays("B", day=day, count=4, seconds=1800)]
    build_warehouse(tmp_path / "built", titles=titles, events=events, weeks=None).close()
    base = tmp_path / "built" / "warehouse"
    fixed = write_csv(tmp_path / "fix.csv", TITLE_FIELDS,
                      [film("A", "Alpha", runtime=3600), film("B", "Beta", runtime=3600), film("C", "Delta")])
    episodes = write_csv(tmp_path / "episodes.csv", EPISODE_FIELDS,
                         [{"episode_id": f"S-{n}", "title_id": "S", "episode_number": n, "runtime_seconds": 2400}
                          for n in (1, 2, 3)])
    kill_at_every_step(tmp_path, base, CATALOG, [fixed, episodes], then=CHARTS)


def test_import_top10_killed_at_every_step_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    base = tmp_path / "base"
    Warehouse.init(base).close()
    top10 = FIXTURES / "netflix-top10"
    kill_at_every_step(tmp_path, base, TOP10, [top10 / "all-weeks-global_slice.tsv",
                                               top10 / "all-weeks-countries_2023-04-23_slice.csv",
                                               top10 / "most-popular.tsv"])


def test_import_viewing_activity_killed_at_every_step_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    base = tmp_path / "base"
    Warehouse.init(base).close()
    kill_at_every_step(tmp_path, base, ACTIVITY, [FIXTURES / "viewing-activity" / "ViewingActivity_samaguiar_slice.csv"])
