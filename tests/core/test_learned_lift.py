"""Learned lift on hand-worked cases (docs/semantics.md, learned lift).

Week 0 is Mon 2026-11-16 (as_of Wed 2026-11-18); week −k is k weeks before it.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from plans import build_plan, weekly

from pysnop.core.bridge import run_bridge
from pysnop.core.learned_lift import (
    apply_lift_source,
    learned_lifts,
    realised_lifts,
    with_lift_source,
)
from pysnop.core.model import ACTUAL_COLUMNS
from pysnop.errors import DataError

AS_OF = dt.date(2026, 11, 18)


def wk(k):
    """Monday of week k (negative = before week 0)."""
    return pd.Timestamp("2026-11-16") + pd.Timedelta(days=7 * k)


def actuals(series, stockout=()):
    rows = [{"sku": sku, "location": "S1", "week": wk(k), "units": u,
             "stockout": (sku, k) in stockout}
            for sku, weeks in series.items() for k, u in weeks.items()]
    return pd.DataFrame(rows).reindex(columns=ACTUAL_COLUMNS)


# A: weeks −7..−4 clean (90, 110, 100, 100 → mean 100; week −8's 500 is older than the 4
# latest), P1 in week −3 sells 180. B: weeks −6..−3 clean (40, 40, 50, 50 → mean 45), P2 in
# week −2 sells 54.
A = {-8: 500, -7: 90, -6: 110, -5: 100, -4: 100, -3: 180, -2: 100, -1: 100}
B = {-6: 40, -5: 40, -4: 50, -3: 50, -2: 54, -1: 45}
INVENTORY = [{"sku": s, "location": "S1", "on_hand": 1000, "category": c}
             for s, c in (("A", "Snacks"), ("B", "Snacks"), ("C", "Snacks"), ("D", "Drinks"),
                          ("E", None))]


def campaign(cid, sku, k, lift, channel=None, start_day=0, days=7):
    return {"campaign_id": cid, "sku": sku, "lift": lift, "channel": channel,
            "start": wk(k) + pd.Timedelta(days=start_day),
            "end": wk(k) + pd.Timedelta(days=start_day + days - 1)}


CAMPAIGNS = [campaign("P1", "A", -3, 0.5), campaign("P2", "B", -2, 0.2, channel="TV"),
             campaign("F1", "A", 1, 0.3), campaign("F2", "C", 1, 0.1),
             campaign("F3", "D", 1, 0.4, channel="tv"), campaign("F4", "E", 1, 0.25)]


def plan(camps=CAMPAIGNS, stockout=(), **settings):
    inputs = build_plan(INVENTORY, [r for s in "ABCDE" for r in weekly(s, "S1", [100] * 4)],
                        camps, horizon_weeks=4, **settings)
    inputs.actuals = actuals({"A": A, "B": B}, stockout)
    return inputs


def learned(inputs, history=None, lift_source="planned"):
    return learned_lifts(inputs.campaigns, inputs.actuals, history=history,
                         inventory=inputs.inventory, as_of=AS_OF,
                         lift_source=lift_source).set_index("campaign_id")


def test_realised_lift_against_the_four_clean_weeks_before():
    # P1: 180 ÷ 100 − 1 = 0.8; P2: 54 ÷ 45 − 1 = 0.2; future campaigns have none
    out = learned(plan())
    assert out.loc["P1", "realised_lift"] == pytest.approx(0.8)
    assert out.loc["P2", "realised_lift"] == pytest.approx(0.2)
    assert out.loc["P1", "realised_cells"] == 1
    assert out.loc[["F1", "F2", "F3", "F4"], "realised_lift"].isna().all()


def test_pooling_by_sku_then_category_then_channel_with_shrinkage():
    out = learned(plan())
    # F1 (sku A): P1 only, n = 1 → 1/3 × 0.8 + 2/3 × 0.3 = 0.4666…
    assert out.loc["F1", "learned_lift"] == pytest.approx(0.8 / 3 + 0.2)
    assert (out.loc["F1", "learned_n"], out.loc["F1", "learned_level"]) == (1, "sku")
    # F2 (sku C, Snacks): no C history; Snacks has P1, P2 → mean 0.5, n = 2 → ½ × 0.5 + ½ × 0.1
    assert out.loc["F2", "learned_lift"] == pytest.approx(0.3)
    assert (out.loc["F2", "learned_n"], out.loc["F2", "learned_level"]) == (2, "category")
    # F3 (sku D, Drinks, channel "tv"): channel TV has P2 → 1/3 × 0.2 + 2/3 × 0.4 = 1/3
    assert out.loc["F3", "learned_lift"] == pytest.approx(1 / 3)
    assert out.loc["F3", "learned_level"] == "channel"
    # F4: nothing to learn from → the plan, n = 0
    assert out.loc["F4", "learned_lift"] == 0.25 and out.loc["F4", "learned_n"] == 0
    assert out.loc["F4", "learned_level"] is None
    # P1 learns only from campaigns that ended before it started: none (P2 ran after)
    assert out.loc["P1", "learned_lift"] == 0.5 and out.loc["P1", "learned_n"] == 0


def test_recorded_forecasts_before_the_start_are_the_baseline():
    # A week −3: Planning 130 and Consensus 120 recorded before P1 began (Mon 26 Oct):
    # the consensus wins → 180 ÷ 120 − 1 = 0.5; the 999 recorded after the start is ignored
    history = pd.DataFrame({
        "sku": ["A"] * 3, "location": ["S1"] * 3, "week": [wk(-3)] * 3,
        "source": ["Planning", "Consensus", "Consensus"], "units": [130.0, 120.0, 999.0],
        "recorded": pd.to_datetime(["2026-10-19", "2026-10-19", "2026-10-27"])})
    assert learned(plan(), history).loc["P1", "realised_lift"] == pytest.approx(0.5)
    # without a consensus record the sources recorded are averaged: (130 + 110) ÷ 2 = 120
    h2 = history.iloc[[0]].assign(units=130.0)
    h2 = pd.concat([h2, h2.assign(source="Marketing", units=110.0)])
    assert learned(plan(), h2).loc["P1", "realised_lift"] == pytest.approx(0.5)


def test_a_stockout_week_teaches_nothing():
    out = learned(plan(stockout={("A", -3)}))
    assert np.isnan(out.loc["P1", "realised_lift"])
    # F1 now pools by category (only P2 left): 1/3 × 0.2 + 2/3 × 0.3
    assert out.loc["F1", "learned_lift"] == pytest.approx(0.2 / 3 + 0.2)
    # a stockout in the weeks before drops that week from the baseline: A's 4 latest clean
    # weeks before week −3 become −8, −7, −6, −4 → (500 + 90 + 110 + 100) ÷ 4 = 200
    out = learned(plan(stockout={("A", -5)}))
    assert out.loc["P1", "realised_lift"] == pytest.approx(180 / 200 - 1)


def test_a_partial_week_counts_the_whole_week():
    # P1 Thu–Sun of week −3: the cell is still the whole week (Actuals are weekly) → 0.8
    camps = [campaign("P1", "A", -3, 0.5, start_day=3, days=4)]
    out = learned(plan(camps))
    assert out.loc["P1", "realised_lift"] == pytest.approx(0.8)


def test_drafts_and_future_campaigns_are_not_history():
    camps = [dict(campaign("P1", "A", -3, 0.5), status="Draft")]
    inputs = plan(camps)
    real = realised_lifts(inputs.campaigns, inputs.actuals, inventory=inputs.inventory,
                          as_of=AS_OF)
    assert real["realised_lift"].isna().all()


def test_lift_source_picks_what_the_bridge_projects():
    out = learned(plan(), lift_source="cautious")
    # cautious = the lower: F1 min(0.3, 0.4667) = 0.3; F3 min(0.4, 0.3333) = 0.3333
    assert out.loc["F1", "projected_lift"] == pytest.approx(0.3)
    assert out.loc["F3", "projected_lift"] == pytest.approx(1 / 3)
    inputs = plan(lift_source="learned")
    projected, table = with_lift_source(inputs)
    camp = projected.campaigns.set_index("campaign_id")
    assert camp.loc["F1", "lift"] == pytest.approx(0.8 / 3 + 0.2)
    assert camp.loc["F1", "planned_lift"] == 0.3
    assert inputs.campaigns.set_index("campaign_id").loc["F1", "lift"] == 0.3  # untouched
    # the bridge projects it: A baseline 100 in week 1 → lift units 46.67
    r = run_bridge(projected)
    row = int(np.flatnonzero(r.keys["sku"].to_numpy() == "A")[0])
    assert r.lift_units[row, 1] == pytest.approx(100 * (0.8 / 3 + 0.2))
    assert apply_lift_source(inputs.campaigns, table, "planned") is inputs.campaigns


def test_an_unknown_lift_source_is_a_settings_error():
    with pytest.raises(DataError, match="lift_source"):
        learned(plan(), lift_source="optimistic")


def test_past_weeks_keep_the_planned_lift_after_a_lift_source_replaced_it():
    # learning again from campaigns whose lift was already replaced gives the same answer,
    # and the demand-shift forecast of a past promo week uses the plan (+50 % on 100 = 150)
    from pysnop.core.demand_shift import tracking_signals
    inputs = plan(lift_source="learned")
    projected, table = with_lift_source(inputs)
    again = learned_lifts(projected.campaigns, projected.actuals, inventory=projected.inventory,
                          as_of=AS_OF)
    np.testing.assert_allclose(again["learned_lift"], table["learned_lift"])
    pd.testing.assert_frame_equal(tracking_signals(projected), tracking_signals(inputs))
