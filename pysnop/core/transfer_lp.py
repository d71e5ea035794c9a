"""The transfer plan over time: one LP over donors, receivers and ship weeks (docs/semantics.md §3).

The problem, for every SKU at once (no constraint links two SKUs, so the joint optimum is each
SKU's optimum; the LP is one sparse block problem built from index arrays):

arcs        possible transfers donor d → receiver r of one SKU, each with a transit time
            t (whole weeks) and a cost per unit.
x[j, a]     whole units shipped on arc j to arrive in week a (leaving in week a − t ≥ 0).
donors      stay at or above threshold in every week: the units that have left d by week w
            never exceed poh_d[w] − threshold_d[w]. Since what has left only grows, it is
            enough to ask, at each week s something leaves, Σ_{ship ≤ s} x ≤ spare_d[s] with
            spare_d[s] = ⌊min_{w ≥ s} (poh_d − threshold_d)[w]⌋ — a donor gives from the week
            it has the surplus (after its own receipt, say).
receivers   are valued by the lost units avoided in each week, in a lost-sales run: a unit
            arriving in week a can serve a sale that would be lost in any week ≥ a, once.
            p[r, w] ∈ [0, lost_r[w]] with Σ_{w' ≤ w} p[r, w'] ≤ Σ_{arrival ≤ w} x for every w,
            which is exactly what the lost-sales run achieves when every week of a receiver
            carries the same margin (the greedy run serves the earliest loss first).
            Σ_j x into r ≤ need_r = ⌈max_{w ≥ earliest arrival} (threshold − poh)⌉.
objective   maximise Σ m[r, w] · p[r, w] − Σ cost · x (protected margin minus cost).

Arrivals are only needed in weeks a receiver loses sales (any other arrival may wait for the
next loss week at no loss), plus its first week below threshold for units that only restore
safety stock. Two tie-breaks steer among plans of equal value: units on a free lane earn a tiny
bonus (so spare stock tops the receiver up to its need, safety stock included) and later
arrivals a tinier penalty (so a donor sends in one early shipment rather than several).

Packs: an arc may carry whole packs only (``arc_pack`` units each; 1 = whole units): its
variables count packs, every constraint sees pack × x units, and a receiver's need is rounded
up to whole packs of the largest pack reaching it (docs/semantics.md, "Remedies through the
network").

Whole units: the LP is a network flow whose data are whole numbers except the lost units, so
its vertex is whole whenever the lost units are (and packs are 1); otherwise the LP is floored and every SKU whose
floored plan earns less than its LP optimum is solved again as a mixed-integer program (whole x)
over just those SKUs, and the better plan is kept. Plans are valued by rerunning the lost-sales
run on the receivers with the whole-unit arrivals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pysnop.core.lp import Triplets, solve
from pysnop.core.valuation import lost_by_week, protected

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]

FREE_BONUS = 1e-5  # per unit on a lane that costs nothing: fill receivers up to their need
LATE = 1e-6  # per unit and horizon of lateness: prefer the earliest of equal plans
LOSS_EPS = 1e-6  # lost units below this are float noise
MILP_TIME = 20.0  # seconds; past it the floored LP plan stands
# A problem of more than LARGE variables is solved in chunks of SKU groups of about CHUNK
# variables: HiGHS's time grows faster than the size of one block-diagonal problem
# (100,000 sku-locations: 426k LP variables), and the blocks are independent
LARGE = 60_000
CHUNK = 20_000
MIP_CHUNK = 20_000


@dataclass
class TransferNetwork:
    """One run's transfer problem on Bridge rows (see the module doc)."""

    group: Ints  # (n,) SKU of each row as a number: arcs join rows of one group
    poh: Floats  # (n, H)
    threshold: Floats  # (n, H)
    margin: Floats  # (n, H) unit margin per week
    receiver: NDArray[np.bool_]  # (n,)
    donor: NDArray[np.bool_]  # (n,)
    arc_from: Ints  # (a,)
    arc_to: Ints  # (a,)
    arc_transit: Ints  # (a,)
    arc_cost: Floats  # (a,)
    arc_pack: Floats | None = None  # (a,) units per pack an arc ships in; None: whole units
    lost: Floats | None = None  # (n, H) receivers' lost units per week; None: poh's lost-sales run

    def packs(self) -> Floats:
        if self.arc_pack is None:
            return np.ones(len(self.arc_from))
        return np.asarray(np.where(self.arc_pack > 0, self.arc_pack, 1.0), dtype=float)


@dataclass
class TransferPlan:
    """Whole-unit shipments (one per arc and ship week) and what they are worth."""

    arc: Ints
    frm: Ints
    to: Ints
    ship: Ints
    arrive: Ints
    qty: Floats
    units: Floats  # lost units avoided, the receiver's total shared by quantity
    margin: Floats  # margin protected, shared the same way
    objective: float  # Σ margin protected − Σ cost of the whole-unit plan
    bound: float  # the LP optimum of the same objective (≥ objective, up to tolerances)


@dataclass
class _Model:
    c: Floats
    a_ub: Triplets
    b_ub: Floats
    upper: Floats
    n_x: int
    var_group: Ints
    row_group: Ints
    arc: Ints
    arrive: Ints
    ship: Ints
    p_row: Ints
    p_week: Ints
    pack: Floats  # (n_x,) units per x


def _empty(bound: float = 0.0) -> TransferPlan:
    z = np.zeros(0, dtype=np.int64)
    return TransferPlan(z, z, z, z, z, np.zeros(0), np.zeros(0), np.zeros(0), 0.0, bound)


def _ranges(start: Ints, stop: Ints) -> tuple[Ints, Ints]:
    """(owner, value) for every value in [start[k], stop[k]) of every k, as flat arrays."""
    length = np.maximum(stop - start, 0)
    owner = np.repeat(np.arange(len(start)), length)
    offset = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    return owner, start[owner] + offset


def build_model(net: TransferNetwork) -> _Model | None:
    n, horizon = net.poh.shape
    if n == 0 or horizon == 0 or len(net.arc_from) == 0:
        return None
    slack = net.poh - net.threshold
    spare = np.maximum(np.floor(np.minimum.accumulate(slack[:, ::-1], axis=1)[:, ::-1] + 1e-9),
                       0.0)
    # a donor's spare only grows with the ship week; shipping at the week it last grew is as
    # good as any later week until it grows again (the receiver gets the units sooner)
    grows = np.diff(spare, axis=1, prepend=0.0) > 0
    lost = lost_by_week(net.poh) if net.lost is None else np.asarray(net.lost, dtype=float)
    gap = np.maximum(net.threshold - net.poh, 0.0)
    arc_ok = (net.donor[net.arc_from] & net.receiver[net.arc_to] & (net.arc_transit >= 0)
              & (net.arc_transit < horizon))
    w = np.arange(horizon)
    loss = (lost > LOSS_EPS) & net.receiver[:, None]
    last_loss = np.where(loss.any(axis=1), horizon - 1 - np.argmax(loss[:, ::-1], axis=1), -1)

    arcs = np.flatnonzero(arc_ok & (last_loss[net.arc_to] >= net.arc_transit))
    t = net.arc_transit[arcs]
    usable = grows[net.arc_from[arcs]] & (w[None, :] + t[:, None] <= last_loss[net.arc_to[arcs]]
                                          [:, None])
    va, ship = np.nonzero(usable)
    if len(va) == 0:
        return None
    arc = arcs[va]
    order = np.lexsort((ship + net.arc_transit[arc], net.arc_to[arc]))
    arc, ship = arc[order], ship[order]  # by receiver, then arrival
    d, r = net.arc_from[arc], net.arc_to[arc]
    arrive = ship + net.arc_transit[arc]
    n_x = len(arc)
    pack = net.packs()[arc]

    # a receiver's weeks split into segments at its possible arrival weeks; units of an
    # arrival serve losses from then on, so Σ avoided up to a segment's end ≤ arrivals so far
    akey = r * horizon + arrive
    seg_keys, xseg = np.unique(akey, return_inverse=True)
    seg_r, seg_start = seg_keys // horizon, seg_keys % horizon
    # p: each week a receiver loses sales at or after its first possible arrival
    live_first = np.full(n, horizon, dtype=np.int64)
    np.minimum.at(live_first, seg_r, seg_start)
    lr, lw = np.nonzero(loss & (w[None, :] >= live_first[:, None]))
    lseg = np.searchsorted(seg_keys, lr * horizon + lw, side="right") - 1
    # one p per segment and margin: a segment's losses are served in time order, and with
    # one margin the order does not change their worth
    lm = net.margin[lr, lw]
    _, pfirst, pinv = np.unique(np.column_stack([lseg, lm]), axis=0, return_index=True,
                                   return_inverse=True)
    pinv = pinv.reshape(-1)
    pseg = lseg[pfirst]
    p_row, p_week = lr[pfirst], lw[pfirst]
    p_lost = np.zeros(len(pfirst))
    np.add.at(p_lost, pinv, lost[lr, lw])
    n_p = len(p_row)
    has_p = np.zeros(len(seg_keys), dtype=bool)
    has_p[pseg] = True
    seg_list = np.flatnonzero(has_p)  # receiver rows: the segments with a loss week
    r_last = np.searchsorted(seg_r[seg_list], seg_r, side="right")  # end of r's rows

    # donor rows (d, s): Σ_{ship ≤ s} x ≤ spare[d, s] at every week something leaves d
    dkey = d * horizon + ship
    dkeys, dpos = np.unique(dkey, return_inverse=True)
    d_of = dkeys // horizon
    d_end = np.searchsorted(d_of, d_of, side="right")
    owner, row = _ranges(dpos, d_end[dpos])
    rows, cols, vals = [row], [owner], [pack[owner]]
    b = [spare[d_of, dkeys % horizon]]
    n_rows = len(dkeys)
    # receiver rows, one per segment with losses: Σ p up to its end − Σ x arrived ≤ 0
    first_row = np.searchsorted(seg_list, pseg, side="left")
    owner, row = _ranges(first_row, r_last[pseg])
    rows.append(n_rows + row)
    cols.append(n_x + owner)
    vals.append(np.ones(len(row)))
    first_row = np.searchsorted(seg_list, xseg, side="left")
    owner, row = _ranges(first_row, r_last[xseg])
    rows.append(n_rows + row)
    cols.append(owner)
    vals.append(-pack[owner])
    b.append(np.zeros(len(seg_list)))
    n_rows += len(seg_list)
    # need rows: Σ x into r ≤ need_r, what makes it whole from its first possible arrival
    recv, rpos = np.unique(r, return_inverse=True)
    reach = w[None, :] >= live_first[recv][:, None]
    need = np.ceil(np.where(reach, gap[recv], 0.0).max(axis=1) - 1e-9)
    biggest = np.ones(len(recv))
    np.maximum.at(biggest, rpos, pack)
    need = np.ceil(np.round(need / biggest, 9)) * biggest  # whole packs
    rows.append(n_rows + rpos)
    cols.append(np.arange(n_x))
    vals.append(pack)
    b.append(need)
    n_rows += len(recv)

    a_ub = Triplets(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                    (n_rows, n_x + n_p))
    cost = net.arc_cost[arc]
    c = np.concatenate([pack * (cost + LATE * arrive / horizon
                                - np.where(cost <= 0, FREE_BONUS, 0.0)),
                        -net.margin[p_row, p_week]])
    upper = np.concatenate([np.full(n_x, np.inf), p_lost])
    group = net.group
    row_group = np.concatenate([group[d_of], group[seg_r[seg_list]], group[recv]])
    return _Model(c, a_ub, np.concatenate(b), upper, n_x,
                  np.concatenate([group[d], group[p_row]]), row_group, arc, arrive, ship,
                  p_row, p_week, pack)


def plan_transfers(net: TransferNetwork) -> TransferPlan:
    """The optimal whole-unit transfer plan of ``net`` (see the module doc)."""
    model = build_model(net)
    if model is None:
        return _empty()
    x = _solve_lp(model)
    if x is None:  # the empty plan is always feasible; keep it if HiGHS gives up
        return _empty()
    qty = np.floor(np.maximum(x[:model.n_x], 0.0) + 1e-6)
    real = _real_objective(net, model, x)
    n_groups = int(net.group.max()) + 1
    lp_value = np.zeros(n_groups)
    np.add.at(lp_value, model.var_group, real)
    got = _group_values(net, model, qty, n_groups)
    # SKUs that flooring cost margin: first let only the fractional variables move (to their
    # floor or ceiling, the rest fixed), then, where that still falls short of the LP optimum,
    # solve the SKU's whole-unit problem outright
    for free in (False, True):
        short = np.flatnonzero(got < lp_value - 1e-7 * np.maximum(1.0, np.abs(lp_value)))
        if len(short) == 0:
            break
        whole = _solve_whole(model, short, None if free else x)
        if whole is None:
            continue
        value = _group_values(net, model, whole, n_groups)
        better = value > got + 1e-9
        qty = np.where(better[model.var_group[:model.n_x]], whole, qty)
        got = np.where(better, value, got)
    return _plan(net, model, qty, float(lp_value.sum()))


def _real_objective(net: TransferNetwork, model: _Model, x: Floats) -> Floats:
    """Each LP variable's share of Σ m·p − Σ cost·x (without the tie-breaks)."""
    n_x = model.n_x
    out = np.empty(len(x))
    out[:n_x] = -net.arc_cost[model.arc] * model.pack * x[:n_x]
    out[n_x:] = net.margin[model.p_row, model.p_week] * x[n_x:]
    return out


def _arrivals(net: TransferNetwork, model: _Model, qty: Floats) -> Floats:
    arrivals = np.zeros(net.poh.shape)
    np.add.at(arrivals, (net.arc_to[model.arc], model.arrive), qty * model.pack)
    return arrivals


def _receiver_values(net: TransferNetwork, model: _Model, qty: Floats
                     ) -> tuple[Ints, Floats, Floats]:
    """(receiver rows, lost units avoided, margin protected) of a whole-unit plan."""
    recv = np.unique(net.arc_to[model.arc])
    # given lost units (a network's), a projection whose lost-sales run loses exactly them:
    # arrivals then serve later losses once, as the LP assumes
    base = net.poh[recv] if net.lost is None else -np.cumsum(net.lost[recv], axis=1)
    after = base + np.cumsum(_arrivals(net, model, qty)[recv], axis=1)
    units, money = protected(base, after, net.margin[recv])
    return recv, units, money


def _group_values(net: TransferNetwork, model: _Model, qty: Floats, n_groups: int) -> Floats:
    recv, _, money = _receiver_values(net, model, qty)
    out = np.zeros(n_groups)
    np.add.at(out, net.group[recv], money)
    np.add.at(out, model.var_group[:model.n_x], -net.arc_cost[model.arc] * model.pack * qty)
    return out


def _chunks(model: _Model, groups: Ints, chunk: int) -> list[Ints]:
    """``groups`` (sorted) in runs of about ``chunk`` variables (a group is never split), or
    all at once when they have at most LARGE."""
    size = np.bincount(model.var_group, minlength=int(groups.max()) + 1 if len(groups) else 0)
    if size[groups].sum() <= LARGE:
        return [groups]
    label = (np.cumsum(size[groups]) - 1) // chunk
    cut = np.flatnonzero(np.diff(label)) + 1
    return np.split(groups, cut)


def _solve_lp(model: _Model) -> Floats | None:
    """The LP optimum: at once, or SKU group by group in chunks for a large problem (the
    groups share no constraint, so each chunk's optimum is its groups' part of the whole)."""
    groups = np.unique(model.var_group)
    parts = _chunks(model, groups, CHUNK)
    if len(parts) == 1:
        return solve(model.c, model.a_ub, model.b_ub, np.zeros_like(model.upper), model.upper)
    x = np.zeros(len(model.c))
    for part in parts:
        cols, rows = _members(model, part)
        sub = solve(model.c[cols], model.a_ub.select(rows, cols), model.b_ub[rows],
                    np.zeros(len(cols)), model.upper[cols])
        if sub is None:
            return None
        x[cols] = sub
    return x


def _members(model: _Model, groups: Ints) -> tuple[Ints, Ints]:
    """The variables (columns) and constraints (rows) of ``groups``."""
    return (np.flatnonzero(np.isin(model.var_group, groups)),
            np.flatnonzero(np.isin(model.row_group, groups)))


def _solve_whole(model: _Model, groups: Ints, near: Floats | None) -> Floats | None:
    """Whole-unit x for the variables of ``groups`` (a MILP over just those SKUs, in chunks
    for many; a chunk HiGHS finds nothing for keeps x = 0, the empty plan); with ``near``
    (an LP solution) every x that is whole there stays, the others may only move to their
    floor or ceiling."""
    parts = _chunks(model, groups, MIP_CHUNK)
    out = np.zeros(model.n_x)
    found = False
    started = time.perf_counter()
    for part in parts:
        cols, rows = _members(model, part)
        sub = model.a_ub.select(rows, cols)
        is_x = cols < model.n_x
        lower, upper = np.zeros(len(cols)), model.upper[cols].copy()
        if near is not None:
            value = near[cols[is_x]]
            lower[is_x] = np.floor(value + 1e-6)
            upper[is_x] = np.ceil(value - 1e-6)
        # one time budget for all chunks (at least a second each)
        budget = MILP_TIME if len(parts) == 1 else max(
            MILP_TIME - (time.perf_counter() - started), 1.0)
        x = solve(model.c[cols], sub, model.b_ub[rows], lower, upper, integer=is_x,
                  time_limit=budget, mip_rel_gap=1e-7)
        if x is None:
            if len(parts) == 1:
                return None
            continue
        found = True
        out[cols[is_x]] = np.round(x[is_x])
    return np.asarray(out, dtype=float) if found else None


def _plan(net: TransferNetwork, model: _Model, qty: Floats, bound: float) -> TransferPlan:
    recv, units, money = _receiver_values(net, model, qty)
    use = qty > 0
    arc, q = model.arc[use], qty[use] * model.pack[use]
    to = net.arc_to[arc]
    sent = np.zeros(net.poh.shape[0])
    np.add.at(sent, to, q)
    per_units = np.zeros(net.poh.shape[0])
    per_money = np.zeros(net.poh.shape[0])
    per_units[recv], per_money[recv] = units, money
    share = q / np.where(sent[to] > 0, sent[to], 1.0)
    objective = float(money.sum() - (net.arc_cost[model.arc] * model.pack * qty).sum())
    return TransferPlan(arc, net.arc_from[arc], to, model.ship[use], model.arrive[use], q,
                        per_units[to] * share, per_money[to] * share, objective, bound)
