"""DecisionLog.frame with ``columns``: only those are read (the Review reads a run's proposals
without their kilobyte of bound values each), in the order asked; a name the table does not
have is refused, never put into the SQL."""

import datetime as dt

import pandas as pd
import pytest

from pysnop.store.decision_log import DecisionLog

AT = dt.datetime(2026, 11, 16, 9, 30)


def test_the_columns_asked_for_and_no_others(tmp_path):
    proposals = pd.DataFrame({"action_id": ["A-2", "A-1"], "type": ["TRANSFER", "EXPEDITE"],
                              "reason": ["ship", "pull in"], "rank": [2, 1], "qty": [5.0, 7.0],
                              "risk_id": ["R1", None]})
    with DecisionLog(tmp_path / "log.sqlite") as log:
        run = log.record_run(kind="recalc", at=AT, proposals=proposals, account="ann")
        whole = log.frame("proposals", "WHERE run_id = ? ORDER BY rank", (run,))
        some = log.frame("proposals", "WHERE run_id = ? ORDER BY rank", (run,),
                         columns=["reason", "action_id", "risk_id"])
        assert "detail" in whole.columns  # the bound values, which the Review does not need
        assert list(some.columns) == ["reason", "action_id", "risk_id"]
        assert some["action_id"].tolist() == ["A-1", "A-2"]
        assert some["reason"].tolist() == ["pull in", "ship"]
        assert some["risk_id"].isna().tolist() == [True, False] and some["risk_id"][1] == "R1"
        pd.testing.assert_frame_equal(some, whole[["reason", "action_id", "risk_id"]])
        with pytest.raises(ValueError, match="no column"):
            log.frame("proposals", columns=["action_id; DROP TABLE runs"])
