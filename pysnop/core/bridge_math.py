"""The small array formulas of SPEC §3 shared by the bridge and the campaign supply check."""

from __future__ import annotations

import numpy as np

from pysnop.core.model import STATUS_AT_RISK, STATUS_OK, STATUS_STOCKOUT

# Values are rounded to 1e-9 units before statuses are decided, so that fractions of weeks
# (3/7, ...) that cancel out on paper cannot turn an exact zero into a float-noise STOCKOUT.
DECIMALS = 9


def weekly_status(poh: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """STOCKOUT if poh < 0, AT RISK if poh < threshold, else OK."""
    return np.where(poh < 0, STATUS_STOCKOUT,
                    np.where(poh < threshold, STATUS_AT_RISK, STATUS_OK)).astype(np.int8)


def project(on_hand: np.ndarray, receipts: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """poh[w] = on_hand + Σ_{i≤w} (receipts[i] − demand[i])."""
    return np.round(on_hand[:, None] + np.cumsum(receipts - demand, axis=1), DECIMALS)


def cumulative_lost(poh: np.ndarray) -> np.ndarray:
    """Units lost up to each week in a lost-sales run (stock never below zero).

    With on_hand ≥ 0 the lost-sales stock is poh minus its running minimum below zero, so
    the units lost by week w are max(0, −min_{i≤w} poh[i]).
    """
    return np.maximum(0.0, -np.minimum.accumulate(poh, axis=1))
