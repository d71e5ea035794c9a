"""Supply remedies for one sku-location at a time: EXPEDITE and NEW_ORDER (docs/semantics.md §4).

Both are valued against the bridge's own projection: the receipt or order is added to the
at-risk row's projected on-hand and the lost-sales run is repeated, on (candidate × week)
arrays, so every candidate is valued in one pass (docs/semantics.md, "Valuation").

EXPEDITE   an open receipt of an at-risk sku-location due in week k (due before week 0 counts
           as week 0; due beyond the horizon as its own week, which the bridge leaves out) is
           pulled, whole, into week t = max(first risk week, expedite_min_weeks,
           k − expedite_max_weeks), when t < k and t is inside the horizon. Its units then
           count from week t instead of from week k. cost = qty × expedite_cost_per_unit;
           act_by = the Monday of week t − expedite_min_weeks (never before the as-of date).
NEW_ORDER  an at-risk sku-location whose act_by is known and not before week 0 orders its
           shortfall, in whole units, raised to the item's moq and then up to a multiple of
           its order_multiple (Products), to arrive in the first risk week. cost 0: it is the
           planner's normal buy. act_by = the Bridge's act_by, never before the as-of date.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core import calendar
from pysnop.core.action_context import SUPPLY, ActionContext, days, units
from pysnop.core.demand import CLOSED_RECEIPT_STATUSES, key_lookup
from pysnop.core.proposals import Batch, empty_batch, make_batch
from pysnop.core.valuation import protected


def propose_expedites(ctx: ActionContext) -> Batch:
    result, horizon = ctx.result, ctx.horizon
    rc = ctx.inputs.receipts
    if rc is None or len(rc) == 0 or horizon == 0:
        return empty_batch(horizon)
    if "status" in rc.columns:
        closed = rc["status"].astype(object).fillna("").astype(str).str.strip().str.casefold() \
            .isin(CLOSED_RECEIPT_STATUSES).to_numpy()
        rc = rc[~closed]
    rc = rc.reset_index(drop=True)
    first = ctx.first_risk_index()
    row = key_lookup(result.keys, rc["sku"].to_numpy(), rc["location"].to_numpy())
    due_week = np.maximum(calendar.week_index(rc["due"].to_numpy(), ctx.week0), 0)
    qty = pd.to_numeric(rc["qty"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    known = row >= 0
    safe_row = np.where(known, row, 0)
    lo = ctx.whole_setting("expedite_min_weeks")
    reach = ctx.whole_setting("expedite_max_weeks")
    target = np.maximum(np.maximum(first[safe_row], lo), due_week - reach)
    use = known & (first[safe_row] >= 0) & (qty > 0) & (due_week > target) & (target < horizon)
    cand = np.flatnonzero(use)
    if len(cand) == 0:
        return empty_batch(horizon)
    i, t, k, q = row[cand], target[cand], due_week[cand], qty[cand]
    w = np.arange(horizon)[None, :]
    # the receipt's units now count from week t instead of from week k (never, if k ≥ H)
    delta = np.where((w >= t[:, None]) & (w < k[:, None]), q[:, None], 0.0)
    saved, money = protected(result.poh[i], result.poh[i] + delta, ctx.margin_week[i])
    per_unit = float(ctx.settings.expedite_cost_per_unit)
    raw_po = rc["po_id"].to_numpy(dtype=object)[cand] if "po_id" in rc else \
        np.full(len(cand), None)
    po = np.array([None if _blank(p) else str(p).strip() for p in raw_po], dtype=object)
    due = pd.DatetimeIndex(rc["due"].to_numpy()[cand])
    weeks = ctx.weeks(t)
    what = [f"PO {p}" if p else "the open receipt" for p in po]
    due_s = days(due)
    reason = [f"Pull {wh} ({units(qq)} units of {ctx.sku[r]} due {d}) into the week of "
              f"{wk} to cover {ctx.stockout_at(int(r))}, avoiding {units(s)} lost units."
              for wh, qq, r, d, wk, s in zip(what, q, i, due_s, days(weeks), saved)]
    return make_batch(horizon, {
        "type": ["EXPEDITE"] * len(cand), "owner": [SUPPLY] * len(cand),
        "sku": ctx.sku[i], "location": ctx.location[i],
        "campaign_id": [ctx.campaign_ids(int(r)) for r in i], "po_id": po, "qty": q,
        "week": weeks, "cost": q * per_unit, "units_protected": np.maximum(saved, 0.0),
        "margin_protected": money, "reason": reason, "act_by": ctx.deadline(t - lo),
        "ident": [p or f"due {d}" for p, d in zip(po, due_s)], "home_row": i},
        np.arange(len(cand)), i, delta)


def order_quantity(shortfall: NDArray[np.float64], moq: NDArray[np.float64],
                   multiple: NDArray[np.float64]) -> NDArray[np.float64]:
    """Whole units ≥ shortfall, at least ``moq``, then up to a multiple of ``multiple``.

    Blank (NaN) or non-positive moq / multiple mean no such rule. 37 units with moq 48 and
    multiple 12 -> 48; with moq 40 and multiple 12 -> 48 (40 rounded up to 4 × 12).
    """
    qty = np.ceil(np.asarray(shortfall, dtype=float) - 1e-9)
    moq = np.nan_to_num(np.asarray(moq, dtype=float), nan=0.0)
    qty = np.maximum(qty, np.ceil(moq - 1e-9))
    mult = np.nan_to_num(np.asarray(multiple, dtype=float), nan=0.0)
    step = np.where(mult > 0, mult, 1.0)
    return np.where(mult > 0, np.ceil(qty / step - 1e-9) * step, qty)


def propose_new_orders(ctx: ActionContext) -> Batch:
    result, summary, horizon = ctx.result, ctx.result.summary, ctx.horizon
    first = ctx.first_risk_index()
    act_by = pd.to_datetime(summary["act_by"])
    too_late = summary["too_late"].fillna(False).to_numpy(dtype=bool)
    shortfall = summary["shortfall_units"].to_numpy(dtype=float)
    use = (first >= 0) & act_by.notna().to_numpy() & ~too_late & (shortfall > 0)
    rows = np.flatnonzero(use)
    if len(rows) == 0:
        return empty_batch(horizon)
    skus = ctx.sku[rows]
    moq = _numbers(ctx.product_value("moq", skus))
    mult = _numbers(ctx.product_value("order_multiple", skus))
    need = np.ceil(shortfall[rows] - 1e-9)
    qty = order_quantity(shortfall[rows], moq, mult)
    w = np.arange(horizon)[None, :]
    delta = np.where(w >= first[rows][:, None], qty[:, None], 0.0)
    saved, money = protected(result.poh[rows], result.poh[rows] + delta, ctx.margin_week[rows])
    weeks = ctx.weeks(first[rows])
    by = pd.DatetimeIndex(np.maximum(act_by.to_numpy()[rows], ctx.as_of.to_datetime64()))
    rule = [_rounding(n, q, m, x) for n, q, m, x in zip(need, qty, moq, mult)]
    reason = [f"Order {units(q)} units of {s} for {loc} by {b} to arrive in the week of "
              f"{wk} and cover {ctx.stockout_at(int(r))}{why}."
              for q, s, loc, b, wk, r, why in zip(qty, skus, ctx.location[rows], days(by),
                                                  days(weeks), rows, rule)]
    return make_batch(horizon, {
        "type": ["NEW_ORDER"] * len(rows), "owner": [SUPPLY] * len(rows), "sku": skus,
        "location": ctx.location[rows], "campaign_id": [ctx.campaign_ids(int(r)) for r in rows],
        "qty": qty, "week": weeks, "cost": np.zeros(len(rows)),
        "units_protected": np.maximum(saved, 0.0), "margin_protected": money,
        "reason": reason, "act_by": by, "home_row": rows},
        np.arange(len(rows)), rows, delta)


def _rounding(need: float, qty: float, moq: float, mult: float) -> str:
    if qty <= need:
        return ""
    rules = [f"MOQ {units(moq)}" if moq > 0 and moq >= need else "",
             f"order multiple {units(mult)}" if mult > 0 else ""]
    said = " and ".join(r for r in rules if r)
    return f" (shortfall {units(need)}, rounded up to the {said})" if said else ""


def _numbers(values: NDArray[Any]) -> NDArray[np.float64]:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce") \
        .to_numpy(dtype=float)


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
