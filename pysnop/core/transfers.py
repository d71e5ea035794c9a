"""TRANSFER proposals: move surplus between locations of a SKU with a linear program (SPEC §4).

For each SKU that has both a receiver and a donor, an LP allocates units; the SKUs' LPs are
solved together as one block-diagonal LP (scipy's HiGHS), since no constraint links two SKUs.

Receiver r   a sku-location at risk whose lost units can still be avoided by a transfer.
             Units arrive in week a_r = max(first risk week, transfer_lead_weeks) — just in
             time, and never before the lead time allows — and so leave in week
             s_r = a_r − transfer_lead_weeks. Units arriving in week a count in every week ≥ a.
             lost_r = units lost in weeks ≥ a_r (those before are lost whatever we do);
             need_r = max_{w ≥ a_r} (threshold − poh), rounded up: what makes it whole.
Donor d      a sku-location of the same SKU that is OK in every week. Units leaving in week s
             lower its on-hand in every week ≥ s, so with slack = poh − threshold its spare
             for a departure in week s is min_{w ≥ s} slack[w], rounded down to whole units.
             Departures to several receivers leave in different weeks; the donor stays at or
             above threshold in every week iff for each receiver ship week s_k:
                 Σ_{r : s_r ≤ s_k} x[d, r] ≤ spare_d(s_k)          (nested, exact)
LP           variables x[d, r] ≥ 0 (units shipped) and p_r ∈ [0, lost_r] (lost units avoided)
             maximise Σ_r margin_r · p_r − cost · Σ x
             s.t. donor constraints above; Σ_d x[d, r] ≤ need_r; p_r ≤ Σ_d x[d, r].
             A lost-sales run loses exactly min(x, lost_r) fewer units when x units arrive in
             week a_r, so p_r is exact, not an approximation. When transfers are free
             (cost 0) a tiny bonus per unit shipped fills receivers up to need_r: spare stock
             then makes the receiver whole, safety stock included.
             The constraint matrix is totally unimodular (two laminar families), so with
             whole-unit spare and need the HiGHS vertex is whole; quantities are floored to
             whole units anyway, which can only lower a donor's draw.
Each (donor, receiver) pair shipping units is one proposal; the receiver's protected units
are shared among its donors in proportion to what they ship.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from pysnop.core.action_context import SUPPLY, UNIT_EPS, ActionContext, day, units
from pysnop.core.bridge_math import cumulative_lost

FREE_BONUS = 1e-6  # per unit shipped when transfers cost nothing: fill receivers to need


@dataclass
class Allocation:
    x: np.ndarray  # (donors, receivers) whole units shipped
    protected: np.ndarray  # (receivers,) lost units avoided
    objective: float  # Σ margin·protected − cost·Σx, on the whole-unit plan


@dataclass
class _Problem:
    """One SKU's LP in matrix form (see the module doc), before solving."""

    spare: np.ndarray
    need: np.ndarray
    lost: np.ndarray
    margin: np.ndarray
    cost: float
    a_ub: sparse.csr_matrix | None = None
    b_ub: np.ndarray | None = None
    c: np.ndarray | None = None
    upper: np.ndarray | None = None  # variable upper bounds (inf for x)

    @property
    def empty(self) -> Allocation:
        return Allocation(np.zeros((len(self.spare), len(self.need))), np.zeros(len(self.need)),
                          0.0)


def _problem(spare, need, lost, margin, cost: float = 0.0, ship=None) -> _Problem:
    spare = np.asarray(spare, dtype=float)
    spare = spare[:, None] if spare.ndim == 1 else spare
    spare = np.maximum(np.floor(spare + 1e-9), 0.0)
    need = np.maximum(np.ceil(np.asarray(need, dtype=float) - 1e-9), 0.0)
    lost = np.maximum(np.asarray(lost, dtype=float), 0.0)
    margin = np.nan_to_num(np.asarray(margin, dtype=float), nan=0.0)
    prob = _Problem(spare, need, lost, margin, cost)
    n_d, n_k = spare.shape
    n_r = len(need)
    ship = np.zeros(n_r, dtype=np.int64) if ship is None else np.asarray(ship, dtype=np.int64)
    if n_d == 0 or n_r == 0 or not spare.any() or not need.any():
        return prob
    n_x = n_d * n_r
    # donor rows (d, k): Σ_{r: ship_r ≤ k} x[d, r] ≤ spare[d, k]
    d, k, r = np.nonzero(np.broadcast_to(ship[None, None, :] <= np.arange(n_k)[None, :, None],
                                         (n_d, n_k, n_r)))
    donor_rows = d * n_k + k
    rows = [donor_rows, n_d * n_k + np.repeat(np.arange(n_r), n_d),
            n_d * n_k + n_r + np.repeat(np.arange(n_r), n_d), n_d * n_k + n_r + np.arange(n_r)]
    x_of = lambda dd, rr: dd * n_r + rr  # noqa: E731
    recv_cols = x_of(np.tile(np.arange(n_d), n_r), np.repeat(np.arange(n_r), n_d))
    cols = [x_of(d, r), recv_cols, recv_cols, n_x + np.arange(n_r)]
    vals = [np.ones(len(d)), np.ones(n_x), -np.ones(n_x), np.ones(n_r)]
    prob.a_ub = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                          np.concatenate(cols))),
                                  shape=(n_d * n_k + 2 * n_r, n_x + n_r))
    prob.b_ub = np.concatenate([spare.reshape(-1), need, np.zeros(n_r)])
    per_unit = cost - (FREE_BONUS if cost <= 0 else 0.0)
    prob.c = np.concatenate([np.full(n_x, per_unit), -margin])
    prob.upper = np.concatenate([np.full(n_x, np.inf), lost])
    return prob


def _finish(prob: _Problem, solution: np.ndarray) -> Allocation:
    n_d, n_r = len(prob.spare), len(prob.need)
    n_x = n_d * n_r
    x = np.floor(np.maximum(solution[:n_x], 0.0) + 1e-6).reshape(n_d, n_r)
    protected = np.minimum(x.sum(axis=0), prob.lost)
    objective = float((prob.margin * protected).sum() - prob.cost * x.sum())
    return Allocation(x, protected, objective)


def allocate(spare, need, lost, margin, cost: float = 0.0, ship=None) -> Allocation:
    """Solve the transfer LP for one SKU.

    spare: (D,) or (D, K) units each donor can spare for a departure in ship slot k, slots
           in departure order (a donor's cumulative departures up to slot k stay ≤ spare[d, k]);
    need, lost, margin: (R,) per receiver; ship: (R,) slot of each receiver (default 0).
    Spare is floored and need rounded up to whole units.
    """
    return allocate_many([_problem(spare, need, lost, margin, cost, ship)])[0]


def allocate_many(problems: list[_Problem]) -> list[Allocation]:
    """Solve the LPs of many SKUs as one block-diagonal LP (one HiGHS call, not thousands).

    The objective is a sum over SKUs and no constraint links two SKUs, so the joint optimum
    is an optimum of every SKU's own LP.
    """
    live = [p for p in problems if p.a_ub is not None]
    if not live:
        return [p.empty for p in problems]
    a_ub = sparse.block_diag([p.a_ub for p in live], format="csr")
    c = np.concatenate([p.c for p in live])
    upper = np.concatenate([p.upper for p in live])
    bounds = np.column_stack([np.zeros_like(upper), upper])
    res = linprog(c, A_ub=a_ub, b_ub=np.concatenate([p.b_ub for p in live]), bounds=bounds,
                  method="highs")
    if res.status != 0:  # the zero plan is always feasible; keep it if HiGHS gives up
        return [p.empty for p in problems]
    out, at = [], 0
    for p in problems:
        if p.a_ub is None:
            out.append(p.empty)
            continue
        width = p.a_ub.shape[1]
        out.append(_finish(p, res.x[at:at + width]))
        at += width
    return out


def propose_transfers(ctx: ActionContext) -> list[dict]:
    result, horizon = ctx.result, ctx.horizon
    lead = max(int(ctx.inputs.settings.transfer_lead_weeks), 0)
    if horizon == 0 or lead >= horizon:
        return []
    cost = ctx.setting("transfer_cost_per_unit", 0.0)
    first = ctx.first_risk_index()
    arrive = np.maximum(first, lead)
    w = np.arange(horizon)[None, :]
    cum = cumulative_lost(result.poh)
    before = np.where(arrive >= 1, cum[np.arange(len(first)), np.maximum(arrive - 1, 0)], 0.0)
    lost_after = cum[:, -1] - before if len(first) else np.zeros(0)
    gap = np.where(w >= arrive[:, None], result.threshold - result.poh, -np.inf)
    need = np.maximum(gap.max(axis=1, initial=-np.inf), 0.0)
    receiver = (first >= 0) & (lost_after > UNIT_EPS)
    slack = result.poh - result.threshold
    suffix = np.minimum.accumulate(slack[:, ::-1], axis=1)[:, ::-1]  # min over w ≥ s
    donor = (first < 0) & (np.floor(suffix.max(axis=1, initial=0.0) + 1e-9) >= 1)
    sku = ctx.sku
    skus = set(sku[receiver]) & set(sku[donor])
    out: list[dict] = []
    groups, problems = [], []
    receivers_of, donors_of = _rows_by_sku(sku, receiver), _rows_by_sku(sku, donor)
    for s in sorted(skus, key=str):  # per SKU: build its LP (solved all together below)
        recv, dons = receivers_of[s], donors_of[s]
        ship = arrive[recv] - lead
        slots, slot_of = np.unique(ship, return_inverse=True)
        groups.append((recv, dons, ship))
        problems.append(_problem(suffix[dons][:, slots], need[recv], lost_after[recv],
                                 ctx.margin[recv], cost, slot_of))
    for (recv, dons, ship), plan in zip(groups, allocate_many(problems)):
        shipped = plan.x.sum(axis=0)
        for a, b in zip(*np.nonzero(plan.x > 0)):
            d, r = int(dons[a]), int(recv[b])
            qty = plan.x[a, b]
            prot = plan.protected[b] * qty / shipped[b]
            out.append(_record(ctx, d, r, qty, prot, cost, ship[b], arrive[r]))
    return out


def _rows_by_sku(sku: np.ndarray, mask: np.ndarray) -> dict:
    """Rows where ``mask`` holds, grouped by SKU (ascending within each SKU)."""
    rows = np.flatnonzero(mask)
    groups = pd.Series(rows).groupby(pd.Series(sku[rows], dtype=object), sort=False).indices
    return {key: rows[pos] for key, pos in groups.items()}


def _record(ctx: ActionContext, d: int, r: int, qty, protected, cost, ship, arrive) -> dict:
    loc, src = ctx.location[r], ctx.location[d]
    week = ctx.week(arrive)
    return {"type": "TRANSFER", "owner": SUPPLY, "sku": ctx.sku[r], "location": loc,
            "from_location": src, "campaign_id": ctx.campaign_ids(r), "po_id": None,
            "alt_sku": None, "qty": float(qty), "week": week, "cost": float(qty * cost),
            "units_protected": float(protected),
            "margin_protected": float(protected * ctx.margin[r]),
            "reason": (f"Ship {units(qty)} units of {ctx.sku[r]} from {src} to {loc} in the week "
                       f"of {day(ctx.week(ship))} (arriving the week of {day(week)}) to cover "
                       f"{ctx.stockout_at(r)}; {src} stays at or above "
                       f"its safety stock."),
            "new_lift": np.nan, "new_start": pd.NaT}
