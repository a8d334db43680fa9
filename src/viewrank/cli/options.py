"""Options and helpers every command shares, defined once (the CLI and the command groups
of web/, published/ and the reports all use them)."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from ..errors import ViewrankError
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


class CommandError(click.ClickException):
    """A library error as click shows it: `Error: <message>` on stderr, the error's exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class


def handle_errors(function: F) -> F:
    """Turn the library's errors into one clear line and exit code 1."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ViewrankError as error:
            raise CommandError(str(error), error.exit_code) from None
    return wrapper  # type: ignore[return-value]


def open_warehouse(path: Path, *, read_only: bool = False) -> Warehouse:
    return Warehouse(path, read_only=read_only)


class DateType(click.ParamType[dt.date]):
    """A YYYY-MM-DD command-line value, converted to a date."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


DATE = DateType()


def parse_week(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None
