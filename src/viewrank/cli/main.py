"""The `viewrank` group: every command registered one way (each area module's COMMANDS), and
errors handled in one place: a library error or a usage error becomes one `Error: ...` line
on stderr and exit code 1 (or the library error's own exit code)."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import click
import duckdb
from click.exceptions import NoArgsIsHelpError

from ..errors import ViewrankError
from ..store.damage import is_disk_full, storage_error
from . import imports, pipeline, reports, spark, web

AREAS = (pipeline, reports, imports, web, spark)


class CommandError(click.ClickException):
    """A library error as click shows it: `Error: <message>` on stderr, the error's exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class


@contextlib.contextmanager
def one_error_line() -> Iterator[None]:
    """Turn the library's errors, click's usage errors, and a full disk or a damaged file met on
    the way into one `Error:` line and exit code 1."""
    try:
        yield
    except NoArgsIsHelpError as error:  # a bare group prints its help
        click.echo(error.ctx.get_help() if error.ctx else error.format_message())
        raise click.exceptions.Exit(0) from None
    except click.UsageError as error:
        hint = f" (see '{command_path(error.ctx)} --help')"
        raise click.ClickException(error.format_message().rstrip(".") + hint) from None
    except ViewrankError as error:
        raise CommandError(str(error), error.exit_code) from None
    except (duckdb.Error, OSError) as error:  # a full disk, a damaged file: the machine, not a bug
        failure = storage_error(error)
        if not (isinstance(error, (duckdb.IOException, OSError)) or is_disk_full(error) or "damaged" in str(failure)):
            raise
        raise CommandError(str(failure), failure.exit_code) from None


def command_path(ctx: click.Context | None) -> str:
    """'viewrank import titles-split', however the program was started (viewrank, python -m)."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["viewrank", *reversed(names)])


class ViewrankGroup(click.Group):
    """A click group whose commands, and their sub-commands, fail with one line and exit code 1."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        with one_error_line():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with one_error_line():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """--help lists the commands by area, in pipeline order, as they were registered."""
        return list(self.commands)


@click.group(cls=ViewrankGroup)
@click.version_option(package_name="viewrank")
def cli() -> None:
    """viewrank: exact, auditable Top 10 charts from streaming playback logs."""


for area in AREAS:
    for command in area.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="viewrank")


if __name__ == "__main__":
    main()
