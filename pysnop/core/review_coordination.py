"""Approvals coordinated per risk while the Actions sheet is read back (docs/semantics.md
§3, "Cover, covers and more than needed"): new approvals taken in rank order, one that
would give its risk more than it needs refused; a standing approval a rejection left more
than needed withdrawn to Needs re-approval; Proposed and Superseded re-marked against the
approved set. The set arithmetic is :mod:`pysnop.core.coordination`'s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pysnop.core.coordination import (
    BINDING,
    Coverage,
    Verdict,
    check_approval,
    fill_of,
    need_of,
    superseded,
)
from pysnop.core.decision_records import (
    APPROVED,
    NEEDS_REAPPROVAL,
    PROPOSED,
    SUPERSEDED,
    SYSTEM,
    Event,
    Known,
    Review,
    parse_status,
    parse_statuses,
    row_of,
    row_warning,
    set_cells,
)
from pysnop.core.values import is_blank_text

def coordinate(review: Review, cover: pd.DataFrame | Coverage, known: dict[str, Known],
               now: dt.datetime) -> None:
    """Refuse approvals that give a risk more than it needs; re-mark Superseded (in place)."""
    rows = review.rows
    if rows.empty:
        return
    coverage = coverage_of(cover)
    ids = rows["action_id"].astype(str)
    status = rows["status"].map(parse_status)
    fresh = [(n, e) for n, e in enumerate(review.events)
             if e.field == "status" and e.outcome == "accepted" and e.new == APPROVED]
    fresh_ids = {e.action_id for _, e in fresh}
    chosen = set(ids[status.isin(BINDING).to_numpy()]) - fresh_ids
    position = {a: p for p, a in enumerate(ids)}
    rank = pd.to_numeric(rows["rank"], errors="coerce") if "rank" in rows else \
        pd.Series(float("nan"), index=rows.index)

    def rank_of(action: str) -> tuple[bool, float, int]:
        at = position[action]  # better-ranked alternatives are taken first
        value = rank.iloc[at]
        return (bool(pd.isna(value)), 0.0 if pd.isna(value) else float(value), at)

    fresh.sort(key=lambda item: rank_of(item[1].action_id))
    review.events += _withdraw_redundant(rows, coverage, chosen, ids, status, rank_of, now)
    for n, event in fresh:
        verdict = check_approval(coverage, chosen, event.action_id)
        if verdict is None:
            chosen.add(event.action_id)
            continue
        at = rows.index[position[event.action_id]]
        prior = known.get(event.action_id) or Known(event.old or PROPOSED)
        back = prior.status if prior.status != APPROVED else PROPOSED
        message = _too_much(verdict, coverage, rows, position, back)
        review.events[n] = Event(event.action_id, "status", event.old, APPROVED, event.who,
                                 now, "refused", message)
        review.problems.append(row_warning(row_of(rows.loc[at].to_dict()), "status",
                                     rows.at[at, "status"], message))
        set_cells(rows, at, status=back, approver=prior.approver, decided_at=prior.decided_at)
    review.events += mark_superseded(rows, coverage, now, chosen)


def _withdraw_redundant(rows: pd.DataFrame, coverage: Coverage, chosen: set[str],
                        ids: pd.Series, status: pd.Series,
                        rank_of: Callable[[str], tuple[bool, float, int]],
                        now: dt.datetime) -> list[Event]:
    """Standing approvals that a rejection in this review left more than needed go to
    Needs re-approval (in place; ``chosen`` shrinks): an approval given to make up for an
    alternative that worsened the risk (a transfer's donor leg) adds nothing once that one
    is rejected. The worst-ranked goes first, one at a time (each withdrawal can make the
    others needed again); an Exported action is never withdrawn."""
    events: list[Event] = []
    approved = set(ids[(status == APPROVED).to_numpy()]) & chosen
    while True:
        spare = [a for a in coverage.redundant_in(chosen) if a in approved]
        if not spare:
            return events
        worst = max(spare, key=rank_of)
        chosen.discard(worst)
        approved.discard(worst)
        at = rows.index[int(np.flatnonzero((ids == worst).to_numpy())[0])]
        set_cells(rows, at, status=NEEDS_REAPPROVAL, approver=None, decided_at=None, bound=None,
             bound_values=None)
        events.append(Event(worst, "status", APPROVED, NEEDS_REAPPROVAL, SYSTEM, now, "system",
                            "no longer needed: the risk's other approvals cover what it adds "
                            "now that an alternative was rejected; approve again to keep it"))


def mark_superseded(rows: pd.DataFrame, coverage: Coverage, now: dt.datetime,
                    chosen: set[str] | None = None) -> list[Event]:
    """Proposed alternatives the chosen set makes redundant become Superseded, Superseded ones
    it no longer does return to Proposed (in place); the events of the changes."""
    if rows.empty:
        return []
    ids = rows["action_id"].astype(str)
    status = pd.Series(parse_statuses(rows["status"]), index=rows.index)
    if chosen is None:
        chosen = set(ids[status.isin(BINDING).to_numpy()])
    open_rows = status.isin((PROPOSED, SUPERSEDED)).to_numpy()
    gone = superseded(coverage, chosen, set(ids[open_rows]))
    open_ids = ids.to_numpy(dtype=object)[open_rows]
    was_status = status.to_numpy(dtype=object)[open_rows]
    marked = np.where(pd.Index(open_ids, dtype=object).isin(list(gone)), SUPERSEDED,
                      PROPOSED).astype(object)
    changed = np.flatnonzero(marked != was_status)  # the rows whose mark changes, each told
    events = []
    for at, action, was, now_status in zip(rows.index[open_rows][changed].tolist(),
                                           open_ids[changed].tolist(),
                                           was_status[changed].tolist(),
                                           marked[changed].tolist()):
        risk = coverage.risk_of(action)
        by = sorted(a for a in chosen if coverage.risk_of(a) == risk)
        note = (f"superseded: what it would fill is covered by approved {', '.join(by)}"
                if now_status == SUPERSEDED else "no longer superseded: the approved "
                "alternatives leave a gap it fills")
        set_cells(rows, at, status=now_status, approver=None, decided_at=None)
        events.append(Event(action, "status", was, now_status, SYSTEM, now, "system", note))
    return events


def coverage_of(cover: pd.DataFrame | Coverage) -> Coverage:
    return cover if isinstance(cover, Coverage) else Coverage.of(cover)


def _too_much(verdict: Verdict, coverage: Coverage, rows: pd.DataFrame, position: dict[str, int],
              back: str) -> str:
    def named(action: str) -> str:
        at = position.get(action)
        row: Any = rows.iloc[at].get("row") if at is not None and "row" in rows else None
        return f"{action} (row {int(row)})" if not is_blank_text(row) else action

    b = verdict.action_id
    others = ", ".join(named(a) for a in verdict.others)
    need = need_of(coverage, verdict.risk_id)
    fills = "; ".join(f"{a} fills {fill_of(coverage, a):,.0f}" for a in [b, *verdict.others])
    if verdict.adds_nothing:
        why = (f"{others}, already approved, closes every gap {named(b)} would fill, so both "
               f"together are more than risk {verdict.risk_id} needs (shortfall "
               f"{need:,.0f} units; {fills})")
    else:
        why = (f"with it, {others} (approved) would add nothing to risk {verdict.risk_id} "
               f"(shortfall {need:,.0f} units; {fills}); reject {others} first to approve "
               f"{named(b)} instead")
    return f"Approved of {b} refused: {why}; left {back}"
