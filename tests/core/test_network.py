"""The network (docs/semantics.md §4), case by case, each worked by hand from its text.

Conventions of every case (tests/core/plans.py): as-of Wed 2026-11-18, so week 0 is Mon
2026-11-16; no risk buffer, so a threshold is the safety stock. Notation of §3b: B_s(a) is
the balance of s entering week a, need_s(a) = max(0, threshold_s[a] − (B_s(a) + receipts_s[a]
− demand_s[a])) rounded up to packs, Q what a DC is asked for, A = max(0, B_d(t) +
receipts_d[t]) what it has, f = A / Q when Q > A.
"""

import numpy as np
import pandas as pd
import pytest
from plans import build_plan, weekly

from pysnop.core.bridge import run_bridge

D = pd.Timestamp


def row(result, location, sku="A"):
    hit = (result.keys["sku"] == sku) & (result.keys["location"] == location)
    return int(np.flatnonzero(hit.to_numpy())[0])


def summary(result, location, sku="A"):
    return result.summary.iloc[row(result, location, sku)]


def dc_and_stores(*stores, dc="DC1", transit=1):
    return [{"location": dc, "role": "dc"}] + [
        {"location": s, "supplied_by": dc, "transit_weeks": transit} for s in stores]


# --- fair share, packs and the leftover packs -------------------------------------------

def test_fair_share_floors_to_packs_then_largest_remainder_gets_the_leftover_pack():
    # transit 0, packs of 4 (Products), stores start empty, safety 0, one week.
    # need(0) = demand rounded up to packs: S1 10 -> 12, S2 7 -> 8, S3 3 -> 4; Q = 24.
    # DC on hand 15 = A < Q: f = 15/24 = 0.625.
    #   S1 0.625 × 12 = 7.5 -> 1 pack = 4, remainder 3.5
    #   S2 0.625 × 8  = 5   -> 1 pack = 4, remainder 1
    #   S3 0.625 × 4  = 2.5 -> 0 packs,    remainder 2.5
    # left = 15 − 8 = 7: by remainder S1 (3.5) gets a pack (4 ≤ 7); S3 next would make 8 > 7:
    # stop. Ships S1 8, S2 4, S3 0; 3 units stay at the DC.
    # poh[0] = 0 + ship − demand: S1 −2, S2 −3, S3 −3.
    inv = [{"sku": "A", "location": "DC1", "on_hand": 15},
           *({"sku": "A", "location": s, "on_hand": 0} for s in ("S1", "S2", "S3"))]
    fc = weekly("A", "S1", [10]) + weekly("A", "S2", [7]) + weekly("A", "S3", [3])
    r = run_bridge(build_plan(inv, fc, products=[{"sku": "A", "pack_size": 4}],
                              locations=dc_and_stores("S1", "S2", "S3", transit=0),
                              horizon_weeks=1))
    net = r.network
    assert [net.requests[row(r, s), 0] for s in ("S1", "S2", "S3")] == [12, 8, 4]
    assert [net.shipments[row(r, s), 0] for s in ("S1", "S2", "S3")] == [8, 4, 0]
    assert [r.poh[row(r, s), 0] for s in ("S1", "S2", "S3")] == [-2, -3, -3]
    assert net.dc_fraction[row(r, "DC1"), 0] == pytest.approx(0.625)
    assert net.dc_shipped[row(r, "DC1"), 0] == 12
    # the DC row is its unconstrained plan: 15 − 24 = −9
    assert r.poh[row(r, "DC1"), 0] == -9


def test_equal_remainders_go_by_location_code():
    # transit 0, packs of 4; S2 listed before S1. Demand S1 10, S2 10, S3 4:
    # need 12, 12, 4; Q = 28; DC on hand 14: f = 0.5.
    #   S1 6 -> 4 (remainder 2), S2 6 -> 4 (remainder 2), S3 2 -> 0 (remainder 2)
    # left = 14 − 8 = 6: one pack fits (4), the next would make 8 > 6. All three remainders
    # tie at 2: by location code S1 gets it. Ships S1 8, S2 4, S3 0.
    inv = [{"sku": "A", "location": "DC1", "on_hand": 14},
           *({"sku": "A", "location": s, "on_hand": 0} for s in ("S2", "S1", "S3"))]
    fc = weekly("A", "S1", [10]) + weekly("A", "S2", [10]) + weekly("A", "S3", [4])
    r = run_bridge(build_plan(inv, fc, products=[{"sku": "A", "pack_size": 4}],
                              locations=dc_and_stores("S2", "S1", "S3", transit=0),
                              horizon_weeks=1))
    assert [r.network.shipments[row(r, s), 0] for s in ("S1", "S2", "S3")] == [8, 4, 0]


def test_leftover_packs_stop_at_the_first_that_does_not_fit():
    # Inventory packs differ: S1 pack 10, S2 pack 2. Transit 0, stores empty.
    # need: S1 demand 15 -> 20, S2 demand 5 -> 6; Q = 26; DC on hand 13: f = 0.5.
    #   S1 10 -> 1 pack = 10, remainder 0;  S2 3 -> 1 pack = 2, remainder 1
    # left = 13 − 12 = 1: S2's pack (2) does not fit. Ships S1 10, S2 2.
    # Now DC on hand 19.5: f = 0.75. S1 15 -> 10 (remainder 5); S2 4.5 -> 4 (remainder 0.5)
    # left = 19.5 − 14 = 5.5: S1 first (5): its pack 10 does not fit, and the round stops
    # there ("while that pack still fits"), so S2 gets no extra pack either: 10 and 4.
    def case(dc_on_hand):
        inv = [{"sku": "A", "location": "DC1", "on_hand": dc_on_hand},
               {"sku": "A", "location": "S1", "on_hand": 0, "pack_size": 10},
               {"sku": "A", "location": "S2", "on_hand": 0, "pack_size": 2}]
        fc = weekly("A", "S1", [15]) + weekly("A", "S2", [5])
        r = run_bridge(build_plan(inv, fc, locations=dc_and_stores("S1", "S2", transit=0),
                                  horizon_weeks=1))
        return [r.network.shipments[row(r, s), 0] for s in ("S1", "S2")]
    assert case(13) == [10, 2]
    assert case(19.5) == [10, 4]


def test_online_location_gets_its_exact_share_and_no_packs():
    # transit 0; Products pack 6 applies to the store only. O1 (online) demand 7: need 7
    # exactly; S1 demand 10: need 10 -> 12. Q = 19; DC on hand 9.5: f = 0.5.
    # O1 gets 3.5 exactly; S1 6 -> 1 pack = 6, remainder 0; left 0.
    # poh[0]: O1 3.5 − 7 = −3.5; S1 6 − 10 = −4.
    inv = [{"sku": "A", "location": "DC1", "on_hand": 9.5},
           {"sku": "A", "location": "O1", "on_hand": 0},
           {"sku": "A", "location": "S1", "on_hand": 0}]
    locs = dc_and_stores("O1", "S1", transit=0)
    locs[1]["role"] = "online"
    r = run_bridge(build_plan(inv, weekly("A", "O1", [7]) + weekly("A", "S1", [10]),
                              products=[{"sku": "A", "pack_size": 6}], locations=locs,
                              horizon_weeks=1))
    assert r.network.requests[row(r, "O1"), 0] == 7
    assert r.network.shipments[row(r, "O1"), 0] == 3.5
    assert r.network.shipments[row(r, "S1"), 0] == 6
    assert r.poh[row(r, "O1"), 0] == -3.5 and r.poh[row(r, "S1"), 0] == -4
    assert summary(r, "O1")["role"] == "online"


# --- transit -------------------------------------------------------------------------------

def test_transit_two_weeks_requests_arrive_two_weeks_later():
    # S1: on hand 30, demand 10/wk, safety 5, transit 2, pack 6; DC on hand 100; 5 weeks.
    # t=0 plans arrival week 2: B(2) = 30 − 10 − 10 = 10; need = 5 − (10 − 10) = 5 -> 6
    # t=1 -> week 3: B(3) = 10 + 6 − 10 = 6; need = 5 − (6 − 10) = 9 -> 12
    # t=2 -> week 4: B(4) = 6 + 12 − 10 = 8; need = 5 − (8 − 10) = 7 -> 12
    # t=3, t=4: arrival past the horizon, nothing planned; weeks 0-1 get nothing either.
    # poh = B(1..5) = 20, 10, 6, 8, 10. The DC ships 6, 12, 12 in weeks 0-2:
    # its row (every request met anyway) = 94, 82, 70, 70, 70.
    inv = [{"sku": "A", "location": "DC1", "on_hand": 100},
           {"sku": "A", "location": "S1", "on_hand": 30, "safety_stock": 5, "pack_size": 6}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [10] * 5),
                              locations=dc_and_stores("S1", transit=2), horizon_weeks=5))
    np.testing.assert_array_equal(r.network.requests[row(r, "S1")], [0, 0, 6, 12, 12])
    np.testing.assert_array_equal(r.network.shipments[row(r, "S1")], [0, 0, 6, 12, 12])
    np.testing.assert_array_equal(r.poh[row(r, "S1")], [20, 10, 6, 8, 10])
    np.testing.assert_array_equal(r.poh[row(r, "DC1")], [94, 82, 70, 70, 70])
    np.testing.assert_array_equal(r.network.dc_shipped[row(r, "DC1")], [6, 12, 12, 0, 0])
    assert summary(r, "S1")["status"] == "OK" and summary(r, "DC1")["status"] == "OK"


def test_transit_zero_ships_and_arrives_the_same_week():
    # S1: on hand 0, demand 5/wk, safety 2, transit 0, no pack; DC on hand 20.
    # t=0: B(0) = 0; need = 2 − (0 − 5) = 7, arrives week 0: poh[0] = 7 − 5 = 2
    # t=1: B(1) = 2; need = 2 − (2 − 5) = 5: poh[1] = 2. DC: 20 − 7 − 5 = 8.
    inv = [{"sku": "A", "location": "DC1", "on_hand": 20},
           {"sku": "A", "location": "S1", "on_hand": 0, "safety_stock": 2}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [5, 5]),
                              locations=dc_and_stores("S1", transit=0), horizon_weeks=2))
    np.testing.assert_array_equal(r.network.shipments[row(r, "S1")], [7, 5])
    np.testing.assert_array_equal(r.poh[row(r, "S1")], [2, 2])
    np.testing.assert_array_equal(r.poh[row(r, "DC1")], [13, 8])


# --- DC direct demand, lost sales, act_by, the DC row ---------------------------------------

def dc_direct_case():
    # DC1: on hand 9, direct demand 8/wk (online orders it ships itself), lead 2 weeks.
    # S1: on hand 10, demand 10/wk, safety 0, transit 1, no pack, lead 1. 3 weeks.
    inv = [{"sku": "A", "location": "DC1", "on_hand": 9, "lead_time_weeks": 2,
            "unit_margin": 1.0},
           {"sku": "A", "location": "S1", "on_hand": 10, "lead_time_weeks": 1,
            "unit_margin": 3.0}]
    fc = weekly("A", "DC1", [8] * 3) + weekly("A", "S1", [10] * 3)
    return run_bridge(build_plan(inv, fc, locations=dc_and_stores("S1"), horizon_weeks=3))


def test_dc_direct_demand_shares_the_dc_with_its_stores():
    # Backorder run. t=0 (arrival 1): B_S1(1) = 10 − 10 = 0; need = 0 − (0 − 10) = 10.
    #   Q = 10 + 8 = 18 > A = 9: f = 0.5; S1 gets 5, direct demand 4.
    #   B_DC(1) = 9 − 5 − 8 = −4 (4 backordered).
    # t=1 (arrival 2): B_S1(2) = 0 + 5 − 10 = −5; need = 0 − (−5 − 10) = 15; Q = 23;
    #   A = max(0, −4) = 0: f = 0. B_DC(2) = −12.  t=2: arrival 3 is past the horizon.
    # S1 poh = B(1..3) = 0, −5, −15.
    r = dc_direct_case()
    s1, dc = row(r, "S1"), row(r, "DC1")
    np.testing.assert_array_equal(r.network.requests[s1], [0, 10, 15])
    np.testing.assert_array_equal(r.network.shipments[s1], [0, 5, 0])
    np.testing.assert_array_equal(r.network.dc_fraction[dc], [0.5, 0, 0])
    np.testing.assert_array_equal(r.poh[s1], [0, -5, -15])
    # the arrays follow the Bridge's row order (worst first), the DC link too
    assert r.network.topology.dc[s1] == dc and r.network.topology.dc[dc] == -1
    assert r.network.topology.transit[s1] == 1


def test_dc_row_is_the_unconstrained_plan():
    # Every request met: t=0 need⁰ 10 (as above); S1 then has B(2) = 0 + 10 − 10 = 0, so
    # t=1 need⁰ = 0 − (0 − 10) = 10; t=2 nothing. DC row = 9 − 10 − 8 = −9; −9 − 10 − 8 = −27;
    # −27 − 8 = −35: units its store and its own customers need that it cannot ship.
    r = dc_direct_case()
    np.testing.assert_array_equal(r.poh[row(r, "DC1")], [-9, -27, -35])
    np.testing.assert_array_equal(r.network.requests_unconstrained[row(r, "S1")], [0, 10, 10])
    s = summary(r, "DC1")
    assert (s["status"], s["min_projected"], s["role"]) == ("STOCKOUT", -35, "dc")


def test_lost_sales_run_replans_from_floored_balances():
    # Balances floored at 0 each week. S1 week 0: 10 − 10 = 0. t=0: need 10, Q = 18, A = 9,
    # f = 0.5: S1 gets 5, the DC's customers 4 (4 lost); the DC keeps 9 − 5 − 4 = 0.
    # S1 week 1: 0 + 5 − 10 -> 5 lost. t=1: B_S1(2) = 0, need = 10, Q = 18, A = 0: 8 lost
    # at the DC. S1 week 2: 10 lost; t=2: no store request, DC Q = 8, A = 0: 8 lost.
    # S1 lost 0 + 5 + 10 = 15 (× margin 3 = 45); DC lost 4 + 8 + 8 = 20 (× 1 = 20).
    r = dc_direct_case()
    s1, dc = row(r, "S1"), row(r, "DC1")
    np.testing.assert_array_equal(r.lost_weekly[s1], [0, 5, 10])
    np.testing.assert_array_equal(r.lost_weekly[dc], [4, 8, 8])
    assert summary(r, "S1")["lost_units"] == 15 and summary(r, "S1")["margin_at_risk"] == 45
    assert summary(r, "DC1")["lost_units"] == 20


def test_fed_store_act_by_uses_transit_and_the_dcs_lead_time_and_names_the_cause():
    # S1 first risk: week 1 (2026-11-23, poh −5). Had DC1 met every request S1 would hold
    # B(2) = 0 there (OK): the risk comes from the DC's fair share.
    # act_by = 2026-11-23 − (transit 1 + DC lead 2) weeks = 2026-11-02: too late.
    # DC1's row names S1; its own act_by = first risk 2026-11-16 − 2 weeks = 2026-11-02.
    r = dc_direct_case()
    s = summary(r, "S1")
    assert s["first_risk_week"] == D("2026-11-23")
    assert s["act_by"] == D("2026-11-02") and s["too_late"]
    assert (s["supplied_by"], s["risk_cause"]) == ("DC1", "DC fair share")
    d = summary(r, "DC1")
    assert (d["risk_cause"], d["short_for"]) == ("short for S1", "S1")
    assert d["act_by"] == D("2026-11-02")


def test_own_shortfall_before_the_first_arrival():
    # S1 on hand 4, demand 5/wk, transit 2, DC with plenty: week 0 poh −1 before anything
    # planned can arrive (week 2): its own shortfall, not the DC's.
    inv = [{"sku": "A", "location": "DC1", "on_hand": 100, "lead_time_weeks": 1},
           {"sku": "A", "location": "S1", "on_hand": 4}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [5] * 3),
                              locations=dc_and_stores("S1", transit=2), horizon_weeks=3))
    assert summary(r, "S1")["risk_cause"] == "own shortfall"
    assert summary(r, "DC1")["risk_cause"] == "" and summary(r, "DC1")["short_for"] == ""


# --- per sku-location overrides -------------------------------------------------------------

def test_direct_override_at_a_fed_store_is_projected_on_its_own():
    # Locations: S1 and S2 fed by DC1 (transit 1). Inventory says S2 is direct for sku A:
    # S2 = 10 − 4, − 4, − 4 = 6, 2, −2 (no shipments); the DC plans for S1 only:
    # t=0: B_S1(1) = 8 − 4 = 4, need = 3 − (4 − 4) = 3; t=1: B(2) = 4 + 3 − 4 = 3, need 4.
    # DC row: 50 − 3 = 47, 47 − 4 = 43, 43.
    inv = [{"sku": "A", "location": "DC1", "on_hand": 50},
           {"sku": "A", "location": "S1", "on_hand": 8, "safety_stock": 3},
           {"sku": "A", "location": "S2", "on_hand": 10, "supplied_by": "direct",
            "lead_time_weeks": 1}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [4] * 3) + weekly("A", "S2", [4] * 3),
                              locations=dc_and_stores("S1", "S2"), horizon_weeks=3))
    np.testing.assert_array_equal(r.poh[row(r, "S2")], [6, 2, -2])
    np.testing.assert_array_equal(r.network.shipments[row(r, "S2")], [0, 0, 0])
    np.testing.assert_array_equal(r.poh[row(r, "DC1")], [47, 43, 43])
    s2 = summary(r, "S2")
    assert (s2["supplied_by"], s2["risk_cause"]) == ("direct", "own shortfall")
    assert s2["act_by"] == D("2026-11-23")  # its own lead: first risk 2026-11-30 − 1 week


def test_inventory_transit_wins_and_blank_inherits():
    # Locations transit 1 for both; Inventory gives S2 transit 0 (S1's cell blank).
    # Empty stores, demand 5, safety 0, plenty at the DC: S2 is replenished in week 0
    # (poh 0), S1 only from week 1 (poh −5, then 0).
    inv = [{"sku": "A", "location": "DC1", "on_hand": 100},
           {"sku": "A", "location": "S1", "on_hand": 0},
           {"sku": "A", "location": "S2", "on_hand": 0, "transit_weeks": 0}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [5, 5]) + weekly("A", "S2", [5, 5]),
                              locations=dc_and_stores("S1", "S2"), horizon_weeks=2))
    np.testing.assert_array_equal(r.poh[row(r, "S2")], [0, 0])
    np.testing.assert_array_equal(r.poh[row(r, "S1")], [-5, 0])


# --- a DC without an Inventory row ----------------------------------------------------------

def test_dc_without_inventory_row_is_projected_from_zero_with_its_receipts():
    # DC1 has no Inventory row for A: warning; on hand 0, safety 0, lead 0; its receipt of 20
    # in week 0 counts. S1 (transit 0, empty, demand 6): need 6 <= A = 20: ships 6.
    # DC row: 20 − 6 = 14, 14 − 6 = 8.
    inv = [{"sku": "A", "location": "S1", "on_hand": 0}]
    rc = [{"sku": "A", "location": "DC1", "due": "2026-11-16", "qty": 20}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [6, 6]), receipts=rc,
                              locations=dc_and_stores("S1", transit=0), horizon_weeks=2))
    dc = row(r, "DC1")
    assert r.keys.loc[dc, "row"] == -1 and r.keys.loc[dc, "role"] == "dc"
    np.testing.assert_array_equal(r.poh[dc], [14, 8])
    np.testing.assert_array_equal(r.poh[row(r, "S1")], [0, 0])
    msgs = [str(w) for w in r.warnings]
    assert ("Inventory: no Inventory row for sku A at DC DC1, which supplies S1: projected "
            "from on-hand 0, safety stock 0 and lead time 0") in msgs
    assert not any("no forecast for sku A at location DC1" in m for m in msgs)


# --- scope follows the network --------------------------------------------------------------

def test_scope_all_means_selling_locations_and_a_listed_dc_lifts_its_own_demand():
    # ALL (+50%) lifts S1 (baseline 10 -> 5 units) and O1 (online, 4 -> 2), not DC1 (its own
    # demand 6 stays). A campaign listing DC1 (+100%) lifts its direct demand: 6 units.
    inv = [{"sku": "A", "location": loc, "on_hand": 100} for loc in ("DC1", "S1", "O1")]
    fc = weekly("A", "DC1", [6]) + weekly("A", "S1", [10]) + weekly("A", "O1", [4])
    week0 = {"sku": "A", "start": "2026-11-16", "end": "2026-11-22"}
    locs = [{"location": "DC1", "role": "dc"}, {"location": "S1"},
            {"location": "O1", "role": "online"}]
    r = run_bridge(build_plan(inv, fc, [{**week0, "campaign_id": "ALL", "lift": 0.5}],
                              locations=locs, horizon_weeks=1))
    assert [r.lift_units[row(r, x), 0] for x in ("DC1", "S1", "O1")] == [0, 5, 2]
    r = run_bridge(build_plan(inv, fc, [{**week0, "campaign_id": "D", "lift": 1.0,
                                         "locations": ("DC1",)}],
                              locations=locs, horizon_weeks=1))
    assert [r.lift_units[row(r, x), 0] for x in ("DC1", "S1", "O1")] == [6, 0, 0]


def test_a_new_order_into_the_dc_reaches_the_store_in_the_what_if():
    # dc_direct_case with a NEW_ORDER of 30 into DC1 in week 0 (the what-if keeps the network):
    # t=0: A = 9 + 30 = 39 ≥ Q = 10 + 8: met; DC keeps 21. t=1: B_S1(2) = 0 + 10 − 10 = 0,
    # need 10, Q = 18 ≤ 21: met. S1 = B(1..3) = 0, 0, 0: OK, nothing lost (was 15).
    from pysnop.core.simulate import simulate
    inv = [{"sku": "A", "location": "DC1", "on_hand": 9, "lead_time_weeks": 2,
            "unit_margin": 1.0},
           {"sku": "A", "location": "S1", "on_hand": 10, "lead_time_weeks": 1,
            "unit_margin": 3.0}]
    fc = weekly("A", "DC1", [8] * 3) + weekly("A", "S1", [10] * 3)
    plan = build_plan(inv, fc, locations=dc_and_stores("S1"), horizon_weeks=3)
    order = pd.DataFrame([{"action_id": "N1", "type": "NEW_ORDER", "sku": "A",
                           "location": "DC1", "week": "2026-11-16", "qty": 30}])
    out, notes = simulate(plan, order)
    assert notes == []
    s1 = out.set_index("location").loc["S1"]
    assert (s1["status_before"], s1["status_after"]) == ("STOCKOUT", "OK")
    assert (s1["lost_before"], s1["lost_after"]) == (15, 0)
