"""Each action's state in the decision log: known_states replays the log's events (a
hand-worked case), and advance — a run's own events replayed on the states read before it,
which a run's Review uses instead of replaying the whole history again — gives what
known_states reads back once the run is recorded, whatever the events."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

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
from pysnop.store.known import advance

T0 = dt.datetime(2026, 11, 16, 9)
STATUSES = [PROPOSED, APPROVED, REJECTED, EXPORTED, OBSOLETE, NEEDS_REAPPROVAL, "Superseded",
            None, "something else"]
EVENTS = st.builds(
    lambda action, field, new, who, micros, outcome, fp: Event(
        action, field, None, new, who, T0 + dt.timedelta(microseconds=micros), outcome,
        fingerprint=fp, detail=None if fp is None else f'{{"qty": {len(fp)}}}'),
    st.sampled_from(["A", "B", "C", "D"]),
    st.sampled_from(["status", "status", "status", "comment", "other"]),
    st.one_of(st.sampled_from(STATUSES), st.text(max_size=4)),
    st.sampled_from(["ann", "Zed", "pysnop", None]),
    st.sampled_from([0, 1, 61_000_000, 61_000_001, 86_400_000_000 - 32_400_000_000]),
    st.sampled_from(["accepted", "system", "refused"]),
    st.one_of(st.none(), st.sampled_from(["f1", "f22"])))


@settings(max_examples=examples(400), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(EVENTS, max_size=8), min_size=1, max_size=5))
def test_advancing_by_a_runs_events_equals_reading_them_back(runs):
    """advance(known_states() before a run, its events) is known_states() once the run is
    recorded: every action, in the same order, with the same state."""
    with tempfile.TemporaryDirectory() as tmp:
        with DecisionLog(Path(tmp) / "log.sqlite") as log:
            for i, events in enumerate(runs):
                before = log.known_states()
                log.record_run(kind="decisions", at=T0 + dt.timedelta(days=i), events=events)
                after = log.known_states()
                got = advance(before, events)
                assert list(got) == list(after)
                assert got == after


def test_an_approval_after_an_export_clears_the_export(tmp_path):
    """Hand-worked: A approved by ann, exported, approved again by Zed (a re-approval):
    no export stands, Zed's approval does; B approved then made obsolete by pysnop keeps
    its approver; C has only a comment (and a refused approval): Proposed, with it; D
    approved, exported, then rejected: the rejection clears the export and the values."""
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
                  fingerprint="f2", detail='{"qty": 2}'),
            Event("D", "status", PROPOSED, APPROVED, "ann", t[2], "accepted", fingerprint="f3",
                  detail='{"qty": 3}')])
        log.record_run(kind="export", at=t[3], events=[
            Event("D", "status", APPROVED, EXPORTED, "ann", t[3], "accepted")])
        log.record_run(kind="decisions", at=t[4], events=[
            Event("D", "status", EXPORTED, REJECTED, "Zed", t[4], "accepted")])
        known = log.known_states()
    assert known["A"] == Known(APPROVED, "Zed", t[2], None, None, "f2", '{"qty": 2}')
    assert known["B"] == Known(OBSOLETE, "ann", t[0], None, None, None, None)
    assert known["C"] == Known(PROPOSED, None, None, "call DC", None, None, None)
    # D: approved, exported, then rejected by Zed: no export, no approved values stand
    assert known["D"] == Known(REJECTED, "Zed", t[4], None, None, None, None)
    assert list(known) == ["A", "B", "C", "D"]
