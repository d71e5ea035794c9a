"""Action proposals for every risk of a bridge run: one decision per risk (docs/semantics.md §3).

:func:`plan_actions` returns an :class:`ActionPlan` of three frames:

proposals (ACTION_COLUMNS), one row per alternative, grouped by risk:
  action_id       stable id: type prefix + 8 hex of a hash of what the proposal *is* (type, sku,
                  location for supply actions, from_location, campaign for marketing ones,
                  po_id — or due date of an unnumbered receipt —, alt_sku), never of its
                  quantities or values, so a re-run with new numbers keeps the id
  type, owner     EXPEDITE / TRANSFER / NEW_ORDER → Supply; EXCLUDE_LOCATIONS / REDUCE_LIFT /
                  MOVE_WINDOW / SHIFT_SKU → Marketing
  sku, location   the SKU and the location protected (TRANSFER: the receiver;
                  EXCLUDE_LOCATIONS: the locations dropped; other marketing actions: the
                  scoped locations where lost sales are avoided, comma-separated)
  from_location   TRANSFER: the donor
  campaign_id     marketing: the campaign; supply: the counted campaigns at the location
  po_id, alt_sku  EXPEDITE: the receipt pulled in; SHIFT_SKU: the SKU featured instead
  qty, week       units and the Monday of the week they matter (arrival for supply actions;
                  campaign start, or new start, for marketing ones)
  cost, units_protected, margin_protected, net_value = margin_protected − cost
  reason          one plain sentence
  new_lift, new_start  REDUCE_LIFT's capped lift, MOVE_WINDOW's new start date
  rank            position in the sheet order: risks in Bridge order (worst first), then
                  each risk's alternatives (recommended first, by net value)
  risk_id         the decision this alternative belongs to (a row of ``risks``)
  recommended     False when it loses money (net_value < 0): never ranked first
  alt_rank        1, 2, … among the risk's recommended alternatives; <NA> when not recommended
  act_by          the date to act by, never before the as-of date
  covers_units    how much of the risk's shortfall it removes on its own (Σ over its cells of
                  the cell's shortfall minus what is left of it)
  covers_risk     on its own it leaves no week of the risk below threshold

risks (RISK_COLUMNS): :mod:`pysnop.core.risk_frame`.

cover (COVER_COLUMNS): for each proposal and each week one of its risk's cells is below
threshold: the gap (threshold − poh) and the proposal's fill (its change of poh − threshold
that week). The decision rules of :mod:`pysnop.core.coordination` read this.

Every proposal is valued alone against the bridge's projection (a supply remedy at a networked
row by re-running the network: :mod:`pysnop.core.network_remedies`); proposals that avoid no lost
unit are dropped (a risk that is only below safety stock loses no sale: nothing is proposed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core.action_context import UNIT_EPS, ActionContext, build_context
from pysnop.core.campaign_remedies import propose_campaign_remedies
from pysnop.core.model import BridgeResult, PlanInputs
from pysnop.core.proposals import PROPOSAL_COLUMNS, Batch, concat, keep
from pysnop.core.remedies import propose_expedites, propose_new_orders
from pysnop.core.risk_frame import RISK_COLUMNS, risk_frame, risk_order
from pysnop.core.risks import RiskBook, build_risks
from pysnop.core.transfers import propose_transfers, start_transfers
from pysnop.core.values import per_distinct_text

ACTION_TYPES = ("EXPEDITE", "TRANSFER", "NEW_ORDER", "EXCLUDE_LOCATIONS", "REDUCE_LIFT",
                "MOVE_WINDOW", "SHIFT_SKU")
PREFIX = {"EXPEDITE": "EXP", "TRANSFER": "TRF", "NEW_ORDER": "ORD", "EXCLUDE_LOCATIONS": "EXC",
          "REDUCE_LIFT": "LFT", "MOVE_WINDOW": "MOV", "SHIFT_SKU": "SKU"}
ACTION_COLUMNS = ["action_id", "type", "owner", "sku", "location", "from_location",
                  "campaign_id", "po_id", "alt_sku", "qty", "week", "cost", "units_protected",
                  "margin_protected", "net_value", "reason", "new_lift", "new_start", "rank",
                  "risk_id", "recommended", "alt_rank", "act_by", "covers_units", "covers_risk"]
COVER_COLUMNS = ["action_id", "risk_id", "sku", "location", "week", "gap", "fill"]
DIGITS = 6
COVER_TOL = 1e-6  # units: a fill this close to the gap closes it
SUPPLY_TYPES = {"EXPEDITE", "TRANSFER", "NEW_ORDER"}


@dataclass
class ActionPlan:
    proposals: pd.DataFrame  # ACTION_COLUMNS
    risks: pd.DataFrame  # RISK_COLUMNS
    cover: pd.DataFrame  # COVER_COLUMNS


def propose_actions(inputs: PlanInputs, result: BridgeResult, *,
                    margin_week: NDArray[np.float64] | None = None) -> pd.DataFrame:
    """The proposals of :func:`plan_actions` (grouped by risk, ranked)."""
    return plan_actions(inputs, result, margin_week=margin_week).proposals


def plan_actions(inputs: PlanInputs, result: BridgeResult, *,
                 margin_week: NDArray[np.float64] | None = None) -> ActionPlan:
    """Risks, their ranked alternatives and what each alternative covers.

    ``margin_week`` (Bridge rows × weeks) values lost units week by week at another margin
    than the regular one (the promo-margin hook of :mod:`pysnop.core.valuation`).
    """
    ctx = build_context(inputs, result, margin_week)
    horizon = ctx.horizon
    # up to OVERLAP_ROWS the transfer LP is solved on a second thread while the risks and
    # the other remedies are made (HiGHS frees the GIL); the batches are joined in the same
    # order whichever finishes first
    with overlapping(len(ctx.sku), "pysnop-transfers") as pool:
        pending = start_transfers(ctx, pool)
        book = build_risks(ctx)  # the LP needs none of it: it starts first
        expedites = propose_expedites(ctx)
        orders = propose_new_orders(ctx)
        campaign = propose_campaign_remedies(ctx)
        batch = concat([expedites, propose_transfers(ctx, pending), orders, campaign],
                       horizon)
    saves = batch.frame["units_protected"].astype(float).to_numpy() > UNIT_EPS
    batch = keep(batch, saves)
    home_row = batch.frame["home_row"].to_numpy(dtype=np.int64)
    home_camp = batch.frame["home_campaign"].to_numpy(dtype=np.int64)
    risk = np.where(home_row >= 0, book.row_risk[np.maximum(home_row, 0)],
                    book.campaign_risk[np.maximum(home_camp, 0)]
                    if len(book.campaign_risk) else -1)
    batch = keep(batch, risk >= 0)
    risk = risk[risk >= 0]
    frame = _tidy(batch.frame)
    frame["action_id"] = _unique(action_ids(frame))
    frame["risk_id"] = book.risk_id[risk] if len(risk) else np.zeros(0, dtype=object)
    cover, covers_units, covers_risk = _cover(book, batch, risk, frame, ctx)
    frame["covers_units"] = np.round(covers_units, DIGITS)
    frame["covers_risk"] = covers_risk
    frame["recommended"] = frame["net_value"] >= 0
    order_of_risk = risk_order(ctx, book)
    order = pd.DataFrame({
        "risk": order_of_risk[risk] if len(risk) else np.zeros(0),
        "rec": ~frame["recommended"].to_numpy(dtype=bool),
        "net": -frame["net_value"], "margin": -frame["margin_protected"],
        "type": frame["type"].map({t: n for n, t in enumerate(ACTION_TYPES)}),
        "id": frame["action_id"]})
    sequence = order.sort_values(["risk", "rec", "net", "margin", "type", "id"],
                                 kind="stable").index
    frame = frame.loc[sequence].reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    alt = frame[frame["recommended"]].groupby("risk_id", sort=False).cumcount() + 1
    frame["alt_rank"] = alt.reindex(frame.index).astype("Int64")
    risks = risk_frame(ctx, book, frame, order_of_risk)
    return ActionPlan(frame[ACTION_COLUMNS], risks[RISK_COLUMNS], cover[COVER_COLUMNS])


# Above this many Bridge rows the work is not overlapped on a second thread: both threads'
# working memory is then held at once (about 300 MB more peak at 100,000 sku-locations),
# and the overlap saved no measurable time there (benchmarks/, README "Benchmarks")
OVERLAP_ROWS = 20_000


@contextmanager
def overlapping(rows: int, name: str) -> Iterator[ThreadPoolExecutor | None]:
    """A one-thread pool to overlap work on, for up to :data:`OVERLAP_ROWS` rows; None
    (do it in turn) above."""
    if rows > OVERLAP_ROWS:
        yield None
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=name) as pool:
        yield pool


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in ("qty", "cost", "units_protected", "margin_protected", "new_lift"):
        frame[col] = frame[col].astype(float).round(DIGITS)  # no 1e-12 float dust
    for col in ("sku", "location", "from_location", "campaign_id", "po_id", "alt_sku",
                "reason"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    for col in ("week", "new_start", "act_by"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    frame["net_value"] = (frame["margin_protected"] - frame["cost"]).round(DIGITS)
    return frame


def _cover(book: RiskBook, batch: Batch, risk: NDArray[np.int64], frame: pd.DataFrame,
           ctx: ActionContext) -> tuple[pd.DataFrame, NDArray[np.float64], NDArray[np.bool_]]:
    """The cover frame and, per proposal, covers_units and covers_risk (see module doc)."""
    n = len(frame)
    eff_q = batch.effect_of
    cell = book.cell_at(risk[eff_q], batch.effect_row) if len(eff_q) else np.zeros(0, np.int64)
    mine = cell >= 0
    eff_q = eff_q[mine]
    cell = cell[mine]
    delta = batch.effect_delta[mine] if batch.effect_delta is not None else np.zeros((0, 0))
    gap = book.cell_gap[cell]
    below = gap > COVER_TOL
    residual = np.where(below, np.maximum(gap - delta, 0.0), 0.0).max(axis=1, initial=0.0)
    need = gap.max(axis=1, initial=0.0)
    # bincount adds in the order given, as np.add.at would
    counts = book.cell_counts[cell] if book.cell_counts is not None else np.ones(len(cell), bool)
    covers_units = np.asarray(np.bincount(
        eff_q, weights=np.where(counts, np.maximum(need - residual, 0.0), 0.0), minlength=n),
        dtype=float)
    closed = np.bincount(eff_q, weights=(below & (delta >= gap - COVER_TOL)).sum(axis=1),
                         minlength=n)
    entries = np.bincount(book.cell_risk, weights=(book.cell_gap > COVER_TOL).sum(axis=1),
                          minlength=len(book)).astype(np.int64)
    covers_risk = (closed >= entries[risk]) & (entries[risk] > 0) if n else np.zeros(0, bool)
    q, w = np.nonzero(below)
    rows = book.cell_row[cell[q]]
    cover = pd.DataFrame({
        "action_id": frame["action_id"].to_numpy(dtype=object)[eff_q[q]],
        "risk_id": book.risk_id[book.cell_risk[cell[q]]],
        "sku": frame["sku"].to_numpy(dtype=object)[eff_q[q]],
        "location": ctx.location[rows],
        "week": ctx.weeks(w), "gap": np.round(gap[q, w], DIGITS),
        "fill": np.round(delta[q, w], DIGITS)})
    return cover, covers_units, np.asarray(covers_risk, dtype=bool)


def action_ids(frame: pd.DataFrame) -> list[str]:
    """:func:`action_id` of every row of a proposals frame (each column's distinct texts
    made once; the hash is per row, as every identity is its own)."""
    kind = frame["type"].astype(str).to_numpy(dtype=object)
    supply = pd.Index(kind).isin(list(SUPPLY_TYPES))
    blank = np.full(len(frame), "", dtype=object)
    parts = [kind, _texts(frame["sku"]), np.where(supply, _texts(frame["location"]), blank),
             _texts(frame["from_location"]),
             np.where(~supply, _texts(frame["campaign_id"]), blank), _texts(frame["ident"]),
             _texts(frame["alt_sku"])]
    return [f"{PREFIX[key[0]]}-{hashlib.sha1(chr(31).join(key).encode('utf-8')).hexdigest()[:8]}"
            for key in zip(*(part.tolist() for part in parts))]


def _texts(column: pd.Series) -> NDArray[np.object_]:
    return per_distinct_text(column.to_numpy(dtype=object), _text)


def action_id(proposal: Any) -> str:
    """Type prefix + 8 hex digits of the proposal's identity (not its numbers)."""
    kind = proposal.type
    campaign = "" if kind in SUPPLY_TYPES else _text(proposal.campaign_id)
    location = _text(proposal.location) if kind in SUPPLY_TYPES else ""
    parts = [kind, _text(proposal.sku), location, _text(proposal.from_location), campaign,
             _text(proposal.ident), _text(proposal.alt_sku)]
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:8]
    return f"{PREFIX[kind]}-{digest}"


def _unique(ids: list[str]) -> list[str]:
    """Two proposals with one identity (two shipments of one lane, two unnumbered receipts
    due the same day): the first keeps the id, the next get -2, -3, …"""
    out = np.array(ids, dtype=object)
    nth = pd.Series(out).groupby(out, sort=False).cumcount().to_numpy() + 1
    again = np.flatnonzero(nth > 1)
    out[again] = [f"{i}-{k}" for i, k in zip(out[again].tolist(), nth[again].tolist())]
    listed: list[str] = out.tolist()
    return listed


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


__all__ = ["ACTION_COLUMNS", "ACTION_TYPES", "COVER_COLUMNS", "PROPOSAL_COLUMNS", "RISK_COLUMNS",
           "ActionPlan", "action_id", "action_ids", "plan_actions", "propose_actions"]
