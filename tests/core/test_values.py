"""core.values.records_column: a column's cells exactly as ``to_dict("records")`` hands
them out (pandas is the oracle), for every kind of column the log and merge see."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pysnop.core.values import records_column

COLUMNS = {
    "text": pd.Series(["a", None, "b"], dtype=object),
    "string": pd.Series(["a", None, "b"], dtype="string"),
    "numbers in object": pd.Series([np.float64(1.5), 2, None], dtype=object),
    "numpy ints in object": pd.Series([np.int64(3), np.int64(4), "x"], dtype=object),
    "numpy bool in object": pd.Series([np.bool_(True), False, None], dtype=object),
    "NA in object": pd.Series(["a", pd.NA, None], dtype=object),  # to_dict makes NA None
    "datetime64 in object": pd.Series([np.datetime64("2026-11-30"), None], dtype=object),
    "Timestamp and NaT": pd.Series([pd.Timestamp("2026-11-30"), pd.NaT, None], dtype=object),
    "python dates": pd.Series([dt.date(2026, 11, 30), dt.datetime(2026, 11, 30, 9)],
                              dtype=object),
    "plain python": pd.Series(["a", 1, 2.5, True, None, float("nan")], dtype=object),
    "Int64": pd.Series([1, None, 3], dtype="Int64"),
    "boolean": pd.Series([True, None, False], dtype="boolean"),
    "float64": pd.Series([1.5, np.nan]),
    "datetime64": pd.Series(pd.to_datetime(["2026-11-30", None])),
}


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_cells_are_those_of_to_dict_records(name):
    column = COLUMNS[name]
    want = [row["c"] for row in pd.DataFrame({"c": column}).to_dict("records")]
    got = records_column(column)
    assert [type(v) for v in got] == [type(v) for v in want]
    assert [repr(v) for v in got] == [repr(v) for v in want]
