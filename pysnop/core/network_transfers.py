"""Transfers through the network: donors checked and receivers valued by re-running it
(docs/semantics.md, "Remedies through the network").

A shipment touches the network when its donor or its receiver is a networked row (a fed
location; DCs neither give nor receive). For such shipments:

1. Each SKU's whole plan is re-run (one scenario per SKU, all in one batched projection). A
   donor below its threshold in some week of that projection — taking stock from a fed store
   raises its own requests, which a short DC may not meet — gives nothing: its shipments of
   the SKU are dropped and the check repeats for what is left.
2. Each receiver's shipments are re-run together (one scenario per receiver): its lost units
   avoided and margin protected are Σ over every row of the SKU, shared among its shipments in
   proportion to their quantities, and so is each row's change of projection (the cover).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from pysnop.core.action_context import ActionContext
from pysnop.core.network_remedies import network_view, value_through_network
from pysnop.core.network_whatif import Scenarios, rerun
from pysnop.core.transfer_lp import TransferPlan

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Effects = tuple[Ints, Ints, Floats]

TOL = 1e-9
MAX_PASSES = 10  # each pass drops at least one donor; this many is more than any real plan


def through_network(ctx: ActionContext, plan: TransferPlan, effects: Effects
                    ) -> tuple[TransferPlan, Effects]:
    """The plan without donors the network would leave below threshold, its networked
    receivers valued by re-running the network, and the effects to match."""
    view = network_view(ctx)
    if view is None or len(plan.qty) == 0:
        return plan, effects
    horizon = ctx.horizon
    touches = view.inside[plan.to] | view.inside[plan.frm]
    if not touches.any():
        return plan, effects
    keep = np.ones(len(plan.qty), dtype=bool)
    for _ in range(MAX_PASSES):
        bad = _donors_below(ctx, plan, touches & keep)
        if not bad.any():
            break
        keep &= ~bad
    # receivers of networked shipments, one scenario each
    net = touches & keep
    recv, scen_of = np.unique(plan.to[net], return_inverse=True)
    ships = np.flatnonzero(net)
    scen = _scenarios(plan, ships, scen_of.astype(np.int64), recv, horizon)
    valued = value_through_network(ctx, scen)
    sent = np.bincount(scen_of, weights=plan.qty[ships], minlength=len(recv))
    share = plan.qty[ships] / sent[scen_of]
    units, margin = plan.units.copy(), plan.margin.copy()
    units[ships] = valued.units[scen_of] * share
    margin[ships] = valued.money[scen_of] * share
    # effects: flat shipments keep theirs; each networked one takes its share of every row's
    # change in its receiver's scenario
    of, row, delta = effects
    mine = ~touches[of] & keep[of]
    order = np.argsort(scen_of, kind="stable")
    count = np.bincount(scen_of, minlength=len(recv))
    start = np.r_[0, np.cumsum(count)[:-1]]
    e = np.repeat(np.arange(len(valued.effect_of)), count[valued.effect_of])
    nth = np.arange(len(e)) - np.repeat(np.cumsum(count[valued.effect_of])
                                        - count[valued.effect_of], count[valued.effect_of])
    j = order[start[valued.effect_of[e]] + nth]  # position among ``ships``
    new_of = np.concatenate([of[mine], ships[j]])
    new_row = np.concatenate([row[mine], valued.effect_row[e]])
    new_delta = np.concatenate([delta[mine], valued.effect_delta[e] * share[j][:, None]])
    # renumber onto the kept shipments
    position = np.cumsum(keep) - 1
    kept = dataclasses.replace(
        plan, arc=plan.arc[keep], frm=plan.frm[keep], to=plan.to[keep], ship=plan.ship[keep],
        arrive=plan.arrive[keep], qty=plan.qty[keep], units=np.maximum(units[keep], 0.0),
        margin=margin[keep])
    return kept, (position[new_of], new_row, new_delta.reshape(-1, horizon))


def _scenarios(plan: TransferPlan, ships: Ints, scen_of: Ints, anchor: Ints,
               horizon: int) -> Scenarios:
    """Scenario ``scen_of[j]`` gets shipment ``ships[j]``: its quantity arrives at the receiver
    in its arrival week and leaves the donor in its ship week."""
    w = np.arange(horizon)[None, :]
    q = plan.qty[ships][:, None]
    arrive = np.where(w == plan.arrive[ships][:, None], q, 0.0)
    leave = np.where(w == plan.ship[ships][:, None], -q, 0.0)
    return Scenarios(anchor=np.asarray(anchor, dtype=np.int64),
                     scenario=np.concatenate([scen_of, scen_of]),
                     row=np.concatenate([plan.to[ships], plan.frm[ships]]),
                     receipts=np.concatenate([arrive, leave]))


def _donors_below(ctx: ActionContext, plan: TransferPlan, use: NDArray[np.bool_]
                  ) -> NDArray[np.bool_]:
    """Shipments (among ``use``) whose donor falls below threshold when its SKU's whole plan
    is re-run."""
    view = network_view(ctx)
    ships = np.flatnonzero(use)
    out = np.zeros(len(plan.qty), dtype=bool)
    if view is None or len(ships) == 0:
        return out
    sku = view.base.sku_id
    skus, scen_of = np.unique(sku[plan.to[ships]], return_inverse=True)
    first = np.zeros(len(skus), dtype=np.int64)
    first[scen_of[::-1]] = plan.to[ships][::-1]  # any row of the SKU anchors it
    run = rerun(view.base, _scenarios(plan, ships, scen_of.astype(np.int64), first,
                                      ctx.horizon))
    below = (run.poh < view.base.threshold[run.src] - TOL).any(axis=1)
    was_ok = ~(run.poh_before < view.base.threshold[run.src] - TOL).any(axis=1)
    donors = set(zip(run.rep[below & was_ok].tolist(), run.src[below & was_ok].tolist()))
    if not donors:
        return out
    out[ships] = [(s, d) in donors for s, d in zip(scen_of.tolist(), plan.frm[ships].tolist())]
    return out
