"""The small array formulas of docs/semantics.md §1 shared by the bridge and the campaign
supply check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pysnop.core.model import STATUS_AT_RISK, STATUS_OK, STATUS_STOCKOUT

# Values are rounded to 1e-9 units before statuses are decided, so that fractions of weeks
# (3/7, ...) that cancel out on paper cannot turn an exact zero into a float-noise STOCKOUT.
DECIMALS = 9

Floats = NDArray[np.float64]


def weekly_status(poh: Floats, threshold: Floats) -> NDArray[np.int8]:
    """STOCKOUT if poh < 0, AT RISK if poh < threshold, else OK."""
    return np.where(poh < 0, STATUS_STOCKOUT,
                    np.where(poh < threshold, STATUS_AT_RISK, STATUS_OK)).astype(np.int8)


def running_sum(values: Floats) -> Floats:
    """Σ_{i≤w} values[:, i] for every w, as (lower-triangular ones) @ values.T, week-major."""
    horizon = values.shape[1]
    triangle = np.tril(np.ones((horizon, horizon)))
    sums: Floats = (triangle @ values.T).T
    return sums


def project(on_hand: Floats, receipts: Floats, demand: Floats) -> Floats:
    """poh[w] = on_hand + Σ_{i≤w} (receipts[i] − demand[i])."""
    return np.round(on_hand[:, None] + running_sum(receipts - demand), DECIMALS)


def cumulative_lost(poh: Floats) -> Floats:
    """Units lost up to each week in a lost-sales run (stock never below zero).

    With on_hand ≥ 0 the lost-sales stock is poh minus its running minimum below zero, so
    the units lost by week w are max(0, −min_{i≤w} poh[i]).
    """
    return np.maximum(0.0, -np.minimum.accumulate(poh, axis=1))


@dataclass
class Projection:
    """Every per-week and per-row figure of docs/semantics.md §1 that is pure arithmetic on the
    arrays."""

    lift_units: Floats
    demand: Floats
    poh: Floats
    threshold: Floats
    status: NDArray[np.int8]
    worst: NDArray[np.int8]  # per row
    any_risk: NDArray[np.bool_]
    first_risk: NDArray[np.intp]  # index of the first week not OK (0 where none)
    min_projected: Floats
    shortfall: Floats
    lost: Floats


def project_kernel(baseline: Floats, lift_factor: Floats, receipts: Floats,
                   on_hand: Floats, safety: Floats, risk_buffer: float) -> Projection:
    """The bridge's arithmetic on whole (sku-location × week) arrays: no loops, no pandas."""
    n, horizon = baseline.shape
    # The engine's hot path (see benchmarks/). Arrays are week-major in memory (Fortran
    # order) so that reductions across the few weeks of each row vectorise, and the running
    # sum is a product with a triangular matrix (one BLAS call) rather than np.cumsum, which
    # numpy does not vectorise across rows.
    baseline = np.asfortranarray(baseline, dtype=float)
    lift_units = np.multiply(baseline, np.asfortranarray(lift_factor, dtype=float))
    np.round(lift_units, DECIMALS, out=lift_units)
    demand = np.add(baseline, lift_units)
    np.round(demand, DECIMALS, out=demand)
    net = np.subtract(np.asfortranarray(receipts, dtype=float), demand)
    poh = running_sum(net)
    poh += on_hand[:, None]
    np.round(poh, DECIMALS, out=poh)
    threshold = np.multiply(lift_units, risk_buffer)
    threshold += safety[:, None]
    np.round(threshold, DECIMALS, out=threshold)
    at_risk = poh < threshold
    status = at_risk.view(np.int8).copy()
    status[poh < 0] = STATUS_STOCKOUT
    at_risk |= status > STATUS_OK
    if horizon == 0:
        zeros = np.zeros(n)
        return Projection(lift_units, demand, poh, threshold, status,
                          np.zeros(n, np.int8), np.zeros(n, bool), np.zeros(n, np.int64),
                          zeros, zeros, zeros)
    return Projection(
        lift_units, demand, poh, threshold, status,
        worst=status.max(axis=1), any_risk=at_risk.any(axis=1),
        first_risk=np.argmax(at_risk, axis=1), min_projected=poh.min(axis=1),
        shortfall=np.maximum(0.0, (threshold - poh).max(axis=1)),
        lost=np.maximum(-poh.min(axis=1), 0.0) + 0.0)  # + 0.0 turns -0.0 into 0.0


def summarise_projection(lift_units: Floats, demand: Floats, poh: Floats,
                         threshold: Floats, lost: Floats) -> Projection:
    """The per-row figures of docs/semantics.md §1 for a projection made elsewhere (the
    network's, §4).

    ``poh`` and ``threshold`` are already rounded; ``lost`` is units lost per row.
    """
    n, horizon = poh.shape
    status = weekly_status(poh, threshold)
    if horizon == 0:
        zeros = np.zeros(n)
        return Projection(lift_units, demand, poh, threshold, status, np.zeros(n, np.int8),
                          np.zeros(n, bool), np.zeros(n, np.int64), zeros, zeros, zeros)
    at_risk = status > STATUS_OK
    # numpy's stubs type any(axis=…) as "a bool or an array"; on a 2-d array it is the array
    any_risk = np.asarray(at_risk.any(axis=1))
    return Projection(
        lift_units, demand, poh, threshold, status,
        worst=status.max(axis=1), any_risk=any_risk,
        first_risk=np.argmax(at_risk, axis=1), min_projected=poh.min(axis=1),
        shortfall=np.maximum(0.0, (threshold - poh).max(axis=1)),
        lost=np.asarray(lost, dtype=float) + 0.0)

