"""The closed loop: exported actions enter the projection until the workbook shows them
(docs/semantics.md, "Closed loop").

An action that was approved and exported has been handed to the ERP or the campaign tool; until
the planner's own sheets show it, the bridge would project as if it had never been decided, and
propose it again. :func:`apply_commitments` puts every exported action (its values as exported,
from the decision log) into a copy of the inputs:

NEW_ORDER   a planned receipt of ``qty`` at ``location`` in ``week`` (po_id = the action_id),
            until the Receipts sheet lists that po_id (open, received or cancelled).
TRANSFER    the receiver's leg: ``qty`` in at ``location`` in ``week`` (po_id = the
            action_id), until the Receipts sheet lists that po_id; the donor's leg: ``qty``
            out at ``from_location`` in the ship week (``week`` − the lane's transit), until
            that week is past (then it has left, and the donor's on_hand shows it).
EXPEDITE    the open receipt ``po_id`` comes due in ``week``, until the Receipts sheet shows it
            due by then (or no longer lists it open: it arrived, or was cancelled).
REDUCE_LIFT / MOVE_WINDOW / EXCLUDE_LOCATIONS / SHIFT_SKU
            the campaign (campaign_id, sku) changed as the action says, until the Campaigns
            sheet shows the change (lift at most new_lift; start on new_start; none of the
            dropped locations in its scope; the campaign on alt_sku instead of sku).

Never double-counted: a receipt the sheet lists is the sheet's; a planned receipt whose week is
before the as-of week and that the sheet does not list is taken as received — it is in
on_hand by now — and not added (a warning says so: type it into Receipts if it is still open).
An expedite whose week is past while Receipts still shows the later date is not applied either
(the ERP did not move it; a warning says so).

Each commitment gets a ``state``: projected (it changed the projection), shown (the sheets show
it), received (past, taken as received), or lost (what it changes is not on the sheets any more).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pysnop.core import calendar
from pysnop.core.demand import CLOSED_RECEIPT_STATUSES
from pysnop.core.lanes import lane_transit
from pysnop.core.model import PlanInputs
from pysnop.core.simulate import MARKETING_TYPES, apply_actions, _scope
from pysnop.core.values import is_blank
from pysnop.errors import Problem

PROJECTED, SHOWN, RECEIVED, LOST = "projected", "shown", "received", "lost"
COMMITTED_COLUMNS = ["action_id", "type", "sku", "location", "from_location", "campaign_id",
                     "po_id", "alt_sku", "qty", "week", "new_lift", "new_start", "exported_at"]
EFFECT_COLUMNS = [*COMMITTED_COLUMNS, "state", "note"]
LIFT_TOL = 1e-9


@dataclass
class Commitments:
    """The inputs with the exported actions in them, and what became of each one."""

    inputs: PlanInputs
    effects: pd.DataFrame  # EFFECT_COLUMNS, one row per exported action
    warnings: list[Problem] = field(default_factory=list)

    @property
    def projected(self) -> pd.DataFrame:
        return self.effects[self.effects["state"] == PROJECTED]


def apply_commitments(inputs: PlanInputs, committed: pd.DataFrame, *,
                      listed_po_ids: Iterable[Any] = ()) -> Commitments:
    """``inputs`` with every exported action of ``committed`` (COMMITTED_COLUMNS, one row per
    export, in export order) that the sheets do not show yet (see the module doc).

    ``listed_po_ids``: po_ids of Receipts rows the inputs leave out (received, cancelled):
    a planned receipt listed there is the sheet's, not added again.
    """
    frame = committed.reindex(columns=COMMITTED_COLUMNS).reset_index(drop=True)
    frame["state"], frame["note"] = PROJECTED, ""
    if frame.empty:
        return Commitments(inputs, frame[EFFECT_COLUMNS])
    as_of = inputs.settings.resolved_as_of()
    week0 = calendar.monday_of(as_of)
    receipts = inputs.receipts
    status = receipts["status"].astype(object).map(_text).fillna("").str.casefold() \
        if "status" in receipts else pd.Series("", index=receipts.index)
    open_rows = receipts[~status.isin(CLOSED_RECEIPT_STATUSES).to_numpy()]
    # how many rows of the Receipts sheet carry each po_id: an action exported twice (made
    # again after the first was done) is shown once for each row
    listed = pd.Series([_key(p) for p in (*receipts["po_id"], *listed_po_ids)],
                       dtype=object).dropna().value_counts()
    kind = frame["type"].astype(str)
    week = pd.to_datetime(frame["week"], errors="coerce")
    past = (week < week0).to_numpy()
    ids = frame["action_id"].map(_key)
    supply_in = kind.isin(("NEW_ORDER", "TRANSFER")).to_numpy()
    nth = frame.groupby(ids, sort=False).cumcount().to_numpy()
    shown = supply_in & (nth < ids.map(listed).fillna(0).to_numpy())
    frame.loc[shown, ["state", "note"]] = [SHOWN, "on the Receipts sheet"]
    received = supply_in & ~shown & past
    frame.loc[received, ["state", "note"]] = [RECEIVED, "due before this week and not on the "
                                              "Receipts sheet: taken as received"]
    added = [_receipt(r, r["location"], r["week"], float(r["qty"]))
             for r in frame[supply_in & ~shown & ~received].to_dict("records")]
    added += _donor_legs(inputs, frame[kind.eq("TRANSFER").to_numpy()], week0)
    _check_expedites(frame, open_rows, set(listed.index), week, week0)
    _check_campaigns(frame, inputs)
    apply = frame[frame["state"].eq(PROJECTED).to_numpy()
                  & kind.isin(("EXPEDITE", *MARKETING_TYPES)).to_numpy()]
    changed, notes = apply_actions(inputs, apply.reindex(columns=COMMITTED_COLUMNS))
    for note in notes:  # e.g. a receipt apply_actions could not find after all
        action = note.split(":", 1)[0]
        frame.loc[frame["action_id"] == action, ["state", "note"]] = [LOST, note]
    if added:
        extra = pd.DataFrame(added).astype({"due": "datetime64[ns]"})
        base = changed.receipts
        merged = pd.concat([base, extra], ignore_index=True) if len(base) else \
            extra.reindex(columns=list(dict.fromkeys([*base.columns, *extra.columns])))
        merged["due"] = pd.to_datetime(merged["due"])
        changed = dataclasses.replace(changed, receipts=merged)
    effects = frame[EFFECT_COLUMNS]
    return Commitments(changed, effects, _warnings(effects))


def _donor_legs(inputs: PlanInputs, transfers: pd.DataFrame,
                week0: pd.Timestamp) -> list[dict[str, Any]]:
    """The donor's side of each exported transfer that has not left yet."""
    out = []
    for rec in transfers.to_dict("records"):
        donor = _text(rec.get("from_location"))
        week = pd.Timestamp(rec["week"]) if not is_blank(rec.get("week")) else None
        if donor is None or week is None or is_blank(rec.get("qty")):
            continue
        leaves = week - pd.Timedelta(days=7 * lane_transit(inputs, donor, rec["location"]))
        if leaves >= week0:  # a past ship week: it has left, the donor's on_hand shows it
            out.append(_receipt(rec, donor, leaves, -float(rec["qty"])))
    return out


def _check_expedites(frame: pd.DataFrame, open_rows: pd.DataFrame, listed: set[str],
                     week: pd.Series, week0: pd.Timestamp) -> None:
    """An expedite is shown once Receipts has its PO due by the action's week, gone when no
    open row of it is left (arrived or cancelled), stale when its week passed without it."""
    for at in np.flatnonzero(frame["type"].eq("EXPEDITE").to_numpy()):
        rec = frame.iloc[at]
        po = _key(rec["po_id"])
        mine = open_rows[(open_rows["sku"].astype(str) == str(rec["sku"]))
                         & (open_rows["location"].astype(str) == str(rec["location"]))]
        if po is not None:
            mine = mine[mine["po_id"].map(_key) == po]
        else:  # an unnumbered receipt: the same quantity, due after the action's week
            mine = mine[(pd.to_numeric(mine["qty"], errors="coerce") == float(rec["qty"]))
                        & (pd.to_datetime(mine["due"]) > week.iloc[at])]
        if mine.empty:
            frame.loc[at, ["state", "note"]] = (
                [SHOWN, f"receipt {rec['po_id']} is no longer open on the Receipts sheet"]
                if po in listed else
                [LOST, f"receipt {rec['po_id'] or ''} is not on the Receipts sheet any more"])
        elif (pd.to_datetime(mine["due"]).apply(calendar.monday_of) <= week.iloc[at]).any():
            frame.loc[at, ["state", "note"]] = [SHOWN, "the Receipts sheet shows it due by then"]
        elif week.iloc[at] < week0:
            frame.loc[at, ["state", "note"]] = [
                LOST, f"to arrive by {week.iloc[at]:%Y-%m-%d}, but the Receipts sheet still "
                      f"shows {rec['po_id'] or 'it'} due later: not projected any more"]


def _check_campaigns(frame: pd.DataFrame, inputs: PlanInputs) -> None:
    """A marketing action is shown once Campaigns has the change; lost when its campaign is
    not on the sheet any more."""
    camps = inputs.campaigns
    for at in np.flatnonzero(frame["type"].isin(MARKETING_TYPES).to_numpy()):
        rec = frame.iloc[at]
        cid, sku = _text(rec["campaign_id"]), _text(rec["sku"])
        ids = camps["campaign_id"].astype(object).map(_text)
        hit = camps[(ids == cid) & (camps["sku"].astype(object).map(_text) == sku)]
        kind = rec["type"]
        if kind == "SHIFT_SKU":
            moved = camps[(ids == cid) & (camps["sku"].astype(object).map(_text)
                                          == _text(rec["alt_sku"]))]
            if hit.empty:
                frame.loc[at, ["state", "note"]] = (
                    [SHOWN, f"the Campaigns sheet features {rec['alt_sku']}"] if len(moved)
                    else [LOST, f"campaign {cid} is not on the Campaigns sheet any more"])
            continue
        if hit.empty:
            frame.loc[at, ["state", "note"]] = [
                LOST, f"campaign {cid} for sku {sku} is not on the Campaigns sheet any more"]
        elif _campaign_shows(kind, hit, rec, inputs):
            frame.loc[at, ["state", "note"]] = [SHOWN, "the Campaigns sheet shows the change"]


def _campaign_shows(kind: str, hit: pd.DataFrame, rec: pd.Series, inputs: PlanInputs) -> bool:
    if kind == "REDUCE_LIFT":
        return bool((pd.to_numeric(hit["lift"], errors="coerce")
                     <= float(rec["new_lift"]) + LIFT_TOL).all())
    if kind == "MOVE_WINDOW":
        return bool((pd.to_datetime(hit["start"]) == pd.Timestamp(rec["new_start"])).all())
    if kind == "EXCLUDE_LOCATIONS":
        drop = {p.strip() for p in str(rec["location"] or "").split(",") if p.strip()}
        return all(not drop & set(_scope(inputs, scope, rec["sku"]))
                   for scope in hit["locations"])
    return False


def _warnings(effects: pd.DataFrame) -> list[Problem]:
    """What a planner should know: a planned receipt taken as received, an expedite or
    campaign change that can no longer be applied."""
    out = []
    for rec in effects[effects["state"].isin((RECEIVED, LOST)).to_numpy()].to_dict("records"):
        what = f"{rec['action_id']} ({rec['type']}, exported {_day(rec['exported_at'])})"
        if rec["state"] == RECEIVED:
            text = (f"{what} was due {_day(rec['week'])} and is not on the Receipts sheet: "
                    f"taken as received (in on_hand); if it is still open, add it to Receipts "
                    f"with po_id {rec['action_id']}")
            sheet = "Receipts"
        else:
            text = f"{what}: {rec['note']}"
            sheet = "Campaigns" if rec["type"] in MARKETING_TYPES else "Receipts"
        out.append(Problem(text, sheet, severity="warning"))
    return out


def covered_by(keys: pd.DataFrame, status: Any, effects: pd.DataFrame) -> pd.Series:
    """Per Bridge row (``keys``: sku, location; ``status`` its summary status), which
    exported actions in the projection touch it: "covered by ORD-1a2b3c4d, exported
    2026-11-18" where the row is OK now, "partly covered by …" where it is still at risk,
    "TRF-… ships 30 to S02, exported …" at a transfer's donor; "" elsewhere."""
    projected = effects[effects["state"] == PROJECTED].reset_index(drop=True)
    index = pd.MultiIndex.from_arrays([keys["sku"].astype(str), keys["location"].astype(str)])
    if projected.empty:
        return pd.Series("", index=keys.index, dtype=object)
    stamp = projected["action_id"].astype(str) + ", exported " + \
        projected["exported_at"].map(_day).astype(object)
    # the sku-locations each action helps: its SKU (and a SHIFT_SKU's substitute) at each
    # location it names
    helped = projected.assign(stamp=stamp, loc=projected["location"].astype(str).str.split(","))
    helped = helped.explode("loc")
    helped["loc"] = helped["loc"].str.strip()
    shifted = helped[helped["type"] == "SHIFT_SKU"].assign(sku=lambda f: f["alt_sku"])
    helped = pd.concat([helped, shifted], ignore_index=True)
    helped = helped[(helped["loc"] != "") & helped["sku"].notna()]
    helps = helped.groupby([helped["sku"].astype(str), "loc"], sort=False)["stamp"] \
        .agg("; ".join).reindex(index)
    donors = projected[(projected["type"] == "TRANSFER") & projected["from_location"].notna()]
    sent = (donors["action_id"].astype(str) + " ships "
            + pd.to_numeric(donors["qty"]).map("{:,.0f}".format) + " to "
            + donors["location"].astype(str) + ", exported "
            + donors["exported_at"].map(_day).astype(object))
    ships = sent.groupby([donors["sku"].astype(str), donors["from_location"].astype(str)],
                         sort=False).agg("; ".join).reindex(index)
    ok = np.asarray(status, dtype=object) == "OK"
    lead = np.where(ok, "covered by ", "partly covered by ")
    has_help = helps.notna().to_numpy()
    first = np.where(has_help, lead + helps.fillna("").to_numpy(dtype=object), "")
    second = ships.fillna("").to_numpy(dtype=object)
    joined = np.where(has_help & (second != ""), first + "; " + second,
                      np.where(has_help, first, second))
    return pd.Series(joined, index=keys.index, dtype=object)


def _receipt(rec: dict[str, Any], location: Any, due: Any, qty: float) -> dict[str, Any]:
    return {"sku": rec["sku"], "location": location, "due": pd.Timestamp(due), "qty": qty,
            "po_id": rec["action_id"], "status": None, "row": -1}


def _key(value: Any) -> str | None:
    text = _text(value)
    return None if text is None else text.casefold()


def _text(value: Any) -> str | None:
    if is_blank(value):
        return None
    text = str(value).strip()
    return text or None


def _day(value: Any) -> str:
    return "" if is_blank(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


__all__ = ["COMMITTED_COLUMNS", "EFFECT_COLUMNS", "LOST", "PROJECTED", "RECEIVED", "SHOWN",
           "Commitments", "apply_commitments", "covered_by"]
