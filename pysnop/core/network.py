"""The network projection: DCs that replenish the locations they feed (a weekly DRP).

Rules in docs/semantics.md (network). Per SKU, week by week (the weeks are inherently
sequential; everything inside a week is one set of array operations over every SKU, DC and
fed location at once):

- a fed location s asks for what keeps it at threshold in its arrival week a = t + L_s,
  rounded up to whole packs for a store;
- its DC meets every request when it can, else gives each request the same fraction
  f = available ÷ requested, a store's share floored to whole packs, then one more pack to
  the stores with the largest remainders (ties by location code) while the packs fit;
- what ships in week t arrives in week t + L_s.

Three runs of the same plan: every request met in full (the DC row's unconstrained plan and
its requests), the plan with shortfalls carried as backorders (the fed rows' projection), and
the lost-sales run (balances floored at 0 each week) for the units lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pysnop.core.bridge_math import DECIMALS, running_sum
from pysnop.core.economics import weekly_lost


@dataclass(frozen=True)
class Topology:
    """Who feeds whom, row by row (rows are sku-locations; a DC row is one SKU at one DC)."""

    dc: np.ndarray  # int64: row of the DC that feeds this row, -1 where not fed
    transit: np.ndarray  # int64: whole weeks from the DC to this row
    pack: np.ndarray  # float: units per pack of a fed store; NaN = no pack rounding
    code_rank: np.ndarray  # int64: order of the location codes (ties between remainders)

    @property
    def fed(self) -> np.ndarray:
        return np.asarray(self.dc >= 0)

    @property
    def feeds(self) -> np.ndarray:
        """True for the DC rows that feed at least one row."""
        out = np.zeros(len(self.dc), dtype=bool)
        out[self.dc[self.dc >= 0]] = True
        return out


def chain_roots(dc: np.ndarray) -> np.ndarray:
    """Each row's root: the row at the top of its feeding chain (a DC no one feeds, or the
    row itself when unfed), one step up the chains per pass for every row at once."""
    root = np.arange(len(dc), dtype=np.int64)
    for _ in range(len(dc)):  # a chain is never longer than the rows (no cycles reach here)
        up = dc[root]
        climb = up >= 0
        if not climb.any():
            break
        root = np.where(climb, up, root)
    return root


@dataclass
class NetworkProjection:
    """The plan's per-week arrays, (n × H) and in the rows' order.

    ``requests``, ``shipments`` and ``requests_unconstrained`` sit on a fed row's arrival
    week; the ``dc_*`` arrays sit on a DC row's shipping week.
    """

    topology: Topology
    poh: np.ndarray  # what the Bridge shows: fed rows B(w+1), DC rows the unconstrained plan
    poh_unconstrained: np.ndarray  # every row as if every request were met in full
    lost_weekly: np.ndarray  # units lost per week in the lost-sales run
    requests: np.ndarray  # need_s(a), backorder run
    shipments: np.ndarray  # what arrives from the DC in week a, backorder run
    requests_unconstrained: np.ndarray  # need⁰_s(a): requests when every one is met
    dc_requested: np.ndarray  # Σ requests the DC's fed rows place in week t (backorder run)
    dc_shipped: np.ndarray  # Σ the DC ships in week t (backorder run)
    dc_fraction: np.ndarray  # f: share of its requests (and direct demand) the DC meets
    dc_requested_unconstrained: np.ndarray  # Σ need⁰ by shipping week (the DC row's outflow)


@dataclass
class _Run:
    """One run of the plan, week-major."""

    bal_dc: np.ndarray  # (H+1, m) DC balances entering each week
    lost_dc: np.ndarray  # (H, m)
    need: np.ndarray  # (H, k) fed rows, by arrival week
    ship: np.ndarray  # (H, k) fed rows, by arrival week
    asked: np.ndarray  # (H, m) by shipping week
    sent: np.ndarray  # (H, m)
    fraction: np.ndarray  # (H, m)


def project_network(demand: np.ndarray, receipts: np.ndarray, threshold: np.ndarray,
                    on_hand: np.ndarray, topology: Topology, *,
                    lost_sales: bool = True, unconstrained: bool = True) -> NetworkProjection:
    """Project every row; rows neither fed nor feeding are projected on their own
    (docs/semantics.md §1).

    ``lost_sales=False`` skips the lost-sales run (``lost_weekly`` is then left at the rows'
    own flat figures) for callers that only need the projection; ``unconstrained=False``
    skips the fed rows' balances as if every request were met (their ``poh_unconstrained``
    is then left at their own projection; the DC rows' and every request are computed)."""
    n, horizon = demand.shape
    on_hand = np.asarray(on_hand, dtype=float)
    # rows on their own: the operations of bridge_math.project_kernel, in its order
    poh = running_sum(np.subtract(np.asfortranarray(receipts, dtype=float),
                                  np.asfortranarray(demand, dtype=float)))
    poh += on_hand[:, None]
    np.round(poh, DECIMALS, out=poh)
    demand = np.ascontiguousarray(demand, dtype=float)
    receipts = np.ascontiguousarray(receipts, dtype=float)
    threshold = np.ascontiguousarray(threshold, dtype=float)
    lost_weekly = weekly_lost(poh)
    zeros = np.zeros((n, horizon))
    out = NetworkProjection(topology, poh, poh.copy(), lost_weekly, zeros.copy(), zeros.copy(),
                            zeros.copy(), zeros.copy(), zeros.copy(), np.ones((n, horizon)),
                            zeros.copy())
    fed_rows = np.flatnonzero(topology.fed)
    if len(fed_rows) == 0 or horizon == 0:
        return out
    dc_rows = np.flatnonzero(topology.feeds)
    group = np.full(n, -1, dtype=np.int64)
    group[dc_rows] = np.arange(len(dc_rows))
    g = group[topology.dc[fed_rows]]
    plan = _Plan(demand, receipts, threshold, on_hand, fed_rows, dc_rows, g,
                 topology.transit[fed_rows], topology.pack[fed_rows],
                 topology.code_rank[fed_rows])

    full = plan.run(constrained=False, lost_sales=False)
    back = plan.run(constrained=True, lost_sales=False)

    fed_back, _ = plan.walk(back.ship, lost_sales=False)
    if lost_sales:
        lost = plan.run(constrained=True, lost_sales=True)
        _, fed_lost = plan.walk(lost.ship, lost_sales=True)
        out.lost_weekly[fed_rows] = fed_lost.T
        out.lost_weekly[dc_rows] = lost.lost_dc.T
    out.poh[fed_rows] = fed_back.T
    if unconstrained:
        fed_full, _ = plan.walk(full.ship, lost_sales=False)
        out.poh_unconstrained[fed_rows] = fed_full.T
    out.poh[dc_rows] = full.bal_dc[1:].T
    out.poh_unconstrained[dc_rows] = full.bal_dc[1:].T
    out.requests[fed_rows] = back.need.T
    out.shipments[fed_rows] = back.ship.T
    out.requests_unconstrained[fed_rows] = full.need.T
    out.dc_requested[dc_rows] = back.asked.T
    out.dc_shipped[dc_rows] = back.sent.T
    out.dc_fraction[dc_rows] = back.fraction.T
    out.dc_requested_unconstrained[dc_rows] = full.asked.T
    return out


class _Plan:
    """The plan over fed rows F (k of them) and the DC rows D feeding them (m of them).

    Arrays are week-major, (H × k) and (H × m), so that each planning week works on
    contiguous rows. A fed row's figures for planning week t are read at its arrival week
    t + L_s: ``*_at`` arrays hold them already shifted (0 where the arrival is past the
    horizon: nothing is planned there).
    """

    def __init__(self, demand: np.ndarray, receipts: np.ndarray, threshold: np.ndarray,
                 on_hand: np.ndarray, fed_rows: np.ndarray, dc_rows: np.ndarray,
                 group: np.ndarray, transit: np.ndarray, pack: np.ndarray,
                 code_rank: np.ndarray) -> None:
        horizon = demand.shape[1]
        k = len(fed_rows)
        self.horizon, self.k, self.m = horizon, k, len(dc_rows)
        self.d_f = np.ascontiguousarray(demand[fed_rows].T)
        self.r_f = np.ascontiguousarray(receipts[fed_rows].T)
        self.oh_f = on_hand[fed_rows]
        self.d_d = np.ascontiguousarray(demand[dc_rows].T)
        self.r_d = np.ascontiguousarray(receipts[dc_rows].T)
        self.oh_d = on_hand[dc_rows]
        self.group, self.code_rank = group, code_rank
        self.transit = np.maximum(transit, 0)
        arrive = np.arange(horizon)[:, None] + self.transit[None, :]  # (H, k)
        self.live = arrive <= horizon - 1
        self.arrive = np.where(self.live, arrive, 0)
        cols = np.broadcast_to(np.arange(k), arrive.shape)
        self.cells = (self.arrive[self.live], cols[self.live])  # (week, row) of each request
        self.d_at = np.where(self.live, self.d_f[self.arrive, cols], 0.0)
        self.r_at = np.where(self.live, self.r_f[self.arrive, cols], 0.0)
        self.thr_at = np.where(self.live, threshold[fed_rows].T[self.arrive, cols], 0.0)
        self.packed = np.nan_to_num(pack, nan=0.0) > 0
        self.pack = np.where(self.packed, pack, 1.0)
        self._entering: dict[bool, np.ndarray] = {}

    def entering(self, *, lost_sales: bool) -> np.ndarray:
        """Each fed row's balance entering its first arrival week, with nothing shipped
        (exact at week L_s: nothing planned arrives earlier); the same for every run of
        one kind, so walked once per kind."""
        if lost_sales not in self._entering:
            horizon, k = self.horizon, self.k
            ends, _ = self.walk(np.zeros((horizon, k)), lost_sales=lost_sales)
            entering = np.concatenate([self.oh_f[None, :], ends])
            self._entering[lost_sales] = entering[np.minimum(self.transit, horizon),
                                                  np.arange(k)]
        return self._entering[lost_sales]

    def walk(self, ship: np.ndarray, *, lost_sales: bool) -> tuple[np.ndarray, np.ndarray]:
        """Fed rows' balances at the end of each week (H × k) given what arrives, and the
        units lost in each week of a lost-sales run."""
        bal, lost = np.empty((self.horizon, self.k)), np.zeros((self.horizon, self.k))
        b = self.oh_f
        for w in range(self.horizon):
            pre = np.round(b + self.r_f[w] + ship[w] - self.d_f[w], DECIMALS)
            if lost_sales:
                lost[w] = np.maximum(0.0, -pre)
                pre = np.maximum(0.0, pre)
            bal[w] = b = pre
        return bal, lost + 0.0

    def run(self, *, constrained: bool, lost_sales: bool) -> _Run:
        horizon, k, m = self.horizon, self.k, self.m
        need_at, ship_at = np.zeros((horizon, k)), np.zeros((horizon, k))
        asked, sent = np.zeros((horizon, m)), np.zeros((horizon, m))
        fraction, lost_dc = np.ones((horizon, m)), np.zeros((horizon, m))
        bal_dc = np.empty((horizon + 1, m))
        bal_dc[0] = self.oh_d
        # each fed row's balance entering its arrival week, then carried forward one week
        # per planning week
        b = self.entering(lost_sales=lost_sales)
        g = self.group
        for t in range(horizon):
            live = self.live[t]
            proj = np.round(b + self.r_at[t] - self.d_at[t], DECIMALS)
            need = np.maximum(0.0, np.round(self.thr_at[t] - proj, DECIMALS))
            need = np.where(self.packed, np.ceil(np.round(need / self.pack, DECIMALS))
                            * self.pack, need)
            need[~live] = 0.0
            direct = self.d_d[t]
            requested = np.round(np.bincount(g, weights=need, minlength=m), DECIMALS)
            total = np.round(requested + direct, DECIMALS)
            available = np.maximum(0.0, np.round(bal_dc[t] + self.r_d[t], DECIMALS))
            short = (total > available) if constrained else np.zeros(m, dtype=bool)
            f = np.where(short, available / np.where(short, total, 1.0), 1.0)
            ship, served = need, direct
            if short.any():
                ship, served = self._share(need, f, short, available, direct)
            shipped = np.round(np.bincount(g, weights=ship, minlength=m), DECIMALS)
            need_at[t], ship_at[t] = need, ship
            asked[t], sent[t], fraction[t] = requested, shipped, f
            # the balance entering the week after each arrival
            after = np.round(b + self.r_at[t] + ship - self.d_at[t], DECIMALS)
            b = np.maximum(0.0, after) if lost_sales else after
            # the DC: unmet direct demand is a backorder, or lost in the lost-sales run
            if lost_sales:
                pre = np.round(bal_dc[t] + self.r_d[t] - shipped - served, DECIMALS)
                lost_dc[t] = np.round(direct - served, DECIMALS) + np.maximum(0.0, -pre)
                bal_dc[t + 1] = np.maximum(0.0, pre)
            else:
                bal_dc[t + 1] = np.round(bal_dc[t] + self.r_d[t] - shipped - direct, DECIMALS)
        need_all, ship_all = np.zeros((horizon, k)), np.zeros((horizon, k))
        need_all[self.cells] = need_at[self.live]
        ship_all[self.cells] = ship_at[self.live]
        return _Run(bal_dc, lost_dc + 0.0, need_all, ship_all, asked, sent, fraction)

    def _share(self, need: np.ndarray, f: np.ndarray, short: np.ndarray, available: np.ndarray,
               direct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fair share at the DCs that cannot meet every request (docs/semantics.md, network)."""
        g, m, packed, pack = self.group, self.m, self.packed, self.pack
        cut = short[g]
        exact = np.round(f[g] * need, DECIMALS)
        floored = np.where(packed, np.floor(np.round(exact / pack, DECIMALS)) * pack, exact)
        ship = np.where(cut, floored, need)
        served = np.where(short, np.round(f * direct, DECIMALS), direct)
        left = np.round(available - np.bincount(g, weights=ship, minlength=m) - served,
                        DECIMALS)
        remainder = np.round(exact - floored, DECIMALS)
        cand = np.flatnonzero(cut & packed & (remainder > 0))
        if len(cand):
            # largest remainder first, ties by location code, one more pack each while the
            # running total of those packs fits in what the DC has left
            order = cand[np.lexsort((self.code_rank[cand], -remainder[cand], g[cand]))]
            gp, pp = g[order], pack[order]
            cum = np.cumsum(pp)
            start = np.r_[True, gp[1:] != gp[:-1]]
            before = np.maximum.accumulate(np.where(start, cum - pp, 0.0))
            fits = np.round(cum - before - left[gp], DECIMALS) <= 0
            ship = ship.copy()
            ship[order[fits]] += pp[fits]
        return np.round(ship, DECIMALS), served


def reorder(net: NetworkProjection, order: np.ndarray) -> NetworkProjection:
    """The projection with its rows taken in ``order`` (row j = old row order[j])."""
    topo = net.topology
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    dc = topo.dc[order]
    dc = np.where(dc >= 0, position[np.maximum(dc, 0)], -1)
    moved = Topology(dc=dc, transit=topo.transit[order], pack=topo.pack[order],
                     code_rank=topo.code_rank[order])
    arrays = {name: getattr(net, name)[order] for name in NetworkProjection.__dataclass_fields__
              if name != "topology"}
    return NetworkProjection(topology=moved, **arrays)
