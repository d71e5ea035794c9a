"""Past weeks: the Actuals on a sku-location × week grid, and the forecast that stood for
each past week — what learned lift, the tracking signal and the scorecard compare the
actuals against (docs/semantics.md, demand sensing).

Actuals on the grid: units summed per cell (NaN where the cell has no Actuals row); a cell
is a stockout when any of its rows says ``stockout`` TRUE or has ``on_hand_end`` ≤ 0.

A *cell* is one sku × location × week. Its forecast is, in order:

1. recorded: the forecasts recorded in earlier cycles (the consensus history: sku, location,
   week, source, units, recorded) at sku × location level, made before the cell's cut-off
   (the week's Monday for the tracking signal, the campaign's start for learned lift). Per
   source the latest such record counts (its rows summed); the ``Consensus`` source wins
   where it was recorded, else the sources present are averaged with equal weights. A
   history without a ``recorded`` column counts every row (summed per source).
2. sheet: the Forecast sheet's own sku × location rows for that week (summed per source,
   the sources averaged with equal weights, as the bridge does).
3. none: NaN.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from pysnop.core.consensus import CONSENSUS, monday

Floats = npt.NDArray[np.float64]

BASIS_RECORDED, BASIS_SHEET = "recorded", "sheet"


def _bottom(frame: pd.DataFrame) -> pd.DataFrame:
    """sku × location rows (both keys filled) with text keys, the week's Monday, a source."""
    if frame is None or len(frame) == 0 or not {"sku", "location"} <= set(frame.columns):
        return pd.DataFrame(columns=["sku", "location", "week", "source", "units"])
    keep = frame["sku"].notna().to_numpy() & frame["location"].notna().to_numpy()
    f = frame[keep]
    source = f["source"].astype(object) if "source" in f.columns else \
        pd.Series([None] * len(f), index=f.index, dtype=object)
    out = pd.DataFrame({
        "sku": f["sku"].astype(str).str.strip().to_numpy(),
        "location": f["location"].astype(str).str.strip().to_numpy(),
        "week": monday(f["week"].to_numpy()).to_numpy(),
        "source": source.where(source.notna(), "").astype(str).str.strip().to_numpy(),
        "units": pd.to_numeric(f["units"], errors="coerce").to_numpy(dtype=float)})
    if "recorded" in f.columns:
        out["recorded"] = pd.to_datetime(f["recorded"], errors="coerce").to_numpy()
    return out.dropna(subset=["units", "week"])


def _cell_frame(cells: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"cell": np.arange(len(cells)),
                         "sku": cells["sku"].astype(str).to_numpy(),
                         "location": cells["location"].astype(str).to_numpy(),
                         "week": monday(cells["week"].to_numpy()).to_numpy()})


def _per_cell(rows: pd.DataFrame, n: int) -> Floats:
    """Rows (cell, source, units) → one value per cell: Consensus if there, else the mean."""
    out = np.full(n, np.nan)
    if len(rows) == 0:
        return out
    per_source = rows.groupby(["cell", "source"], sort=False)["units"].sum().reset_index()
    is_cons = per_source["source"].str.casefold() == CONSENSUS.casefold()
    mean = per_source.groupby("cell")["units"].mean()
    out[mean.index.to_numpy()] = mean.to_numpy()
    cons = per_source[is_cons.to_numpy()]
    out[cons["cell"].to_numpy()] = cons["units"].to_numpy()
    return out


def recorded_forecast(history: pd.DataFrame | None, cells: pd.DataFrame) -> Floats:
    """Per cell (sku, location, week, cutoff): the recorded forecast made before ``cutoff``.

    NaN where nothing was recorded in time. See the module doc for the rule.
    """
    n = len(cells)
    hist = _bottom(history) if history is not None else _bottom(pd.DataFrame())
    if n == 0 or len(hist) == 0:
        return np.full(n, np.nan)
    cf = _cell_frame(cells)
    cf["cutoff"] = pd.to_datetime(cells["cutoff"]).to_numpy()
    m = cf.merge(hist, on=["sku", "location", "week"])
    if "recorded" in m.columns:
        m = m[(m["recorded"] < m["cutoff"]).to_numpy()]
        m = m.groupby(["cell", "source", "recorded"], sort=False)["units"].sum().reset_index()
        m = m.sort_values("recorded", kind="stable").groupby(["cell", "source"]).tail(1)
    return _per_cell(m[["cell", "source", "units"]], n)


def sheet_forecast(forecast: pd.DataFrame | None, cells: pd.DataFrame) -> Floats:
    """Per cell (sku, location, week): the Forecast sheet's rows for it, NaN where none."""
    n = len(cells)
    fc = _bottom(forecast) if forecast is not None else _bottom(pd.DataFrame())
    if n == 0 or len(fc) == 0:
        return np.full(n, np.nan)
    m = _cell_frame(cells).merge(fc, on=["sku", "location", "week"])
    return _per_cell(m[["cell", "source", "units"]], n)


def past_forecast(forecast: pd.DataFrame | None, history: pd.DataFrame | None,
                  cells: pd.DataFrame) -> tuple[Floats, npt.NDArray[np.object_]]:
    """Per cell: (units, basis) — recorded before ``cutoff`` (default: the week's Monday),
    else the Forecast sheet's row; basis ``recorded``, ``sheet`` or None."""
    if "cutoff" not in cells.columns:
        cells = cells.assign(cutoff=monday(cells["week"].to_numpy()).to_numpy())
    rec = recorded_forecast(history, cells)
    sheet = sheet_forecast(forecast, cells)
    basis = np.full(len(cells), None, dtype=object)
    basis[~np.isnan(sheet)] = BASIS_SHEET
    basis[~np.isnan(rec)] = BASIS_RECORDED
    return np.where(np.isnan(rec), sheet, rec), basis


def actual_grid(actuals: pd.DataFrame | None, keys: pd.DataFrame, week0: pd.Timestamp,
                n_weeks: int) -> tuple[Floats, npt.NDArray[np.bool_]]:
    """(units, stockout) arrays of shape (len(keys), n_weeks) from week ``week0`` on."""
    n = len(keys)
    units = np.full((n, n_weeks), np.nan)
    stockout = np.zeros((n, n_weeks), dtype=bool)
    if actuals is None or len(actuals) == 0 or n == 0 or n_weeks == 0:
        return units, stockout
    index = pd.MultiIndex.from_arrays([keys["sku"].astype(str), keys["location"].astype(str)])
    i = index.get_indexer(pd.MultiIndex.from_arrays([actuals["sku"].astype(str),
                                                     actuals["location"].astype(str)]))
    weeks = monday(actuals["week"].to_numpy())
    k = ((weeks - pd.Timestamp(week0)).dt.days // 7).to_numpy()
    k = np.where(np.isnan(k.astype(float)), -1, k).astype(np.int64)
    ok = (i >= 0) & (k >= 0) & (k < n_weeks)
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
