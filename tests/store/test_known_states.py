"""DecisionLog.known_states reads, per action, only the last event that sets each field
(SQL) — the state the event-by-event replay it replaced gives (kept here as the oracle):
every action, in order of its first event, with the same status, approver, decision time,
comment, export time and approved values, whatever the events."""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

from pysnop.core.decisions import (
    APPROVED,
    EXPORTED,
    NEEDS_REAPPROVAL,
    OBSOLETE,
    PROPOSED,
    REJECTED,
    Event,
    Known,
)
from pysnop.store.decision_log import DecisionLog
from pysnop.store.log_values import parse_time


def oracle_known_states(db: sqlite3.Connection) -> dict[str, Known]:
    """DecisionLog.known_states as it replayed every event (before this change)."""
    state: dict[str, dict[str, Any]] = {}
    rows = db.execute("SELECT action_id, field, new, who, at, fingerprint, detail FROM "
                      "decisions WHERE outcome != 'refused' ORDER BY id")
    for action, fld, new, who, at, fp, detail in rows:
        s = state.setdefault(action, {})
        if fld == "comment":
            s["comment"] = new
        elif fld == "status":
            s["status"] = new
            if new == EXPORTED:
                s["exported_at"] = parse_time(at)
            elif new == APPROVED:
                s.update(approver=who, decided_at=parse_time(at), exported_at=None,
                         fingerprint=fp, detail=detail)
            elif new == "Rejected":
                s.update(approver=who, decided_at=parse_time(at), exported_at=None,
                         fingerprint=None, detail=None)
            elif new in ("Proposed", NEEDS_REAPPROVAL):
                s.update(approver=None, decided_at=None, exported_at=None,
                         fingerprint=None, detail=None)
    return {a: Known(s.get("status", "Proposed"), s.get("approver"), s.get("decided_at"),
                     s.get("comment"), s.get("exported_at"), s.get("fingerprint"),
                     s.get("detail")) for a, s in state.items()}


T0 = dt.datetime(2026, 11, 16, 9)
STATUSES = [PROPOSED, APPROVED, REJECTED, EXPORTED, OBSOLETE, NEEDS_REAPPROVAL, "Superseded",
            None, "something else"]
EVENTS = st.builds(
    lambda action, field, new, who, minutes, outcome, fp: Event(
        action, field, None, new, who, T0 + dt.timedelta(minutes=minutes), outcome,
        fingerprint=fp, detail=None if fp is None else f'{{"qty": {len(fp)}}}'),
    st.sampled_from(["A", "B", "C", "D"]),
    st.sampled_from(["status", "status", "status", "comment", "other"]),
    st.one_of(st.sampled_from(STATUSES), st.text(max_size=4)),
    st.sampled_from(["ann", "Zed", "pysnop", None]),
    st.integers(0, 10_000), st.sampled_from(["accepted", "system", "refused"]),
    st.one_of(st.none(), st.sampled_from(["f1", "f22"])))


@settings(max_examples=examples(400), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(EVENTS, max_size=8), min_size=1, max_size=5))
def test_known_states_equal_the_replay(runs):
    with tempfile.TemporaryDirectory() as tmp:
        with DecisionLog(Path(tmp) / "log.sqlite") as log:
            for i, events in enumerate(runs):
                log.record_run(kind="decisions", at=T0 + dt.timedelta(days=i), events=events)
            got = log.known_states()
            want = oracle_known_states(log.db)
    assert list(got) == list(want)  # the same actions, in the same order
    assert got == want


def test_an_approval_after_an_export_clears_the_export(tmp_path):
    """Hand-worked: A approved by ann, exported, approved again by Zed (a re-approval):
    no export stands, Zed's approval does; B approved then made obsolete by pysnop keeps
    its approver; C has only a comment (and a refused approval): Proposed, with it."""
    t = [T0 + dt.timedelta(hours=h) for h in range(6)]
    with DecisionLog(tmp_path / "log.sqlite") as log:
        log.record_run(kind="decisions", at=t[0], events=[
            Event("A", "status", PROPOSED, APPROVED, "ann", t[0], "accepted", fingerprint="f1",
                  detail='{"qty": 1}'),
            Event("B", "status", PROPOSED, APPROVED, "ann", t[0], "accepted"),
            Event("C", "comment", None, "call DC", "ann", t[0], "accepted"),
            Event("C", "status", PROPOSED, APPROVED, "eve", t[0], "refused")])
        log.record_run(kind="export", at=t[1], events=[
            Event("A", "status", APPROVED, EXPORTED, "ann", t[1], "accepted"),
            Event("B", "status", APPROVED, OBSOLETE, "pysnop", t[1], "system")])
        log.record_run(kind="decisions", at=t[2], events=[
            Event("A", "status", EXPORTED, APPROVED, "Zed", t[2], "accepted",
                  fingerprint="f2", detail='{"qty": 2}')])
        known = log.known_states()
    assert known["A"] == Known(APPROVED, "Zed", t[2], None, None, "f2", '{"qty": 2}')
    assert known["B"] == Known(OBSOLETE, "ann", t[0], None, None, None, None)
    assert known["C"] == Known(PROPOSED, None, None, "call DC", None, None, None)
    assert list(known) == ["A", "B", "C"]
