"""The rollup on Apache Spark, for event stores larger than one machine should scan.

Spark reads the same day-partitioned Parquet parts (from the warehouse folder or from any
Hadoop-compatible URL where a copy of `events/` lives), runs the one SQL definition of the
rollup, and the results are stored in the warehouse exactly as the DuckDB engines store
theirs, so charts and everything after them read them unchanged.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

from ..errors import SettingsError
from ..store import events
from ..store.events import EVENTS_DIR
from ..store.warehouse import Warehouse
from .daily import ROLLUP_SELECT, RollupReport, pending_weeks, store_rollups


def spark_session(master: str, *, app_name: str = "viewrank-rollup") -> Any:
    """A Spark session in UTC with the UI off; `master` is local[N], spark://..., yarn, ..."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SettingsError("the Spark engine needs pyspark: pip install 'viewrank[spark]'") from None
    if master.startswith("local"):  # Python workers (the raw path's validation) run this interpreter
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (SparkSession.builder.master(master).appName(app_name)
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.sql.sources.partitionColumnTypeInference.enabled", "true")
            .getOrCreate())


def _quiet(session: Any) -> Any:
    session.sparkContext.setLogLevel("ERROR")
    return session


def rollup_with_spark(warehouse: Warehouse, *, master: str = "local[2]", events_url: str | None = None,
                      full: bool = False, session: Any = None,
                      progress: Callable[[int], None] | None = None) -> RollupReport:
    """Roll up pending days (or all with `full`) on Spark; `events_url` is where `events/` is read from."""
    if full:
        with warehouse.atomic():
            warehouse.execute("DELETE FROM rollup_days")
    pending = pending_weeks(warehouse)
    report = RollupReport(engine="spark")
    if not pending:
        return report
    spark = session or _quiet(spark_session(master))
    base = (events_url or warehouse.events_dir.resolve().as_uri()).rstrip("/")
    if not base.endswith("/" + EVENTS_DIR):
        base += "/" + EVENTS_DIR
    for chunk in pending:
        relative = events.relative_part_paths(warehouse, [day for day, _, _ in chunk])
        frame = spark.read.option("basePath", base).parquet(*(f"{base}/{path}" for path in relative))
        frame.createOrReplaceTempView("events")
        result = spark.sql(ROLLUP_SELECT).toArrow()
        store_rollups(warehouse, chunk, [result], engine="spark")
        report.days += [day for day, _, _ in chunk]
        report.event_rows += sum(rows for _, _, rows in chunk)
        if progress:
            progress(len(chunk))
    return report
