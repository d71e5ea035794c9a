"""Reconciliation: hand-worked MinT cases and hypothesis properties.

Expected numbers are computed by hand in the comments (or by the dense textbook formula
inside the test, never by pysnop's tree solver).
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from pysnop.core.hierarchy import Hierarchy, build_hierarchy, row_levels
from pysnop.core.reconcile import is_coherent, reconcile
from pysnop.errors import DataError

W = ["w1"]


def two_bottoms():
    # total → A → A@X, A@Y (category and sku carry no forecasts: plain total → 2 bottoms)
    return Hierarchy.from_keys(pd.DataFrame({"sku": ["A", "A"], "location": ["X", "Y"]}))


def three_skus():
    # total → {C1: s1, s2; C2: s3}; every sku has one location L (4 levels, 3 leaves)
    return Hierarchy.from_keys(pd.DataFrame({"sku": ["s1", "s2", "s3"], "location": ["L"] * 3}),
                               {"s1": "C1", "s2": "C1", "s3": "C2"})


def base(values: dict) -> pd.DataFrame:
    return pd.DataFrame({"w1": list(values.values())}, index=list(values))


def test_tree_shape_and_summing_matrix():
    tree = three_skus()
    assert list(tree.ids) == ["total", "category=C1", "category=C2", "sku=s1", "sku=s2",
                              "sku=s3", "sku=s1|location=L", "sku=s2|location=L",
                              "sku=s3|location=L"]
    S = tree.summing_matrix(sparse=False)
    assert S.tolist() == [[1, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1],
                          [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert (tree.summing_matrix().toarray() == S).all()


def test_row_levels_follow_the_keys():
    rows = pd.DataFrame({"sku": ["a", "a", None, None, None, None],
                         "location": ["x", None, None, None, None, "x"],
                         "category": [None, "C", "C", "all", None, None]})
    assert list(row_levels(rows)) == ["sku_location", "sku", "category", "total", "total", ""]


def test_mint_ols_total_and_two_bottoms():
    # ŷ = (total 100, X 40, Y 50); incoherence 100 − 90 = 10.
    # S = [[1,1],[1,0],[0,1]], S'S = [[2,1],[1,2]], (S'S)⁻¹ = [[2,−1],[−1,2]]/3, S'ŷ = (140,150)
    # b = ((280 − 150)/3, (−140 + 300)/3) = (43⅓, 53⅓): each bottom gains 10/3, total 96⅔.
    out = reconcile(base({"total": 100, "sku=A|location=X": 40, "sku=A|location=Y": 50}),
                    two_bottoms(), "mint_ols")["w1"]
    assert out["sku=A|location=X"] == pytest.approx(130 / 3)
    assert out["sku=A|location=Y"] == pytest.approx(160 / 3)
    assert out["total"] == pytest.approx(290 / 3)
    assert out["sku=A"] == pytest.approx(290 / 3)


def test_mint_wls_struct_total_and_two_bottoms():
    # W = diag(2, 1, 1): S'W⁻¹S = [[1.5,.5],[.5,1.5]], inverse [[1.5,−.5],[−.5,1.5]]/2,
    # S'W⁻¹ŷ = (50 + 40, 50 + 50) = (90, 100) → b = ((135 − 50)/2, (−45 + 150)/2) = (42.5, 52.5)
    out = reconcile(base({"total": 100, "sku=A|location=X": 40, "sku=A|location=Y": 50}),
                    two_bottoms(), "mint_wls_struct")["w1"]
    assert out["sku=A|location=X"] == pytest.approx(42.5)
    assert out["sku=A|location=Y"] == pytest.approx(52.5)
    assert out["total"] == pytest.approx(95.0)


def test_mint_on_total_two_categories_three_skus():
    # base: total 100, C1 60, C2 30, s1 25, s2 25, s3 25 (sku rows; leaves have none).
    # Free leaves b = (b1, b2, b3) = the skus. OLS objective:
    # (100−b1−b2−b3)² + (60−b1−b2)² + (30−b3)² + (25−b1)² + (25−b2)² + (25−b3)².
    # By symmetry b1 = b2 = a, b3 = c. Normal equations (∂/∂b1 = 0, ∂/∂b3 = 0):
    #   −(100−2a−c) − (60−2a) − (25−a) = 0 → 5a + c = 185
    #   −(100−2a−c) − (30−c) − (25−c) = 0  → 2a + 3c = 155
    #   c = 185 − 5a → 555 − 13a = 155 → a = 400/13 ≈ 30.769, c = 405/13 ≈ 31.154
    b = base({"total": 100, "category=C1": 60, "category=C2": 30, "sku=s1": 25,
              "sku=s2": 25, "sku=s3": 25})
    out = reconcile(b, three_skus(), "mint_ols")["w1"]
    assert out["sku=s1|location=L"] == pytest.approx(400 / 13)
    assert out["sku=s2"] == pytest.approx(400 / 13)
    assert out["sku=s3"] == pytest.approx(405 / 13)
    assert out["category=C1"] == pytest.approx(800 / 13)
    assert out["total"] == pytest.approx(1205 / 13)
    # WLS struct: weights 1/3 (total), 1/2 (C1), 1 (C2, skus). ∂/∂b1 (×6 to clear fractions):
    #   a: 2(100−2a−c) + 3(60−2a) + 6(25−a) = 0 → 530 = 16a + 2c
    #   c: 2(100−2a−c) + 6(30−c) + 6(25−c) = 0 → 530 = 4a + 14c
    #   → from the first c = 265 − 8a; 4a + 3710 − 112a = 530 → a = 3180/108 = 29.444…
    #     c = 265 − 8·29.444 = 29.444… (a = c = 265/9)
    out = reconcile(b, three_skus(), "mint_wls_struct")["w1"]
    assert out["sku=s1"] == pytest.approx(265 / 9)
    assert out["sku=s3"] == pytest.approx(265 / 9)
    assert out["total"] == pytest.approx(265 / 3)


def test_bottom_up_is_the_sum_of_the_leaves():
    b = base({"total": 500, "sku=s1|location=L": 10, "sku=s2|location=L": 20,
              "sku=s3|location=L": 30})
    out = reconcile(b, three_skus(), "bottom_up")["w1"]
    assert out["sku=s2|location=L"] == 20
    assert out["category=C1"] == 30
    assert out["total"] == 60


def test_bottom_up_fills_a_missing_leaf_from_above():
    # s3 has no leaf forecast; its category C2 says 45 → s3 gets 45; C1 leaves stay.
    b = base({"category=C2": 45, "sku=s1|location=L": 10, "sku=s2|location=L": 20})
    out = reconcile(b, three_skus(), "bottom_up")["w1"]
    assert out["sku=s3|location=L"] == pytest.approx(45)
    assert out["total"] == pytest.approx(75)


def test_top_down_forecast_proportions():
    # Textbook forecast proportions: each child's share is its OWN base forecast over its
    # siblings'. total 200; C1 has its own forecast 140, C2 none → C2 weighs what lies
    # beneath it (s3's leaf, 60): C1 = 200 × 140/200 = 140, C2 = 60.
    # C1's skus carry no forecast of their own → their leaves weigh 10 : 30 → 35, 105.
    # (The old "sums of the lowest forecasts" rule would give 20, 60, 120.)
    b = base({"total": 200, "category=C1": 140, "sku=s1|location=L": 10,
              "sku=s2|location=L": 30, "sku=s3|location=L": 60})
    out = reconcile(b, three_skus(), "top_down")["w1"]
    assert out[["sku=s1|location=L", "sku=s2|location=L", "sku=s3|location=L"]].tolist() == \
        pytest.approx([35, 105, 60])
    assert out["category=C1"] == pytest.approx(140)
    assert out["total"] == pytest.approx(200)


def test_top_down_every_node_forecast_is_the_textbook_level_by_level_split():
    # all nodes forecast: total 120; C1 60, C2 40 (sum 100) → C1 72, C2 48;
    # under C1: s1 10, s2 30 (sum 40) → s1 = 72 × 10/40 = 18, s2 = 54; s3 alone → 48;
    # each sku has one location → its leaf takes the whole sku (the leaf forecasts 7, 7, 7
    # only set proportions among single children: share 1).
    b = base({"total": 120, "category=C1": 60, "category=C2": 40, "sku=s1": 10,
              "sku=s2": 30, "sku=s3": 25, "sku=s1|location=L": 7, "sku=s2|location=L": 7,
              "sku=s3|location=L": 7})
    out = reconcile(b, three_skus(), "top_down")["w1"]
    assert out[["category=C1", "category=C2", "sku=s1", "sku=s2", "sku=s3"]].tolist() == \
        pytest.approx([72, 48, 18, 54, 48])
    assert out["sku=s2|location=L"] == pytest.approx(54)


def test_top_down_zero_sum_siblings_share_equally_per_child():
    # total 10, both categories forecast 0 → 5 each (per child, as hierarchicalforecast);
    # below C1 nothing is forecast → per leaf: s1, s2 2.5 each; C2's single sku s3 → 5
    out = reconcile(base({"total": 10, "category=C1": 0, "category=C2": 0}), three_skus(),
                    "top_down")["w1"]
    assert out[["category=C1", "category=C2", "sku=s1", "sku=s2", "sku=s3"]].tolist() == \
        pytest.approx([5, 5, 2.5, 2.5, 5])


def test_top_down_negative_forecasts_with_and_without_nonnegative():
    # total 100, C1 −20, C2 120 (sum 100). Unconstrained textbook: C1 = 100 × −20/100 = −20,
    # C2 = 120; s1, s2 unforecast → per leaf −10, −10. With nonnegative the weights count
    # from 0: C1 0, C2 100.
    b = base({"total": 100, "category=C1": -20, "category=C2": 120})
    free = reconcile(b, three_skus(), "top_down", nonnegative=False)["w1"]
    assert free[["category=C1", "category=C2", "sku=s1"]].tolist() == pytest.approx([-20, 120, -10])
    clipped = reconcile(b, three_skus(), "top_down", nonnegative=True)["w1"]
    assert clipped[["category=C1", "category=C2", "sku=s1"]].tolist() == pytest.approx([0, 100, 0])


def test_top_down_splits_equally_without_lower_forecasts():
    # total 90 and only C1's s1 forecast (30): C1 has the whole weight → C1 90, s1 90, s2 0;
    # a category alone (C2 = 40) with no leaf forecasts splits equally per leaf (1 leaf → 40).
    out = reconcile(base({"total": 90, "sku=s1": 30}), three_skus(), "top_down")["w1"]
    assert out["sku=s1"] == pytest.approx(90) and out["sku=s2"] == 0 and out["sku=s3"] == 0
    out = reconcile(base({"category=C1": 40}), three_skus(), "top_down")["w1"]
    assert out["sku=s1"] == pytest.approx(20) and out["sku=s2"] == pytest.approx(20)
    assert out["total"] == pytest.approx(40)


def test_locked_node_keeps_its_value_and_the_rest_reconciles():
    # OLS with X locked at 30: minimise (100 − 30 − y)² + (50 − y)² → y = 60, total 90.
    b = base({"total": 100, "sku=A|location=X": 40, "sku=A|location=Y": 50})
    out = reconcile(b, two_bottoms(), "mint_ols", locked={("sku=A|location=X", "w1"): 30})["w1"]
    assert out["sku=A|location=X"] == 30
    assert out["sku=A|location=Y"] == pytest.approx(60)
    # the total locked at 120: X and Y each take half of the 30 gap (OLS, equal weights)
    out = reconcile(b, two_bottoms(), "mint_ols", locked={("total", "w1"): 120})["w1"]
    assert out["total"] == pytest.approx(120)
    assert out["sku=A|location=X"] == pytest.approx(55)


def test_conflicting_locks_are_a_data_error():
    locks = {("total", "w1"): 100, ("sku=A|location=X", "w1"): 30,
             ("sku=A|location=Y", "w1"): 30}
    with pytest.raises(DataError, match="locked value of total"):
        reconcile(base({"total": 1}), two_bottoms(), "mint_ols", locked=locks)


def test_nonnegative_matches_the_hand_solution():
    # total 10, X 40, Y −20 (OLS): unconstrained b = (40 + (10−20)/3, −20 − 10/3) < 0 for Y.
    # With Y ≥ 0: Y = 0, X minimises (10 − X)² + (40 − X)² → X = 25.
    b = base({"total": 10, "sku=A|location=X": 40, "sku=A|location=Y": -20})
    out = reconcile(b, two_bottoms(), "mint_ols", nonnegative=True)["w1"]
    assert out["sku=A|location=Y"] == 0
    assert out["sku=A|location=X"] == pytest.approx(25)


def test_unknown_node_and_method_are_data_errors():
    with pytest.raises(DataError, match="not in the hierarchy"):
        reconcile(base({"sku=ZZ": 1}), two_bottoms())
    with pytest.raises(DataError, match="reconciliation method"):
        reconcile(base({"total": 1}), two_bottoms(), "magic")


# ---------------------------------------------------------------------------------------
# properties on random trees
# ---------------------------------------------------------------------------------------
@st.composite
def problems(draw):
    n_cat = draw(st.integers(1, 3))
    skus, pairs = {}, []
    for c in range(n_cat):
        for s in range(draw(st.integers(1, 3))):
            sku = f"c{c}s{s}"
            skus[sku] = f"C{c}"
            pairs += [(sku, f"L{j}") for j in range(draw(st.integers(0, 3)))]
    extra_sku = draw(st.booleans())
    tree = Hierarchy.from_keys(pd.DataFrame(pairs, columns=["sku", "location"]) if pairs
                               else None, skus, skus=list(skus) + (["lone"] if extra_sku else []))
    n, t = len(tree), draw(st.integers(1, 3))
    values = np.array(draw(st.lists(st.floats(-50, 200, allow_nan=False), min_size=n * t,
                                    max_size=n * t))).reshape(n, t)
    seen = np.array(draw(st.lists(st.booleans(), min_size=n * t, max_size=n * t))).reshape(n, t)
    values[~seen] = np.nan
    frame = pd.DataFrame(values, index=tree.ids, columns=[f"w{k}" for k in range(t)])
    return tree, frame


def dense_mint(tree, y, var):
    """Textbook generalised MinT on the observed rows, one week at a time (reference)."""
    S = tree.summing_matrix(sparse=False)
    out = np.zeros_like(y)
    for k in range(y.shape[1]):
        o = ~np.isnan(y[:, k])
        So, Wi = S[o], np.diag(1.0 / var[o])
        out[:, k] = S @ np.linalg.pinv(So.T @ Wi @ So) @ So.T @ Wi @ y[o, k]
    return out


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from(["mint_ols", "mint_wls_struct"]))
def test_mint_equals_the_dense_formula_and_is_coherent(problem, method):
    tree, frame = problem
    out = reconcile(frame, tree, method)
    var = np.ones(len(tree)) if method == "mint_ols" else tree.n_leaves.astype(float)
    expected = dense_mint(tree, frame.to_numpy(), var)
    np.testing.assert_allclose(out.to_numpy(), expected, atol=1e-6 * (1 + np.abs(expected).max()))
    assert is_coherent(out, tree)


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from(["bottom_up", "top_down", "mint_ols", "mint_wls_struct"]),
       st.booleans())
def test_coherent_for_any_subset(problem, method, nonneg):
    tree, frame = problem
    out = reconcile(frame, tree, method, nonnegative=nonneg)
    assert is_coherent(out, tree, rtol=1e-7)
    if nonneg:
        assert (out.to_numpy()[tree.leaves] >= -1e-7).all()


@settings(max_examples=40, deadline=None)
@given(problems())
def test_bottom_up_identity(problem):
    tree, frame = problem
    leaves = tree.ids[tree.leaves]
    full = frame.copy()
    full.loc[leaves] = full.loc[leaves].fillna(7.0)  # every leaf forecast
    out = reconcile(full, tree, "bottom_up")
    np.testing.assert_allclose(out.loc[leaves].to_numpy(), full.loc[leaves].to_numpy())
    S = tree.summing_matrix(sparse=False)
    np.testing.assert_allclose(out.to_numpy(), S @ full.loc[leaves].to_numpy(), atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from(["bottom_up", "top_down", "mint_ols", "mint_wls_struct"]),
       st.booleans(), st.data())
def test_locked_nodes_are_unchanged(problem, method, nonneg, data):
    tree, frame = problem
    # lock one node per week at a value, consistent by construction (no nested locks)
    node = data.draw(st.sampled_from(list(tree.ids)))
    value = data.draw(st.floats(0, 300))
    locks = {(node, w): value for w in frame.columns}
    out = reconcile(frame, tree, method, locked=locks, nonnegative=nonneg)
    assert out.loc[node].tolist() == pytest.approx([value] * len(frame.columns), abs=1e-6)
    assert is_coherent(out, tree, rtol=1e-7)
    if nonneg:
        assert (out.to_numpy()[tree.leaves] >= -1e-7).all()


@settings(max_examples=40, deadline=None)
@given(problems())
def test_nonnegative_is_the_constrained_optimum(problem):
    """No feasible non-negative coherent point has a smaller WLS objective (checked against
    scipy's bounded least squares on the observed rows)."""
    from scipy.optimize import lsq_linear
    tree, frame = problem
    out = reconcile(frame, tree, "mint_wls_struct", nonnegative=True)
    S, var = tree.summing_matrix(sparse=False), tree.n_leaves.astype(float)
    for k, col in enumerate(frame.columns):
        y = frame[col].to_numpy()
        o = ~np.isnan(y)
        if not o.any():
            continue
        A = S[o] / np.sqrt(var[o])[:, None]
        rhs = y[o] / np.sqrt(var[o])
        ref = lsq_linear(A, rhs, bounds=(0, np.inf), method="bvls", tol=1e-12)
        ours = out[col].to_numpy()[tree.leaves]
        f_ours = np.sum((A @ ours - rhs) ** 2)
        assert f_ours <= ref.cost * 2 + 1e-6 * (1 + np.abs(rhs).max()) ** 2


def test_build_hierarchy_from_workbook_frames():
    inv = pd.DataFrame({"sku": ["s1", "s1", "s2"], "location": ["A", "B", "A"],
                        "category": ["Old", None, None]})
    products = pd.DataFrame({"sku": ["s1", "s2"], "category": ["Snacks", None]})
    fc = pd.DataFrame({"sku": [None, "s9"], "location": [None, None],
                       "category": ["Drinks", "Drinks"]})
    tree = build_hierarchy(inv, products, fc)
    nodes = tree.nodes.set_index("node")
    assert nodes.loc["sku=s1", "category"] == "Snacks"  # Products win over Inventory
    assert nodes.loc["sku=s2", "category"] == "(no category)"
    assert nodes.loc["sku=s9", "category"] == "Drinks"  # from the Forecast row itself
    assert bool(nodes.loc["sku=s9", "is_leaf"])  # a sku known only at sku level is a leaf
    assert nodes.loc["total", "n_leaves"] == 4
