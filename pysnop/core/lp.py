"""Linear and mixed-integer programs, solved by HiGHS through its own Python binding (highspy).

scipy's ``linprog(method="highs")`` and ``milp`` drive the same solver; highspy is used
directly because importing ``scipy.optimize`` costs a fresh ``pysnop recalc`` about a quarter
of a second (it loads all of scipy.optimize, linalg and fft), more than the transfer LPs
themselves take at 4,000 sku-locations (benchmarks/, README "Benchmarks").

A problem is given as a sparse matrix in coordinate form (row, column, value triplets; repeated
entries are summed, as scipy.sparse does) with ``A x ≤ b`` rows and column bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Triplets:
    """A sparse matrix in coordinate form: ``value[k]`` at (``row[k]``, ``col[k]``)."""

    row: Ints
    col: Ints
    value: Floats
    shape: tuple[int, int]

    def select(self, rows: Ints, cols: Ints) -> Triplets:
        """The submatrix of ``rows`` × ``cols`` (both sorted, unique), renumbered from 0."""
        new_row = np.full(self.shape[0], -1, dtype=np.int64)
        new_row[rows] = np.arange(len(rows))
        new_col = np.full(self.shape[1], -1, dtype=np.int64)
        new_col[cols] = np.arange(len(cols))
        r, c = new_row[self.row], new_col[self.col]
        keep = (r >= 0) & (c >= 0)
        return Triplets(r[keep], c[keep], self.value[keep], (len(rows), len(cols)))


class _Quiet(highspy.Highs):
    """A Highs that prints nothing: ``Highs()`` sets its callbacks while ``output_flag`` is
    still on, which writes HiGHS's banner to the process's stdout (HiGHS issue #1702); pysnop
    uses no callbacks, so they are never set."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # highspy is untyped

    def enableCallbacks(self) -> None:  # noqa: N802 (highspy's name)
        return None


def _row_wise(m: Triplets) -> tuple[NDArray[np.int32], NDArray[np.int32], Floats]:
    """(start, index, value) of ``m`` in compressed rows, repeated entries summed."""
    key = m.row * m.shape[1] + m.col
    uniq, inverse = np.unique(key, return_inverse=True)
    value = np.zeros(len(uniq))
    np.add.at(value, inverse.reshape(-1), m.value)
    row, col = uniq // m.shape[1], uniq % m.shape[1]
    start = np.zeros(m.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=m.shape[0]), out=start[1:])
    return start.astype(np.int32), col.astype(np.int32), value


def solve(cost: Floats, a_ub: Triplets, b_ub: Floats, lower: Floats, upper: Floats, *,
          integer: NDArray[np.bool_] | None = None, time_limit: float | None = None,
          mip_rel_gap: float | None = None) -> Floats | None:
    """Minimise ``cost · x`` subject to ``a_ub x ≤ b_ub`` and ``lower ≤ x ≤ upper`` (``integer``
    marks whole-number variables). The solution, or None when HiGHS finds none: an LP must
    be solved to optimality; a MIP stopped by ``time_limit`` keeps its best feasible point."""
    h = _Quiet()
    h.setOptionValue("output_flag", False)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if mip_rel_gap is not None:
        h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a_ub.shape[1], a_ub.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.asarray(lower, dtype=float)
    lp.col_upper_ = np.asarray(upper, dtype=float)
    lp.row_lower_ = np.full(a_ub.shape[0], -highspy.kHighsInf)
    lp.row_upper_ = np.asarray(b_ub, dtype=float)
    start, index, value = _row_wise(a_ub)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = start, index, value
    if h.passModel(lp) != highspy.HighsStatus.kOk:
        return None
    whole = np.flatnonzero(integer) if integer is not None else np.zeros(0, dtype=np.int64)
    is_mip = len(whole) > 0
    if is_mip:
        kind = np.full(len(whole), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
        if h.changeColsIntegrality(len(whole), whole.astype(np.int32), kind) \
                != highspy.HighsStatus.kOk:
            return None
    if h.run() == highspy.HighsStatus.kError:
        return None
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal and not (
            is_mip and h.getInfo().primal_solution_status == 2):  # 2: a feasible point
        return None
    return np.asarray(h.getSolution().col_value, dtype=float)
