"""core.learned_lift._text: stripped text, blank → None — for a column of texts (each
distinct text stripped once) and for a column with numbers in it (the general way)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pysnop.core.learned_lift import _text


def test_texts_and_blanks():
    col = pd.Series(["  A1 ", "", None, "B", "  ", np.nan, "  A1 "], index=[5, 6, 7, 8, 9, 10, 11],
                    dtype=object, name="sku")
    out = _text(col)
    assert out.tolist() == ["A1", None, None, "B", None, None, "A1"]
    assert out.index.tolist() == [5, 6, 7, 8, 9, 10, 11] and out.name == "sku"
    assert out.dtype == object


def test_numbers_are_written_as_text():
    # 7.0 and 7 are different texts although Python calls them equal
    out = _text(pd.Series([7.0, 7, " x ", None], dtype=object))
    assert out.tolist() == ["7.0", "7", "x", None]
