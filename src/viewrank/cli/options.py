"""The options and argument types every command shares, each defined once: --warehouse,
--json, --silent, and DATE, the one way a date is read from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from ..store.warehouse import Warehouse

F = TypeVar("F", bound=Callable[..., Any])


def warehouse_option(function: F) -> F:
    return click.option("--warehouse", "warehouse_path", type=click.Path(file_okay=False, path_type=Path),
                        envvar="VIEWRANK_WAREHOUSE", default=Path("warehouse"), show_default=True,
                        help="Warehouse directory (or set VIEWRANK_WAREHOUSE).")(function)


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")(function)


def silent_option(function: F) -> F:
    return click.option("--silent", is_flag=True, help="No progress bars.")(function)


def open_warehouse(path: Path, *, read_only: bool = False) -> Warehouse:
    return Warehouse(path, read_only=read_only)


class DateType(click.ParamType[dt.date]):
    """A YYYY-MM-DD command-line value, converted to a date (every date option and argument)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


DATE = DateType()

