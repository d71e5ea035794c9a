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


# records_array and per_distinct_text replace per-cell loops (merge's columns, its action ids
# and blank cells); the per-cell forms they replace are kept here as oracles.

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pysnop.core.values import is_blank_text, per_distinct_text, records_array  # noqa: E402


def _old_cells(column: pd.Series) -> list:
    """The per-cell form merge used: records_column's list (to_dict's cells)."""
    return [row["c"] for row in pd.DataFrame({"c": column}).to_dict("records")]


def _same_cells(got, want):
    assert [type(v) for v in got] == [type(v) for v in want]
    assert [repr(v) for v in got] == [repr(v) for v in want]


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_records_array_holds_the_cells_of_to_dict_records(name):
    got = records_array(COLUMNS[name])
    assert got.dtype == object
    _same_cells(list(got), _old_cells(COLUMNS[name]))


def test_a_date_column_boxes_each_week_once_and_keeps_nat():
    # three rows on two Mondays and a blank: Timestamp, Timestamp, NaT, Timestamp
    column = pd.Series(pd.to_datetime(["2026-11-30", "2026-12-07", None, "2026-11-30"]))
    got = records_array(column)
    assert list(got) == [pd.Timestamp("2026-11-30"), pd.Timestamp("2026-12-07"), pd.NaT,
                         pd.Timestamp("2026-11-30")]
    assert got[2] is pd.NaT
    assert got[0] is got[3]  # one box per distinct date


MONDAYS = st.sampled_from([None, "2026-11-30", "2026-12-07", "2027-01-04 06:30"])


@settings(max_examples=60, deadline=None)
@given(st.lists(MONDAYS, max_size=12), st.sampled_from(["datetime", "tz", "timedelta",
                                                        "float", "int", "bool"]))
def test_records_array_matches_the_per_cell_form(cells, kind):
    if kind == "datetime":
        column = pd.Series(pd.to_datetime(pd.Series(cells, dtype=object), format="ISO8601"))
    elif kind == "tz":
        column = pd.Series(pd.to_datetime(pd.Series(cells, dtype=object), format="ISO8601")).dt.tz_localize("UTC")
    elif kind == "timedelta":
        column = pd.Series(pd.to_datetime(pd.Series(cells, dtype=object), format="ISO8601")
                           - pd.Timestamp("2026-11-01"))
    else:
        numbers = [float(len(c)) if c else 0.0 for c in cells]
        column = pd.Series(numbers).astype({"float": float, "int": np.int64, "bool": bool}[kind])
    _same_cells(list(records_array(column)), _old_cells(column))
    _same_cells(records_column(column), _old_cells(column))


TEXTS = st.one_of(st.none(), st.just(np.nan), st.just(pd.NA), st.just(pd.NaT),
                  st.just(np.float32("nan")), st.sampled_from(
    ["", " ", "EXP-1", " EXP-1 ", "EXP-1", "x"]), st.integers(0, 3), st.just(1.0))


@settings(max_examples=120, deadline=None)
@given(st.lists(TEXTS, max_size=12))
def test_per_distinct_text_is_the_rule_applied_cell_by_cell(cells):
    array = np.empty(len(cells), dtype=object)
    array[:] = cells
    from pysnop.core.actions import _text
    from pysnop.core.decision_records import text_or_none
    for rule in (text_or_none, is_blank_text, _text):
        got = per_distinct_text(array, rule)
        assert list(got) == [rule(v) for v in cells]


def test_per_distinct_text_of_text_and_blanks():
    # " a " strips to "a"; "" and "  " are blank like None and NA
    cells = np.array([" a ", None, "", "a", pd.NA, "  "], dtype=object)
    from pysnop.core.decision_records import text_or_none
    assert list(per_distinct_text(cells, text_or_none)) == ["a", None, None, "a", None, None]
    assert list(per_distinct_text(cells, is_blank_text)) == [False, True, True, False, True,
                                                             True]
    # 1 and 1.0 are one value to factorize, two texts to the rule: taken cell by cell
    mixed = np.array([1, 1.0], dtype=object)
    assert list(per_distinct_text(mixed, text_or_none)) == ["1", "1.0"]
    # a rule that tells blanks apart sees each kind: None and NaN are "", NA is "<NA>"
    from pysnop.core.actions import _text
    blanks = np.array(["b", None, np.nan, pd.NA, None], dtype=object)
    assert list(per_distinct_text(blanks, _text)) == ["b", "", "", "<NA>", ""]
