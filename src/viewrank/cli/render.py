"""Every text renderer of the command line: the library returns data, these turn it into the
tables and Markdown people read (the same data --json prints)."""

from __future__ import annotations

from typing import Any

from ..catalog import display_name
from ..formats.top10 import round_display
from ..ingest import IngestReport
from ..reports.audience import AUDIENCE_COLUMNS
from ..reports.factsheet import FIGURE_DAYS, NAMED_COUNTRIES
from ..reports.lede import window_label
from ..web import urls
from .output import format_table, humanize


def render_facts(facts: dict[str, Any]) -> str:
    lines = [f"{facts['title']}  ({facts['kind']}, id {facts['title_id']})"]
    first = facts["first_week"]
    if first:
        figures = f"{humanize(first['hours_viewed'])} hours viewed" if first["hours_viewed"] is not None else "no global figures (not on a global list that week)"
        if first.get("views") is not None:
            figures += f", {humanize(first['views'])} views"
        window = (f"{first['start']} to {first['end']} ({first['days']} days)" if facts["release_date"]
                  else f"week ending {first['end']} (release date unknown)")
        label = window_label(first["days"], first["end"], first["week"]).capitalize() + ":"
        lines.append(f"{label:<16} {window}: {figures}")
    debut = facts["debut"]
    if debut:
        lines.append(f"Debut:           No. {debut['rank']} in {debut['category']}, week ending {debut['week']}")
        lines.append(f"Weeks in Top 10: {facts['weeks_in_top_10']} (peak No. {facts['peak_rank']}, "
                     f"{facts['weeks_at_peak']} week{'s' if facts['weeks_at_peak'] != 1 else ''} there)")
    else:
        lines.append("Debut:           never in a global Top 10")
    countries = facts["countries"]
    if countries and countries["of"]:
        line = f"Countries:       Top 10 in {countries['count']} of {countries['of']} countries in the week ending {countries['week']}"
        if countries["number_one"]:
            line += f"; No. 1 in {len(countries['number_one'])}: {', '.join(countries['number_one'])}"
        lines.append(line)
    peak, ones = facts.get("countries_peak"), facts.get("number_one")
    if peak:
        line = f"Peak countries:  {peak['count']} of {peak['of']} in the week ending {peak['week']}"
        if ones:
            line += (f"; most No. 1s: {ones['count']} in the week ending {ones['week']}, No. 1 somewhere in "
                     f"{ones['weeks']} week{'s' if ones['weeks'] != 1 else ''}")
        lines.append(line)
    longest = facts.get("country_weeks") or []
    if longest:
        shown = ", ".join(f"{country['name']} {country['weeks']}" for country in longest[:5])
        lines.append(f"Country weeks:   {shown}" + (f" (and {len(longest) - 5} more)" if len(longest) > 5 else ""))
    for half in facts.get("engagement") or []:
        views = f", {half['views']:,} views" if half["views"] is not None else ""
        lines.append(f"Half year:       {half['period_start']} to {half['period_end']}: "
                     f"{half['hours_viewed']:,} hours viewed{views}")
    return "\n".join(lines)


def render_lists(result: dict[str, Any]) -> str:
    blocks = []
    where = f"in {result['country']}" if result["country"] else "global"
    for category, rows in result["lists"].items():
        table = format_table(
            [(r["rank"], display_name(r["show_title"], r["season_title"]), humanize(r["hours_viewed"]),
              humanize(r["views"]), r["cumulative_weeks"]) for r in rows],
            ["#", "Title", "Hours viewed", "Views", "Weeks"], right=(0, 2, 3, 4))
        blocks.append(f"{category}, {where}, week ending {result['week']}\n{table}")
    return "\n\n".join(blocks)


def render_ingested(report: IngestReport, *, skipped: str) -> str:
    """One ingested file's counts and first problems (local or Spark ingest), or that it was skipped."""
    if report.already_ingested_as:
        return f"{report.path}: already ingested as {report.already_ingested_as}; {skipped}"
    lines = [f"{report.path}: {report.rows_read:,} rows read, {report.rows_loaded:,} loaded, "
             f"{report.rows_quarantined:,} quarantined, {report.rows_duplicate:,} duplicates"]
    lines += [f"  row {row}: {reason}" for row, reason in report.first_problems]
    return "\n".join(lines)


def render_ingest_total(reports: list[IngestReport]) -> str:
    """The sum over the files an ingest read, after their own lines (a folder can hold hundreds)."""
    total = {name: sum(getattr(report, name) for report in reports)
             for name in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")}
    line = (f"{len(reports):,} files: {total['rows_read']:,} rows read, {total['rows_loaded']:,} loaded, "
            f"{total['rows_quarantined']:,} quarantined, {total['rows_duplicate']:,} duplicates")
    return line + ("; every bad row is in 'viewrank quarantine'" if total["rows_quarantined"] else "")


def render_revisions(editions: list[dict[str, Any]]) -> str:
    """Every revision of a week's editions, each followed by what changed from the one before."""
    lines = []
    for edition in editions:
        lines.append(f"{edition['scope']} revision {edition['revision']} (edition {edition['edition_id']}, "
                     f"{edition['origin']}, {edition['created_at']:%Y-%m-%d %H:%M}): {edition['entries']} entries")
        lines += ["  " + render_change(change) for change in edition["changes"] or []]
    return "\n".join(lines)


def render_verification(report: dict[str, Any]) -> str:
    """Each scope of a recomputed week with every difference from what was published."""
    lines = []
    for scope, result in report["scopes"].items():
        lines.append(f"{scope}: edition {result['edition_id']} revision {result['revision']}, {result['entries']} "
                     f"entries recomputed from {report['event_parts']} event parts: "
                     f"{len(result['differences'])} differences")
        lines += ["  published " + render_change(change).replace(" -> ", " ; recomputed ")
                  for change in result["differences"]]
    return "\n".join(lines)


def render_change(change: dict[str, Any]) -> str:
    where = f"{change['country'] + ' ' if change['country'] else ''}{change['category']} No. {change['rank']}"

    def side(entry: dict[str, Any] | None) -> str:
        if entry is None:
            return "(none)"
        views = f", {humanize(entry['views'])} views" if entry["views"] is not None else ""
        return f"{entry['title']} ({humanize(entry['hours_viewed'])} h{views})"
    return f"{where}: {side(change['before'])} -> {side(change['after'])}"


def render_window_lists(result: dict[str, Any]) -> str:
    """A window's lists as aligned text tables, one per category."""
    window = result["window"]
    span = (f"first {window['first_days']} days from each premiere" if "first_days" in window
            else f"{window['from']}" if window["days"] == 1 else f"{window['from']} to {window['to']}")
    where = f"in {result['country']}" if result["country"] else "global"
    label = f", {result['list']} list" if result["list"] else ""
    blocks = []
    for category, rows in result["lists"].items():
        extra = [name for name in ("viewers", *AUDIENCE_COLUMNS) if any(name in row for row in rows)]
        headers = ["#", "Title", "Hours viewed", "Views", *(name.capitalize() for name in extra)]
        table = [[row["rank"], display_name(row["show_title"], row["season_title"]), humanize(row["hours_viewed"]),
                  humanize(row["views"]), *(humanize(row[name]) for name in extra)] for row in rows]
        if "first_days" in window and not window.get("imported"):   # published lists give no windows
            headers.append("Window")
            for line, row in zip(table, rows):
                line.append(f"{row['window_from']} to {row['window_to']}")
        text = format_table(table, headers, right=(0, 2, 3, *range(4, 4 + len(extra))))
        blocks.append(f"{category}, {where}{label}, {span}, by {result['rank_by']}\n{text}")
    return "\n\n".join(blocks)


def render_factsheet(sheet: dict[str, Any], *, hours_rounding: int = 1, views_rounding: int = 1) -> str:
    """The fact sheet as Markdown: figures rounded for display, each row naming its source."""
    def number(value: float | None, step: int) -> str:
        shown = round_display(value, step)
        return "n/a" if shown is None else f"{shown:,}"

    def figures(block: dict[str, Any]) -> str:
        # Figures of published editions print as published; only measured ones are rounded.
        measured = (block.get("source") or {}).get("kind") == "rollups"
        text = f"{number(block['hours_viewed'], hours_rounding if measured else 1)} hours viewed"
        if block.get("views") is not None:
            text += f", {number(block['views'], views_rounding if measured else 1)} views"
        place = block.get("place")
        if place:
            text += (f"; No. {place['rank']} of {place['of']} in {place['category']} over the same days "
                     f"(percentile {place['percentile']:g})")
        return text

    title = sheet["title"]
    kind = "Film" if title["kind"] == "film" else "Season"
    lines = [f"# {title['name']}", "",
             f"{kind} · {title['original_language'] or 'language unknown'} · "
             f"released {title['release_date'] or 'unknown'} · id `{title['title_id']}`", "",
             *_lede_markdown(sheet.get("lede") or []),
             "| Figure | Value | Source |", "|---|---|---|"]
    weekend = sheet["first_weekend"]
    if weekend:
        value = figures(weekend) if weekend["hours_viewed"] is not None else "no global figures (not on a global list that week)"
        lines.append(f"| {weekend['label'].capitalize()} ({weekend['start']} to {weekend['end']}, {weekend['days']} days) | {value} "
                     f"| {_source_text(weekend['source'])} |")
    debut = sheet["debut"]
    if debut:
        lines.append(f"| Debut | No. {debut['rank']} in {debut['category']}, week ending {debut['week']} "
                     f"| {_source_text(debut['source'])} |")
        editions = ", ".join(str(week["source"]["edition_id"]) for week in sheet["weeks"])
        lines.append(f"| Weeks in the Top 10 | {sheet['weeks_in_top_10']} (peak No. {sheet['peak_rank']}, "
                     f"{sheet['weeks_at_peak']} week{'s' if sheet['weeks_at_peak'] != 1 else ''} there) "
                     f"| editions {editions} |")
    else:
        lines.append("| Debut | never in a global Top 10 | current editions |")
    countries = sheet["countries"]
    if countries and countries["debut_week"]:
        first = countries["debut_week"]
        value = f"Top 10 in {first['count']} of {first['of']} countries"
        if first["number_one"]:
            named = len(first["number_one"]) <= NAMED_COUNTRIES
            value += f"; No. 1 in {', '.join(first['number_one']) if named else len(first['number_one'])}"
            value += "" if named else " countries"
        lines.append(f"| Countries, first week {first['week']} | {value} | {_source_text(first['source'])} |")
    if countries and countries["most"]:
        most = countries["most"]
        lines.append(f"| Most countries in one week | {most['count']} in the week ending {most['week']} "
                     f"| {_source_text(most['source'])} |")
    ones = sheet.get("number_one")
    if ones:
        lines.append(f"| Most No. 1 countries in one week | {ones['count']} in the week ending {ones['week']} "
                     f"(No. 1 somewhere in {ones['weeks']} week{'s' if ones['weeks'] != 1 else ''}) "
                     f"| country edition {ones['edition_id']} (week {ones['week']}) |")
    if sheet.get("release_date_source", {}) and sheet["release_date_source"]["kind"] == "engagement":
        lines.append(f"| Release date | {title['release_date']} | {_source_text(sheet['release_date_source'])} |")
    for half in sheet.get("engagement") or []:
        value = f"{half['hours_viewed']:,} hours viewed" + (f", {half['views']:,} views" if half["views"] is not None else "")
        lines.append(f"| Half year {half['period_start']} to {half['period_end']} | {value} "
                     f"| {_source_text(half['source'])} |")
    for days in FIGURE_DAYS:
        block = sheet[f"first_{days}_days"]
        label = f"First {days} days" + (f" ({block['from']} to {block['to']})" if "from" in block else "")
        value = figures(block) if block["complete"] else f"not complete: {block['reason']}"
        lines.append(f"| {label} | {value} | {_source_text(block.get('source'))} |")
    if sheet["seasons"]:
        lines += ["", "## Other seasons", "", "| Season | Released | Debut | First weekend | First 28 days |",
                  "|---|---|---|---|---|"]
        for season in sheet["seasons"]:
            debut_text = (f"No. {season['debut']['rank']}, week ending {season['debut']['week']}"
                          if season["debut"] else "not in a Top 10")
            weekend = season["first_weekend"]
            weekend_text = figures(weekend) if weekend and weekend["hours_viewed"] is not None else "n/a"
            days28 = season["first_28_days"]
            lines.append(f"| {season['name']} | {season['release_date'] or 'unknown'} | {debut_text} | {weekend_text} "
                         f"| {figures(days28) if days28['complete'] else 'not complete'} |")
    return "\n".join(lines) + "\n"


def _lede_markdown(sentences: list[dict[str, Any]]) -> list[str]:
    """The opening sentences as a paragraph whose figures link to their sources (Markdown
    reference links: the site's page of the source, titled with the source), then a blank line."""
    if not sentences:
        return []
    paths: dict[str, int] = {}
    notes: list[str] = []
    words = []
    for sentence in sentences:
        for part in sentence["parts"]:
            path = urls.source(part.get("source"))
            if path is None:
                words.append(part["text"])
                continue
            if path not in paths:
                paths[path] = len(paths) + 1
                notes.append(f'[{paths[path]}]: {path} "{_source_text(part["source"])}"')
            words.append(f"[{part['text']}][{paths[path]}]")
        words.append(" ")
    return ["".join(words).rstrip(), "", *notes, ""] if notes else ["".join(words).rstrip(), ""]


def _source_text(source: dict[str, Any] | None) -> str:
    if source is None:
        return "none"
    if source["kind"] == "rollups":
        return f"rollups {source['from']} to {source['to']}"
    if source["kind"] == "history":
        return f"{source['scope']} history of {source['title_id']}"
    if source["kind"] == "engagement":
        return (f"engagement report {source['period_start']} to {source['period_end']}, sheet {source['sheet']} "
                f"row {source['sheet_row']}")
    return (f"{source['scope']} edition {source['edition_id']} revision {source['revision']} "
            f"(week {source['week']}, {source['origin']})")
