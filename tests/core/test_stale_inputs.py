"""Stale-input warnings (docs/semantics.md, stale inputs)."""

import datetime as dt

import pandas as pd
from plans import build_plan, weekly

from pysnop.core.stale_inputs import (
    actuals_after_as_of,
    as_of_moved_on_hand_unchanged,
    forecast_coverage,
    on_hand_fingerprint,
)

AS_OF = dt.date(2026, 11, 18)  # week 0 = Mon 2026-11-16; 4 horizon weeks end 2026-12-07


def inputs(forecast):
    inv = [{"sku": s, "location": loc, "on_hand": 10} for s, loc in
           (("A", "S1"), ("A", "S2"), ("B", "S1"), ("C", "S1"))]
    return build_plan(inv, forecast, horizon_weeks=4)


def test_forecast_that_stops_short_is_reported_with_its_weeks():
    # A@S1 and A@S2 have weeks 0–2 (missing 2026-12-07); B@S1 has weeks 0, 2, 3 (missing
    # 2026-11-23); C@S1 has none (the bridge's own "no forecast" warning covers it)
    fc = weekly("A", "S1", [5, 5, 5]) + weekly("A", "S2", [5, 5, 5]) + \
        weekly("B", "S1", [5]) + weekly("B", "S1", [5, 5], first="2026-11-30")
    plan = inputs(fc)
    out = forecast_coverage(plan.forecast, plan.inventory, AS_OF, 4)
    # Forecast rows: A@S1 2–4, A@S2 5–7, B@S1 8 (week 0), 9, 10 (weeks 2, 3): the warning
    # points at the pair's latest row
    assert len(out) == 2 and all(p.severity == "warning" for p in out)
    assert {str(p) for p in out} == {
        ("Forecast row 4 (week): Forecast covers 3 of 4 horizon weeks for 2 sku × locations "
        "(e.g. sku A at S1): no rows for the week of 2026-12-07 (baseline 0 there)"),
        ("Forecast row 10 (week): Forecast covers 3 of 4 horizon weeks for sku B at S1: no "
        "rows for the week of 2026-11-23 (baseline 0 there)")}


def test_full_coverage_says_nothing():
    plan = inputs([r for s, loc in (("A", "S1"), ("A", "S2"), ("B", "S1"), ("C", "S1"))
                   for r in weekly(s, loc, [1, 1, 1, 1])])
    assert forecast_coverage(plan.forecast, plan.inventory, AS_OF, 4) == []


def test_actuals_newer_than_the_as_of_week():
    act = pd.DataFrame({"sku": ["A"] * 3, "location": ["S1"] * 3,
                        "week": pd.to_datetime(["2026-11-09", "2026-11-16", "2026-11-25"]),
                        "units": [1.0, 1.0, 1.0], "row": [2, 3, 4]})
    (p,) = actuals_after_as_of(act, AS_OF)
    assert str(p) == ("Actuals row 4 (week): Actuals has 2 rows for the as-of week (2026-11-16) "
                      "or later, up to the week of 2026-11-23: as_of 2026-11-18 is behind the "
                      "data — set Settings as_of")
    assert actuals_after_as_of(act.iloc[:1], AS_OF) == []


def test_as_of_moved_but_on_hand_did_not():
    inv = pd.DataFrame({"sku": ["A", "B"], "location": ["S1", "S1"], "on_hand": [10.0, 4.0]})
    print_ = on_hand_fingerprint(inv)
    # the same position in another row order is the same fingerprint
    assert on_hand_fingerprint(inv.iloc[::-1]) == print_
    later = dt.date(2026, 11, 25)
    (p,) = as_of_moved_on_hand_unchanged(AS_OF, print_, later, inv)
    assert p.sheet == "Inventory" and p.column == "on_hand" and p.severity == "warning"
    assert "as_of moved from 2026-11-18 to 2026-11-25" in p.reason
    # on-hand refreshed, same week, or no previous run: nothing to say
    moved = inv.assign(on_hand=[9.0, 4.0])
    assert as_of_moved_on_hand_unchanged(AS_OF, print_, later, moved) == []
    assert as_of_moved_on_hand_unchanged(AS_OF, print_, dt.date(2026, 11, 20), inv) == []
    assert as_of_moved_on_hand_unchanged(None, None, later, inv) == []


def test_all_stale_warnings_of_a_run_at_once():
    from pysnop.core.stale_inputs import stale_input_warnings
    plan = inputs(weekly("A", "S1", [5, 5, 5]))
    plan.actuals = pd.DataFrame({"sku": ["A"], "location": ["S1"], "week": [pd.Timestamp(
        "2026-11-16")], "units": [1.0], "row": [2]})
    fp = on_hand_fingerprint(plan.inventory)
    out = stale_input_warnings(plan, dt.date(2026, 11, 11), fp)
    assert [p.sheet for p in out] == ["Forecast", "Actuals", "Inventory"]
