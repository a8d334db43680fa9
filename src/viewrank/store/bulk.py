"""Inserting many rows at once: an Arrow table becomes one INSERT ... SELECT."""

from __future__ import annotations

import pyarrow as pa

from .warehouse import Warehouse


def insert_arrow(warehouse: Warehouse, target: str, table: pa.Table) -> None:
    """Insert `table`'s columns (by name) into the warehouse table `target`."""
    if table.num_rows == 0:
        return
    name = f"arrow_{target}"
    warehouse.con.register(name, table)   # after a failed INSERT the transaction is aborted and
    names = ", ".join(table.column_names)  # unregistering would raise; the next register replaces it
    warehouse.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM {name}")
    warehouse.con.unregister(name)
