"""Running several steps in order: the whole pipeline over files, and the built-in demo."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import import_catalog
from ..charts.weekly import compute_charts
from ..errors import WarehouseError
from ..export import export_all
from ..ingest import ingest_file
from ..rollup.daily import pending_days, rollup
from ..store.warehouse import Warehouse
from ..types import ProgressFactory, no_progress
from . import simulate

DEMO_INPUT_DIR = "demo-input"
# The demo service is about a thousandth of Netflix's size, so it shows its figures rounded
# to hundreds rather than to Netflix's 100,000 (rounding is a setting, and display only);
# it keeps viewer sketches so that estimated viewers can be shown for any window.
DEMO_SETTINGS = {"hours_rounding_before_views": 100, "hours_rounding": 100, "views_rounding": 100,
                 "distinct_sketches": True}
EXPORTS_DIR = "exports"


@dataclass
class DemoSummary:
    warehouse: str
    titles: int
    sessions: int
    first_day: dt.date
    last_day: dt.date
    weeks: list[dt.date] = field(default_factory=list)
    quarantined: int = 0
    exports: dict[str, Any] = field(default_factory=dict)


def run_demo(path: str | os.PathLike[str], *, titles: int = 2000, weeks: int = 12, sessions: int = 5_000_000,
             seed: int = 7, end_date: dt.date = dt.date(2026, 11, 15), force: bool = False,
             progress: ProgressFactory = no_progress) -> DemoSummary:
    """Generate a synthetic service, then init, catalog, ingest, rollup, chart and export it."""
    root = Path(path)
    if root.exists() and any(root.iterdir()):
        if not force:
            raise WarehouseError(f"{root} is not empty; choose another --warehouse or pass --force to replace it")
        shutil.rmtree(root)
    warehouse = Warehouse.init(root, DEMO_SETTINGS)
    try:
        with progress("Generating playback logs", weeks * 7) as advance:
            service = simulate.generate(root / DEMO_INPUT_DIR, titles=titles, weeks=weeks, sessions=sessions,
                                        end_date=end_date, seed=seed, progress=advance)
        import_catalog(warehouse, service.titles_path)
        import_catalog(warehouse, service.episodes_path)
        quarantined = 0
        with progress("Ingesting", len(service.events_paths)) as advance:
            for events_path in service.events_paths:
                quarantined += ingest_file(warehouse, events_path).rows_quarantined
                advance(1)
        with progress("Rolling up days", len(pending_days(warehouse))) as advance:
            rollup(warehouse, progress=advance)
        with progress("Computing charts", weeks) as advance:
            charts = compute_charts(warehouse, progress=advance)
        exports = export_all(warehouse, root / EXPORTS_DIR)
        return DemoSummary(str(root), warehouse.scalar("SELECT count(*) FROM titles"), service.sessions,
                           service.first_day, service.last_day, charts.weeks, quarantined, exports)
    finally:
        warehouse.close()
