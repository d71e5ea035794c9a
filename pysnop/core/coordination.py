"""Decisions that coordinate: one risk, one sufficient set of remedies (docs/semantics.md).

Everything here reads the *cover* frame of :func:`pysnop.core.actions.plan_actions`: for each
proposal and each week one of its risk's cells (sku-locations) is below threshold, the gap
(threshold − poh) and the proposal's fill (how much it raises poh − threshold that week). The
projection is linear in receipts and demand, so fills of several proposals add up exactly.

chosen      the alternatives that count as decided for: status Approved or Exported
            (:data:`BINDING`; a row waiting for re-approval does not count).
closed(S)   for a set S of proposals and a cell-week with gap g: min(g, max(0, Σ_{a∈S} fill_a)).
redundant   a ∈ S is redundant in S when removing it closes no less anywhere: in every
            cell-week where a's fill is positive, closed(S \\ {a}) ≥ closed(S) (to 1e-6 units).
more than needed
            a set with a redundant member. Approving b when the chosen set is S is refused when
            S ∪ {b} is more than needed — b adds nothing (the two expedites of 1,280 and 2,560
            units for one 1,277-unit gap: either alone closes it), or b makes an approved
            alternative redundant (reject that one first to switch).
covers      S covers a risk when closed(S) = g in every cell-week of the risk.
Superseded  a Proposed alternative that the chosen set already makes redundant: every
            cell-week where it would help is closed. So approving one alternative that covers
            the risk supersedes every other alternative of the risk; approving a partial one
            supersedes only alternatives that would help nowhere else. It is recomputed on
            every review: when the chosen set shrinks (a rejection, an Obsolete action) a
            Superseded alternative that helps again returns to Proposed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

TOL = 1e-6
APPROVED, EXPORTED, PROPOSED, SUPERSEDED = "Approved", "Exported", "Proposed", "Superseded"
BINDING = (APPROVED, EXPORTED)
KEY = ["risk_id", "sku", "location", "week"]


@dataclass
class Verdict:
    """Why approving an alternative is refused (None when it is fine)."""

    action_id: str
    risk_id: str
    others: list[str]  # the chosen alternatives it clashes with
    adds_nothing: bool  # True: it is redundant itself; False: it makes ``others`` redundant


@dataclass
class Coverage:
    """The cover frame, indexed for the checks below."""

    frame: pd.DataFrame
    by_action: dict[str, pd.DataFrame] = field(default_factory=dict)

    @classmethod
    def of(cls, cover: pd.DataFrame) -> Coverage:
        frame = cover.reset_index(drop=True)
        groups = frame.groupby("action_id", sort=False).indices
        return cls(frame, {a: frame.iloc[rows] for a, rows in groups.items()})

    def risk_of(self, action: str) -> str | None:
        rows = self.by_action.get(action)
        return None if rows is None or rows.empty else str(rows["risk_id"].iloc[0])

    def closed(self, chosen: Iterable[str]) -> pd.Series:
        """closed(S) per cell-week (index KEY) of the cell-weeks the chosen ones touch."""
        parts = [self.by_action[a] for a in chosen if a in self.by_action]
        if not parts:
            return pd.Series(dtype=float)
        rows = pd.concat(parts)
        total = rows.groupby(KEY, sort=False).agg(gap=("gap", "first"), fill=("fill", "sum"))
        return np.minimum(total["gap"], np.maximum(total["fill"], 0.0))

    def gaps(self, action: str) -> pd.DataFrame:
        """The cell-weeks where ``action`` helps (positive fill), with their gaps."""
        rows = self.by_action.get(action)
        if rows is None:
            return pd.DataFrame(columns=[*KEY, "gap", "fill"])
        return rows[rows["fill"] > TOL]

    def adds_to(self, chosen: set[str], action: str) -> bool:
        """Does ``action`` close anything the ``chosen`` set leaves open?"""
        mine = self.gaps(action)
        if mine.empty:
            return False
        closed = self.closed(chosen)
        index = pd.MultiIndex.from_frame(mine[KEY])
        now = closed.reindex(index).fillna(0.0).to_numpy()
        return bool((now < mine["gap"].to_numpy() - TOL).any())

    def redundant_in(self, chosen: set[str]) -> list[str]:
        """Members of ``chosen`` whose removal closes no less anywhere."""
        return [a for a in sorted(chosen) if a in self.by_action
                and not self.adds_to(chosen - {a}, a) and not self.gaps(a).empty]


def check_approval(coverage: Coverage, chosen: set[str], action: str) -> Verdict | None:
    """Refusal of approving ``action`` when ``chosen`` stands, or None (see module doc)."""
    risk = coverage.risk_of(action)
    if risk is None:
        return None  # no cover known for it: nothing to coordinate
    same = {a for a in chosen if coverage.risk_of(a) == risk}
    if not coverage.adds_to(same, action):
        if coverage.gaps(action).empty:
            return None
        helpers = [a for a in sorted(same) if _overlaps(coverage, a, action)]
        return Verdict(action, risk, helpers or sorted(same), True)
    before = set(coverage.redundant_in(same))
    made_redundant = [a for a in coverage.redundant_in(same | {action})
                      if a != action and a not in before]
    if made_redundant:
        return Verdict(action, risk, made_redundant, False)
    return None


def superseded(coverage: Coverage, chosen: set[str], candidates: Iterable[str]) -> set[str]:
    """The candidates (not chosen) that the chosen set makes redundant, per risk."""
    frame = coverage.frame
    if frame.empty:
        return set()
    chosen_rows = frame[frame["action_id"].isin(chosen)]
    total = chosen_rows.groupby(KEY, sort=False).agg(gap=("gap", "first"), fill=("fill", "sum"))
    closed = np.minimum(total["gap"], np.maximum(total["fill"], 0.0))
    wanted = set(candidates) - set(chosen)
    cand = frame[frame["action_id"].isin(wanted) & (frame["fill"] > TOL)]
    if cand.empty:
        return set()
    index = pd.MultiIndex.from_frame(cand[KEY])
    done = closed.reindex(index).fillna(0.0).to_numpy() >= cand["gap"].to_numpy() - TOL
    per_action = pd.Series(done, index=cand["action_id"].to_numpy()).groupby(level=0).all()
    return set(per_action.index[per_action.to_numpy()])


def risk_covered(coverage: Coverage, chosen: set[str], risk: str) -> bool:
    """Does the chosen set close every cell-week of ``risk``?"""
    frame = coverage.frame
    weeks = frame[frame["risk_id"] == risk].drop_duplicates(KEY)
    if weeks.empty:
        return False
    closed = coverage.closed(a for a in chosen if coverage.risk_of(a) == risk)
    index = pd.MultiIndex.from_frame(weeks[KEY])
    return bool((closed.reindex(index).fillna(0.0).to_numpy()
                 >= weeks["gap"].to_numpy() - TOL).all())


def need_of(coverage: Coverage, risk: str) -> float:
    """The risk's shortfall as the cover frame shows it: Σ over cells of the largest gap."""
    frame = coverage.frame
    rows = frame[frame["risk_id"] == risk].drop_duplicates(KEY)
    return float(rows.groupby(["sku", "location"])["gap"].max().sum()) if len(rows) else 0.0


def fill_of(coverage: Coverage, action: str) -> float:
    """The most an action fills in any one week (for messages)."""
    rows = coverage.by_action.get(action)
    return float(rows["fill"].max()) if rows is not None and len(rows) else 0.0


def _overlaps(coverage: Coverage, a: str, b: str) -> bool:
    ga, gb = coverage.gaps(a), coverage.gaps(b)
    if ga.empty or gb.empty:
        return False
    left = pd.MultiIndex.from_frame(ga[KEY])
    right = pd.MultiIndex.from_frame(gb[KEY])
    return bool(left.isin(right).any())
