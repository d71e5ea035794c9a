"""One decision per risk: approvals coordinate (docs/semantics.md, "Risks and decisions").

covers / more than needed are defined on the cover frame: per cell-week the gap below threshold
and each proposal's fill; a set is more than needed when one of its members closes nothing the
others leave open.
"""

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from plans import build_plan, weekly

from pysnop.core.actions import plan_actions
from pysnop.core.bridge import run_bridge
from pysnop.core.coordination import Coverage, risk_covered
from pysnop.core.decisions import (
    APPROVED,
    NEEDS_REAPPROVAL,
    PROPOSED,
    REJECTED,
    SUPERSEDED,
    Approvers,
    Known,
    merge,
    review_edits,
    values_fingerprint,
)

T0 = dt.datetime(2026, 11, 18, 9, 0)
T1 = dt.datetime(2026, 11, 19, 9, 0)
ANN = Approvers([("Ann", "Supply"), ("Mo", "Marketing")])


def two_expedites():
    # the case: one 1,277-unit gap, two open POs that can each close it.
    # on_hand 100, demand 1,377 in week 3 only: poh 100, 100, 100, -1,277 -> gap 1,277 in
    # week 3. P1 (1,280, due week 4) and P2 (2,560, due week 5) can both be pulled into week 3.
    inv = [{"sku": "A", "location": "S1", "on_hand": 100, "unit_margin": 2.0}]
    rc = [{"sku": "A", "location": "S1", "due": "2026-12-14", "qty": 1280, "po_id": "P1"},
          {"sku": "A", "location": "S1", "due": "2026-12-21", "qty": 2560, "po_id": "P2"}]
    plan = build_plan(inv, weekly("A", "S1", [0, 0, 0, 1377, 0, 0]), receipts=rc,
                      horizon_weeks=6)
    return plan_actions(plan, run_bridge(plan))


def sheet_of(plan, **status):
    """The Actions sheet as a person left it: status per po_id / type, Excel rows from 4."""
    rows = plan.proposals.copy()
    rows["row"] = range(4, 4 + len(rows))
    rows["status"] = [status.get(str(p), status.get(t, None))
                      for p, t in zip(rows["po_id"], rows["type"])]
    rows["approver"] = ["Ann" if s else None for s in rows["status"]]
    return rows


def status_of(review, plan, key):
    ids = plan.proposals.set_index(plan.proposals["po_id"].fillna(plan.proposals["type"]))
    return review.rows.set_index("action_id").loc[ids.loc[key, "action_id"], "status"]


def test_two_expedites_for_one_gap_the_second_is_refused_naming_both_rows():
    plan = two_expedites()
    assert plan.risks["shortfall_units"].tolist() == [1277]
    assert plan.proposals["covers_risk"].tolist() == [True, True]
    p1, p2 = plan.proposals["action_id"]  # same net value: P1 first (lower qty breaks nothing;
    # the id decides) — whichever is ranked first is approved, the other refused
    got = review_edits(sheet_of(plan, P1=APPROVED, P2=APPROVED), {}, ANN, "ann", T0,
                       cover=plan.cover)
    rows = got.rows.set_index("action_id")
    first, second = plan.proposals.sort_values("rank")["action_id"]
    assert rows.loc[first, "status"] == APPROVED
    # refused, and then Superseded: the approved one closes all it would fill
    assert rows.loc[second, "status"] == SUPERSEDED and rows.loc[second, "approver"] is None
    [problem] = got.problems
    at = dict(zip(plan.proposals["action_id"], range(4, 6)))
    assert problem.row == at[second]
    assert f"{first} (row {at[first]})" in problem.reason
    assert f"{second} (row {at[second]})" in problem.reason
    assert "more than risk" in problem.reason and "shortfall 1,277 units" in problem.reason
    assert [(e.action_id, e.new, e.outcome) for e in got.events] == [
        (first, APPROVED, "accepted"), (second, APPROVED, "refused"),
        (second, SUPERSEDED, "system")]
    assert {p1, p2} == {first, second}


def test_approving_one_that_covers_supersedes_the_rest_and_rejecting_it_restores_them():
    plan = two_expedites()
    got = review_edits(sheet_of(plan, P1=APPROVED), {}, ANN, "ann", T0, cover=plan.cover)
    rows = got.rows.set_index("action_id")
    p1 = plan.proposals.set_index("po_id").loc["P1", "action_id"]
    p2 = plan.proposals.set_index("po_id").loc["P2", "action_id"]
    assert (rows.loc[p1, "status"], rows.loc[p2, "status"]) == (APPROVED, SUPERSEDED)
    assert got.problems == []
    # next review: P1 rejected -> P2 helps again and returns to Proposed
    known = {p1: Known(APPROVED, "Ann", T0), p2: Known(SUPERSEDED)}
    sheet = got.rows.copy()
    sheet.loc[sheet["action_id"] == p1, "status"] = REJECTED
    again = review_edits(sheet, known, ANN, "ann", T1, cover=plan.cover)
    rows = again.rows.set_index("action_id")
    assert (rows.loc[p1, "status"], rows.loc[p2, "status"]) == (REJECTED, PROPOSED)
    assert [(e.action_id, e.old, e.new, e.outcome) for e in again.events] == [
        (p1, APPROVED, REJECTED, "accepted"), (p2, SUPERSEDED, PROPOSED, "system")]


def test_switching_remedies_in_one_review():
    # P1 approved; now the planner rejects P1 and approves P2 in the same edit: rejections
    # come first, so P2 is not more than needed and stands
    plan = two_expedites()
    p1 = plan.proposals.set_index("po_id").loc["P1", "action_id"]
    p2 = plan.proposals.set_index("po_id").loc["P2", "action_id"]
    known = {p1: Known(APPROVED, "Ann", T0), p2: Known(SUPERSEDED)}
    got = review_edits(sheet_of(plan, P1=REJECTED, P2=APPROVED), known, ANN, "ann", T1,
                       cover=plan.cover)
    rows = got.rows.set_index("action_id")
    assert (rows.loc[p1, "status"], rows.loc[p2, "status"]) == (REJECTED, APPROVED)
    assert got.problems == []


def test_a_partial_remedy_leaves_the_others_open_and_two_partials_can_stand():
    # S1 loses 10 a week in weeks 1..3 (poh 10, -10, -20, -30 with on_hand 20, base 20 ... )
    # on_hand 20, demand 20/wk: gaps 0, 20, 40, 60 in weeks 0..3. Two donors, transit 1.
    # S2 spares 30, S3 spares 15: the LP ships both (45 < need 60); each alone closes part.
    inv = [{"sku": "A", "location": "S1", "on_hand": 20, "unit_margin": 5.0},
           {"sku": "A", "location": "S2", "on_hand": 80, "safety_stock": 10},
           {"sku": "A", "location": "S3", "on_hand": 40, "safety_stock": 5}]
    fc = weekly("A", "S1", [20] * 4) + weekly("A", "S2", [10] * 4) + weekly("A", "S3", [5] * 4)
    plan = build_plan(inv, fc, horizon_weeks=4)
    ap = plan_actions(plan, run_bridge(plan))
    moves = ap.proposals[ap.proposals["type"] == "TRANSFER"]
    assert len(moves) == 2 and not moves["covers_risk"].any()
    # covers_units: S2's 30 from week 1 leaves gaps 0, 10, 30 -> shortfall 60 − 30 = 30
    assert sorted(moves["covers_units"]) == [15, 30]
    sheet = ap.proposals.assign(row=range(4, 4 + len(ap.proposals)), status=APPROVED,
                                approver="Ann")
    got = review_edits(sheet, {}, ANN, "ann", T0, cover=ap.cover)
    assert (got.rows["status"] == APPROVED).all() and got.problems == []
    assert not risk_covered(Coverage.of(ap.cover), set(ap.proposals["action_id"]),
                            ap.risks["risk_id"].iloc[0])


def test_merge_recomputes_superseded_for_the_new_proposals():
    plan = two_expedites()
    p1 = plan.proposals.set_index("po_id").loc["P1", "action_id"]
    p2 = plan.proposals.set_index("po_id").loc["P2", "action_id"]
    reviewed = sheet_of(plan, P1=APPROVED).drop(columns="row")
    reviewed.loc[reviewed["po_id"] == "P2", "status"] = PROPOSED
    rows, events = merge(reviewed, plan.proposals, T1, cover=plan.cover)
    rows = rows.set_index("action_id")
    assert (rows.loc[p1, "status"], rows.loc[p2, "status"]) == (APPROVED, SUPERSEDED)
    assert [(e.action_id, e.new) for e in events] == [(p2, SUPERSEDED)]


def test_superseded_is_set_by_pysnop_only():
    plan = two_expedites()
    got = review_edits(sheet_of(plan, P2=SUPERSEDED), {}, ANN, "ann", T0)
    # never recorded and typed Superseded: taken as what pysnop wrote (like Obsolete)
    assert SUPERSEDED in set(got.rows["status"]) and got.problems == []
    p2 = plan.proposals.set_index("po_id").loc["P2", "action_id"]
    got = review_edits(sheet_of(plan, P2=SUPERSEDED), {p2: Known(PROPOSED)}, ANN, "ann", T0)
    assert got.rows.set_index("action_id").loc[p2, "status"] == PROPOSED
    assert "set by pysnop, not typed" in got.problems[0].reason


def test_values_fingerprint_binds_what_was_approved():
    plan = two_expedites()
    row = plan.proposals.iloc[0].to_dict()
    same = dict(row, reason="another sentence", margin_protected=1.0, rank=9)
    assert values_fingerprint(row) == values_fingerprint(same)
    for field, value in (("qty", 1281.0), ("week", pd.Timestamp("2026-12-14")),
                         ("location", "S2"), ("owner", "Marketing"), ("campaign_id", "C9")):
        assert values_fingerprint(row) != values_fingerprint(dict(row, **{field: value}))


def test_rejecting_what_an_approval_made_up_for_withdraws_that_approval():
    # one cell S1 × one week, gap 5. A0 fills 5; A2 worsens it by 1 (a donor leg); A3 adds 1.
    # Review 1 approves all three: A0 (5), A2 (helps nowhere: nothing to coordinate), then A3:
    # with A0 + A2 the closed amount is min(5, 5 - 1) = 4 < 5, so A3 adds 1 -> all stand.
    # Review 2 rejects A2: A0 + A3 total 6 >= 5 without A3, so A3 adds nothing -> withdrawn
    # to Needs re-approval by pysnop; A0 (without it: 1 < 5) stays Approved.
    week = pd.Timestamp("2026-11-16")
    cover = pd.DataFrame([{"action_id": a, "risk_id": "R", "sku": "X", "location": "S1",
                           "week": week, "gap": 5.0, "fill": f}
                          for a, f in (("A0", 5.0), ("A1", 2.0), ("A2", -1.0), ("A3", 1.0))])
    coverage = Coverage.of(cover)
    first = review_edits(_sheet(4, [APPROVED, None, APPROVED, APPROVED]), {}, ANN, "ann", T0,
                         cover=coverage)
    assert list(first.rows["status"]) == [APPROVED, SUPERSEDED, APPROVED, APPROVED]
    known = {a: Known(s, "Ann" if s == APPROVED else None)
             for a, s in zip(first.rows["action_id"], first.rows["status"])}
    second = review_edits(_sheet(4, [APPROVED, SUPERSEDED, REJECTED, APPROVED]), known, ANN,
                          "ann", T0, cover=coverage)
    assert list(second.rows["status"]) == [APPROVED, SUPERSEDED, REJECTED, NEEDS_REAPPROVAL]
    withdrawn = [e for e in second.events if e.action_id == "A3"]
    assert [(e.old, e.new, e.outcome) for e in withdrawn] == [
        (APPROVED, NEEDS_REAPPROVAL, "system")]
    assert "no longer needed" in withdrawn[0].message


# --- properties ----------------------------------------------------------------------------

@st.composite
def cover_frames(draw):
    """One risk of 1–2 cells × 1–3 gap weeks and 2–5 proposals with whole-unit fills."""
    weeks = [pd.Timestamp("2026-11-16") + pd.Timedelta(days=7 * k) for k in range(3)]
    cells = [(loc, w) for loc in ("S1", "S2")[:draw(st.integers(1, 2))]
             for w in weeks[:draw(st.integers(1, 3))]]
    gaps = {c: draw(st.integers(1, 6)) for c in cells}
    n = draw(st.integers(2, 5))
    rows = []
    for k in range(n):
        for cell in cells:
            fill = draw(st.integers(-1, 7))
            rows.append({"action_id": f"A{k}", "risk_id": "R", "sku": "X", "location": cell[0],
                         "week": cell[1], "gap": float(gaps[cell]), "fill": float(fill)})
    return pd.DataFrame(rows), n


def _sheet(n, status):
    return pd.DataFrame({"action_id": [f"A{k}" for k in range(n)], "owner": "Supply",
                         "rank": range(1, n + 1), "row": range(4, 4 + n), "status": status,
                         "approver": ["Ann" if s == APPROVED else None for s in status]})


def _more_than_needed(coverage, chosen):
    return bool(coverage.redundant_in(chosen))


@settings(max_examples=80, deadline=None)
@given(cover_frames(), st.data())
def test_no_approval_set_ever_exceeds_a_risks_need(frame_n, data):
    cover, n = frame_n
    coverage = Coverage.of(cover)
    known: dict[str, Known] = {}
    status = [PROPOSED] * n
    for round_ in range(3):  # three reviews, each approving / rejecting at random
        typed = [data.draw(st.sampled_from([s, s, APPROVED, REJECTED, PROPOSED]))
                 for s in status]
        got = review_edits(_sheet(n, typed), known, ANN, "ann", T0, cover=coverage)
        status = list(got.rows["status"])
        chosen = {a for a, s in zip(got.rows["action_id"], status) if s == APPROVED}
        assert not _more_than_needed(coverage, chosen)
        # every approval that did not stand was refused with a message, or (one that stood
        # before this review) withdrawn to Needs re-approval by pysnop, saying why
        for a, t, s in zip(got.rows["action_id"], typed, status):
            if t == APPROVED and s != APPROVED:
                assert any(e.action_id == a and (e.outcome == "refused" or (
                    e.outcome == "system" and e.new == NEEDS_REAPPROVAL
                    and known.get(a, Known(PROPOSED)).status == APPROVED and e.message))
                    for e in got.events)
        known = {a: Known(s, "Ann" if s == APPROVED else None)
                 for a, s in zip(got.rows["action_id"], status)}


@settings(max_examples=80, deadline=None)
@given(cover_frames(), st.data())
def test_an_approved_alternative_that_covers_the_risk_supersedes_the_rest(frame_n, data):
    cover, n = frame_n
    coverage = Coverage.of(cover)
    pick = data.draw(st.integers(0, n - 1))
    typed = [APPROVED if k == pick else None for k in range(n)]
    got = review_edits(_sheet(n, typed), {}, ANN, "ann", T0, cover=coverage)
    status = dict(zip(got.rows["action_id"], got.rows["status"]))
    chosen = {a for a, s in status.items() if s == APPROVED}
    if status[f"A{pick}"] != APPROVED:
        # refused only when it closes nothing (all its fills ≤ 0 never get here: no gaps)
        assert len(coverage.helps(f"A{pick}")) == 0 or not coverage.adds_to(set(), f"A{pick}")
        return
    if risk_covered(coverage, chosen, "R"):
        others = [a for a in status if a not in chosen]
        helping = [a for a in others if len(coverage.helps(a))]
        assert all(status[a] == SUPERSEDED for a in helping)
    # and nothing is Superseded that would still close an open gap
    for a, s in status.items():
        if s == SUPERSEDED:
            assert not coverage.adds_to(chosen, a)
        elif s == PROPOSED and len(coverage.helps(a)):
            assert coverage.adds_to(chosen, a)
