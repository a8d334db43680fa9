"""A small in-process cache of response bodies that is valid while the warehouse files are unchanged.

Why it is safe: every committed write to a DuckDB database changes its file or its
write-ahead log (size, modification time), and a checkpoint rewrites the file. The cache
takes that signature before it produces a body and drops everything when the signature
differs on a later request, so it never serves a body older than the warehouse. A hit
needs no warehouse access at all, which also keeps the file unlocked for writers.

It is bounded twice, by entries and by the bytes of the bodies it holds, and the server keys
it on the canonical request (http.cache_key: the path and the parameters the site reads), so
a client varying junk query parameters cannot grow it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

MAX_BODY_BYTES = 4_000_000
MAX_CACHED_BYTES = 64_000_000
Signature = tuple[tuple[int, int, int] | None, ...]


class ResponseCache:
    """Bodies by key (the canonical request), least recently used dropped first."""

    def __len__(self) -> int:
        return len(self._bodies)

    def __init__(self, files: list[Path], *, max_entries: int, max_bytes: int = MAX_CACHED_BYTES):
        self.files = files
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.cached_bytes = 0
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._signature: Signature | None = None
        self._lock = threading.Lock()

    def signature(self) -> Signature:
        """(inode, size, mtime_ns) of each file, None for a file that does not exist."""
        found: list[tuple[int, int, int] | None] = []
        for path in self.files:
            try:
                stat = os.stat(path)
            except FileNotFoundError:
                found.append(None)
            else:
                found.append((stat.st_ino, stat.st_size, stat.st_mtime_ns))
        return tuple(found)

    def get_or_make(self, key: str, make: Callable[[], bytes]) -> bytes:
        """The body cached for `key` under the current signature, else `make()` (cached if small)."""
        if self.max_entries <= 0:
            return make()
        signature = self.signature()
        with self._lock:
            if signature != self._signature:
                self._bodies.clear()
                self.cached_bytes = 0
                self._signature = signature
            elif key in self._bodies:
                self._bodies.move_to_end(key)
                return self._bodies[key]
        body = make()
        if len(body) <= min(MAX_BODY_BYTES, self.max_bytes):
            with self._lock:
                if self._signature == signature and key not in self._bodies:
                    self._bodies[key] = body
                    self.cached_bytes += len(body)
                    while len(self._bodies) > self.max_entries or self.cached_bytes > self.max_bytes:
                        self.cached_bytes -= len(self._bodies.popitem(last=False)[1])
        return body
