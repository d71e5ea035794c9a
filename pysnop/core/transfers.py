"""TRANSFER proposals: move surplus between locations of a SKU (docs/semantics.md §3).

Receivers are the sku-locations at risk; donors those of the same SKU that are OK in every
week. Which donor may send to which receiver, in how many weeks and at what cost per unit
comes from the Lanes (:mod:`pysnop.core.lanes`); the plan — how many units, from whom, leaving
which week — is the optimum of one LP over donors, receivers and ship weeks for all SKUs
(:mod:`pysnop.core.transfer_lp`).

Each shipment of the plan (donor, receiver, ship week) is one proposal. A receiver's lost units
avoided and margin protected (valued week by week, :mod:`pysnop.core.valuation`) are shared
among its shipments in proportion to their quantities. cost = qty × the lane's cost per unit;
week = the arrival week; act_by = the ship week's Monday (never before the as-of date).

With a network (docs/semantics.md, "Remedies through the network"): a DC that feeds the SKU
neither gives nor receives (DC → store is the distribution plan's job); a lane touching a
store ships whole packs (the larger of its two ends' packs); the plan's receivers are valued
by their network lost units, and every receiver whose shipments touch a networked row is
valued by re-running the network with its shipments (all rows of the SKU). The SKU's whole
plan is re-run first: a donor that would fall below its threshold in that projection (it
now needs more from a DC that cannot ship it) gives nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pysnop.core.action_context import SUPPLY, ActionContext, days, units_text
from pysnop.core.lanes import lane_table, transfer_arcs
from pysnop.core.network_remedies import network_view
from pysnop.core.network_transfers import through_network
from pysnop.core.proposals import Batch, empty_batch, make_batch
from pysnop.core.transfer_lp import TransferNetwork, TransferPlan, plan_transfers


def transfer_network(ctx: ActionContext) -> TransferNetwork:
    result = ctx.result
    lead = ctx.whole_setting("transfer_lead_weeks")
    cost = ctx.setting("transfer_cost_per_unit", 0.0)
    first = ctx.first_risk_index()
    receiver = first >= 0
    donor = ~receiver
    view = network_view(ctx)
    if view is not None:  # a DC ships to its stores through the distribution plan
        receiver &= ~view.feeds
        donor &= ~view.feeds
    table = lane_table(ctx.inputs.lanes, lead, cost)
    frm, to, transit, price = transfer_arcs(ctx.sku, ctx.location, np.flatnonzero(donor),
                                            np.flatnonzero(receiver), table, lead, cost)
    group = pd.factorize(pd.Series(ctx.sku, dtype=object).astype(str))[0].astype(np.int64)
    if view is None or result.network is None:
        return TransferNetwork(group, result.poh, result.threshold, ctx.margin_week, receiver,
                               donor, frm, to, transit, price)
    pack = np.nan_to_num(view.pack, nan=1.0)
    return TransferNetwork(group, result.poh, result.threshold, ctx.margin_week, receiver, donor,
                           frm, to, transit, price, arc_pack=np.maximum(pack[frm], pack[to]),
                           lost=result.network.lost_weekly)


@dataclass
class PendingTransfers:
    """A transfer plan being solved: its network and the plan to come (None: nothing to
    plan)."""

    net: TransferNetwork | None
    plan: Callable[[], TransferPlan] | None


def start_transfers(ctx: ActionContext, pool: Executor | None = None) -> PendingTransfers:
    """Build the transfer problem here and solve it on ``pool`` (None: here, now).

    Only :func:`plan_transfers` goes to the pool: numpy on the network's own arrays and HiGHS,
    which lets go of the GIL while it solves, so the other proposals are made meanwhile on
    the second core; everything that reads the context's frames stays on the calling thread.
    """
    if ctx.horizon == 0 or len(ctx.sku) == 0:
        return PendingTransfers(None, None)
    net = transfer_network(ctx)
    if pool is None:
        plan = plan_transfers(net)
        return PendingTransfers(net, lambda: plan)
    future: Future[TransferPlan] = pool.submit(plan_transfers, net)
    return PendingTransfers(net, future.result)


def propose_transfers(ctx: ActionContext, pending: PendingTransfers | None = None) -> Batch:
    """The TRANSFER proposals; ``pending``: a plan :func:`start_transfers` started."""
    horizon = ctx.horizon
    pending = start_transfers(ctx) if pending is None else pending
    net = pending.net
    if net is None or pending.plan is None:
        return empty_batch(horizon)
    plan = pending.plan()
    if len(plan.qty) == 0:
        return empty_batch(horizon)
    w = np.arange(horizon)[None, :]
    delta = np.where(w >= plan.arrive[:, None], plan.qty[:, None], 0.0)
    effects = (np.arange(len(plan.qty)), plan.to, delta)
    if network_view(ctx) is not None:
        plan, effects = through_network(ctx, plan, effects)
    k = len(plan.qty)
    if k == 0:
        return empty_batch(horizon)
    d, r = plan.frm, plan.to
    weeks, leaves = ctx.weeks(plan.arrive), ctx.weeks(plan.ship)
    pack = net.packs()[plan.arc]
    # the texts of each column made on the arrays; the pack note only where packs apply
    packs = np.full(k, "", dtype=object)
    packed = np.flatnonzero(pack > 1)
    packs[packed] = [f" ({n} packs of {size})" for n, size in zip(
        units_text(plan.qty[packed] / pack[packed]), units_text(pack[packed]))]
    donor = ctx.location[d].tolist()
    reason = [f"Ship {q} units{pk} of {sku} from {a} to {b} in the week of {s} (arriving the "
              f"week of {wk}) to cover {why}; {a} stays at or above its safety stock."
              for a, b, sku, q, pk, s, wk, why in zip(
                  donor, ctx.location[r].tolist(), ctx.sku[r].tolist(),
                  units_text(plan.qty), packs.tolist(), days(leaves).tolist(),
                  days(weeks).tolist(), ctx.stockouts_at(r))]
    return make_batch(horizon, {
        "type": ["TRANSFER"] * k, "owner": [SUPPLY] * k, "sku": ctx.sku[r],
        "location": ctx.location[r], "from_location": ctx.location[d],
        "campaign_id": ctx.campaign_ids_of(r), "qty": plan.qty, "week": weeks,
        "cost": plan.qty * net.arc_cost[plan.arc], "units_protected": plan.units,
        "margin_protected": plan.margin, "reason": reason, "act_by": ctx.deadline(plan.ship),
        "home_row": r}, *effects)
