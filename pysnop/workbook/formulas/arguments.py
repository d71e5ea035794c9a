"""The arguments of pysnop's worksheet functions as a worksheet hands them over — 2-D lists
of raw cells, a 1-D list, an array or a scalar — turned into the rows, numbers, dates and
texts the functions compute with. A bad one raises :class:`ArgumentError`, whose text is the
short cell text (``demand cell 3: expected a number, got "n/a"``)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from pysnop.errors import PysnopError, show_value
from pysnop.workbook.read.cells import LARGEST_NUMBER, parse_number_text, too_large
from pysnop.workbook.read.dates import date_of_value


class ArgumentError(PysnopError):
    """A worksheet function's argument is wrong; ``str()`` is the short cell text."""


def is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (
        isinstance(v, float) and math.isnan(v))


def as_rows(value: Any) -> list[list]:
    """Any argument (scalar, 1-D or 2-D list/tuple/array, None) as a list of row lists.

    A list of lists (what xlwings hands over for a range) is returned as it is, not copied:
    nothing here edits an argument."""
    if value is None:
        return []
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if not value:
            return []
        kinds = set(map(type, value))  # the few distinct row types, not every row
        if kinds == {list} and isinstance(value, list):
            return value
        if all(issubclass(k, (list, tuple)) for k in kinds):
            return list(map(list, value))
        if all(issubclass(k, (list, tuple, np.ndarray)) for k in kinds):
            return [list(r.tolist() if isinstance(r, np.ndarray) else r) for r in value]
        return [list(value)]
    return [[value]]


def is_empty_arg(value: Any) -> bool:
    """True when an argument is omitted, or a range with nothing in it."""
    return all(is_blank(v) for row in as_rows(value) for v in row)


def flat_cells(value: Any) -> list:
    return [v for row in as_rows(value) for v in row]


def number_list(value: Any, name: str, *, blank: float | None = 0.0,
                nonneg: bool = False) -> np.ndarray:
    """A row (or column) of numbers; blanks become ``blank``; text numbers are accepted."""
    out = []
    for i, v in enumerate(flat_cells(value), start=1):
        if is_blank(v):
            if blank is None:
                raise ArgumentError(f"{name} cell {i}: expected a number, got blank")
            out.append(blank)
            continue
        f = None
        if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)):
            f = float(v)
        elif isinstance(v, str):
            f = parse_number_text(v)
        if f is None or math.isnan(f):
            raise ArgumentError(f"{name} cell {i}: expected a number, got {show_value(v)}")
        if abs(f) > LARGEST_NUMBER:
            raise ArgumentError(f"{name} cell {i}: {too_large(v)}")
        if nonneg and f < 0:
            raise ArgumentError(f"{name} cell {i}: must not be negative, got {show_value(v)}")
        out.append(f)
    return np.asarray(out, dtype=float)


def date_arg(value: Any, name: str) -> dt.date | None:
    """A date argument: Excel serial, date/datetime or date text; None when omitted."""
    if isinstance(value, (list, tuple, np.ndarray)):
        flat = flat_cells(value)
        if len(flat) != 1:
            raise ArgumentError(f"{name}: expected one date, got {len(flat)} cells")
        value = flat[0]
    if is_blank(value):
        return None
    d, reason = date_of_value(value)
    if d is None:
        raise ArgumentError(f"{name}: {reason or 'expected a date, got ' + show_value(value)}")
    return d


def whole_number_arg(value: Any, name: str, lo: int, hi: int) -> int | None:
    if isinstance(value, (list, tuple, np.ndarray)):
        flat = flat_cells(value)
        value = flat[0] if len(flat) == 1 else value
    if is_blank(value):
        return None
    f = number_list(value, name, blank=None)
    if len(f) != 1 or not float(f[0]).is_integer():
        raise ArgumentError(f"{name}: expected a whole number, got {show_value(value)}")
    if not lo <= f[0] <= hi:
        raise ArgumentError(f"{name}: must be between {lo} and {hi}, got {show_value(value)}")
    return int(f[0])


def text_arg(value: Any, name: str) -> str | None:
    flat = flat_cells(value)
    if not flat or all(is_blank(v) for v in flat):
        return None
    if len(flat) != 1:
        raise ArgumentError(f"{name}: expected one value, got {len(flat)} cells")
    v = flat[0]
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()
