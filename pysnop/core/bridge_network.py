"""The bridge's network part: the rows a network adds, its projection and what the rows say.

See docs/semantics.md (network). Without any fed location the bridge never comes here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pysnop.core.bridge_math import Projection, summarise_projection
from pysnop.core.demand import key_lookup
from pysnop.core.economics import weekly_lost
from pysnop.core.locations import NetworkLayout
from pysnop.core.model import STATUS_OK
from pysnop.core.network import NetworkProjection, Topology, project_network

OWN = "own shortfall"
FAIR_SHARE = "DC fair share"


def with_added_dcs(inventory: pd.DataFrame, layout: NetworkLayout) -> pd.DataFrame:
    """Inventory plus a row for each DC that feeds a SKU it has no row for: on-hand 0,
    safety stock 0, lead time 0, no Inventory row (row -1)."""
    added = layout.added_dcs
    if len(added) == 0:
        return inventory
    extra = pd.DataFrame({"sku": added["sku"].to_numpy(dtype=object),
                          "location": added["location"].to_numpy(dtype=object),
                          "on_hand": 0.0, "safety_stock": 0.0, "lead_time_weeks": 0.0,
                          "row": -1})
    return pd.concat([inventory, extra], ignore_index=True)


def topology(keys: pd.DataFrame, layout: NetworkLayout) -> Topology:
    """Rows → the row of their DC, transit, pack and the order of their location codes."""
    sup = layout.supplied_by
    fed = pd.notna(sup)
    dc = np.full(len(keys), -1, dtype=np.int64)
    if fed.any():
        dc[fed] = key_lookup(keys, keys["sku"].to_numpy(dtype=object)[fed], sup[fed])
    codes = keys["location"].astype(str).to_numpy()
    _, rank = np.unique(codes, return_inverse=True)
    return Topology(dc=dc, transit=np.asarray(layout.transit, dtype=np.int64),
                    pack=np.asarray(layout.pack, dtype=float),
                    code_rank=rank.astype(np.int64))


def project(flat: Projection, receipts: np.ndarray, on_hand: np.ndarray,
            topo: Topology) -> tuple[Projection, NetworkProjection, np.ndarray]:
    """The network's rows replace the flat ones; rows outside it keep their flat numbers."""
    net = project_network(flat.demand, receipts, flat.threshold, on_hand, topo)
    inside = topo.fed | topo.feeds
    poh = np.where(inside[:, None], net.poh, flat.poh)
    lost_weekly = np.where(inside[:, None], net.lost_weekly, weekly_lost(flat.poh))
    lost = np.where(inside, np.round(net.lost_weekly.sum(axis=1), 9), flat.lost)
    p = summarise_projection(flat.lift_units, flat.demand, poh, flat.threshold, lost)
    return p, net, lost_weekly


def effective_lead(lead: np.ndarray, topo: Topology) -> np.ndarray:
    """Weeks from ordering to stock on the shelf: a fed row's transit + its DC's lead time."""
    out = np.asarray(lead, dtype=float).copy()
    fed = topo.fed
    out[fed] = topo.transit[fed] + np.asarray(lead, dtype=float)[topo.dc[fed]]
    return out


def chain_columns(keys: pd.DataFrame, layout: NetworkLayout, p: Projection,
                  net: NetworkProjection | None) -> dict[str, np.ndarray]:
    """role, supplied_by, risk_cause and short_for for each row.

    A fed row first at risk in a week where it would be fine had its DC met every request
    is at risk because of its DC's fair share; otherwise the shortfall is its own (stock and
    receipts that cannot last until the DC's shipments arrive). A DC row lists the fed rows
    at risk because of it.
    """
    n = len(keys)
    role = np.asarray(layout.role, dtype=object)
    supplied = np.where(layout.direct, "direct", layout.supplied_by).astype(object)
    supplied[pd.isna(supplied)] = None
    cause = np.where(p.any_risk, OWN, "").astype(object)
    short_for = np.full(n, "", dtype=object)
    if net is None:
        return {"role": role, "supplied_by": supplied, "risk_cause": cause,
                "short_for": short_for}
    topo = net.topology
    rows = np.arange(n)
    w = p.first_risk
    own_status = np.where(net.poh_unconstrained[rows, w] < 0, 2,
                          np.where(net.poh_unconstrained[rows, w] < p.threshold[rows, w], 1,
                                   STATUS_OK)) if p.poh.shape[1] else np.zeros(n, np.int64)
    by_dc = topo.fed & p.any_risk & (own_status == STATUS_OK)
    cause[by_dc] = FAIR_SHARE
    hurt = np.flatnonzero(by_dc)
    if len(hurt):
        locs = keys["location"].to_numpy(dtype=object)
        frame = pd.DataFrame({"dc": topo.dc[hurt], "loc": locs[hurt].astype(str)})
        lists = frame.sort_values(["dc", "loc"]).groupby("dc")["loc"].agg(", ".join)
        short_for[lists.index.to_numpy()] = lists.to_numpy(dtype=object)
        named = lists.index.to_numpy()
        cause[named] = np.array([f"short for {t}" for t in lists.to_numpy()], dtype=object)
    return {"role": role, "supplied_by": supplied, "risk_cause": cause, "short_for": short_for}
