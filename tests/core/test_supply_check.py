"""The campaign supply check on hand-worked cases (docs/semantics.md §1, campaign supply check)."""

import numpy as np
import pandas as pd
import pytest

from plans import build_plan, weekly
from pysnop.core.bridge import run_bridge

WEEK1 = {"start": "2026-11-23", "end": "2026-11-29"}  # Monday..Sunday of week 1


def case(lift=1.0, status="Planned", **extra):
    # on_hand 80, ss 10, baseline 20/wk, receipt 60 in week 3; without the campaign
    # poh = 60, 40, 20, 60, 40 and slack over safety stock = 50, 30, 10, 50, 30
    inv = [{"sku": "A", "location": "S1", "on_hand": 80, "safety_stock": 10, "unit_margin": 2.0}]
    rc = [{"sku": "A", "location": "S1", "due": "2026-12-07", "qty": 60}]
    camps = [{"campaign_id": "C1", "sku": "A", "lift": lift, "status": status, **WEEK1, **extra}]
    return run_bridge(build_plan(inv, weekly("A", "S1", [20] * 5), camps, rc, horizon_weeks=5))


def test_supply_check_hand_worked():
    r = case()
    chk = r.campaign_check.iloc[0]
    # with +100% in week 1: poh = 60, 20, 0, 40, 20 -> week 1 itself OK, week 2 below ss
    assert chk["supply_status"] == "OK"
    # coverage: entering 60 (end of week 0) + 0 receipts, over window demand 40
    assert chk["coverage"] == pytest.approx(1.5)
    # each unit of lift adds 20 units from week 1 on; tightest slack 10 (week 2) -> 0.5
    assert chk["max_supportable_lift"] == pytest.approx(0.5)
    # shifted 1 week it still hits week 2 (slack 10 < 20); 2 weeks -> weeks 3,4 slack 50, 30
    assert chk["earliest_safe_start"] == pd.Timestamp("2026-12-07")
    assert chk["margin_at_risk"] == 0
    assert chk["note"] == ("ok in the window, but stock falls below threshold later; "
                           "supports at most 50.0% lift (limited by S1); safe from 2026-12-07")
    assert chk["row"] == 2


def test_a_campaign_that_fits_keeps_its_plan():
    r = case(lift=0.25)
    chk = r.campaign_check.iloc[0]
    assert chk["supply_status"] == "OK"
    assert chk["max_supportable_lift"] == pytest.approx(0.25)
    assert chk["earliest_safe_start"] == pd.Timestamp("2026-11-23")
    assert chk["note"] == "supply supports the plan"


def test_draft_is_checked_as_if_confirmed_without_creating_demand():
    r = case(status="Draft")
    np.testing.assert_allclose(r.poh[0], [60, 40, 20, 60, 40])  # no demand from a draft
    chk = r.campaign_check.iloc[0]
    assert chk["max_supportable_lift"] == pytest.approx(0.5)
    assert chk["note"].endswith("checked as if confirmed")


def test_stockout_in_window_counts_lost_margin_in_the_window():
    # lift 3.0: week 1 demand 80 -> poh 60, -20, -40, 0, -20
    # lost-sales: lost 20 in week 1 (window), 20 more in week 2 (outside the window)
    r = case(lift=3.0)
    chk = r.campaign_check.iloc[0]
    assert chk["supply_status"] == "STOCKOUT"
    assert chk["margin_at_risk"] == pytest.approx(40.0)  # 20 units × 2.0 in week 1 only
    assert chk["max_supportable_lift"] == pytest.approx(0.5)


def test_cancelled_and_out_of_horizon_campaigns_are_not_checked():
    r = case(status="Cancelled")
    chk = r.campaign_check.iloc[0]
    assert chk["supply_status"] is None
    assert chk["note"] == "cancelled: not checked"
    r = case(start="2027-06-01", end="2027-06-07")
    assert r.campaign_check.iloc[0]["note"] == "outside the planning horizon: not checked"


def test_scoped_locations_take_the_tightest_coverage_and_lift():
    # two stores, each baseline 10/wk, campaign +100% in week 0 at both
    # S1 on_hand 30: poh 10, 0 ; S2 on_hand 100: poh 80, 70. Bounds: S1 week 0 slack 20/10 = 2,
    # week 1 slack 10/10 = 1 -> max lift 1.0 ; but planned 1.5 -> capped at 1.0
    inv = [{"sku": "A", "location": "S1", "on_hand": 30},
           {"sku": "A", "location": "S2", "on_hand": 100}]
    fc = weekly("A", "S1", [10, 10]) + weekly("A", "S2", [10, 10])
    camps = [{"campaign_id": "C", "sku": "A", "start": "2026-11-16", "end": "2026-11-22",
              "lift": 1.5}]
    r = run_bridge(build_plan(inv, fc, camps, horizon_weeks=2))
    chk = r.campaign_check.iloc[0]
    assert chk["max_supportable_lift"] == pytest.approx(1.0)
    # coverage at the tightest location (docs/semantics.md, campaign supply check): S1 enters
    # the window with 30 for a window demand of 10 × 2.5 = 25: 1.2; S2 100 / 25 = 4 -> 1.2
    # (the chain total, 130 / 50 = 2.6, would hide S1)
    assert chk["coverage"] == pytest.approx(30 / 25)
    # S1 limits the lift (its bound 1.0 against S2's 70/10 = 7)
    assert "supports at most 100.0% lift (limited by S1)" in chk["note"]
    assert chk["supply_status"] == "OK"  # week 0: S1 poh 5, S2 75
    # no shift keeps S1 safe: the 1-week shift to week 1 takes S1 to 30 - 10 - 25 = -5
    assert pd.isna(chk["earliest_safe_start"])


def test_stock_short_even_without_the_lift_names_the_location():
    # one week; S1 on hand 5, S2 on hand 100, baseline 10 each; +50% all week 0 at both.
    # S1: poh 5 − 15 = −10 (STOCKOUT); without the campaign 5 − 10 = −5 < 0 already: its bound
    # is −5 / 10 = −0.5 -> max lift 0. S2's bound 90 / 10 = 9.
    # coverage at the tightest location: S1 5 / 15 = 1/3 (S2 100 / 15); the chain total
    # 105 / 30 = 3.5 would hide it. No shift fits a one-week horizon: no safe start.
    inv = [{"sku": "A", "location": "S1", "on_hand": 5},
           {"sku": "A", "location": "S2", "on_hand": 100}]
    fc = weekly("A", "S1", [10]) + weekly("A", "S2", [10])
    camps = [{"campaign_id": "C", "sku": "A", "start": "2026-11-16", "end": "2026-11-22",
              "lift": 0.5}]
    chk = run_bridge(build_plan(inv, fc, camps, horizon_weeks=1)).campaign_check.iloc[0]
    assert chk["supply_status"] == "STOCKOUT"
    assert chk["coverage"] == pytest.approx(1 / 3)
    assert chk["max_supportable_lift"] == 0
    assert chk["note"] == ("stockout in the window; stock is short even without this lift "
                           "(at S1); no safe start within the horizon")


def test_equal_limits_name_the_first_location_code():
    # S2 listed first; both stores identical (on hand 15, baseline 10, +100% in week 0):
    # bound (15 − 10) / 10 = 0.5 at both: the note names S1, the first code
    inv = [{"sku": "A", "location": "S2", "on_hand": 15},
           {"sku": "A", "location": "S1", "on_hand": 15}]
    fc = weekly("A", "S1", [10]) + weekly("A", "S2", [10])
    camps = [{"campaign_id": "C", "sku": "A", "start": "2026-11-16", "end": "2026-11-22",
              "lift": 1.0}]
    chk = run_bridge(build_plan(inv, fc, camps, horizon_weeks=1)).campaign_check.iloc[0]
    assert chk["max_supportable_lift"] == pytest.approx(0.5)
    assert "supports at most 50.0% lift (limited by S1)" in chk["note"]
    assert chk["coverage"] == pytest.approx(15 / 20)
