"""What-if: the bridge with chosen actions applied, hand-worked (horizon 4, week 0 = 2026-11-16).
"""

import pandas as pd
from plans import build_plan, weekly

from pysnop.core.simulate import apply_actions, simulate

W1, W3 = pd.Timestamp("2026-11-23"), pd.Timestamp("2026-12-07")


def act(**fields):
    return pd.DataFrame([fields])


def by_loc(table):
    return {(r["sku"], r["location"]): r for r in table.to_dict("records")}


def supply_plan():
    # S1: on_hand 20, base 20 -> poh 0, -20, -40, -60: STOCKOUT, 60 lost (× margin 5 = 300)
    # S2: on_hand 80, ss 10, base 10 -> poh 70, 60, 50, 40: OK
    inv = [{"sku": "A", "location": "S1", "on_hand": 20, "unit_margin": 5.0},
           {"sku": "A", "location": "S2", "on_hand": 80, "safety_stock": 10, "unit_margin": 5.0}]
    fc = weekly("A", "S1", [20] * 4) + weekly("A", "S2", [10] * 4)
    return build_plan(inv, fc, horizon_weeks=4)


def test_transfer_arrives_at_the_receiver_and_leaves_the_donor_a_lead_time_earlier():
    table, notes = simulate(supply_plan(), act(action_id="TRF-1", type="TRANSFER", sku="A",
                                               location="S1", from_location="S2", qty=30,
                                               week=W1))
    rows = by_loc(table)
    # S1: +30 in week 1 -> poh 0, 10, -10, -30: 30 lost; S2: -30 in week 0 -> 40, 30, 20, 10
    s1, s2 = rows[("A", "S1")], rows[("A", "S2")]
    assert (s1["status_before"], s1["status_after"]) == ("STOCKOUT", "STOCKOUT")
    assert (s1["lost_before"], s1["lost_after"]) == (60, 30)
    assert (s1["margin_at_risk_before"], s1["margin_at_risk_after"]) == (300, 150)
    assert (s2["status_before"], s2["status_after"], s2["lost_after"]) == ("OK", "OK", 0)
    assert notes == []


def test_new_order_and_transfer_together():
    actions = pd.concat([
        act(action_id="ORD-1", type="NEW_ORDER", sku="A", location="S1", qty=60, week=W1),
        act(action_id="TRF-1", type="TRANSFER", sku="A", location="S1", from_location="S2",
            qty=30, week=W1)])
    table, _ = simulate(supply_plan(), actions)
    s1 = by_loc(table)[("A", "S1")]
    # S1: +90 from week 1 -> poh 0, 70, 50, 30: OK, nothing lost
    assert (s1["status_after"], s1["lost_after"], s1["first_risk_after"]) == ("OK", 0, None)
    assert str(s1["first_risk_before"]) == "2026-11-23"  # poh 0 in week 0 is not below 0


def test_expedite_moves_the_receipt_and_unknown_actions_are_noted():
    # on_hand 30, base 20; PO P1 60 due 2026-12-09 (week 3): poh 10, -10, -30, 10 -> 30 lost
    plan = build_plan([{"sku": "A", "location": "S1", "on_hand": 30, "unit_margin": 5.0}],
                      weekly("A", "S1", [20] * 4), horizon_weeks=4,
                      receipts=[{"sku": "A", "location": "S1", "due": "2026-12-09", "qty": 60,
                                 "po_id": "P1"}])
    actions = pd.concat([
        act(action_id="EXP-1", type="EXPEDITE", sku="A", location="S1", po_id="P1", qty=60,
            week=W1),
        act(action_id="EXP-2", type="EXPEDITE", sku="A", location="S1", po_id="P9", qty=5,
            week=W1),
        act(action_id="X-1", type="TELEPORT", sku="A", location="S1")])
    table, notes = simulate(plan, actions)
    s1 = by_loc(table)[("A", "S1")]
    # P1 in week 1: poh 10, 50, 30, 10: OK
    assert (s1["lost_before"], s1["lost_after"], s1["status_after"]) == (30, 0, "OK")
    assert notes == ["EXP-2: the receipt to expedite was not found; skipped",
                     "X-1: unknown action type 'TELEPORT'; skipped"]
    changed, _ = apply_actions(plan, actions.iloc[:1])
    assert list(changed.receipts["due"]) == [W1] and list(plan.receipts["due"]) == [
        pd.Timestamp("2026-12-09")]  # the inputs are not changed in place


def campaign_plan():
    # A/S1: on_hand 40, base 10, campaign C1 +100% in week 1 -> demand 10, 20, 10, 10
    #   poh 30, 10, 0, -10: STOCKOUT, 10 lost. B/S1 (same category): on_hand 100, base 10.
    inv = [{"sku": "A", "location": "S1", "on_hand": 40, "unit_margin": 5.0, "category": "Tea"},
           {"sku": "B", "location": "S1", "on_hand": 100, "unit_margin": 5.0, "category": "Tea"}]
    camp = [{"campaign_id": "C1", "sku": "A", "start": "2026-11-23", "end": "2026-11-29",
             "lift": 1.0}]
    return build_plan(inv, weekly("A", "S1", [10] * 4) + weekly("B", "S1", [10] * 4),
                      campaigns=camp, horizon_weeks=4)


def test_reduce_lift_move_window_and_shift_sku():
    base = dict(sku="A", location="S1", campaign_id="C1")
    lift, _ = simulate(campaign_plan(), act(action_id="LFT-1", type="REDUCE_LIFT",
                                            new_lift=0.0, **base))
    # no lift: poh 30, 20, 10, 0 -> OK
    assert by_loc(lift)[("A", "S1")]["status_after"] == "OK"
    assert by_loc(lift)[("A", "S1")]["lost_after"] == 0
    moved, _ = simulate(campaign_plan(), act(action_id="MOV-1", type="MOVE_WINDOW",
                                             new_start=pd.Timestamp("2026-12-14"), **base))
    # starts in week 4, past the horizon: poh 30, 20, 10, 0 -> OK
    assert by_loc(moved)[("A", "S1")]["lost_after"] == 0
    changed, _ = apply_actions(campaign_plan(), act(type="MOVE_WINDOW",
                                                    new_start="2026-12-07", **base))
    assert (changed.campaigns["start"].iat[0], changed.campaigns["end"].iat[0]) == (
        W3, pd.Timestamp("2026-12-13"))  # same duration
    shifted, _ = simulate(campaign_plan(), act(action_id="SKU-1", type="SHIFT_SKU",
                                               alt_sku="B", **base))
    rows = by_loc(shifted)
    # A back to baseline (OK); B carries the lift: poh 90, 70, 60, 50
    assert rows[("A", "S1")]["status_after"] == "OK"
    assert (rows[("B", "S1")]["status_after"], rows[("B", "S1")]["lost_after"]) == ("OK", 0)
    _, notes = simulate(campaign_plan(), act(action_id="LFT-2", type="REDUCE_LIFT",
                                             sku="A", campaign_id="C9", new_lift=0.1))
    assert notes == ["LFT-2: campaign C9 for sku A not found; skipped"]


def test_exclude_locations_drops_them_from_an_all_location_scope():
    # C1 +100 % in week 1 at every store (blank scope); base 10, horizon 3.
    # S1 (on_hand 35): 25, 5, -5 -> loses 5; S2 (100): 90, 70, 60.
    inv = [{"sku": "A", "location": "S1", "on_hand": 35, "unit_margin": 2.0},
           {"sku": "A", "location": "S2", "on_hand": 100, "unit_margin": 2.0}]
    camp = [{"campaign_id": "C1", "sku": "A", "start": "2026-11-23", "end": "2026-11-29",
             "lift": 1.0}]
    plan = build_plan(inv, weekly("A", "S1", [10] * 3) + weekly("A", "S2", [10] * 3),
                      campaigns=camp, horizon_weeks=3)
    action = act(action_id="EXC-1", type="EXCLUDE_LOCATIONS", sku="A", location="S1",
                 campaign_id="C1")
    changed, notes = apply_actions(plan, action)
    assert changed.campaigns["locations"].iat[0] == ("S2",) and notes == []
    table, _ = simulate(plan, action)
    # S1 without the lift: 25, 15, 5 -> nothing lost; S2 keeps the promotion (unchanged)
    assert list(table["location"]) == ["S1"]
    assert (table.iloc[0]["lost_before"], table.iloc[0]["lost_after"]) == (5, 0)


def test_transfer_leaves_the_donor_one_lane_transit_earlier():
    plan = supply_plan()
    plan.lanes = pd.DataFrame([{"from_location": "S2", "to_location": "S1", "transit_weeks": 2,
                                "cost_per_unit": 1.0, "row": 2}])
    changed, _ = apply_actions(plan, act(action_id="TRF-1", type="TRANSFER", sku="A",
                                         location="S1", from_location="S2", qty=30, week=W3))
    added = changed.receipts[changed.receipts["po_id"] == "TRF-1"]
    # arrives at S1 in week 3, leaves S2 two weeks before (the lane), not one
    assert added[["location", "due", "qty"]].values.tolist() == [
        ["S1", W3, 30.0], ["S2", pd.Timestamp("2026-11-23"), -30.0]]


def test_a_draft_campaigns_remedy_shows_the_value_it_was_proposed_with():
    # the campaign of campaign_plan as a Draft: the Bridge does not count it (A is fine), but
    # its REDUCE_LIFT was valued as if it ran (10 lost units avoided). The what-if counts the
    # draft before and after, so it shows those 10 units, with a note.
    plan = campaign_plan()
    plan.campaigns["status"] = "Draft"
    table, notes = simulate(plan, act(action_id="LFT-1", type="REDUCE_LIFT", sku="A",
                                      location="S1", campaign_id="C1", new_lift=0.0))
    row = by_loc(table)[("A", "S1")]
    assert (row["lost_before"], row["lost_after"]) == (10, 0)
    assert notes == [("campaign C1 is not counted by the bridge (Draft); it is counted before "
                      "and after here, as its remedies were valued")]
