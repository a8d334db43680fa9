"""Small, explicit warehouses for tests: a catalog and events written as real files and
loaded through the real pipeline."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any, Iterable

from viewrank import Warehouse, compute_charts, import_catalog, ingest_file
from viewrank.rollup.daily import rollup

TITLE_FIELDS = ["title_id", "show_title", "season_number", "season_title", "kind", "original_language",
                "release_date", "is_original", "runtime_seconds", "genre", "is_kids"]
EPISODE_FIELDS = ["episode_id", "title_id", "episode_number", "episode_title", "runtime_seconds", "available_date"]
EVENT_FIELDS = ["event_id", "account_id", "title_id", "episode_id", "country", "start_time", "seconds_watched"]


def film(title_id: str, name: str, *, language: str = "en", runtime: int = 7200,
         released: str = "2026-01-01", original: bool = True) -> dict[str, Any]:
    return {"title_id": title_id, "show_title": name, "kind": "film", "original_language": language,
            "release_date": released, "is_original": str(original).lower(), "runtime_seconds": runtime}


def season(title_id: str, show: str, number: int, *, language: str = "en", released: str = "2026-01-01") -> dict[str, Any]:
    return {"title_id": title_id, "show_title": show, "season_number": number, "kind": "tv",
            "original_language": language, "release_date": released, "is_original": "true"}


def write_csv(path: Path, fields: list[str], rows: Iterable[dict[str, Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def plays(title_id: str, *, day: str, count: int = 1, seconds: int = 3600, country: str = "US",
          hour: int = 20, episode: bool = False, prefix: str | None = None) -> list[dict[str, Any]]:
    """`count` sessions of `seconds` each on `day`, by distinct accounts."""
    prefix = prefix or f"{title_id}-{day}-{country}"
    start = dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")
    return [{"event_id": f"{prefix}-{i}", "account_id": f"{prefix}-acct{i}",
             "title_id": "" if episode else title_id, "episode_id": title_id if episode else "",
             "country": country, "start_time": start.isoformat(), "seconds_watched": seconds}
            for i in range(count)]


def build_warehouse(root: Path, *, titles: list[dict[str, Any]], events: list[dict[str, Any]],
                    episodes: list[dict[str, Any]] | None = None, settings: dict[str, Any] | None = None,
                    weeks: list[str] | None = None) -> Warehouse:
    """Init a warehouse under `root`, load the catalog and events, roll up and chart."""
    warehouse = Warehouse.init(root / "warehouse", settings)
    import_catalog(warehouse, write_csv(root / "titles.csv", TITLE_FIELDS, titles))
    if episodes:
        import_catalog(warehouse, write_csv(root / "episodes.csv", EPISODE_FIELDS, episodes))
    if events:
        ingest_file(warehouse, write_csv(root / "events.csv", EVENT_FIELDS, events))
    rollup(warehouse)
    compute_charts(warehouse, weeks=[dt.date.fromisoformat(w) for w in weeks] if weeks is not None else None)
    return warehouse
