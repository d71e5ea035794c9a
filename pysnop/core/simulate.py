"""What-if: the bridge with chosen actions applied, before against after (issue 3 item 6).

:func:`apply_actions` changes a copy of the inputs the way each action would once executed:

EXPEDITE     the receipt (po_id, else the open receipt of that qty due after the week) is due
             on the action's week instead
TRANSFER     ``qty`` arrives at ``location`` in ``week`` and leaves ``from_location`` in
             ``week − transfer_lead_weeks`` (a negative receipt there)
NEW_ORDER    ``qty`` arrives at ``location`` in ``week``
REDUCE_LIFT  the campaign's lift (campaign_id, sku) becomes ``new_lift``
MOVE_WINDOW  the campaign starts on ``new_start``, same duration
SHIFT_SKU    the campaign features ``alt_sku`` instead of ``sku``

Actions are applied together, in the order given, so the after-picture is that of the whole
set (unlike the proposals' values, which are each measured alone).
:func:`simulate` runs the bridge before and after and keeps the sku-locations whose projection
changed: status, lost units and margin at risk, before and after.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pandas as pd

from pysnop.core.values import is_blank
from pysnop.core.bridge import run_bridge
from pysnop.core.model import PlanInputs

RESULT_COLUMNS = ["sku", "location", "status_before", "status_after", "lost_before",
                  "lost_after", "margin_at_risk_before", "margin_at_risk_after",
                  "first_risk_before", "first_risk_after"]


def _text(value) -> str | None:
    if is_blank(value):
        return None
    text = str(value).strip()
    return text or None


def _stamp(value):
    if _text(value) is None:
        return None
    return pd.Timestamp(value).normalize()


def apply_actions(inputs: PlanInputs, actions: pd.DataFrame) -> tuple[PlanInputs, list[str]]:
    """A copy of ``inputs`` with ``actions`` applied; notes on actions that could not be."""
    receipts = inputs.receipts.copy()
    campaigns = inputs.campaigns.copy()
    added: list[dict] = []
    notes: list[str] = []
    lead = int(inputs.settings.transfer_lead_weeks)
    for rec in actions.to_dict("records"):
        kind = _text(rec.get("type")) or ""
        action = _text(rec.get("action_id")) or kind
        sku, loc = _text(rec.get("sku")), _text(rec.get("location"))
        week, qty = _stamp(rec.get("week")), rec.get("qty")
        qty = float(qty) if _text(qty) is not None else float("nan")
        if kind == "EXPEDITE":
            hit = (receipts["sku"] == sku) & (receipts["location"] == loc)
            po = _text(rec.get("po_id"))
            if po is not None:
                hit &= receipts["po_id"].astype(object).map(_text) == po
            else:
                hit &= (receipts["qty"].astype(float) == qty) & (receipts["due"] > week)
            closed = receipts["status"].astype(object).map(
                lambda s: (_text(s) or "").casefold() in ("received", "cancelled", "canceled"))
            hit &= ~closed
            if not hit.any() or week is None:
                notes.append(f"{action}: the receipt to expedite was not found; skipped")
                continue
            receipts.loc[hit[hit].index[:1], "due"] = week
        elif kind in ("TRANSFER", "NEW_ORDER"):
            if week is None or math.isnan(qty):
                notes.append(f"{action}: no week or qty; skipped")
                continue
            added.append(_receipt(sku, loc, week, qty, action))
            if kind == "TRANSFER":
                donor = _text(rec.get("from_location"))
                leaves = week - pd.Timedelta(days=7 * lead)
                added.append(_receipt(sku, donor, leaves, -qty, action))
        elif kind in ("REDUCE_LIFT", "MOVE_WINDOW", "SHIFT_SKU"):
            cid = _text(rec.get("campaign_id"))
            hit = (campaigns["campaign_id"] == cid) & (campaigns["sku"] == sku)
            if not hit.any():
                notes.append(f"{action}: campaign {cid} for sku {sku} not found; skipped")
                continue
            if kind == "REDUCE_LIFT" and _text(rec.get("new_lift")) is not None:
                campaigns.loc[hit, "lift"] = float(rec["new_lift"])
            elif kind == "MOVE_WINDOW" and _stamp(rec.get("new_start")) is not None:
                shift = _stamp(rec["new_start"]) - campaigns.loc[hit, "start"]
                campaigns.loc[hit, "end"] = campaigns.loc[hit, "end"] + shift
                campaigns.loc[hit, "start"] = _stamp(rec["new_start"])
            elif kind == "SHIFT_SKU" and _text(rec.get("alt_sku")) is not None:
                campaigns.loc[hit, "sku"] = _text(rec["alt_sku"])
            else:
                notes.append(f"{action}: nothing to change; skipped")
        else:
            notes.append(f"{action}: unknown action type {kind!r}; skipped")
    if added:
        extra = pd.DataFrame(added)
        receipts = pd.concat([receipts, extra.astype({"due": "datetime64[ns]"})],
                             ignore_index=True) if len(receipts) else extra.reindex(
            columns=receipts.columns)
        receipts["due"] = pd.to_datetime(receipts["due"])
    # every other input (the network's Locations, ...) carries over unchanged
    changed = dataclasses.replace(inputs, campaigns=campaigns, receipts=receipts)
    return changed, notes


def _receipt(sku, loc, due, qty, action) -> dict:
    return {"sku": sku, "location": loc, "due": due, "qty": qty, "po_id": action,
            "status": None, "row": -1}


def simulate(inputs: PlanInputs, actions: pd.DataFrame, *, before=None
             ) -> tuple[pd.DataFrame, list[str]]:
    """Before/after per sku-location whose projection the actions change, and notes."""
    if before is None:
        before = run_bridge(inputs)
    changed, notes = apply_actions(inputs, actions)
    after = run_bridge(changed)
    b = before.summary.set_index(["sku", "location"])
    a = after.summary.set_index(["sku", "location"])
    poh_b = pd.DataFrame(before.poh, index=pd.MultiIndex.from_frame(before.keys[["sku",
                                                                                 "location"]]))
    poh_a = pd.DataFrame(after.poh, index=pd.MultiIndex.from_frame(after.keys[["sku",
                                                                              "location"]]))
    diff = (poh_a.reindex(poh_b.index) - poh_b).abs().max(axis=1) > 1e-9
    keys = [k for k in poh_b.index[diff.to_numpy()] if k in b.index and k in a.index]
    rows = []
    for key in keys:
        rb, ra = b.loc[key], a.loc[key]
        if isinstance(rb, pd.DataFrame):
            rb, ra = rb.iloc[0], ra.iloc[0]
        rows.append({"sku": key[0], "location": key[1], "status_before": rb["status"],
                     "status_after": ra["status"], "lost_before": float(rb["lost_units"]),
                     "lost_after": float(ra["lost_units"]),
                     "margin_at_risk_before": float(rb["margin_at_risk"]),
                     "margin_at_risk_after": float(ra["margin_at_risk"]),
                     "first_risk_before": _day(rb["first_risk_week"]),
                     "first_risk_after": _day(ra["first_risk_week"])})
    return pd.DataFrame(rows, columns=RESULT_COLUMNS), notes


def _day(value) -> dt.date | None:
    return None if _text(value) is None else pd.Timestamp(value).date()
