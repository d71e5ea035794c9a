"""excel_value of a time finer than a microsecond: a cell holds at most microseconds, so the
rest is dropped — quietly (the CI fuzz run printed pandas' UserWarning on the console)."""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd

from pysnop.workbook.ooxml.xlcells import excel_value


def test_nanoseconds_are_dropped_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = excel_value(pd.Timestamp("2026-11-30 10:00:00.000001500"))
    assert got == dt.datetime(2026, 11, 30, 10, 0, 0, 1)
    assert excel_value(pd.Timestamp("2026-11-30")) == dt.date(2026, 11, 30)
