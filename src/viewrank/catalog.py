"""The catalog: films and seasons with stable ids, their episodes, and runtimes as of a date.

A title is a film or one season. A season's runtime on a date is the sum of the runtimes
of its episodes available by then, so a weekly-release season grows week by week.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pyarrow as pa

from .charts.stale import marking_stale_weeks
from .errors import CatalogError, InputError
from .files import write_atomically
from .ingest.readers import ROW, read_input
from .store.warehouse import Warehouse

TITLE_COLUMNS = ("title_id", "show_title", "season_number", "season_title", "kind", "original_language",
                 "release_date", "is_original", "runtime_seconds", "genre", "is_kids", "tmdb_id", "imdb_id", "image_url")
EPISODE_ROW_COLUMNS = ("episode_id", "title_key", "episode_number", "episode_title", "runtime_seconds", "available_date")
EPISODE_COLUMNS = ("episode_id", "title_id", "episode_number", "episode_title", "runtime_seconds", "available_date")
KIND_ALIASES = {"film": "film", "movie": "film", "tv": "tv", "series": "tv", "show": "tv", "season": "tv"}
TRUE_WORDS, FALSE_WORDS = {"true", "t", "yes", "y", "1"}, {"false", "f", "no", "n", "0", ""}
# Artwork: an https address, a data: URL, or an image file (relative to the catalog file)
# copied into the warehouse's ARTWORK_FOLDER and shown by the site at /artwork/NAME.
ARTWORK_FOLDER = "artwork"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif")
MAX_IMAGE_BYTES = 5_000_000
HTTPS_IMAGE = re.compile(r"https://[^\s\"'<>\\]+")
DATA_IMAGE = re.compile(r"data:image/(png|jpeg|webp|gif);base64,[A-Za-z0-9+/]+=*")


def display_name(show_title: str, season_title: str | None) -> str:
    """A title's display name: the season's title, else the show's (a film's) title; SQL uses
    the warehouse macro of the same name (migration 10)."""
    return season_title or show_title


# Runtime in seconds of every title on $as_of: a film's own runtime, a season's available episodes.
RUNTIME_AS_OF_SQL = """
SELECT t.title_key,
       CASE WHEN t.kind = 'film' THEN t.runtime_seconds
            ELSE (SELECT sum(e.runtime_seconds) FROM episodes e
                  WHERE e.title_key = t.title_key AND (e.available_date IS NULL OR e.available_date <= $as_of))
       END AS runtime_seconds
FROM titles t
"""

# Titles whose name contains $query (or whose id is $query), those whose name starts with it
# first, then the most charted: "Squid Game" comes before "Go Go Squid" for "squid".
SEARCH_SQL = """
WITH charted AS (
    SELECT c.title_key, count(*) AS weeks_in_top_10, min(c.rank) AS peak_rank
    FROM chart_entries c JOIN current_editions e USING (edition_id)
    WHERE e.scope = 'global' GROUP BY c.title_key
),
matches AS (
    SELECT * FROM titles t
    WHERE ($query = '' OR t.title_id = $query
           OR contains(lower(t.show_title || ' ' || coalesce(t.season_title, '')), lower($query)))
      AND (NOT $charted_only OR t.title_key IN (SELECT title_key FROM chart_entries))
)
SELECT t.title_id, t.show_title, t.season_number, t.season_title, t.kind, t.original_language, t.release_date,
       year(t.release_date) AS year, t.tmdb_id, t.imdb_id, coalesce(c.weeks_in_top_10, 0) AS weeks_in_top_10, c.peak_rank, count(*) OVER () AS total
FROM matches t LEFT JOIN charted c USING (title_key)
ORDER BY starts_with(lower(display_name(t.show_title, t.season_title)), lower($query)) DESC,
         coalesce(c.weeks_in_top_10, 0) DESC, lower(t.show_title), t.season_number NULLS FIRST, t.title_id
LIMIT $limit OFFSET $offset
"""


@dataclass
class CatalogReport:
    path: str
    kind: str
    added: int
    updated: int


def import_catalog(warehouse: Warehouse, path: str | os.PathLike[str]) -> CatalogReport:
    """Load a titles or an episodes file (CSV, JSON Lines or Parquet), validated whole, in one transaction."""
    raw = read_input(Path(path))
    if raw.rejected:
        row, reason, _ = raw.rejected[0]
        raise InputError(str(path), reason, row=row)
    columns = set(raw.table.column_names)
    rows = raw.table.to_pylist()
    if "episode_id" in columns:
        return _import_episodes(warehouse, str(path), rows)
    if "title_id" in columns:
        return _import_titles(warehouse, str(path), rows)
    raise InputError(str(path), "not a catalog file: expected a title_id column (titles) or an episode_id column (episodes)")


def _field(path: str, row: dict[str, Any], name: str, parse: Callable[[str], Any], *, required: bool = False) -> Any:
    value = row.get(name)
    text = None if value is None else str(value).strip()
    if not text:
        if required:
            raise InputError(path, f"missing {name}", row=row[ROW], column=name)
        return None
    try:
        return parse(text)
    except (ValueError, KeyError, OverflowError) as error:
        raise InputError(path, f"bad {name} {text!r} ({error})", row=row[ROW], column=name) from None


MAX_INTEGER = 2**31 - 1


def _positive(text: str) -> int:
    value = float(text)
    if not value.is_integer() or not 0 < value <= MAX_INTEGER:
        raise ValueError(f"expected a positive whole number up to {MAX_INTEGER}")
    return int(value)


def _boolean(text: str) -> bool:
    if text.lower() in TRUE_WORDS:
        return True
    if text.lower() in FALSE_WORDS:
        return False
    raise ValueError("expected true or false")


def _title_id(text: str) -> str:
    """A title id as it will appear in web addresses and file names of the site."""
    if "/" in text or text in (".", "..") or not text.isprintable():
        raise ValueError("a title id names pages of the site, so it cannot contain '/' or control characters, "
                         "or be '.' or '..'")
    return text


def _imdb_id(text: str) -> str:
    """An IMDb id of a film or show: 'tt' and at least seven digits."""
    if not re.fullmatch(r"tt\d{7,10}", text):
        raise ValueError("expected an IMDb id like tt1856010")
    return text


def _image(catalog: str) -> Callable[[str], str | Path]:
    """An image_url value: an https or data: URL as is, else an image file found relative to
    the catalog file (returned as its resolved Path, copied into the warehouse later)."""
    def parse(text: str) -> str | Path:
        if text.startswith(("https://", "http://")):
            if not HTTPS_IMAGE.fullmatch(text):
                raise ValueError("expected an https:// address without spaces or quotes")
            return text
        if text.startswith("data:"):
            if not DATA_IMAGE.fullmatch(text) or len(text) > MAX_IMAGE_BYTES:
                raise ValueError("expected a base64 data:image/png, jpeg, webp or gif URL up to 5 MB")
            return text
        file = (Path(catalog).parent / text).resolve()
        if file.suffix.lower() not in IMAGE_SUFFIXES:
            raise ValueError(f"expected an https:// or data: URL, or an image file ({', '.join(IMAGE_SUFFIXES)})")
        if not file.is_file():
            raise ValueError(f"no image file {text} next to the catalog")
        if file.stat().st_size > MAX_IMAGE_BYTES:
            raise ValueError(f"the image file is {file.stat().st_size:,} bytes; the limit is {MAX_IMAGE_BYTES:,}")
        return file
    return parse


def _store_image(warehouse: Warehouse, image: str | Path | None) -> str | None:
    """The image_url to store: a file copied into the warehouse under its content's name, as a site path."""
    if not isinstance(image, Path):
        return image
    body = image.read_bytes()
    name = hashlib.sha256(body).hexdigest()[:16] + image.suffix.lower().replace(".jpeg", ".jpg")
    target = warehouse.path / ARTWORK_FOLDER / name
    if not target.exists():
        write_atomically(target, body)
    return f"/{ARTWORK_FOLDER}/{name}"


def _kind(text: str) -> str:
    return KIND_ALIASES[text.lower()]


def _keyed_rows(path: str, rows: list[dict[str, Any]], column: str,
                parse: Callable[[str], str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each row with its id from `column`, which every row needs and no two rows share."""
    seen: set[str] = set()
    for row in rows:
        key = _field(path, row, column, parse, required=True)
        if key in seen:
            raise InputError(path, f"{column} {key!r} appears twice", row=row[ROW], column=column)
        seen.add(key)
        yield key, row


def _import_titles(warehouse: Warehouse, path: str, rows: list[dict[str, Any]]) -> CatalogReport:
    records = []
    for title_id, row in _keyed_rows(path, rows, "title_id", _title_id):
        kind = _field(path, row, "kind", _kind, required=True)
        show_title = _field(path, row, "show_title", str, required=True)
        season_number = _field(path, row, "season_number", _positive)
        season_title = _field(path, row, "season_title", str)
        if kind == "tv" and season_title is None:
            season_title = f"{show_title}: Season {season_number}" if season_number else show_title
        runtime = _field(path, row, "runtime_seconds", _positive)
        if kind == "film" and runtime is None:
            raise InputError(path, "a film needs runtime_seconds", row=row[ROW], column="runtime_seconds")
        records.append([
            title_id, show_title, season_number, season_title if kind == "tv" else None, kind,
            _field(path, row, "original_language", str.lower),
            _field(path, row, "release_date", dt.date.fromisoformat),
            bool(_field(path, row, "is_original", _boolean)), runtime if kind == "film" else None,
            _field(path, row, "genre", str), bool(_field(path, row, "is_kids", _boolean)),
            _field(path, row, "tmdb_id", _positive), _field(path, row, "imdb_id", _imdb_id),
            _field(path, row, "image_url", _image(path)),
        ])
    for record in records:  # every row is valid: only now are image files copied in
        record[-1] = _store_image(warehouse, record[-1])
    existing = {title_id for (title_id,) in warehouse.execute("SELECT title_id FROM titles").fetchall()}
    with warehouse.atomic(), marking_stale_weeks(warehouse):
        _upsert(warehouse, records, TITLE_COLUMNS,
            """INSERT INTO titles (title_id, show_title, season_number, season_title, kind, original_language,
                                   release_date, is_original, runtime_seconds, genre, is_kids, tmdb_id, imdb_id,
                                   image_url)
               SELECT * FROM catalog_rows
               ON CONFLICT (title_id) DO UPDATE SET show_title = excluded.show_title,
                 season_number = excluded.season_number, season_title = excluded.season_title,
                 kind = excluded.kind, original_language = excluded.original_language,
                 release_date = excluded.release_date, is_original = excluded.is_original,
                 runtime_seconds = excluded.runtime_seconds, genre = excluded.genre, is_kids = excluded.is_kids,
                 tmdb_id = excluded.tmdb_id, imdb_id = excluded.imdb_id, image_url = excluded.image_url""")
    added = sum(record[0] not in existing for record in records)
    return CatalogReport(path, "titles", added, len(records) - added)


def _import_episodes(warehouse: Warehouse, path: str, rows: list[dict[str, Any]]) -> CatalogReport:
    titles = {title_id: (key, kind) for title_id, key, kind in
              warehouse.execute("SELECT title_id, title_key, kind FROM titles").fetchall()}
    records = []
    for episode_id, row in _keyed_rows(path, rows, "episode_id", str):
        title_id = _field(path, row, "title_id", str, required=True)
        if title_id not in titles:
            raise InputError(path, f"unknown title_id {title_id!r} (load the titles file first)", row=row[ROW], column="title_id")
        if titles[title_id][1] != "tv":
            raise InputError(path, f"title {title_id!r} is a film; only seasons have episodes", row=row[ROW], column="title_id")
        records.append([
            episode_id, titles[title_id][0], _field(path, row, "episode_number", _positive),
            _field(path, row, "episode_title", str), _field(path, row, "runtime_seconds", _positive, required=True),
            _field(path, row, "available_date", dt.date.fromisoformat),
        ])
    existing = {episode_id for (episode_id,) in warehouse.execute("SELECT episode_id FROM episodes").fetchall()}
    with warehouse.atomic(), marking_stale_weeks(warehouse):
        _upsert(warehouse, records, EPISODE_ROW_COLUMNS,
            """INSERT INTO episodes (episode_id, title_key, episode_number, episode_title, runtime_seconds, available_date)
               SELECT * FROM catalog_rows
               ON CONFLICT (episode_id) DO UPDATE SET title_key = excluded.title_key,
                 episode_number = excluded.episode_number, episode_title = excluded.episode_title,
                 runtime_seconds = excluded.runtime_seconds, available_date = excluded.available_date""")
        # An episode without its own availability date becomes available with its season.
        warehouse.execute("""UPDATE episodes SET available_date = t.release_date FROM titles t
                             WHERE episodes.title_key = t.title_key AND episodes.available_date IS NULL""")
    added = sum(record[0] not in existing for record in records)
    return CatalogReport(path, "episodes", added, len(records) - added)


def _upsert(warehouse: Warehouse, records: list[list[Any]], columns: tuple[str, ...], sql: str) -> None:
    """Insert or update all records in one statement (row-by-row inserts cost seconds per thousand)."""
    if not records:
        return
    with warehouse.registered("catalog_rows", pa.Table.from_pylist([dict(zip(columns, record)) for record in records])):
        warehouse.execute(sql)


def runtime_seconds_as_of(warehouse: Warehouse, title_id: str, as_of: dt.date) -> int | None:
    """A title's runtime on a date (film: its length; season: episodes available by then)."""
    row = warehouse.execute(
        f"SELECT r.runtime_seconds FROM ({RUNTIME_AS_OF_SQL}) r JOIN titles USING (title_key) WHERE title_id = $title_id",
        {"as_of": as_of, "title_id": title_id}).fetchone()
    if row is None:
        raise CatalogError(f"unknown title {title_id!r}")
    return None if row[0] is None else int(row[0])


def search_titles(warehouse: Warehouse, query: str, *, limit: int, offset: int = 0,
                  charted_only: bool = False) -> tuple[list[dict[str, Any]], int]:
    """The titles matching `query` (all titles when empty), best match first, and how many match.

    The one title search: the command line, the site's search page and the API all use it."""
    rows = warehouse.rows(SEARCH_SQL, {"query": query, "charted_only": charted_only, "limit": limit,
                                       "offset": offset})
    total = rows[0]["total"] if rows else _count_matches(warehouse, query, charted_only)
    for row in rows:
        del row["total"]
        row["title"] = display_name(row["show_title"], row["season_title"])
    return rows, int(total)


def _count_matches(warehouse: Warehouse, query: str, charted_only: bool) -> int:
    """The match count when the requested rows are past the end (the window count is then absent)."""
    rows = warehouse.rows(SEARCH_SQL, {"query": query, "charted_only": charted_only, "limit": 1, "offset": 0})
    return int(rows[0]["total"]) if rows else 0
