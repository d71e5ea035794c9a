"""Risks: what one decision is about (docs/semantics.md, "Risks and decisions").

A risk is a set of cells — sku-locations, each with its weekly gap below threshold — that one
decision fixes:

campaign risk      the counted campaigns that are short somewhere, with every at-risk
                   sku-location where one of them is short (a *short pair*: a week the
                   campaign affects is below threshold). Campaigns that share a short
                   sku-location are one risk (connected components of campaigns and cells).
                   A Draft (or other uncounted) campaign that would be short is a risk of its
                   own, its cells judged with the campaign added (the Bridge does not count it).
network risk       a DC and the fed rows short because of its fair share (the Bridge's
                   risk_cause "DC fair share"), with the DC's row when it is at risk: one
                   decision, since the DC's remedy covers them all. A campaign short at one of
                   those rows joins them (campaigns, DCs and rows are grouped together).
sku-location risk  every other sku-location the Bridge has at risk (status not OK in some week).

Every at-risk Bridge row is a cell of exactly one risk. A cell's need is its shortfall: the
largest weekly gap, max_w max(0, threshold − poh) (docs/semantics.md §1 shortfall_units).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core.action_context import ActionContext
from pysnop.core.campaign_pairs import campaign_pairs
from pysnop.core.graph import connected_components
from pysnop.core.network_remedies import lost_weekly, network_view
from pysnop.core.valuation import lost_by_week

SKU_LOCATION, CAMPAIGN, NETWORK = "sku-location", "campaign", "network"


@dataclass
class RiskBook:
    """The risks of one run and their cells (cell = one sku-location of one risk)."""

    risk_id: NDArray[np.object_]  # (k,)
    kind: NDArray[np.object_]  # (k,) SKU_LOCATION or CAMPAIGN
    campaigns: list[list[int]]  # (k,) Campaigns row positions of a campaign risk
    counted: NDArray[np.bool_]  # (k,) backed by the Bridge projection (not a Draft's what-if)
    cell_risk: NDArray[np.int64]  # (m,)
    cell_row: NDArray[np.int64]  # (m,) Bridge row
    cell_gap: NDArray[np.float64]  # (m, H)
    cell_lost: NDArray[np.float64]  # (m, H) units lost per week (lost-sales run)
    cell_stockout: NDArray[np.bool_]  # (m,) projected below zero in some week
    # (n,) risk of each Bridge row, -1 where none: the risk it is a cell of, and for a DC
    # that anchors a network risk (its fed rows short by its fair share) that risk, so the
    # DC's remedies belong to it even when the DC's own row is not at risk
    row_risk: NDArray[np.int64]
    campaign_risk: NDArray[np.int64]  # (n_campaigns,) risk of each campaign, -1 where none
    dc: NDArray[np.object_] | None = None  # (k,) the DC(s) a risk is grouped around, or None
    # (m,) the cell's shortfall adds to its risk's: not for a fed row short by its DC's fair
    # share when the DC's row is a cell of the same risk (the DC's shortfall is in the units
    # its locations need); None: every cell counts
    cell_counts: NDArray[np.bool_] | None = None

    def __len__(self) -> int:
        return len(self.risk_id)

    def cell_lookup(self) -> pd.Series:
        """Cell position by (risk, Bridge row)."""
        index = pd.MultiIndex.from_arrays([self.cell_risk, self.cell_row])
        return pd.Series(np.arange(len(self.cell_risk)), index=index)

    def cell_at(self, risk: NDArray[np.int64], row: NDArray[np.int64]) -> NDArray[np.int64]:
        """Cell position of each (risk, Bridge row), -1 where it is no cell: the pair as one
        integer key, found by binary search in the sorted keys of the cells."""
        width = int(max(self.cell_row.max(initial=-1), np.max(row, initial=-1))) + 1
        keys = self.cell_risk.astype(np.int64) * width + self.cell_row
        order = np.argsort(keys, kind="stable")
        probe = np.asarray(risk, dtype=np.int64) * width + np.asarray(row, dtype=np.int64)
        at = np.minimum(np.searchsorted(keys[order], probe), max(len(keys) - 1, 0))
        found = (keys[order][at] == probe) if len(keys) else np.zeros(len(probe), dtype=bool)
        return np.where(found & (probe >= 0), order[at] if len(keys) else -1, -1)


def build_risks(ctx: ActionContext) -> RiskBook:
    res, grid = ctx.result, ctx.grid
    n, n_c = len(ctx.sku), len(grid.lift)
    pairs = campaign_pairs(ctx)
    at_risk: NDArray[np.bool_] = np.asarray((res.status > 0).any(axis=1), dtype=bool)

    # counted campaigns that are short, grouped with the rows where they are short
    hit = pairs.short & pairs.counted & at_risk[pairs.row]
    c, i = pairs.campaign[hit], pairs.row[hit]
    # a DC is joined to the fed rows its fair share leaves short (docs/semantics.md,
    # "Remedies through the network")
    view = network_view(ctx)
    hurt = np.flatnonzero(view.hurt) if view is not None else np.zeros(0, dtype=np.int64)
    dc_of = view.dc[hurt] if view is not None else np.zeros(0, dtype=np.int64)
    label = connected_components(np.concatenate([c, n_c + dc_of]), np.concatenate([n_c + i, n_c + hurt]),
                        n_c + n)
    involved = np.zeros(n_c, dtype=bool)
    involved[c] = True
    camp_groups = [list(map(int, g)) for g in _split(np.flatnonzero(involved),
                                                      label[:n_c][involved])]
    camp_groups.sort(key=min)
    node_of_row = label[n_c:]
    anchors = np.unique(dc_of)  # DC rows that leave some fed row short
    grouped = np.zeros(len(label), dtype=bool)  # components that are one decision
    grouped[label[:n_c][involved]] = True
    grouped[node_of_row[anchors]] = True
    claimed = at_risk & grouped[node_of_row]
    loose = np.flatnonzero(at_risk & ~claimed)
    campaign_labels = set(label[:n_c][involved].tolist())
    # without a campaign, nothing joins two DCs: each such DC is a component of its own
    dc_groups = [int(d) for d in anchors if int(node_of_row[d]) not in campaign_labels]

    drafts = pairs.short & ~pairs.counted
    draft_campaigns = sorted(set(map(int, pairs.campaign[drafts])))

    ids: list[str] = []
    kinds: list[str] = []
    members: list[list[int]] = []
    counted: list[bool] = []
    cell_risk: list[NDArray[np.int64]] = []
    cell_row: list[NDArray[np.int64]] = []
    cell_gap: list[NDArray[np.float64]] = []
    cell_lost: list[NDArray[np.float64]] = []
    cell_out: list[NDArray[np.bool_]] = []
    campaign_risk = np.full(n_c, -1, dtype=np.int64)
    row_risk = np.full(n, -1, dtype=np.int64)
    cids = ctx.inputs.campaigns["campaign_id"].astype(str).to_numpy() if n_c else np.zeros(0)
    gap, lost = ctx.gap(), lost_weekly(ctx)  # a DC's: its own customers' only
    out: NDArray[np.bool_] = np.asarray((res.poh < 0).any(axis=1), dtype=bool)

    def add(kind: str, key: list[str], rows: NDArray[np.int64], camps: list[int], bridge: bool,
            g: NDArray[np.float64], lw: NDArray[np.float64], so: NDArray[np.bool_],
            id_kind: str | None = None) -> None:
        k = len(ids)
        ids.append(risk_id(id_kind or kind, key))
        kinds.append(kind)
        members.append(camps)
        counted.append(bridge)
        cell_risk.append(np.full(len(rows), k, dtype=np.int64))
        cell_row.append(rows)
        cell_gap.append(g)
        cell_lost.append(lw)
        cell_out.append(so)
        campaign_risk[camps] = k
        if bridge:
            row_risk[rows] = k

    dcs: list[str | None] = []
    place = ctx.location

    def anchor_of(component: int) -> None:
        """The risk's DCs: each anchors it (its remedies belong here)."""
        mine = anchors[node_of_row[anchors] == component]
        row_risk[mine] = len(ids) - 1
        dcs.append(", ".join(dict.fromkeys(str(x) for x in place[mine])) if len(mine) else None)

    # the claimed rows of each component, ascending (found by one sort, not a scan per risk)
    claimed_rows = np.flatnonzero(claimed)
    rows_by_label = _Groups(claimed_rows, node_of_row[claimed_rows])
    for camps in camp_groups:  # one per campaign risk, not per row
        rows = rows_by_label.of(int(label[camps[0]]))
        key = [str(ctx.sku[rows[0]]), *sorted(cids[camps])]
        add(CAMPAIGN, key, rows, camps, True, gap[rows], lost[rows], out[rows])
        anchor_of(int(label[camps[0]]))
    for d in dc_groups:  # a DC and the rows it leaves short; its id is the DC's own
        rows = rows_by_label.of(int(node_of_row[d]))
        add(NETWORK, [str(ctx.sku[d]), str(place[d])], rows, [], True, gap[rows], lost[rows],
            out[rows], id_kind=SKU_LOCATION)
        anchor_of(int(node_of_row[d]))
    # every other at-risk row is a risk of its own, added as one block
    first = len(ids)
    ids += [risk_id(SKU_LOCATION, [str(s), str(loc)])
            for s, loc in zip(ctx.sku[loose], ctx.location[loose])]
    kinds += [SKU_LOCATION] * len(loose)
    members += [[] for _ in range(len(loose))]
    counted += [True] * len(loose)
    cell_risk.append(first + np.arange(len(loose), dtype=np.int64))
    cell_row.append(loose.astype(np.int64))
    cell_gap.append(gap[loose])
    cell_lost.append(lost[loose])
    cell_out.append(out[loose])
    row_risk[loose] = first + np.arange(len(loose))
    dcs += [None] * len(loose)
    draft_pairs = np.flatnonzero(drafts)
    pairs_by_campaign = _Groups(draft_pairs, pairs.campaign[draft_pairs])
    for cd in draft_campaigns:
        sel = pairs_by_campaign.of(cd)
        rows = pairs.row[sel]
        add(CAMPAIGN, [str(ctx.sku[rows[0]]), str(cids[cd])], rows, [cd], False,
            pairs.gap[sel], lost_by_week(pairs.poh_with[sel]),
            np.asarray((pairs.poh_with[sel] < 0).any(axis=1), dtype=bool))
        dcs.append(None)

    c_risk, c_row = np.concatenate(cell_risk), np.concatenate(cell_row)
    counts = np.ones(len(c_row), dtype=bool)
    if view is not None and len(c_row):
        inner = view.hurt[c_row]
        dc_row = np.where(inner, view.dc[c_row], -1)
        cells = pd.MultiIndex.from_arrays([c_risk, c_row])
        counts = ~(inner & pd.MultiIndex.from_arrays([c_risk, dc_row]).isin(cells))
    return RiskBook(
        np.array(ids, dtype=object), np.array(kinds, dtype=object), members,
        np.array(counted, dtype=bool), c_risk, c_row,
        np.concatenate(cell_gap), np.concatenate(cell_lost), np.concatenate(cell_out), row_risk,
        campaign_risk, np.array(dcs, dtype=object), counts)


class _Groups:
    """The members of each label, in the order given, by one stable sort."""

    def __init__(self, members: NDArray[np.int64], labels: NDArray[np.int64]) -> None:
        order = np.argsort(labels, kind="stable")
        self.members = members[order]
        self.labels = labels[order]

    def of(self, label: int) -> NDArray[np.int64]:
        lo, hi = np.searchsorted(self.labels, [label, label + 1])
        out: NDArray[np.int64] = self.members[lo:hi]
        return out


def _split(members: NDArray[np.int64], labels: NDArray[np.int64]) -> list[NDArray[np.int64]]:
    """Members grouped by label, groups in order of first appearance, members in order."""
    if len(members) == 0:
        return []
    _, first, code = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    by = rank[code.reshape(-1)]
    order = np.argsort(by, kind="stable")
    cuts = np.flatnonzero(np.diff(by[order])) + 1
    return np.split(members[order], cuts)


def risk_id(kind: str, key: list[str]) -> str:
    """RSK- + 8 hex digits of what the risk is about (its sku-location, or sku and campaigns)."""
    digest = hashlib.sha1("\x1f".join([kind, *key]).encode("utf-8")).hexdigest()[:8]
    return f"RSK-{digest}"
