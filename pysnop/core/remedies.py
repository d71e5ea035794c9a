"""Supply remedies for one sku-location at a time: EXPEDITE and NEW_ORDER (SPEC §4).

Both are valued against the bridge's own projection: the receipt or order is added to the
at-risk row's projected on-hand and the lost-sales run is repeated, on (candidate × week)
arrays, so every candidate is valued in one pass.

EXPEDITE   every open receipt of an at-risk sku-location due after its first risk week (also
           those due beyond the horizon, which the bridge leaves out) is pulled, whole, into
           week max(first risk week, expedite_min_weeks). Its units then count from that week
           on instead of from their due week. cost = qty × expedite_cost_per_unit.
NEW_ORDER  an at-risk sku-location whose act_by is known and not in the past orders its
           shortfall_units (rounded up to whole units) to arrive in the first risk week.
           cost 0: it is the planner's normal buy, not an extra expense.
Both: units protected = lost units avoided; margin protected = units × unit margin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pysnop.core import calendar
from pysnop.core.action_context import SUPPLY, ActionContext, day, lost_units, units
from pysnop.core.demand import CLOSED_RECEIPT_STATUSES

PROPOSAL_COLUMNS = ["type", "owner", "sku", "location", "from_location", "campaign_id", "po_id",
                    "alt_sku", "qty", "week", "cost", "units_protected", "margin_protected",
                    "reason", "new_lift", "new_start", "ident"]


def propose_expedites(ctx: ActionContext) -> list[dict]:
    result, horizon = ctx.result, ctx.horizon
    rc = ctx.inputs.receipts
    if rc is None or len(rc) == 0 or horizon == 0:
        return []
    if "status" in rc.columns:
        closed = rc["status"].astype(object).fillna("").astype(str).str.strip().str.casefold() \
            .isin(CLOSED_RECEIPT_STATUSES).to_numpy()
        rc = rc[~closed]
    rc = rc.reset_index(drop=True)
    first = ctx.first_risk_index()
    row = ctx.row_of(rc["sku"], rc["location"])
    due_week = np.maximum(calendar.week_index(rc["due"].to_numpy(), ctx.week0), 0)
    qty = pd.to_numeric(rc["qty"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    known = row >= 0
    safe_row = np.where(known, row, 0)
    target = np.maximum(first[safe_row], int(ctx.inputs.settings.expedite_min_weeks))
    use = known & (first[safe_row] >= 0) & (qty > 0) & (due_week > target) & (target < horizon)
    cand = np.flatnonzero(use)
    if len(cand) == 0:
        return []
    i, t, k, q = row[cand], target[cand], due_week[cand], qty[cand]
    w = np.arange(horizon)[None, :]
    # the receipt's units now count from week t instead of from week k (never, if k ≥ H)
    delta = np.where((w >= t[:, None]) & (w < k[:, None]), q[:, None], 0.0)
    avoided = lost_units(result.poh[i]) - lost_units(result.poh[i] + delta)
    per_unit = float(ctx.inputs.settings.expedite_cost_per_unit)
    po = rc["po_id"].to_numpy(dtype=object) if "po_id" in rc else np.full(len(rc), None)
    due = rc["due"].to_numpy()
    out = []
    for n, j in enumerate(cand):
        r = int(i[n])
        po_id = None if pd.isna(po[j]) else (str(po[j]).strip() or None)
        what = f"PO {po_id}" if po_id else "the open receipt"
        week = ctx.week(t[n])
        out.append(_record(
            ctx, "EXPEDITE", r, qty=q[n], week=week, cost=q[n] * per_unit, protected=avoided[n],
            po_id=po_id, ident=po_id or f"due {day(due[j])}",
            reason=(f"Pull {what} ({units(q[n])} units of {ctx.sku[r]} due {day(due[j])}) into "
                    f"the week of {day(week)} to cover {ctx.stockout_at(r)}, "
                    f"avoiding {units(avoided[n])} lost units.")))
    return out


def propose_new_orders(ctx: ActionContext) -> list[dict]:
    result, summary = ctx.result, ctx.result.summary
    first = ctx.first_risk_index()
    act_by = pd.to_datetime(summary["act_by"])
    too_late = summary["too_late"].fillna(False).to_numpy(dtype=bool)
    shortfall = summary["shortfall_units"].to_numpy(dtype=float)
    use = (first >= 0) & act_by.notna().to_numpy() & ~too_late & (shortfall > 0)
    rows = np.flatnonzero(use)
    if len(rows) == 0:
        return []
    qty = np.ceil(shortfall[rows] - 1e-9)
    w = np.arange(ctx.horizon)[None, :]
    delta = np.where(w >= first[rows][:, None], qty[:, None], 0.0)
    avoided = lost_units(result.poh[rows]) - lost_units(result.poh[rows] + delta)
    out = []
    for n, r in enumerate(rows):
        week = ctx.week(first[r])
        out.append(_record(
            ctx, "NEW_ORDER", int(r), qty=qty[n], week=week, cost=0.0, protected=avoided[n],
            reason=(f"Order {units(qty[n])} units of {ctx.sku[r]} for {ctx.location[r]} by "
                    f"{day(act_by.iloc[r])} to arrive in the week of {day(week)} and cover "
                    f"{ctx.stockout_at(int(r))}.")))
    return out


def _record(ctx: ActionContext, kind: str, r: int, *, qty, week, cost, protected, reason,
            po_id=None, ident="") -> dict:
    protected = max(0.0, float(protected))
    return {"type": kind, "owner": SUPPLY, "sku": ctx.sku[r], "location": ctx.location[r],
            "from_location": None, "campaign_id": ctx.campaign_ids(r), "po_id": po_id,
            "alt_sku": None, "qty": float(qty), "week": week, "cost": float(cost),
            "units_protected": protected, "margin_protected": protected * ctx.margin[r],
            "reason": reason, "new_lift": np.nan, "new_start": pd.NaT, "ident": ident}
