"""Network what-ifs project only the feeding chains a scenario changes
(core.network_whatif, docs/semantics.md "Remedies through the network").

The whole-block projection they replace (every row of the scenario's SKU) is kept below as
the oracle: on the rows kept, the new rerun is the oracle's run; the rows it leaves out are
rows the oracle shows unmoved, so every sum over a scenario's rows is the same.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

from pysnop.core.network import Topology, project_network
from pysnop.core.network_whatif import Scenarios, chain_roots, network_base, rerun
from pysnop.core.valuation import protected_over_rows


def test_a_row_s_root_is_the_top_of_its_feeding_chain():
    # rows: 0 a DC no one feeds; 1, 2 fed by 0; 3 a DC fed by 0 (two levels); 4 fed by 3;
    # 5 on its own. Roots: 0, 0, 0, 0, 0 (4 → 3 → 0), 5.
    dc = np.array([-1, 0, 0, 0, 3, -1])
    assert chain_roots(dc).tolist() == [0, 0, 0, 0, 0, 5]
    assert chain_roots(np.zeros(0, dtype=np.int64)).tolist() == []


def _old_project(base, blocks, ids, scen):
    """The whole-block projection (before the chains were told apart)."""
    sizes = base.block_size[blocks]
    offset = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    rep = np.repeat(np.arange(len(blocks)), sizes)
    local = np.arange(int(sizes.sum())) - offset[rep]
    src = base.perm[base.block_start[blocks][rep] + local]
    receipts = base.receipts[src].copy()
    where = np.full(len(scen.anchor), -1, dtype=np.int64)
    inside = ids < len(scen.anchor)
    where[ids[inside]] = np.flatnonzero(inside)
    slot = where[scen.scenario] if len(scen.scenario) else np.zeros(0, np.int64)
    use = slot >= 0
    if use.any():
        np.add.at(receipts, offset[slot[use]] + base.pos[scen.row[use]], scen.receipts[use])
    topo = base.topology
    dc = topo.dc[src]
    dc = np.where(dc >= 0, offset[rep] + base.pos[np.maximum(dc, 0)], -1)
    batch = Topology(dc=dc, transit=topo.transit[src], pack=topo.pack[src],
                     code_rank=topo.code_rank[src])
    net = project_network(base.demand[src], receipts, base.threshold[src], base.on_hand[src],
                          batch)
    return ids[rep], src, net.poh, net.lost_weekly


def _old_rerun(base, scen):
    k = len(scen.anchor)
    skus = np.unique(base.sku_id[scen.anchor])
    all_blocks = np.concatenate([base.sku_id[scen.anchor], skus])
    rep, src, poh, lost = _old_project(base, all_blocks, np.arange(len(all_blocks)), scen)
    mine = rep < k
    plain = np.full(len(base.sku_id), -1, dtype=np.int64)
    plain[src[~mine]] = np.flatnonzero(~mine)
    before = plain[src[mine]]
    return rep[mine], src[mine], poh[mine], lost[mine], poh[before], lost[before]


@st.composite
def networks(draw):
    """1-3 SKUs, each with 1-3 DCs (a DC may be fed by the SKU's first DC) feeding 0-3
    stores, and 0-2 stores on their own; 4 weeks of whole-number demand and receipts."""
    rows = []  # (sku, dc row or -1, transit, pack)
    for sku in range(draw(st.integers(1, 3))):
        first_dc = None
        for _ in range(draw(st.integers(1, 3))):
            fed_by = first_dc if first_dc is not None and draw(st.booleans()) else -1
            dc_row = len(rows)
            rows.append((sku, fed_by, draw(st.integers(0, 2)), np.nan))
            first_dc = dc_row if first_dc is None else first_dc
            for _ in range(draw(st.integers(0, 3))):
                pack = draw(st.sampled_from([np.nan, 1.0, 4.0, 6.0]))
                rows.append((sku, dc_row, draw(st.integers(0, 2)), pack))
        for _ in range(draw(st.integers(0, 2))):
            rows.append((sku, -1, 0, np.nan))
    n, horizon = len(rows), 4
    order = draw(st.permutations(range(n)))  # Bridge order mixes the SKUs' rows
    back = np.empty(n, dtype=np.int64)
    back[np.array(order)] = np.arange(n)
    sku = np.array([rows[i][0] for i in order])
    dc = np.array([back[rows[i][1]] if rows[i][1] >= 0 else -1 for i in order])
    topo = Topology(dc=dc, transit=np.array([rows[i][2] for i in order]),
                    pack=np.array([rows[i][3] for i in order]),
                    code_rank=np.array(draw(st.permutations(range(n)))))
    grid = st.lists(st.lists(st.integers(0, 30), min_size=horizon, max_size=horizon),
                    min_size=n, max_size=n)
    demand = np.array(draw(grid), dtype=float)
    receipts = np.array(draw(grid), dtype=float) * (np.array(draw(grid)) > 20)
    threshold = np.array(draw(grid), dtype=float) / 3
    on_hand = np.array(draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)), float)
    keys = pd.DataFrame({"sku": np.array([f"S{s}" for s in sku], dtype=object)})
    result = SimpleNamespace(keys=keys, demand=demand, receipts=receipts, threshold=threshold,
                             network=SimpleNamespace(topology=topo))
    base = network_base(result, on_hand)
    # scenarios: one to three changes each, at rows of one SKU (as remedies make them)
    anchors, scenario, changed, change = [], [], [], []
    for s in range(draw(st.integers(1, 6))):
        anchor = draw(st.integers(0, n - 1))
        same = np.flatnonzero(sku == sku[anchor])
        anchors.append(anchor)
        for _ in range(draw(st.integers(1, 3))):
            scenario.append(s)
            changed.append(int(same[draw(st.integers(0, len(same) - 1))]))
            change.append(draw(st.lists(st.integers(-20, 40), min_size=horizon,
                                        max_size=horizon)))
    scen = Scenarios(np.array(anchors), np.array(scenario), np.array(changed),
                     np.array(change, dtype=float))
    return base, scen


@settings(max_examples=examples(150), deadline=None)
@given(networks())
def test_a_rerun_is_the_whole_block_run_on_the_chains_it_changes(case):
    base, scen = case
    k = len(scen.anchor)
    new = rerun(base, scen)
    rep, src, poh, lost, poh0, lost0 = _old_rerun(base, scen)
    kept = np.isin(rep * len(base.sku_id) + src, new.rep * len(base.sku_id) + new.src)
    assert np.array_equal(new.rep, rep[kept]) and np.array_equal(new.src, src[kept])
    for got, want in ((new.poh, poh), (new.lost, lost), (new.poh_before, poh0),
                      (new.lost_before, lost0)):
        assert np.array_equal(got, want[kept])
    # what is left out is unmoved: the same run as planned
    assert np.array_equal(poh[~kept], poh0[~kept]) and np.array_equal(lost[~kept], lost0[~kept])
    margin = np.linspace(1.0, 2.5, base.demand.shape[1])[None, :].repeat(len(base.sku_id), 0)
    want = protected_over_rows(lost0, lost, margin[src], rep, k)
    got = protected_over_rows(new.lost_before, new.lost, margin[new.src], new.rep, k)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
