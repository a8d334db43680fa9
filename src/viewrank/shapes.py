"""The JSON the API and the CLI's --json both print: one conversion to JSON values and the
shapes of weeks, lists, titles and facts, defined once so the two outputs cannot drift apart."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any


def jsonable(value: Any) -> Any:
    """Plain JSON values: ISO dates, and whole numbers as integers (57480000, not 57480000.0)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return int(value)
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


def public_source(source: str | None) -> str | None:
    """An edition's source without the server's folders: '/data/all-weeks-global.tsv sha256:…'
    becomes 'all-weeks-global.tsv sha256:…' ('rollups' stays as is)."""
    if not source:
        return source
    path, space, rest = source.partition(" sha256:")
    return path.replace("\\", "/").rsplit("/", 1)[-1] + (space + rest if space else "")
