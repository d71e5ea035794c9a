"""Without a network the bridge gives exactly what it gave before the network existed."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from flat_inputs import SEEDS, bridge_numbers, generated_plan

from pysnop.core.bridge import run_bridge
from pysnop.core.bridge_math import project_kernel
from pysnop.core.network import Topology, project_network

GOLDEN = np.load(__file__.replace("test_network_flat.py", "data/flat_golden.npz"))


@pytest.mark.parametrize("seed", SEEDS)
def test_flat_plan_matches_the_bridge_before_the_network_bit_for_bit(seed):
    now = bridge_numbers(run_bridge(generated_plan(seed)))
    before = {k.split(":", 1)[1]: GOLDEN[k] for k in GOLDEN.files if k.startswith(f"{seed}:")}
    assert sorted(now) == sorted(before)
    for name, value in before.items():
        np.testing.assert_array_equal(now[name], value, err_msg=name, strict=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_locations_without_any_fed_location_change_no_number(seed):
    plan = generated_plan(seed)
    stores = sorted(set(plan.inventory["location"]))
    locations = pd.DataFrame({"location": stores, "role": "store", "supplied_by": None,
                              "transit_weeks": 2, "row": range(2, len(stores) + 2)})
    with_locations = run_bridge(dataclasses.replace(plan, locations=locations))
    plain = run_bridge(plan)
    a, b = bridge_numbers(with_locations), bridge_numbers(plain)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name, strict=True)
    assert with_locations.network is None and plain.network is None


@pytest.mark.parametrize("seed", SEEDS)
def test_flat_lost_weekly_adds_up_to_lost_units(seed):
    r = run_bridge(generated_plan(seed))
    assert r.lost_weekly.shape == r.poh.shape and (r.lost_weekly >= 0).all()
    np.testing.assert_allclose(r.lost_weekly.sum(axis=1), r.summary["lost_units"], atol=1e-9)


def test_network_kernel_without_fed_rows_is_the_flat_kernel():
    rng = np.random.default_rng(7)
    n, h = 50, 8
    base = rng.uniform(0, 20, (n, h))
    lift = rng.choice([0.0, 0.5], (n, h)) * rng.uniform(0, 1, (n, h))
    receipts = rng.choice([0.0, 30.0], (n, h), p=[0.8, 0.2])
    on_hand, safety = rng.uniform(0, 80, n), rng.uniform(0, 10, n)
    flat = project_kernel(base, lift, receipts, on_hand, safety, 0.25)
    topo = Topology(dc=np.full(n, -1), transit=np.ones(n, np.int64), pack=np.full(n, np.nan),
                    code_rank=np.arange(n))
    net = project_network(flat.demand, receipts, flat.threshold, on_hand, topo)
    np.testing.assert_array_equal(net.poh, flat.poh, strict=True)
    np.testing.assert_array_equal(net.lost_weekly.sum(axis=1).round(9), flat.lost)
