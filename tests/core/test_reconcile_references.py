"""The four reconciliation methods against independent references, with non-negativity
off (the unconstrained textbook estimators) and on.

References: the closed form MinT P = (SᵀW⁻¹S)⁻¹SᵀW⁻¹ computed here with numpy; a plain loop
of the textbook forecast-proportions formula (Athanasopoulos, Ahmed & Hyndman 2009); scipy's
bounded least squares for non-negative MinT; and hierarchicalforecast, the held-out
reference for all four methods with non-negativity on and off. hierarchicalforecast is in
the ``dev`` extra (never a dependency of pysnop), which CI's slow pass installs; that test is
marked slow, so the default run (the ``test`` extra) does not select it.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import lsq_linear

from pysnop.core.hierarchy import Hierarchy
from pysnop.core.reconcile import reconcile


def tree_of(pairs, categories):
    return Hierarchy.from_keys(pd.DataFrame(pairs, columns=["sku", "location"]), categories)


SMALL = tree_of([("s1", "L"), ("s1", "M"), ("s2", "L"), ("s3", "L")],
                {"s1": "C1", "s2": "C1", "s3": "C2"})


def variances(tree, method):
    return np.ones(len(tree)) if method == "mint_ols" else tree.n_leaves.astype(float)


def closed_form_mint(tree, y, var):
    """ỹ = S (SᵀW⁻¹S)⁻¹ SᵀW⁻¹ ŷ with every node forecast (the textbook estimator)."""
    S = tree.summing_matrix(sparse=False)
    Wi = np.diag(1.0 / var)
    P = np.linalg.inv(S.T @ Wi @ S) @ S.T @ Wi
    return S @ P @ y


def textbook_top_down(tree, y):
    """Forecast proportions by the book, one node at a time: the total's base forecast,
    then each child = parent's reconciled value × own base ÷ Σ siblings' base (equal
    split when that sum is 0)."""
    parent = tree.parent
    x = np.zeros_like(y)
    order = np.argsort(tree.depth, kind="stable")
    for node in order:
        p = parent[node]
        if p < 0:
            x[node] = y[node]
            continue
        siblings = np.flatnonzero(parent == p)
        total = y[siblings].sum(axis=0)
        x[node] = np.where(np.abs(total) < 1e-8, x[p] / len(siblings),
                           x[p] * y[node] / np.where(np.abs(total) < 1e-8, 1.0, total))
    return x


def frame(tree, y):
    return pd.DataFrame(y, index=tree.ids, columns=[f"w{k}" for k in range(y.shape[1])])


@pytest.mark.parametrize("method", ["mint_ols", "mint_wls_struct"])
def test_mint_without_nonnegativity_is_the_closed_form(method):
    # every node forecast, some negative and the leaves far from the total: the textbook
    # estimator has negative leaves, and with nonnegative=False they stay
    y = np.array([[10.0, 50], [60, 20], [-30, 30], [40, 5], [5, 5], [-20, 10],
                  [30, 1], [25, 2], [-10, 3], [40, 4]])
    assert len(SMALL) == len(y)
    out = reconcile(frame(SMALL, y), SMALL, method, nonnegative=False).to_numpy()
    expected = closed_form_mint(SMALL, y, variances(SMALL, method))
    np.testing.assert_allclose(out, expected, atol=1e-9)
    assert (expected[SMALL.leaves] < 0).any()  # the case does exercise the constraint


@pytest.mark.parametrize("method", ["mint_ols", "mint_wls_struct"])
def test_nonnegative_mint_is_the_exact_constrained_optimum(method):
    # same base forecasts; with every node forecast S has full column rank, so the
    # non-negative optimum is unique and scipy's BVLS finds it exactly
    y = np.array([[10.0, 50], [60, 20], [-30, 30], [40, 5], [5, 5], [-20, 10],
                  [30, 1], [25, 2], [-10, 3], [40, 4]])
    out = reconcile(frame(SMALL, y), SMALL, method, nonnegative=True).to_numpy()
    S, var = SMALL.summing_matrix(sparse=False), variances(SMALL, method)
    A = S / np.sqrt(var)[:, None]
    for k in range(y.shape[1]):
        ref = lsq_linear(A, y[:, k] / np.sqrt(var), bounds=(0, np.inf), method="bvls",
                         tol=1e-14)
        np.testing.assert_allclose(out[SMALL.leaves, k], ref.x, atol=1e-8)
        np.testing.assert_allclose(out[:, k], S @ ref.x, atol=1e-8)


def test_bottom_up_keeps_negative_leaves_only_without_nonnegativity():
    # leaves 4, −3 (s1@L, s1@M), 2, 1: textbook bottom-up sums them (s1 = 1, total 4);
    # with nonnegative the −3 leaf becomes 0 (nothing above is forecast to share it)
    y = np.full((len(SMALL), 1), np.nan)
    leaves = SMALL.leaves
    y[leaves, 0] = [4, -3, 2, 1]
    free = reconcile(frame(SMALL, y), SMALL, "bottom_up", nonnegative=False)["w0"]
    assert free["sku=s1"] == 1 and free["total"] == 4
    assert free["sku=s1|location=M"] == -3
    clipped = reconcile(frame(SMALL, y), SMALL, "bottom_up", nonnegative=True)["w0"]
    assert clipped["sku=s1|location=M"] == 0 and clipped["total"] == 7


@st.composite
def full_problems(draw, low=0.5, min_categories=1):
    n_cat = draw(st.integers(min_categories, 3))
    pairs, cats = [], {}
    for c in range(n_cat):
        for s in range(draw(st.integers(1, 3))):
            sku = f"c{c}s{s}"
            cats[sku] = f"C{c}"
            pairs += [(sku, f"L{j}") for j in range(draw(st.integers(1, 3)))]
    tree = tree_of(pairs, cats)
    t = draw(st.integers(1, 3))
    y = np.array(draw(st.lists(st.floats(low, 200), min_size=len(tree) * t,
                               max_size=len(tree) * t))).reshape(len(tree), t)
    return tree, y


@settings(max_examples=60, deadline=None)
@given(full_problems(), st.booleans())
def test_top_down_is_the_textbook_forecast_proportions(problem, nonneg):
    tree, y = problem
    out = reconcile(frame(tree, y), tree, "top_down", nonnegative=nonneg).to_numpy()
    np.testing.assert_allclose(out, textbook_top_down(tree, y), rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(full_problems(low=-100))
def test_top_down_without_nonnegativity_keeps_negative_proportions(problem):
    tree, y = problem
    out = reconcile(frame(tree, y), tree, "top_down", nonnegative=False).to_numpy()
    expected = textbook_top_down(tree, y)
    np.testing.assert_allclose(out, expected, rtol=1e-7,
                               atol=1e-7 * (1 + np.abs(expected).max()))


@settings(max_examples=40, deadline=None)
@given(full_problems(low=-100), st.sampled_from(["mint_ols", "mint_wls_struct"]))
def test_mint_is_the_closed_form_on_random_full_trees(problem, method):
    tree, y = problem
    out = reconcile(frame(tree, y), tree, method, nonnegative=False).to_numpy()
    expected = closed_form_mint(tree, y, variances(tree, method))
    np.testing.assert_allclose(out, expected, atol=1e-7 * (1 + np.abs(expected).max()))


# ---------------------------------------------------------------------------------------
@pytest.mark.slow  # the reference and its solvers load in seconds (CI's slow pass, dev extra)
@pytest.mark.filterwarnings("ignore")  # the reference's solver chatters about sparse formats
@settings(max_examples=25, deadline=None)
@given(full_problems(low=0.0, min_categories=2), st.booleans())
def test_all_four_methods_match_hierarchicalforecast(problem, nonneg):
    # (two categories at least: with a single one, hierarchicalforecast's top-down picks
    # the category instead of the total as its top node when their S rows tie)
    methods = pytest.importorskip("hierarchicalforecast.methods")
    tree, y = problem
    # make some leaves large against their total so that non-negative MinT binds
    y = y.copy()
    y[0] = y[0] / 10
    S = tree.summing_matrix(sparse=False)
    level = tree.nodes["level"].to_numpy()
    tags = {name: np.flatnonzero(level == name)
            for name in ("total", "category", "sku", "sku_location")}
    refs = {"bottom_up": methods.BottomUp().fit_predict(S=S, y_hat=y),
            "top_down": methods.TopDown("forecast_proportions").fit_predict(S=S, y_hat=y,
                                                                             tags=tags),
            "mint_ols": methods.MinTrace("ols", nonnegative=nonneg).fit_predict(S=S, y_hat=y),
            "mint_wls_struct": methods.MinTrace("wls_struct", nonnegative=nonneg)
            .fit_predict(S=S, y_hat=y)}
    for name, ref in refs.items():
        out = reconcile(frame(tree, y), tree, name, nonnegative=nonneg).to_numpy()
        # hierarchicalforecast returns its non-negative solution in float32
        np.testing.assert_allclose(out, ref["mean"], rtol=1e-5,
                                   atol=1e-4 * (1 + np.abs(ref["mean"]).max()), err_msg=name)
