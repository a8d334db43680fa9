"""Event ids as 64-bit keys, and the warehouse's index of every stored key: an event id is
unique in the warehouse, whatever its day.

Each event id is hashed twice by DuckDB: `key`, which the index is sorted by, and an
independent `fingerprint`. Two ids are the same event when both hashes are equal (128
bits); ids whose keys collide but whose fingerprints differ are detected and kept as two
events. The keys live in the table event_keys, written in the transaction of the batch that
stored the events, so the index is always exactly the stored events. An ingest run loads it
once, sorted, and keeps the keys it adds in small sorted runs merged now and then, so each
file costs a binary search per row rather than a pass over the history.

DuckDB's hash is not promised stable across its releases: the hash of a fixed probe string
is stored beside the keys, and when it changes the keys are rebuilt from the event parts.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..store import events
from ..store.warehouse import Warehouse

KEY_SQL = "hash({id})"
FINGERPRINT_SQL = "hash('viewrank-event:' || {id})"
PROBE = "viewrank-event-key-probe"
PROBE_SQL = f"SELECT {KEY_SQL.format(id='$probe')}"
BUCKET_BITS = 4  # the index is split by the keys' top bits, so that merging a run touches a sixteenth of it
# Runs added in one ingest merge up to this many keys only: a merge copies both runs, so an
# unbounded one would briefly need twice the memory of a file's keys (32 bytes an event).
MAX_MERGED_RUN = 1 << 20
LOAD_SQL = f"SELECT key, fingerprint FROM event_keys WHERE key >> {64 - BUCKET_BITS} = $bucket ORDER BY key"


class SortedRuns:
    """Sorted (key, fingerprint) runs of one bucket; a new run merges into its elder while it
    is at least half its size and the two hold at most MAX_MERGED_RUN keys, so each key is
    copied O(log n) times and a merge never needs more than MAX_MERGED_RUN keys' room."""

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, keys: np.ndarray, fingerprints: np.ndarray) -> None:
        """Add a run sorted by key."""
        self.runs.append((keys, fingerprints))
        while (len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0])
               and len(self.runs[-2][0]) + len(self.runs[-1][0]) <= MAX_MERGED_RUN):
            (keys_a, prints_a), (keys_b, prints_b) = self.runs[-2], self.runs[-1]
            at = np.searchsorted(keys_a, keys_b)
            self.runs[-2:] = [(np.insert(keys_a, at, keys_b), np.insert(prints_a, at, prints_b))]

    def known(self, keys: np.ndarray, fingerprints: np.ndarray) -> np.ndarray:
        found = np.zeros(len(keys), bool)
        for run_keys, run_prints in self.runs:
            first = np.searchsorted(run_keys, keys, "left")
            last = np.searchsorted(run_keys, keys, "right")
            single = np.flatnonzero(last - first == 1)
            found[single] |= run_prints[first[single]] == fingerprints[single]
            for row in np.flatnonzero(last - first > 1):  # colliding keys: compare every fingerprint
                found[row] |= bool(np.any(run_prints[first[row]:last[row]] == fingerprints[row]))
        return found


class KeyIndex:
    """The keys (and fingerprints) of every stored event, loaded once per ingest run, plus
    the keys each file adds; memory is 16 bytes per stored event."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.buckets: list[SortedRuns] | None = None

    def load(self) -> list[SortedRuns]:
        """The buckets, loading the stored keys first if need be (outside any transaction)."""
        if self.buckets is None:
            _rebuild_if_stale(self.warehouse)
            self.buckets = []
            for bucket in range(1 << BUCKET_BITS):
                table = self.warehouse.arrow(LOAD_SQL, {"bucket": bucket})
                runs = SortedRuns()
                if table.num_rows:
                    runs.add(*(_uint64(table[name]) for name in ("key", "fingerprint")))
                self.buckets.append(runs)
        return self.buckets

    def _split(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """An order grouping keys by bucket, and where each bucket starts in it."""
        bucket = keys >> np.uint64(64 - BUCKET_BITS)
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange((1 << BUCKET_BITS) + 1))
        return order, bounds

    def known(self, keys: np.ndarray, fingerprints: np.ndarray) -> np.ndarray:
        """Whether each (key, fingerprint) is already stored (or added in this run)."""
        buckets = self.load()
        order, bounds = self._split(keys)
        found = np.zeros(len(keys), bool)
        for bucket, runs in enumerate(buckets):
            rows = order[bounds[bucket]:bounds[bucket + 1]]
            if len(rows):
                found[rows] = runs.known(keys[rows], fingerprints[rows])
        return found

    def add(self, keys: np.ndarray, fingerprints: np.ndarray) -> None:
        """Add the keys of events being stored; `forget` undoes every add if their transaction fails."""
        buckets = self.load()
        order = np.argsort(keys)
        keys, fingerprints = keys[order], fingerprints[order]
        bounds = np.searchsorted(keys >> np.uint64(64 - BUCKET_BITS), np.arange((1 << BUCKET_BITS) + 1))
        for bucket, runs in enumerate(buckets):
            if bounds[bucket + 1] > bounds[bucket]:
                runs.add(keys[bounds[bucket]:bounds[bucket + 1]], fingerprints[bounds[bucket]:bounds[bucket + 1]])

    def forget(self) -> None:
        """Drop what is in memory (a file's transaction rolled back): the next use reloads the stored keys."""
        self.buckets = None


def _uint64(column: pa.ChunkedArray) -> np.ndarray:
    return np.ascontiguousarray(column.to_numpy(), np.uint64)


def first_occurrences(keys: np.ndarray, fingerprints: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Whether each event is the first (by row) of its (key, fingerprint) in this batch."""
    order = np.lexsort((rows, fingerprints, keys))
    sorted_keys, sorted_prints = keys[order], fingerprints[order]
    first = np.ones(len(keys), bool)
    first[1:] = (sorted_keys[1:] != sorted_keys[:-1]) | (sorted_prints[1:] != sorted_prints[:-1])
    keep = np.zeros(len(keys), bool)
    keep[order[first]] = True
    return keep


def _rebuild_if_stale(warehouse: Warehouse) -> None:
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
