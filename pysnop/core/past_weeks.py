"""Past weeks: the Actuals on a sku-location × week grid, and the forecast that stood for
each past week — what learned lift, the tracking signal and the scorecard compare the
actuals against (docs/semantics.md, demand sensing).

Actuals on the grid: units summed per cell (NaN where the cell has no Actuals row); a cell
is a stockout when any of its rows says ``stockout`` TRUE or has ``on_hand_end`` ≤ 0.

The forecast of a cell (sku × location × week) is, in order:

1. recorded: the forecasts recorded in earlier cycles (the consensus history: sku, location,
   week, source, units, recorded) at sku × location level, made before the cell's cut-off
   (the week's Monday for the tracking signal and the scorecard, the campaign's start for
   learned lift). Per source the latest such record counts (its rows summed); the
   ``Consensus`` source wins where it was recorded, else the sources present are averaged
   with equal weights. A history without a ``recorded`` column counts every row (summed per
   source).
2. sheet: the Forecast sheet's own sku × location rows for that week (summed per source,
   the sources averaged with equal weights, as the bridge does).
3. none: NaN.

Rows are placed on the grid by integer codes (the bridge's key lookup and week index), so
the work is a few group-bys on integers whatever the number of rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from pysnop.core import calendar
from pysnop.core.consensus import CONSENSUS
from pysnop.core.demand import key_lookup

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

BASIS_NONE, BASIS_SHEET, BASIS_RECORDED = 0, 1, 2
_DENSE_LIMIT = 50_000_000  # cells × sources combined with bincount below this


def actual_span(actuals: pd.DataFrame | None, before: pd.Timestamp) \
        -> tuple[pd.Timestamp, int] | None:
    """(Monday of the first Actuals week, number of weeks up to the last one before
    ``before``'s week), or None when there is no such week."""
    if actuals is None or len(actuals) == 0:
        return None
    days = calendar.to_days(actuals["week"].to_numpy())
    days = days[days > np.iinfo(np.int64).min]  # NaT
    week0 = calendar.monday_of(before)
    limit = np.datetime64(week0.date(), "D").astype(np.int64)
    mondays = days - (days + 3) % 7  # epoch day 0 is a Thursday
    mondays = mondays[mondays < limit]
    if len(mondays) == 0:
        return None
    first, last = int(mondays.min()), int(mondays.max())
    return calendar.days_to_timestamps(np.array([first]))[0], (last - first) // 7 + 1


def _placed(frame: pd.DataFrame, keys: pd.DataFrame, week0: pd.Timestamp,
            n_weeks: int) -> tuple[Ints, Ints, npt.NDArray[np.bool_]]:
    """Grid row, week and in-grid flag of each sku × location row of a frame."""
    i = key_lookup(keys, frame["sku"].to_numpy(), frame["location"].to_numpy())
    k = calendar.week_index(frame["week"].to_numpy(), week0)
    ok = (i >= 0) & (k >= 0) & (k < n_weeks) & frame["sku"].notna().to_numpy() \
        & frame["location"].notna().to_numpy()
    return i.astype(np.int64), k.astype(np.int64), ok


def _source_codes(frame: pd.DataFrame) -> tuple[Ints, int]:
    """Integer code of each row's source and the code of the consensus (-1 if absent)."""
    if "source" not in frame.columns:
        return np.zeros(len(frame), dtype=np.int64), -1
    text = frame["source"].astype(object).where(frame["source"].notna(), "")
    codes, uniques = pd.factorize(text.astype(str).str.casefold())
    hit = np.flatnonzero(np.asarray(uniques, dtype=object) == CONSENSUS.casefold())
    return codes.astype(np.int64), int(hit[0]) if len(hit) else -1


def _combine(cell: Ints, source: Ints, units: Floats, consensus: int, size: int) -> Floats:
    """Per cell: the consensus source's sum where present, else the mean of the sources'."""
    out = np.full(size, np.nan)
    if len(cell) == 0:
        return out
    n_src = int(source.max()) + 1
    if size * n_src <= _DENSE_LIMIT:  # few sources: one bincount, no group-by
        idx = cell * n_src + source
        sums = np.bincount(idx, weights=units, minlength=size * n_src).reshape(size, n_src)
        present = np.bincount(idx, minlength=size * n_src).reshape(size, n_src) > 0
        count = present.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(count > 0, np.where(present, sums, 0.0).sum(axis=1)
                           / np.maximum(count, 1), np.nan)
        if consensus >= 0:
            out = np.where(present[:, consensus], sums[:, consensus], out)
        return np.asarray(out, dtype=np.float64)
    per = pd.DataFrame({"cell": cell, "src": source, "u": units}) \
        .groupby(["cell", "src"], sort=False)["u"].sum().reset_index()
    mean = per.groupby("cell", sort=False)["u"].mean()
    out[mean.index.to_numpy()] = mean.to_numpy()
    cons = per[(per["src"] == consensus).to_numpy()]
    out[cons["cell"].to_numpy()] = cons["u"].to_numpy()
    return out


def sheet_grid(forecast: pd.DataFrame | None, keys: pd.DataFrame, week0: pd.Timestamp,
               n_weeks: int) -> Floats:
    """(len(keys) × n_weeks) Forecast sheet units per cell, NaN where there is no row."""
    n = len(keys)
    if forecast is None or len(forecast) == 0 or n == 0 or n_weeks == 0:
        return np.full((n, n_weeks), np.nan)
    i, k, ok = _placed(forecast, keys, week0, n_weeks)
    units = pd.to_numeric(forecast["units"], errors="coerce").to_numpy(dtype=float)
    ok &= ~np.isnan(units)
    codes, _ = _source_codes(forecast)
    # the sheet's sources are averaged equally (no consensus preference on the sheet)
    out = _combine(i[ok] * n_weeks + k[ok], codes[ok], units[ok], -1, n * n_weeks)
    return out.reshape(n, n_weeks)


def _records(history: pd.DataFrame | None, keys: pd.DataFrame, week0: pd.Timestamp,
             n_weeks: int) -> tuple[pd.DataFrame, int]:
    """History rows on the grid: cell, src, recorded (datetime64 or NaT), units."""
    empty = pd.DataFrame({"cell": np.zeros(0, np.int64), "src": np.zeros(0, np.int64),
                          "recorded": pd.Series([], dtype="datetime64[ns]"),
                          "units": np.zeros(0)})
    if history is None or len(history) == 0 or len(keys) == 0 or n_weeks == 0 \
            or not {"sku", "location"} <= set(history.columns):
        return empty, -1
    i, k, ok = _placed(history, keys, week0, n_weeks)
    units = pd.to_numeric(history["units"], errors="coerce").to_numpy(dtype=float)
    ok &= ~np.isnan(units)
    codes, consensus = _source_codes(history)
    recorded = pd.to_datetime(history["recorded"], errors="coerce").to_numpy(
        dtype="datetime64[ns]") if "recorded" in history.columns else \
        np.full(len(history), np.datetime64("NaT"), dtype="datetime64[ns]")
    rec = pd.DataFrame({"cell": i[ok] * n_weeks + k[ok], "src": codes[ok],
                        "recorded": recorded[ok], "units": units[ok]})
    return rec, consensus


def _latest(rec: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per (key, src): the rows of the latest ``recorded`` (summed)."""
    rec = rec.groupby([key, "src", "recorded"], sort=False, dropna=False)["units"].sum() \
        .reset_index().sort_values("recorded", kind="stable", na_position="first")
    return rec.groupby([key, "src"], sort=False).tail(1)


def recorded_grid(history: pd.DataFrame | None, keys: pd.DataFrame, week0: pd.Timestamp,
                  n_weeks: int) -> Floats:
    """(len(keys) × n_weeks) recorded forecast made before each week began, NaN where none."""
    n = len(keys)
    rec, consensus = _records(history, keys, week0, n_weeks)
    if len(rec) == 0:
        return np.full((n, n_weeks), np.nan)
    start_ns = pd.Timestamp(week0).to_datetime64().astype("datetime64[ns]")
    week_start = start_ns + (rec["cell"].to_numpy() % n_weeks) * np.timedelta64(7, "D")
    recorded = rec["recorded"].to_numpy(dtype="datetime64[ns]")
    rec = rec[np.isnat(recorded) | (recorded < week_start)]
    last = _latest(rec, "cell")
    out = _combine(last["cell"].to_numpy(), last["src"].to_numpy(),
                   last["units"].to_numpy(dtype=float), consensus, n * n_weeks)
    return out.reshape(n, n_weeks)


def recorded_before(history: pd.DataFrame | None, keys: pd.DataFrame, week0: pd.Timestamp,
                    n_weeks: int, i: Ints, k: Ints,
                    cutoff: npt.NDArray[np.datetime64]) -> Floats:
    """Per requested cell (grid row i, week k): the recorded forecast made before its
    ``cutoff``, NaN where none."""
    out = np.full(len(i), np.nan)
    rec, consensus = _records(history, keys, week0, n_weeks)
    if len(rec) == 0 or len(i) == 0:
        return out
    want = pd.DataFrame({"req": np.arange(len(i)), "cell": i * n_weeks + k,
                         "cutoff": np.asarray(cutoff, dtype="datetime64[ns]")})
    m = want.merge(rec, on="cell")
    recorded = m["recorded"].to_numpy(dtype="datetime64[ns]")
    m = m[np.isnat(recorded) | (recorded < m["cutoff"].to_numpy(dtype="datetime64[ns]"))]
    last = _latest(m, "req")
    return _combine(last["req"].to_numpy(), last["src"].to_numpy(),
                    last["units"].to_numpy(dtype=float), consensus, len(i))


def past_forecast(forecast: pd.DataFrame | None, history: pd.DataFrame | None,
                  keys: pd.DataFrame, week0: pd.Timestamp, n_weeks: int) \
        -> tuple[Floats, npt.NDArray[np.int8]]:
    """(units, basis) grids: recorded before the week began, else the Forecast sheet's row;
    basis BASIS_RECORDED, BASIS_SHEET or BASIS_NONE."""
    rec = recorded_grid(history, keys, week0, n_weeks)
    sheet = sheet_grid(forecast, keys, week0, n_weeks)
    basis = np.where(~np.isnan(rec), BASIS_RECORDED,
                     np.where(~np.isnan(sheet), BASIS_SHEET, BASIS_NONE)).astype(np.int8)
    return np.where(np.isnan(rec), sheet, rec), basis


def actual_grid(actuals: pd.DataFrame | None, keys: pd.DataFrame, week0: pd.Timestamp,
                n_weeks: int) -> tuple[Floats, npt.NDArray[np.bool_]]:
    """(units, stockout) arrays of shape (len(keys), n_weeks) from week ``week0`` on."""
    n = len(keys)
    units = np.full((n, n_weeks), np.nan)
    stockout = np.zeros((n, n_weeks), dtype=bool)
    if actuals is None or len(actuals) == 0 or n == 0 or n_weeks == 0:
        return units, stockout
    i, k, ok = _placed(actuals, keys, week0, n_weeks)
    qty = pd.to_numeric(actuals["units"], errors="coerce").to_numpy(dtype=float)
    ok &= ~np.isnan(qty)
    seen = np.zeros((n, n_weeks), dtype=bool)
    seen[i[ok], k[ok]] = True
    total = np.zeros((n, n_weeks))
    np.add.at(total, (i[ok], k[ok]), qty[ok])
    units[seen] = total[seen]
    out = np.array(actuals["stockout"].astype(object).eq(True), dtype=bool) \
        if "stockout" in actuals.columns else np.zeros(len(actuals), dtype=bool)
    if "on_hand_end" in actuals.columns:
        out = out | (pd.to_numeric(actuals["on_hand_end"], errors="coerce")
                     .to_numpy(dtype=float) <= 0)
    np.logical_or.at(stockout, (i[ok], k[ok]), out[ok])
    return units, stockout
