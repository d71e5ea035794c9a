"""risk_frame's text columns: None for each None or float NaN, nothing else changed — judged by
type instead of cell by cell; the per-cell test it replaces is the oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pysnop.core.risk_frame import _none_for_nan


def _old_none_for_nan(values):
    out = np.array(values, dtype=object)
    maybe = np.flatnonzero(pd.isna(out))
    blank = [i for i, v in zip(maybe.tolist(), out[maybe].tolist())
             if v is None or (isinstance(v, float) and np.isnan(v))]
    out[blank] = None
    return out


CELLS = st.sampled_from([None, np.nan, np.float64("nan"), np.float32("nan"), pd.NA, pd.NaT,
                         np.datetime64("NaT"), "R-1", "", 0.0, 3, "DC1"])


@settings(max_examples=200, deadline=None)
@given(st.lists(CELLS, max_size=15))
def test_blanks_are_those_of_the_per_cell_test(cells):
    values = np.empty(len(cells), dtype=object)
    values[:] = cells
    got, want = _none_for_nan(values), _old_none_for_nan(values)
    assert [type(v) for v in got] == [type(v) for v in want]
    assert [repr(v) for v in got] == [repr(v) for v in want]


def test_none_and_float_nan_go_blank_other_missing_values_stay():
    values = np.array(["R-1", None, np.nan, pd.NA, pd.NaT, ""], dtype=object)
    got = _none_for_nan(values)
    assert got[0] == "R-1" and got[1] is None and got[2] is None
    assert got[3] is pd.NA and got[4] is pd.NaT and got[5] == ""
