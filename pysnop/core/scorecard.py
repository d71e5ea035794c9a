"""The S&OP scorecard: pure functions from Actuals and recorded forecasts.

Definitions (weekly figures sum over every sku×location of the Actuals):

* promo stockout rate = promoted stockouts ÷ promoted cells, a promoted cell being a
  sku-location-week touched by a counted campaign, a stockout being ``stockout`` TRUE or
  ``on_hand_end`` ≤ 0;
* WAPE = Σ|F−A| ÷ Σ|A|, bias = Σ(F−A) ÷ ΣA, per source (the consensus is one more source),
  with the actual summed to the forecast's node;
* forecast value added FVA = WAPE of the naive forecast (last week's actual) − WAPE of the
  source, both on the cells where the naive forecast exists (positive = better than naive);
* inventory turn = Σ units sold ÷ average on_hand_end × 52 ÷ weeks;
* weeks of supply = on_hand_end ÷ mean weekly units sold over the trailing 4 weeks
  (the week itself and the 3 before).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core.consensus import _accuracy, _window, matched, monday
from pysnop.core.demand import place_campaigns
from pysnop.core.hierarchy import Hierarchy, build_hierarchy

WOS_WEEKS = 4


@dataclass
class Scorecard:
    """weekly: week, quarter, promoted_cells, promoted_stockouts, promo_stockout_rate,
    units_sold, on_hand_end, inventory_turn, weeks_of_supply.
    quarterly: the same per quarter (weeks = weeks with actuals; weeks_of_supply of the
    quarter's last week).
    accuracy: per source over the trailing window: cells, wape, bias, naive_wape, fva.
    accuracy_weekly / accuracy_quarterly: the same by week / quarter and source."""

    weekly: pd.DataFrame
    quarterly: pd.DataFrame
    accuracy: pd.DataFrame
    accuracy_weekly: pd.DataFrame
    accuracy_quarterly: pd.DataFrame


def quarter_label(weeks: Iterable[object]) -> NDArray[np.object_]:
    """The quarter of each week's Monday, e.g. ``2026Q4``."""
    labels: NDArray[np.object_] = pd.DatetimeIndex(weeks).to_period("Q").astype(str) \
        .to_numpy(dtype=object)
    return labels


def promoted(actuals: pd.DataFrame, campaigns: pd.DataFrame | None,
             count_statuses: Iterable[str] = ("Planned", "Confirmed")) -> NDArray[np.bool_]:
    """For each Actuals row: is its sku-location-week touched by a counted campaign?"""
    n = len(actuals)
    if campaigns is None or len(campaigns) == 0 or n == 0:
        return np.zeros(n, dtype=bool)
    weeks = monday(actuals["week"].to_numpy())
    keys = actuals[["sku", "location"]].astype(object).drop_duplicates().reset_index(drop=True)
    week0 = weeks.min()
    horizon = int((weeks.max() - week0).days // 7) + 1
    grid = place_campaigns(campaigns, keys, count_statuses, week0, horizon)
    mask = grid.promo_mask(len(keys))
    index = pd.MultiIndex.from_frame(keys)
    i = index.get_indexer(pd.MultiIndex.from_frame(actuals[["sku", "location"]].astype(object)))
    k = ((weeks - week0).dt.days // 7).to_numpy()
    touched: NDArray[np.bool_] = mask[i, k]
    return touched


def stock_weekly(actuals: pd.DataFrame, promo: NDArray[np.bool_] | None = None) -> pd.DataFrame:
    """The stock figures of the scorecard by week (see the module doc)."""
    a = pd.DataFrame({
        "week": monday(actuals["week"].to_numpy()).to_numpy(),
        "units": pd.to_numeric(actuals["units"], errors="coerce").fillna(0.0).to_numpy(),
        "on_hand_end": pd.to_numeric(actuals.get("on_hand_end"), errors="coerce").to_numpy()
        if "on_hand_end" in actuals else np.nan,
    })
    flag = actuals["stockout"] if "stockout" in actuals else pd.Series([None] * len(a))
    flag = flag.astype(object).map(lambda v: v is True or (isinstance(v, (int, np.bool_,
                                                                         np.integer)) and bool(v)))
    out_of_stock = flag.to_numpy(dtype=bool) | (a["on_hand_end"].to_numpy() <= 0)
    promo = np.zeros(len(a), dtype=bool) if promo is None else np.asarray(promo, dtype=bool)
    a["promoted_cells"] = promo.astype(np.int64)
    a["promoted_stockouts"] = (promo & out_of_stock).astype(np.int64)
    w = a.groupby("week", sort=True).agg(
        promoted_cells=("promoted_cells", "sum"), promoted_stockouts=("promoted_stockouts", "sum"),
        units_sold=("units", "sum"), on_hand_end=("on_hand_end", lambda s: s.sum(min_count=1)))
    full = pd.date_range(w.index.min(), w.index.max(), freq="7D") if len(w) else w.index
    trailing = w["units_sold"].reindex(full, fill_value=0.0).rolling(WOS_WEEKS, min_periods=1) \
        .mean().reindex(w.index)
    w["promo_stockout_rate"] = w["promoted_stockouts"] / w["promoted_cells"].where(
        w["promoted_cells"] > 0)
    w["inventory_turn"] = w["units_sold"] / w["on_hand_end"].where(w["on_hand_end"] > 0) * 52.0
    w["weeks_of_supply"] = w["on_hand_end"] / trailing.where(trailing > 0)
    w = w.reset_index().rename(columns={"index": "week"})
    w.insert(1, "quarter", quarter_label(w["week"]))
    return w[["week", "quarter", "promoted_cells", "promoted_stockouts", "promo_stockout_rate",
              "units_sold", "on_hand_end", "inventory_turn", "weeks_of_supply"]]


def stock_quarterly(weekly: pd.DataFrame) -> pd.DataFrame:
    """Quarter roll-up of :func:`stock_weekly`."""
    g = weekly.sort_values("week").groupby("quarter", sort=True)
    q = g.agg(weeks=("week", "size"), promoted_cells=("promoted_cells", "sum"),
              promoted_stockouts=("promoted_stockouts", "sum"), units_sold=("units_sold", "sum"),
              avg_on_hand=("on_hand_end", "mean"), weeks_of_supply=("weeks_of_supply", "last"))
    q["promo_stockout_rate"] = q["promoted_stockouts"] / q["promoted_cells"].where(
        q["promoted_cells"] > 0)
    q["inventory_turn"] = q["units_sold"] / q["avg_on_hand"].where(q["avg_on_hand"] > 0) \
        * 52.0 / q["weeks"]
    return q.reset_index()[["quarter", "weeks", "promoted_cells", "promoted_stockouts",
                            "promo_stockout_rate", "units_sold", "avg_on_hand",
                            "inventory_turn", "weeks_of_supply"]]


def scorecard(actuals: pd.DataFrame, forecasts: pd.DataFrame | None = None, *,
              campaigns: pd.DataFrame | None = None,
              count_statuses: Iterable[str] = ("Planned", "Confirmed"),
              products: pd.DataFrame | None = None, tree: Hierarchy | None = None,
              window_weeks: int = 8, as_of: dt.date | None = None) -> Scorecard:
    """The scorecard from Actuals, recorded forecasts (sku / location / category keys or a
    ``node`` column, week, source, units, optional ``recorded``) and Campaigns."""
    weekly = stock_weekly(actuals, promoted(actuals, campaigns, count_statuses))
    quarterly = stock_quarterly(weekly)
    cols = ["source", "cells", "wape", "bias", "naive_wape", "fva"]
    empty = pd.DataFrame(columns=cols)
    if forecasts is None or len(forecasts) == 0 or len(actuals) == 0:
        return Scorecard(weekly, quarterly, empty, pd.DataFrame(columns=["week"] + cols),
                         pd.DataFrame(columns=["quarter"] + cols))
    tree = tree or build_hierarchy(products=products, actuals=actuals,
                                   forecast=None if "node" in forecasts.columns else forecasts)
    m = matched(forecasts, actuals, tree)
    window = _accuracy(m[_window(m["week"], window_weeks, as_of)], ["source"])
    by_week = _accuracy(m, ["week", "source"])
    by_week.insert(1, "quarter", quarter_label(by_week["week"]))
    by_quarter = _accuracy(m.assign(quarter=quarter_label(m["week"])), ["quarter", "source"])
    return Scorecard(weekly, quarterly, window, by_week, by_quarter)
