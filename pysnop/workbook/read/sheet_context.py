"""One located input table, read column by column into typed arrays.

:class:`SheetContext` is what each sheet's reader works with: the table's block, the
collector of located problems, and typed columns (text, numbers, dates) with their cell
problems reported; :func:`report_duplicates` reports every row whose key repeats an earlier
one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pysnop.errors import Problem, column_letter
from pysnop.workbook.read.cells import Collector, text_and_groups, to_date, to_number
from pysnop.workbook.read.grid import GridSource
from pysnop.workbook.read.layout import Block

NONE = np.asarray(None, dtype=object)  # a blank key, broadcast by np.where


class SheetContext:
    """The block of one sheet's table, its problems' collector and its typed columns."""

    def __init__(self, source: GridSource, block: Block, out: Collector):
        self.source, self.block, self.out = source, block, out
        self.n = len(block.rows)
        self.sheet = block.layout.name
        self._groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def groups_of(self, values: np.ndarray) -> np.ndarray | None:
        """The group codes of a text column this context made (see text_and_groups)."""
        got = self._groups.get(id(values))
        return got[1] if got is not None and got[0] is values else None

    def blank(self, values: np.ndarray) -> np.ndarray:
        """True where a text column this context made is blank (None): from its group codes
        when it has them, else cell by cell."""
        groups = self.groups_of(values)
        if groups is not None:
            return groups < 0
        return np.asarray(pd.isna(values), dtype=bool)

    def errors(self):
        fn = getattr(self.source, "error_cells", None)
        if fn is None:
            return None
        return lambda: fn(self.sheet)

    def text(self, name: str, *, required: bool = False, label: str | None = None,
             check: np.ndarray | None = None) -> np.ndarray:
        col = self.block.col(name)
        if col is None:  # all blank: one group (-1), known to report_duplicates
            res = np.full(self.n, None, dtype=object)
            self._groups[id(res)] = (res, np.full(self.n, -1, dtype=np.int64))
            return res
        res, groups = text_and_groups(col.values)
        if groups is not None:  # kept for report_duplicates, by the very array handed out
            self._groups[id(res)] = (res, groups)
        if required:
            blank = np.asarray(res == None, dtype=bool)  # noqa: E711
            if check is not None:
                blank &= check
            if blank.any():
                self.out.cells(col, np.flatnonzero(blank),
                               f"expected a {label or name.replace('_', ' ')}, got blank")
        return res

    def number(self, name: str, *, required=False, nonneg=False, check=None) -> np.ndarray:
        col = self.block.col(name)
        if col is None:
            return np.full(self.n, np.nan)
        return to_number(col, self.out, required=required, nonneg=nonneg, check=check,
                         errors=self.errors())

    def date(self, name: str, *, required=False, check=None) -> np.ndarray:
        col = self.block.col(name)
        if col is None:
            return np.full(self.n, np.datetime64("NaT"), dtype="datetime64[ns]")
        return to_date(col, self.out, required=required, check=check)

    def frame(self, data: dict, columns: list[str], keep: np.ndarray | None = None):
        data = dict(data)
        data["row"] = self.block.rows.astype(np.int64)
        arrays = [np.asarray(data[c]) for c in columns]
        if keep is not None:  # the rows kept, taken from the arrays (no frame filtered)
            arrays = [a[keep] for a in arrays]
        # one index shared by every column and handed to the frame too, nothing copied: no
        # alignment, no reindexing, no copies (the arrays are this reader's own, and pandas
        # copies on write)
        index = pd.RangeIndex(len(arrays[0]) if arrays else self.n)
        return pd.DataFrame({c: _series(a, index) for c, a in zip(columns, arrays)},
                            index=index, copy=False)


def _series(values, index: pd.RangeIndex) -> pd.Series:
    arr = np.asarray(values)
    if arr.dtype == object:  # kept object (pandas would infer its string dtype)
        return pd.Series(arr, dtype=object, index=index, copy=False)
    return pd.Series(arr, index=index, copy=False)


# ---------------------------------------------------------------------------- duplicates

def report_duplicates(ctx: SheetContext, keys: dict[str, np.ndarray], valid: np.ndarray, describe,
                rows: np.ndarray | None = None, cols: np.ndarray | None = None) -> None:
    """Report every row whose key repeats an earlier row (valid rows only)."""
    rows = ctx.block.rows if rows is None else rows
    idx = np.flatnonzero(valid)
    if len(idx) < 2:
        return
    group = _group_codes([_codes(ctx, v, idx) for v in keys.values()])
    # the codes count up in order of first appearance, so a group's first row is where
    # the code passes every code before it
    new = np.empty(len(group), dtype=bool)
    new[0] = True
    new[1:] = group[1:] > np.maximum.accumulate(group)[:-1]
    first = np.flatnonzero(new)[group]
    dup = first != np.arange(len(idx))
    if not dup.any():
        return
    for j in np.flatnonzero(dup):
        i, f = idx[j], idx[first[j]]
        key = {k: v[i] for k, v in keys.items()}
        if cols is None:
            reason = f"{describe(key)} (also row {rows[f]})"
            p = Problem(reason, ctx.sheet, int(rows[i]), kind="data")
        else:
            reason = f"{describe(key)} (also {column_letter(int(cols[f]))}{rows[f]})"
            p = Problem(reason, ctx.sheet, int(rows[i]), int(cols[i]), kind="data")
        ctx.out.add(p, key=(ctx.sheet, "duplicates"))


def _codes(ctx: SheetContext, values: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of ``values[idx]`` grouping equal values (-1 for blank), and an upper bound of
    the codes: the text columns' from when they were read, the others factorised here."""
    known = ctx.groups_of(values)
    if known is not None:
        return known[idx], int(known.max(initial=-1)) + 1
    sub = values[idx]
    if sub.dtype.kind == "M" and len(sub):  # dates: their day numbers from the first day
        days = sub.astype("datetime64[D]")
        nat = np.isnat(days)
        n = days.view(np.int64)
        lo = int(n[~nat].min()) if not nat.all() else 0
        codes = np.where(nat, -1, n - lo)
        return codes, int(codes.max()) + 1
    codes, uniq = pd.factorize(sub)
    return codes, len(uniq)


def _group_codes(keys: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """One int code per row, equal exactly where every key is equal (blanks equal blanks).

    The keys' codes are combined arithmetically, and compressed (factorised again) only
    when the combined range would leave int64."""
    n = len(keys[0][0])
    group = np.zeros(n, dtype=np.int64)
    span = 1  # group < span
    for codes, size in keys:
        k = size + 1  # the blanks (code -1) are one more value
        if span * k >= 1 << 62:
            group, distinct = pd.factorize(group)
            span = len(distinct)
        group = group * k + (codes + 1)
        span *= k
    return pd.factorize(group)[0]  # in order of first appearance


def mondays(week: np.ndarray) -> np.ndarray:
    """The Monday of each date's week (datetime64[ns]; NaT stays NaT), by day arithmetic on
    the whole column: day 0 (1970-01-01) was a Thursday, so a date's weekday from Monday is
    (days + 3) mod 7."""
    days = np.asarray(week).astype("datetime64[D]")
    n = days.view(np.int64)
    monday = (n - (n + 3) % 7).view("datetime64[D]").astype("datetime64[ns]")
    monday[np.isnat(days)] = np.datetime64("NaT")
    return monday


def fmt_week(d) -> str:
    return pd.Timestamp(d).date().isoformat() if not pd.isna(d) else "?"
