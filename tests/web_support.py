"""A small warehouse for the web tests: 30 hand-made titles (two with hostile names), four
weeks of playback events in six countries, rolled up and charted by the library itself."""

from __future__ import annotations

import csv
import datetime as dt
import random
import struct
import zlib
from pathlib import Path

from viewrank.catalog import import_catalog
from viewrank.charts.weekly import compute_charts
from viewrank.ingest import ingest_file
from viewrank.rollup.daily import rollup
from viewrank.store.warehouse import Warehouse

HOSTILE = "<script>alert(1)</script>"
QUOTES = '<Script> & "Quotes", Inc.'
WEEKS = [dt.date(2026, 10, 25), dt.date(2026, 11, 1), dt.date(2026, 11, 8), dt.date(2026, 11, 15)]
COUNTRIES = {"US": 40, "GB": 20, "KR": 15, "FR": 12, "BR": 10, "JP": 8}
HOME = {"ko": "KR", "fr": "FR", "pt": "BR", "ja": "JP", "es": "US", "de": "FR"}
# Made-up TMDB and IMDb ids for a film and both seasons of a show (a season carries its show's ids).
EXTERNAL_IDS = {"F03": (900003, "tt9000003"), "S01-1": (900101, "tt9000101"), "S01-2": (900101, "tt9000101")}
NOW = dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)

# title_id, show title, season, kind, language, release week index, sessions per week (weeks 0-3)
TITLES = [
    ("F01", HOSTILE, None, "film", "en", 2, (0, 0, 60, 90)),
    ("F02", QUOTES, None, "film", "en", 0, (50, 45, 40, 35)),
    ("F03", "Northern Lights", None, "film", "en", 0, (80, 60, 30, 20)),
    ("F04", "The Last Harbor", None, "film", "en", 0, (30, 35, 38, 30)),
    ("F05", "Paper Moons", None, "film", "en", 0, (25, 20, 18, 15)),
    ("F06", "Glass City", None, "film", "en", 0, (22, 24, 15, 12)),
    ("F07", "Quiet Riot Club", None, "film", "en", 0, (20, 18, 16, 14)),
    ("F08", "Evening Train", None, "film", "en", 0, (18, 16, 14, 13)),
    ("F09", "Salt and Stone", None, "film", "en", 0, (16, 14, 12, 11)),
    ("F10", "Wild Orchard", None, "film", "en", 0, (14, 12, 10, 9)),
    ("F11", "Copper Sky", None, "film", "en", 0, (12, 10, 9, 8)),
    ("F12", "The Returning", None, "film", "en", 0, (40, 0, 45, 6)),
    ("F13", "Marble Hall", None, "film", "en", 0, (8, 9, 7, 7)),
    ("F14", "Never Watched", None, "film", "en", 0, (0, 0, 0, 0)),
    ("F15", "Seoul Nights", None, "film", "ko", 0, (30, 28, 26, 24)),
    ("F16", "La Casa Azul", None, "film", "es", 1, (0, 35, 30, 25)),
    ("F17", "Le Dernier Été", None, "film", "fr", 0, (15, 14, 13, 12)),
    ("F18", "Tokyo Rain", None, "film", "ja", 0, (12, 13, 14, 15)),
    ("F19", "Rio Verde", None, "film", "pt", 0, (10, 9, 8, 7)),
    ("S01-1", "Harbor Lights", 1, "tv", "en", 0, (45, 40, 35, 30)),
    ("S01-2", "Harbor Lights", 2, "tv", "en", 3, (0, 0, 0, 70)),
    ("S02-1", "The Diplomats", 1, "tv", "en", 0, (40, 42, 38, 35)),
    ("S03-1", "Deep Field", 1, "tv", "en", 0, (25, 22, 20, 18)),
    ("S04-1", "Cold Case Kitchen", 1, "tv", "en", 0, (20, 18, 16, 14)),
    ("S05-1", "Ridge Line", 1, "tv", "en", 1, (0, 30, 28, 26)),
    ("S06-1", "Moon Palace", 1, "tv", "ko", 0, (50, 45, 40, 38)),
    ("S07-1", "El Jardín", 1, "tv", "es", 0, (20, 25, 30, 35)),
    ("S08-1", "Kyoto Files", 1, "tv", "ja", 0, (15, 14, 13, 12)),
    ("S09-1", "Les Voisins", 1, "tv", "fr", 0, (12, 11, 10, 9)),
    ("S10-1", "Berliner Luft", 1, "tv", "de", 0, (10, 12, 11, 10)),
]


def week_start(index: int) -> dt.date:
    return WEEKS[index] - dt.timedelta(days=6)


def write_inputs(directory: Path) -> tuple[Path, Path, Path]:
    """titles.csv, episodes.csv and events.csv for the fixture warehouse."""
    rng = random.Random(7)
    titles, episodes, events = directory / "titles.csv", directory / "episodes.csv", directory / "events.csv"
    with open(titles, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title_id", "show_title", "season_number", "kind", "original_language", "release_date",
                         "runtime_seconds", "tmdb_id", "imdb_id"])
        for title_id, name, season, kind, language, release, _ in TITLES:
            writer.writerow([title_id, name, season or "", kind, language,
                             (week_start(release) + dt.timedelta(days=3)).isoformat() if release else "2024-01-05",
                             5400 + 300 * int(title_id[1:3]) if kind == "film" else "",
                             *EXTERNAL_IDS.get(title_id, ("", ""))])
    with open(episodes, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["episode_id", "title_id", "episode_number", "runtime_seconds", "available_date"])
        for title_id, _, _, kind, _, release, _ in TITLES:
            if kind == "tv":
                for number in range(1, 7):
                    available = week_start(release) + dt.timedelta(days=3) if release else dt.date(2024, 1, 5)
                    if title_id == "S07-1":  # a weekly release: two more episodes each week
                        available = week_start(min(3, (number - 1) // 2)) + dt.timedelta(days=2)
                    writer.writerow([f"{title_id}E{number:02d}", title_id, number, 2700 + 60 * number,
                                     available.isoformat()])
    with open(events, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["event_id", "account_id", "title_id", "country", "start_time", "seconds_watched"])
        number = 0
        for title_id, _, _, _, language, release, per_week in TITLES:
            for week, sessions in enumerate(per_week):
                for _ in range(sessions * 3):
                    weights = {code: weight * (8 if HOME.get(language) == code else 1)
                               for code, weight in COUNTRIES.items()}
                    country = rng.choices(list(weights), list(weights.values()))[0]
                    start = dt.datetime.combine(week_start(week), dt.time(), dt.timezone.utc) + dt.timedelta(
                        days=rng.randrange(3 if week == release and release else 0, 7),
                        hours=rng.randrange(24), minutes=rng.randrange(60))
                    number += 1
                    writer.writerow([f"e{number:06d}", f"a{rng.randrange(400):04d}", title_id, country,
                                     start.isoformat(), rng.randrange(600, 7200)])
    return titles, episodes, events


def build_warehouse(path: Path) -> Path:
    """Init a warehouse at `path` and run catalog, ingest, rollup and charts on the fixture inputs."""
    inputs = path.parent / (path.name + "-inputs")
    inputs.mkdir(parents=True, exist_ok=True)
    titles, episodes, events = write_inputs(inputs)
    with Warehouse.init(path) as warehouse:
        import_catalog(warehouse, titles)
        import_catalog(warehouse, episodes)
        ingest_file(warehouse, events, now=NOW)
        rollup(warehouse)
        compute_charts(warehouse)
    return path


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A one-colour PNG, written out by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def catalog_with_images(path: Path, images: dict[str, str]) -> Path:
    """The titles.csv of the warehouse built at `path` again, with an image_url column, in a
    catalog/ folder beside it (image files named relative to that folder)."""
    source = path.parent / (path.name + "-inputs") / "titles.csv"
    with open(source, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    target = path.parent / "catalog" / "titles.csv"
    target.parent.mkdir(exist_ok=True)
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, [*rows[0], "image_url"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "image_url": images.get(row["title_id"], "")})
    return target
