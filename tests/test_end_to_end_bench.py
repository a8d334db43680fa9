"""The end-to-end benchmark (bench/end_to_end.py) at a tiny size: its results have the
documented structure and every engine's Top 10 lists agree with viewrank's. No timings
are asserted (the machine is shared)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def end_to_end() -> ModuleType:
    pytest.importorskip("polars")
    return _load("end_to_end")


def test_delivery_is_deterministic_and_shaped(tmp_path: Path) -> None:
    delivery = _load("delivery")
    import pyarrow.parquet as pq

    spec = delivery.Spec(5_000, "hourly", late=True, titles=200)
    first = delivery.generate(spec, tmp_path / "a")
    second = delivery.generate(spec, tmp_path / "b")
    assert len(first["files"]) == 168 and first["late_file"]
    assert all(f.startswith("events/day=") and "/hour=" in f for f in first["files"])
    assert first["rows"] == 5_000 + first["resent_rows"]
    table = pq.read_table(tmp_path / "a" / first["files"][100])
    assert table.equals(pq.read_table(tmp_path / "b" / first["files"][100]))
    assert table.column_names == list(delivery.EVENT_COLUMNS)
    daily = delivery.generate(delivery.Spec(5_000, "daily", titles=200), tmp_path / "c")
    assert len(daily["files"]) == 7


def test_tiny_run_structure_and_agreement(end_to_end: ModuleType, tmp_path: Path) -> None:
    results = end_to_end.run([20_000], ["hourly"], engines=("viewrank", "duckdb_script", "polars_lazy", "scan"),
                             data_dir=tmp_path / "data", results_dir=tmp_path / "results", titles=300,
                             progress=False)
    steps = {row["step"]: row for row in results["runs"]}
    expected = {"init", "catalog", "ingest", "rollup", "charts", "end_to_end", "with_setup",
                "late_ingest", "late_rollup", "late_charts", "late_total", "duckdb_script", "polars_lazy", "scan"}
    assert expected <= set(steps)
    for row in results["runs"]:
        assert row["status"] == "ok", row
        assert row["seconds"] > 0 and row["peak_rss_mb"] > 0
        assert row["sessions"] == 20_000 and row["delivery"] == "hourly"
    assert int(steps["scan"]["scan"][0]) == results["deliveries"][0]["rows"]
    pairs = {(check["left"], check["right"]) for check in results["checks"]}
    assert {("viewrank", "duckdb_script"), ("viewrank", "polars_lazy"),
            ("viewrank_after_late", "duckdb_script+late")} <= pairs
    for check in results["checks"]:
        assert check["agree"], check["differences"]
        assert check["entries"] > 100  # global lists and country lists were compared
    for name in ("end_to_end.md", "end_to_end.json", "end_to_end.png"):
        assert (tmp_path / "results" / name).stat().st_size > 0
    assert "DISAGREE" not in (tmp_path / "results" / "end_to_end.md").read_text()
