"""Which chart weeks a catalog change touches: a title's runtime, kind, language, dates or
episodes decide its views and its list, so a change to them marks every charted week in
which the title was watched stale, and plain `charts` recomputes those weeks (a new revision
only where the lists come out different)."""

from __future__ import annotations

import contextlib
from typing import Iterator

from ..store.warehouse import Warehouse

# Everything about a title that a list depends on, as one text per title.
TITLE_FINGERPRINTS_SQL = """
SELECT t.title_key, md5(concat_ws('|', t.kind, t.show_title, t.season_title, t.original_language, t.release_date,
                                  t.is_original, t.runtime_seconds, t.genre, t.is_kids,
                                  (SELECT string_agg(concat_ws(':', e.episode_id, e.runtime_seconds, e.available_date),
                                                     ',' ORDER BY e.episode_id)
                                   FROM episodes e WHERE e.title_key = t.title_key)))
FROM titles t
"""

MARK_STALE_SQL = """
INSERT OR IGNORE INTO stale_weeks
SELECT DISTINCT w.week, now() FROM weekly_rollup_rows w
WHERE list_contains($titles, w.title_key) AND w.week IN (SELECT week FROM chart_runs)
"""


@contextlib.contextmanager
def marking_stale_weeks(warehouse: Warehouse) -> Iterator[None]:
    """Mark the charted weeks of every title the block changes as stale (inside the caller's transaction)."""
    before = dict(warehouse.execute(TITLE_FINGERPRINTS_SQL).fetchall())
    yield
    after = dict(warehouse.execute(TITLE_FINGERPRINTS_SQL).fetchall())
    changed = [key for key, fingerprint in before.items() if after.get(key) != fingerprint]
    if changed:
        warehouse.execute(MARK_STALE_SQL, {"titles": changed})
