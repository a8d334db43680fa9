"""One way to print results: JSON for machines, aligned text tables for people, and
progress bars on the terminal that --silent (or a pipe) turns off."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any, Callable, Iterator, Sequence

import click

from ..shapes import jsonable as to_jsonable


def print_json(value: Any) -> None:
    click.echo(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def show(value: Any, as_json: bool, render: Callable[[Any], str]) -> None:
    """Print a result: as JSON for machines (--json), else as `render` writes it for people."""
    if as_json:
        print_json(value)
    else:
        click.echo(render(value))


def format_table(rows: Sequence[Sequence[Any]], headers: Sequence[str], *, right: Sequence[int] = ()) -> str:
    """Rows as an aligned plain-text table; columns listed in `right` are right-aligned."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        lines.append("  ".join(value.rjust(widths[i]) if i in right else value.ljust(widths[i])
                               for i, value in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def humanize(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


@contextlib.contextmanager
def progress(label: str, length: int, *, silent: bool = False) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for `length` steps; yields the function that advances it."""
    if silent or length <= 0 or not sys.stderr.isatty():
        yield lambda steps: None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True, show_eta=True) as bar:
        yield bar.update
