"""Combining sources, accuracy weights, divergence and the consensus stage (hand-worked)."""

import numpy as np
import pandas as pd
import pytest

from pysnop.core.consensus import (accuracy_weights, combine_sources, consensus_baseline,
                                   divergence, settings_weights)
from pysnop.core.model import Settings

W1, W2 = pd.Timestamp("2026-11-16"), pd.Timestamp("2026-11-23")


def long(rows):
    return pd.DataFrame(rows, columns=["node", "week", "source", "units"])


def test_combine_renormalises_over_the_sources_present():
    fc = long([("total", W1, "Mkt", 100), ("total", W1, "Plan", 80),
               ("total", W2, "Plan", 90), ("sku=a", W1, "Mkt", 10), ("sku=a", W1, "Mkt", 5)])
    out = combine_sources(fc, {"Mkt": 0.25, "Plan": 0.75}).set_index(["node", "week"])
    assert out.loc[("total", W1), "units"] == pytest.approx(0.25 * 100 + 0.75 * 80)  # 85
    assert out.loc[("total", W2), "units"] == 90  # Plan alone: weight renormalised to 1
    assert out.loc[("sku=a", W1), "units"] == 15  # one source's rows are summed
    assert out.loc[("total", W1), "n_sources"] == 2
    # no weights (or zero weights for the sources present) → equal mean
    eq = combine_sources(fc, {"Other": 1}).set_index(["node", "week"])
    assert eq.loc[("total", W1), "units"] == 90


def hand_history():
    # Actuals of sku a at L over 3 weeks: 100, 100, 100 (Mondays 2026-10-05, -12, -19)
    weeks = pd.date_range("2026-10-05", periods=3, freq="7D")
    actuals = pd.DataFrame({"sku": "a", "location": "L", "week": weeks, "units": 100.0})
    # Plan (sku×location): 90, 110, 100 → Σ|F−A| = 20, Σ|A| = 300 → WAPE 1/15
    # Mkt (category Snacks = sku a only): 140, 60, 100 → Σ|F−A| = 80 → WAPE 4/15
    hist = pd.DataFrame({
        "sku": ["a"] * 3 + [None] * 3, "location": ["L"] * 3 + [None] * 3,
        "category": [None] * 3 + ["Snacks"] * 3, "week": list(weeks) * 2,
        "units": [90, 110, 100, 140, 60, 100], "source": ["Plan"] * 3 + ["Mkt"] * 3})
    products = pd.DataFrame({"sku": ["a"], "category": ["Snacks"]})
    return hist, actuals, products


def test_accuracy_weights_inverse_wape():
    from pysnop.core.hierarchy import build_hierarchy
    hist, actuals, products = hand_history()
    tree = build_hierarchy(products=products, forecast=hist, actuals=actuals)
    w = accuracy_weights(hist, actuals, window_weeks=8, tree=tree)
    # 1/WAPE: Plan 15, Mkt 3.75 → weights 15/18.75 = 0.8 and 0.2
    assert w.basis == "accuracy"
    assert w["Plan"] == pytest.approx(0.8) and w["Mkt"] == pytest.approx(0.2)
    acc = w.accuracy.set_index("source")
    assert acc.loc["Plan", "wape"] == pytest.approx(1 / 15)
    assert acc.loc["Mkt", "bias"] == pytest.approx(0.0)
    # a 1-week window keeps the last week only: both WAPE 0 → perfect sources share equally
    w1 = accuracy_weights(hist, actuals, window_weeks=1, tree=tree)
    assert dict(w1) == {"Mkt": 0.5, "Plan": 0.5}


def test_accuracy_weights_fall_back_to_settings_then_equal():
    hist, actuals, products = hand_history()
    # a current source without history ("Merch") → history does not allow accuracy weights
    w = accuracy_weights(hist, actuals, sources=["Plan", "Mkt", "Merch"],
                         fallback={"Plan": 3, "Merch": 1})
    assert w.basis == "settings"
    assert dict(w) == {"Merch": 0.25, "Mkt": 0.0, "Plan": 0.75}
    w = accuracy_weights(None, None, sources=["Plan", "Mkt"])
    assert w.basis == "equal" and dict(w) == {"Mkt": 0.5, "Plan": 0.5}


def test_settings_weights_keys():
    s = Settings(extra={"weight_Marketing": 2, "Planning weight": "1", "note": "x"})
    assert settings_weights(s) == {"Marketing": 2.0, "Planning": 1.0}


def test_divergence_relative_to_the_consensus():
    src = long([("total", W1, "Mkt", 130), ("total", W1, "Plan", 95), ("sku=a", W1, "Mkt", 1)])
    cons = pd.DataFrame({"node": ["total", "sku=a"], "week": [W1, W1], "units": [100.0, 0.0]})
    out = divergence(src, cons, 0.2).set_index(["node", "source"])
    assert out.loc[("total", "Mkt"), "rel_diff"] == pytest.approx(0.3)
    assert bool(out.loc[("total", "Mkt"), "divergent"])
    assert not bool(out.loc[("total", "Plan"), "divergent"])  # 5 %
    assert bool(out.loc[("sku=a", "Mkt"), "divergent"])  # consensus 0: any difference flags


def test_consensus_baseline_end_to_end():
    inv = pd.DataFrame({"sku": ["s1", "s1", "s2"], "location": ["A", "B", "A"],
                        "category": [None] * 3})
    products = pd.DataFrame({"sku": ["s1", "s2"], "category": ["Snacks", "Snacks"]})
    fc = pd.DataFrame([
        dict(sku="s1", location="A", week=W1, units=40.0, source="Planning"),
        dict(sku="s1", location="B", week=W1, units=60.0, source="Planning"),
        dict(sku="s2", location="A", week=W1, units=20.0, source="Planning"),
        dict(sku=None, location=None, category="ALL", week=W1 + pd.Timedelta(days=3),
             units=120.0, source="Marketing")])  # a Thursday: same week
    overrides = pd.DataFrame([dict(sku="s2", location="A", week=W1, units=30.0,
                                   reason="end cap")])
    c = consensus_baseline(fc, inv, products, Settings(reconciliation="bottom_up"),
                           overrides=overrides)
    bottom = c.bottom.set_index(["sku", "location"])["units"]
    # bottom_up: leaves keep 40, 60; s2@A locked at 30 (its own leaf, others untouched)
    assert bottom.to_dict() == {("s1", "A"): 40, ("s1", "B"): 60, ("s2", "A"): 30}
    t = c.table.set_index("node")
    assert t.loc["total", "consensus"] == 130
    assert t.loc["total", "Marketing"] == 120 and np.isnan(t.loc["total", "Planning"])
    assert not bool(t.loc["total", "divergent"])  # |120 − 130| / 130 ≈ 7.7 % < 20 %
    assert bool(t.loc["sku=s2|location=A", "divergent"])  # Planning 20 vs 30
    assert t.loc["sku=s2|location=A", "override"] == 30
    assert t.loc["sku=s2|location=A", "reason"] == "end cap"
    assert c.weights.basis == "equal" and c.method == "bottom_up"
    # MinT WLS (default): total 120 (var 3 leaves) vs leaves 40, 60, 20 (sum 120): coherent
    # already → unchanged
    c2 = consensus_baseline(fc, inv, products, Settings())
    assert c2.bottom["units"].tolist() == pytest.approx([40, 60, 20])


def test_consensus_worse_than_a_source_is_reported_with_both_wapes():
    from pysnop.core.consensus import consensus_vs_sources, consensus_worse_warnings
    from pysnop.core.hierarchy import build_hierarchy
    # actuals of a@X: 100, 100 (weeks of 2026-11-02 and -09), each recorded a week ahead.
    # a@X: Planning 90, 110 → |e| 20 → WAPE 20/200 = 10 %; Consensus 80, 130 → 50 → 25 %
    #   → worse than Planning.
    # sku a (actual = a@X): Marketing 70, 100 → 30 → 15 %; Consensus 100, 100 → 0 % → fine.
    weeks = [pd.Timestamp("2026-11-02"), pd.Timestamp("2026-11-09")]
    actuals = pd.DataFrame({"sku": "a", "location": "X", "week": weeks, "units": 100.0})
    rows = [("a", "X", "Planning", [90, 110]), ("a", "X", "Consensus", [80, 130]),
            ("a", None, "Marketing", [70, 100]), ("a", None, "Consensus", [100, 100])]
    hist = pd.DataFrame([{"sku": s, "location": loc, "week": w, "source": src, "units": u,
                          "recorded": w - pd.Timedelta(days=7)}
                         for s, loc, src, units in rows for w, u in zip(weeks, units)])
    tree = build_hierarchy(actuals=actuals, forecast=hist)
    cmp = consensus_vs_sources(hist, actuals, tree, as_of=pd.Timestamp("2026-11-18"))
    cmp = cmp.set_index("source")
    assert cmp.loc["Planning", "source_wape"] == pytest.approx(0.10)
    assert cmp.loc["Planning", "consensus_wape"] == pytest.approx(0.25)
    assert bool(cmp.loc["Planning", "worse"]) and not cmp.loc["Marketing", "worse"]
    assert cmp.loc["Marketing", "source_wape"] == pytest.approx(0.15)
    assert cmp.loc["Marketing", "consensus_wape"] == 0
    (warning,) = consensus_worse_warnings(cmp.reset_index())
    assert warning.reason == ("the consensus was less accurate than Planning over the last 8 "
                              "weeks: WAPE 25.0% against 10.0% on the 2 node-weeks both forecast")


def test_the_consensus_stage_reads_nonnegative_from_settings():
    # one sku at two locations; the sku level says 10, the locations 40 and −20 (a planner
    # typing a correction as a negative forecast). mint_ols, unconstrained: X = 40 + (10 −
    # 20)/3 = 36⅔, Y = −20 − 10/3 = −23⅓; nonnegative: Y = 0, X minimises (10 − X)² +
    # (40 − X)² → 25.
    fc = pd.DataFrame({"sku": ["a", "a", "a"], "location": [None, "X", "Y"],
                       "week": [W1] * 3, "units": [10.0, 40.0, -20.0], "source": ["S"] * 3,
                       "category": [None] * 3, "row": [2, 3, 4]})
    inv = pd.DataFrame({"sku": ["a", "a"], "location": ["X", "Y"]})
    out = {}
    for flag in (True, False):
        s = Settings(reconciliation="mint_ols", nonnegative=flag)
        bottom = consensus_baseline(fc, inv, None, s).bottom.set_index("location")["units"]
        out[flag] = bottom
    assert out[True]["Y"] == 0 and out[True]["X"] == pytest.approx(25)
    assert out[False]["Y"] == pytest.approx(-20 - 10 / 3)
    assert out[False]["X"] == pytest.approx(40 - 10 / 3)


def test_a_dc_is_a_leaf_only_where_the_forecast_gives_it_demand_of_its_own():
    # Inventory: s1 at stores A, B and at DC1 (a DC on the Locations sheet); s2 at A and DC1,
    # where DC1 also has a Planning forecast of its own for s2 (online orders it ships).
    # Marketing forecasts the Snacks total 150; Planning the leaves: s1@A 40, s1@B 60,
    # s2@A 20, s2@DC1 10 (sum 130). top_down by forecast proportions spreads 150 over the
    # leaves there are: s1@DC1 is not one, so it gets nothing; s2@DC1 is.
    # Level by level: category 150 -> s1 100/130 × 150, s2 30/130 × 150; s1 -> A 40/100, B
    # 60/100; s2 -> A 20/30, DC1 10/30. So s1@A = 150 × 40/130 = 46.15..., s2@DC1 = 150 × 10/130.
    inv = pd.DataFrame({"sku": ["s1", "s1", "s1", "s2", "s2"],
                        "location": ["A", "B", "DC1", "A", "DC1"], "category": [None] * 5})
    products = pd.DataFrame({"sku": ["s1", "s2"], "category": ["Snacks", "Snacks"]})
    locations = pd.DataFrame({"location": ["DC1", "A", "B"], "role": ["dc", None, None],
                              "supplied_by": [None, "DC1", "DC1"]})
    fc = pd.DataFrame([
        dict(sku="s1", location="A", week=W1, units=40.0, source="Planning"),
        dict(sku="s1", location="B", week=W1, units=60.0, source="Planning"),
        dict(sku="s2", location="A", week=W1, units=20.0, source="Planning"),
        dict(sku="s2", location="DC1", week=W1, units=10.0, source="Planning"),
        dict(sku=None, location=None, category="Snacks", week=W1, units=150.0,
             source="Marketing")])
    c = consensus_baseline(fc, inv, products, Settings(reconciliation="top_down"),
                           locations=locations)
    bottom = c.bottom.set_index(["sku", "location"])["units"].to_dict()
    assert sorted(bottom) == [("s1", "A"), ("s1", "B"), ("s2", "A"), ("s2", "DC1")]
    assert bottom[("s1", "A")] == pytest.approx(150 * 40 / 130)
    assert bottom[("s2", "DC1")] == pytest.approx(150 * 10 / 130)
    # without the Locations sheet DC1 is a store: s1@DC1 becomes a leaf (forecast 0 -> 0 share
    # here, but it is in the tree)
    c = consensus_baseline(fc, inv, products, Settings(reconciliation="top_down"))
    assert ("s1", "DC1") in set(c.bottom.set_index(["sku", "location"]).index)
