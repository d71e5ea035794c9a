"""plain_records (column by column) hands out the records ``to_dict("records")`` does, for
the frames the Actions sheet is read into (text, object, float, date and int columns, with
blanks): the same keys in order, values and types (NaN and NaT as they are)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pysnop.core.values import plain_records


def same(a, b) -> bool:
    return type(a) is type(b) and (a is b or a == b or (a != a and b != b))


def test_an_actions_frame_gives_the_records_to_dict_gives():
    frame = pd.DataFrame.from_records(
        [("ORD-1", "NEW_ORDER", 10.0, dt.datetime(2026, 11, 30), None, 1.5, 7),
         ("MOV-2", None, None, None, "Approved", np.nan, 8),
         (None, "x", 3.0, dt.datetime(2026, 12, 7, 9, 30), " note ", 2.0, 9)],
        columns=["action_id", "type", "qty", "week", "status", "cost", "row"])
    frame["mixed"] = pd.Series(["a", 1.0, None], dtype=object)
    records = frame.to_dict("records")
    plain = plain_records(frame)
    assert [list(r) for r in plain] == [list(r) for r in records]
    assert all(same(r[k], p[k]) for r, p in zip(records, plain) for k in r), (records, plain)
