"""Promotion economics: promo margin, margin at risk by week, wasted spend.

Every expected number is worked by hand in the comments (docs/semantics.md).
Week 0 is Mon 2026-11-16 (as_of Wed 2026-11-18); week 1 is Mon 23 .. Sun 29 Nov.
"""

import numpy as np
import pytest
from plans import build_plan, weekly

from pysnop.core.bridge import run_bridge
from pysnop.core.economics import value_units, weekly_lost

WEEK1 = {"start": "2026-11-23", "end": "2026-11-29"}


def plan(on_hand, baseline, campaigns, economics, horizon, **item):
    inv = [{"sku": "A", "location": "S1", "on_hand": on_hand, "unit_cost": 6.0,
            "unit_price": 10.0, **item}]
    inputs = build_plan(inv, weekly("A", "S1", baseline), campaigns, horizon_weeks=horizon)
    for col, values in economics.items():
        inputs.campaigns[col] = values
    return inputs


def test_weekly_lost_is_the_increase_of_the_lost_sales_shortfall():
    # poh 80, −20, −70, −120 → lost so far max(0, −running min) = 0, 20, 70, 120
    # → weekly 0, 20, 50, 50; a recovery (−20 then +30 after a receipt) loses nothing more
    np.testing.assert_allclose(weekly_lost(np.array([[80.0, -20, -70, -120],
                                                     [10.0, -20, 30, 5]])),
                               [[0, 20, 50, 50], [0, 20, 0, 0]])


def test_value_units_counts_only_weeks_with_units():
    # 20 × 3 + 0 × NaN + 50 × 4 = 260; with a unit in the NaN week the total is unknown
    margin = np.array([[3.0, np.nan, 4.0]])
    assert value_units(np.array([[20.0, 0, 50]]), margin)[0] == pytest.approx(260)
    assert np.isnan(value_units(np.array([[20.0, 1, 50]]), margin)[0])
    assert value_units(np.array([[20.0, 1, 50]]), margin, unknown_margin=0.0)[0] == 260


def test_promo_price_and_funding_value_the_promo_week():
    # on_hand 130, baseline 50/wk, C1 +100% in week 1 (lift units 50), promo_price 8,
    # funding 1, spend 600; unit cost 6, price 10 → regular margin 4, promo 8 − 6 + 1 = 3.
    # demand 50, 100, 50, 50 → poh 80, −20, −70, −120 → lost by week 0, 20, 50, 50
    # margin at risk = 20 × 3 + 50 × 4 + 50 × 4 = 460 (the regular valuation said 120 × 4)
    # lift served last: week 1 loses 20 of its 50 lift units → 40 % → wasted 0.4 × 600 = 240
    r = run_bridge(plan(130, [50] * 4, [{"campaign_id": "C1", "sku": "A", "lift": 1.0,
                                         **WEEK1}],
                        {"promo_price": [8.0], "funding": [1.0], "spend": [600.0]}, 4))
    np.testing.assert_allclose(r.lost_weekly[0], [0, 20, 50, 50])
    np.testing.assert_allclose(r.margin_weekly[0], [4, 3, 4, 4])
    s = r.summary.iloc[0]
    assert s["lost_units"] == 120
    assert s["margin_at_risk"] == pytest.approx(460)
    assert s["wasted_spend"] == pytest.approx(240)
    c = r.campaign_check.iloc[0]
    assert c["promo_margin"] == pytest.approx(3)
    assert c["lift_units"] == pytest.approx(50)
    assert c["unserved_lift_units"] == pytest.approx(20)
    assert c["unserved_lift_share"] == pytest.approx(0.4)
    assert c["wasted_spend"] == pytest.approx(240)
    assert c["margin_at_risk"] == pytest.approx(60)  # its window (week 1): 20 × 3


def test_overlapping_campaigns_blend_by_units_and_share_lost_lift_pro_rata():
    # week 1, baseline 70: C1 all week +50 %, discount 20 % → sells at 8, margin 8 − 6 = 2;
    # C2 Thu–Sun (4/7) +75 %, promo_price 9 → margin 3, spend 700.
    # lift units: C1 70 × 0.5 = 35, C2 70 × 0.75 × 4/7 = 30; demand 70 + 65 = 135.
    # margin weights per unit of baseline: days uncovered max(0, 1 − 1 − 4/7) = 0,
    # C1 1 × 1.5 = 1.5, C2 4/7 × 1.75 = 1 → (1.5 × 2 + 1 × 3) ÷ 2.5 = 2.4
    # on_hand 179: poh 109, −26 → 26 lost in week 1, all lift (26 ≤ 65), shared 35 : 30 →
    # C1 14 (40 %), C2 12 (40 %) → C2 wastes 0.4 × 700 = 280; C1 has no spend.
    camps = [{"campaign_id": "C1", "sku": "A", "lift": 0.5, **WEEK1},
             {"campaign_id": "C2", "sku": "A", "lift": 0.75, "start": "2026-11-26",
              "end": "2026-11-29"}]
    r = run_bridge(plan(179, [70, 70], camps, {"discount": [0.2, np.nan],
                                               "promo_price": [np.nan, 9.0],
                                               "spend": [np.nan, 700.0]}, 2))
    np.testing.assert_allclose(r.margin_weekly[0], [4, 2.4])
    s = r.summary.iloc[0]
    assert s["margin_at_risk"] == pytest.approx(26 * 2.4)
    assert s["wasted_spend"] == pytest.approx(280)
    c = r.campaign_check.set_index("campaign_id")
    assert c.loc["C1", "promo_margin"] == pytest.approx(2)
    assert c.loc["C1", "unserved_lift_units"] == pytest.approx(14)
    assert c.loc["C2", "unserved_lift_units"] == pytest.approx(12)
    assert np.isnan(c.loc["C1", "wasted_spend"])
    assert c.loc["C2", "wasted_spend"] == pytest.approx(280)


def test_a_partial_week_blends_regular_and_promo_margin():
    # C3 Thu–Sun of week 0 (4/7) at +75 %, promo margin 9 − 6 = 3; regular margin 4.
    # baseline 70: regular days 30 units × 4 = 120, promo days 40 + 30 lift = 70 units × 3
    # = 210 → 330 ÷ 100 units = 3.3 (weights 3/7 and 4/7 × 1.75 = 1: (12/7 + 3) ÷ 10/7)
    camps = [{"campaign_id": "C3", "sku": "A", "lift": 0.75, "start": "2026-11-19",
              "end": "2026-11-22"}]
    r = run_bridge(plan(500, [70, 70], camps, {"promo_price": [9.0]}, 2))
    np.testing.assert_allclose(r.margin_weekly[0], [3.3, 4])


def test_lost_baseline_beyond_the_lift_is_not_wasted_spend():
    # on_hand 60, baseline 50, +20 % in week 1 (10 lift units), spend 100: demand 50, 60
    # → poh 10, −50 → 50 lost in week 1; only 10 of them are lift → share 1 → wasted 100
    # (the other 40 are baseline sales lost, valued but not charged to the campaign)
    camps = [{"campaign_id": "C1", "sku": "A", "lift": 0.2, **WEEK1}]
    r = run_bridge(plan(60, [50, 50], camps, {"spend": [100.0]}, 2))
    c = r.campaign_check.iloc[0]
    assert c["unserved_lift_units"] == pytest.approx(10)
    assert c["wasted_spend"] == pytest.approx(100)
    # no promo price, discount or funding: the promo margin is the regular one (4)
    assert r.summary.iloc[0]["margin_at_risk"] == pytest.approx(200)


def test_a_draft_is_judged_as_if_added():
    # Draft +100 % in week 1, spend 500, funding 0.5 → promo margin 4 + 0.5 = 4.5.
    # The Bridge leaves it out (on_hand 100, baseline 50: poh 50, 0 → nothing lost, no
    # spend wasted); added, poh 50, −50 → its 50 lift units are lost → wasted 500, margin
    # at risk in its window 50 × 4.5 = 225.
    camps = [{"campaign_id": "D1", "sku": "A", "lift": 1.0, "status": "Draft", **WEEK1}]
    r = run_bridge(plan(100, [50, 50], camps, {"spend": [500.0], "funding": [0.5]}, 2))
    s = r.summary.iloc[0]
    assert s["margin_at_risk"] == 0 and np.isnan(s["wasted_spend"])
    np.testing.assert_allclose(r.margin_weekly[0], [4, 4])
    c = r.campaign_check.iloc[0]
    assert c["wasted_spend"] == pytest.approx(500)
    assert c["margin_at_risk"] == pytest.approx(225)
    assert c["promo_margin"] == pytest.approx(4.5)


def test_cancelled_and_out_of_horizon_campaigns_carry_no_economics():
    camps = [{"campaign_id": "X", "sku": "A", "lift": 1.0, "status": "Cancelled", **WEEK1},
             {"campaign_id": "Y", "sku": "A", "lift": 1.0, "start": "2027-03-01",
              "end": "2027-03-07"}]
    r = run_bridge(plan(100, [50, 50], camps, {"spend": [10.0, 10.0]}, 2))
    assert r.campaign_check[["wasted_spend", "lift_units"]].isna().all().all()


def test_lost_weekly_sums_to_lost_units_in_bridge_order():
    inv = [{"sku": "A", "location": s, "on_hand": oh, "unit_margin": 1.0}
           for s, oh in (("S1", 100), ("S2", 10), ("S3", 35))]
    fc = [row for s in ("S1", "S2", "S3") for row in weekly("A", s, [20, 20, 20])]
    r = run_bridge(build_plan(inv, fc, horizon_weeks=3))
    np.testing.assert_allclose(r.lost_weekly.sum(axis=1), r.summary["lost_units"])
    row = int(np.flatnonzero(r.keys["location"].to_numpy() == "S2")[0])
    np.testing.assert_allclose(r.lost_weekly[row], [10, 20, 20])  # poh −10, −30, −50
