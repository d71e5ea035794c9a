"""Tracking signal, DEMAND SHIFT and the re-projection, on hand-worked cases
(docs/semantics.md, demand sensing).

Week 0 is Mon 2026-11-16; week −k is k weeks before it. The last Actuals week is −1, so the
window is −4 .. −1 and the history −12 .. −1.
"""

import numpy as np
import pandas as pd
import pytest
from plans import build_plan, weekly

from pysnop.core.bridge import run_bridge
from pysnop.core.demand_shift import demand_shifts, shift_impact, tracking_signals
from pysnop.core.model import ACTUAL_COLUMNS

HISTORY = list(range(-12, -4))  # the 8 weeks before the window
WINDOW = [-4, -3, -2, -1]


def wk(k):
    return pd.Timestamp("2026-11-16") + pd.Timedelta(days=7 * k)


def actual_rows(sku, units, stockout=()):
    return [{"sku": sku, "location": "S1", "week": wk(k), "units": u, "stockout": k in stockout}
            for k, u in units.items()]


def alternate(high, low):
    return {k: (high if n % 2 == 0 else low) for n, k in enumerate(HISTORY)}


SERIES = {
    # A: history ±5 around 100; window 130, 125, 135, 130 (errors 30, 25, 35, 30 = 120)
    # MAD = (8 × 5 + 120) ÷ 12 = 13⅓ → TS = 120 ÷ 13⅓ = 9 → UP; ratio 520 ÷ 400 = 1.3
    "A": {**alternate(105, 95), -4: 130, -3: 125, -2: 135, -1: 130},
    # B: history ±5; window +5 each: MAD = (40 + 20) ÷ 12 = 5, TS = 20 ÷ 5 = 4 — not beyond
    "B": {**alternate(105, 95), -4: 105, -3: 105, -2: 105, -1: 105},
    # C: exact, but sells 150 in week −2 where a +50 % campaign runs: judged against 150
    "C": {**{k: 100 for k in HISTORY}, -4: 100, -3: 100, -2: 150, -1: 100},
    # E: exact history, window 60 each: errors −160, MAD = 160 ÷ 12, TS = −12 → DOWN, 0.6
    "E": {**{k: 100 for k in HISTORY}, -4: 60, -3: 60, -2: 60, -1: 60},
}


def plan(series=SERIES, on_hand=None, campaigns=(), stockout=None):
    on_hand = on_hand or {}
    skus = list(series)
    inv = [{"sku": s, "location": "S1", "on_hand": on_hand.get(s, 1000), "unit_margin": 1.0}
           for s in skus]
    fc = [r for s in skus for r in weekly(s, "S1", [100] * 16, first=wk(-12))]
    inputs = build_plan(inv, fc, campaigns, horizon_weeks=4)
    inputs.actuals = pd.DataFrame(
        [r for s in skus for r in actual_rows(s, series[s], (stockout or {}).get(s, ()))]
    ).reindex(columns=ACTUAL_COLUMNS)
    return inputs


PROMO_C = [{"campaign_id": "PC", "sku": "C", "lift": 0.5, "start": wk(-2),
            "end": wk(-2) + pd.Timedelta(days=6)}]


def test_tracking_signal_hand_worked():
    sig = tracking_signals(plan(campaigns=PROMO_C)).set_index("sku")
    assert sig.loc["A", "mad"] == pytest.approx(160 / 12)
    assert sig.loc["A", "tracking_signal"] == pytest.approx(9.0)
    assert sig.loc["A", "ratio"] == pytest.approx(1.3)
    assert (sig.loc["A", "direction"], bool(sig.loc["A", "shift"])) == ("UP", True)
    assert sig.loc["A", "window_cells"] == 4 and sig.loc["A", "history_cells"] == 12
    assert sig.loc["B", "tracking_signal"] == pytest.approx(4.0)
    assert not sig.loc["B", "shift"] and sig.loc["B", "direction"] is None
    assert sig.loc["C", "tracking_signal"] == 0 and not sig.loc["C", "shift"]
    assert sig.loc["E", "tracking_signal"] == pytest.approx(-12.0)
    assert (sig.loc["E", "direction"], sig.loc["E", "ratio"]) == ("DOWN", pytest.approx(0.6))
    assert sig.loc["A", "first_week"] == wk(-4) and sig.loc["A", "last_week"] == wk(-1)
    assert sig.loc["A", "forecast_basis"] == "sheet"
    shifts = demand_shifts(sig.reset_index())
    assert list(shifts["sku"]) == ["A", "E"]
    assert set(shifts["kind"]) == {"DEMAND SHIFT"}
    assert set(shifts["routed_to"]) == {"Supply, Marketing"}


def test_a_promo_week_is_judged_against_its_promo_demand():
    # without the campaign C's week −2 is a +50 error: MAD = 50 ÷ 12, TS = 50 ÷ (50/12) = 12
    sig = tracking_signals(plan()).set_index("sku")
    assert sig.loc["C", "tracking_signal"] == pytest.approx(12.0)


def test_a_stockout_week_is_left_out():
    # A's week −2 (135, error 35) is a stockout: window errors 85 over 3 cells;
    # MAD = (40 + 85) ÷ 11 → TS = 85 × 11 ÷ 125 = 7.48; ratio 385 ÷ 300
    sig = tracking_signals(plan(stockout={"A": (-2,)})).set_index("sku")
    assert sig.loc["A", "window_cells"] == 3
    assert sig.loc["A", "tracking_signal"] == pytest.approx(85 * 11 / 125)
    assert sig.loc["A", "ratio"] == pytest.approx(385 / 300)


def test_recorded_forecasts_win_over_the_sheet():
    # D: recorded 80 for every past week (made 2026-08-01, before each week began) — the
    # Forecast sheet's 100 is not used; a record made after its week began is ignored.
    # actual 80 in the history, 100 in the window: errors 0 × 8, +20 × 4 → MAD 80 ÷ 12,
    # TS = 80 ÷ (80/12) = 12, ratio 400 ÷ 320 = 1.25
    series = {"D": {**{k: 80 for k in HISTORY}, **{k: 100 for k in WINDOW}}}
    history = pd.DataFrame({"sku": "D", "location": "S1",
                            "week": [wk(k) for k in HISTORY + WINDOW] + [wk(-1)],
                            "source": "Consensus", "units": [80.0] * 12 + [100.0],
                            "recorded": [pd.Timestamp("2026-08-01")] * 12
                            + [pd.Timestamp("2026-11-10")]})
    sig = tracking_signals(plan(series), history).set_index("sku")
    assert sig.loc["D", "tracking_signal"] == pytest.approx(12.0)
    assert sig.loc["D", "ratio"] == pytest.approx(1.25)
    assert sig.loc["D", "forecast_basis"] == "recorded"


def test_the_reprojection_lists_the_risks_a_shift_creates_and_removes():
    # A on_hand 450: at 100/wk poh 350, 250, 150, 50 (OK); at 130/wk 320, 190, 60, −70 →
    # a STOCKOUT in week 3 (created). E on_hand 300: at 100/wk 200, 100, 0, −100
    # (STOCKOUT); at 60/wk 240, 180, 120, 60 (removed). B, C are not shifted: unchanged.
    inputs = plan(on_hand={"A": 450, "E": 300}, campaigns=PROMO_C)
    before = run_bridge(inputs)
    shifts = demand_shifts(tracking_signals(inputs))
    impact = shift_impact(inputs, shifts, before)
    ch = impact.changes.set_index("sku")
    assert list(ch.index) == ["A", "E"]
    assert ch.loc["A", "change"] == "creates risk"
    assert (ch.loc["A", "status_before"], ch.loc["A", "status_after"]) == ("OK", "STOCKOUT")
    assert ch.loc["A", "first_risk_after"] == wk(3)
    assert ch.loc["A", "lost_after"] == pytest.approx(70)
    assert ch.loc["E", "change"] == "removes risk"
    assert ch.loc["E", "lost_before"] == pytest.approx(100)
    assert bool(ch.loc["A", "shifted"])
    row = int(np.flatnonzero(impact.result.keys["sku"].to_numpy() == "A")[0])
    np.testing.assert_allclose(impact.result.poh[row], [320, 190, 60, -70])


def test_no_actuals_no_signal():
    inputs = plan()
    inputs.actuals = None
    sig = tracking_signals(inputs)
    assert not sig["shift"].any() and sig["tracking_signal"].isna().all()
