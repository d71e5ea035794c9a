"""The forecast that stood for past weeks (docs/semantics.md, the forecast that stood for past weeks), hand-worked."""

import numpy as np
import pandas as pd
import pytest

from pysnop.core import past_weeks
from pysnop.core.past_weeks import (
    BASIS_NONE,
    BASIS_RECORDED,
    BASIS_SHEET,
    actual_grid,
    actual_span,
    past_forecast,
    recorded_before,
)

KEYS = pd.DataFrame({"sku": ["A", "B"], "location": ["S1", "S1"]})
W0 = pd.Timestamp("2026-11-02")  # weeks 0, 1, 2 = Nov 2, 9, 16


def day(text):
    return pd.Timestamp(text)


SHEET = pd.DataFrame({
    # A week 0: Planning 10 + 2 (two rows summed) and Marketing 16 → mean (12 + 16)/2 = 14
    # B week 1: one source, 7; a sku-level row (no location) is not a cell
    "sku": ["A", "A", "A", "B", "B"], "location": ["S1", "S1", "S1", "S1", None],
    "week": [day("2026-11-04"), day("2026-11-02"), day("2026-11-08"), day("2026-11-09"),
             day("2026-11-09")],
    "units": [10.0, 2.0, 16.0, 7.0, 99.0],
    "source": ["Planning", "Planning", "Marketing", None, None]})

HISTORY = pd.DataFrame({
    # A week 1: Consensus 30 recorded Nov 1 and 31 recorded Nov 8 (the latest before the
    # week began, Nov 9, is 31), Planning 50 → the consensus wins: 31.
    # A week 2: Planning 40 (Oct 20) and Marketing 44 (Oct 27) → no consensus → mean 42;
    #   Marketing's 60 recorded Nov 17 is after the week began → ignored.
    "sku": "A", "location": "S1",
    "week": [day("2026-11-09")] * 3 + [day("2026-11-16")] * 3,
    "source": ["Consensus", "Consensus", "Planning", "Planning", "Marketing", "Marketing"],
    "units": [30.0, 31.0, 50.0, 40.0, 44.0, 60.0],
    "recorded": [day("2026-11-01"), day("2026-11-08"), day("2026-11-01"), day("2026-10-20"),
                 day("2026-10-27"), day("2026-11-17")]})


@pytest.mark.parametrize("dense", [True, False])
def test_recorded_first_then_the_sheet(monkeypatch, dense):
    if not dense:  # the group-by path used for many sources
        monkeypatch.setattr(past_weeks, "_DENSE_LIMIT", 0)
    units, basis = past_forecast(SHEET, HISTORY, KEYS, W0, 3)
    np.testing.assert_allclose(units, [[14, 31, 42], [np.nan, 7, np.nan]])
    assert basis.tolist() == [[BASIS_SHEET, BASIS_RECORDED, BASIS_RECORDED],
                              [BASIS_NONE, BASIS_SHEET, BASIS_NONE]]


def test_recorded_before_a_campaign_start():
    # A week 1 as seen before a campaign starting Nov 5: only the Nov 1 records count →
    # consensus 30; before Oct 30 nothing was recorded for week 1
    out = recorded_before(HISTORY, KEYS, W0, 3, np.array([0, 0]), np.array([1, 1]),
                          np.array([day("2026-11-05"), day("2026-10-30")],
                                   dtype="datetime64[ns]"))
    assert out[0] == 30 and np.isnan(out[1])


def test_actual_grid_and_span():
    act = pd.DataFrame({"sku": ["A", "A", "A", "B"], "location": "S1",
                        "week": [day("2026-11-03"), day("2026-11-05"), day("2026-11-10"),
                                 day("2026-11-17")],
                        "units": [4.0, 6.0, 5.0, 9.0], "on_hand_end": [1.0, 0.0, 3.0, 2.0],
                        "stockout": [False, False, None, True]})
    units, stockout = actual_grid(act, KEYS, W0, 3)
    np.testing.assert_allclose(units, [[10, 5, np.nan], [np.nan, np.nan, 9]])
    assert stockout.tolist() == [[True, False, False], [False, False, True]]  # 0 on hand
    assert actual_span(act, day("2026-11-18")) == (W0, 2)  # weeks before the as-of week
    assert actual_span(act, day("2026-11-02")) is None
