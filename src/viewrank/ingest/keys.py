"""Event keys: every stored event's id as two independent 64-bit hashes in the table
event_keys, so that an event id is unique in the warehouse whatever its day.

Each event id is hashed twice by DuckDB: `key` and an independent `fingerprint`. Two ids are
the same event when both hashes are equal (128 bits); ids whose keys collide but whose
fingerprints differ are kept as two events. The keys are written in the transaction of the
file that stored the events, so they are always exactly the stored events; ingest checks a
file's ids against them with an anti-join in DuckDB (staging.py), never by loading them.

DuckDB's hash is not promised stable across its releases: the hash of a fixed probe string
is stored beside the keys, and when it changes the keys are rebuilt from the event parts.
"""

from __future__ import annotations

from ..store import events
from ..store.warehouse import Warehouse

KEY_SQL = "hash({id})"
FINGERPRINT_SQL = "hash('viewrank-event:' || {id})"
PROBE = "viewrank-event-key-probe"
PROBE_SQL = f"SELECT {KEY_SQL.format(id='$probe')}"


def rebuild_if_stale(warehouse: Warehouse) -> None:
    """Recompute event_keys from the event parts when the stored probe differs from DuckDB's hash now
    (a warehouse from before the index, or a DuckDB whose hash changed)."""
    probe = warehouse.scalar(PROBE_SQL, {"probe": PROBE})
    stored = warehouse.scalar("SELECT probe FROM event_key_function")
    if stored == probe:
        return
    with warehouse.atomic():
        warehouse.execute("DELETE FROM event_keys")
        paths = events.part_paths(warehouse)
        if paths:
            warehouse.execute(f"INSERT INTO event_keys SELECT {KEY_SQL.format(id='event_id')}, "
                              f"{FINGERPRINT_SQL.format(id='event_id')} FROM {events.relation(paths, ['event_id'])}")
        warehouse.execute("DELETE FROM event_key_function")
        warehouse.execute("INSERT INTO event_key_function VALUES (?)", [probe])
