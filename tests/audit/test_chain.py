"""The hash chain itself (pysnop.store.chain): what it seals, what it finds, what it ignores."""

import datetime as dt
import hashlib
import itertools
import json
import sqlite3

import pandas as pd

from pysnop.core.decisions import APPROVED, PROPOSED, Event
from pysnop.store import chain
from pysnop.store.decision_log import DecisionLog
from pysnop.store.history import record_cycle
from pysnop.store.integrity import diagnose

T = [dt.datetime(2026, 11, 16 + d, 9) for d in range(4)]


def ev(action, new, who="ann", outcome="accepted"):
    return Event(action, "status", PROPOSED, new, who, T[1], outcome)


def two_runs(path):
    with DecisionLog(path) as log:
        log.record_run(kind="recalc", at=T[0], proposals=pd.DataFrame(
            {"action_id": ["A"], "type": ["NEW_ORDER"], "owner": ["Supply"], "qty": [10.0]}),
            events=[ev("A", PROPOSED, "pysnop", "system")])
        log.record_run(kind="decisions", at=T[1], events=[ev("A", APPROVED)])
        return log.head()


def test_each_entry_carries_the_hash_of_the_one_before(tmp_path):
    path = tmp_path / "log.sqlite"
    head = two_runs(path)
    db = sqlite3.connect(path)
    rows = db.execute("SELECT seq, at, kind, ref, digest, prev, hash FROM chain ORDER BY seq"
                      ).fetchall()
    assert [r[2] for r in rows] == ["log", "run", "run"]
    assert rows[0][5] == "0" * 64
    for before, after in itertools.pairwise(rows):
        assert after[5] == before[6]
    # the hash of entry 3 worked by hand from its fields
    seq, at, kind, ref, digest, prev, h = rows[2]
    text = f"{seq}\n{at}\n{kind}\n{ref}\n{digest}\n{prev}"
    assert h == hashlib.sha256(text.encode()).hexdigest() == head.hash
    # and its digest from its rows: the runs row and the one decision, canonical JSON
    run = dict(zip([d[0] for d in db.execute("SELECT * FROM runs WHERE id = 2").description],
                   db.execute("SELECT * FROM runs WHERE id = 2").fetchone()))
    cur = db.execute("SELECT * FROM decisions WHERE run_id = 2")
    decision = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    lines = [f"runs\t{chain.canonical(run)}\n", f"decisions\t{chain.canonical(decision)}\n"]
    assert digest == hashlib.sha256("".join(lines).encode()).hexdigest()
    assert json.loads(chain.canonical(decision))["who"] == "ann"
    assert chain.verify(db) == []
    db.close()


def test_added_columns_and_vacuum_leave_the_chain_whole(tmp_path):
    """Another engineer's column on the run record (an on-hand fingerprint): old rows keep
    their hashes (null columns are not hashed); new rows are covered with it."""
    path = tmp_path / "log.sqlite"
    two_runs(path)
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE runs ADD COLUMN onhand_fingerprint TEXT")
    db.execute("VACUUM")
    db.commit()
    assert chain.verify(db) == []
    db.close()
    with DecisionLog(path) as log:
        log.db.execute("BEGIN IMMEDIATE")
        cur = log.db.execute("INSERT INTO runs (at, kind, onhand_fingerprint) VALUES "
                             "('2026-11-19T09:00:00', 'recalc', 'abc')")
        chain.append(log.db, "run", int(cur.lastrowid), "2026-11-19T09:00:00")
        log.commit()
    db = sqlite3.connect(path)
    assert chain.verify(db) == []
    db.execute("DROP TRIGGER runs_no_update")
    db.execute("UPDATE runs SET onhand_fingerprint = 'abd' WHERE id = 3")
    db.commit()
    codes = {f.code for f in chain.verify(db)}
    assert codes == {"triggers", "edited"}
    db.close()


def test_forecast_history_is_sealed_too(tmp_path):
    path = tmp_path / "log.sqlite"
    rows = pd.DataFrame({"node": ["n"], "level": ["sku_location"], "category": [None],
                         "sku": ["A"], "location": ["S"], "week": [pd.Timestamp("2026-11-30")],
                         "source": ["Planning"], "units": [10.0]})
    assert record_cycle(path, rows, as_of=dt.date(2026, 11, 18))
    db = sqlite3.connect(path)
    assert [r[0] for r in db.execute("SELECT kind FROM chain ORDER BY seq")] == [
        "log", "forecast_run"]
    db.execute("DROP TRIGGER forecast_history_no_update")
    db.execute("UPDATE forecast_history SET units = 99")
    db.commit()
    found = chain.verify(db)
    assert {f.code for f in found} == {"triggers", "edited"}
    assert any("forecast record 1" in f.detail for f in found)
    db.close()


def test_a_log_without_a_stamp_or_decisions_goes_on(tmp_path):
    path = tmp_path / "log.sqlite"
    head = two_runs(path)
    assert diagnose(path, None, book="b.xlsx").code == "new_workbook"
    assert diagnose(path, None, book="b.xlsx", decided_rows=1).code == "unstamped"
    assert diagnose(path, head, book="b.xlsx").code == "ok"
    earlier = chain.Stamp(head.log_id, head.seq - 1, sqlite3.connect(path).execute(
        "SELECT hash FROM chain WHERE seq = ?", (head.seq - 1,)).fetchone()[0])
    assert diagnose(path, earlier, book="b.xlsx").code == "behind"
    assert diagnose(path, chain.Stamp(head.log_id, head.seq + 1, "x" * 64),
                    book="b.xlsx").code == "rolled_back"
    assert diagnose(path, chain.Stamp(head.log_id, head.seq, "x" * 64),
                    book="b.xlsx").code == "diverged"
    assert diagnose(path, chain.Stamp("other", head.seq, head.hash),
                    book="b.xlsx").code == "replaced"
    assert diagnose(tmp_path / "none.sqlite", head, book="b.xlsx").code == "missing"
    assert diagnose(tmp_path / "none.sqlite", None, book="b.xlsx").code == "ok"


def test_runs_rehash_recent_forecasts_and_log_verify_all(tmp_path):
    """The bulk of the file, old forecast history, is re-hashed by `pysnop log verify`; each
    run re-hashes the newest records (and finds dropped triggers, which rewriting takes)."""
    path = tmp_path / "log.sqlite"
    for day in (11, 18, 25):
        rows = pd.DataFrame({"node": ["n"], "level": ["sku_location"], "category": [None],
                             "sku": ["A"], "location": ["S"],
                             "week": [pd.Timestamp(2026, 12, day % 28 + 1)],
                             "source": ["Planning"], "units": [float(day)]})
        assert record_cycle(path, rows, as_of=dt.date(2026, 11, day))
    db = sqlite3.connect(path)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'forecast_history_no_update'"
                     ).fetchone()[0]
    db.execute("DROP TRIGGER forecast_history_no_update")
    db.execute("UPDATE forecast_history SET units = 99 WHERE run_id = 1")  # the oldest
    db.execute(sql)  # put back as it was
    db.commit()
    assert chain.verify(db, full=False) == []
    [found] = chain.verify(db, full=True)
    assert (found.code, found.detail) == ("edited", "forecast record 1 (entry 2)")
    db.execute("DROP TRIGGER forecast_history_no_update")
    db.execute("UPDATE forecast_history SET units = 98 WHERE run_id = 3")  # the newest
    db.execute(sql)
    db.commit()
    assert [f.detail for f in chain.verify(db, full=False)] == ["forecast record 3 (entry 4)"]
    db.close()


def test_runs_rehash_recent_runs_and_log_verify_all(tmp_path):
    """A decision run older than the newest RECENT_RUNS, rewritten past its triggers (dropped,
    then put back exactly), is found by `pysnop log verify`; a recent one by every run."""
    assert chain.RECENT_RUNS == 2
    path = tmp_path / "log.sqlite"
    with DecisionLog(path) as log:
        for day in range(4):  # runs 1..4, entries 2..5
            log.record_run(kind="decisions", at=T[day], events=[ev(f"A{day}", APPROVED)])
    db = sqlite3.connect(path)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'decisions_no_update'"
                     ).fetchone()[0]

    def rewrite(run_id, who):
        db.execute("DROP TRIGGER decisions_no_update")
        db.execute("UPDATE decisions SET who = ? WHERE run_id = ?", (who, run_id))
        db.execute(sql)  # put back as it was
        db.commit()

    rewrite(2, "mallory")  # run 2 of 4: not among the newest two
    assert chain.verify(db, full=False) == []
    [found] = chain.verify(db, full=True)
    assert found.code == "edited" and found.detail.startswith("run 2 (decisions of ")
    assert found.detail.endswith("entry 3)")
    rewrite(3, "mallory")  # run 3 of 4: the newest two are runs 3 and 4
    assert [f.detail[:5] for f in chain.verify(db, full=False)] == ["run 3"]
    assert [f.detail[:5] for f in chain.verify(db, full=True)] == ["run 2", "run 3"]
    db.close()
    # and what every run does (the diagnosis before a run) is the same check
    assert diagnose(path, None, book="b.xlsx").code == "edited"


def test_rows_outside_the_chain_are_found_in_any_run(tmp_path):
    """The outside-rows check walks the run ids of each table by its index: a row (past the
    INSERT trigger) given the id of no run, or a text id, is found by every run."""
    path = tmp_path / "log.sqlite"
    two_runs(path)
    with DecisionLog(path) as log:
        for day in range(2, 4):
            log.record_run(kind="decisions", at=T[day], events=[ev(f"A{day}", APPROVED)])
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER risks_no_insert")
    for run_id in (7, "x"):
        db.execute("INSERT INTO risks (run_id, sku) VALUES (?, 'back-dated')", (run_id,))
    db.commit()
    found = [(f.code, f.detail) for f in chain.verify(db, full=False)]
    assert found == [("triggers", "risks (INSERT is not refused)"),
                     ("outside", "risks rows of runs 7"), ("outside", "risks rows of runs x")]
    db.close()


def test_rows_of_earlier_runs_cannot_be_replaced_or_added(tmp_path):
    """INSERT OR REPLACE deletes the row it replaces without firing the DELETE trigger, and
    a plain INSERT can name any run: the INSERT trigger refuses both for earlier runs."""
    path = tmp_path / "log.sqlite"
    two_runs(path)  # runs 1 (recalc) and 2 (decisions)
    db = sqlite3.connect(path)
    attempts = [
        "INSERT OR REPLACE INTO decisions (id, run_id, action_id, field, new, who, at, "
        "outcome) VALUES (1, 2, 'A', 'status', 'Rejected', 'eve', 'x', 'accepted')",
        "INSERT OR REPLACE INTO proposals (rowid, run_id, action_id) VALUES (1, 2, 'A')",
        "INSERT OR REPLACE INTO runs (id, at, kind) VALUES (1, 'x', 'recalc')",
        "INSERT INTO proposals (run_id, action_id) VALUES (1, 'B')",
        "INSERT INTO decisions (run_id, action_id, field, who, at, outcome) "
        "VALUES (1, 'A', 'comment', 'eve', 'x', 'accepted')",
    ]
    for sql in attempts:
        try:
            db.execute(sql)
        except sqlite3.IntegrityError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"not refused: {sql}")
    db.close()
    with DecisionLog(path) as log:  # pysnop's own next run is not
        log.record_run(kind="decisions", at=T[2], events=[ev("A", APPROVED)])
        assert log.verify() == []


def test_a_file_from_before_the_insert_triggers_has_every_run_rehashed(tmp_path):
    """A version-2 file (or one set back to version 2 to shed its INSERT triggers): rows may
    have been added to any earlier run, so every run re-hashes all of them; opening it
    with pysnop gives it the triggers."""
    path = tmp_path / "log.sqlite"
    with DecisionLog(path) as log:
        for day in range(4):
            log.record_run(kind="decisions", at=T[day], events=[ev(f"A{day}", APPROVED)])
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER decisions_no_insert")
    db.execute("INSERT INTO decisions (run_id, action_id, field, who, at, outcome) "
               "VALUES (1, 'A0', 'comment', 'eve', 'x', 'accepted')")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    assert [(f.code, f.detail[:5]) for f in chain.verify(db, full=False)] == [
        ("edited", "run 1")]
    db.close()
    # a file as version 2 wrote it (no INSERT triggers) gets them when pysnop opens it
    path = tmp_path / "v2.sqlite"
    two_runs(path)
    db = sqlite3.connect(path)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE name LIKE '%_no_insert'"
                              ).fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    assert chain.verify(db, full=False) == []
    db.close()
    DecisionLog(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"runs_no_insert", "decisions_no_insert", "forecast_history_no_insert"} <= names
    assert chain.verify(db, full=False) == []
    db.close()
