"""Helpers shared by the import tests: fixture paths, the CLI, and a warehouse fingerprint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from viewrank import Warehouse
from viewrank.cli.main import cli

FIXTURES = Path(__file__).parent / "fixtures"
TOP10 = FIXTURES / "netflix-top10"
GLOBAL_SLICE = TOP10 / "all-weeks-global_slice.tsv"
COUNTRIES_SLICE = TOP10 / "all-weeks-countries_2023-04-23_slice.csv"
MOST_POPULAR = TOP10 / "most-popular.tsv"
ENGAGEMENT = FIXTURES / "engagement"
ENGAGEMENT_2023H1 = ENGAGEMENT / "What_We_Watched_A_Netflix_Engagement_Report_2023Jan-Jun_slice.xlsx"
ENGAGEMENT_2024H2 = ENGAGEMENT / "What_We_Watched_A_Netflix_Engagement_Report_2024Jul-Dec_slice.xlsx"
VIEWING = FIXTURES / "viewing-activity"


def run(*args: Any, ok: bool = True) -> Any:
    """Invoke the CLI; returns the result (asserting success unless ok=False)."""
    result = CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def run_json(*args: Any) -> Any:
    return json.loads(run(*args, "--json").stdout)


def fingerprint(warehouse_path: Path) -> dict[str, Any]:
    """Row counts of every table plus the event files on disk: equal before and after a
    failed import means the warehouse was left exactly as it was."""
    with Warehouse(warehouse_path) as warehouse:
        tables = [name for (name,) in warehouse.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        counts = {name: warehouse.scalar(f'SELECT count(*) FROM "{name}"') for name in tables}
        counts["titles:max_key"] = warehouse.scalar("SELECT max(title_key) FROM titles")
    counts["event files"] = sorted(str(p.relative_to(warehouse_path)) for p in (warehouse_path / "events").rglob("*"))
    return counts


def new_warehouse(tmp_path: Path, name: str = "wh") -> Path:
    Warehouse.init(tmp_path / name).close()
    return tmp_path / name
