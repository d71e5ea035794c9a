"""The decision log: append-only (enforced by SQLite triggers), replayable state, paths."""

import datetime as dt
import sqlite3

import pandas as pd
import pytest

from pysnop.core.decisions import APPROVED, EXPORTED, PROPOSED, Event
from pysnop.errors import DataError
from pysnop.store.decision_log import DecisionLog
from pysnop.store.paths import default_path, resolve_path

T = [dt.datetime(2026, 11, 16 + d, 9) for d in range(6)]


def ev(action, old, new, who, at, outcome="accepted", field="status"):
    return Event(action, field, old, new, who, at, outcome)


def props(*ids):
    return pd.DataFrame({"action_id": list(ids), "type": "NEW_ORDER", "owner": "Supply",
                         "qty": 1.0, "rank": range(1, len(ids) + 1)})


def test_every_table_refuses_update_and_delete(tmp_path):
    with DecisionLog(tmp_path / "log.sqlite") as log:
        run = log.record_run(kind="recalc", at=T[0], counts={"OK": 1}, proposals=props("A"),
                             risks=pd.DataFrame({"sku": ["1"], "location": ["S"]}),
                             events=[ev("A", None, PROPOSED, "pysnop", T[0], "system")],
                             exports=[{"action_id": "A", "at": T[0]}])
        assert run == 1
    db = sqlite3.connect(tmp_path / "log.sqlite")
    for table in ("runs", "proposals", "risks", "decisions", "exports"):
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 1
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(f"UPDATE {table} SET rowid = rowid")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(f"DELETE FROM {table}")
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 1
    db.close()


def test_known_states_replay_accepted_and_system_events(tmp_path):
    with DecisionLog(tmp_path / "log.sqlite") as log:
        log.record_run(kind="recalc", at=T[0], events=[
            ev("A", None, PROPOSED, "pysnop", T[0], "system"),
            ev("B", None, PROPOSED, "pysnop", T[0], "system")])
        log.record_run(kind="decisions", at=T[1], events=[
            ev("A", PROPOSED, APPROVED, "Zed", T[1]),
            ev("B", PROPOSED, APPROVED, "mallory", T[1], "refused"),
            ev("B", None, "check stock", "Zed", T[1], field="comment")])
        log.record_run(kind="export", at=T[2], events=[ev("A", APPROVED, EXPORTED, "ann", T[2])],
                       exports=[{"action_id": "A", "at": T[2], "format": "csv"}])
        known = log.known_states()
    assert (known["A"].status, known["A"].approver, known["A"].decided_at,
            known["A"].exported_at) == (EXPORTED, "Zed", T[1], T[2])
    assert (known["B"].status, known["B"].approver, known["B"].comment) == (
        PROPOSED, None, "check stock")


def test_lapsed_exports_need_a_later_run_without_the_proposal(tmp_path):
    with DecisionLog(tmp_path / "log.sqlite") as log:
        log.record_run(kind="recalc", at=T[0], proposals=props("A", "B"))
        log.record_run(kind="export", at=T[1], exports=[{"action_id": "A", "at": T[1]},
                                                        {"action_id": "B", "at": T[1]}])
        log.record_run(kind="recalc", at=T[2], proposals=props("A", "B"))
        assert log.lapsed_exports() == set()  # still proposed: the ERP has not caught up
        log.record_run(kind="recalc", at=T[3], proposals=props("B"))
        assert log.lapsed_exports() == {"A"}
        runs = log.runs("recalc")
    assert [r["id"] for r in runs] == [1, 3, 4]


def test_paths(tmp_path):
    book = tmp_path / "plan.xlsx"
    assert default_path(book) == tmp_path / "plan.pysnop.sqlite"
    assert resolve_path(book, setting="x.sqlite") == tmp_path / "x.sqlite"
    assert resolve_path(book, override=tmp_path / "o.db", setting="x") == tmp_path / "o.db"
    assert resolve_path(book, setting="  ") == default_path(book)
    # Settings may only name a file in the workbook's folder: never a folder, a parent, a
    # drive or an absolute path (--log is how a person puts the log elsewhere)
    for bad in ("logs/x.sqlite", "/abs/l.db", "..", "../x.sqlite", "C:\\x\\l.db",
                "sub\\l.db", "~/l.db"):
        with pytest.raises(DataError, match="decision_log must name a file"):
            resolve_path(book, setting=bad)


def test_logged_values_are_each_actions_latest_proposal(tmp_path):
    """A proposed in runs 1 and 3 (qty 1 then 3), B in run 1 only, C in run 2 and approved
    there at qty 2: A shows run 3's values, B run 1's, C the values approved."""
    def plan(ids, qty):
        return pd.DataFrame({"action_id": ids, "type": "NEW_ORDER", "owner": "Supply",
                             "qty": qty, "rank": range(1, len(ids) + 1)})
    with DecisionLog(tmp_path / "log.sqlite") as log:
        log.record_run(kind="recalc", at=T[0], proposals=plan(["A", "B"], 1.0))
        log.record_run(kind="recalc", at=T[1], proposals=plan(["C"], 2.0))
        log.record_run(kind="decisions", at=T[2], events=[Event(
            "C", "status", PROPOSED, APPROVED, "Zed", T[2], "accepted",
            fingerprint="f", detail='{"action_id": "C", "qty": 2.0, "note": "approved"}')])
        log.record_run(kind="recalc", at=T[3], proposals=plan(["A", "C"], 3.0))
        values = log.logged_values()
    assert (values["A"]["qty"], values["B"]["qty"]) == (3.0, 1.0)
    assert values["C"] == {"action_id": "C", "qty": 2.0, "note": "approved"}
    assert set(values) == {"A", "B", "C"}


def test_a_run_recorded_unsealed_must_be_sealed_before_it_is_committed(tmp_path):
    """record_run(seal=False) inserts the run's rows for the caller to read back, and seal()
    puts them on the chain; a commit in between is refused (rows no entry covers would have
    the next run refuse the log), and without the caller's transaction it is refused."""
    import datetime as dt

    import pytest

    from pysnop.store import chain
    from pysnop.store.decision_log import DecisionLog

    at = dt.datetime(2026, 11, 18, 9)
    path = tmp_path / "log.sqlite"
    with DecisionLog(path) as log:
        with pytest.raises(ValueError):
            log.record_run(kind="recalc", at=at, seal=False)
        log.begin()
        run_id = log.record_run(kind="recalc", at=at, seal=False)
        assert [r["id"] for r in log.runs("recalc")] == [run_id]  # readable, not sealed
        before = log.head()
        with pytest.raises(RuntimeError):
            log.commit()
        stamp = log.seal()
        assert stamp.seq == before.seq + 1 and stamp == log.head()
        log.commit()
        assert chain.verify(log.db) == []
        with pytest.raises(RuntimeError):
            log.seal()  # nothing left to seal
