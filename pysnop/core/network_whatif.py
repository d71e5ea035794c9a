"""Re-running the network for many what-ifs at once (docs/semantics.md, "Remedies through the
network").

A remedy at a networked row (a fed location or a DC that feeds one) changes what its DC can
ship to every location it feeds, so its worth is read off the distribution plan run again.
Each what-if (*scenario*) is a change of receipts at one or more rows of one SKU; the scenario
projects that SKU's whole block of rows (its DCs, the locations they feed, and any other
location of the SKU) as extra rows of **one** :func:`pysnop.core.network.project_network`
call, so a batch of candidates costs one projection, never a Python loop per candidate. A
scenario projects only the rows its changes can reach: the rows that share a root (the DC at
the top of the feeding chain, or the row itself) with a changed row; the SKU's other rows
would project exactly as planned (nothing links two chains of one SKU), so they are left out
of the scenario's rows (and of its sums, to which they would add exact zeros).

Every SKU is also projected once unchanged (the *before*: its block of rows in the same order,
by the same arithmetic, once per run and shared by every batch of what-ifs), so a remedy's
figures are differences of two runs of the same arithmetic: nothing moves where nothing
changed. Rows are taken in the Bridge's order; demand, receipts and thresholds are the
Bridge's arrays, on-hand is Inventory's (0 for a DC row the network added).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core.network import NetworkProjection, Topology, chain_roots, project_network

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

MAX_ROWS = 100_000  # sku-locations projected at once; more scenarios run in further batches
MOVED = 1e-9  # a week's projection this close to the plan's has not changed


@dataclass
class NetworkBase:
    """The Bridge's network inputs, on Bridge rows, with each SKU's block of rows."""

    demand: Floats  # (n, H)
    receipts: Floats  # (n, H)
    threshold: Floats  # (n, H)
    on_hand: Floats  # (n,)
    topology: Topology  # Bridge order
    sku_id: Ints  # (n,) the SKU of each row as a number
    perm: Ints  # rows grouped by SKU (stable)
    block_start: Ints  # per SKU: where its rows start in ``perm``
    block_size: Ints  # per SKU
    pos: Ints  # (n,) a row's place inside its SKU's block
    root: Ints | None = None  # (n,) the top of the row's feeding chain (itself when unfed)
    planned: tuple[Floats, Floats] | None = None  # (poh, lost) of every row unchanged, once

    def as_planned(self) -> tuple[Floats, Floats]:
        """(poh, lost) of every row with nothing changed: each SKU's block projected as a
        scenario's is (rows in block order, batches of at most MAX_ROWS), once."""
        if self.planned is None:
            n, horizon = self.demand.shape
            poh, lost = np.zeros((n, horizon)), np.zeros((n, horizon))
            none = Scenarios(np.zeros(0, np.int64), np.zeros(0, np.int64),
                             np.zeros(0, np.int64), np.zeros((0, horizon)))
            blocks = np.flatnonzero(self.block_size > 0)
            batch = np.cumsum(self.block_size[blocks]) // MAX_ROWS
            for b in np.unique(batch).tolist():
                at = np.flatnonzero(batch == b)
                _, src, poh_part, lost_part = _project(self, blocks[at], at, none)
                poh[src], lost[src] = poh_part, lost_part
            self.planned = poh, lost
        return self.planned

    @property
    def inside(self) -> Bools:
        """Rows the distribution plan projects: fed locations and the DCs feeding them."""
        return np.asarray(self.topology.fed | self.topology.feeds, dtype=bool)


def network_base(result: Any, on_hand: Floats) -> NetworkBase | None:
    """The base of a Bridge run with a network (None without one)."""
    net: NetworkProjection | None = result.network
    if net is None:
        return None
    n = len(result.keys)
    sku_id, _ = pd.factorize(result.keys["sku"].astype(object))
    sku_id = np.asarray(sku_id, dtype=np.int64)
    perm = np.argsort(sku_id, kind="stable").astype(np.int64)
    counts = np.bincount(sku_id, minlength=int(sku_id.max()) + 1 if n else 0)
    start = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    pos = np.empty(n, dtype=np.int64)
    pos[perm] = np.arange(n) - start[sku_id[perm]]
    return NetworkBase(np.asarray(result.demand, dtype=float),
                       np.asarray(result.receipts, dtype=float),
                       np.asarray(result.threshold, dtype=float),
                       np.asarray(on_hand, dtype=float), net.topology, sku_id, perm, start,
                       counts.astype(np.int64), pos, chain_roots(net.topology.dc))


@dataclass
class Scenarios:
    """Receipt changes of k scenarios: change j adds ``receipts[j]`` (per week, may be
    negative) at Bridge row ``row[j]`` in scenario ``scenario[j]``; scenario s projects the
    SKU of Bridge row ``anchor[s]``."""

    anchor: Ints  # (k,)
    scenario: Ints  # (c,)
    row: Ints  # (c,)
    receipts: Floats  # (c, H)


@dataclass
class Rerun:
    """The scenarios run again and their SKUs as planned, row by row.

    Rows of scenario s are ``rep == s``; ``src`` their Bridge rows; ``*_before`` the same rows
    with nothing changed (the same projection of the SKU unchanged).
    """

    rep: Ints
    src: Ints
    poh: Floats  # what the Bridge would show: fed rows B(w+1), DC rows the unconstrained plan
    lost: Floats  # units lost per week (lost-sales run)
    poh_before: Floats
    lost_before: Floats
    n_scenarios: int

    def moved(self) -> Bools:
        """Rows whose projection changed in some week."""
        return np.asarray((np.abs(self.poh - self.poh_before) > MOVED).any(axis=1), dtype=bool)


def rerun(base: NetworkBase, scen: Scenarios) -> Rerun:
    """Project every scenario, and each SKU they touch as planned, in batches of blocks."""
    k = len(scen.anchor)
    blocks = base.sku_id[scen.anchor]
    batch = np.cumsum(base.block_size[blocks]) // MAX_ROWS
    parts: list[tuple[Ints, Ints, Floats, Floats]] = []
    for b in np.unique(batch).tolist():
        at = np.flatnonzero(batch == b)
        parts.append(_project(base, blocks[at], at, scen))
    rep = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    src = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    horizon = base.demand.shape[1]
    poh = np.concatenate([p[2] for p in parts]) if parts else np.zeros((0, horizon))
    lost = np.concatenate([p[3] for p in parts]) if parts else np.zeros((0, horizon))
    # the unchanged run of each row's SKU, laid against every scenario row of that SKU
    poh_plan, lost_plan = base.as_planned()
    return Rerun(rep, src, poh, lost, poh_plan[src], lost_plan[src], k)


def _project(base: NetworkBase, blocks: Ints, ids: Ints, scen: Scenarios
             ) -> tuple[Ints, Ints, Floats, Floats]:
    """One projection of the given blocks; ``ids`` number them (scenario index, or ≥ k for
    an unchanged SKU)."""
    sizes = base.block_size[blocks]
    offset = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    rep = np.repeat(np.arange(len(blocks)), sizes)
    local = np.arange(int(sizes.sum())) - offset[rep]
    src = base.perm[base.block_start[blocks][rep] + local]
    where = np.full(len(scen.anchor), -1, dtype=np.int64)
    inside = ids < len(scen.anchor)
    where[ids[inside]] = np.flatnonzero(inside)
    slot = where[scen.scenario] if len(scen.scenario) else np.zeros(0, np.int64)
    use = slot >= 0
    # a scenario's rows: those sharing a root with one of its changed rows (module doc); an
    # unchanged run keeps its SKU's whole block
    n = len(base.sku_id)
    root = base.root if base.root is not None else chain_roots(base.topology.dc)
    reached = np.unique(slot[use] * n + root[scen.row[use]])
    keep = ~inside[rep] | np.isin(rep * n + root[src], reached)
    full_at = np.full(len(src), -1, dtype=np.int64)  # a block row's place among those kept
    full_at[keep] = np.arange(int(keep.sum()))
    rep, src, row_at = rep[keep], src[keep], offset[rep[keep]]
    receipts = base.receipts[src].copy()
    # the changes of the scenarios in this batch, placed on their replicated rows
    if use.any():
        at = full_at[offset[slot[use]] + base.pos[scen.row[use]]]
        np.add.at(receipts, at, scen.receipts[use])
    topo = base.topology
    dc = topo.dc[src]
    dc = np.where(dc >= 0, full_at[row_at + base.pos[np.maximum(dc, 0)]], -1)
    batch = Topology(dc=dc, transit=topo.transit[src], pack=topo.pack[src],
                     code_rank=topo.code_rank[src])
    net = project_network(base.demand[src], receipts, base.threshold[src], base.on_hand[src],
                          batch, unconstrained=False)  # poh and lost_weekly are all it reads
    return ids[rep], src, net.poh, net.lost_weekly
