"""Marketing's supply check through the network (docs/semantics.md, network).

With a network, a campaign's lift at a fed store reaches the shelf through its DC's plan,
so nothing is linear in the lift any more: every figure is read off network projections.
Each campaign is judged on the same cells — its scoped sku-locations during its window
weeks, as the Bridge shows them — with all *other* counted campaigns in place (a Draft is
judged as if added):

- supply_status: the worst status of those cells with the campaign as planned;
- coverage: at each scoped location, (stock entering the window + receipts and DC shipments
  arriving in it) ÷ what leaves in it (demand; at a DC row also its stores' unconstrained
  requests); the campaign's is the lowest of them (the tightest location);
- max supportable lift: the largest lift ≤ the planned one (in steps of 0.01 %) that keeps
  every one of those cells OK, found by bisection — one batched projection of every
  undecided campaign per step; 0 when even no lift keeps them OK;
- earliest safe start: the first whole-week shift (same duration, window inside the horizon)
  whose window cells are all OK with the planned lift;
- margin_at_risk: units lost in those cells (lost-sales run) × unit margin;
- note: names the location that limits the lift — among those whose cells fail at the
  smallest failing lift the search tried, the first location code.

So a campaign is OK exactly when its max supportable lift is the planned one and its
earliest safe start is its planned start. A scenario projects the rows a change of lift can
reach: of the campaign's SKU, the feeding chains (a DC and the locations it feeds, or a
location on its own) that hold a scoped location; the SKU's other chains project as planned
and hold none of the campaign's cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pysnop.core import calendar
from pysnop.core.bridge_math import DECIMALS, weekly_status
from pysnop.core.model import STATUS_LABELS, STATUS_OK
from pysnop.core.network import NetworkProjection, Topology, chain_roots, project_network
from pysnop.core.supply_check import LIFT_STEP, _notes, tightest

MAX_ROWS = 100_000  # sku-locations projected at once in a batch of what-if scenarios


def network_supply_check(campaigns: pd.DataFrame, grid: Any, *, keys: pd.DataFrame,
                         weeks: pd.DatetimeIndex, baseline: np.ndarray, receipts: np.ndarray,
                         on_hand: np.ndarray, safety: np.ndarray, margin: np.ndarray,
                         risk_buffer: float, topology: Topology) -> pd.DataFrame:
    n_c = len(campaigns)
    rows = campaigns["row"].to_numpy() if "row" in campaigns else np.full(n_c, -1)
    out = pd.DataFrame({
        "campaign_id": campaigns["campaign_id"].to_numpy(dtype=object) if n_c else [],
        "row": rows,
        "supply_status": np.full(n_c, None, dtype=object),
        "coverage": np.full(n_c, np.nan),
        "max_supportable_lift": np.full(n_c, np.nan),
        "earliest_safe_start": pd.Series(pd.NaT, index=range(n_c), dtype="datetime64[ns]"),
        "margin_at_risk": np.full(n_c, np.nan),
        "note": np.full(n_c, "", dtype=object),
    })
    if n_c == 0:
        return out
    has_pairs = np.zeros(n_c, dtype=bool)
    has_pairs[grid.pair_campaign] = True
    in_horizon = grid.frac.sum(axis=1) > 0
    notes = out["note"].to_numpy()
    notes[~has_pairs] = "no location in scope stocks this sku: not checked"
    notes[has_pairs & ~in_horizon] = "outside the planning horizon: not checked"
    notes[grid.cancelled] = "cancelled: not checked"
    checked = has_pairs & in_horizon & ~grid.cancelled
    camps = np.flatnonzero(checked)
    if len(camps) == 0:
        out["note"] = notes
        return out

    runner = _Scenarios(grid, keys, baseline, receipts, on_hand, safety, risk_buffer, topology)
    planned = grid.lift
    # as planned: the Bridge's own arrays for a counted campaign
    now = runner.run(camps, planned[camps], grid.frac[camps],
                     identity=grid.counted[camps])
    worst = np.zeros(n_c, dtype=np.int8)
    worst[camps] = now.worst
    coverage = np.full(n_c, np.nan)
    coverage[camps] = now.coverage()
    money = np.zeros(n_c)
    money[camps] = now.lost_money(margin)

    capped = planned.copy()
    failing = camps[(now.worst != STATUS_OK) & (planned[camps] > 0)]
    capped[failing], first_bad = _bisect(runner, failing, planned, grid.frac)
    limit = np.full(n_c, None, dtype=object)
    limit[failing] = _limiting(runner, failing, first_bad, grid.frac, keys)

    safe = _earliest_safe_start(runner, camps, now.worst == STATUS_OK, grid, weeks)

    out.loc[checked, "supply_status"] = STATUS_LABELS[worst[checked]]
    out.loc[checked, "coverage"] = coverage[checked]
    out.loc[checked, "max_supportable_lift"] = capped[checked]
    out.loc[checked, "margin_at_risk"] = money[checked]
    out["earliest_safe_start"] = safe
    notes[checked] = _notes(worst, planned, capped, safe, grid, checked, limit)
    out["note"] = notes
    return out


def _limiting(runner: _Scenarios, camps: np.ndarray, lift: np.ndarray, frac: np.ndarray,
              keys: pd.DataFrame) -> np.ndarray:
    """The location that limits each campaign's lift: of those whose cells fail at ``lift``
    (the smallest failing lift found), the first location code."""
    out = np.full(len(camps), None, dtype=object)
    if len(camps) == 0:
        return out
    run = runner.run(camps, lift, frac[camps], identity=np.zeros(len(camps), dtype=bool),
                     lost_sales=False)
    bad = np.flatnonzero(run.row_worst != STATUS_OK)
    if len(bad) == 0:
        return out
    location = keys["location"].to_numpy(dtype=object)[run.src[bad]]
    order = np.lexsort((location.astype(str), run.rep[bad]))
    rep = run.rep[bad][order]
    first = order[np.r_[True, rep[1:] != rep[:-1]]]
    out[run.rep[bad][first]] = location[first]
    return out


def _bisect(runner: _Scenarios, camps: np.ndarray, planned: np.ndarray,
            frac: np.ndarray, probes: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Largest k·step < planned keeping the campaign's cells OK (0 when none does), and the
    smallest lift tried that fails.

    A search over whole steps that tries ``probes`` lifts per campaign at once (one batched
    projection per round), narrowing each campaign's bracket (lo passes, hi fails) by a
    factor probes + 1 per round.

    Most short campaigns are short at any lift (their SKU is short without them): one probe
    of the smallest step first settles those at (0, one step) — where the rounds would end
    too, every probe failing — so the rounds only search the campaigns that pass it."""
    lo = np.zeros(len(camps), dtype=np.int64)
    hi = np.ceil(np.round(planned[camps] / LIFT_STEP, DECIMALS)).astype(np.int64)
    active = np.flatnonzero(hi - lo > 1)
    if len(active):
        step_ok = runner.worst(camps[active], np.full(len(active), np.round(LIFT_STEP, 10)),
                               frac[camps[active]]) == STATUS_OK
        hi[active[~step_ok]] = 1
        active = active[step_ok]
    while len(active):
        span = hi[active] - lo[active]
        tries = lo[active, None] + np.maximum(
            1, (span[:, None] * np.arange(1, probes + 1)[None, :]) // (probes + 1))
        tries = np.minimum(tries, hi[active, None] - 1)  # (campaign, probe), non-decreasing
        who = np.repeat(active, probes)
        ok = (runner.worst(camps[who], np.round(tries.reshape(-1) * LIFT_STEP, 10),
                           frac[camps[who]]) == STATUS_OK).reshape(-1, probes)
        # new lo: the largest passing probe; new hi: the first failing probe above it
        passing = np.where(ok, tries, -1).max(axis=1)
        lo[active] = np.maximum(lo[active], passing)
        above = np.where(~ok & (tries > lo[active, None]), tries, hi[active, None])
        hi[active] = above.min(axis=1)
        active = active[hi[active] - lo[active] > 1]
    # the planned lift (hi's start) fails: it is where a campaign never narrowed below
    return np.round(lo * LIFT_STEP, 10), np.minimum(np.round(hi * LIFT_STEP, 10), planned[camps])


def _earliest_safe_start(runner: _Scenarios, camps: np.ndarray, ok_now: np.ndarray, grid: Any,
                         weeks: pd.DatetimeIndex) -> pd.Series:
    """Shift by 1..H-1 whole weeks (0 is the plan itself); the first shift that is OK wins.

    As for a flat check, a start is only judged where its whole window is projected."""
    n_c, horizon = grid.frac.shape
    week0 = weeks[0]
    last_day = np.datetime64(week0.date(), "D").astype(np.int64) + 7 * horizon - 1
    shift = np.full(n_c, -1, dtype=np.int64)
    inside = grid.end_days[camps] <= last_day
    shift[camps[ok_now & inside]] = 0
    c, s = np.meshgrid(camps[~ok_now], np.arange(1, horizon), indexing="ij")
    c, s = c.reshape(-1), s.reshape(-1)
    start, end = grid.start_days[c] + 7 * s, grid.end_days[c] + 7 * s
    try_it = (end <= last_day) & (grid.lift[c] > 0)
    c, s, start, end = c[try_it], s[try_it], start[try_it], end[try_it]
    if len(c):
        frac = calendar.overlap_fraction(start, end, week0, horizon)
        ok = runner.worst(c, grid.lift[c], frac) == STATUS_OK
        first = pd.Series(s[ok]).groupby(c[ok]).min()
        shift[first.index.to_numpy()] = first.to_numpy()
    found = shift >= 0
    days = grid.start_days + 7 * np.maximum(shift, 0)
    return pd.Series(calendar.days_to_timestamps(days)).where(found)


@dataclass
class _Outcome:
    """One batched projection: scenario k's rows are rep == k; ``cells`` its judged cells."""

    rep: np.ndarray
    src: np.ndarray
    cells: np.ndarray  # (rows, H) bool
    worst: np.ndarray  # per scenario
    row_worst: np.ndarray  # per row: its worst status over its judged cells
    net: NetworkProjection
    demand: np.ndarray
    receipts: np.ndarray
    on_hand: np.ndarray
    n_scenarios: int

    def coverage(self) -> np.ndarray:
        cells, net, k = self.cells, self.net, self.n_scenarios
        judged = cells.any(axis=1)
        first = np.argmax(cells, axis=1)
        r = np.arange(len(first))
        entering = np.where(first > 0, net.poh[r, np.maximum(first - 1, 0)], self.on_hand)
        inflow = ((self.receipts + net.shipments) * cells).sum(axis=1)
        outflow = ((self.demand + net.dc_requested_unconstrained) * cells).sum(axis=1)
        # the tightest scoped location (docs/semantics.md, campaign supply check)
        return tightest(self.rep[judged], (entering + inflow)[judged], outflow[judged], k)

    def lost_money(self, margin: np.ndarray) -> np.ndarray:
        lost = (self.net.lost_weekly * self.cells).sum(axis=1)
        value = lost * np.nan_to_num(margin[self.src], nan=0.0)
        return np.bincount(self.rep, weights=value, minlength=self.n_scenarios)


class _Scenarios:
    """Batches of what-if projections, each a campaign's SKU with the campaign's lift set."""

    def __init__(self, grid: Any, keys: pd.DataFrame, baseline: np.ndarray,
                 receipts: np.ndarray, on_hand: np.ndarray, safety: np.ndarray,
                 risk_buffer: float, topology: Topology) -> None:
        n = len(keys)
        self.grid, self.n = grid, n
        self.baseline, self.receipts, self.on_hand, self.safety = baseline, receipts, on_hand, \
            safety
        self.risk_buffer, self.topology = risk_buffer, topology
        self.factor = np.ascontiguousarray(grid.lift_factor(n))
        sku_id, _ = pd.factorize(keys["sku"].astype(object))
        self.perm = np.argsort(sku_id, kind="stable")
        counts = np.bincount(sku_id, minlength=sku_id.max() + 1 if n else 0)
        self.block_start = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
        self.block_size = counts.astype(np.int64)
        self.pos = np.empty(n, dtype=np.int64)
        self.pos[self.perm] = np.arange(n) - self.block_start[sku_id[self.perm]]
        self.root = chain_roots(topology.dc)
        sku_of_pair = sku_id[grid.pair_key]
        first_pair = pd.Series(sku_of_pair).groupby(grid.pair_campaign).first()
        self.camp_sku = np.full(len(grid.lift), -1, dtype=np.int64)
        self.camp_sku[first_pair.index.to_numpy()] = first_pair.to_numpy()
        self.pair_code = np.sort(grid.pair_campaign.astype(np.int64) * n + grid.pair_key)

    def worst(self, camps: np.ndarray, lift: np.ndarray, frac: np.ndarray) -> np.ndarray:
        """The worst status of each scenario's cells, run in batches of at most MAX_ROWS
        sku-locations so that memory stays bounded however many scenarios there are."""
        sizes = self.block_size[self.camp_sku[camps]]
        batch = np.cumsum(sizes) // MAX_ROWS
        out = np.zeros(len(camps), dtype=np.int8)
        for b in np.unique(batch).tolist():
            at = np.flatnonzero(batch == b)
            out[at] = self.run(camps[at], lift[at], frac[at],
                               identity=np.zeros(len(at), dtype=bool), lost_sales=False).worst
        return out

    def run(self, camps: np.ndarray, lift: np.ndarray, frac: np.ndarray,
            identity: np.ndarray, lost_sales: bool = True) -> _Outcome:
        """Project each campaign's SKU with the campaign at ``lift`` over ``frac`` (its weeks);
        ``identity`` marks scenarios that are the plan as it stands (left untouched)."""
        grid, n = self.grid, self.n
        k = len(camps)
        blocks = self.camp_sku[camps]
        sizes = self.block_size[blocks]
        offset = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
        rep = np.repeat(np.arange(k), sizes)
        local = np.arange(int(sizes.sum())) - offset[rep]
        src = self.perm[self.block_start[blocks][rep] + local]
        scoped = np.isin(camps[rep].astype(np.int64) * n + src, self.pair_code)
        # the chains that hold a scoped row (module doc)
        reached = np.unique(rep[scoped] * n + self.root[src[scoped]])
        keep = np.isin(rep * n + self.root[src], reached)
        full_at = np.full(len(src), -1, dtype=np.int64)  # a block row's place among those kept
        full_at[keep] = np.arange(int(keep.sum()))
        rep, src, scoped = rep[keep], src[keep], scoped[keep]

        old = np.where(grid.counted[camps], grid.lift[camps], 0.0)
        change = (lift[:, None] * frac - old[:, None] * grid.frac[camps])
        change[identity] = 0.0
        factor = self.factor[src] + np.where(scoped[:, None], change[rep], 0.0)
        base = np.asfortranarray(self.baseline[src])
        # the same operations, in the same order, as bridge_math.project_kernel
        lift_units = np.multiply(base, np.asfortranarray(factor))
        np.round(lift_units, DECIMALS, out=lift_units)
        demand = np.add(base, lift_units)
        np.round(demand, DECIMALS, out=demand)
        threshold = np.multiply(lift_units, self.risk_buffer)
        threshold += self.safety[src][:, None]
        np.round(threshold, DECIMALS, out=threshold)

        topo = self.topology
        dc = topo.dc[src]
        dc = np.where(dc >= 0, full_at[offset[rep] + self.pos[np.maximum(dc, 0)]], -1)
        batch = Topology(dc=dc, transit=topo.transit[src], pack=topo.pack[src],
                         code_rank=topo.code_rank[src])
        receipts, on_hand = self.receipts[src], self.on_hand[src]
        net = project_network(demand, receipts, threshold, on_hand, batch,
                              lost_sales=lost_sales, unconstrained=False)  # fed rows' unread
        cells = scoped[:, None] & (frac[rep] > 0)
        status = np.where(cells, weekly_status(net.poh, threshold), STATUS_OK)
        row_worst = status.max(axis=1) if status.shape[1] else np.zeros(len(rep), np.int8)
        worst = np.zeros(k, dtype=np.int8)
        np.maximum.at(worst, rep, row_worst)
        return _Outcome(rep, src, cells, worst, row_worst, net, demand, receipts, on_hand, k)
