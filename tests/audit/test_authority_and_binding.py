"""The pure rules: who decides (core.authority) and what an approval binds (core.binding)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pysnop.core.authority import Runner, decide_as
from pysnop.core.binding import (
    rebind,
    restore_deleted,
    restore_owned,
    values_fingerprint,
    values_json,
)
from pysnop.core.decisions import (
    APPROVED,
    NEEDS_REAPPROVAL,
    PROPOSED,
    Approvers,
    Known,
    merge,
    review_edits,
)

T0 = dt.datetime(2026, 11, 18, 9)
APPROVERS = Approvers([("Ann Lee", "Supply", "alee"), ("Mo", "Marketing", None),
                       ("Zed", "Supply", None)])


@pytest.mark.parametrize("typed, runner, decider, why", [
    # nobody declared (a scheduler): the typed name decides; the account is only recorded
    ("Zed", Runner("svc"), "Zed", None),
    # ... unless the list ties the person to an account
    ("ann lee", Runner("svc"), "ann lee", "ann lee's decisions count only from the account "
                                          "alee (Approvers account), and pysnop ran as svc"),
    ("Ann Lee", Runner("ALEE"), "Ann Lee", None),
    # a blank cell: the person whose account runs pysnop
    (None, Runner("alee"), "Ann Lee", None),
    (None, Runner("svc"), "svc", "svc is not listed as a Supply approver (listed: Ann Lee, "
                                 "Zed)"),
    # a declared user decides as themselves only
    ("Zed", Runner("alee", "Ann Lee"), "Zed",
     "typed under Zed, but the deciding user is Ann Lee; a decision is recorded as the person "
     "who makes it: Zed must decide it as themselves, or clear the approver cell"),
    (None, Runner("alee", "alee"), "Ann Lee", None),  # declared by account
    ("Ann Lee", Runner("alee", "alee"), "Ann Lee", None),
    ("alee", Runner("alee", "Ann Lee"), "Ann Lee", None),
    ("Zed", Runner("svc", "zed"), "zed", None),
    (None, Runner("svc", "Ann Lee"), "Ann Lee", "Ann Lee's decisions count only from the "
                                                "account alee (Approvers account), and pysnop "
                                                "ran as svc"),
])
def test_who_decides(typed, runner, decider, why):
    assert decide_as(APPROVERS, typed, "Supply", runner, "fallback") == (decider, why)


def test_without_a_runner_the_user_decides_as_before():
    assert decide_as(APPROVERS, None, "Supply", None, "Zed") == ("Zed", None)
    assert decide_as(APPROVERS, None, "Supply", None, "mallory")[1].startswith("mallory is not")


def rows(**values):
    base = {"action_id": "ORD-1", "type": "NEW_ORDER", "owner": "Supply", "sku": "00123",
            "location": "S01", "qty": 10.0, "week": dt.datetime(2026, 11, 30), "rank": 1.0,
            "status": None, "approver": None, "row": 4.0}
    base.update(values)
    return pd.DataFrame([base])


def test_fingerprint_normalises_types():
    a = {"type": "NEW_ORDER", "qty": np.int64(10), "week": pd.Timestamp("2026-11-30"),
         "sku": " 00123 "}
    b = {"type": "NEW_ORDER", "qty": 10.0, "week": dt.date(2026, 11, 30), "sku": "00123",
         "location": float("nan")}
    assert values_fingerprint(a) == values_fingerprint(b)
    assert values_fingerprint({**b, "qty": 10.5}) != values_fingerprint(b)


def test_an_approval_binds_the_values_and_a_changed_rerun_asks_again():
    reviewed = review_edits(rows(status=APPROVED, approver="Zed"), {}, APPROVERS, "x", T0,
                            runner=Runner("svc"))
    [event] = reviewed.events
    assert (event.who, event.account, event.fingerprint) == (
        "Zed", "svc", values_fingerprint(rows().iloc[0].to_dict()))
    assert '"qty": 10.0' in event.detail and '"week": "2026-11-30"' in event.detail
    same = rows(qty=10.0).drop(columns=["status", "approver", "row"])
    out, events = merge(reviewed.rows, same, T0)
    assert out.loc[0, "status"] == APPROVED and events == []
    # a re-run: 992 -> 1,192
    changed = rows(qty=1192.0).drop(columns=["status", "approver", "row"])
    out, events = merge(reviewed.rows, changed, T0)
    assert (out.loc[0, "status"], out.loc[0, "approver"]) == (NEEDS_REAPPROVAL, None)
    [event] = events
    assert (event.old, event.new, event.who, event.outcome) == (
        APPROVED, NEEDS_REAPPROVAL, "pysnop", "system")
    assert "qty 10 -> 1,192" in event.message


def test_rebind_without_a_recorded_approval_asks_again():
    frame = rows(status=APPROVED, approver="Zed").assign(bound=None, bound_values=None)
    [(action, why)] = rebind(frame)
    assert action == "ORD-1" and "not on record" in why
    assert frame.loc[0, "status"] == NEEDS_REAPPROVAL


def test_restore_owned_names_the_cell_and_drops_invented_rows():
    logged = {"ORD-1": {"type": "NEW_ORDER", "owner": "Supply", "sku": "00123",
                        "location": "S01", "qty": 10.0, "week": "2026-11-30", "rank": 3.0}}
    sheet = pd.concat([rows(qty=76387.0, owner="Marketing", rank=1.0),
                       rows(action_id="EXP-x", row=5.0)], ignore_index=True)
    out, problems = restore_owned(sheet, logged, {"owner": 3, "qty": 8, "action_id": 1},
                                  {"week"})
    assert list(out["action_id"]) == ["ORD-1"]
    assert (out.loc[0, "qty"], out.loc[0, "owner"], out.loc[0, "rank"]) == (10.0, "Supply", 1.0)
    assert [str(p) for p in problems] == [
        "Actions!C4 (owner): Marketing is not the value pysnop proposed for ORD-1; restored "
        "Supply (proposal values are pysnop's: change the inputs and run again, or write a "
        "comment)",
        "Actions!H4 (qty): 76,387 is not the value pysnop proposed for ORD-1; restored 10 "
        "(proposal values are pysnop's: change the inputs and run again, or write a comment)",
        "Actions!A5 (action_id): EXP-x is not an action pysnop proposed (the decision log has "
        "no such proposal); the row is ignored and removed"]


def test_restore_deleted_brings_back_decided_rows():
    values = {"type": "NEW_ORDER", "owner": "Supply", "qty": 10.0, "week": "2026-11-30"}
    known = {"ORD-1": Known(APPROVED, "Zed", T0, "call", None, values_fingerprint(values),
                            values_json(values)),
             "ORD-2": Known(PROPOSED)}
    logged = {"ORD-1": values, "ORD-2": values}
    out, problems = restore_deleted(rows().iloc[0:0], known, logged, {"week"})
    assert list(out["action_id"]) == ["ORD-1"]
    rec = out.iloc[0]
    assert (rec["status"], rec["approver"], rec["comment"], rec["week"]) == (
        APPROVED, "Zed", "call", dt.datetime(2026, 11, 30))
    assert rec["bound"] == values_fingerprint(values)
    assert "ORD-1 (Approved by Zed) is missing from the sheet" in str(problems[0])
