"""The quarterly boundary figures on a hand-worked case (docs/semantics.md,
quarterly scorecard). As-of Wed 2026-11-18: the Actuals weeks before it count."""

import numpy as np
import pandas as pd
import pytest
from plans import build_plan, weekly

from pysnop.core.boundary_scorecard import (
    boundary_quarterly,
    lead_time_won,
    past_promo_losses,
)
from pysnop.core.model import ACTUAL_COLUMNS

D = pd.Timestamp


def case():
    # A@S1: cost 6, price 10 (margin 4), baseline forecast 100 every week from 2026-09-21.
    # P1 week of 2026-09-21 (Q3): +50 %, promo_price 8 → margin 2, spend 300; sells 120
    #   in a stockout week → forecast demand 150 → 30 lost, all lift (50 lift units):
    #   lost promo margin 30 × 2 = 60; wasted 300 × 30/50 = 180.
    # P2 week of 2026-11-02 (Q4): +100 %, discount 10 % → 9, funding 1 → margin 4,
    #   spend 1000; sells 150, stockout → demand 200 → 50 lost of 100 lift units:
    #   lost promo margin 50 × 4 = 200; wasted 1000 × 50/100 = 500.
    # 2026-10-12: a stockout without a campaign (60 sold, 40 lost): not promo margin.
    # Other weeks sell 100 without stockout: nothing lost.
    inv = [{"sku": "A", "location": "S1", "on_hand": 0, "unit_cost": 6.0, "unit_price": 10.0}]
    camps = [{"campaign_id": "P1", "sku": "A", "lift": 0.5, "start": "2026-09-21",
              "end": "2026-09-27"},
             {"campaign_id": "P2", "sku": "A", "lift": 1.0, "start": "2026-11-02",
              "end": "2026-11-08"}]
    inputs = build_plan(inv, weekly("A", "S1", [100] * 8, first="2026-09-21"), camps,
                        horizon_weeks=2)
    for col, values in {"promo_price": [8.0, np.nan], "discount": [np.nan, 0.1],
                        "funding": [np.nan, 1.0], "spend": [300.0, 1000.0]}.items():
        inputs.campaigns[col] = values
    sold = {"2026-09-21": (120, True), "2026-09-28": (100, False), "2026-10-05": (100, False),
            "2026-10-12": (60, True), "2026-10-19": (100, False), "2026-10-26": (100, False),
            "2026-11-02": (150, True), "2026-11-09": (100, False)}
    inputs.actuals = pd.DataFrame([{"sku": "A", "location": "S1", "week": D(w), "units": u,
                                    "stockout": s} for w, (u, s) in sold.items()]) \
        .reindex(columns=ACTUAL_COLUMNS)
    return inputs


ACTIONS = pd.DataFrame({
    "type": ["EXPEDITE", "TRANSFER", "TRANSFER", "NEW_ORDER"],
    "status": ["Approved", "Exported", "Proposed", "Approved"],
    "week": pd.to_datetime(["2026-11-09", "2026-09-28", "2026-09-28", "2026-11-09"]),
    "cost": [25.0, 10.0, 99.0, 50.0]})

# runs on Wed 2026-10-07 (week of 10-05) and Wed 2026-10-14 (week of 10-12):
# A first risk 2026-11-02 first flagged 10-05 → 4 weeks ahead, lead time 3 → in time;
# B first risk 2026-10-19 first flagged 10-12 → 1 week, lead time 2 → late;
# C first risk 2026-10-26 flagged 10-05 → 3 weeks, no lead time → not judged.
RISKS = pd.DataFrame({
    "as_of": pd.to_datetime(["2026-10-07", "2026-10-07", "2026-10-14", "2026-10-14"]),
    "sku": ["A", "C", "A", "B"], "location": "S1",
    "first_risk_week": pd.to_datetime(["2026-11-02", "2026-10-26", "2026-11-02",
                                       "2026-10-19"]),
    "lead_time_weeks": [3, np.nan, 3, 2]})


def test_lost_promo_margin_and_wasted_spend_from_past_weeks():
    weekly_, camps = past_promo_losses(case())
    by_week = weekly_.set_index("week")
    assert by_week.loc[D("2026-09-21"), "lost_promo_units"] == pytest.approx(30)
    assert by_week.loc[D("2026-09-21"), "lost_promo_margin"] == pytest.approx(60)
    assert by_week.loc[D("2026-10-12"), "lost_promo_units"] == 0  # not a promo week
    assert by_week.loc[D("2026-11-02"), "lost_promo_margin"] == pytest.approx(200)
    c = camps.set_index("campaign_id")
    assert c.loc["P1", "wasted_spend"] == pytest.approx(180)
    assert c.loc["P2", "wasted_spend"] == pytest.approx(500)
    assert (c.loc["P1", "quarter"], c.loc["P2", "quarter"]) == ("2026Q3", "2026Q4")


def test_lead_time_won():
    risks, quarterly = lead_time_won(RISKS)
    r = risks.set_index("sku")
    assert list(r["lead_weeks"]) == [4, 1, 3]
    assert r.loc["A", "first_flagged"] == D("2026-10-05")
    assert (r.loc["A", "in_time"], r.loc["B", "in_time"], r.loc["C", "in_time"]) == \
        (True, False, None)
    (q,) = quarterly.to_dict("records")
    assert q["quarter"] == "2026Q4" and q["risks"] == 3
    assert q["mean_lead_weeks"] == pytest.approx(8 / 3)
    assert q["flagged_in_time"] == 1 and q["share_flagged_in_time"] == pytest.approx(0.5)


def test_the_quarterly_boundary_table():
    # Q3: lost promo margin 60 + transfer 10 = 70 leaked; wasted 180; no risk.
    # Q4: 200 + expedite 25 = 225 leaked; wasted 500; 3 risks, half of the judged in time.
    weekly_, camps = past_promo_losses(case())
    out = boundary_quarterly(weekly_, camps, ACTIONS, RISKS).set_index("quarter")
    assert list(out.index) == ["2026Q3", "2026Q4"]
    assert out.loc["2026Q3", "margin_leaked"] == pytest.approx(70)
    assert out.loc["2026Q3", "transfer_cost"] == 10 and out.loc["2026Q3", "expedite_cost"] == 0
    assert out.loc["2026Q3", "wasted_spend"] == pytest.approx(180)
    assert out.loc["2026Q3", "risks"] == 0
    assert out.loc["2026Q4", "margin_leaked"] == pytest.approx(225)
    assert out.loc["2026Q4", "wasted_spend"] == pytest.approx(500)
    assert out.loc["2026Q4", "share_flagged_in_time"] == pytest.approx(0.5)
