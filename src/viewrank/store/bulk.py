"""Inserting many rows at once: an Arrow table becomes one INSERT ... SELECT."""

from __future__ import annotations

import pyarrow as pa

from .quoting import quote_identifier
from .warehouse import Warehouse


def insert_arrow(warehouse: Warehouse, target: str, table: pa.Table) -> None:
    """Insert `table`'s columns (by name) into the warehouse table `target`."""
    if table.num_rows == 0:
        return
    names = ", ".join(map(quote_identifier, table.column_names))
    with warehouse.registered(f"arrow_{target}", table) as name:
        warehouse.execute(f"INSERT INTO {quote_identifier(target)} ({names}) SELECT {names} FROM {name}")
