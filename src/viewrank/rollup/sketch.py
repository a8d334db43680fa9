"""Distinct-account sketches: Apache DataSketches HLL sketches, mergeable and serialisable, so
the distinct accounts of any window come from the stored sketches of its days.

A sketch has 2^12 = 4,096 registers of 8 bits (lg_k 12, HLL_8). Small sets are kept as a
list of hashed keys and counted almost exactly; larger ones have a relative standard error of
about 1.04 / sqrt(4096) = 1.625% once merged (DataSketches' composite estimator; a sketch
built from keys in one pass does better with its HIP estimator). tests/test_audience.py holds
the estimates to that bound. The hash is DataSketches' own (MurmurHash3, seed 9001), part of
its stable serialisation format, so sketches stored on one day merge with later ones.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import numpy.typing as npt
from datasketches import hll_sketch as Sketch
from datasketches import hll_union, tgt_hll_type

LG_K = 12
REGISTERS = 1 << LG_K
TARGET = tgt_hll_type.HLL_8
STANDARD_ERROR = 1.04 / math.sqrt(REGISTERS)   # relative, about 0.01625

__all__ = ["LG_K", "REGISTERS", "STANDARD_ERROR", "Sketch", "add", "distinct", "estimate", "merge", "new", "sketch", "union"]


def new() -> Sketch:
    """An empty sketch."""
    empty: Sketch = Sketch(LG_K, TARGET)
    return empty


def add(sketch: Sketch, keys: Iterable[int]) -> None:
    """Add integer keys to a sketch (a key seen before changes nothing)."""
    update = sketch.update
    for key in keys:
        update(key)


def distinct(keys: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The distinct integer keys, in order (by sorting: several times faster than np.unique here)."""
    ordered = np.sort(np.asarray(keys, dtype=np.int64))
    first = np.ones(len(ordered), bool)
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    result: npt.NDArray[np.int64] = ordered[first]
    return result


def sketch(keys: npt.ArrayLike) -> bytes:
    """The serialised sketch of a set of integer keys (duplicates change nothing)."""
    built = new()
    add(built, distinct(keys).tolist())
    return bytes(built.serialize_compact())


def union(sketches: Iterable[bytes]) -> Sketch:
    """The sketch of the union of the sets the serialised sketches describe."""
    merged = hll_union(LG_K)
    for serialised in sketches:
        merged.update(Sketch.deserialize(serialised))
    result: Sketch = merged.get_result(TARGET)
    return result


def merge(*sketches: bytes) -> bytes:
    """The serialised sketch of the union."""
    return bytes(union(sketches).serialize_compact())


def estimate(*sketches: bytes) -> float:
    """The estimated number of distinct keys in the union of the serialised sketches."""
    return float(union(sketches).get_estimate())
