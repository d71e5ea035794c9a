"""Supply remedies for one sku-location at a time: EXPEDITE and NEW_ORDER (docs/semantics.md §3).

Both are valued against the bridge's own projection: the receipt or order is added to the
at-risk row's projected on-hand and the lost-sales run is repeated, on (candidate × week)
arrays, so every candidate is valued in one pass (docs/semantics.md, "Valuation"). At a
networked row (a fed location, or a DC feeding one) the network is re-run instead, every
candidate a scenario of one batched projection (:mod:`pysnop.core.network_remedies`).

EXPEDITE   an open receipt of an at-risk sku-location due in week k (due before week 0 counts
           as week 0; due beyond the horizon as its own week, which the bridge leaves out) is
           pulled, whole, into week t = max(first risk week, expedite_min_weeks,
           k − expedite_max_weeks), when t < k and t is inside the horizon. Its units then
           count from week t instead of from week k. cost = qty × expedite_cost_per_unit;
           act_by = the Monday of week t − expedite_min_weeks (never before the as-of date).
           A DC's receipts are candidates when the DC anchors a network risk, pulled
           towards the DC's need week (docs/semantics.md, "Remedies through the network").
NEW_ORDER  an at-risk sku-location whose act_by is known and not before week 0 orders its
           shortfall, in whole units, raised to the item's moq and then up to a multiple of
           its order_multiple (Products), to arrive in the first risk week. cost 0: it is the
           planner's normal buy. act_by = the Bridge's act_by, never before the as-of date.
           A fed row orders at its DC (to arrive there its transit earlier), unless its DC's
           fair share is what makes it short and the DC orders itself: then the DC's own
           order is the remedy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core import calendar
from pysnop.core.action_context import SUPPLY, ActionContext, days, units, units_text
from pysnop.core.demand import CLOSED_RECEIPT_STATUSES, key_lookup
from pysnop.core.network_remedies import (Valued, inside, need_weeks, network_view, receipt_moves,
                                          value_through_network, what_for_rows)
from pysnop.core.network_whatif import Scenarios
from pysnop.core.proposals import Batch, empty_batch, make_batch
from pysnop.core.valuation import protected
from pysnop.core.values import is_blank_text


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
    first = need_weeks(ctx)
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
    moves = receipt_moves(horizon, t, k, q)
    saved, money, effects = _valued(ctx, i, delta, moves)
    per_unit = float(ctx.settings.expedite_cost_per_unit)
    raw_po = rc["po_id"].to_numpy(dtype=object)[cand] if "po_id" in rc else \
        np.full(len(cand), None)
    po = np.array([None if is_blank_text(p) else str(p).strip() for p in raw_po], dtype=object)
    due = pd.DatetimeIndex(rc["due"].to_numpy()[cand])
    weeks = ctx.weeks(t)
    what = [f"PO {p}" if p else "the open receipt" for p in po.tolist()]
    due_s = days(due).tolist()
    reason = [f"Pull {wh} ({qq} units of {sku} due {d}) into the week of "
              f"{wk} to cover {why}, avoiding {s} lost units."
              for wh, qq, sku, d, wk, why, s in zip(what, units_text(q), ctx.sku[i].tolist(),
                                                     due_s, days(weeks).tolist(),
                                                     what_for_rows(ctx, i), units_text(saved))]
    return make_batch(horizon, {
        "type": ["EXPEDITE"] * len(cand), "owner": [SUPPLY] * len(cand),
        "sku": ctx.sku[i], "location": ctx.location[i],
        "campaign_id": ctx.campaign_ids_of(i), "po_id": po, "qty": q,
        "week": weeks, "cost": q * per_unit, "units_protected": np.maximum(saved, 0.0),
        "margin_protected": money, "reason": reason, "act_by": ctx.deadline(t - lo),
        "ident": [p or f"due {d}" for p, d in zip(po.tolist(), due_s)], "home_row": i},
        *effects)


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
    summary, horizon = ctx.result.summary, ctx.horizon
    first = ctx.first_risk_index()
    act_by = pd.to_datetime(summary["act_by"])
    too_late = summary["too_late"].fillna(False).to_numpy(dtype=bool)
    shortfall = summary["shortfall_units"].to_numpy(dtype=float)
    use = (first >= 0) & act_by.notna().to_numpy() & ~too_late & (shortfall > 0)
    view = network_view(ctx)
    if view is not None:
        # a row short by its DC's fair share: the DC's own order (of the DC's shortfall,
        # which holds every request) is the remedy, when the DC orders
        use &= ~(view.hurt & use[np.maximum(view.dc, 0)])
    rows = np.flatnonzero(use)
    if len(rows) == 0:
        return empty_batch(horizon)
    # where the order goes and when it must arrive there: a fed row's at its DC, its transit
    # earlier (the DC ships it on); act_by is the Bridge's (transit + the DC's lead time)
    at, arrive = rows.copy(), first[rows].copy()
    fed = np.zeros(len(rows), dtype=bool)
    if view is not None:
        fed = view.dc[rows] >= 0
        at[fed] = view.dc[rows[fed]]
        arrive[fed] = np.maximum(arrive[fed] - view.transit[rows[fed]], 0)
    skus = ctx.sku[rows]
    moq = _numbers(ctx.product_value("moq", skus))
    mult = _numbers(ctx.product_value("order_multiple", skus))
    need = np.ceil(shortfall[rows] - 1e-9)
    qty = order_quantity(shortfall[rows], moq, mult)
    w = np.arange(horizon)[None, :]
    delta = np.where(w >= arrive[:, None], qty[:, None], 0.0)
    moves = receipt_moves(horizon, arrive, np.full(len(rows), horizon), qty)
    saved, money, effects = _valued(ctx, at, delta, moves)
    weeks = ctx.weeks(arrive)
    by = pd.DatetimeIndex(np.maximum(act_by.to_numpy()[rows], ctx.as_of.to_datetime64()))
    # the rounding note and the DC's hand-on are said only where they apply (few rows)
    rule = np.full(len(rows), "", dtype=object)
    up = np.flatnonzero(qty > need)
    rule[up] = [_rounding(n, q, m, x) for n, q, m, x in zip(need[up], qty[up], moq[up],
                                                             mult[up])]
    fed_at = np.flatnonzero(fed)
    via = np.full(len(rows), "", dtype=object)
    via[fed_at] = [f" to ship on to {loc}" for loc in ctx.location[rows[fed_at]].tolist()]
    ident = np.full(len(rows), "", dtype=object)
    ident[fed_at] = [f"for {loc}" for loc in ctx.location[rows[fed_at]].tolist()]
    reason = [f"Order {q} units of {s} for {loc}{v} by {b} to arrive in the week of "
              f"{wk} and cover {what}{why}."
              for q, s, loc, v, b, wk, what, why in zip(
                  units_text(qty), skus.tolist(), ctx.location[at].tolist(), via.tolist(),
                  days(by).tolist(), days(weeks).tolist(), what_for_rows(ctx, rows),
                  rule.tolist())]
    return make_batch(horizon, {
        "type": ["NEW_ORDER"] * len(rows), "owner": [SUPPLY] * len(rows), "sku": skus,
        "location": ctx.location[at], "campaign_id": ctx.campaign_ids_of(rows),
        "qty": qty, "week": weeks, "cost": np.zeros(len(rows)),
        "units_protected": np.maximum(saved, 0.0), "margin_protected": money,
        "reason": reason, "act_by": by, "ident": ident.tolist(), "home_row": rows}, *effects)


def _valued(ctx: ActionContext, at: NDArray[np.int64], delta: NDArray[np.float64], moves: NDArray[np.float64]
            ) -> tuple[NDArray[np.float64], NDArray[np.float64],
                       tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]]:
    """(units avoided, margin protected, effects) of remedies that change row ``at``'s
    receipts: on the row's own projection (``delta``, its change of poh) where the row is
    outside any network, else by re-running its SKU's network with the receipt changes
    ``moves`` (docs/semantics.md, "Remedies through the network")."""
    k, poh = len(at), ctx.result.poh
    net = inside(ctx)[at] if k else np.zeros(0, dtype=bool)
    saved, money = np.zeros(k), np.zeros(k)
    own = np.flatnonzero(~net)
    if len(own):
        r = at[own]
        saved[own], money[own] = protected(poh[r], poh[r] + delta[own], ctx.margin_week[r])
    of, row, eff = [own], [at[own]], [delta[own]]
    pos = np.flatnonzero(net)
    if len(pos):
        v: Valued = value_through_network(ctx, Scenarios(at[pos], np.arange(len(pos)), at[pos],
                                                         moves[pos]))
        saved[pos], money[pos] = v.units, v.money
        of.append(pos[v.effect_of])
        row.append(v.effect_row)
        eff.append(v.effect_delta)
    return saved, money, (np.concatenate(of), np.concatenate(row),
                          np.concatenate(eff).reshape(-1, ctx.horizon))


def _rounding(need: float, qty: float, moq: float, mult: float) -> str:
    if qty <= need:
        return ""
    rules = [f"MOQ {units(moq)}" if moq > 0 and moq >= need else "",
             f"order multiple {units(mult)}" if mult > 0 else ""]
    said = " and ".join(r for r in rules if r)
    return f" (shortfall {units(need)}, rounded up to the {said})" if said else ""


def _numbers(values: NDArray[Any]) -> NDArray[np.float64]:
    return np.asarray(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
                      .to_numpy(dtype=float), dtype=float)


