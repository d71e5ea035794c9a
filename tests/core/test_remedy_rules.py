"""Remedies that can really be done (docs/semantics.md §3), one hand-worked case per rule.

Week 0 is Mon 2026-11-16 (as-of Wed 2026-11-18); weeks 1..5 start 11-23, 11-30, 12-07, 12-14,
12-21.
"""

import numpy as np
import pandas as pd
import pytest
from plans import build_plan, weekly

from pysnop.core.actions import plan_actions, propose_actions
from pysnop.core.bridge import run_bridge
from pysnop.core.remedies import order_quantity

W = {k: pd.Timestamp("2026-11-16") + pd.Timedelta(days=7 * k) for k in range(8)}
AS_OF = pd.Timestamp("2026-11-18")


def propose(plan, **kw):
    return propose_actions(plan, run_bridge(plan), **kw)


def only(actions, kind):
    rows = actions[actions["type"] == kind]
    assert len(rows) == 1, actions[["type", "location", "qty"]]
    return rows.iloc[0]


# --- NEW_ORDER: moq, order_multiple, order-by dates ------------------------------------

def order_plan(lead=2, products=None):
    # on_hand 70, ss 10, base 20, margin 3: poh 50, 30, 10, -10, -30 -> first risk week 3,
    # shortfall 10 − (−30) = 40, lost 30
    inv = [{"sku": "A", "location": "S1", "on_hand": 70, "safety_stock": 10,
            "lead_time_weeks": lead, "unit_margin": 3.0}]
    return build_plan(inv, weekly("A", "S1", [20] * 5), horizon_weeks=5, products=products)


@pytest.mark.parametrize("moq, multiple, expected", [
    (np.nan, np.nan, 40),  # the shortfall itself
    (48, np.nan, 48),  # raised to the MOQ
    (np.nan, 12, 48),  # 40 up to 4 × 12
    (30, 25, 50),  # 40 ≥ MOQ 30, then up to 2 × 25
    (41, 20, 60),  # MOQ 41, then up to 3 × 20
])
def test_new_order_is_rounded_up_to_moq_and_order_multiple(moq, multiple, expected):
    plan = order_plan(products=[{"sku": "A", "moq": moq, "order_multiple": multiple}])
    order = only(propose(plan), "NEW_ORDER")
    assert order["qty"] == expected
    # any order of at least the shortfall from week 3 on avoids all 30 lost units
    assert (order["units_protected"], order["margin_protected"]) == (30, 90)
    if expected > 40:
        assert "(shortfall 40, rounded up to the" in order["reason"]


def test_order_quantity_rule():
    got = order_quantity(np.array([0.2, 37, 37, 37]), np.array([np.nan, 48, 40, 0]),
                         np.array([np.nan, 12, 12, -1]))
    # 0.2 -> 1 whole unit; 37 with MOQ 48 -> 48 (already 4 × 12); MOQ 40 -> 48; a negative
    # multiple is no rule -> 37
    assert got.tolist() == [1, 48, 48, 37]


def test_order_by_date_is_never_before_the_as_of_date():
    # lead 3: act_by = Monday of week 3 − 3 = week 0, 2026-11-16, two days before the as-of
    # date: still in time (not before week 0), so the order is proposed — "by 2026-11-18"
    order = only(propose(order_plan(lead=3)), "NEW_ORDER")
    assert order["act_by"] == AS_OF
    assert "by 2026-11-18 to arrive in the week of 2026-12-07" in order["reason"]
    # lead 2: act_by week 1 (2026-11-23) is shown as it is
    assert only(propose(order_plan(lead=2)), "NEW_ORDER")["act_by"] == W[1]


# --- EXCLUDE_LOCATIONS before a chain-wide REDUCE_LIFT ----------------------------------

def chain_plan(s1_on_hand=35, lift=1.0, horizon=3, **settings):
    # campaign C1 on A at every store (blank scope), week 1, +100 %; base 10/wk, margin 2.
    # S1 on_hand 35: without the campaign 25, 15, 5; with it 25, 5, -5 -> short (loses 5)
    # S2, S3 on_hand 100: with it 90, 70, 60 -> fine
    inv = [{"sku": "A", "location": s, "on_hand": oh, "unit_margin": 2.0}
           for s, oh in (("S1", s1_on_hand), ("S2", 100), ("S3", 100))]
    fc = [r for s in ("S1", "S2", "S3") for r in weekly("A", s, [10] * horizon)]
    camps = [{"campaign_id": "C1", "name": "Winter", "sku": "A", "start": "2026-11-23",
              "end": "2026-11-29", "lift": lift}]
    return build_plan(inv, fc, camps, horizon_weeks=horizon, **settings)


def test_a_campaign_short_at_one_store_drops_that_store_not_the_chain():
    acts = propose(chain_plan())
    assert "REDUCE_LIFT" not in set(acts["type"])  # the chain-wide cut for one store
    drop = only(acts, "EXCLUDE_LOCATIONS")
    # S1 without the lift: 25, 15, 5 -> the 5 lost units are avoided (× 2 = 10); the 10 promo
    # units S1 would have had are given up (× 2 = 20): net −10 — it loses money
    assert (drop["location"], drop["campaign_id"], drop["week"]) == ("S1", "C1", W[1])
    assert (drop["qty"], drop["units_protected"]) == (10, 5)
    assert (drop["margin_protected"], drop["cost"], drop["net_value"]) == (10, 20, -10)
    assert not drop["recommended"] and pd.isna(drop["alt_rank"])
    assert drop["reason"] == ("Drop S1 from campaign Winter: their stock cannot carry the +100% "
                              "lift, so 5 lost sales are avoided for 10 promo units given up "
                              "there; the campaign runs as planned at its other 2 locations.")
    # the same risk has a transfer: S2 (or S3) has spare from week 0, so 5 units leave at once
    # and arrive in week 1 (lead 1), before S1's loss in week 2: +10 at no cost, recommended
    # and ranked first
    move = only(acts, "TRANSFER")
    assert (move["location"], move["qty"], move["week"], move["net_value"]) == ("S1", 5, W[1], 10)
    assert move["risk_id"] == drop["risk_id"] and move["alt_rank"] == 1
    assert list(acts["type"]) == ["TRANSFER", "EXCLUDE_LOCATIONS"]


def test_reduce_lift_only_when_every_location_is_short():
    # all three stores at 35 on hand: every one is short, so dropping them all would be no
    # campaign; the chain-wide cap is the remedy. Max lift: slack 15 in week 1 over 10 per
    # unit of lift... week 2 slack 5 over 10 -> 0.5
    plan = chain_plan()
    plan.inventory["on_hand"] = 35.0
    acts = propose(plan)
    assert "EXCLUDE_LOCATIONS" not in set(acts["type"])
    cap = only(acts, "REDUCE_LIFT")
    # lift 1.0 -> 0.5 at each store: poh 25, 10, 0: 5 lost avoided at each (3 × 5 × 2 = 30),
    # 5 promo units given up at each (3 × 5 × 2 = 30): net 0 (recommended: it loses nothing)
    assert (cap["new_lift"], cap["qty"], cap["units_protected"]) == (0.5, 15, 15)
    assert (cap["margin_protected"], cap["cost"], cap["net_value"]) == (30, 30, 0)
    assert cap["recommended"] and cap["location"] == "S1, S2, S3"


# --- MOVE_WINDOW: within the flexibility window, inside the horizon -----------------------

def move_plan(flex=None, **settings):
    # on_hand 80, base 20, receipt 60 in week 3, margin 2; without the campaign
    # poh = 60, 40, 20, 60, 40. C1 in week 1 at +200 %: 60, 0, -20, 20, 0: loses 20.
    # Moved by whole weeks: to week 2: 60, 40, -20, 20, 0 (still loses 20); to week 3:
    # 60, 40, 20, 20, 0: safe; to week 4: 60, 40, 20, 60, 0: safe.
    inv = [{"sku": "A", "location": "S1", "on_hand": 80, "unit_margin": 2.0}]
    rc = [{"sku": "A", "location": "S1", "due": "2026-12-07", "qty": 60}]
    camp = {"campaign_id": "C1", "name": "Black Friday", "sku": "A", "start": "2026-11-23",
            "end": "2026-11-29", "lift": 2.0}
    plan = build_plan(inv, weekly("A", "S1", [20] * 5), [camp], rc, horizon_weeks=5,
                      **settings)
    for col, value in (flex or {}).items():
        plan.campaigns[col] = pd.to_datetime([value])
    return plan


def test_move_window_within_max_move_weeks():
    # default ±2 weeks: week 3 (2026-12-07) is the nearest safe start
    move = only(propose(move_plan()), "MOVE_WINDOW")
    assert (move["new_start"], move["net_value"]) == (W[3], 40)
    # ±1 week: week 2 avoids nothing (and week 0 would start before the as-of date): none
    assert "MOVE_WINDOW" not in set(propose(move_plan(max_move_weeks=1))["type"])


def test_move_window_within_the_campaigns_own_window():
    # marketing can live with a start from 2026-12-14 (week 4) to 2026-12-21: the nearest
    # allowed start is week 4 (+3 weeks, beyond max_move_weeks 2 but inside their window)
    move = only(propose(move_plan({"earliest_start": "2026-12-14",
                                   "latest_start": "2026-12-21"})), "MOVE_WINDOW")
    assert move["new_start"] == W[4] and move["units_protected"] == 20
    # a window that only allows week 2: nothing to gain there, so no MOVE_WINDOW
    acts = propose(move_plan({"earliest_start": "2026-11-30", "latest_start": "2026-11-30"}))
    assert "MOVE_WINDOW" not in set(acts["type"])


def test_no_move_to_a_start_outside_the_horizon():
    acts = propose(move_plan({"earliest_start": "2026-12-28", "latest_start": "2027-01-25"}))
    # every start marketing allows is week 6 or later, past the 5-week horizon: no proposal
    assert "MOVE_WINDOW" not in set(acts["type"])
    # and with ±10 weeks allowed, the nearest safe start (week 3) is chosen, never week 5+
    move = only(propose(move_plan(max_move_weeks=10)), "MOVE_WINDOW")
    assert move["new_start"] == W[3]


def test_a_campaign_moved_earlier_must_be_decided_by_its_new_start():
    # on_hand 120, base 10, 10, 10, 40, 40 (a season building), no receipts: without the
    # campaign poh = 110, 100, 90, 50, 10. C1 at +100 % in week 3 (2026-12-07) adds 40:
    # 110, 100, 90, 10, -30 -> loses 30. Week 4 (+1): adds 40 there: ..., 50, -30 -> loses.
    # Week 2 (-1): adds 10: 110, 100, 80, 40, 0 -> safe (nearest safe start, later tried
    # first). Moving it to 2026-11-30 must be decided before 2026-11-30, not by the planned
    # start a week later.
    inv = [{"sku": "A", "location": "S1", "on_hand": 120, "unit_margin": 2.0}]
    camp = {"campaign_id": "C1", "name": "Holiday", "sku": "A", "start": "2026-12-07",
            "end": "2026-12-13", "lift": 1.0}
    plan = build_plan(inv, weekly("A", "S1", [10, 10, 10, 40, 40]), [camp], [],
                      horizon_weeks=5)
    move = only(propose(plan), "MOVE_WINDOW")
    assert move["new_start"] == W[2]
    assert move["act_by"] == W[2]


def test_a_started_campaign_is_not_moved():
    # the same campaign starting in week 0 (Mon 11-16, before the as-of date)
    plan = move_plan()
    plan.campaigns["start"] = pd.to_datetime(["2026-11-16"])
    plan.campaigns["end"] = pd.to_datetime(["2026-11-22"])
    assert "MOVE_WINDOW" not in set(propose(plan)["type"])


# --- the valuation hook --------------------------------------------------------------------

def test_margin_protected_goes_through_the_weekly_margin():
    # the expedite of test_actions: P1 (60 units) into week 1 avoids 10 lost units in week 1
    # and 20 in week 2 (poh 10, -10, -30, 10 -> 10, 50, 30, 10). With a margin of 5 in week 1
    # and 8 in week 2 (a promo-margin array handed in), protected = 10 × 5 + 20 × 8 = 210.
    inv = [{"sku": "A", "location": "S1", "on_hand": 30, "unit_margin": 5.0}]
    rc = [{"sku": "A", "location": "S1", "due": "2026-12-09", "qty": 60, "po_id": "P1"}]
    plan = build_plan(inv, weekly("A", "S1", [20] * 4), receipts=rc, horizon_weeks=4)
    weekly_margin = np.array([[5.0, 5.0, 8.0, 5.0]])
    acts = propose(plan, margin_week=weekly_margin)
    assert acts.iloc[0]["margin_protected"] == 210
    assert propose(plan).iloc[0]["margin_protected"] == 150  # the regular margin: 30 × 5
    risks = plan_actions(plan, run_bridge(plan), margin_week=weekly_margin).risks
    assert risks.iloc[0]["margin_at_risk"] == 210
