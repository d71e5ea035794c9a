"""Demand sensing: the tracking signal per sku × location, DEMAND SHIFT records, and what a
shift does to the risks (docs/semantics.md, demand sensing).

- The weeks: the last week L is the latest Actuals week before the as-of week; the window is
  L−3 .. L (4 weeks). History is every Actuals week up to L.
- A cell's forecast is the demand that stood for it: the past baseline (recorded before the
  week began, else the Forecast sheet's row: :mod:`pysnop.core.past_weeks`) × (1 + Σ lift ×
  frac) of the counted campaigns touching it (so a promo week is judged against its promo
  demand, not as a shift). Cells without an actual or a forecast, and stockout weeks (their
  sales are censored), are left out.
- error e = actual − forecast; MAD = mean |e| over the sku × location's history cells (window
  included); tracking signal TS = Σ_window e ÷ MAD (0 when MAD is 0).
- |TS| > 4 is a DEMAND SHIFT, UP when TS > 0, else DOWN; ratio = Σ_window actual ÷
  Σ_window forecast. It is routed to Supply and Marketing.
- The re-projection scales the Forecast rows (sku × location rows, horizon weeks) of each
  shifted sku × location by its ratio and runs the bridge again; the risks it creates,
  removes, worsens or eases are listed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from pysnop.core import calendar
from pysnop.core.bridge import run_bridge
from pysnop.core.demand import key_lookup, place_campaigns
from pysnop.core.learned_lift import planned_campaigns
from pysnop.core.model import BridgeResult, PlanInputs
from pysnop.core.past_weeks import (
    BASIS_RECORDED,
    BASIS_SHEET,
    actual_grid,
    actual_span,
    past_forecast,
)

Floats = npt.NDArray[np.float64]

DEMAND_SHIFT = "DEMAND SHIFT"
ROUTED_TO = ("Supply", "Marketing")
WINDOW_WEEKS = 4
LIMIT = 4.0
SIGNAL_COLUMNS = ["sku", "location", "row", "tracking_signal", "mad", "window_error",
                  "window_cells", "history_cells", "actual_units", "forecast_units", "ratio",
                  "direction", "shift", "first_week", "last_week", "forecast_basis"]
CHANGE_COLUMNS = ["sku", "location", "shifted", "change", "status_before", "status_after",
                  "first_risk_before", "first_risk_after", "lost_before", "lost_after",
                  "margin_at_risk_before", "margin_at_risk_after"]


def tracking_signals(inputs: PlanInputs, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per Inventory sku × location: SIGNAL_COLUMNS (shift = |TS| > 4).

    Past weeks are judged with marketing's planned lift (``planned_lift`` where a lift
    source replaced ``lift``): the plan is what stood for them.
    """
    inv = inputs.inventory.reset_index(drop=True)
    keys = pd.DataFrame({"sku": inv["sku"].astype(object),
                         "location": inv["location"].astype(object)})
    n = len(keys)
    out = pd.DataFrame({"sku": keys["sku"], "location": keys["location"],
                        "row": inv["row"].to_numpy() if "row" in inv.columns
                        else np.full(n, -1)})
    act = inputs.actuals
    span = actual_span(act, pd.Timestamp(inputs.settings.resolved_as_of()))
    if n == 0 or span is None:
        return _empty_signals(out)
    first, n_weeks = span
    last = first + pd.Timedelta(days=7 * (n_weeks - 1))
    units, stockout = actual_grid(act, keys, first, n_weeks)
    grid = place_campaigns(planned_campaigns(inputs.campaigns), keys,
                           inputs.settings.count_statuses, first, n_weeks)
    base, basis_grid = past_forecast(inputs.forecast, history, keys, first, n_weeks)
    fc_grid = base * (1.0 + grid.lift_factor(n))
    i, k = np.nonzero(~np.isnan(units) & ~stockout & ~np.isnan(fc_grid))
    fc, basis = fc_grid[i, k], basis_grid[i, k]
    actual = units[i, k]
    err = actual - fc
    in_window = k >= n_weeks - WINDOW_WEEKS

    def per_key(values: Floats) -> Floats:
        return np.bincount(i, weights=values, minlength=n).astype(np.float64)

    history_cells = per_key(np.ones(len(i)))
    window_cells = per_key(in_window.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        mad = np.where(history_cells > 0, per_key(np.abs(err)) / history_cells, np.nan)
        window_error = np.where(window_cells > 0, per_key(np.where(in_window, err, 0.0)),
                                np.nan)
        signal = np.where(mad > 0, window_error / np.where(mad > 0, mad, 1.0),
                          np.where(window_cells > 0, 0.0, np.nan))
        act_w = per_key(np.where(in_window, actual, 0.0))
        fc_w = per_key(np.where(in_window, fc, 0.0))
        ratio = np.where((window_cells > 0) & (fc_w > 0), act_w / np.where(fc_w > 0, fc_w, 1),
                         np.nan)
    recorded = per_key((basis == BASIS_RECORDED).astype(float))
    sheet = per_key((basis == BASIS_SHEET).astype(float))
    shift = np.abs(np.nan_to_num(signal)) > LIMIT
    out["tracking_signal"] = signal
    out["mad"] = mad
    out["window_error"] = window_error
    out["window_cells"] = window_cells.astype(np.int64)
    out["history_cells"] = history_cells.astype(np.int64)
    out["actual_units"] = np.where(window_cells > 0, act_w, np.nan)
    out["forecast_units"] = np.where(window_cells > 0, fc_w, np.nan)
    out["ratio"] = ratio
    out["direction"] = _labels(n, (shift & (signal < 0), "DOWN"), (shift & (signal > 0), "UP"))
    out["shift"] = shift
    out["first_week"] = last - pd.Timedelta(days=7 * (WINDOW_WEEKS - 1))
    out["last_week"] = last
    out["forecast_basis"] = _labels(n, (sheet > 0, "sheet"), (recorded > 0, "recorded"),
                                    ((recorded > 0) & (sheet > 0), "mixed"))
    return out[SIGNAL_COLUMNS]


def _labels(n: int, *rules: tuple[npt.NDArray[np.bool_], str]) -> pd.Series:
    """Text per row: the last rule whose mask holds, else None."""
    out = np.full(n, None, dtype=object)
    for mask, text in rules:
        out[mask] = text
    return pd.Series(out, dtype="object")


def _empty_signals(out: pd.DataFrame) -> pd.DataFrame:
    n = len(out)
    for col in ("tracking_signal", "mad", "window_error", "actual_units", "forecast_units",
                "ratio"):
        out[col] = np.full(n, np.nan)
    out["window_cells"] = out["history_cells"] = np.zeros(n, dtype=np.int64)
    out["direction"] = _labels(n)
    out["shift"] = np.zeros(n, dtype=bool)
    out["first_week"] = out["last_week"] = pd.NaT
    out["forecast_basis"] = _labels(n)
    return out[SIGNAL_COLUMNS]


def demand_shifts(signals: pd.DataFrame) -> pd.DataFrame:
    """The DEMAND SHIFT records: the shifted rows, with kind and the functions they go to."""
    shifts = signals[signals["shift"].to_numpy(dtype=bool)].reset_index(drop=True)
    return shifts.assign(kind=DEMAND_SHIFT, routed_to=", ".join(ROUTED_TO))


def scaled_inputs(inputs: PlanInputs, shifts: pd.DataFrame) -> PlanInputs:
    """Inputs whose Forecast rows (sku × location, weeks from the as-of week on) of each
    shifted sku × location are multiplied by its ratio (a blank ratio scales nothing)."""
    fc = inputs.forecast
    use = shifts.dropna(subset=["ratio"])
    if fc is None or len(fc) == 0 or len(use) == 0:
        return inputs
    pos = key_lookup(use[["sku", "location"]], fc["sku"].to_numpy(), fc["location"].to_numpy())
    has_keys = fc["sku"].notna().to_numpy() & fc["location"].notna().to_numpy()
    week0 = calendar.monday_of(inputs.settings.resolved_as_of())
    future = calendar.week_index(fc["week"].to_numpy(), week0) >= 0
    hit = has_keys & (pos >= 0) & future
    factor = np.where(hit, use["ratio"].to_numpy(dtype=float)[np.maximum(pos, 0)], 1.0)
    scaled = fc.copy()
    scaled["units"] = pd.to_numeric(fc["units"], errors="coerce").to_numpy(dtype=float) * factor
    return dataclasses.replace(inputs, forecast=scaled)


@dataclasses.dataclass
class ShiftImpact:
    """The re-projection at the shifted demand and how its risks differ (CHANGE_COLUMNS,
    one row per sku × location whose status, first risk week or lost units changed)."""

    result: BridgeResult
    changes: pd.DataFrame


def shift_impact(inputs: PlanInputs, shifts: pd.DataFrame, before: BridgeResult, *,
                 project: Callable[[PlanInputs], BridgeResult] = run_bridge) -> ShiftImpact:
    """Run ``project`` on the scaled inputs and compare its risks with ``before``."""
    after = project(scaled_inputs(inputs, shifts))
    cols = ["sku", "location", "status", "first_risk_week", "lost_units", "margin_at_risk"]
    a = before.summary[cols].astype({"sku": str, "location": str})
    b = after.summary[cols].astype({"sku": str, "location": str})
    m = a.merge(b, on=["sku", "location"], suffixes=("_before", "_after"), how="outer")
    rank = {"OK": 0, "AT RISK": 1, "STOCKOUT": 2}
    sb = m["status_before"].map(rank).fillna(0).to_numpy()
    sa = m["status_after"].map(rank).fillna(0).to_numpy()
    fb = m["first_risk_week_before"].to_numpy(dtype="datetime64[ns]")
    fa = m["first_risk_week_after"].to_numpy(dtype="datetime64[ns]")
    lb = m["lost_units_before"].to_numpy(dtype=float)
    la = m["lost_units_after"].to_numpy(dtype=float)
    earlier = ~np.isnat(fa) & (np.isnat(fb) | (fa < fb))
    later = ~np.isnat(fb) & (np.isnat(fa) | (fa > fb))
    change = np.select(
        [(sb == 0) & (sa > 0), (sb > 0) & (sa == 0),
         (sa > sb) | ((sa > 0) & earlier) | ((sa > 0) & (la > lb + 1e-9)),
         (sa < sb) | ((sb > 0) & later) | ((sb > 0) & (la < lb - 1e-9))],
        ["creates risk", "removes risk", "worse", "better"], default="")
    m["change"] = change
    key = pd.MultiIndex.from_arrays([m["sku"], m["location"]])
    m["shifted"] = key.isin(pd.MultiIndex.from_arrays(
        [shifts["sku"].astype(str), shifts["location"].astype(str)]))
    m = m.rename(columns={"first_risk_week_before": "first_risk_before",
                          "first_risk_week_after": "first_risk_after",
                          "lost_units_before": "lost_before", "lost_units_after": "lost_after"})
    changes = m[m["change"] != ""].reset_index(drop=True)[CHANGE_COLUMNS]
    return ShiftImpact(after, changes)
