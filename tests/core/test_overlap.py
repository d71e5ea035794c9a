"""The second thread of plan_actions (core.actions.overlapping): used up to OVERLAP_ROWS
Bridge rows, not above; the plan is the same either way, and a failure surfaces where the
sequential run raised it (pipeline.actions.submit)."""

from __future__ import annotations

import pandas as pd
import pytest
from plans import build_plan, weekly

import pysnop.core.actions as actions
from pysnop.core.bridge import run_bridge
from pysnop.pipeline.actions import submit


def test_a_pool_up_to_the_limit_and_none_above():
    with actions.overlapping(actions.OVERLAP_ROWS, "t") as pool:
        assert pool is not None and pool.submit(sum, [1, 2]).result() == 3
    with actions.overlapping(actions.OVERLAP_ROWS + 1, "t") as pool:
        assert pool is None


def test_the_plan_is_the_same_with_and_without_the_second_thread(monkeypatch):
    # S1 short from week 1 (20 a week on 20), S2 and S3 with spare: a transfer LP, new
    # orders and expedites all get made, on either thread
    inv = [{"sku": "A", "location": "S1", "on_hand": 20, "unit_margin": 5.0},
           {"sku": "A", "location": "S2", "on_hand": 80, "safety_stock": 10},
           {"sku": "A", "location": "S3", "on_hand": 40, "safety_stock": 5}]
    fc = weekly("A", "S1", [20] * 4) + weekly("A", "S2", [10] * 4) + weekly("A", "S3", [5] * 4)
    plan = build_plan(inv, fc, horizon_weeks=4)
    result = run_bridge(plan)
    overlapped = actions.plan_actions(plan, result)
    monkeypatch.setattr(actions, "OVERLAP_ROWS", 0)
    in_turn = actions.plan_actions(plan, result)
    assert "TRANSFER" in set(overlapped.proposals["type"])
    for got, want in zip((in_turn.proposals, in_turn.risks, in_turn.cover),
                         (overlapped.proposals, overlapped.risks, overlapped.cover)):
        pd.testing.assert_frame_equal(got, want)


def test_a_failure_is_raised_where_the_result_is_asked_for():
    def fails():
        raise ArithmeticError("absurd numbers")

    done = submit(None, fails)  # in turn: nothing raised yet
    with pytest.raises(ArithmeticError, match="absurd"):
        done.result()
    assert submit(None, sum, [1, 2]).result() == 3
