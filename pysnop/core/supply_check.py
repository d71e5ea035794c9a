"""Marketing's supply check: can supply carry each campaign as planned?
(docs/semantics.md §1, the campaign supply check)

Every campaign is judged on its scoped sku-locations with all *other* counted campaigns in
place. A Draft or Planned-but-not-counted campaign is judged as if it were added, so marketing
sees what supply can support before confirming. Work is done on (pair × week) arrays, where a
pair is one campaign at one sku-location, and reduced to campaigns with ``np.*.at``.

Definitions (per campaign c with planned lift λ, over its scoped pairs p):
- window: the weeks the campaign touches inside the horizon.
- supply_status: worst weekly status in the window with c as planned.
- coverage: at each scoped location, (projected on-hand entering the window + receipts in the
  window) ÷ demand in the window; the campaign's is the lowest of them (the tightest location),
  so a coverage below 1 always means a stockout in the window there — never a chain total
  that hides a short store.
- max supportable lift: the largest lift ≤ λ keeping every week the campaign affects at or
  above threshold, floored to 0.01 % (0 if even no lift keeps them there).
- earliest safe start: the first start, in whole weeks from the planned one (same duration,
  window ending inside the horizon), at which λ keeps every affected week at or above threshold.
- margin_at_risk: units lost (lost-sales run) in the window weeks × unit margin.
- note: one sentence; where the lift is capped it names the location that limits it (the one
  with the lowest supportable lift, ties by location code): "supports at most 50% lift
  (limited by S1)", "stock is short even without this lift (at S1)".
Status, coverage and max lift are all read on the same scoped locations (docs/semantics.md,
campaign supply check).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core import calendar
from pysnop.core.bridge_math import cumulative_lost, weekly_status
from pysnop.core.demand import CampaignGrid
from pysnop.core.model import STATUS_LABELS, STATUS_OK

LIFT_STEP = 1e-4


def campaign_supply_check(campaigns: pd.DataFrame, grid: CampaignGrid, *, keys: pd.DataFrame,
                          weeks: pd.DatetimeIndex, baseline: NDArray[np.float64],
                          lift_units: NDArray[np.float64], receipts: NDArray[np.float64],
                          poh: NDArray[np.float64], safety: NDArray[np.float64],
                          margin: NDArray[np.float64], risk_buffer: float) -> pd.DataFrame:
    n_c = len(campaigns)
    horizon = len(weeks)
    rows = campaigns["row"].to_numpy() if "row" in campaigns else np.full(n_c, -1)
    out = pd.DataFrame({
        "campaign_id": campaigns["campaign_id"].to_numpy(dtype=object) if n_c else [],
        "row": rows,
        "supply_status": np.full(n_c, None, dtype=object),
        "coverage": np.full(n_c, np.nan),
        "max_supportable_lift": np.full(n_c, np.nan),
        "earliest_safe_start": pd.Series(pd.NaT, index=range(n_c), dtype="datetime64[ns]"),
        "margin_at_risk": np.full(n_c, np.nan),
        "note": np.full(n_c, "", dtype=object),
    })
    if n_c == 0:
        return out

    has_pairs = np.zeros(n_c, dtype=bool)
    has_pairs[grid.pair_campaign] = True
    in_horizon = grid.frac.sum(axis=1) > 0
    notes = out["note"].to_numpy()
    notes[~has_pairs] = "no location in scope stocks this sku: not checked"
    notes[has_pairs & ~in_horizon] = "outside the planning horizon: not checked"
    notes[grid.cancelled] = "cancelled: not checked"

    use = has_pairs[grid.pair_campaign] & in_horizon[grid.pair_campaign] \
        & ~grid.cancelled[grid.pair_campaign]
    c, i = grid.pair_campaign[use], grid.pair_key[use]
    if len(c) == 0:
        out["note"] = notes
        return out
    lam = grid.lift[c][:, None]
    frac = grid.frac[c]
    base = baseline[i]
    added = base * frac  # demand one unit of lift adds, per week
    added_cum = np.cumsum(added, axis=1)
    counted = grid.counted[c][:, None]
    # the pair's projection without this campaign, then with it exactly as planned
    poh_other = poh[i] + np.where(counted, lam * added_cum, 0.0)
    lift_other = lift_units[i] - np.where(counted, lam * added, 0.0)
    poh_with = np.round(poh_other - lam * added_cum, 9)
    lift_with = lift_other + lam * added
    threshold_with = np.round(safety[i][:, None] + risk_buffer * lift_with, 9)
    demand_with = base + lift_with

    window = frac > 0
    status = np.where(window, weekly_status(poh_with, threshold_with), STATUS_OK)
    worst = np.zeros(n_c, dtype=np.int8)
    np.maximum.at(worst, c, status.max(axis=1))

    first = np.argmax(window, axis=1)
    last = horizon - 1 - np.argmax(window[:, ::-1], axis=1)
    rows_p = np.arange(len(c))
    entering = np.where(first > 0, poh_with[rows_p, np.maximum(first - 1, 0)],
                        poh_with[rows_p, 0] - receipts[i][:, 0] + demand_with[:, 0])
    supply = entering + (receipts[i] * window).sum(axis=1)
    need = (demand_with * window).sum(axis=1)
    coverage = tightest(c, supply, need, n_c)

    # lift bound: slack ≥ λ' × (added_cum + risk_buffer × added) on every affected week
    slack = poh_other - (safety[i][:, None] + risk_buffer * lift_other)
    per_unit = added_cum + risk_buffer * added
    bound = np.where(per_unit > 0, slack / np.where(per_unit > 0, per_unit, 1.0), np.inf)
    max_lift = np.full(n_c, np.inf)
    pair_bound = bound.min(axis=1)
    np.minimum.at(max_lift, c, pair_bound)
    limit = limiting(c, pair_bound, keys["location"].to_numpy(dtype=object)[i], n_c)
    planned = grid.lift
    capped = np.where(max_lift >= planned, planned,
                      np.floor(np.maximum(max_lift, 0.0) / LIFT_STEP) * LIFT_STEP)

    lost = cumulative_lost(poh_with)
    before = np.where(first > 0, lost[rows_p, np.maximum(first - 1, 0)], 0.0)
    lost_window = lost[rows_p, last] - before
    money = np.zeros(n_c)
    np.add.at(money, c, lost_window * np.nan_to_num(margin[i], nan=0.0))

    safe_start = _earliest_safe_start(grid, c, slack, risk_buffer, base, weeks)

    checked = np.zeros(n_c, dtype=bool)
    checked[c] = True
    out.loc[checked, "supply_status"] = STATUS_LABELS[worst[checked]]
    # float columns, NaN where not checked: set whole
    out["coverage"] = np.where(checked, coverage, np.nan)
    out["max_supportable_lift"] = np.where(checked, np.where(planned > 0, capped, planned),
                                           np.nan)
    out["margin_at_risk"] = np.where(checked, money, np.nan)
    out["earliest_safe_start"] = safe_start
    notes[checked] = _notes(worst, planned, capped, safe_start, grid, checked, limit)
    out["note"] = notes
    return out


def _earliest_safe_start(grid: CampaignGrid, c: NDArray[np.int64], slack: NDArray[np.float64],
                         risk_buffer: float, base: NDArray[np.float64],
                         weeks: pd.DatetimeIndex) -> pd.Series:
    """Shift each campaign by 0..H-1 whole weeks; the first shift that keeps it safe wins."""
    n_c, horizon = grid.frac.shape
    week0 = weeks[0]
    last_day = np.datetime64(week0.date(), "D").astype(np.int64) + 7 * horizon - 1
    shifts = 7 * np.arange(horizon)
    start = grid.start_days[:, None] + shifts[None, :]  # (campaign, shift)
    end = grid.end_days[:, None] + shifts[None, :]
    frac = calendar.overlap_fraction(start.reshape(-1), end.reshape(-1), week0, horizon) \
        .reshape(n_c, horizon, horizon)
    lam = grid.lift[c][:, None, None]
    added = base[:, None, :] * frac[c]  # (pair, shift, week)
    per_unit = np.cumsum(added, axis=2) + risk_buffer * added
    ok_pair = ((lam * per_unit <= slack[:, None, :] + 1e-9) | (per_unit <= 0)).all(axis=2)
    ok = np.ones((n_c, horizon), dtype=bool)
    np.logical_and.at(ok, c, ok_pair)
    ok &= end <= last_day  # judged only where the whole window is projected
    ok &= (grid.lift > 0)[:, None] | (shifts == 0)[None, :]
    found = ok.any(axis=1)
    first = np.argmax(ok, axis=1)
    days = start[np.arange(n_c), first]
    safe = pd.Series(calendar.days_to_timestamps(days))
    checked = np.zeros(n_c, dtype=bool)
    checked[c] = True
    return safe.where(found & checked)


def tightest(c: np.ndarray, supply: np.ndarray, need: np.ndarray, n_c: int) -> np.ndarray:
    """Per campaign, the lowest supply ÷ need among its locations with a need (NaN: none)."""
    out = np.full(n_c, np.inf)
    has = need > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(has, supply / np.where(has, need, 1.0), np.inf)
    np.minimum.at(out, c, ratio)
    return np.where(np.isfinite(out), out, np.nan)


def limiting(c: np.ndarray, bound: np.ndarray, location: np.ndarray, n_c: int) -> np.ndarray:
    """Per campaign, the location with the lowest bound (ties: the first location code)."""
    out = np.full(n_c, None, dtype=object)
    if len(c) == 0:
        return out
    codes = location.astype(str)
    order = np.lexsort((codes, bound, c))
    first = order[np.r_[True, c[order][1:] != c[order][:-1]]]
    out[c[first]] = location[first]
    return out


def _notes(worst: NDArray[np.int8], planned: NDArray[np.float64], capped: NDArray[np.float64],
           safe_start: pd.Series, grid: CampaignGrid, checked: NDArray[np.bool_],
           limit: NDArray[np.object_] | None = None) -> list[str]:
    """One plain sentence per checked campaign, for marketing; ``limit`` names, per campaign,
    the location that caps its lift."""
    notes = []
    starts = safe_start.tolist()
    for k in np.flatnonzero(checked):
        short = planned[k] > 0 and capped[k] < planned[k]
        if worst[k] == STATUS_OK and not short:
            parts = ["supply supports the plan"]
        else:
            parts = [f"{STATUS_LABELS[worst[k]].lower()} in the window" if worst[k] != STATUS_OK
                     else "ok in the window, but stock falls below threshold later"]
            if short:
                where = limit[k] if limit is not None else None
                parts.append((f"supports at most {capped[k]:.1%} lift"
                              + (f" (limited by {where})" if where else "")) if capped[k] > 0
                             else "stock is short even without this lift"
                             + (f" (at {where})" if where else ""))
            if pd.notna(starts[k]):
                parts.append(f"safe from {starts[k]:%Y-%m-%d}")
            else:
                parts.append("no safe start within the horizon")
        if not grid.counted[k]:
            parts.append("checked as if confirmed")
        notes.append("; ".join(parts))
    return notes
