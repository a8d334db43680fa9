"""The quarantine: input rows ingest refused, each kept with its file, row number and reason."""

from __future__ import annotations

from typing import Any

from ..store.warehouse import Warehouse

QUARANTINE_SQL = "SELECT path, row_number, reason, raw FROM quarantine ORDER BY batch_id, row_number LIMIT ?"


def quarantined_rows(warehouse: Warehouse, limit: int) -> list[dict[str, Any]]:
    """The first `limit` quarantined rows, in the order they were ingested."""
    return warehouse.rows(QUARANTINE_SQL, [limit])
