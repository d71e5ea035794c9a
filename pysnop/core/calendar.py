"""Week arithmetic: Monday-to-Sunday buckets labelled by their Monday."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

DAY = np.timedelta64(1, "D")
WEEK = np.timedelta64(7, "D")


def monday_of(day: dt.date | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(day).normalize()
    return ts - pd.Timedelta(days=ts.weekday())


def week_mondays(as_of: dt.date, horizon_weeks: int) -> pd.DatetimeIndex:
    """Mondays of weeks 0..H-1, week 0 being the week that contains ``as_of``."""
    return pd.date_range(monday_of(as_of), periods=horizon_weeks, freq="7D")


def to_days(values: ArrayLike | Iterable[object]) -> NDArray[np.int64]:
    """Dates (datetime64 or anything pandas reads as dates) to whole days since the epoch."""
    if isinstance(values, np.ndarray) and values.dtype == np.dtype("datetime64[ns]"):
        # the readers' date columns: already what pd.to_datetime would make of them
        days: NDArray[np.int64] = values.astype("datetime64[D]").astype(np.int64)
        return days
    arr: NDArray[np.datetime64] = pd.to_datetime(pd.Series(values), errors="coerce") \
        .to_numpy(dtype="datetime64[ns]")
    return arr.astype("datetime64[D]").astype(np.int64)


def week_index(values: ArrayLike | Iterable[object], week0: pd.Timestamp) -> NDArray[np.int64]:
    """Index of the week each date falls in, relative to week 0 (negative before it)."""
    start = int(np.datetime64(week0.date(), "D").astype(np.int64))
    return np.floor_divide(to_days(values) - start, 7)


def overlap_fraction(start_days: NDArray[np.int64], end_days: NDArray[np.int64],
                     week0: pd.Timestamp, horizon_weeks: int) -> NDArray[np.float64]:
    """Days of each inclusive [start, end] window inside each week, divided by 7.

    Returns an array of shape (len(start_days), horizon_weeks).
    """
    first = int(np.datetime64(week0.date(), "D").astype(np.int64))
    week_start = first + 7 * np.arange(horizon_weeks)
    lo = np.maximum(start_days[:, None], week_start[None, :])
    hi = np.minimum(end_days[:, None] + 1, week_start[None, :] + 7)
    fraction: NDArray[np.float64] = np.clip(hi - lo, 0, 7) / 7.0
    return fraction


def days_to_timestamps(days: ArrayLike) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(days, dtype="int64").astype("datetime64[D]")
                            .astype("datetime64[ns]"))
