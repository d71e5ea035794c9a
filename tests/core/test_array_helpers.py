"""The array helpers the proposers build reasons and groups with (issue 16: vectorised reasons).

Each expected value is worked by hand from the helper's contract in its docstring.
"""

from __future__ import annotations

import numpy as np

from pysnop.core.action_context import join_by, percent, percents, units, units_text
from pysnop.core.campaign_remedies import sum_by
from pysnop.core.risks import RiskBook


def test_join_by_keeps_the_given_order_and_fills_owners_without_text() -> None:
    # owner 2 gets S03 then S01 (the order given, not sorted); owner 0 gets S02 alone;
    # owner 1 and 3 have none
    out = join_by(np.array(["S03", "S02", "S01"], dtype=object), np.array([2, 0, 2]), 4)
    assert out.tolist() == ["S02", "", "S03, S01", ""]
    assert join_by(np.array(["A"], dtype=object), np.array([0]), 2, empty=None).tolist() == \
        ["A", None]
    assert join_by(np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64), 1).tolist() == [""]


def test_units_text_and_percents_say_what_units_and_percent_say() -> None:
    # 120 is whole -> "120"; 12.5 -> "12.5"; 1234.0000001 is within 1e-6 of whole -> "1,234";
    # 0.04 -> one decimal "0.0"
    values = [120.0, 12.5, 1234.0000001, 0.04]
    assert units_text(values) == ["120", "12.5", "1,234", "0.0"]
    assert units_text(values) == [units(v) for v in values]
    # 0.35 -> "35%", 0.125 -> "12.5%", repeated values formatted alike
    assert percents([0.35, 0.125, 0.35]) == ["35%", "12.5%", "35%"]
    assert percents([0.35, 0.125]) == [percent(0.35), percent(0.125)]


def test_sum_by_adds_rows_per_index_like_add_at() -> None:
    # index 0 gets rows 0 and 2: [1 + 5, 2 + 6] = [6, 8]; index 1 gets row 1: [3, 4]; index 2
    # nothing
    values = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert sum_by(np.array([0, 1, 0]), values, 3).tolist() == [[6.0, 8.0], [3.0, 4.0],
                                                               [0.0, 0.0]]
    assert sum_by(np.array([1, 1]), np.array([0.5, 0.25]), 2).tolist() == [0.0, 0.75]


def test_cell_at_finds_each_risk_row_pair_and_minus_one_elsewhere() -> None:
    # cells: 0 = (risk 0, row 7), 1 = (risk 1, row 3), 2 = (risk 0, row 3)
    h = 2
    book = RiskBook(
        risk_id=np.array(["R0", "R1"], dtype=object), kind=np.array(["a", "b"], dtype=object),
        campaigns=[[], []], counted=np.ones(2, dtype=bool), cell_risk=np.array([0, 1, 0]),
        cell_row=np.array([7, 3, 3]), cell_gap=np.zeros((3, h)), cell_lost=np.zeros((3, h)),
        cell_stockout=np.zeros(3, dtype=bool), row_risk=np.full(8, -1),
        campaign_risk=np.zeros(0, dtype=np.int64))
    got = book.cell_at(np.array([0, 1, 0, 1, 0]), np.array([3, 3, 7, 7, 9]))
    assert got.tolist() == [2, 1, 0, -1, -1]
    assert book.cell_at(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []
