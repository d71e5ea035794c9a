"""What-if: the bridge with chosen actions applied, before against after (docs/semantics.md §3).

:func:`apply_actions` changes a copy of the inputs the way each action would once executed:

EXPEDITE     the receipt (po_id, else the open receipt of that qty due after the week) is due
             on the action's week instead
TRANSFER     ``qty`` arrives at ``location`` in ``week`` and leaves ``from_location`` in
             ``week − transit`` (the lane's transit_weeks, else transfer_lead_weeks; a negative
             receipt there)
NEW_ORDER    ``qty`` arrives at ``location`` in ``week``
EXCLUDE_LOCATIONS  the locations in ``location`` leave the campaign's scope (a blank / ALL
             scope is first spelled out as every location stocking the SKU)
REDUCE_LIFT  the campaign's lift (campaign_id, sku) becomes ``new_lift``
MOVE_WINDOW  the campaign starts on ``new_start``, same duration
SHIFT_SKU    the campaign features ``alt_sku`` instead of ``sku``

Actions are applied together, in the order given, so the after-picture is that of the whole
set (unlike the proposals' values, which are each measured alone).
:func:`simulate` runs the bridge before and after and keeps the sku-locations whose projection
or lost units changed (with a network, every location a DC remedy reaches): status, lost units and margin at risk, before and after. A marketing remedy of a
campaign the bridge does not count (a Draft) is proposed judging the campaign as if confirmed;
so that the what-if shows the value the proposal claims, such a campaign is counted in both
runs (and a note says so).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pandas as pd

from pysnop.core.bridge import run_bridge
from pysnop.core.lanes import lane_transit
from pysnop.core.locations import location_roles
from pysnop.core.model import BridgeResult, PlanInputs
from pysnop.core.values import is_blank

MARKETING_TYPES = ("EXCLUDE_LOCATIONS", "REDUCE_LIFT", "MOVE_WINDOW", "SHIFT_SKU")

RESULT_COLUMNS = ["sku", "location", "status_before", "status_after", "lost_before",
                  "lost_after", "margin_at_risk_before", "margin_at_risk_after",
                  "first_risk_before", "first_risk_after"]


def _text(value: object) -> str | None:
    if is_blank(value):
        return None
    text = str(value).strip()
    return text or None


def _stamp(value: object) -> pd.Timestamp | None:
    if _text(value) is None:
        return None
    return pd.Timestamp(value).normalize()


def apply_actions(inputs: PlanInputs, actions: pd.DataFrame) -> tuple[PlanInputs, list[str]]:
    """A copy of ``inputs`` with ``actions`` applied; notes on actions that could not be."""
    receipts = inputs.receipts.copy()
    campaigns = inputs.campaigns.copy()
    added: list[dict[str, object]] = []
    notes: list[str] = []
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
                transit = lane_transit(inputs, donor, loc)
                leaves = week - pd.Timedelta(days=7 * transit)
                added.append(_receipt(sku, donor, leaves, -qty, action))
        elif kind in MARKETING_TYPES:
            cid = _text(rec.get("campaign_id"))
            hit = (campaigns["campaign_id"] == cid) & (campaigns["sku"] == sku)
            if not hit.any():
                notes.append(f"{action}: campaign {cid} for sku {sku} not found; skipped")
                continue
            if kind == "EXCLUDE_LOCATIONS" and loc is not None:
                drop = {p.strip() for p in loc.split(",") if p.strip()}
                for at in hit[hit].index:
                    scope = _scope(inputs, campaigns.at[at, "locations"], sku)
                    campaigns.at[at, "locations"] = tuple(x for x in scope if x not in drop)
            elif kind == "REDUCE_LIFT" and _text(rec.get("new_lift")) is not None:
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
    # every other input (the network's Locations, Lanes, ...) carries over unchanged
    changed = dataclasses.replace(inputs, campaigns=campaigns, receipts=receipts)
    return changed, notes


def _scope(inputs: PlanInputs, locations: object, sku: object) -> tuple[str, ...]:
    """A campaign's scope as a tuple of locations; blank / ALL: every location stocking the
    SKU that is not a DC (docs/semantics.md §1)."""
    listed = tuple(locations) if isinstance(locations, (tuple, list)) else ()
    if listed and not (len(listed) == 1 and str(listed[0]).strip().casefold() == "all"):
        return tuple(str(x) for x in listed)
    inv = inputs.inventory.reset_index(drop=True)
    selling = location_roles(inv, inputs.locations) != "dc"
    rows = inv[(inv["sku"].astype(str) == str(sku)).to_numpy() & selling]
    return tuple(dict.fromkeys(rows["location"].astype(str)))


def as_if_confirmed(inputs: PlanInputs, actions: pd.DataFrame) -> tuple[PlanInputs, list[str]]:
    """Count the uncounted campaigns that marketing actions change (see the module doc)."""
    camps = inputs.campaigns
    if actions.empty or camps.empty or "campaign_id" not in actions:
        return inputs, []
    counted = {s.casefold() for s in inputs.settings.count_statuses}
    status = camps["status"].astype(object).map(lambda v: (_text(v) or "Planned"))
    marketing = actions[actions["type"].astype(str).isin(MARKETING_TYPES)]
    targets = {_text(c) for c in marketing["campaign_id"]} - {None}
    lift = camps["campaign_id"].astype(object).map(_text).isin(targets) \
        & ~status.str.casefold().isin(counted | {"cancelled", "canceled"})
    if not lift.any():
        return inputs, []
    changed = camps.copy()
    changed.loc[lift, "status"] = inputs.settings.count_statuses[0]
    ids = ", ".join(str(c) for c in changed.loc[lift, "campaign_id"])
    note = (f"campaign {ids} is not counted by the bridge ({', '.join(status[lift].unique())});"
            f" it is counted before and after here, as its remedies were valued")
    return dataclasses.replace(inputs, campaigns=changed), [note]


def _receipt(sku: str | None, loc: str | None, due: pd.Timestamp, qty: float,
             action: str) -> dict[str, object]:
    return {"sku": sku, "location": loc, "due": due, "qty": qty, "po_id": action,
            "status": None, "row": -1}


def simulate(inputs: PlanInputs, actions: pd.DataFrame, *, before: BridgeResult | None = None
             ) -> tuple[pd.DataFrame, list[str]]:
    """Before/after per sku-location whose projection the actions change, and notes."""
    inputs, notes = as_if_confirmed(inputs, actions)
    if before is None or notes:
        before = run_bridge(inputs)
    changed, more = apply_actions(inputs, actions)
    notes += more
    after = run_bridge(changed)
    b = before.summary.set_index(["sku", "location"])
    a = after.summary.set_index(["sku", "location"])
    poh_b = pd.DataFrame(before.poh, index=pd.MultiIndex.from_frame(before.keys[["sku",
                                                                                 "location"]]))
    poh_a = pd.DataFrame(after.poh, index=pd.MultiIndex.from_frame(after.keys[["sku",
                                                                              "location"]]))
    lost_b = pd.DataFrame(before.lost_weekly, index=poh_b.index)
    lost_a = pd.DataFrame(after.lost_weekly, index=poh_a.index)
    # a row changes when its projection or its lost units do: through a network a remedy
    # reaches every location of the DC (docs/semantics.md, "Remedies through the network")
    diff = ((poh_a.reindex(poh_b.index) - poh_b).abs().max(axis=1) > 1e-9) \
        | ((lost_a.reindex(lost_b.index) - lost_b).abs().max(axis=1) > 1e-9)
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


def _day(value: object) -> dt.date | None:
    return None if _text(value) is None else pd.Timestamp(value).date()
