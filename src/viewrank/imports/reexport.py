"""Writing imported Top 10 files back in the layout they were imported in (columns, delimiter,
line endings, quoting, final newline, row order, spelling of true/false), from the editions
that hold each file's weeks (its own revisions, current or not), so every import reproduces
its file byte for byte."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import NotFound
from ..export import country_rows, global_rows
from ..formats.tabular import Layout, write_table
from ..formats.top10 import COUNTRY_COLUMNS, clean_text, format_number, format_runtime
from ..ingest import file_sha256
from ..store.warehouse import Warehouse
from .netflix_top10 import COUNTRIES, GLOBAL, MOST_POPULAR, POPULAR_28_DAYS

POPULAR_ROWS_SQL = """
SELECT m.category, m.rank, t.show_title, t.season_title, m.hours_viewed, m.runtime_hours, m.views
FROM most_popular m JOIN titles t USING (title_key) WHERE m.source_id = ? ORDER BY m.category, m.rank
"""


@dataclass
class Reexport:
    source_id: int
    kind: str
    original: str
    written: str
    rows: int
    identical: bool | None   # byte-identical to the imported file (None: an .xlsx written as TSV)


def reexport(warehouse: Warehouse, out_dir: str | os.PathLike[str], source_ids: list[int] | None = None) -> list[Reexport]:
    """Write every imported Top 10 file (or the given sources) into `out_dir` under its own name."""
    sources = warehouse.rows(
        "SELECT source_id, kind, path, sha256, layout FROM import_sources WHERE kind IN (?, ?, ?) "
        "AND (? IS NULL OR list_contains(?, source_id)) ORDER BY source_id",
        [GLOBAL, COUNTRIES, MOST_POPULAR, source_ids, source_ids])
    missing = set(source_ids or []) - {source["source_id"] for source in sources}
    if missing:
        raise NotFound(f"no imported Top 10 file with source id {', '.join(map(str, sorted(missing)))} "
                       "(see 'viewrank import sources')")
    results = []
    for source in sources:
        layout = Layout(**json.loads(source["layout"]))
        original = Path(source["path"])
        name = original.name if layout.format != "xlsx" else original.stem + ".tsv"
        target = Path(out_dir) / name
        rows = _rows(warehouse, source, layout)
        write_table(target, layout, rows)
        identical = file_sha256(target) == source["sha256"] if layout.format != "xlsx" else None
        results.append(Reexport(source["source_id"], source["kind"], str(original), str(target), len(rows), identical))
    return results


def _rows(warehouse: Warehouse, source: dict[str, Any], layout: Layout) -> list[list[str]]:
    if source["kind"] == MOST_POPULAR:
        return [_pick(dict(zip(_popular_names(layout), row)), layout) for row in _popular(warehouse, source["source_id"])]
    editions = [edition for (edition,) in warehouse.execute(
        "SELECT edition_id FROM import_weeks WHERE source_id = ?", [source["source_id"]]).fetchall()]
    names = tuple(layout.columns)
    if source["kind"] == GLOBAL:
        produced = global_rows(warehouse, editions=editions, columns=names)
    else:
        names, produced = COUNTRY_COLUMNS, country_rows(warehouse, editions=editions)
    booleans = layout.extra.get("booleans", {})
    spelled = {"True": booleans.get("true", "True"), "False": booleans.get("false", "False")}
    rows = []
    for values in produced:
        record = dict(zip(names, values))
        if record.get("is_staggered_launch"):
            record["is_staggered_launch"] = spelled[record["is_staggered_launch"]]
        rows.append(_pick(record, layout))
    if layout.extra.get("order") == "week-ascending":
        week_column = layout.columns.index("week")
        rows.sort(key=lambda row: row[week_column])
    return rows


def _popular_names(layout: Layout) -> tuple[str, ...]:
    hours = POPULAR_28_DAYS if POPULAR_28_DAYS in layout.columns else "hours_viewed_first_91_days"
    return ("category", "rank", "show_title", "season_title", hours, "runtime", "views_first_91_days")


def _popular(warehouse: Warehouse, source_id: int) -> list[tuple[str, ...]]:
    return [(category, str(rank), clean_text(show), clean_text(season), format_number(_whole(hours)),
             format_runtime(runtime), format_number(_whole(views)))
            for category, rank, show, season, hours, runtime, views
            in warehouse.execute(POPULAR_ROWS_SQL, [source_id]).fetchall()]


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


def _pick(record: dict[str, str], layout: Layout) -> list[str]:
    return [record[column] for column in layout.columns]
