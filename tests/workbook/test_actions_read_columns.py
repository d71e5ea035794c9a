"""The Actions sheet read column by column (workbook.read.actions) gives the frame the
cell-by-cell reading gave: the same rows kept, values, dtypes, Excel rows and header map,
whatever the cells hold. The oracle below is that earlier reading, kept here."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

from pysnop.workbook.read.actions import (
    COLUMNS,
    DATES,
    DECIDED,
    NUMBERS,
    TEXT,
    TIMES,
    read_actions_sheet,
)
from pysnop.workbook.read.grid import Grid


def _oracle_value(name, value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if name in TEXT:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()
    if name in NUMBERS:
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    if name in DATES or name in TIMES:
        if isinstance(value, (dt.date, dt.datetime)):
            return value
        try:
            return pd.Timestamp(value).to_pydatetime()
        except (ValueError, TypeError):
            return None
    return value


def _oracle(grid: Grid, i0: int, cols: dict[str, int]) -> pd.DataFrame:
    records = []
    for i in range(i0 + 1, len(grid.rows)):
        row = grid.rows[i]
        rec = {name: _oracle_value(name, row[cols[name]] if name in cols
                                   and cols[name] < len(row) else None) for name in COLUMNS}
        if all(v is None for v in rec.values()):
            continue
        if rec["action_id"] is None and all(rec[c] is None for c in DECIDED):
            continue
        rec["row"] = grid.first_row + i
        records.append(rec)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in (*COLUMNS, "row")})
    frame = pd.DataFrame.from_records(records, columns=[*COLUMNS, "row"]) if records else empty
    frame.attrs["columns"] = {name: grid.first_col + j for name, j in cols.items()}
    return frame


class _Source:
    def __init__(self, grid: Grid):
        self._grid = grid

    def sheet_names(self):
        return [self._grid.sheet]

    def grid(self, sheet):
        return self._grid

    def tables(self):
        return []


CELLS = st.one_of(
    st.none(), st.sampled_from(["", "  ", "Approved", " Proposed ", "nan", "1e3", "2026-11-30",
                                "x", "ORD-1", "12"]),
    st.integers(-5, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([3.0, 2.5, -0.0, 1e20]), st.booleans(),
    st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
    st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)))


@st.composite
def sheets(draw):
    names = draw(st.lists(st.sampled_from(COLUMNS), unique=True, min_size=2, max_size=12))
    for needed in ("action_id", "status"):
        if needed not in names:
            names.insert(draw(st.integers(0, len(names))), needed)
    lead = draw(st.integers(0, 2))  # rows above the header
    header = [None] * draw(st.integers(0, 2)) + names
    body = draw(st.lists(st.lists(CELLS, max_size=len(header) + 1), max_size=25))
    rows = [[None] * 3 for _ in range(lead)] + [header] + body
    grid = Grid("Actions", rows, draw(st.integers(1, 4)), draw(st.integers(1, 3)))
    cols = {k: j for j, k in reversed(list(enumerate(header))) if k}
    return grid, lead, cols


# an integer in a date column is read as nanoseconds since 1970 (both readings warn so)
@pytest.mark.filterwarnings("ignore:Discarding nonzero nanoseconds:UserWarning")
@settings(max_examples=examples(600), deadline=None)
@given(sheets())
def test_read_by_column_equals_the_cell_by_cell_reading(case):
    grid, i0, cols = case
    got = read_actions_sheet(_Source(grid))
    want = _oracle(grid, i0, cols)
    pd.testing.assert_frame_equal(got, want, check_dtype=True)
    assert got.attrs == want.attrs
