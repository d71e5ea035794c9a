"""Deadlines for the weekly review: overdue, due within the week, or later (docs/semantics.md).

An act_by names a week (its Monday, docs/semantics.md §1) or, for a proposal, a date never
before the as-of date. Against the as-of date:

overdue   the act_by's week is before the as-of week (act_by < the as-of week's Monday): too
          late for what it was for — its own section of the review, never mixed with the due.
due       act_by from the as-of week's Monday to as-of + ``days`` (default 7). Shown as
          max(act_by, as-of): an act_by in the as-of week but before the as-of date reads as
          the as-of date (act now), so the due list never shows a date already past.
later     after that; blank act_by: no deadline (None).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

OVERDUE, DUE, LATER = "overdue", "due", "later"
DEADLINE_DAYS = 7


def classify_deadlines(act_by: Any, as_of: dt.date | pd.Timestamp,
                       days: int = DEADLINE_DAYS) -> pd.DataFrame:
    """``deadline`` (overdue / due / later / None) and ``shown`` (the date to show) per act_by."""
    when = pd.to_datetime(pd.Series(act_by), errors="coerce").dt.normalize() \
        .to_numpy(dtype="datetime64[ns]")
    today = pd.Timestamp(as_of).normalize()
    monday = (today - pd.Timedelta(days=today.weekday())).to_datetime64()
    horizon = (today + pd.Timedelta(days=days)).to_datetime64()
    known = ~np.isnat(when)
    overdue = known & (when < monday)
    due = known & ~overdue & (when <= horizon)
    label = np.where(overdue, OVERDUE, np.where(due, DUE, LATER)).astype(object)
    label[~known] = None
    shown = np.where(due, np.maximum(when, today.to_datetime64()), when)
    index = pd.Series(act_by).index
    return pd.DataFrame({"deadline": pd.Series(list(label), index=index, dtype=object),
                         "shown": pd.Series(pd.to_datetime(shown), index=index)})
