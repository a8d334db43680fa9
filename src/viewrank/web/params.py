"""Parsing of URL parameters: every malformed value becomes BadRequest (400) with a clear message."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Sequence

from ..errors import BadRequest, NotFound

MAX_QUERY_LENGTH = 200
MAX_PAGE = 100_000
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
LATEST = "latest"


def shown(text: str, limit: int = 40) -> str:
    """A user-supplied value quoted for an error message, cut to a readable length."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def slug(name: str) -> str:
    """The URL form of a category or report name: 'Films (Non-English)' -> 'films-non-english'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def parse_date(text: str, *, name: str = "week") -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise BadRequest(f"{name} {shown(text)} is not a date like 2026-11-15 (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name} {shown(text)} is not a valid calendar date") from None


def resolve_week(text: str | None, weeks: Sequence[dt.date]) -> dt.date:
    """A published week from 'YYYY-MM-DD', 'latest' or None (the latest)."""
    if text is None or text == LATEST:
        if not weeks:
            raise NotFound("no lists have been published yet (run 'viewrank charts' or import published charts)")
        return weeks[-1]
    week = parse_date(text)
    if week not in weeks:
        if not weeks:
            raise NotFound(f"no lists for the week ending {week}: nothing has been published yet")
        raise NotFound(f"no lists for the week ending {week}; published weeks run from {weeks[0]} to {weeks[-1]} "
                       f"and are labelled by their last day ({weeks[-1].strftime('%A')}s)")
    return week


def resolve_title_week(title: str, text: str | None, weeks: Sequence[dt.date]) -> dt.date | None:
    """The week whose country lists a title page shows: the one asked for, else the title's latest."""
    if text is None:
        return weeks[-1] if weeks else None
    week = parse_date(text)
    if week not in weeks:
        where = f"it was on country lists in {len(weeks)} weeks, the last {weeks[-1]}" if weeks else "it was on none"
        raise NotFound(f"{title!r} was on no country Top 10 list in the week ending {week} ({where})")
    return week


def parse_category(text: str, categories: Sequence[str]) -> str:
    """A category from its name ('TV (English)') or slug ('tv-english')."""
    for category in categories:
        if text.lower() in (category.lower(), slug(category)):
            return category
    choices = ", ".join(slug(category) for category in categories)
    raise BadRequest(f"unknown category {shown(text)}; use one of: {choices}")


def parse_iso2(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{2}", text):
        raise BadRequest(f"country {shown(text)} is not an ISO 3166-1 alpha-2 code like US or KR")
    return text.upper()


def parse_int(text: str | None, *, name: str, default: int, maximum: int) -> int:
    if text is None or text == "":
        return default
    if not re.fullmatch(r"\d{1,9}", text.strip()):
        raise BadRequest(f"{name} {shown(text)} is not a whole number between 1 and {maximum:,}")
    number = int(text)
    if not 1 <= number <= maximum:
        raise BadRequest(f"{name} {number:,} is out of range: use 1 to {maximum:,}")
    return number


def parse_page(text: str | None) -> int:
    return parse_int(text, name="page", default=1, maximum=MAX_PAGE)


def parse_per_page(text: str | None) -> int:
    return parse_int(text, name="per_page", default=DEFAULT_PER_PAGE, maximum=MAX_PER_PAGE)


def parse_query(text: str | None) -> str:
    """Search text: trimmed, at most MAX_QUERY_LENGTH characters, no control characters."""
    query = (text or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise BadRequest(f"search text is {len(query):,} characters long; the limit is {MAX_QUERY_LENGTH}")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in query):
        raise BadRequest("search text contains control characters; search with letters, digits and punctuation")
    return query
