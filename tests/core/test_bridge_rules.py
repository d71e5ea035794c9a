"""The bridge's rules (docs/semantics.md §1) one by one, each against numbers worked by hand
in the comments."""

import numpy as np
import pandas as pd
import pytest

from plans import build_plan, weekly
from pysnop.core.bridge import run_bridge

D = pd.Timestamp


def one(result, sku="A", location="S1"):
    hit = (result.keys["sku"] == sku) & (result.keys["location"] == location)
    return int(np.flatnonzero(hit.to_numpy())[0])


def test_plain_projection_and_statuses():
    # on_hand 100, baseline 20/wk, ss 10: poh 80, 60, 40, 20, 0, -20
    # week 4: 0 < 10 AT RISK; week 5: -20 < 0 STOCKOUT
    inputs = build_plan([{"sku": "A", "location": "S1", "on_hand": 100, "safety_stock": 10,
                          "lead_time_weeks": 2, "unit_margin": 5.0}],
                        weekly("A", "S1", [20] * 6), horizon_weeks=6)
    r = run_bridge(inputs)
    assert list(r.weeks) == list(pd.date_range("2026-11-16", periods=6, freq="7D"))
    np.testing.assert_allclose(r.poh[0], [80, 60, 40, 20, 0, -20])
    assert list(r.status[0]) == [0, 0, 0, 0, 1, 2]
    s = r.summary.iloc[0]
    assert s["status"] == "STOCKOUT"
    assert s["first_risk_week"] == D("2026-12-14")
    assert s["min_projected"] == -20
    assert s["shortfall_units"] == 30  # max(10 - poh) = 10 - (-20)
    assert s["lost_units"] == 20
    assert s["margin_at_risk"] == 100  # 20 × 5
    assert s["act_by"] == D("2026-11-30")  # 2026-12-14 minus 2 weeks
    assert not s["too_late"]


def test_partial_week_campaign_overlap():
    # campaign Thu 19 Nov .. Tue 24 Nov: 4 days of week 0 (19-22), 2 days of week 1 (23-24)
    # baseline 14: lift_units = 14 × 0.35 × 4/7 = 2.8 and 14 × 0.35 × 2/7 = 1.4
    inputs = build_plan([{"sku": "A", "location": "S1", "on_hand": 100}],
                        weekly("A", "S1", [14, 14, 14]),
                        campaigns=[{"campaign_id": "C1", "sku": "A", "start": "2026-11-19",
                                    "end": "2026-11-24", "lift": 0.35}], horizon_weeks=3)
    r = run_bridge(inputs)
    np.testing.assert_allclose(r.lift_units[0], [2.8, 1.4, 0.0])
    np.testing.assert_allclose(r.demand[0], [16.8, 15.4, 14.0])
    np.testing.assert_allclose(r.poh[0], [83.2, 67.8, 53.8])
    assert list(r.promo[0]) == [True, True, False]
    assert r.summary.iloc[0]["campaigns"] == "C1"


def test_overlapping_campaigns_add_their_lifts():
    # week 1 (23-29 Nov): C1 all 7 days at +50%, C2 Fri-Sun (3 days) at +25%
    # lift_units = 14 × (0.5 × 7/7 + 0.25 × 3/7) = 7 + 1.5 = 8.5
    inputs = build_plan([{"sku": "A", "location": "S1", "on_hand": 100}],
                        weekly("A", "S1", [14, 14]),
                        campaigns=[
                            {"campaign_id": "C1", "sku": "A", "start": "2026-11-23",
                             "end": "2026-11-29", "lift": 0.5},
                            {"campaign_id": "C2", "sku": "A", "start": "2026-11-27",
                             "end": "2026-11-29", "lift": 0.25}], horizon_weeks=2)
    r = run_bridge(inputs)
    np.testing.assert_allclose(r.lift_units[0], [0.0, 8.5])
    assert r.summary.iloc[0]["campaigns"] == "C1, C2"


def test_scope_all_listed_and_missing_location():
    inv = [{"sku": "A", "location": loc, "on_hand": 100} for loc in ("S1", "S2", "S3")]
    fc = weekly("A", "S1", [10]) + weekly("A", "S2", [10]) + weekly("A", "S3", [10])
    camps = [
        {"campaign_id": "ALLC", "sku": "A", "start": "2026-11-16", "end": "2026-11-22",
         "lift": 0.1},  # blank scope: every location stocking A -> +1 everywhere
        {"campaign_id": "S2C", "sku": "A", "start": "2026-11-16", "end": "2026-11-22",
         "lift": 0.5, "locations": ("S2", "S9")},  # S9 does not stock A: warned, ignored
    ]
    r = run_bridge(build_plan(inv, fc, camps, horizon_weeks=1))
    assert r.lift_units[one(r, "A", "S1"), 0] == pytest.approx(1.0)
    assert r.lift_units[one(r, "A", "S2"), 0] == pytest.approx(6.0)  # 10 × (0.1 + 0.5)
    assert r.lift_units[one(r, "A", "S3"), 0] == pytest.approx(1.0)
    msgs = [str(w) for w in r.warnings]
    assert "Campaigns row 3: campaign S2C: location S9 does not stock sku A; ignored there" in msgs


def test_only_counted_statuses_create_demand():
    inv = [{"sku": "A", "location": "S1", "on_hand": 100}]
    fc = weekly("A", "S1", [10])
    window = {"sku": "A", "start": "2026-11-16", "end": "2026-11-22"}
    camps = [{**window, "campaign_id": "D", "lift": 1.0, "status": "Draft"},
             {**window, "campaign_id": "X", "lift": 2.0, "status": "Cancelled"},
             {**window, "campaign_id": "P", "lift": 0.2, "status": "Planned"},
             {**window, "campaign_id": "C", "lift": 0.3, "status": "confirmed"}]
    r = run_bridge(build_plan(inv, fc, camps, horizon_weeks=1))
    assert r.lift_units[0, 0] == pytest.approx(5.0)  # 10 × (0.2 + 0.3)
    r = run_bridge(build_plan(inv, fc, camps, horizon_weeks=1, count_statuses=("Confirmed",)))
    assert r.lift_units[0, 0] == pytest.approx(3.0)


def test_receipts_past_due_in_week_zero_and_after_horizon_left_out():
    inv = [{"sku": "A", "location": "S1", "on_hand": 0}]
    rc = [{"sku": "A", "location": "S1", "due": "2026-11-02", "qty": 5},  # past due -> week 0
          {"sku": "A", "location": "S1", "due": "2026-11-22", "qty": 7},  # Sunday of week 0
          {"sku": "A", "location": "S1", "due": "2026-11-23", "qty": 11},  # Monday of week 1
          {"sku": "A", "location": "S1", "due": "2026-11-30", "qty": 13},  # week 2: beyond H=2
          {"sku": "A", "location": "S1", "due": "2026-11-24", "qty": 99, "status": "Received"},
          {"sku": "A", "location": "S1", "due": "2026-11-24", "qty": 99, "status": "cancelled"}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [0, 0]), receipts=rc, horizon_weeks=2))
    np.testing.assert_allclose(r.receipts[0], [12, 11])
    np.testing.assert_allclose(r.poh[0], [12, 23])


def test_threshold_uses_risk_buffer_on_promo_units():
    # lift_units week 0 = 20 × 0.5 = 10; threshold = 5 + 0.4 × 10 = 9
    # poh = 38 - 30 = 8 < 9 -> AT RISK although above safety stock
    inv = [{"sku": "A", "location": "S1", "on_hand": 38, "safety_stock": 5}]
    camps = [{"campaign_id": "C", "sku": "A", "start": "2026-11-16", "end": "2026-11-22",
              "lift": 0.5}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [20]), camps, horizon_weeks=1,
                              risk_buffer=0.4))
    assert r.threshold[0, 0] == pytest.approx(9.0)
    assert r.poh[0, 0] == pytest.approx(8.0)
    assert r.summary.iloc[0]["status"] == "AT RISK"
    assert r.summary.iloc[0]["shortfall_units"] == pytest.approx(1.0)
    assert r.summary.iloc[0]["lost_units"] == 0


def test_lost_sales_run_recovers_after_a_receipt():
    # on_hand 10; demand 15, 5, 30; receipt 20 in week 1. poh -5, 10, -20.
    # lost-sales: wk0 sell 10 lose 5, stock 0; wk1 0+20-5 = 15; wk2 sell 15 lose 15 -> 20 lost
    inv = [{"sku": "A", "location": "S1", "on_hand": 10, "unit_price": 9.0, "unit_cost": 6.0}]
    rc = [{"sku": "A", "location": "S1", "due": "2026-11-23", "qty": 20}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [15, 5, 30]), receipts=rc, horizon_weeks=3))
    np.testing.assert_allclose(r.poh[0], [-5, 10, -20])
    s = r.summary.iloc[0]
    assert s["lost_units"] == 20
    assert s["margin_at_risk"] == pytest.approx(60.0)  # margin defaults to 9 - 6


def test_act_by_in_the_past_is_too_late():
    # at risk in week 0 (16 Nov) with a 2-week lead time: act_by 2 Nov, before week 0
    inv = [{"sku": "A", "location": "S1", "on_hand": 5, "safety_stock": 10,
            "lead_time_weeks": 2}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [1])))
    s = r.summary.iloc[0]
    assert s["first_risk_week"] == D("2026-11-16")
    assert s["act_by"] == D("2026-11-02")
    assert s["too_late"]


def test_fractional_lead_time_snaps_to_monday():
    # first risk 30 Nov; 1.5 weeks earlier is Thu 19 Nov, whose Monday is 16 Nov
    inv = [{"sku": "A", "location": "S1", "on_hand": 25, "lead_time_weeks": 1.5}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [10, 10, 10])))
    assert r.summary.iloc[0]["first_risk_week"] == D("2026-11-30")
    assert r.summary.iloc[0]["act_by"] == D("2026-11-16")
    assert not r.summary.iloc[0]["too_late"]


def test_week_fractions_that_cancel_leave_an_exact_zero():
    # 7 × 0.5 × 3/7 = 1.5 units of lift; on_hand 8.5 leaves exactly 0: OK with no safety stock
    inv = [{"sku": "A", "location": "S1", "on_hand": 8.5}]
    camps = [{"campaign_id": "C", "sku": "A", "start": "2026-11-20", "end": "2026-11-22",
              "lift": 0.5}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [7]), camps, horizon_weeks=1))
    assert r.poh[0, 0] == 0
    assert r.summary.iloc[0]["status"] == "OK"


def test_rows_come_worst_first_and_arrays_follow():
    inv = [{"sku": "OKAY", "location": "S1", "on_hand": 100},
           {"sku": "OUT", "location": "S1", "on_hand": 1},
           {"sku": "RISK", "location": "S1", "on_hand": 5, "safety_stock": 10}]
    fc = weekly("OKAY", "S1", [1]) + weekly("OUT", "S1", [5]) + weekly("RISK", "S1", [1])
    r = run_bridge(build_plan(inv, fc, horizon_weeks=1))
    assert list(r.summary["sku"]) == ["OUT", "RISK", "OKAY"]
    assert list(r.keys["sku"]) == ["OUT", "RISK", "OKAY"]
    np.testing.assert_allclose(r.poh[:, 0], [-4, 4, 99])
    assert list(r.summary["row"]) == [3, 4, 2]


def test_warnings_for_missing_and_unknown_forecasts():
    inv = [{"sku": "A", "location": "S1", "on_hand": 1}, {"sku": "B", "location": "S1",
                                                          "on_hand": 1}]
    fc = weekly("A", "S1", [1]) + weekly("Z", "S1", [1])
    r = run_bridge(build_plan(inv, fc, horizon_weeks=1))
    msgs = [str(w) for w in r.warnings]
    assert "Inventory row 3: no forecast for sku B at location S1 in the horizon: baseline taken " \
           "as 0" in msgs
    assert "Forecast row 3: forecast for sku Z at location S1, which is not in Inventory: " \
           "not projected" in msgs
    assert np.all(r.baseline[one(r, "B", "S1")] == 0)


def test_campaign_outside_horizon_and_unstocked_sku_are_warnings():
    inv = [{"sku": "A", "location": "S1", "on_hand": 1}]
    camps = [{"campaign_id": "LATE", "sku": "A", "start": "2027-03-01", "end": "2027-03-07",
              "lift": 0.2},
             {"campaign_id": "GHOST", "sku": "Q", "start": "2026-11-16", "end": "2026-11-17",
              "lift": 0.2}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [1]), camps, horizon_weeks=2))
    msgs = [str(w) for w in r.warnings]
    assert "Campaigns row 2: campaign LATE runs outside the horizon (2026-11-16 to 2026-11-29): " \
           "not projected" in msgs
    assert "Campaigns row 3: campaign GHOST: no location in Inventory stocks sku Q" in msgs


def test_products_fill_blank_margins():
    inv = [{"sku": "A", "location": "S1", "on_hand": 0}]
    products = [{"sku": "A", "unit_cost": 4.0, "unit_price": 10.0}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [3]), products=products, horizon_weeks=1))
    assert r.summary.iloc[0]["margin_at_risk"] == pytest.approx(18.0)  # 3 lost × (10 - 4)


def test_several_sources_average_until_consensus():
    inv = [{"sku": "A", "location": "S1", "on_hand": 100}]
    fc = [{**row, "source": src} for src, u in (("Planning", 10), ("Marketing", 20))
          for row in weekly("A", "S1", [u])]
    r = run_bridge(build_plan(inv, fc, horizon_weeks=1))
    assert r.baseline[0, 0] == pytest.approx(15.0)


def test_long_export_has_one_row_per_sku_location_week():
    inv = [{"sku": "A", "location": "S1", "on_hand": 10}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [4, 4]), horizon_weeks=2))
    long = r.to_long()
    assert list(long.columns) == ["sku", "location", "week", "baseline", "lift_units", "demand",
                                  "receipts", "projected_on_hand", "threshold", "status"]
    assert list(long["week"]) == ["2026-11-16", "2026-11-23"]
    assert list(long["projected_on_hand"]) == [6, 2]


def test_no_lost_units_is_a_plain_zero_not_minus_zero():
    inv = [{"sku": "A", "location": "S1", "on_hand": 10, "safety_stock": 20}]
    r = run_bridge(build_plan(inv, weekly("A", "S1", [1]), horizon_weeks=1))
    assert r.summary.iloc[0]["status"] == "AT RISK"
    assert str(r.summary.iloc[0]["lost_units"]) == "0.0"
    assert str(r.summary.iloc[0]["margin_at_risk"]) in ("0.0", "nan")


def test_default_risk_buffer_is_a_quarter_of_the_promo_units():
    # Settings' risk_buffer defaults to 0.25 (core.model.Settings). lift_units week 0 = 20 × 0.5 = 10;
    # threshold = 5 + 0.25 × 10 = 7.5; poh = 37 - 30 = 7 < 7.5 -> AT RISK
    import dataclasses

    from pysnop.core.model import Settings
    inv = [{"sku": "A", "location": "S1", "on_hand": 37, "safety_stock": 5}]
    camps = [{"campaign_id": "C", "sku": "A", "start": "2026-11-16", "end": "2026-11-22",
              "lift": 0.5}]
    inputs = build_plan(inv, weekly("A", "S1", [20]), camps, horizon_weeks=1)
    inputs.settings = Settings(as_of=inputs.settings.as_of, horizon_weeks=1)
    assert dataclasses.asdict(inputs.settings)["risk_buffer"] == 0.25
    r = run_bridge(inputs)
    assert r.threshold[0, 0] == pytest.approx(7.5)
    assert r.summary.iloc[0]["status"] == "AT RISK"
