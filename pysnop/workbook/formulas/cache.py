"""A bounded, content-keyed cache of worksheet-function results.

Excel recalculates a pysnop formula whenever anything it depends on is touched — often with
every argument unchanged (a volatile neighbour, a full recalculation, a reopened book). A
4,000-row ``=STOCKOUT_RISK(...)`` reads and projects the whole plan; answered from here it
costs one pass over the argument cells.

The key is the arguments' *content*: every cell value together with its exact type (so a
cell changed from ``1`` to ``TRUE`` or from a number to a date misses, although Python
calls them equal) and every range's shape (so the same cells re-cut into other rows miss),
plus the function's name and today's date (an omitted ``as_of`` means today). Keys are
compared for equality on a hit, not just by hash: two different inputs never share a
result. Python's own hash would not do alone — ``hash(-1.0) == hash(-2.0)``.

A key costs one pass over the cells in C (the cells of a range as one flat tuple, their
types as one set) and is hashed once (:class:`_Key` keeps its hash: the lookup, the removal
and the insertion of a 200,000-cell key each hashed it afresh). Each cell's type is kept only
where the range mixes types that Python calls equal (``1.0``, ``1``, ``True``): for ranges of
text, floats, blanks and datetimes — what Excel hands over — the set of their types says it
all, as no two of those types ever compare equal.

The key holds the argument cells, so the cache is bounded by cells (keys and results
together) as well as by entries; the least recently used entry goes first. Failures are not
cached. A hit hands out the very object computed before: callers convert results into new
values (xlwings' return conversion, the formulas engine's arrays) and never edit them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

MAX_ENTRIES = 32
MAX_CELLS = 2_000_000  # argument and result cells over all entries (~100 MB at most)


_NESTED = (list, tuple, dict, set, np.ndarray)

# cell types no two of which compare equal (1.0 != "1", a date is never equal to a datetime):
# within a range of these, equal cells are cells of the same type
_DISTINCT = frozenset({str, float, type(None), dt.datetime, dt.date})


class Unkeyable(Exception):
    """An argument the cache cannot key (nested deeper than a range): call uncached."""


def _freeze(value: Any) -> tuple[Hashable, int]:
    """One argument as a hashable, type-exact key part, and its number of cells."""
    if isinstance(value, np.ndarray):
        part, n = _freeze(value.tolist())
        return ("ndarray", str(value.dtype), value.shape, part), n
    if isinstance(value, (list, tuple)):
        if value and all(issubclass(t, (list, tuple)) for t in set(map(type, value))):
            cells = tuple(itertools.chain.from_iterable(value))
            shape: tuple[Any, ...] = ("rows", type(value), tuple(map(len, value)))
        else:
            cells, shape = tuple(value), ("row", type(value), len(value))
        kinds = set(map(type, cells))  # a few distinct types
        if any(issubclass(t, _NESTED) for t in kinds):
            raise Unkeyable
        types: Hashable = (frozenset(kinds) if kinds <= _DISTINCT
                           else tuple(map(type, cells)))
        return (shape, cells, types), len(cells)
    try:
        hash(value)
    except TypeError:
        raise Unkeyable from None
    return (type(value), value), 1


class _Key:
    """A call's content key that hashes its cells once (a tuple hashes all of them on every
    lookup); equal when the parts are equal."""

    __slots__ = ("_hash", "parts")

    def __init__(self, parts: tuple[Hashable, ...]):
        self.parts = parts
        self._hash = hash(parts)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, _Key) and self._hash == other._hash
                                 and self.parts == other.parts)


def result_cells(result: Any) -> int:
    if isinstance(result, list):
        return sum(len(r) if isinstance(r, list) else 1 for r in result)
    return 1


class ResultCache:
    """Least-recently-used results of pure functions of cell values, bounded by entries and
    by cells (see the module docstring)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_cells: int = MAX_CELLS):
        self.max_entries = max_entries
        self.max_cells = max_cells
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._cells = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._cells = 0
            self.hits = self.misses = 0

    def key(self, name: Hashable, args: tuple[Any, ...]) -> tuple[Hashable, int] | None:
        """The content key of a call and its argument cells; None when it cannot be keyed."""
        try:
            parts = [_freeze(a) for a in args]
        except Unkeyable:
            return None
        return (_Key((name, dt.date.today(), tuple(p for p, _ in parts))),
                sum(n for _, n in parts))

    def call(self, name: Hashable, args: tuple[Any, ...], compute: Callable[[], Any],
             ok: Callable[[Any], bool] = lambda _: True) -> Any:
        """``compute()``'s result for this call, from the cache when the arguments' content
        was seen before; a result ``ok`` rejects (a failure) is returned but not kept."""
        keyed = self.key(name, args)
        if keyed is None:
            return compute()
        key, arg_cells = keyed
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return hit[0]
            self.misses += 1
        result = compute()
        size = arg_cells + result_cells(result)
        if ok(result) and size <= self.max_cells:
            with self._lock:
                old = self._entries.pop(key, None)
                if old is not None:
                    self._cells -= old[1]
                self._entries[key] = (result, size)
                self._cells += size
                while self._entries and (len(self._entries) > self.max_entries
                                         or self._cells > self.max_cells):
                    _, (_, n) = self._entries.popitem(last=False)
                    self._cells -= n
        return result


__all__ = ["MAX_CELLS", "MAX_ENTRIES", "ResultCache", "result_cells"]
