"""Action proposals for every risk of a bridge run, valued and ranked (SPEC §4, issue 3).

``propose_actions(inputs, result)`` returns one row per proposal:

action_id         stable id: type prefix + 8 hex of a hash of what the proposal *is* (type, sku,
                  location, from_location, campaign for marketing actions, po_id — or due date of
                  an unnumbered receipt —, alt_sku),
                  never of its quantities or values, so a re-run with new numbers keeps the id
type, owner       EXPEDITE / TRANSFER / NEW_ORDER → Supply; REDUCE_LIFT / MOVE_WINDOW /
                  SHIFT_SKU → Marketing
sku, location     the SKU and the location protected (TRANSFER: the receiver; marketing: the
                  scoped locations where lost sales are avoided, comma-separated)
from_location     TRANSFER: the donor; else blank
campaign_id       marketing: the campaign; supply: the counted campaigns at the location
po_id, alt_sku    EXPEDITE: the receipt pulled in; SHIFT_SKU: the SKU featured instead
qty, week         units and the Monday of the week they matter (arrival for supply actions;
                  campaign start, or new start, for marketing ones)
cost, units_protected, margin_protected, net_value = margin_protected − cost
reason            one plain sentence
new_lift, new_start  REDUCE_LIFT's capped lift, MOVE_WINDOW's new start date
rank              1 = highest net value

Every proposal is valued alone against the bridge's projection: they are alternatives for
the planner to choose among, not a plan whose effects add up. Proposals that avoid no lost
unit are dropped (a risk that is only below safety stock loses no sale, so it protects no
margin in this valuation).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from pysnop.core.action_context import UNIT_EPS, build_context
from pysnop.core.campaign_remedies import propose_campaign_remedies
from pysnop.core.model import BridgeResult, PlanInputs
from pysnop.core.remedies import PROPOSAL_COLUMNS, propose_expedites, propose_new_orders
from pysnop.core.transfers import propose_transfers

ACTION_TYPES = ("EXPEDITE", "TRANSFER", "NEW_ORDER", "REDUCE_LIFT", "MOVE_WINDOW", "SHIFT_SKU")
PREFIX = {"EXPEDITE": "EXP", "TRANSFER": "TRF", "NEW_ORDER": "ORD", "REDUCE_LIFT": "LFT",
          "MOVE_WINDOW": "MOV", "SHIFT_SKU": "SKU"}
ACTION_COLUMNS = ["action_id", "type", "owner", "sku", "location", "from_location",
                  "campaign_id", "po_id", "alt_sku", "qty", "week", "cost", "units_protected",
                  "margin_protected", "net_value", "reason", "new_lift", "new_start", "rank"]
DIGITS = 6
SUPPLY_TYPES = {"EXPEDITE", "TRANSFER", "NEW_ORDER"}


def propose_actions(inputs: PlanInputs, result: BridgeResult) -> pd.DataFrame:
    """Ranked, valued proposals for the risks in ``result`` (computed from ``inputs``)."""
    ctx = build_context(inputs, result)
    records = (propose_expedites(ctx) + propose_transfers(ctx) + propose_new_orders(ctx)
               + propose_campaign_remedies(ctx))
    frame = pd.DataFrame.from_records(records, columns=PROPOSAL_COLUMNS)
    frame = frame[frame["units_protected"].astype(float) > UNIT_EPS].reset_index(drop=True)
    for col in ("qty", "cost", "units_protected", "margin_protected", "new_lift"):
        frame[col] = frame[col].astype(float).round(DIGITS)  # no 1e-12 float dust
    for col in ("sku", "location", "from_location", "campaign_id", "po_id", "alt_sku",
                "reason"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    for col in ("week", "new_start"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    frame["net_value"] = (frame["margin_protected"] - frame["cost"]).round(DIGITS)
    frame["action_id"] = _unique([action_id(r) for r in frame.itertuples(index=False)])
    order = pd.DataFrame({
        "net": -frame["net_value"], "margin": -frame["margin_protected"],
        "type": frame["type"].map({t: n for n, t in enumerate(ACTION_TYPES)}),
        "id": frame["action_id"]})
    frame = frame.loc[order.sort_values(["net", "margin", "type", "id"], kind="stable").index]
    frame = frame.reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame[ACTION_COLUMNS]


def action_id(proposal) -> str:
    """Type prefix + 8 hex digits of the proposal's identity (not its numbers)."""
    kind = proposal.type
    campaign = "" if kind in SUPPLY_TYPES else _text(proposal.campaign_id)
    location = _text(proposal.location) if kind in SUPPLY_TYPES else ""
    parts = [kind, _text(proposal.sku), location, _text(proposal.from_location), campaign,
             _text(proposal.ident), _text(proposal.alt_sku)]
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:8]
    return f"{PREFIX[kind]}-{digest}"


def _unique(ids: list[str]) -> list[str]:
    """Two proposals with one identity (e.g. two unnumbered receipts due the same day)."""
    seen: dict[str, int] = {}
    out = []
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
        out.append(i if seen[i] == 1 else f"{i}-{seen[i]}")
    return out


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()
