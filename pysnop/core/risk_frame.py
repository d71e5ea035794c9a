"""The risks frame: one row per decision, beside the proposals (docs/semantics.md §3,
"Risks and decisions").

RISK_COLUMNS:
  risk_id          RSK- + 8 hex of what the risk is about (stable across re-runs)
  kind             "sku-location", "campaign", or "network": a DC and the fed rows its fair
                   share leaves short (with the DC's row when at risk); its risk_id is the DC's
                   own sku-location id
  draft            a campaign risk judged with an uncounted (Draft) campaign added, not a risk
                   the Bridge projects
  sku, location    the SKU; the locations of its cells (", "-joined, Bridge order)
  campaign_id      campaign risk: its campaigns; sku-location risk: the counted campaigns
                   touching it (as on the Bridge)
  status           STOCKOUT when a cell projects below zero in some week, else AT RISK
  first_risk_week  the Monday of the first week any cell is below threshold
  shortfall_units  Σ over cells of max_w (threshold − poh): what the decision must make good
                   (a fed row short by its DC's fair share adds nothing when the DC's row is a
                   cell: the DC's shortfall is in the units its locations need)
  lost_units, margin_at_risk   Σ over cells (lost-sales run; margin week by week)
  act_by           the earliest Bridge act_by of its cells (it may be past: too late to
                   order); a Draft's risk: the Monday of the campaign's start
  too_late         act_by before week 0
  alternatives, recommended    how many proposals it has, and how many do not lose money
  best_action_id   its recommended alternative ranked 1, if any
  fixable          it has at least one alternative
  note             "" or one plain sentence: nothing can fix it, only below safety stock, or
                   every remedy loses money
  rank             the order of the risks: Bridge-projected risks by their worst cell in the
                   Bridge's order (worst first), then Draft campaigns in Campaigns order
  dc               the DC a network risk (or a campaign risk that takes one in) is grouped
                   around: its remedies (expedites into it, its new order) belong to this risk
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core import calendar
from pysnop.core.action_context import UNIT_EPS, ActionContext, day, join_by
from pysnop.core.risks import RiskBook
from pysnop.core.valuation import worth

RISK_COLUMNS = ["risk_id", "kind", "draft", "sku", "location", "campaign_id", "status",
                "first_risk_week", "shortfall_units", "lost_units", "margin_at_risk", "act_by",
                "too_late", "alternatives", "recommended", "best_action_id", "fixable", "note",
                "rank", "dc"]


def risk_order(ctx: ActionContext, book: RiskBook) -> NDArray[np.int64]:
    """Position of each risk in the sheet order (see RISK_COLUMNS ``rank``)."""
    k = len(book)
    first_row = np.full(k, np.iinfo(np.int64).max)
    np.minimum.at(first_row, book.cell_risk, book.cell_row)
    first_camp = np.array([min(c) if c else -1 for c in book.campaigns], dtype=np.int64)
    key = pd.DataFrame({"draft": ~book.counted,
                        "at": np.where(book.counted, first_row, first_camp), "n": np.arange(k)})
    order = key.sort_values(["draft", "at", "n"], kind="stable").index.to_numpy()
    pos = np.empty(k, dtype=np.int64)
    pos[order] = np.arange(k)
    return pos


def risk_frame(ctx: ActionContext, book: RiskBook, proposals: pd.DataFrame,
               order: NDArray[np.int64]) -> pd.DataFrame:
    k = len(book)
    cells = pd.DataFrame({"risk": book.cell_risk, "row": book.cell_row,
                          "pos": order[book.cell_risk] if k else np.zeros(0, np.int64)})
    cells = cells.sort_values(["pos", "row"], kind="stable")
    rows, risks = cells["row"].to_numpy(), cells["risk"].to_numpy()
    loc = join_by(ctx.location[rows], risks, k, empty=None)
    gap, lost = book.cell_gap, book.cell_lost
    below = gap > 0
    first = np.where(below.any(axis=1), np.argmax(below, axis=1), ctx.horizon)
    first_risk = np.full(k, ctx.horizon, dtype=np.int64)
    np.minimum.at(first_risk, book.cell_risk, first)
    counts = book.cell_counts if book.cell_counts is not None else np.ones(len(gap), bool)
    shortfall = _sum(book, np.where(counts, gap.max(axis=1, initial=0.0), 0.0), k)
    lost_units = _sum(book, lost.sum(axis=1), k)
    money = _sum(book, worth(lost, ctx.margin_week[book.cell_row]), k)
    stockout = np.zeros(k, dtype=bool)
    np.logical_or.at(stockout, book.cell_risk, book.cell_stockout)
    act = _act_by(ctx, book, k)
    too_late = act.notna().to_numpy() & (act.to_numpy() < ctx.week0.to_datetime64())

    cids = ctx.inputs.campaigns["campaign_id"].astype(str).to_numpy() \
        if len(ctx.inputs.campaigns) else np.zeros(0, dtype=object)
    first_cell = np.full(k, -1, dtype=np.int64)  # first cell in sheet order
    seen, at = np.unique(risks, return_index=True)
    first_cell[seen] = rows[at]
    campaign = ctx.campaign_ids_of(first_cell)
    for r, c in enumerate(book.campaigns):
        if c:
            campaign[r] = ", ".join(cids[c])
    counts = proposals.groupby("risk_id", sort=False).agg(
        alternatives=("action_id", "size"), recommended=("recommended", "sum"))
    best = proposals[proposals["alt_rank"] == 1].set_index("risk_id")["action_id"]
    n_alt = counts["alternatives"].reindex(book.risk_id).fillna(0).to_numpy(np.int64)
    n_rec = counts["recommended"].reindex(book.risk_id).fillna(0).to_numpy(np.int64)
    frame = pd.DataFrame({
        "risk_id": book.risk_id, "kind": book.kind, "draft": ~book.counted,
        "sku": ctx.sku[np.maximum(first_cell, 0)] if k else np.zeros(0, dtype=object),
        "location": loc, "campaign_id": campaign,
        "status": np.where(stockout, "STOCKOUT", "AT RISK").astype(object),
        "first_risk_week": ctx.weeks(np.minimum(first_risk, max(ctx.horizon - 1, 0))),
        "shortfall_units": np.round(shortfall, 6), "lost_units": np.round(lost_units, 6),
        "margin_at_risk": np.round(money, 6), "act_by": act, "too_late": too_late,
        "alternatives": n_alt, "recommended": n_rec,
        "best_action_id": _none_for_nan(best.reindex(book.risk_id).to_numpy(dtype=object)),
        "fixable": n_alt > 0, "rank": order + 1,
        "dc": book.dc if book.dc is not None else np.full(k, None, dtype=object)})
    frame["note"] = _notes(ctx, n_alt, n_rec, lost_units, act, too_late, book.counted)
    for col in ("risk_id", "kind", "sku", "location", "campaign_id", "status", "note",
                "best_action_id", "dc"):  # text as Python str, blanks as None
        frame[col] = pd.Series(_none_for_nan(frame[col].to_numpy(dtype=object)), dtype=object,
                               index=frame.index)
    return frame.sort_values("rank", kind="stable").reset_index(drop=True)


def _none_for_nan(values: NDArray[Any]) -> NDArray[Any]:
    """``values`` (object) with None for each None or float NaN (no other value changes):
    pandas finds the blank-looking values in C; their types say which of them are blank."""
    out = np.array(values, dtype=object)
    maybe = np.flatnonzero(pd.isna(out))
    if len(maybe) == 0:
        return out
    # of those, None and the floats (NaN, as pd.isna found them) are blank: told apart by
    # their types, each distinct type judged once
    kinds = np.frompyfunc(type, 1, 1)(out[maybe])
    blank_kinds = [t for t in set(kinds.tolist()) if t is type(None) or issubclass(t, float)]
    out[maybe[pd.Index(kinds, dtype=object).isin(blank_kinds)]] = None
    return out


def _notes(ctx: ActionContext, n_alt: NDArray[np.int64], n_rec: NDArray[np.int64],
           lost: NDArray[np.float64], act: pd.Series, too_late: NDArray[np.bool_],
           counted: NDArray[np.bool_]) -> NDArray[Any]:
    """:func:`_note` of every risk, said once per distinct case (the as-of date matters only
    to a risk too late to order)."""
    k = len(n_alt)
    if k == 0:
        return np.zeros(0, dtype=object)
    act_ns = act.to_numpy(dtype="datetime64[ns]")
    case = np.select([(n_alt > 0) & (n_rec > 0), n_alt > 0, lost <= UNIT_EPS, ~counted,
                      too_late, np.isnat(act_ns)], [0, 1, 2, 3, 4, 5], 6)
    when = np.where(case == 4, act_ns.astype(np.int64), 0)
    _, first, inverse = np.unique(np.stack([case, when], axis=1), axis=0, return_index=True,
                                  return_inverse=True)
    said = np.array([_note(ctx, int(n_alt[r]), int(n_rec[r]), float(lost[r]), act.iloc[r],
                           bool(too_late[r]), bool(counted[r])) for r in first.tolist()],
                    dtype=object)
    out: NDArray[Any] = said[inverse.reshape(-1)]
    return out


def _sum(book: RiskBook, values: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    return np.asarray(np.bincount(book.cell_risk, weights=values, minlength=k), dtype=float)


def _act_by(ctx: ActionContext, book: RiskBook, k: int) -> pd.Series:
    act = pd.to_datetime(ctx.result.summary["act_by"]).to_numpy(dtype="datetime64[ns]")
    earliest = pd.Series(act[book.cell_row]).groupby(book.cell_risk).min() \
        .reindex(np.arange(k)).to_numpy(dtype="datetime64[ns]").copy()
    camps = ctx.inputs.campaigns
    for r in np.flatnonzero(~book.counted):
        start = pd.Timestamp(camps["start"].iloc[book.campaigns[r][0]])
        earliest[r] = calendar.monday_of(start).to_datetime64()
    return pd.Series(earliest, dtype="datetime64[ns]")


def _note(ctx: ActionContext, alternatives: int, recommended: int, lost: float, act_by: Any,
          too_late: bool, counted: bool) -> str:
    if alternatives and recommended:
        return ""
    if alternatives:
        return "every remedy costs more than the margin it protects: none is recommended"
    if lost <= UNIT_EPS:
        return "below threshold only: no sale is lost in the horizon, so nothing is proposed"
    why = []
    if counted:
        if too_late:
            why.append(f"too late to order (act_by {day(act_by)})")
        elif pd.isna(act_by):
            why.append("no lead time to order with")
        why.append(f"no open receipt can be pulled in within "
                   f"{ctx.whole_setting('expedite_max_weeks')} weeks")
        why.append("no location can spare stock in time")
    else:
        why.append("no change to the draft campaign avoids its lost sales")
    return "nothing can fix it: " + "; ".join(why)
