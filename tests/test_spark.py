"""The Spark engine (local mode) gives rollups identical to the default engines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from builders import EVENT_FIELDS, build_warehouse, film, plays, season, write_csv

from viewrank import compute_charts, ingest_file
from viewrank.rollup.daily import rollup

pytestmark = pytest.mark.spark
pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17 on the PATH", allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    from viewrank.rollup.spark import spark_session
    session = spark_session("local[2]", app_name="viewrank-tests")
    yield session
    session.stop()


def test_spark_rollup_equals_the_default_engine(tmp_path: Path, spark) -> None:
    from viewrank.rollup.spark import rollup_with_spark
    titles = [film("A", "Alpha"), film("B", "Beta", language="es"), season("S", "Gamma", 1)]
    episodes = [{"episode_id": "S-1", "title_id": "S", "episode_number": 1, "runtime_seconds": 1800}]
    events = []
    for day in ("2026-11-09", "2026-11-10", "2026-11-12", "2026-11-15"):
        events += plays("A", day=day, count=7, seconds=5000) + plays("B", day=day, count=3, country="MX")
        events += plays("S-1", day=day, count=4, seconds=1700, episode=True, country="GB")
    warehouse = build_warehouse(tmp_path, titles=titles, episodes=episodes, events=events, weeks=["2026-11-15"])
    # A second file for one day: that day has two parts, and a repeated account.
    extra = [plays("A", day="2026-11-10", prefix="late")[0] | {"account_id": "A-2026-11-10-US-acct0"}]
    ingest_file(warehouse, write_csv(tmp_path / "extra.csv", EVENT_FIELDS, extra))
    rollup(warehouse)
    compute_charts(warehouse)
    default = warehouse.execute("SELECT * FROM daily_rollup ORDER BY ALL").fetchall()
    report = rollup_with_spark(warehouse, full=True, session=spark)
    assert report.engine == "spark" and len(report.days) == 4
    assert warehouse.execute("SELECT * FROM daily_rollup ORDER BY ALL").fetchall() == default
    assert warehouse.scalar("SELECT accounts FROM daily_rollup WHERE day = '2026-11-10' AND title_key = 1") == 7
    assert set(warehouse.execute("SELECT engine FROM rollup_days").fetchall()) == {("spark",)}
    assert compute_charts(warehouse).new_editions == []  # the same rollups chart to the same editions
