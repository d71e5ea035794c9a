"""core.locations._text: cells as stripped text, blanks (None, NaN, "", spaces) as None —
checked against that definition cell by cell, for text-only columns (taken per distinct
text) and mixed ones."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pysnop.core.locations import _text

CELLS = st.one_of(st.none(), st.just(float("nan")), st.sampled_from(["", " ", "S01", " S01 ",
                                                                      "DC1\t", "dc"]),
                  st.text(max_size=4))
MIXED = st.one_of(CELLS, st.integers(-3, 3), st.floats(allow_nan=False, width=32))


def by_definition(cell):
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    text = str(cell).strip()
    return text or None


@given(st.lists(CELLS, max_size=30))
def test_text_columns(cells):
    assert list(_text(cells)) == [by_definition(c) for c in cells]


@given(st.lists(MIXED, max_size=30))
def test_mixed_columns(cells):
    assert list(_text(cells)) == [by_definition(c) for c in cells]


def test_index_and_dtype():
    out = _text(pd.Series([" a", None], index=[7, 3]))
    assert list(out.index) == [0, 1] and out.dtype == object and list(out) == ["a", None]
