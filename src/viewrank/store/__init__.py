"""The warehouse on disk: the DuckDB connection and its transactions, the schema, the Parquet
parts of events and rollups, bulk inserts and the consistency check. Every other package
reaches the data through `Warehouse`."""

from __future__ import annotations

from .warehouse import Warehouse

__all__ = ["Warehouse"]
