"""What a remedy is worth: lost units avoided per week × unit margin per week, in one place.

Every proposer values what it saves (and what a marketing remedy gives up) through these
functions, on (… × week) arrays, so that a margin that differs by week — promo margin in a
campaign's weeks (docs/semantics.md, "Promotion economics") — plugs in by handing
:func:`weekly_margin` another array; nothing else changes. Until then the margin of every week
is the item's regular unit margin.

Lost units are those of the lost-sales run of docs/semantics.md §1: stock never below zero, so
the units lost up to week w are ``max(0, −min_{i≤w} poh[i])`` and a week's lost units are the
step of that running figure. A remedy that changes the projection from ``before`` to ``after``
avoids ``lost_before[w] − lost_after[w]`` units in week w (negative where it makes a later week
worse, as moving a campaign can).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pysnop.core.bridge_math import DECIMALS

Array = NDArray[np.float64]


def weekly_margin(unit_margin: NDArray[np.float64], horizon: int,
                  override: NDArray[np.float64] | None = None) -> Array:
    """Unit margin per row and week, shape (rows, horizon); 0 where the margin is unknown.

    ``override`` (same shape) is the hook for a margin that differs by week (promo margin);
    without it every week carries the row's regular ``unit_margin``.
    """
    if override is not None:
        out = np.asarray(override, dtype=float)
        if out.shape != (len(unit_margin), horizon):
            raise ValueError(f"weekly margin has shape {out.shape}, expected "
                             f"{(len(unit_margin), horizon)}")
        return np.asarray(np.nan_to_num(out, nan=0.0), dtype=float)
    base = np.nan_to_num(np.asarray(unit_margin, dtype=float), nan=0.0)
    return np.repeat(base[:, None], horizon, axis=1)


def cumulative_lost(poh: Array) -> Array:
    """Units lost up to each week (last axis) in a lost-sales run of ``poh``."""
    rounded = np.round(poh, DECIMALS)
    return np.maximum(0.0, -np.minimum.accumulate(rounded, axis=-1))


def lost_by_week(poh: Array) -> Array:
    """Units lost in each week (last axis) in a lost-sales run of ``poh``."""
    cum = cumulative_lost(poh)
    if cum.shape[-1] == 0:
        return cum
    return np.diff(cum, axis=-1, prepend=0.0)


def avoided_by_week(poh_before: Array, poh_after: Array) -> Array:
    """Lost units avoided in each week when the projection changes from before to after."""
    return lost_by_week(poh_before) - lost_by_week(poh_after)


def protected(poh_before: Array, poh_after: Array, margin: Array) -> tuple[Array, Array]:
    """(units avoided, margin protected) per leading index: Σ_w avoided[w] and Σ_w avoided[w] × m[w].

    ``margin`` broadcasts against the projections (… × week).
    """
    avoided = avoided_by_week(poh_before, poh_after)
    return avoided.sum(axis=-1), (avoided * margin).sum(axis=-1)


def worth(units_by_week: Array, margin: Array) -> Array:
    """Σ_w units[w] × m[w]: the margin of units sold (or given up) week by week."""
    return np.asarray((units_by_week * margin).sum(axis=-1), dtype=float)


def protected_over_rows(lost_before: Array, lost_after: Array, margin: Array,
                        owner: NDArray[np.int64], k: int) -> tuple[Array, Array]:
    """(units avoided, margin protected) of k remedies whose lost units come from re-running
    the network: row j of the (rows × week) arrays belongs to remedy ``owner[j]`` (every row
    its re-run projects), and remedy r protects Σ over its rows and weeks of
    (lost_before − lost_after) × m[w] (docs/semantics.md, "Remedies through the network").
    """
    avoided = np.round(np.asarray(lost_before, dtype=float) - np.asarray(lost_after, dtype=float),
                       DECIMALS)
    units = np.bincount(owner, weights=avoided.sum(axis=-1), minlength=k)
    money = np.bincount(owner, weights=(avoided * margin).sum(axis=-1), minlength=k)
    return np.asarray(units, dtype=float), np.asarray(money, dtype=float)
