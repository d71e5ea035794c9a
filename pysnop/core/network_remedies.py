"""What the supply remedies need to know about the network (docs/semantics.md, "Remedies
through the network").

- A fed row is *hurt by its DC* when the Bridge says its risk is the DC's fair share
  (``risk_cause`` "DC fair share"); its DC *anchors* a network risk when the DC's own row is
  at risk or some row it feeds is hurt by it.
- A DC's *need week* is the first week its shipping falls short: the earliest of its own
  first risk week and, for each row it hurts, that row's first risk week − its transit (not
  before week 0). Remedies at the DC aim at that week; every other row's need week is its
  first risk week.
- A remedy at a networked row is valued by re-running the network with it
  (:mod:`pysnop.core.network_whatif`): margin protected = Σ over every row of the SKU of the
  lost units avoided per week × margin per week (:func:`pysnop.core.valuation.protected_over_rows`),
  and its effect on each row (for the cover of docs/semantics.md, "Risks and decisions") is
  the change of that row's Bridge projection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core.action_context import ActionContext
from pysnop.core.bridge_math import DECIMALS
from pysnop.core.bridge_network import FAIR_SHARE
from pysnop.core.network_whatif import NetworkBase, Scenarios, network_base, rerun
from pysnop.core.valuation import lost_by_week, protected_over_rows

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


@dataclass
class NetworkView:
    """The network as the remedies see it, on Bridge rows."""

    base: NetworkBase
    inside: Bools  # fed rows and the DCs feeding them
    dc: Ints  # the row of each row's DC, -1 where not fed
    transit: Ints
    feeds: Bools  # DC rows that feed some row
    hurt: Bools  # fed rows at risk because of their DC's fair share
    anchor: Bools  # DC rows at risk, or hurting some row they feed
    need_week: Ints  # per row: the week remedies aim at; -1 where nothing is at risk
    pack: Floats  # units per pack of a store (NaN: none)
    short_for: NDArray[np.object_]  # a DC row's hurt locations, "S01, S03"


def network_view(ctx: ActionContext) -> NetworkView | None:
    """The view of this run (None without a network); computed once per run."""
    if "network_view" in ctx.cache:
        cached: NetworkView | None = ctx.cache["network_view"]
        return cached
    view = _build(ctx)
    ctx.cache["network_view"] = view
    return view


def _build(ctx: ActionContext) -> NetworkView | None:
    res = ctx.result
    base = network_base(res, _on_hand(ctx))
    if base is None:
        return None
    topo = base.topology
    n = len(ctx.sku)
    first = ctx.first_risk_index()
    cause = res.summary["risk_cause"].fillna("").astype(str).to_numpy() \
        if "risk_cause" in res.summary else np.full(n, "", dtype=object)
    hurt = topo.fed & (first >= 0) & (cause == FAIR_SHARE)
    feeds = topo.feeds
    anchor = feeds & (first >= 0)
    anchor[topo.dc[hurt]] = True
    need = first.copy()
    # a DC's shipping must be back by the time each hurt row's arrival leaves it
    big = np.iinfo(np.int64).max
    dc_need = np.where(anchor & (first >= 0), first, big)
    h = np.flatnonzero(hurt)
    np.minimum.at(dc_need, topo.dc[h], np.maximum(first[h] - topo.transit[h], 0))
    need[anchor] = dc_need[anchor]
    short_for = res.summary["short_for"].fillna("").astype(str).to_numpy(dtype=object) \
        if "short_for" in res.summary else np.full(n, "", dtype=object)
    return NetworkView(base, base.inside, topo.dc, topo.transit, feeds, hurt, anchor, need,
                       np.asarray(topo.pack, dtype=float), short_for)


def _on_hand(ctx: ActionContext) -> Floats:
    """Inventory on_hand of each Bridge row (first Inventory row of a key; 0 for a DC row
    the network added)."""
    inv = ctx.inputs.inventory
    first = inv.drop_duplicates(["sku", "location"])
    index = pd.MultiIndex.from_arrays([first["sku"].astype(object),
                                       first["location"].astype(object)])
    at = index.get_indexer(pd.MultiIndex.from_arrays([pd.Series(ctx.sku, dtype=object),
                                                      pd.Series(ctx.location, dtype=object)]))
    values = pd.to_numeric(first["on_hand"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    return np.where(at >= 0, values[np.maximum(at, 0)], 0.0)


def lost_weekly(ctx: ActionContext) -> Floats:
    """Units lost per row and week: the network's lost-sales run at networked rows (a DC: its
    own customers only), the row's own elsewhere (docs/semantics.md, "Valuation")."""
    lost = lost_by_week(ctx.result.poh)
    view = network_view(ctx)
    net = ctx.result.network
    if view is None or net is None:
        return lost
    return np.asarray(np.where(view.inside[:, None], net.lost_weekly, lost), dtype=float)


def need_weeks(ctx: ActionContext) -> Ints:
    """The week remedies at each row aim at (-1: nothing at risk there)."""
    view = network_view(ctx)
    return ctx.first_risk_index() if view is None else view.need_week


def inside(ctx: ActionContext) -> Bools:
    view = network_view(ctx)
    return np.zeros(len(ctx.sku), dtype=bool) if view is None else view.inside


def what_for(ctx: ActionContext, row: int) -> str:
    """What a remedy at ``row`` is for, in a reason: a DC that leaves stores short names them."""
    view = network_view(ctx)
    if view is not None and view.feeds[row] and view.short_for[row]:
        return (f"the shortage at {ctx.location[row]} that leaves {view.short_for[row]} "
                f"short")
    return ctx.stockout_at(row)


def what_for_rows(ctx: ActionContext, rows: Ints) -> list[str]:
    """:func:`what_for` of many rows."""
    rows = np.asarray(rows, dtype=np.int64)
    out = ctx.stockouts_at(rows)
    view = network_view(ctx)
    if view is None or len(rows) == 0:
        return out
    dc = np.flatnonzero(view.feeds[rows] & (view.short_for[rows] != ""))
    for i, loc, short in zip(dc.tolist(), ctx.location[rows[dc]].tolist(),
                             view.short_for[rows[dc]].tolist()):
        out[i] = f"the shortage at {loc} that leaves {short} short"
    return out


@dataclass
class Valued:
    """Remedies valued by re-running the network, with their effects on each row."""

    units: Floats  # (k,) lost units avoided over every row of the SKU
    money: Floats  # (k,) margin protected
    effect_of: Ints  # per effect: the remedy
    effect_row: Ints  # per effect: the Bridge row whose projection changed
    effect_delta: Floats  # per effect: its change of poh (threshold unchanged), per week
    row_before: Floats  # per effect: that row's poh as planned (for checks such as donors')


def value_through_network(ctx: ActionContext, scen: Scenarios) -> Valued:
    """Re-run the network for every scenario (one remedy each) and value it."""
    view = network_view(ctx)
    k, horizon = len(scen.anchor), ctx.horizon
    if view is None or k == 0:
        z = np.zeros(0, dtype=np.int64)
        return Valued(np.zeros(k), np.zeros(k), z, z, np.zeros((0, horizon)),
                      np.zeros((0, horizon)))
    run = rerun(view.base, scen)
    units, money = protected_over_rows(run.lost_before, run.lost, ctx.margin_week[run.src],
                                       run.rep, k)
    moved = run.moved()
    delta = np.round(run.poh[moved] - run.poh_before[moved], DECIMALS)
    return Valued(units, money, run.rep[moved], run.src[moved], delta, run.poh_before[moved])


def receipt_moves(horizon: int, to_week: Ints, from_week: Ints, qty: Floats) -> Floats:
    """Per-week receipt changes of moving ``qty`` from week ``from_week`` (≥ horizon: not
    projected) to ``to_week`` (≥ horizon: gone)."""
    w = np.arange(horizon)[None, :]
    q = np.asarray(qty, dtype=float)[:, None]
    add = np.where(w == np.asarray(to_week)[:, None], q, 0.0)
    take = np.where(w == np.asarray(from_week)[:, None], q, 0.0)
    return np.asarray(add - take, dtype=float)
