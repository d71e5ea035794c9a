"""Decisions on proposals: who may approve, and how re-runs keep decisions (docs/semantics.md §3)."""

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis_budget import examples
from hypothesis import strategies as st

from pysnop.core.decisions import (
    APPROVED, EXPORTED, NEEDS_REAPPROVAL, OBSOLETE, PROPOSED, REJECTED, Approvers, Known, merge, parse_status,
    review_edits, text_or_none, touched,
)

T0 = dt.datetime(2026, 11, 18, 9, 0)
T1 = dt.datetime(2026, 11, 25, 9, 0)
APPROVERS = Approvers([("Ann Lee", "Supply"), ("Mo", "Marketing"), ("Zed", "Supply"),
                       ("Zed", "Marketing")])


def proposals(*specs):
    """specs: (action_id, owner, qty)."""
    return pd.DataFrame([{"action_id": a, "type": "NEW_ORDER" if o == "Supply" else "MOVE_WINDOW",
                          "owner": o, "sku": "A", "location": "S1", "qty": float(q),
                          "net_value": 10.0 * q, "rank": n + 1}
                         for n, (a, o, q) in enumerate(specs)],
                        columns=["action_id", "type", "owner", "sku", "location", "qty",
                                 "net_value", "rank"])


def sheet(*rows):
    """rows: dicts with action_id, owner and decision cells; row = Excel row."""
    return pd.DataFrame([{"row": 4 + n, "qty": 1.0, **r} for n, r in enumerate(rows)])


def one(frame, action):
    rows = frame[frame["action_id"] == action]
    assert len(rows) == 1
    return rows.iloc[0]


# --- who may approve -------------------------------------------------------------------

def test_listed_approver_of_the_owner_function_approves():
    got = review_edits(sheet({"action_id": "ORD-1", "owner": "Supply", "status": "approved",
                              "approver": " ann  LEE "}), {}, APPROVERS, "os-user", T0)
    row = one(got.rows, "ORD-1")
    assert (row["status"], row["approver"], row["decided_at"]) == (APPROVED, "ann  LEE", T0)
    assert [(e.old, e.new, e.who, e.outcome) for e in got.events] == [
        (PROPOSED, APPROVED, "ann  LEE", "accepted")]
    assert got.problems == []


def test_deciding_user_is_used_when_no_approver_is_typed():
    got = review_edits(sheet({"action_id": "MOV-1", "owner": "Marketing", "status": "Rejected"}),
                       {}, APPROVERS, "mo", T0)
    row = one(got.rows, "MOV-1")
    assert (row["status"], row["approver"]) == (REJECTED, "mo")


def test_approval_from_another_function_is_refused_and_left_proposed():
    # Ann approves for Supply only; MOV-1 belongs to Marketing
    got = review_edits(sheet({"action_id": "ORD-1", "owner": "Supply"},
                             {"action_id": "MOV-1", "owner": "Marketing", "status": "Approved",
                              "approver": "Ann Lee", "comment": "go"}),
                       {}, APPROVERS, "os-user", T0)
    row = one(got.rows, "MOV-1")
    assert (row["status"], row["approver"], row["decided_at"]) == (PROPOSED, None, None)
    assert row["comment"] == "go"  # the comment survives the refusal
    [problem] = got.problems
    assert (problem.sheet, problem.row, problem.column, problem.severity) == (
        "Actions", 5, "status", "warning")
    assert problem.reason == ("Approved of MOV-1 refused: Ann Lee is not listed as a Marketing "
                              "approver (listed: Mo, Zed); left Proposed")
    assert [(e.action_id, e.outcome) for e in got.refused] == [("MOV-1", "refused")]


def test_unlisted_user_is_refused_and_no_table_refuses_everyone():
    got = review_edits(sheet({"action_id": "ORD-1", "owner": "Supply", "status": "Approved"}),
                       {}, APPROVERS, "mallory", T0)
    assert one(got.rows, "ORD-1")["status"] == PROPOSED and len(got.refused) == 1
    got = review_edits(sheet({"action_id": "ORD-1", "owner": "Supply", "status": "Approved",
                              "approver": "Ann Lee"}), {}, Approvers(), "ann", T0)
    assert one(got.rows, "ORD-1")["status"] == PROPOSED
    assert "no Approvers table" in got.problems[0].reason


def test_refused_change_of_a_recorded_decision_restores_it():
    known = {"ORD-1": Known(APPROVED, "Zed", T0)}
    got = review_edits(sheet({"action_id": "ORD-1", "owner": "Supply", "status": "Rejected",
                              "approver": "mallory"}), known, APPROVERS, "x", T1)
    row = one(got.rows, "ORD-1")
    assert (row["status"], row["approver"], row["decided_at"]) == (APPROVED, "Zed", T0)


def test_unchanged_decision_keeps_the_recorded_approver():
    known = {"ORD-1": Known(APPROVED, "Zed", T0)}
    got = review_edits(sheet({"action_id": "ORD-1", "owner": "Supply", "status": "Approved",
                              "approver": "someone else"}), known, APPROVERS, "x", T1)
    assert one(got.rows, "ORD-1")["approver"] == "Zed" and got.events == []


def test_exported_is_final_and_pysnop_statuses_cannot_be_typed():
    known = {"ORD-1": Known(EXPORTED, "Zed", T0, None, T0), "ORD-3": Known(OBSOLETE)}
    got = review_edits(sheet({"action_id": "ORD-1", "owner": "Supply", "status": "Proposed"},
                             {"action_id": "ORD-2", "owner": "Supply", "status": "Exported"},
                             {"action_id": "ORD-3", "owner": "Supply", "status": "Approved",
                              "approver": "Zed"},
                             {"action_id": "ORD-4", "owner": "Supply", "status": "maybe"}),
                       {**known, "ORD-2": Known(PROPOSED)}, APPROVERS, "zed", T1)
    assert list(got.rows["status"]) == [EXPORTED, PROPOSED, OBSOLETE, PROPOSED]
    assert [p.row for p in got.problems] == [4, 5, 6, 7]
    assert got.events == []


def test_rows_without_id_and_repeated_ids_are_reported():
    got = review_edits(sheet({"action_id": None, "comment": "orphan"},
                             {"action_id": "ORD-1", "owner": "Supply"},
                             {"action_id": "ORD-1", "owner": "Supply", "status": "Approved"}),
                       {}, APPROVERS, "zed", T0)
    assert list(got.rows["action_id"]) == ["ORD-1"]
    assert [p.row for p in got.problems] == [4, 6]


def test_comment_changes_are_events():
    got = review_edits(sheet({"action_id": "ORD-1", "owner": "Supply", "comment": "call DC"}),
                       {"ORD-1": Known(comment="old")}, APPROVERS, "ann", T0)
    assert [(e.field, e.old, e.new) for e in got.events] == [("comment", "old", "call DC")]


def test_parse_status_and_touched():
    assert parse_status(None) == PROPOSED and parse_status(" APPROVED ") == APPROVED
    assert parse_status("yes") is None
    assert not touched({"status": "Proposed"}) and not touched({"status": "Obsolete"})
    assert touched({"status": "Rejected"}) and touched({"comment": "x"})


# --- re-runs ---------------------------------------------------------------------------

def test_merge_keeps_decisions_refreshes_values_and_appends():
    old = sheet({"action_id": "ORD-1", "owner": "Supply", "status": APPROVED, "approver": "Zed",
                 "decided_at": T0, "comment": "ok", "qty": 5.0},
                {"action_id": "ORD-2", "owner": "Supply", "status": PROPOSED})
    rows, events = merge(old, proposals(("ORD-3", "Supply", 7), ("ORD-1", "Supply", 9),
                                        ("ORD-2", "Supply", 1)), T1)
    assert list(rows["action_id"]) == ["ORD-3", "ORD-1", "ORD-2"]  # rank order
    r1 = one(rows, "ORD-1")
    assert (r1["status"], r1["approver"], r1["comment"], r1["qty"]) == (APPROVED, "Zed", "ok", 9)
    assert one(rows, "ORD-3")["status"] == PROPOSED
    assert [(e.action_id, e.old, e.new, e.message) for e in events] == [
        ("ORD-3", None, PROPOSED, "new proposal")]


def test_vanished_proposals_become_obsolete_and_untouched_ones_go_a_run_later():
    old = sheet({"action_id": "ORD-1", "owner": "Supply", "status": APPROVED, "approver": "Zed"},
                {"action_id": "ORD-2", "owner": "Supply", "status": PROPOSED},
                {"action_id": "ORD-3", "owner": "Supply", "status": REJECTED, "approver": "Zed"},
                {"action_id": "ORD-4", "owner": "Supply", "status": EXPORTED, "approver": "Zed",
                 "qty": 4.0})
    rows, events = merge(old, proposals(), T1)
    assert list(rows["status"]) == [OBSOLETE, OBSOLETE, OBSOLETE, EXPORTED]
    assert one(rows, "ORD-1")["approver"] == "Zed"
    assert {e.action_id for e in events} == {"ORD-1", "ORD-2", "ORD-3"}
    again, events = merge(rows, proposals(), T1)
    # the untouched ORD-2 was shown Obsolete once and goes; the decided ones stay
    assert list(again["action_id"]) == ["ORD-1", "ORD-3", "ORD-4"] and events == []


def test_obsolete_proposal_proposed_again_returns_to_the_queue():
    old = sheet({"action_id": "ORD-1", "owner": "Supply", "status": OBSOLETE, "approver": "Zed",
                 "comment": "keep"})
    rows, events = merge(old, proposals(("ORD-1", "Supply", 3)), T1)
    row = one(rows, "ORD-1")
    assert (row["status"], row["approver"], row["comment"]) == (PROPOSED, None, "keep")
    assert [(e.old, e.new) for e in events] == [(OBSOLETE, PROPOSED)]


def test_exported_rows_keep_their_exported_values_until_the_export_lapses():
    old = sheet({"action_id": "ORD-1", "owner": "Supply", "status": EXPORTED, "approver": "Zed",
                 "qty": 5.0, "exported_at": T0})
    rows, _ = merge(old, proposals(("ORD-1", "Supply", 8)), T1)
    assert (one(rows, "ORD-1")["status"], one(rows, "ORD-1")["qty"]) == (EXPORTED, 5.0)
    rows, events = merge(old, proposals(("ORD-1", "Supply", 8)), T1, lapsed={"ORD-1"})
    row = one(rows, "ORD-1")
    assert (row["status"], row["qty"], row["exported_at"]) == (PROPOSED, 8.0, None)
    assert [(e.old, e.new) for e in events] == [(EXPORTED, PROPOSED)]


def test_a_deleted_exported_row_comes_back_exported():
    rows, _ = merge(sheet(), proposals(("ORD-1", "Supply", 8)), T1,
                    known={"ORD-1": Known(EXPORTED, "Zed", T0, None, T0)})
    assert (one(rows, "ORD-1")["status"], one(rows, "ORD-1")["approver"]) == (EXPORTED, "Zed")


# --- property: decisions survive any sequence of re-runs --------------------------------

IDS = [f"ORD-{n}" for n in range(8)] + [f"MOV-{n}" for n in range(4)]
EDIT = st.tuples(st.sampled_from(IDS), st.sampled_from([None, APPROVED, REJECTED, PROPOSED]),
                 st.sampled_from([None, "", "call DC", "=HYPERLINK(1)"]),
                 st.sampled_from(["Zed", "Ann Lee", "Mo", "mallory"]))
RUN = st.tuples(st.sets(st.sampled_from(IDS)), st.lists(EDIT, max_size=6),
                st.integers(0, 50))


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(RUN, min_size=1, max_size=6))
def test_decisions_survive_random_reruns(runs):
    known: dict[str, Known] = {}
    rows = sheet().iloc[0:0]
    for n, (ids, edits, qty) in enumerate(runs):
        at = T0 + dt.timedelta(days=7 * n)
        before = {r["action_id"]: r for r in rows.to_dict("records")}
        for action, status, comment, who in edits:  # a person edits the sheet
            if action not in before:
                continue
            if status is not None:
                before[action].update(status=status, approver=who)
            if comment is not None:
                before[action]["comment"] = comment
        rows = pd.DataFrame(list(before.values()), columns=rows.columns)
        reviewed = review_edits(rows, known, APPROVERS, "nobody", at)
        for e in reviewed.events:  # what the log would now know
            if e.outcome == "accepted":
                k = known.get(e.action_id, Known())
                known[e.action_id] = (Known(e.new, e.who if e.new != PROPOSED else None, e.at,
                                            k.comment, None, e.fingerprint, e.detail)
                                      if e.field == "status" else
                                      Known(k.status, k.approver, k.decided_at, e.new, None,
                                            k.fingerprint, k.detail))
        checked = {r["action_id"]: r for r in reviewed.rows.to_dict("records")}
        new = proposals(*[(a, "Supply" if a.startswith("ORD") else "Marketing", qty)
                          for a in sorted(ids)])
        rows, events = merge(reviewed.rows, new, at, known=known)
        for e in events:
            k = known.get(e.action_id, Known())
            known[e.action_id] = Known(e.new, None if e.new == PROPOSED else k.approver,
                                       None if e.new == PROPOSED else k.decided_at, k.comment)
        after = {r["action_id"]: r for r in rows.to_dict("records")}
        assert len(after) == len(rows)  # one row per action
        assert set(ids) <= set(after)  # every proposal is on the sheet
        for action, old in before.items():
            if touched(old):
                assert action in after, "a row a person touched was dropped"
                # comments are never lost
                assert text_or_none(after[action]["comment"]) == text_or_none(old["comment"])
        for action, row in after.items():
            if action in ids:
                assert row["qty"] == qty  # values refreshed
                was = checked.get(action, {})
                if was.get("status") == APPROVED and was.get("qty") != qty:
                    # an approval binds the values shown: a changed qty asks for another
                    assert (row["status"], row["approver"]) == (NEEDS_REAPPROVAL, None)
                elif was.get("status") in (APPROVED, REJECTED):
                    assert row["status"] == checked[action]["status"]  # decision kept
                    assert row["approver"] == checked[action]["approver"]
            else:
                assert row["status"] == OBSOLETE
        for action, row in checked.items():
            # only listed approvers' decisions stand
            if row["status"] in (APPROVED, REJECTED):
                owner = "Supply" if action.startswith("ORD") else "Marketing"
                assert APPROVERS.allows(row["approver"], owner)
