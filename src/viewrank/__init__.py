"""viewrank: exact, auditable Top 10 charts and viewing figures from streaming playback logs."""

from __future__ import annotations

from .catalog import import_catalog, runtime_seconds_as_of
from .charts.weekly import compute_charts, weekly_list
from .errors import (
    BadRequest,
    CatalogError,
    InputError,
    InvalidInput,
    NotFound,
    SettingsError,
    StorageError,
    StrictModeRejection,
    ViewrankError,
    WarehouseBusy,
    WarehouseError,
)
from .export import export_all
from .ingest import ingest_file
from .reports.facts import title_facts
from .rollup.daily import rollup
from .settings import Methodology
from .store.warehouse import Warehouse

__all__ = [
    "BadRequest", "CatalogError", "InputError", "InvalidInput", "Methodology", "NotFound", "SettingsError",
    "StorageError", "StrictModeRejection", "ViewrankError", "Warehouse", "WarehouseBusy", "WarehouseError",
    "compute_charts", "export_all", "import_catalog",
    "ingest_file", "rollup", "runtime_seconds_as_of", "title_facts", "weekly_list",
]
