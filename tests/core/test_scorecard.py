"""Scorecard figures on a hand-worked case."""

import numpy as np
import pandas as pd
import pytest

from pysnop.core.scorecard import scorecard

WEEKS = pd.date_range("2026-09-21", periods=3, freq="7D")  # Q3, Q3 (Sep 28), Q4 (Oct 5)


def case():
    # one sku-location a@L: units 10, 20, 30; on hand at the end 50, 0, 40; stockout flag
    # only in week 3 (week 2 is a stockout by on_hand_end ≤ 0); and b@L never promoted.
    actuals = pd.DataFrame({
        "sku": ["a"] * 3 + ["b"] * 3, "location": "L", "week": list(WEEKS) * 2,
        "units": [10, 20, 30, 5, 5, 5], "on_hand_end": [50, 0, 40, 10, 10, 10],
        "stockout": [False, None, True, False, False, False]})
    # a campaign on sku a covering weeks 2 and 3 (Thu 2026-10-01 .. Sun 2026-10-11)
    campaigns = pd.DataFrame([dict(campaign_id="C1", sku="a", start=pd.Timestamp("2026-10-01"),
                                   end=pd.Timestamp("2026-10-11"), lift=0.5, status="Confirmed",
                                   locations=(), name=None, channel=None, owner=None, row=2)])
    # Plan forecasts a@L 12, 18, 33; Consensus 10, 22, 30
    fc = pd.DataFrame({"sku": "a", "location": "L", "week": list(WEEKS) * 2,
                       "units": [12, 18, 33, 10, 22, 30],
                       "source": ["Plan"] * 3 + ["Consensus"] * 3})
    return actuals, campaigns, fc


def test_stock_figures_by_week_and_quarter():
    actuals, campaigns, fc = case()
    sc = scorecard(actuals, fc, campaigns=campaigns)
    w = sc.weekly.set_index("week")
    # promoted cells: a@L in weeks 2 and 3; both are stockouts (on hand 0; flag TRUE)
    assert w["promoted_cells"].tolist() == [0, 1, 1]
    assert w["promoted_stockouts"].tolist() == [0, 1, 1]
    assert np.isnan(w["promo_stockout_rate"].iloc[0]) and w["promo_stockout_rate"].iloc[1] == 1
    # week 1: units 15, on hand 60 → turn 15/60·52 = 13; weeks of supply 60/15 = 4
    assert w["inventory_turn"].iloc[0] == pytest.approx(13)
    assert w["weeks_of_supply"].iloc[0] == pytest.approx(4)
    # week 3: on hand 50, trailing mean units (15 + 25 + 35)/3 = 25 → 2 weeks of supply
    assert w["weeks_of_supply"].iloc[2] == pytest.approx(2)
    q = sc.quarterly.set_index("quarter")
    assert list(q.index) == ["2026Q3", "2026Q4"]
    # Q3 = weeks 1-2 (Mondays Sep 21, Sep 28): units 15 + 25 = 40, average on hand
    # (60 + 10)/2 = 35 → 40/35·52/2 = 208/7 ≈ 29.71; promoted 1 cell, 1 stockout
    assert q.loc["2026Q3", "inventory_turn"] == pytest.approx(208 / 7)
    assert q.loc["2026Q3", "promo_stockout_rate"] == 1
    # Q4 = week 3 only: 35/50·52 = 36.4; weeks of supply of its last week = 2
    assert q.loc["2026Q4", "inventory_turn"] == pytest.approx(36.4)
    assert q.loc["2026Q4", "weeks_of_supply"] == pytest.approx(2)


def test_accuracy_bias_and_fva():
    actuals, campaigns, fc = case()
    sc = scorecard(actuals, fc, campaigns=campaigns, window_weeks=8)
    acc = sc.accuracy.set_index("source")
    # Plan: |2| + |−2| + |3| = 7 over 60 → WAPE 7/60; bias (2 − 2 + 3)/60 = 0.05
    assert acc.loc["Plan", "wape"] == pytest.approx(7 / 60)
    assert acc.loc["Plan", "bias"] == pytest.approx(0.05)
    # naive (last week's actual) exists in weeks 2-3: |10 − 20| + |20 − 30| = 20 over 50 → 0.4
    # Plan on the same cells: 5/50 = 0.1 → FVA 0.3; Consensus: 2/50 → FVA 0.36
    assert acc.loc["Plan", "naive_wape"] == pytest.approx(0.4)
    assert acc.loc["Plan", "fva"] == pytest.approx(0.3)
    assert acc.loc["Consensus", "fva"] == pytest.approx(0.36)
    assert acc.loc["Consensus", "wape"] == pytest.approx(2 / 60)
    # trailing 1-week window: week 3 only → Plan WAPE 3/30
    one = scorecard(actuals, fc, window_weeks=1).accuracy.set_index("source")
    assert one.loc["Plan", "wape"] == pytest.approx(0.1)
    byq = sc.accuracy_quarterly.set_index(["quarter", "source"])
    assert byq.loc[("2026Q3", "Plan"), "wape"] == pytest.approx(4 / 30)  # |2| + |−2| over 30
    assert byq.loc[("2026Q4", "Plan"), "wape"] == pytest.approx(3 / 30)
