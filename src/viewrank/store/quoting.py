"""The one way to put a name or a text into SQL that cannot bind it as a parameter
(ATTACH, COPY ... TO, SET, view definitions, a report's declared columns)."""

from __future__ import annotations


def sql_literal(text: str) -> str:
    """A string as a quoted SQL literal: O'Brien -> 'O''Brien'."""
    return "'" + text.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    """A table or column name as a quoted SQL identifier, its double quotes doubled."""
    return '"' + name.replace('"', '""') + '"'
