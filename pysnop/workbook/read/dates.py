"""Date text and cell parsing: ISO dates and weeks, unambiguous day/month forms, serials.

A numeric day/month form where both parts could be the month (``03/04/2026``) is never
guessed: it is reported as ambiguous with a hint to type the ISO form.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np

from pysnop.errors import show_value

_MONTHS = {m.lower(): i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}
_MONTHS.update({m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], 1)})
_MONTHS["sept"] = 9

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?)?$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})(?:-?([1-7]))?$", re.I)
_DMY = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_D_MON_Y = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]+([A-Za-z]+)\.?,?[\s\-/.]+(\d{4}|\d{2})$")
_MON_D_Y = re.compile(r"^([A-Za-z]+)\.?[\s\-/.]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/.]+(\d{4})$")

SERIAL_MIN, SERIAL_MAX = 20000, 80000
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

# pandas counts time in nanoseconds, from 1677 to 2262. A date beyond that (the 9999-12-31
# a planner types for "open-ended") is read as FAR_FUTURE: far beyond any horizon, never
# wrapped round into the past. The planning date itself must leave room for a horizon
# before FAR_FUTURE, so it may be no later than LATEST_AS_OF (docs/semantics.md §1).
FAR_FUTURE = dt.date(2250, 1, 1)
FAR_PAST = dt.date(1700, 1, 1)
LATEST_AS_OF = dt.date(2199, 12, 31)


def within_range(d: dt.date) -> dt.date:
    """``d``, or FAR_FUTURE / FAR_PAST when it lies beyond what pandas can hold."""
    return FAR_FUTURE if d > FAR_FUTURE else FAR_PAST if d < FAR_PAST else d


def _year(y: str) -> int:
    return int(y) + 2000 if len(y) == 2 else int(y)


def parse_date_text(text: str) -> tuple[dt.date | None, str | None]:
    """(date, None) or (None, reason). Never guesses an ambiguous day/month order."""
    t = text.strip()
    bad = f"expected a date, got {show_value(text)}"
    try:
        m = _ISO.match(t) or _YMD.match(t)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), None
        m = _WEEK.match(t)
        if m:
            return dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)),
                                           int(m.group(3) or 1)), None
        m = _DMY.match(t)
        if m:
            a, b, y = int(m.group(1)), int(m.group(3)), _year(m.group(4))
            if a > 12 and b <= 12:
                return dt.date(y, b, a), None
            if b > 12 and a <= 12:
                return dt.date(y, a, b), None
            if a == b and a <= 12:
                return dt.date(y, a, b), None
            if a <= 12 and b <= 12:
                d1, d2 = dt.date(y, b, a), dt.date(y, a, b)
                return None, (f"ambiguous date {show_value(text)}: day and month could be "
                              f"either way round; type it as ISO yyyy-mm-dd, e.g. "
                              f"{d1.isoformat()} or {d2.isoformat()}")
            return None, bad
        m = _D_MON_Y.match(t)
        if m and m.group(2).lower() in _MONTHS:
            return dt.date(_year(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))), None
        m = _MON_D_Y.match(t)
        if m and m.group(1).lower() in _MONTHS:
            return dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))), None
    except ValueError:  # e.g. 31 Feb, week 54
        return None, bad
    return None, bad


def date_of_value(v: Any) -> tuple[dt.date | None, str | None]:
    """Any single cell value to a date (used for headers and settings)."""
    if isinstance(v, bool):
        return None, f"expected a date, got {show_value(v)}"
    if isinstance(v, dt.datetime):
        return v.date(), None
    if isinstance(v, dt.date):
        return v, None
    if isinstance(v, (int, float, np.number)):
        f = float(v)
        if SERIAL_MIN <= f <= SERIAL_MAX:
            return (dt.date(1899, 12, 30) + dt.timedelta(days=int(f))), None
        return None, f"expected a date, got {show_value(v)}"
    if isinstance(v, str):
        return parse_date_text(v)
    return None, f"expected a date, got {show_value(v)}"
