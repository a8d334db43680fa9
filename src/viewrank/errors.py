"""The exceptions viewrank raises; the CLI and the web app each turn the base class into one
clear line (exit code `exit_code`) or one JSON error body (HTTP status `status`).

    ViewrankError                 500  something viewrank refuses on purpose
     ├── InvalidInput             400  a value given on the command line or in a URL is malformed
     │    └── BadRequest          400  a URL parameter is malformed
     ├── InputError               400  an input file or row cannot be used (names file, row, reason)
     │    └── StrictModeRejection 400  --strict refused a whole file because of bad rows
     ├── SettingsError            400  a methodology setting has a bad name or value
     ├── NotFound                 404  a title, week or edition that does not exist was asked for
     ├── CatalogError             409  a catalog entry is inconsistent
     └── WarehouseError           503  the warehouse is missing, locked or not a viewrank warehouse
          ├── WarehouseBusy       503  another process writes the warehouse; try again shortly
          └── StorageError        503  the disk is full or a stored file or block is damaged

Every class exits 1 on the command line: the one failure code of every command.
"""

from __future__ import annotations


class ViewrankError(Exception):
    """Base class of every error viewrank raises on purpose."""

    status = 500
    exit_code = 1


class InvalidInput(ViewrankError):
    """A value given on the command line or in a URL is malformed (a week, a rule, a page)."""

    status = 400


class BadRequest(InvalidInput):
    """A request parameter is malformed (answered with 400)."""


class WarehouseError(ViewrankError):
    """The warehouse is missing, locked or not a viewrank warehouse."""

    status = 503


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse open for writing; try again shortly."""


class StorageError(WarehouseError):
    """The disk is full, or a stored file or database block is damaged; the message names it and the fix."""


class SettingsError(ViewrankError):
    """A methodology setting has an unknown name or an invalid value."""

    status = 400


class InputError(ViewrankError):
    """An input file or row cannot be used; the message names file, row and reason."""

    status = 400

    def __init__(self, path: str, reason: str, *, row: int | None = None, column: str | None = None):
        self.path, self.reason, self.row, self.column = path, reason, row, column
        where = path
        if row is not None:
            where += f" row {row}"
        if column:
            where += f" column {column!r}"
        super().__init__(f"{where}: {reason}")


class StrictModeRejection(InputError):
    """--strict refused a whole file because some of its rows were bad."""


class CatalogError(ViewrankError):
    """A catalog entry is inconsistent (unknown title, duplicate id, bad runtime)."""

    status = 409


class NotFound(ViewrankError):
    """A title, week or edition that was asked for does not exist."""

    status = 404
