"""Stable title ids for imported titles, and which published rows are the same title.

Published lists name titles, they do not identify them. Two rows are the same title when
they share the list's category (Films/TV, English or not), the show and season title, and
the history agrees: `cumulative_weeks_in_top_10` counts every week on the list, re-entries
included, so it only goes up for one title. A count that starts again (at 1, or at anything
not above the last count) is a namesake: a different title with the same name.

An id is a slug of the name plus a short hash of the evidence that made it a title, so the
same files always give the same ids. Rows that already carry an id in the warehouse keep it
(so hand corrections and earlier imports survive a re-import), and new rows take the id of
the row before them in the same run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Iterable

SLUG_LENGTH = 48
HASH_LENGTH = 8
SEASON_NUMBER = re.compile(r"(?:^|: )Season (\d+)$", re.IGNORECASE)
# Every way Netflix has spelt a numbered season: "Show: Season 4", "Show: Season 4: Percy",
# "Show: S4: Seattle" (the show before the number, a subtitle after it).
SEASON_SPELLING = re.compile(r"^(?:(.*?): )?(?:[Ss]eason |S)(\d+)(?::.*)?$")


def slug(text: str) -> str:
    """Lower-case ASCII words joined by dashes ('title' when nothing Latin is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:SLUG_LENGTH].rstrip("-") or "title"


def make_title_id(name: str, *evidence: object) -> str:
    """`slug(name)-hash(evidence)`: readable, and deterministic for the same evidence."""
    digest = hashlib.sha1("\x1f".join(str(item) for item in evidence).encode("utf-8")).hexdigest()
    return f"{slug(name)}-{digest[:HASH_LENGTH]}"


def season_number(season_title: str | None) -> int | None:
    """The N of 'Show: Season N' or 'Season N' (None for limited series, parts and films)."""
    match = SEASON_NUMBER.search(season_title or "")
    return int(match.group(1)) if match else None


def season_name(season_title: str | None) -> str | None:
    """A numbered season as identity knows it, whatever its spelling: "Love Is Blind: S4:
    Seattle" and "Love Is Blind: Season 4" are both "Love Is Blind: Season 4"."""
    match = SEASON_SPELLING.match(season_title or "")
    if not match:
        return season_title
    number = int(match.group(2))
    return f"{match.group(1)}: Season {number}" if match.group(1) else f"Season {number}"


def season_key(season_title: str | None) -> str:
    """A season title as Top 10 identity compares it: its numbered-season name's `name_key`."""
    return name_key(season_name(season_title))


def fold(text: str | None) -> str:
    """Names compared the forgiving way: case and runs of spaces do not matter."""
    return " ".join((text or "").split()).casefold()


def name_key(text: str | None) -> str:
    """A published name as Top 10 identity compares it: case, punctuation and spacing do not
    matter ("This Little Love Of Mine" is "This Little Love of Mine")."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


@dataclass
class Sighting:
    """One published row of a title on a list, as identity inference sees it."""

    week: dt.date
    group: tuple[str, ...]        # (category, show_title, season_title): rows that may be one title
    cumulative: int
    title_id: str | None = None   # known from the warehouse, else assigned here
    ref: Any = None               # the caller's row
    runtime: float | None = None  # published runtime (hours), evidence between namesakes
    hours: int | None = None      # published hours viewed that week


def runs(sightings: Iterable[Sighting], ties: list[Sighting] | None = None) -> list[list[Sighting]]:
    """Split sightings into titles: within a group, a run continues while the count goes up.
    Where several runs could take a row, the evidence decides: the count continuing exactly,
    then the same runtime, then the shorter gap; rows still tied go to the later run and are
    added to `ties` to be reported."""
    by_group: dict[tuple[str, ...], list[Sighting]] = {}
    for sighting in sightings:
        by_group.setdefault(sighting.group, []).append(sighting)
    found: list[list[Sighting]] = []
    for group in sorted(by_group):
        open_runs: list[list[Sighting]] = []
        for sighting in sorted(by_group[group], key=lambda s: (s.week, s.cumulative)):
            # A run can take this row if it has not been seen this week and its count is lower.
            candidates = [run for run in open_runs
                          if run[-1].week < sighting.week and run[-1].cumulative < sighting.cumulative]
            if candidates:
                scores = [_evidence(run, sighting) for run in candidates]
                best = max(scores)
                if scores.count(best) > 1 and ties is not None:
                    ties.append(sighting)
                candidates[len(scores) - 1 - scores[::-1].index(best)].append(sighting)
            else:
                open_runs.append([sighting])
        found.extend(open_runs)
    return found


def _evidence(run: list[Sighting], sighting: Sighting) -> tuple[bool, bool, int]:
    """How well a row continues a run: exact count, same runtime, then the shorter gap."""
    last = run[-1]
    runtimes = [s.runtime for s in run if s.runtime]
    same_runtime = bool(sighting.runtime) and bool(runtimes) and runtimes[-1] == sighting.runtime
    return (last.cumulative == sighting.cumulative - 1, same_runtime, -(sighting.week - last.week).days)


def assign_ids(found: list[list[Sighting]], new_id: Callable[[list[Sighting]], str]) -> None:
    """Give every sighting an id: known ids stay, the others follow the row before them in
    their run (or the first known id after them); a run with no known id gets `new_id(run)`."""
    for run in found:
        known = next((s.title_id for s in run if s.title_id), None) or new_id(run)
        for sighting in run:
            if sighting.title_id:
                known = sighting.title_id
            else:
                sighting.title_id = known
