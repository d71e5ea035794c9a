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
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

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
    """The cover frame as arrays: each row one (proposal, cell-week) with its fill."""

    frame: pd.DataFrame
    act: NDArray[np.int64]  # per row: the proposal's position in ``ids``
    cw: NDArray[np.int64]  # per row: the cell-week
    fill: NDArray[np.float64]  # per row
    gap: NDArray[np.float64]  # per cell-week
    cw_risk: NDArray[Any]  # per cell-week: its risk
    cw_cell: NDArray[np.int64]  # per cell-week: its cell (risk, sku, location)
    ids: list[str]
    index: dict[str, int]
    risks: list[str | None]  # per proposal

    @classmethod
    def of(cls, cover: pd.DataFrame) -> Coverage:
        frame = cover.reset_index(drop=True)
        act, uniques = pd.factorize(frame["action_id"].astype(str))
        ids = [str(u) for u in uniques]
        cw = _codes(frame, KEY)
        n_cw = int(cw.max()) + 1 if len(cw) else 0
        gap = np.zeros(n_cw)
        gap[cw] = frame["gap"].to_numpy(dtype=float)
        cw_risk = np.empty(n_cw, dtype=object)
        cw_risk[cw] = frame["risk_id"].to_numpy(dtype=object)
        cw_cell = np.zeros(n_cw, dtype=np.int64)
        cw_cell[cw] = _codes(frame, KEY[:3])
        first = np.unique(act, return_index=True)[1] if len(act) else np.zeros(0, np.int64)
        risk_of = frame["risk_id"].to_numpy(dtype=object)[first]
        return cls(frame, act.astype(np.int64), cw, frame["fill"].to_numpy(dtype=float), gap,
                   cw_risk, cw_cell, ids, {a: k for k, a in enumerate(ids)},
                   [str(r) for r in risk_of])

    def _mask(self, chosen: Iterable[str]) -> NDArray[np.bool_]:
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[[self.index[a] for a in chosen if a in self.index]] = True
        return mask

    def risk_of(self, action: str) -> str | None:
        k = self.index.get(action)
        return None if k is None else self.risks[k]

    def closed(self, chosen: Iterable[str]) -> NDArray[np.float64]:
        """closed(S) for every cell-week."""
        rows = self._mask(chosen)[self.act]
        total = np.bincount(self.cw[rows], weights=self.fill[rows], minlength=len(self.gap))
        return np.asarray(np.minimum(self.gap, np.maximum(total, 0.0)), dtype=float)

    def helps(self, action: str) -> NDArray[np.int64]:
        """The cover rows where ``action`` fills a gap (positive fill)."""
        k = self.index.get(action)
        if k is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero((self.act == k) & (self.fill > TOL))

    def adds_to(self, chosen: set[str], action: str) -> bool:
        """Does ``action`` close anything the ``chosen`` set leaves open?"""
        rows = self.helps(action)
        if len(rows) == 0:
            return False
        cw = self.cw[rows]
        return bool((self.closed(chosen)[cw] < self.gap[cw] - TOL).any())

    def redundant_in(self, chosen: set[str]) -> list[str]:
        """Members of ``chosen`` whose removal closes no less anywhere."""
        return [a for a in sorted(chosen) if len(self.helps(a))
                and not self.adds_to(chosen - {a}, a)]


def check_approval(coverage: Coverage, chosen: set[str], action: str) -> Verdict | None:
    """Refusal of approving ``action`` when ``chosen`` stands, or None (see module doc)."""
    risk = coverage.risk_of(action)
    if risk is None or len(coverage.helps(action)) == 0:
        return None  # no cover known for it, or it fills no gap: nothing to coordinate
    same = {a for a in chosen if coverage.risk_of(a) == risk}
    if not coverage.adds_to(same, action):
        mine = set(coverage.cw[coverage.helps(action)])
        helpers = [a for a in sorted(same) if mine & set(coverage.cw[coverage.helps(a)])]
        return Verdict(action, risk, helpers or sorted(same), True)
    before = set(coverage.redundant_in(same))
    made_redundant = [a for a in coverage.redundant_in(same | {action})
                      if a != action and a not in before]
    if made_redundant:
        return Verdict(action, risk, made_redundant, False)
    return None


def superseded(coverage: Coverage, chosen: set[str], candidates: Iterable[str]) -> set[str]:
    """The candidates (not chosen) that the chosen set makes redundant, per risk."""
    if len(coverage.act) == 0:
        return set()
    closed = coverage.closed(chosen)
    wanted = coverage._mask(set(candidates) - set(chosen))
    rows = wanted[coverage.act] & (coverage.fill > TOL)
    open_ = rows & (closed[coverage.cw] < coverage.gap[coverage.cw] - TOL)
    helping = np.bincount(coverage.act[rows], minlength=len(coverage.ids)) > 0
    still = np.bincount(coverage.act[open_], minlength=len(coverage.ids)) > 0
    return {coverage.ids[k] for k in np.flatnonzero(helping & ~still)}


def risk_covered(coverage: Coverage, chosen: set[str], risk: str) -> bool:
    """Does the chosen set close every cell-week of ``risk``?"""
    mine = coverage.cw_risk == risk
    if not mine.any():
        return False
    closed = coverage.closed(a for a in chosen if coverage.risk_of(a) == risk)
    return bool((closed[mine] >= coverage.gap[mine] - TOL).all())


def need_of(coverage: Coverage, risk: str) -> float:
    """The risk's shortfall as the cover frame shows it: Σ over cells of the largest gap."""
    mine = np.flatnonzero(coverage.cw_risk == risk)
    if len(mine) == 0:
        return 0.0
    largest = pd.Series(coverage.gap[mine]).groupby(coverage.cw_cell[mine]).max()
    return float(largest.sum())


def fill_of(coverage: Coverage, action: str) -> float:
    """The most an action fills in any one week (for messages)."""
    k = coverage.index.get(action)
    rows = coverage.fill[coverage.act == k] if k is not None else np.zeros(0)
    return float(rows.max()) if len(rows) else 0.0


def _codes(frame: pd.DataFrame, columns: list[str]) -> NDArray[np.int64]:
    """One integer per distinct combination of ``columns`` (first-seen order)."""
    if len(frame) == 0:
        return np.zeros(0, dtype=np.int64)
    # groupby numbers groups in first-seen order with sort=False, as a MultiIndex's
    # factorize does, without building a tuple per row
    codes = frame.groupby(columns, sort=False, dropna=False).ngroup()
    return np.asarray(codes.to_numpy(), dtype=np.int64)
