"""The sentences a newsroom would print about a title, built from its fact sheet: every
figure is a part of its own carrying the source it came from (an edition, the title's
history, an engagement report), so the CLI and the site can link each one."""

from __future__ import annotations

import datetime as dt
from typing import Any

# How the weekly global lists are named in a sentence ("the weekly global Top 10 list for ...").
CATEGORY_PHRASES = {"TV (English)": "English-language TV", "TV (Non-English)": "non-English TV",
                    "Films (English)": "English-language films", "Films (Non-English)": "non-English films"}
WEEKEND_DAYS = 4   # a premiere on Thursday or later: the days to the week's end are its first weekend


def lede(sheet: dict[str, Any]) -> list[dict[str, Any]]:
    """The fact sheet's opening sentences, each {"text", "parts"}; a part is {"text"} or
    {"text", "source"} where the text is a figure."""
    name = sheet["title"]["name"]
    sentences = [_first_week(sheet, name), _run(sheet, name), _countries(sheet), _engagement(sheet)]
    return [{"text": "".join(part["text"] for part in parts), "parts": parts} for parts in sentences if parts]


def window_label(days: int, end: dt.date, week: dt.date) -> str:
    """'first weekend' for a premiere's last days of a chart week, 'first week' for a whole
    week, else 'first N days': a 7-day window is never called a weekend."""
    if days == 7:
        return "first week"
    if days <= WEEKEND_DAYS and end == week:
        return "first weekend"
    return f"first {days} days"


def millions(value: float) -> str:
    """57480000 -> '57.48 million', 6400000 -> '6.4 million', 850000 -> '850,000': as Netflix writes."""
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.2f}".rstrip("0").rstrip(".") + " million"
    return f"{round(value):,}"


def date_span(start: dt.date, end: dt.date) -> str:
    """'20-23 April 2023', '28 April-4 May 2023', '29 December 2023-4 January 2024'."""
    if start.year != end.year:
        return f"{start.day} {start:%B %Y}-{end.day} {end:%B %Y}"
    if start.month != end.month:
        return f"{start.day} {start:%B}-{end.day} {end:%B %Y}"
    if start == end:
        return f"{end.day} {end:%B %Y}"
    return f"{start.day}-{end.day} {end:%B %Y}"


def half_year(start: dt.date, end: dt.date) -> str:
    """'January-June 2023' for a report's half year."""
    return f"{start:%B}-{end:%B %Y}"


def _text(text: str) -> dict[str, Any]:
    return {"text": text}


def _figure(text: str, source: dict[str, Any] | None) -> dict[str, Any]:
    return {"text": text} if source is None else {"text": text, "source": source}


def _joined(clauses: list[list[dict[str, Any]]], between: str = ", ", last: str = " and ") -> list[dict[str, Any]]:
    """Clauses joined as 'a, b and c'."""
    parts: list[dict[str, Any]] = []
    for index, clause in enumerate(clauses):
        if index:
            parts.append(_text(last if index == len(clauses) - 1 else between))
        parts += clause
    return parts


def _first_week(sheet: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """'Within its first weekend (20-23 April 2023), X had ... hours viewed, ranked No. 1 on the
    weekly global Top 10 list for ... and appeared in the Top 10 in N countries.'"""
    window = sheet["first_weekend"]
    if window is None:
        return []
    clauses = []
    if window["hours_viewed"] is not None:
        clause = [_text("had "), _figure(f"{millions(window['hours_viewed'])} hours viewed", window["source"])]
        if window.get("views") is not None:
            clause += [_text(" and "), _figure(f"{millions(window['views'])} views", window["source"])]
        clauses.append(clause)
    debut = sheet["debut"]
    if debut is not None and debut["week"] == window["week"]:
        category = CATEGORY_PHRASES.get(debut["category"], debut["category"])
        clauses.append([_text("ranked "), _figure(f"No. {debut['rank']} on the weekly global Top 10 list for {category}",
                                                  debut["source"])])
    countries = (sheet["countries"] or {}).get("debut_week")
    if countries and countries["week"] == window["week"] and countries["count"]:
        clauses.append([_text("appeared in the Top 10 in "), _figure(country(countries["count"]), countries["source"])])
    if not clauses:
        return []
    label = window_label(window["days"], window["end"], window["week"])
    return [_text(f"Within its {label} ({date_span(window['start'], window['end'])}), {name} "),
            *_joined(clauses), _text(".")]


def _run(sheet: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """'It spent 6 weeks in the global Top 10, 2 of them at No. 1.'"""
    weeks = sheet["weeks_in_top_10"]
    if not weeks:
        return []
    source = {"kind": "history", "scope": "global", "title_id": sheet["title"]["title_id"]}
    parts = [_text("It spent "), _figure(f"{weeks} week{'s' if weeks != 1 else ''} in the global Top 10", source)]
    if sheet["peak_rank"] == 1:
        at_peak = sheet["weeks_at_peak"]
        parts += [_text(", "), _figure("all of them" if at_peak == weeks else f"{at_peak} of them", source),
                  _text(" at No. 1.")] if weeks > 1 else [_text(", at No. 1.")]
    else:
        parts += [_text(", peaking at "), _figure(f"No. {sheet['peak_rank']}", source), _text(".")]
    return parts


def _countries(sheet: dict[str, Any]) -> list[dict[str, Any]]:
    """Most countries in one week and most No. 1 countries; for a title that never reached the
    global lists, the countries and the list it stayed on longest."""
    peak, ones = sheet.get("countries_peak"), sheet.get("number_one")
    if peak is None:
        return []
    source = {"kind": "edition", "scope": "country", "edition_id": peak["edition_id"], "week": peak["week"]}
    if sheet["debut"] is None:
        longest = sheet["country_weeks"][0]
        parts = [_text("It never reached the global Top 10 but was in the Top 10 in "),
                 _figure(country(peak["count"]), source), _text(f" (week ending {_day(peak['week'])})")]
        history = {"kind": "history", "scope": "country", "title_id": sheet["title"]["title_id"]}
        parts += [_text(", longest in "), _figure(f"{longest['name']} ({longest['weeks']} week"
                                                  f"{'s' if longest['weeks'] != 1 else ''})", history)]
    else:
        parts = [_text("At its peak it was in the Top 10 in "), _figure(country(peak["count"]), source),
                 _text(f" (week ending {_day(peak['week'])})")]
    if ones:
        one_source = {"kind": "edition", "scope": "country", "edition_id": ones["edition_id"], "week": ones["week"]}
        parts += [_text(" and No. 1 in "), _figure(country(ones["count"]), one_source),
                  _text(f" (week ending {_day(ones['week'])})" if ones["week"] != peak["week"] else "")]
        if ones["weeks"] > 1:
            history = {"kind": "history", "scope": "country", "title_id": sheet["title"]["title_id"]}
            parts += [_text(", No. 1 somewhere in "), _figure(f"{ones['weeks']} weeks", history)]
    return parts + [_text(".")]


def _engagement(sheet: dict[str, Any]) -> list[dict[str, Any]]:
    """'Netflix's engagement reports give it 214.1 million hours viewed in January-June 2023, ...'"""
    halves = sheet.get("engagement") or []
    if not halves:
        return []
    clauses = []
    for half in halves:
        figures = f"{millions(half['hours_viewed'])} hours viewed"
        if half["views"] is not None:
            figures += f" and {millions(half['views'])} views"
        clauses.append([_figure(f"{figures} in {half_year(half['period_start'], half['period_end'])}",
                                half["source"])])
    report = "report gives" if len(halves) == 1 else "reports give"
    return [_text(f"Netflix's engagement {report} it "), *_joined(clauses, "; ", "; "), _text(".")]


def country(count: int) -> str:
    return f"{count} {'country' if count == 1 else 'countries'}"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
