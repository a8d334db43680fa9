"""The titles of personal Netflix exports ('Show: Season 1: Name (Episode 3)', a film's bare
name) split into show, season and episode, and found in the catalog or added to it.

How a name is read, first rule that applies:
  1. the whole name is a known season title or film name: that title, no episode;
  2. a segment after the first is a season label (Season N, Limited Series, Part N, Book N,
     ...): the segments before it are the show, the ones after it the episode;
  3. a leading part is a known season title ('DAHMER: Monster: The Jeffrey Dahmer Story:
     ...', or 'Stranger Things 4' after its show): that season, the rest the episode;
  4. it ends in '(Episode k)', or other names in the same export share all its segments but
     the last: all but the last segment are the season, the first the show;
  5. anything else is a film.
Among namesakes the title that had charted (or been released) by the viewing date and most
recently wins. New titles and episodes have no known runtime: the caller reports a lower
bound (the furthest playback position or the longest session seen).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

import pyarrow as pa

from ..catalog import display_name
from ..store.bulk import insert_arrow
from ..store.warehouse import Warehouse
from .identity import fold, make_title_id, season_number
from .titles import Known, TitleIndex, insert_titles, is_season_label, title_keys

EPISODE_SUFFIX = re.compile(r"^(.*?)\s*\(Episode (\d+)\)$")
EPISODE_ONLY = re.compile(r"^Episode (\d+)$", re.IGNORECASE)
EPISODE_SCHEMA = pa.schema([("episode_id", pa.string()), ("title_key", pa.int32()), ("episode_number", pa.int32()),
                            ("episode_title", pa.string()), ("runtime_seconds", pa.int32())])
WEEK_SLACK = dt.timedelta(days=6)   # a title charting in the week of a viewing was out that day


@dataclass(frozen=True)
class Parsed:
    kind: str
    show_title: str
    season_title: str | None
    episode: str | None


def split_episode(text: str) -> tuple[str | None, int | None]:
    """'The Way Out (Episode 3)' -> ('The Way Out', 3); 'Episode 6' -> (None, 6)."""
    match = EPISODE_SUFFIX.match(text)
    if match:
        return match.group(1) or None, int(match.group(2))
    match = EPISODE_ONLY.match(text)
    return (None, int(match.group(1))) if match else (text, None)


class WatchedTitles:
    """Finds or creates the titles and episodes one personal export refers to."""

    def __init__(self, warehouse: Warehouse, source: str, names: Iterable[str]):
        self.warehouse, self.source = warehouse, source
        self.index = TitleIndex(warehouse)
        # Leading segments that several names of this export share: a season and its episodes.
        heads = Counter(name.rsplit(": ", 1)[0] for name in set(names) if ": " in name)
        self.shared_heads = {head for head, count in heads.items() if count > 1}
        self.episode_ids: dict[tuple[str, Any], str] = {}
        for episode_id, title_id, number, name in warehouse.execute(
                "SELECT e.episode_id, t.title_id, e.episode_number, e.episode_title "
                "FROM episodes e JOIN titles t USING (title_key) ORDER BY e.episode_id").fetchall():
            if number is not None:
                self.episode_ids.setdefault((title_id, number), episode_id)
            if name:
                self.episode_ids.setdefault((title_id, fold(name)), episode_id)
        self.new_titles: dict[str, dict[str, Any]] = {}
        self.new_episodes: dict[str, dict[str, Any]] = {}
        self._parsed: dict[str, Parsed | list[Known]] = {}

    def parse(self, text: str) -> Parsed | list[Known]:
        """The known titles the whole name denotes, else the name split into its parts."""
        if text not in self._parsed:
            self._parsed[text] = self.index.named(text, None) or self._split(text)
        return self._parsed[text]

    def _split(self, text: str) -> Parsed:
        segments = text.split(": ")
        for i in range(1, len(segments)):
            if is_season_label(segments[i]):
                show = ": ".join(segments[:i])
                return Parsed("tv", show, f"{show}: {segments[i]}", ": ".join(segments[i + 1:]) or None)
        for i in range(len(segments) - 1, 0, -1):
            episode, show = ": ".join(segments[i:]), ": ".join(segments[:i - 1])
            for known in self.index.by_season.get(fold(": ".join(segments[:i])), []):
                return Parsed("tv", known.show_title, known.season_title, episode)
            for known in self.index.by_season.get(fold(segments[i - 1]), []) if show else []:
                if fold(known.show_title) == fold(show):   # 'Stranger Things: Stranger Things 4: ...'
                    return Parsed("tv", known.show_title, known.season_title, episode)
        head = text.rsplit(": ", 1)[0]
        if len(segments) > 1 and (EPISODE_SUFFIX.match(text) or head in self.shared_heads):
            return Parsed("tv", segments[0], head, segments[-1])
        return Parsed("film", text, None, None)

    def resolve(self, text: str, day: dt.date, *, episodes: bool) -> tuple[str, str | None, str | None]:
        """(title id, episode id, episode text) of a watched name; creates what is missing
        (episodes only when asked: they need a runtime)."""
        parsed = self.parse(text)
        if isinstance(parsed, list):
            return _choose(parsed, day).title_id, None, None
        candidates = self.index.named(display_name(parsed.show_title, parsed.season_title), parsed.kind)
        known = _choose(candidates, day) if candidates else self._create(parsed)
        episode_id = None
        if parsed.episode and episodes and known.kind == "tv":
            episode_id = self._episode(known.title_id, parsed.episode)
        return known.title_id, episode_id, parsed.episode

    def _create(self, parsed: Parsed) -> Known:
        name = display_name(parsed.show_title, parsed.season_title)
        title_id = make_title_id(name, self.source, parsed.kind, parsed.show_title, parsed.season_title or "")
        self.new_titles[title_id] = {
            "title_id": title_id, "show_title": parsed.show_title, "season_title": parsed.season_title,
            "season_number": season_number(parsed.season_title), "kind": parsed.kind, "source": self.source}
        known = Known(title_id, parsed.kind, parsed.show_title, parsed.season_title, self.source, None, None)
        self.index.add(known)
        return known

    def _episode(self, title_id: str, text: str) -> str:
        name, number = split_episode(text)
        key: tuple[str, Any] = (title_id, number) if number is not None else (title_id, fold(name))
        if key not in self.episode_ids:
            suffix = f"e{number}" if number is not None else hashlib.sha1(fold(name).encode()).hexdigest()[:8]
            episode_id = f"{title_id}-{suffix}"
            self.new_episodes[episode_id] = {"episode_id": episode_id, "title_id": title_id, "episode_number": number,
                                             "episode_title": name, "runtime_seconds": 1}
            self.episode_ids[key] = episode_id
        return self.episode_ids[key]

    def observe_runtime(self, title_id: str, episode_id: str | None, seconds: int) -> None:
        """Raise the runtime lower bound of a title or episode this import created."""
        if episode_id in self.new_episodes:
            record = self.new_episodes[episode_id]
        elif episode_id is None and self.new_titles.get(title_id, {}).get("kind") == "film":
            record = self.new_titles[title_id]
        else:
            return
        record["runtime_seconds"] = max(record.get("runtime_seconds") or 1, seconds)

    def write(self) -> None:
        """Insert the new titles and episodes (inside the caller's transaction)."""
        insert_titles(self.warehouse, list(self.new_titles.values()))
        keys = title_keys(self.warehouse)
        insert_arrow(self.warehouse, "episodes", pa.Table.from_pylist(
            [{**record, "title_key": keys[record["title_id"]]} for record in self.new_episodes.values()],
            schema=EPISODE_SCHEMA))


def _choose(candidates: list[Known], day: dt.date) -> Known:
    """One title, or among namesakes the latest one out (charted or released) by `day`."""
    def out(known: Known) -> dt.date | None:
        return known.first_week or known.release_date
    started = [known for known in candidates if (out(known) or dt.date.max) <= day + WEEK_SLACK]
    return max(started, key=lambda known: out(known) or dt.date.min) if started else candidates[0]
