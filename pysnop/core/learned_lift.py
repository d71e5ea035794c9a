"""Learned lift: what past campaigns really did, and the lift the bridge projects
(docs/semantics.md, learned lift).

Realised lift of a past campaign (counted status, ended before the as-of week) over its
cells — its scoped sku-locations × the weeks its window touches, where Actuals have a row
and the week is not a stockout (a stockout censors the sales):

    realised = Σ actual ÷ Σ baseline − 1

The baseline of a cell is the forecast recorded before the campaign started (see
:mod:`pysnop.core.past_weeks`), else the mean actual of the sku-location's 4 latest clean
weeks before the campaign's first week (clean: an Actuals row, no counted campaign touching
it, not a stockout; fewer than 4 if fewer exist). Cells with neither are left out; a campaign
whose baseline sums to ≤ 0 has no realised lift.

A campaign's learned lift pools the realised lifts of the past campaigns that ended before it
started (itself excluded): those of the same sku, else the same category (Products, else
Inventory), else the same channel. With n of them and their mean r̄:

    learned = n ÷ (n + 2) × r̄ + 2 ÷ (n + 2) × planned

n = 0 keeps the plan. Settings lift_source picks what the bridge projects: planned, learned,
or cautious (the lower of the two).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import numpy.typing as npt
import pandas as pd

from pysnop.core import calendar
from pysnop.core.demand import place_campaigns
from pysnop.core.model import LIFT_SOURCES, PlanInputs
from pysnop.core.past_weeks import actual_grid, actual_span, recorded_before
from pysnop.core.values import stripped_texts
from pysnop.errors import DataError

Floats = npt.NDArray[np.float64]

PRIOR_WEIGHT = 2.0  # campaigns' worth of weight the plan keeps
BASELINE_WEEKS = 4
LEVELS = ("sku", "category", "channel")
LEARNED_COLUMNS = ["campaign_id", "row", "planned_lift", "realised_lift", "realised_cells",
                   "learned_lift", "learned_n", "learned_level", "projected_lift"]


def _text(values: pd.Series) -> pd.Series:
    """Stripped text, blank → None."""
    texts = stripped_texts(values.to_numpy(dtype=object))
    if texts is not None:  # the same cells as the general way below
        return pd.Series(texts, index=values.index, dtype=object, name=values.name)
    s = values.astype(object).where(values.notna()).astype("string").str.strip()
    s = s.where(s != "")
    return s.astype(object).where(s.notna(), None)


def _keys(inventory: pd.DataFrame | None, actuals: pd.DataFrame) -> pd.DataFrame:
    """Inventory's sku × locations, then those only Actuals know."""
    parts = [actuals[["sku", "location"]].astype(object)]
    if inventory is not None and len(inventory):
        parts.insert(0, inventory[["sku", "location"]].astype(object))
    return pd.concat(parts, ignore_index=True).drop_duplicates().reset_index(drop=True)


def realised_lifts(campaigns: pd.DataFrame, actuals: pd.DataFrame | None, *,
                   history: pd.DataFrame | None = None,
                   inventory: pd.DataFrame | None = None,
                   count_statuses: tuple[str, ...] = ("Planned", "Confirmed"),
                   as_of: dt.date | pd.Timestamp | None = None) -> pd.DataFrame:
    """Per Campaigns row: realised_lift (NaN unless past and measurable), realised_cells,
    actual_units, baseline_units, recorded_cells (cells whose baseline was recorded)."""
    n_c = len(campaigns)
    out = pd.DataFrame({"realised_lift": np.full(n_c, np.nan), "realised_cells": np.zeros(n_c),
                        "actual_units": np.full(n_c, np.nan),
                        "baseline_units": np.full(n_c, np.nan),
                        "recorded_cells": np.zeros(n_c)})
    if actuals is None or len(actuals) == 0 or n_c == 0:
        return out
    last_day = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.max.normalize()
    span = actual_span(actuals, last_day)
    if span is None:
        return out
    first, n_weeks = span
    week0 = calendar.monday_of(last_day) if as_of is not None else \
        first + pd.Timedelta(days=7 * n_weeks)
    keys = _keys(inventory, actuals)
    grid = place_campaigns(campaigns, keys, count_statuses, first, n_weeks)
    units, stockout = actual_grid(actuals, keys, first, n_weeks)
    promo = grid.promo_mask(len(keys))
    end = pd.to_datetime(campaigns["end"]).to_numpy(dtype="datetime64[ns]")
    past = grid.counted & (end < np.datetime64(week0)) & (grid.frac.sum(axis=1) > 0)
    use = past[grid.pair_campaign]
    if not use.any():
        return out
    c, i = grid.pair_campaign[use], grid.pair_key[use]
    window = grid.frac[c] > 0  # (pair, week)
    # fallback baseline: mean of the 4 latest clean weeks before the campaign's first week
    clean = ~np.isnan(units) & ~promo & ~stockout
    count = np.cumsum(clean, axis=1)
    start_k = np.argmax(window, axis=1)
    before = np.where(start_k > 0, count[i, np.maximum(start_k - 1, 0)], 0)
    w = np.arange(n_weeks)[None, :]
    pick = clean[i] & (w < start_k[:, None]) & (count[i] > (before - BASELINE_WEEKS)[:, None])
    picked = pick.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        fallback = np.where(picked > 0, np.where(pick, np.nan_to_num(units[i]), 0.0).sum(axis=1)
                            / np.maximum(picked, 1), np.nan)
    # the cells of each pair's window that count: an actual, no stockout
    cell = window & ~np.isnan(units[i]) & ~stockout[i]
    p, k = np.nonzero(cell)
    starts = pd.to_datetime(campaigns["start"]).to_numpy(dtype="datetime64[ns]")[c[p]]
    rec = recorded_before(history, keys, first, n_weeks, i[p], k.astype(np.int64), starts)
    base = np.where(np.isnan(rec), fallback[p], rec)
    ok = ~np.isnan(base)
    cc = c[p][ok]
    sums = {name: np.bincount(cc, weights=v, minlength=n_c) for name, v in
            (("act", units[i[p], k][ok]), ("base", base[ok]),
             ("cells", np.ones(ok.sum())), ("rec", (~np.isnan(rec))[ok].astype(float)))}
    measured = np.zeros(n_c, dtype=bool)
    measured[cc] = True
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = np.where(measured & (sums["base"] > 0), sums["act"] / sums["base"] - 1.0, np.nan)
    out["realised_lift"] = lift
    out["realised_cells"] = sums["cells"]
    out["actual_units"] = np.where(measured, sums["act"], np.nan)
    out["baseline_units"] = np.where(measured, sums["base"], np.nan)
    out["recorded_cells"] = sums["rec"]
    return out


def sku_categories(inventory: pd.DataFrame | None,
                   products: pd.DataFrame | None) -> dict[str, str]:
    """sku → category: Products first, else the sku's first Inventory category."""
    out: dict[str, str] = {}
    for frame in (inventory, products):  # later wins: Products over Inventory
        if frame is None or len(frame) == 0 or "category" not in frame.columns:
            continue
        pairs = pd.DataFrame({"sku": _text(frame["sku"]), "category": _text(frame["category"])})
        pairs = pairs.dropna().drop_duplicates("sku")
        out.update(zip(pairs["sku"], pairs["category"]))
    return out


def learned_lifts(campaigns: pd.DataFrame, actuals: pd.DataFrame | None, *,
                  history: pd.DataFrame | None = None, inventory: pd.DataFrame | None = None,
                  products: pd.DataFrame | None = None,
                  count_statuses: tuple[str, ...] = ("Planned", "Confirmed"),
                  as_of: dt.date | pd.Timestamp | None = None,
                  lift_source: str = "planned") -> pd.DataFrame:
    """Per Campaigns row (same order): LEARNED_COLUMNS.

    learned_level is ``sku``, ``category``, ``channel`` or None (n = 0: the plan);
    projected_lift is what ``lift_source`` makes the bridge project.
    """
    check_lift_source(lift_source)
    campaigns = planned_campaigns(campaigns)
    n_c = len(campaigns)
    real = realised_lifts(campaigns, actuals, history=history, inventory=inventory,
                          count_statuses=count_statuses, as_of=as_of)
    planned = pd.to_numeric(campaigns["lift"], errors="coerce").to_numpy(dtype=float) \
        if n_c else np.zeros(0)
    cat = sku_categories(inventory, products)
    sku = _text(campaigns["sku"]) if n_c else pd.Series([], dtype=object)
    channel = _text(campaigns["channel"]) if "channel" in campaigns.columns and n_c else \
        pd.Series([None] * n_c, dtype=object)
    table = pd.DataFrame({
        "idx": np.arange(n_c), "sku": sku.to_numpy(),
        "category": sku.map(cat).to_numpy() if n_c else [],
        "channel": channel.str.casefold().to_numpy() if n_c else [],
        "start": pd.to_datetime(campaigns["start"]).to_numpy() if n_c else [],
        "end": pd.to_datetime(campaigns["end"]).to_numpy() if n_c else [],
        "realised": real["realised_lift"].to_numpy()})
    pool = table.dropna(subset=["realised"])
    mean, count = np.full(n_c, np.nan), np.zeros(n_c)
    level = np.full(n_c, None, dtype=object)
    for name in LEVELS:  # three levels, each one vectorised merge
        todo = table[np.isnan(mean)].dropna(subset=[name])
        m = todo.merge(pool[[name, "idx", "end", "realised"]], on=name, suffixes=("", "_p"))
        m = m[(m["idx_p"] != m["idx"]).to_numpy() & (m["end_p"] < m["start"]).to_numpy()]
        g = m.groupby("idx")["realised_p"].agg(["mean", "size"])
        at = g.index.to_numpy(dtype=np.int64)
        mean[at], count[at], level[at] = g["mean"].to_numpy(), g["size"].to_numpy(), name
    plan = np.nan_to_num(planned, nan=0.0)
    weight = count / (count + PRIOR_WEIGHT)
    learned = np.where(count > 0, weight * np.nan_to_num(mean) + (1.0 - weight) * plan, planned)
    out = pd.DataFrame({
        "campaign_id": campaigns["campaign_id"].to_numpy(dtype=object) if n_c else [],
        "row": campaigns["row"].to_numpy() if "row" in campaigns.columns else np.full(n_c, -1),
        "planned_lift": planned, "realised_lift": real["realised_lift"].to_numpy(),
        "realised_cells": real["realised_cells"].to_numpy().astype(np.int64),
        "learned_lift": learned, "learned_n": count.astype(np.int64),
        "learned_level": pd.Series(level, dtype=object)})
    out["projected_lift"] = projected_lift(planned, learned, lift_source)
    return out[LEARNED_COLUMNS]


def planned_campaigns(campaigns: pd.DataFrame) -> pd.DataFrame:
    """Campaigns with marketing's planned lift in ``lift`` (undoing :func:`apply_lift_source`)
    — what stood for past weeks."""
    if "planned_lift" not in campaigns.columns:
        return campaigns
    return campaigns.assign(lift=campaigns["planned_lift"]).drop(columns="planned_lift")


def check_lift_source(lift_source: str) -> None:
    if lift_source not in LIFT_SOURCES:
        raise DataError(f'lift_source "{lift_source}" is not one of {", ".join(LIFT_SOURCES)}',
                        sheet="Settings", column="lift_source", value=lift_source)


def projected_lift(planned: Floats, learned: Floats, lift_source: str) -> Floats:
    """The lift the bridge projects: planned, learned, or the lower of the two (cautious)."""
    check_lift_source(lift_source)
    if lift_source == "planned":
        return np.asarray(planned, dtype=float)
    if lift_source == "learned":
        return np.where(np.isnan(learned), planned, learned)
    return np.fmin(planned, learned)


def apply_lift_source(campaigns: pd.DataFrame, learned: pd.DataFrame,
                      lift_source: str) -> pd.DataFrame:
    """Campaigns with ``lift`` = the projected lift and ``planned_lift`` = marketing's plan.

    ``learned`` is :func:`learned_lifts`'s frame for the same Campaigns rows (same order).
    With ``planned`` the frame comes back unchanged (no planned_lift column added).
    """
    check_lift_source(lift_source)
    campaigns = planned_campaigns(campaigns)
    if lift_source == "planned":
        return campaigns
    out = campaigns.copy()
    planned = pd.to_numeric(campaigns["lift"], errors="coerce").to_numpy(dtype=float)
    out["planned_lift"] = planned
    out["lift"] = projected_lift(planned, learned["learned_lift"].to_numpy(dtype=float),
                                 lift_source)
    return out


def with_lift_source(inputs: PlanInputs, history: pd.DataFrame | None = None) \
        -> tuple[PlanInputs, pd.DataFrame]:
    """The pre-step before run_bridge: inputs whose Campaigns project Settings lift_source,
    and the learned-lift frame the Campaigns sheet shows beside the plan."""
    s = inputs.settings
    learned = learned_lifts(inputs.campaigns, inputs.actuals, history=history,
                            inventory=inputs.inventory, products=inputs.products,
                            count_statuses=s.count_statuses, as_of=s.resolved_as_of(),
                            lift_source=s.lift_source)
    campaigns = apply_lift_source(inputs.campaigns, learned, s.lift_source)
    return dataclasses.replace(inputs, campaigns=campaigns), learned
