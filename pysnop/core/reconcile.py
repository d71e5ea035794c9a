"""Forecast reconciliation on a :class:`~pysnop.core.hierarchy.Hierarchy`.

Public entry point: :func:`reconcile`. Base forecasts for any subset of nodes go in (a frame
indexed by node id, one column per week, NaN = no forecast); coherent forecasts for every
node come out (each parent equals the sum of its children). See docs/reconciliation.md.

The MinT estimators are computed with an exact two-pass algorithm on the tree instead of
forming ``S (S'W⁻¹S)⁻¹ S'W⁻¹``: for a diagonal ``W`` the weighted least-squares projection
onto coherent forecasts is a Gaussian tree model, so an upward pass (leaves → total) collects,
for each node, the best value of its subtree and that value's variance, and a downward pass
(total → leaves) shares each node's final value among its children. Cost O(nodes × weeks),
one numpy step per level and all weeks at once. It equals the generalised MinT formula
``ỹ = S (S_o'W_o⁻¹S_o)⁺ S_o'W_o⁻¹ ŷ_o`` on the observed rows ``o`` (the Moore–Penrose
solution, i.e. the minimum-norm leaves, when some leaves are not identified: they take equal
shares of what their nearest constrained ancestor leaves unexplained). Locked nodes are
zero-variance nodes (exact equality constraints); non-negativity is an active-set
(Lawson–Hanson) loop on top of the same solver.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NoReturn, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core.hierarchy import Hierarchy
from pysnop.errors import DataError

METHODS = ("bottom_up", "top_down", "mint_ols", "mint_wls_struct", "none")
_REL_TOL = 1e-9
_ZERO_SUM = 1e-8  # siblings' base forecasts summing to less than this share equally

Floats = NDArray[np.float64]
Flags = NDArray[np.bool_]
# {(node, week): value}, or a frame shaped like the base forecasts or long (node, week, value)
Locks: TypeAlias = "Mapping[tuple[object, object], object] | pd.DataFrame"


# ---------------------------------------------------------------------------------------
# the tree solver
# ---------------------------------------------------------------------------------------
def _tree_solve(tree: Hierarchy, y: Floats, var: Floats, lock: Floats) -> tuple[Floats, Flags]:
    """Weighted least squares over coherent values, all columns at once.

    Minimise Σ_j (y_j − x_j)² / var_j over observed j (y not NaN) subject to x = S b and
    x_j = lock_j where lock is not NaN. Returns (x, conflict) where conflict marks locked
    nodes whose locked value contradicts locks fully determining them from below.
    """
    n, t = y.shape
    parent, levels = tree.parent, tree.by_depth()
    obs, lk = ~np.isnan(y), ~np.isnan(lock)
    var = np.broadcast_to(var, (n, t))
    # children aggregates: sum of means, sum of variances (inf = a free direction below),
    # count of free leaves reachable through free nodes; a leaf's prior is one free leaf
    cm, cv, ck = np.zeros((n, t)), np.zeros((n, t)), np.zeros((n, t))
    leaf = tree.is_leaf
    cv[leaf], ck[leaf] = np.inf, 1.0
    m, v, k = np.zeros((n, t)), np.zeros((n, t)), np.zeros((n, t))
    scale = max(1.0, float(np.nanmax(np.abs(y), initial=0.0)),
                float(np.nanmax(np.abs(lock), initial=0.0)))
    conflict = np.zeros((n, t), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for idx in reversed(levels):
            M, V, K = cm[idx], cv[idx], ck[idx]
            yy, vv, ll = y[idx], var[idx], lock[idx]
            o, q = obs[idx], lk[idx]
            free = np.isinf(V)
            zero = V == 0
            post_v = np.where(free, vv, np.where(zero, 0.0, 1.0 / (1.0 / V + 1.0 / vv)))
            post_m = np.where(free, yy, np.where(zero, M, post_v * (M / V + yy / vv)))
            m[idx] = np.where(q, ll, np.where(o, post_m, M))
            v[idx] = np.where(q, 0.0, np.where(o, post_v, V))
            k[idx] = np.where(q | o | ~free, 0.0, K)
            conflict[idx] = q & zero & (np.abs(M - ll) > 1e-7 * scale)
            p = parent[idx]
            if len(idx) and p[0] >= 0:
                np.add.at(cm, p, m[idx])
                np.add.at(cv, p, v[idx])
                np.add.at(ck, p, k[idx])
        x = np.zeros((n, t))
        x[levels[0]] = m[levels[0]]
        for idx in levels[1:]:
            p = parent[idx]
            r = x[p] - cm[p]
            share = np.where(np.isinf(cv[p]), np.where(np.isinf(v[idx]), k[idx] / ck[p], 0.0),
                             np.where(cv[p] > 0, v[idx] / cv[p], 0.0))
            x[idx] = m[idx] + np.nan_to_num(share) * r
    return x, conflict


def _raise_conflict(tree: Hierarchy, conflict: Flags, weeks: pd.Index, why: str) -> NoReturn:
    i, j = np.argwhere(conflict)[0]
    raise DataError(f"locked value of {tree.ids[i]} in week {_label(weeks[j])} {why}",
                    sheet="Forecast", value=tree.ids[i])


def _label(week: object) -> str:
    try:
        return f"{pd.Timestamp(week):%Y-%m-%d}"
    except (ValueError, TypeError):
        return str(week)


def _nonneg_solve(tree: Hierarchy, y: Floats, var: Floats, lock: Floats, weeks: pd.Index,
                  max_rounds: int | None = None) -> Floats:
    """The W-norm projection with leaves ≥ 0 (locked leaves excepted) and locks exact.

    Lawson–Hanson active set run on all weeks at once: leaves in the active set Z are held
    at 0 (as zero-variance nodes); a clipping phase finds a feasible start, then the
    multipliers of Z are checked and the most violating leaf per week released, with the
    usual step back when a release drives another leaf negative.
    """
    n, t = y.shape
    leaves, parent, levels = tree.leaves, tree.parent, tree.by_depth()
    true_lock = ~np.isnan(lock)
    movable = ~true_lock[leaves]
    var = np.broadcast_to(var, (n, t))
    scale = max(1.0, float(np.nanmax(np.abs(y), initial=0.0)),
                float(np.nanmax(np.abs(lock), initial=0.0)))
    tol = 1e-9 * scale
    Z = np.zeros((len(leaves), t), dtype=bool)

    def solve(Z: Flags) -> Floats:
        lk = lock.copy()
        sub = lk[leaves]
        sub[Z] = 0.0
        lk[leaves] = sub
        x, conflict = _tree_solve(tree, y, var, lk)
        if conflict.any():
            _raise_conflict(tree, conflict, weeks,
                            "cannot be met with non-negative values below it")
        return x

    x = solve(Z)
    rounds = max_rounds or 10 * len(leaves) + 50
    for _ in range(rounds):  # clipping phase: a feasible start
        neg = (x[leaves] < 0) & movable & ~Z
        if not neg.any():
            break
        Z |= neg
        x = solve(Z)
    if not Z.any():
        return x
    b = np.where(Z, 0.0, x[leaves])
    # path residual sums h (gradient of the objective is -2h) and lock groups
    obs_free = ~np.isnan(y) & ~true_lock
    anc_lock = np.full((n, t), -1)
    for idx in levels:
        p = parent[idx]
        up = anc_lock[p] if len(idx) and p[0] >= 0 else np.full((len(idx), t), -1)
        anc_lock[idx] = np.where(true_lock[idx], idx[:, None], up)
    leaf_parent = parent[leaves]
    group = np.where(leaf_parent[:, None] >= 0, anc_lock[np.maximum(leaf_parent, 0)], -1)
    cols = np.broadcast_to(np.arange(t), (len(leaves), t))
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(rounds):
            r = np.where(obs_free, (y - x) / var, 0.0)
            h = np.zeros((n, t))
            for idx in levels:
                p = parent[idx]
                h[idx] = r[idx] + (h[p] if len(idx) and p[0] >= 0 else 0.0)
            hl = h[leaves]
            free = movable & ~Z
            key = (group + 1) * t + cols
            tot = np.bincount(key[free], hl[free], minlength=(n + 1) * t)
            cnt = np.bincount(key[free], minlength=(n + 1) * t)
            lam = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.inf)
            lam[:t] = 0.0  # leaves under no lock: multiplier 0
            excess = np.where(Z & movable, hl - lam[key], -np.inf)
            htol = 1e-9 * max(1.0, float(np.nanmax(np.abs(r), initial=0.0)))
            release_cols = excess.max(axis=0) > htol
            if not release_cols.any():
                break
            best = excess.argmax(axis=0)
            c = np.flatnonzero(release_cols)
            Z[best[c], c] = False
            for _inner in range(rounds):  # step back while the release breaks feasibility
                x = solve(Z)
                z = x[leaves]
                neg = (z < 0) & movable & ~Z
                bad = neg.any(axis=0)
                if not bad.any():
                    b = z.copy()
                    break
                ratio = np.where(neg, b / (b - z), np.inf)
                alpha = np.where(bad, ratio.min(axis=0), 1.0)
                b = np.where(bad, b + alpha * (z - b), z)
                Z |= (b <= tol) & movable & bad
                b[Z] = 0.0
    return solve(Z)


# ---------------------------------------------------------------------------------------
# methods
# ---------------------------------------------------------------------------------------
def _top_down(tree: Hierarchy, y: Floats, nonnegative: bool = False) -> Floats:
    """Forecast proportions (Athanasopoulos, Ahmed & Hyndman 2009), level by level: the
    top-most forecast of each branch is shared among the children of each node in proportion
    to each child's own base forecast over the sum of its siblings' (docs/reconciliation.md).

    A child without a base forecast weighs what lies beneath it (its children's weights,
    summed). Siblings whose weights sum to 0 share equally per child (as
    hierarchicalforecast does); siblings with no forecast at or below any of them share
    equally per leaf. ``nonnegative`` counts negative weights as 0.
    """
    n, t = y.shape
    parent, levels = tree.parent, tree.by_depth()
    own = np.clip(y, 0.0, None) if nonnegative else y
    weight = np.full((n, t), np.nan)
    child_sum, child_any = np.zeros((n, t)), np.zeros((n, t), dtype=bool)
    for idx in reversed(levels):
        weight[idx] = np.where(~np.isnan(own[idx]), own[idx],
                               np.where(child_any[idx], child_sum[idx], np.nan))
        p = parent[idx]
        if len(idx) and p[0] >= 0:
            np.add.at(child_sum, p, np.nan_to_num(weight[idx]))
            np.logical_or.at(child_any, p, ~np.isnan(weight[idx]))
    # child_sum / child_any now hold, for each parent, its children's weight sum / presence
    n_children = np.bincount(parent[parent >= 0], minlength=n).astype(float)
    n_leaves = tree.n_leaves.astype(float)
    x = np.full((n, t), np.nan)
    x[levels[0]] = y[levels[0]]
    for idx in levels[1:]:
        p = parent[idx]
        total = child_sum[p]
        zero = np.abs(total) < _ZERO_SUM
        share = np.where(~child_any[p], (n_leaves[idx] / n_leaves[p])[:, None],
                         np.where(zero, (1.0 / n_children[p])[:, None],
                                  np.nan_to_num(weight[idx]) / np.where(zero, 1.0, total)))
        x[idx] = np.where(np.isnan(x[p]), y[idx], x[p] * share)
    return tree.aggregate(np.nan_to_num(x[tree.leaves]))


def _bottom_up(tree: Hierarchy, y: Floats) -> Floats:
    """Leaves keep their base forecast; a leaf without one is filled from the forecasts
    above it (least squares, structural weights), 0 when nothing above is forecast."""
    leaves = tree.leaves
    lock = np.full(y.shape, np.nan)
    lock[leaves] = y[leaves]
    above = y.copy()
    above[leaves] = np.nan
    x, _ = _tree_solve(tree, above, tree.n_leaves.astype(float)[:, None], lock)
    return x


def _around_locks(tree: Hierarchy, x0: Floats, lock: Floats, nonnegative: bool,
                  weeks: pd.Index) -> Floats:
    """Smallest change to the leaves of a coherent x0 that meets the locks (and ≥ 0):
    variances proportional to each leaf's size, so a locked parent scales its leaves."""
    y2 = np.full(x0.shape, np.nan)
    leaves = tree.leaves
    y2[leaves] = x0[leaves]
    size = np.abs(x0[leaves])
    floor = 1e-6 * (1.0 + size.max(initial=0.0))
    var = np.ones(x0.shape)
    var[leaves] = size + floor
    return _solve(tree, y2, var, lock, nonnegative, weeks)


def _solve(tree: Hierarchy, y: Floats, var: Floats, lock: Floats, nonnegative: bool,
           weeks: pd.Index) -> Floats:
    if nonnegative:
        return _nonneg_solve(tree, y, var, lock, weeks)
    x, conflict = _tree_solve(tree, y, var, lock)
    if conflict.any():
        _raise_conflict(tree, conflict, weeks, "differs from the sum of the locked values below it")
    return x


def _lock_array(locked: Locks | None, ids: pd.Index, weeks: pd.Index) -> Floats:
    out = np.full((len(ids), len(weeks)), np.nan)
    if locked is None:
        return out
    items: Iterable[tuple[object, object, object]]
    if isinstance(locked, pd.DataFrame):
        if {"node", "week", "value"} <= set(locked.columns):
            items = zip(locked["node"], locked["week"], locked["value"])
        else:
            stacked = locked.stack()
            items = ((i, w, v) for (i, w), v in stacked.items())
    elif isinstance(locked, Mapping):
        items = ((i, w, v) for (i, w), v in locked.items())
    else:
        raise TypeError("locked must be a dict {(node, week): value} or a DataFrame")
    given = [(i, w, v) for i, w, v in items if v is not None and not pd.isna(v)]
    if not given:
        return out
    node, week, value = zip(*given)
    r = ids.get_indexer(pd.Index(node, dtype=object))
    c = weeks.get_indexer(pd.Index(week))
    if (r < 0).any():
        raise DataError(f"locked node {node[int(np.flatnonzero(r < 0)[0])]} is not in the "
                        "hierarchy", sheet="Forecast")
    if (c < 0).any():
        raise DataError(f"locked week {_label(week[int(np.flatnonzero(c < 0)[0])])} is not a "
                        "column of the base forecasts", sheet="Forecast")
    out[r, c] = np.asarray(value, dtype=float)
    return out


def reconcile(base: pd.DataFrame, tree: Hierarchy, method: str = "mint_wls_struct", *,
              locked: Locks | None = None, nonnegative: bool = False) -> pd.DataFrame:
    """Coherent forecasts for every node of ``tree`` from base forecasts for any of them.

    base: rows indexed by node id (see :class:`Hierarchy`), one column per week; NaN (or a
        node left out) = no forecast for that node and week.
    method: ``bottom_up``, ``top_down`` (forecast proportions), ``mint_ols``,
        ``mint_wls_struct`` or ``none`` (base kept as is; not coherent).
    locked: values that must come out exactly — ``{(node, week): value}``, a frame shaped
        like ``base`` (NaN = not locked) or a long frame with node, week, value.
    nonnegative: every leaf ≥ 0 (locked leaves keep their value whatever its sign); top_down
        also counts negative base forecasts as 0 weight. False gives the unconstrained
        textbook estimators.

    Returns a frame indexed by every node id (tree order), with the columns of ``base``.
    Raises DataError for a node id not in the tree, or locks that contradict each other.
    """
    if method not in METHODS:
        raise DataError(f'reconciliation method "{method}" is not one of {", ".join(METHODS)}',
                        sheet="Settings", value=method)
    ids, weeks = tree.ids, pd.Index(base.columns)
    pos = ids.get_indexer(pd.Index(base.index, dtype=object))
    if (pos < 0).any():
        raise DataError(f"forecast node {base.index[int(np.flatnonzero(pos < 0)[0])]} is not "
                        "in the hierarchy", sheet="Forecast")
    if pd.Index(base.index).duplicated().any():
        raise DataError(f"node {base.index[base.index.duplicated()][0]} appears twice in the "
                        "base forecasts", sheet="Forecast")
    y = np.full((len(ids), len(weeks)), np.nan)
    y[pos] = base.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    lock = _lock_array(locked, ids, weeks)
    any_lock = bool((~np.isnan(lock)).any())
    if method == "none":
        x = tree.aggregate(np.nan_to_num(y[tree.leaves]))
        x = np.where(np.isnan(y), x, y)
        x = np.where(np.isnan(lock), x, lock)
        if nonnegative:
            x = np.where(np.isnan(lock), np.maximum(x, 0.0), x)
    elif method in ("mint_ols", "mint_wls_struct"):
        var = np.ones((len(ids), 1)) if method == "mint_ols" else \
            tree.n_leaves.astype(float)[:, None]
        x = _solve(tree, y, var, lock, nonnegative, weeks)
    else:
        x = _bottom_up(tree, y) if method == "bottom_up" else _top_down(tree, y, nonnegative)
        if any_lock or (nonnegative and (x[tree.leaves] < 0).any()):
            x = _around_locks(tree, x, lock, nonnegative, weeks)
    return pd.DataFrame(x, index=ids, columns=base.columns)


def is_coherent(values: pd.DataFrame, tree: Hierarchy, rtol: float = 1e-9) -> bool:
    """True when every node equals the sum of its leaves (values indexed by node id)."""
    x = values.reindex(tree.ids).to_numpy(dtype=float)
    agg = tree.aggregate(x[tree.leaves])
    return bool(np.allclose(x, agg, rtol=rtol, atol=rtol * max(1.0, np.abs(x).max(initial=0))))
