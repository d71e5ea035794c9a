"""Properties of the distribution plan that hold for any network (docs/semantics.md §4)."""

import numpy as np
from hypothesis import given, settings
from hypothesis_budget import examples
from hypothesis import strategies as st

from pysnop.core.network import Topology, project_network


@st.composite
def networks(draw, ample=False):
    """A few DCs, each feeding a few stores/online rows, plus rows on their own."""
    horizon = draw(st.integers(1, 6))
    n_dc = draw(st.integers(1, 3))
    fed_per_dc = [draw(st.integers(1, 4)) for _ in range(n_dc)]
    n_alone = draw(st.integers(0, 2))
    dc, transit, pack, demand_rows = [], [], [], []
    on_hand, receipts_rows = [], []
    units = st.integers(0, 40).map(float)
    for d, k in enumerate(fed_per_dc):
        dc_row = len(dc)
        dc.append(-1)
        transit.append(0)
        pack.append(np.nan)
        on_hand.append(1e6 if ample else float(draw(st.integers(-5, 60))))
        receipts_rows.append([draw(st.sampled_from([0.0, 0.0, 25.0])) for _ in range(horizon)])
        demand_rows.append([draw(st.sampled_from([0.0, 0.0, 3.0, 7.5])) for _ in range(horizon)])
        for _ in range(k):
            dc.append(dc_row)
            transit.append(draw(st.integers(0, 3)))
            pack.append(draw(st.sampled_from([np.nan, 1.0, 4.0, 6.0, 2.5])))
            on_hand.append(float(draw(st.integers(0, 30))))
            receipts_rows.append([draw(st.sampled_from([0.0, 0.0, 10.0])) for _ in range(horizon)])
            demand_rows.append([draw(units) for _ in range(horizon)])
    for _ in range(n_alone):
        dc.append(-1)
        transit.append(1)
        pack.append(np.nan)
        on_hand.append(float(draw(st.integers(0, 30))))
        receipts_rows.append([0.0] * horizon)
        demand_rows.append([draw(units) for _ in range(horizon)])
    n = len(dc)
    threshold = np.array([[float(draw(st.integers(0, 8)))] * horizon for _ in range(n)])
    topo = Topology(dc=np.array(dc, dtype=np.int64), transit=np.array(transit, dtype=np.int64),
                    pack=np.array(pack), code_rank=np.array(
                        draw(st.permutations(list(range(n)))), dtype=np.int64))
    return (np.array(demand_rows), np.array(receipts_rows), threshold, np.array(on_hand), topo)


@settings(max_examples=examples(150), deadline=None)
@given(networks(ample=True))
def test_with_ample_dc_stock_every_fed_row_holds_threshold_from_its_first_arrival(case):
    demand, receipts, threshold, on_hand, topo = case
    net = project_network(demand, receipts, threshold, on_hand, topo)
    horizon = demand.shape[1]
    for s in np.flatnonzero(topo.fed):
        first = topo.transit[s]
        assert (net.poh[s, first:] >= threshold[s, first:] - 1e-9).all()
        np.testing.assert_array_equal(net.shipments[s], net.requests[s])
        assert (net.requests[s, :min(first, horizon)] == 0).all()
    np.testing.assert_array_equal(net.poh, net.poh_unconstrained)


@settings(max_examples=examples(300), deadline=None)
@given(networks())
def test_a_dc_never_ships_more_than_it_has_nor_more_than_asked(case):
    demand, receipts, threshold, on_hand, topo = case
    net = project_network(demand, receipts, threshold, on_hand, topo)
    horizon = demand.shape[1]
    fed = np.flatnonzero(topo.fed)
    ship, asked = net.shipments[fed], net.requests[fed]
    assert (ship >= 0).all() and (ship <= asked + 1e-9).all()
    packed = ~np.isnan(topo.pack[fed])
    per_pack = ship[packed] / topo.pack[fed][packed][:, None]
    np.testing.assert_allclose(per_pack, np.round(per_pack), atol=1e-9)
    for d in np.flatnonzero(topo.feeds):
        # the DC's own balance in the backorder run, week by week (docs/semantics.md §4.2)
        balance = on_hand[d]
        for t in range(horizon):
            available = max(0.0, balance + receipts[d, t])
            assert net.dc_shipped[d, t] <= available + 1e-9
            balance = balance + receipts[d, t] - net.dc_shipped[d, t] - demand[d, t]
        assert 0 <= net.dc_fraction[d].min() and net.dc_fraction[d].max() <= 1
    # what the stores receive is what their DCs sent, week by week shifted by transit
    sent = np.zeros_like(net.dc_shipped)
    for s in fed:
        for a in range(horizon):
            if net.shipments[s, a]:
                sent[topo.dc[s], a - topo.transit[s]] += net.shipments[s, a]
    np.testing.assert_allclose(sent, net.dc_shipped, atol=1e-9)
    assert (net.lost_weekly >= 0).all()


@settings(max_examples=examples(200), deadline=None)
@given(networks(), st.booleans())
def test_leaving_out_the_fed_rows_unconstrained_balances_changes_nothing_else(case, lost):
    # what the what-ifs and the campaign check ask for (unconstrained=False) is the full
    # run's arrays but one: the fed rows' poh_unconstrained, left at their own projection
    demand, receipts, threshold, on_hand, topo = case
    full = project_network(demand, receipts, threshold, on_hand, topo, lost_sales=lost)
    part = project_network(demand, receipts, threshold, on_hand, topo, lost_sales=lost,
                           unconstrained=False)
    fed = topo.fed
    for name in ("poh", "lost_weekly", "requests", "shipments", "requests_unconstrained",
                 "dc_requested", "dc_shipped", "dc_fraction", "dc_requested_unconstrained"):
        np.testing.assert_array_equal(getattr(part, name), getattr(full, name), err_msg=name)
    np.testing.assert_array_equal(part.poh_unconstrained[~fed], full.poh_unconstrained[~fed])
    # a fed row on its own: on hand + Σ (receipts − demand), no DC shipment
    own = on_hand[fed][:, None] + np.cumsum(receipts[fed] - demand[fed], axis=1)
    np.testing.assert_allclose(part.poh_unconstrained[fed], own, atol=1e-9)
