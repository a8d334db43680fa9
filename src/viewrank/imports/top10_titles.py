"""Which title each row of a Netflix Top 10 file is: global rows by their history
(identity.runs), country and most-popular rows by the global titles of the same names.

Names are compared by `name_key` (seasons by `season_key`), so a rename in case,
punctuation or spacing between publications, or of a numbered season ("Love Is Blind:
Season 4" / "Love Is Blind: S4: Seattle"), keeps one id; every spelling is kept in
title_aliases and the newest publication's is shown. Ids are derived from the evidence
(category, names, first week of the run), not from what was imported first, and a title
first known from country lists takes the id of the global title its rows would have gone to
(by names and week) once a global list has it, so any import order gives the same ids.
Evidence that derives a stored id again is that title, and an id merged away by hand
(titles-merge) is the title it was merged into, so an older publication imported after a
correction neither revives the old id nor collides with the stored one.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..catalog import display_name
from ..store.warehouse import Warehouse
from .identity import Sighting, assign_ids, make_title_id, name_key, runs, season_key, season_name, season_number
from .titles import insert_titles, title_keys

if TYPE_CHECKING:
    from .netflix_top10 import Top10File, Top10Report

TITLE_SOURCE = "netflix-top10"
Candidate = tuple[str, str, list[dt.date], float]   # (title id, category, weeks on the global list, hours)

# Every spelling a title was published under, with the newest publication that used it and,
# for a spelling of a title merged into this one by hand, that title's id.
RECORD_ALIASES_SQL = """
UPDATE new_names n SET published = greatest(n.published, a.published),
                       merged_from = CASE WHEN n.merged_from IS NOT NULL THEN a.merged_from END
FROM title_aliases a
WHERE a.title_key = n.title_key AND a.show_title = n.show_title AND a.season_title IS NOT DISTINCT FROM n.season_title;
DELETE FROM title_aliases a WHERE EXISTS (
    SELECT 1 FROM new_names n WHERE a.title_key = n.title_key AND a.show_title = n.show_title
                                AND a.season_title IS NOT DISTINCT FROM n.season_title);
INSERT INTO title_aliases (title_key, show_title, season_title, published, merged_from)
SELECT title_key, show_title, season_title, published, merged_from FROM new_names;
"""
# Titles of this source on no current global list, with the first week of their country rows.
UNLISTED_SQL = """
SELECT t.title_id, t.kind, t.show_title, t.season_title,
       (SELECT min(c.week) FROM current_entries c WHERE c.scope = 'country' AND c.title_key = t.title_key)
FROM titles t
WHERE t.source = ? AND NOT EXISTS (SELECT 1 FROM current_entries c WHERE c.scope = 'global' AND c.title_key = t.title_key)
ORDER BY t.title_id
"""
# A title shows its own spelling (not one of a title merged into it) of the newest publication
# that named it; spellings of one publication are taken in alphabetical order, so any import
# order shows the same.
NEWEST_SPELLING_SQL = """
UPDATE titles SET show_title = a.show_title, season_title = a.season_title
FROM (SELECT title_key, show_title, season_title FROM title_aliases
      WHERE title_key IN (SELECT title_key FROM new_names)
      QUALIFY row_number() OVER (PARTITION BY title_key ORDER BY merged_from IS NULL DESC, published DESC,
                                                             show_title, season_title NULLS FIRST) = 1) a
WHERE titles.title_key = a.title_key AND titles.source = 'netflix-top10'
  AND (titles.show_title <> a.show_title OR titles.season_title IS DISTINCT FROM a.season_title)
"""


def kind_of(category: str) -> str:
    return "film" if category.startswith("Films") else "tv"


def _language_of(category: str, english: str) -> str | None:
    return english if category.endswith("(English)") else None


class Titles:
    """Titles created, renamed or re-used during one import (written together at the end)."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.new: list[dict[str, Any]] = []
        self.languages: dict[str, str | None] = {}
        self.renamed: dict[str, str] = {}
        # Ids already stored, and ids merged away by hand (titles-merge) with the title they became:
        # evidence that derives one of them again is that title, whatever the import order.
        self.stored = {title_id for (title_id,) in warehouse.execute("SELECT title_id FROM titles").fetchall()}
        self.merged = dict(warehouse.execute(
            "SELECT title_id, other_title_id FROM title_corrections WHERE action = 'merge'").fetchall())
        # Titles from earlier country or most-popular imports that are on no global list yet,
        # with the first week of their country rows (None for most-popular titles).
        self.unlisted: dict[tuple[str, str, str], list[str]] = {}
        self.first_week: dict[str, dt.date | None] = {}
        for title_id, kind, show, season, first_week in warehouse.execute(UNLISTED_SQL, [TITLE_SOURCE]).fetchall():
            self.unlisted.setdefault((kind, name_key(show), season_key(season)), []).append(title_id)
            self.first_week[title_id] = first_week

    def existing(self, title_id: str) -> str | None:
        """The stored title an id derived from the evidence denotes: itself, or the title it was
        merged into (following merges of merges); None for an id never stored."""
        seen = set()
        while title_id in self.merged and title_id not in seen:
            seen.add(title_id)
            title_id = self.merged[title_id]
        return title_id if title_id in self.stored else None

    def create(self, title_id: str, kind: str, show: str, season: str | None, language: str | None, *,
               unlisted: bool) -> str:
        """A new title, unless the id is stored already or was merged into another (then that
        title); `unlisted` ones (from country or most-popular rows) are shared by later rows."""
        known = self.existing(title_id)
        if known is not None:
            return known
        self.new.append({"title_id": title_id, "show_title": show, "season_number": season_number(season_name(season)),
                         "season_title": season, "kind": kind, "original_language": language, "source": TITLE_SOURCE})
        if unlisted:
            self.unlisted.setdefault((kind, name_key(show), season_key(season)), []).append(title_id)
        return title_id

    def unlisted_id(self, kind: str, show: str, season: str | None) -> str | None:
        spare = self.unlisted.get((kind, name_key(show), season_key(season)))
        return spare[0] if spare else None

    def adopt_unlisted(self, candidates: dict[tuple[str, str, str], list[Candidate]]) -> None:
        """Give each title known only from country or most-popular lists the id of the new global
        title its rows would have gone to had the global list come first (`_covering` its first
        country week, else the one with the most hours): it becomes that title."""
        created = {record["title_id"]: record for record in self.new}
        for key, spare in self.unlisted.items():
            options = candidates.get(key, [])
            for old in list(spare) if options else []:
                first_week = self.first_week.get(old)
                title_id = (_covering(first_week, options) if first_week
                            else max(options, key=lambda c: (c[3], c[0]))[0])
                if title_id not in created:   # stored already, or adopted by another title this import
                    continue
                record = created.pop(title_id)
                self.new.remove(record)
                spare.remove(old)
                self.renamed[old] = title_id
                if record["original_language"] is not None:
                    self.languages[title_id] = record["original_language"]

    def write(self) -> dict[str, int]:
        """Insert new titles, rename adopted ones, fix languages learnt from global lists;
        returns title_id -> title_key."""
        for old, new in self.renamed.items():
            self.warehouse.execute("UPDATE titles SET title_id = ? WHERE title_id = ?", [new, old])
        insert_titles(self.warehouse, self.new)
        for title_id, language in self.languages.items():
            self.warehouse.execute("UPDATE titles SET original_language = ? WHERE title_id = ?", [language, title_id])
        return title_keys(self.warehouse)


def record_names(warehouse: Warehouse, parsed: Top10File, keys: dict[str, int]) -> None:
    """Keep every spelling the file used for its titles; each title shows the newest of its own."""
    merged: dict[tuple[int, str, str | None], str] = {}   # a spelling any row of the title's own is its own
    for row in parsed.rows:
        name = (keys[row.title_id or ""], row.show_title, row.season_title)
        merged[name] = min(merged.get(name, row.merged_from or ""), row.merged_from or "")
    names = [(*name, merged_from) for name, merged_from in merged.items()]
    published = parsed.published or dt.date.min
    warehouse.execute("CREATE OR REPLACE TEMP TABLE new_names (title_key INTEGER, show_title VARCHAR, "
                      "season_title VARCHAR, published DATE, merged_from VARCHAR)")
    warehouse.execute("INSERT INTO new_names SELECT unnest(?), unnest(?), unnest(?), ?, nullif(unnest(?), '')",
                      [[name[0] for name in names], [name[1] for name in names], [name[2] for name in names],
                       published, [name[3] for name in names]])
    warehouse.execute(RECORD_ALIASES_SQL)
    warehouse.execute(NEWEST_SPELLING_SQL)
    warehouse.execute("DROP TABLE new_names")


def global_titles(warehouse: Warehouse, parsed: Top10File, titles: Titles, report: Top10Report) -> None:
    """Identify the titles of global rows against the stored global history."""
    english = warehouse.methodology.english_language
    weeks = {row.week for row in parsed.rows}
    sightings: list[Sighting] = []
    known_at: dict[tuple[Any, ...], str] = {}
    for week, category, show, season, cumulative, runtime, hours, title_id in warehouse.execute(
            """SELECT c.week, c.category, t.show_title, t.season_title, c.cumulative_weeks, c.runtime_hours,
                      c.hours_viewed, t.title_id
               FROM current_entries c JOIN titles t USING (title_key) WHERE c.scope = 'global'""").fetchall():
        group = (category, name_key(show), season_key(season))
        if week in weeks:   # the file replaces this week: its rows keep the ids they had
            known_at[(week, *group, cumulative)] = title_id
        else:
            sightings.append(Sighting(week, group, cumulative, title_id, runtime=runtime, hours=hours))
    for row in parsed.rows:
        group = (row.category, name_key(row.show_title), season_key(row.season_title))
        sightings.append(Sighting(row.week, group, row.cumulative, known_at.get((row.week, *group, row.cumulative)),
                                  row, runtime=row.runtime, hours=row.hours))

    def new_id(run: list[Sighting]) -> str:
        row = next(s.ref for s in run if s.ref is not None)
        category, show_key, season_text = run[0].group
        title_id = make_title_id(display_name(row.show_title, season_name(row.season_title)), TITLE_SOURCE, category,
                                 show_key, season_text, run[0].week)
        known = titles.existing(title_id)
        if known is not None:   # the same evidence named a stored title before (or one merged away)
            if known != title_id:   # its spellings are those of the title merged away
                for sighting in run:
                    if sighting.ref is not None:
                        sighting.ref.merged_from = title_id
            return known
        return titles.create(title_id, kind_of(category), row.show_title, row.season_title,
                             _language_of(category, english), unlisted=False)

    ties: list[Sighting] = []
    found = runs(sightings, ties)
    before = len(titles.new)
    assign_ids(found, new_id)
    titles.adopt_unlisted(_run_candidates(found))
    report.titles_new = len(titles.new) - before
    report.identity_ties = [{"week": s.week.isoformat(), "category": s.group[0], "title_id": s.title_id}
                            for s in ties if s.ref is not None]
    groups: dict[tuple[str, ...], int] = {}
    for run in found:
        if any(s.ref is not None for s in run):
            groups[run[0].group] = groups.get(run[0].group, 0) + 1
    report.namesakes = sum(count - 1 for count in groups.values())
    for sighting in sightings:
        if sighting.ref is not None:
            sighting.ref.title_id = sighting.title_id


def _run_candidates(found: list[list[Sighting]]) -> dict[tuple[str, str, str], list[Candidate]]:
    """The global titles of identified runs by (kind, show, season) name keys, as
    `_global_candidates` gives them from the warehouse once they are written."""
    Title = tuple[tuple[str, str, str], str, str]   # (names key, title id, category)
    weeks: dict[Title, set[dt.date]] = {}
    hours: dict[Title, float] = {}
    for run in found:
        category, show_key, season_text = run[0].group
        for sighting in run:
            title = ((kind_of(category), show_key, season_text), sighting.title_id or "", category)
            weeks.setdefault(title, set()).add(sighting.week)
            hours[title] = hours.get(title, 0.0) + (sighting.hours or 0)
    by_names: dict[tuple[str, str, str], list[Candidate]] = {}
    for title in sorted(weeks, key=lambda title: (min(weeks[title]), title[1])):
        by_names.setdefault(title[0], []).append((title[1], title[2], sorted(weeks[title]), hours[title]))
    return by_names


def _global_candidates(warehouse: Warehouse) -> dict[tuple[str, str, str], list[Candidate]]:
    """Titles on the global lists by (kind, show, season) name keys: (id, category, weeks, hours)."""
    found: dict[tuple[str, str, str], list[Candidate]] = {}
    for title_id, kind, show, season, category, weeks, hours in warehouse.execute(
            """SELECT t.title_id, t.kind, t.show_title, t.season_title, c.category,
                      list(DISTINCT c.week ORDER BY c.week), coalesce(sum(c.hours_viewed), 0)
               FROM titles t JOIN current_entries c USING (title_key) WHERE c.scope = 'global'
               GROUP BY ALL ORDER BY min(c.week), t.title_id""").fetchall():
        found.setdefault((kind, name_key(show), season_key(season)), []).append((title_id, category, weeks, hours))
    return found


def _covering(week: dt.date, candidates: list[Candidate]) -> str:
    """The namesake whose global history covers `week`: on the list that week, else charting
    around it, else the nearest debut after it (a title is on country lists first), else the
    latest to debut before it (candidates by debut)."""
    on_list = [c for c in candidates if week in c[2]]
    around = [c for c in candidates if c[2][0] <= week <= c[2][-1]]
    later = [c for c in candidates if c[2][0] > week and (c[2][0] - week).days <= 28]
    earlier = [c for c in candidates if c[2][0] <= week]
    if on_list or around or later:
        return (on_list or around or later)[0][0]
    return earlier[-1][0] if earlier else candidates[0][0]


def country_titles(warehouse: Warehouse, parsed: Top10File, titles: Titles, report: Top10Report) -> None:
    """Country rows take the id of the global title with the same names and kind whose
    history covers that week; titles never on a global list get ids of their own."""
    candidates = _global_candidates(warehouse)
    before = len(titles.new)
    for row in parsed.rows:
        kind = kind_of(row.category)
        options = candidates.get((kind, name_key(row.show_title), season_key(row.season_title)))
        if options:
            row.title_id = _covering(row.week, options)
            continue
        report.rows_on_titles_not_in_global_lists += 1
        row.title_id = (titles.unlisted_id(kind, row.show_title, row.season_title)
                        or titles.create(make_title_id(display_name(row.show_title, season_name(row.season_title)), TITLE_SOURCE, "country",
                                                       kind, name_key(row.show_title), season_key(row.season_title)),
                                         kind, row.show_title, row.season_title, None, unlisted=True))
    report.titles_new = len(titles.new) - before


def popular_titles(warehouse: Warehouse, parsed: Top10File, titles: Titles, report: Top10Report) -> None:
    """A most-popular row is the global title of that category and names with the most hours."""
    english = warehouse.methodology.english_language
    candidates = _global_candidates(warehouse)
    before = len(titles.new)
    for row in parsed.rows:
        kind = kind_of(row.category)
        options = [c for c in candidates.get((kind, name_key(row.show_title), season_key(row.season_title)), [])
                   if c[1] == row.category]
        if options:
            row.title_id = max(options, key=lambda c: (c[3], c[0]))[0]
            continue
        report.rows_on_titles_not_in_global_lists += 1
        language = _language_of(row.category, english)
        row.title_id = (titles.unlisted_id(kind, row.show_title, row.season_title)
                        or titles.create(make_title_id(display_name(row.show_title, season_name(row.season_title)), TITLE_SOURCE, "most-popular",
                                                       row.category, name_key(row.show_title),
                                                       season_key(row.season_title)),
                                         kind, row.show_title, row.season_title, language, unlisted=True))
    report.titles_new = len(titles.new) - before
