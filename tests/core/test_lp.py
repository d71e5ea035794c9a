"""pysnop.core.lp: HiGHS through highspy, on problems small enough to solve by hand."""

from __future__ import annotations

import numpy as np

from pysnop.core.lp import Triplets, solve


def _m(entries: list[tuple[int, int, float]], shape: tuple[int, int]) -> Triplets:
    r, c, v = zip(*entries)
    return Triplets(np.array(r), np.array(c), np.array(v, dtype=float), shape)


def test_lp_optimum_by_hand():
    # maximise x + 2y with x + y ≤ 4, x ≤ 3: every unit of the shared 4 goes to y (worth 2)
    x = solve(np.array([-1.0, -2.0]), _m([(0, 0, 1), (0, 1, 1)], (1, 2)), np.array([4.0]),
              np.zeros(2), np.array([3.0, np.inf]))
    assert x is not None
    assert np.allclose(x, [0.0, 4.0])


def test_repeated_entries_are_summed():
    # (0, 0) given twice as 1 + 1: the row reads 2x ≤ 5, so x = 2.5
    x = solve(np.array([-1.0]), _m([(0, 0, 1), (0, 0, 1)], (1, 1)), np.array([5.0]),
              np.zeros(1), np.array([np.inf]))
    assert x is not None
    assert np.allclose(x, [2.5])


def test_integer_variables():
    # maximise 5a + 4b with 6a + 4b ≤ 24, a + 2b ≤ 6: the LP optimum is a = 3, b = 1.5
    # (value 21); with whole numbers, a = 4, b = 0 (value 20) beats a = 3, b = 1 (19)
    a = _m([(0, 0, 6), (0, 1, 4), (1, 0, 1), (1, 1, 2)], (2, 2))
    args = (np.array([-5.0, -4.0]), a, np.array([24.0, 6.0]), np.zeros(2),
            np.full(2, np.inf))
    lp = solve(*args)
    assert lp is not None and np.allclose(lp, [3.0, 1.5])
    mip = solve(*args, integer=np.array([True, True]))
    assert mip is not None and np.allclose(mip, [4.0, 0.0])


def test_infeasible_gives_none():
    # x ≤ -1 with x ≥ 0
    assert solve(np.array([1.0]), _m([(0, 0, 1)], (1, 1)), np.array([-1.0]), np.zeros(1),
                 np.array([np.inf])) is None


def test_select_renumbers_the_submatrix():
    m = _m([(0, 0, 1), (0, 2, 2), (1, 1, 3), (2, 2, 4)], (3, 3))
    sub = m.select(np.array([0, 2]), np.array([2]))
    assert sub.shape == (2, 1)
    assert sorted(zip(sub.row.tolist(), sub.col.tolist(), sub.value.tolist())) == [
        (0, 0, 2.0), (1, 0, 4.0)]


def test_solving_prints_nothing(capfd):
    # highspy's Highs() writes a banner to the process's stdout (C level) unless its
    # callbacks are left unset; pysnop's --json output must stay clean
    solve(np.array([-1.0]), _m([(0, 0, 1)], (1, 1)), np.array([1.0]), np.zeros(1),
          np.array([np.inf]), integer=np.array([True]))
    out, err = capfd.readouterr()
    assert out == "" and err == ""
