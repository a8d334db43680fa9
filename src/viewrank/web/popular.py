"""Most popular computed from the rollups, for warehouses that have viewing but no imported
most-popular list (the demo): originals over their first days from premiere, per category,
by both rules (views in the first 91 days, hours in the first 28), as reports/popular.py
defines them. A rule whose windows no original has completed yet shows no tab."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..charts.weekly import GLOBAL_CATEGORIES
from ..errors import NotFound
from ..reports.popular import most_popular
from ..settings import MOST_POPULAR_RULES
from ..store.warehouse import Warehouse
from .params import slug

SLUG, LABEL = "most-popular", "Most popular"
HAS_ROLLUPS_SQL = "SELECT count(*) > 0 FROM (SELECT 1 FROM rollup_parts LIMIT 1)"


@dataclass(frozen=True)
class NavEntry:
    """A nav link to the computed page (the same fields base.html reads of a report table)."""

    slug: str = SLUG
    label: str = LABEL


def has_rollups(warehouse: Warehouse) -> bool:
    return bool(warehouse.scalar(HAS_ROLLUPS_SQL))


def sections(warehouse: Warehouse) -> list[dict[str, Any]]:
    """One section per rule and category with entries: key, labels, and the ranked entries."""
    found = []
    for rule in MOST_POPULAR_RULES:
        result = most_popular(warehouse, rule=rule)
        basis = f"First {result['days']} days, by {result['ranked_by']}"
        for category in GLOBAL_CATEGORIES:
            entries = result["lists"].get(category, [])
            if entries:
                found.append({"key": f"{result['days']}-days-{slug(category)}", "basis": basis, "basis_key": rule,
                              "category": category, "entries": entries})
    return found


def pick(found: list[dict[str, Any]], key: str | None) -> dict[str, Any] | None:
    if key is None:
        return found[0] if found else None
    for section in found:
        if section["key"] == key:
            return section
    raise NotFound(f"most popular has no list named {key[:60]!r}")
