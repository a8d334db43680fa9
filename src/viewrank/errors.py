"""The exceptions viewrank raises; the CLI and the web app turn them into one clear line.

    ViewrankError
     ├── WarehouseError      the warehouse is missing, locked or not a viewrank warehouse
     ├── SettingsError       a methodology setting has a bad name or value
     ├── InputError          an input file or row cannot be used (names file, row, reason)
     │    └── StrictModeRejection   --strict refused a whole file because of bad rows
     ├── CatalogError        a catalog entry is inconsistent
     └── NotFound            a title, week or edition that does not exist was asked for
"""

from __future__ import annotations


class ViewrankError(Exception):
    """Base class of every error viewrank raises on purpose."""


class WarehouseError(ViewrankError):
    """The warehouse is missing, locked or not a viewrank warehouse."""


class SettingsError(ViewrankError):
    """A methodology setting has an unknown name or an invalid value."""


class InputError(ViewrankError):
    """An input file or row cannot be used; the message names file, row and reason."""

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


class NotFound(ViewrankError):
    """A title, week or edition that was asked for does not exist."""
