"""Vectorised conversion of raw cell columns into typed values, collecting located problems.

Each converter takes a :class:`Col` (the raw values of one column with their Excel rows and
columns) and a :class:`Collector`; it returns a typed numpy array and records a problem for
each bad cell. The happy path stays in pandas/numpy; odd strings are parsed once per unique
value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from pysnop.errors import Problem, Severity, show_value
from pysnop.workbook.read.dates import (  # noqa: F401  (date_of_value, parse_date_text re-exported)
    _EXCEL_EPOCH,
    FAR_FUTURE,
    FAR_PAST,
    SERIAL_MAX,
    SERIAL_MIN,
    date_of_value,
    parse_date_text,
    within_range,
)

MAX_PER_COLUMN = 50

# cell kinds
BLANK, NUM, STR, BOOL, DATE, OTHER = 0, 1, 2, 3, 4, 5
_TYPE_CODE = {float: NUM, int: NUM, str: STR, bool: BOOL, dt.date: DATE, dt.datetime: DATE,
              type(None): BLANK, np.float64: NUM, np.int64: NUM, pd.Timestamp: DATE}


@dataclass
class Col:
    """Raw values of one column (or of a melted block) with their cell coordinates."""

    sheet: str
    name: str                 # canonical name
    header: str               # header as typed
    values: np.ndarray        # object
    rows: np.ndarray          # int, 1-based Excel rows
    cols: np.ndarray | int    # 1-based Excel column(s)
    col_headers: dict[int, str] | None = None  # per-column header (melted wide blocks)

    def col_at(self, idx: np.ndarray) -> np.ndarray:
        if isinstance(self.cols, (int, np.integer)):
            return np.full(len(idx), int(self.cols))
        return np.asarray(self.cols)[idx]

    def header_of(self, c: int) -> str:
        if self.col_headers:
            return self.col_headers.get(c, self.header)
        return self.header


class Collector:
    """Problems, capped at MAX_PER_COLUMN per sheet and column."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._count: dict[tuple, int] = {}
        self._extra: dict[tuple, tuple[str | None, str | None, int | None]] = {}

    def add(self, p: Problem, key: tuple | None = None) -> None:
        """Record one problem; with a ``key``, cap how many of that key are listed."""
        if key is None:
            self.problems.append(p)
            return
        n = self._count.get(key, 0)
        self._count[key] = n + 1
        if n < MAX_PER_COLUMN:
            self.problems.append(p)
        else:
            self._extra[key] = (p.sheet, p.column, p.col)

    def cells(self, col: Col, idx: np.ndarray,
              reason: Callable[[Any], str] | str | list[str] | np.ndarray,
              *, severity: Severity = "error") -> None:
        """Record a problem for each position in ``idx`` (first ones only, rest counted)."""
        idx = np.asarray(idx)
        if len(idx) == 0:
            return
        key = (col.sheet, col.name)
        have = self._count.get(key, 0)
        shown = idx[: max(0, MAX_PER_COLUMN - have)]
        cols = col.col_at(shown)
        for j, (i, c) in enumerate(zip(shown, cols)):
            v = col.values[i]
            if isinstance(reason, (list, np.ndarray)):
                text = reason[j]
            else:
                text = reason(v) if callable(reason) else reason
            self.problems.append(Problem(text, col.sheet, int(col.rows[i]), int(c),
                                         col.header_of(int(c)), v,
                                         severity, "data"))
        self._count[key] = have + len(idx)
        if have + len(idx) > MAX_PER_COLUMN:
            c0 = col.cols if isinstance(col.cols, (int, np.integer)) else None
            self._extra[key] = (col.sheet, col.header, None if c0 is None else int(c0))

    def finish(self) -> list[Problem]:
        out = list(self.problems)
        for key, (sheet, header, c) in self._extra.items():
            more = self._count[key] - MAX_PER_COLUMN
            out.append(Problem(f"... and {more} more in this column", sheet, None, c, header,
                               None, "error", "data"))
        self._extra.clear()
        return out


def kinds(values: np.ndarray) -> np.ndarray:
    """Per-cell kind code (BLANK/NUM/STR/BOOL/DATE/OTHER); whitespace-only strings are BLANK."""
    get = _TYPE_CODE.get
    k = np.fromiter((get(type(v), OTHER) for v in values), dtype=np.int8, count=len(values))
    s = k == STR
    if s.any():
        stripped = pd.Series(values[s], dtype=object).str.strip().to_numpy(dtype=object, copy=True)
        blank = stripped == ""
        if blank.any():
            where = np.flatnonzero(s)[blank]
            k[where] = BLANK
    for i in np.flatnonzero(k == OTHER):  # subclasses (numpy scalars, Timestamp, ...)
        v = values[i]
        if isinstance(v, bool) or isinstance(v, np.bool_):
            k[i] = BOOL
        elif isinstance(v, (int, float, np.number)):
            k[i] = BLANK if isinstance(v, float) and np.isnan(v) else NUM
        elif isinstance(v, dt.date):
            k[i] = DATE
    if (k == NUM).any():  # NaN floats are blank
        nums = np.flatnonzero(k == NUM)
        f = np.array([values[i] for i in nums], dtype=float)
        k[nums[np.isnan(f)]] = BLANK
    return k


# The last text column factorised, as (values, codes, distinct texts): a table's first column
# is factorised when its blank rows are found (layout._any_filled) and again when it is read
# as text; the second time takes the first's. Held by the very array (checked by identity;
# the reader never edits a raw column in place) and replaced by the next.
_FACTORIZED: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def _factorize_texts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    global _FACTORIZED
    last = _FACTORIZED
    if last is not None and last[0] is values:
        return last[1], last[2]
    codes, uniq = pd.factorize(values)
    _FACTORIZED = (values, codes, uniq)
    return codes, uniq


def blank_mask(values: np.ndarray) -> np.ndarray:
    """True where the cell is blank ("" / None / whitespace / NaN). Fast on the happy path."""
    kind = infer_dtype(values, skipna=False)
    if kind in ("floating", "mixed-integer-float"):
        return np.isnan(values.astype(float))
    if kind == "integer":
        return np.zeros(len(values), dtype=bool)
    if kind == "string":  # whitespace-only text is blank too, as kinds() says
        # a column holds few distinct texts (skus, locations, sources): strip each once
        codes, uniq = _factorize_texts(values)
        blank = np.fromiter((not u.strip() for u in uniq), dtype=bool, count=len(uniq))
        return blank[codes]
    return kinds(values) == BLANK


# ---------------------------------------------------------------------------------- text

def _num_text(v: float) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def _any_text(v: Any) -> str:
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float, np.number)):
        return _num_text(float(v)) if isinstance(v, (float, np.floating)) else str(int(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


def to_text(values: np.ndarray) -> np.ndarray:
    """Text of each cell (object array of str, None for blank). 123.0 -> "123"; spaces stripped."""
    return text_and_groups(values)[0]


def text_and_groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`to_text`, and for a column of text cells its group codes: equal where the
    texts are equal, -1 where blank (what ``pd.factorize`` of the texts would group), so a
    duplicate check need not hash the texts again. None for other columns."""
    n = len(values)
    if n == 0:
        return np.empty(0, dtype=object), None
    kind = infer_dtype(values, skipna=False)
    if kind == "string":
        codes, texts = _factorize_texts(values)
        stripped = np.array([u.strip() or None for u in texts] + [None], dtype=object)
        # codes of the stripped texts: "a" and "a " are one text once stripped
        merged = pd.factorize(stripped)[0]
        return stripped[codes], merged[codes]
    out = np.empty(n, dtype=object)
    k = kinds(values)
    s = k == STR
    if s.any():
        out[s] = _strip_strings(values[s])
    rest = np.flatnonzero((k != STR) & (k != BLANK))
    if len(rest):
        sub = values[rest]
        uniq: dict[Any, Any] = {}
        res = np.empty(len(rest), dtype=object)
        for j, v in enumerate(sub):
            key = (type(v), v)
            t = uniq.get(key)
            if t is None:
                t = uniq[key] = _any_text(v)
            res[j] = t
        out[rest] = res
    out[k == BLANK] = None
    return out, None


def _strip_strings(values: np.ndarray) -> np.ndarray:
    """Strip every string (once per unique value); "" becomes None."""
    codes, uniq = pd.factorize(values)
    stripped = np.array([u.strip() or None for u in uniq] + [None], dtype=object)
    return stripped[codes]


# -------------------------------------------------------------------------------- numbers

_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_number_text(text: str) -> float | None:
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if _NUM_RE.match(t):
        return float(t)
    if re.match(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$", t):  # 1,234.5
        return float(t.replace(",", ""))
    return None


def expected_number(v: Any) -> str:
    return f"expected a number, got {show_value(v)}"


# Beyond any quantity, price or cost a plan can hold, and far enough below float's range that
# sums and products over a horizon stay finite (a 1e299 on-hand would overflow to infinity).
LARGEST_NUMBER = 1e15


def too_large(v: Any) -> str:
    shown = f"{v:.3g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else \
        show_value(v)
    return f"too large to plan with (limit 1e15), got {shown}"


def to_number(col: Col, out: Collector, *, required: bool = False, nonneg: bool = False,
              check: np.ndarray | None = None, errors: Callable[[], dict] | None = None,
              text_parser: Callable[[str], float | None] = parse_number_text) -> np.ndarray:
    """Float array (NaN for blank/bad). ``check`` limits which rows are reported."""
    values = col.values
    n = len(values)
    kind = infer_dtype(values, skipna=False) if n else "floating"
    if kind in ("floating", "integer", "mixed-integer-float"):
        res = values.astype(float)
        bad = np.zeros(n, dtype=bool)
        blank = np.isnan(res)
    else:
        k = kinds(values)
        res = np.full(n, np.nan)
        num = k == NUM
        if num.any():
            res[num] = values[num].astype(float)
        blank = k == BLANK
        bad = (k == BOOL) | (k == DATE) | (k == OTHER)
        s = np.flatnonzero(k == STR)
        if len(s):
            texts = values[s]
            cache: dict[str, float | None] = {}
            parsed = np.empty(len(s))
            for j, t in enumerate(texts):
                r = cache.get(t, 0)
                if r == 0 and t not in cache:
                    r = cache[t] = text_parser(t)
                parsed[j] = np.nan if r is None else r
            ok = ~np.isnan(parsed)
            res[s[ok]] = parsed[ok]
            bad[s[~ok]] = True
    if check is not None:
        bad_rep = bad & check
        blank_rep = blank & check
    else:
        bad_rep, blank_rep = bad, blank
    found: dict = {}
    if errors is not None and blank_rep.any():
        # Excel error cells (#N/A ...) that calamine reads as blank
        found = errors()
    if found and blank_rep.any():
        bi = np.flatnonzero(blank_rep)
        cs = col.col_at(bi)
        hit = [j for j, (r, c) in enumerate(zip(col.rows[bi], cs)) if (int(r), int(c)) in found]
        if hit:
            hi = bi[hit]
            values = col.values = values.copy()
            for i, c in zip(hi, col.col_at(hi)):
                values[i] = found[(int(col.rows[i]), int(c))]
            bad_rep = bad_rep.copy()
            bad_rep[hi] = True
            blank_rep = blank_rep.copy()
            blank_rep[hi] = False
    if bad_rep.any():
        out.cells(col, np.flatnonzero(bad_rep), expected_number)
    with np.errstate(invalid="ignore"):
        huge = np.abs(res) > LARGEST_NUMBER
    if check is not None:
        huge &= check
    if huge.any():
        out.cells(col, np.flatnonzero(huge), too_large)
        res[huge] = np.nan
    if required and blank_rep.any():
        out.cells(col, np.flatnonzero(blank_rep), "expected a number, got blank")
    if nonneg:
        with np.errstate(invalid="ignore"):
            neg = res < 0
        if check is not None:
            neg &= check
        if neg.any():
            out.cells(col, np.flatnonzero(neg),
                      lambda v: f"must not be negative, got {show_value(v)}")
    return res


# ---------------------------------------------------------------------------------- dates

def to_date(col: Col, out: Collector, *, required: bool = False,
            check: np.ndarray | None = None) -> np.ndarray:
    """datetime64[ns] array at midnight (NaT for blank/bad)."""
    values = col.values
    n = len(values)
    res = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if n == 0:
        return res
    kind = infer_dtype(values, skipna=False)
    if kind in ("date", "datetime", "datetime64"):
        return _dates(values)
    k = kinds(values)
    blank = k == BLANK
    bad = (k == BOOL) | (k == OTHER)
    reasons: dict[int, str] = {}
    d = np.flatnonzero(k == DATE)
    if len(d):
        res[d] = _dates(values[d])
    num = np.flatnonzero(k == NUM)
    if len(num):
        f = values[num].astype(float)
        ok = (f >= SERIAL_MIN) & (f <= SERIAL_MAX)
        res[num[ok]] = (_EXCEL_EPOCH + np.floor(f[ok]).astype("timedelta64[D]")).astype(
            "datetime64[ns]")
        bad[num[~ok]] = True
    s = np.flatnonzero(k == STR)
    if len(s):
        cache: dict[str, tuple] = {}
        for i in s:
            t = values[i]
            r = cache.get(t)
            if r is None:
                r = cache[t] = parse_date_text(t)
            if r[0] is not None:
                res[i] = np.datetime64(within_range(r[0]), "ns")
            else:
                bad[i] = True
                reasons[int(i)] = r[1]
    if check is not None:
        bad &= check
        blank &= check
    if bad.any():
        out.cells(col, np.flatnonzero(bad), _date_reason(values, reasons))
    if required and blank.any():
        out.cells(col, np.flatnonzero(blank), "expected a date, got blank")
    return res


def _date_reason(values, reasons):
    # reasons are keyed by position; map by value for the callable interface
    by_value = {}
    for i, r in reasons.items():
        by_value[values[i]] = r

    def reason(v):
        if isinstance(v, str) and v in by_value:
            return by_value[v]
        return f"expected a date, got {show_value(v)}"
    return reason


def _dates(values: np.ndarray) -> np.ndarray:
    """Date and datetime cells as datetime64[ns] at midnight; a date pandas cannot hold
    (9999-12-31) as FAR_FUTURE (see dates.within_range)."""
    try:
        # a column holds few distinct dates (weeks): convert each once
        codes, uniq = pd.factorize(values)
        if len(codes) and codes.min() < 0:  # a missing value among the dates
            days = np.array(values, dtype="datetime64[D]")
        else:
            days = np.array(uniq, dtype="datetime64[D]")[codes]  # numpy's days reach 9999
    except (TypeError, ValueError):
        idx = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
        return idx.dt.normalize().to_numpy(dtype="datetime64[ns]")
    late = days > np.datetime64(FAR_FUTURE, "D")
    early = days < np.datetime64(FAR_PAST, "D")
    days[late] = np.datetime64(FAR_FUTURE, "D")
    days[early] = np.datetime64(FAR_PAST, "D")
    return days.astype("datetime64[ns]")


# ------------------------------------------------------------------------------- booleans

_TRUE = {"true", "yes", "y", "1", "x", "oos", "stockout", "t"}
_FALSE = {"false", "no", "n", "0", "f", "-"}


def to_bool(col: Col, out: Collector) -> np.ndarray:
    """Object array of True/False/None."""
    values = col.values
    res = np.empty(len(values), dtype=object)
    k = kinds(values) if len(values) else np.empty(0, dtype=np.int8)
    bad = []
    for i, v in enumerate(values):
        kk = k[i]
        if kk == BLANK:
            res[i] = None
        elif kk == BOOL:
            res[i] = bool(v)
        elif kk == NUM and float(v) in (0.0, 1.0):
            res[i] = bool(float(v))
        elif kk == STR and v.strip().lower() in _TRUE:
            res[i] = True
        elif kk == STR and v.strip().lower() in _FALSE:
            res[i] = False
        else:
            res[i] = None
            bad.append(i)
    if bad:
        out.cells(col, np.array(bad), lambda v: f"expected TRUE or FALSE, got {show_value(v)}")
    return res
