"""Issue 13, scenario (5): a log that was deleted, restored from an older copy, edited,
given a back-dated row, stripped of its triggers or replaced is refused, with a message
saying what happened and how to proceed; ``pysnop log verify`` says the same; ``pysnop log
adopt`` starts a new log, explicitly, never silently.
"""

import shutil
import sqlite3

import pytest
from audit_helpers import (
    actions,
    as_account,
    edit,
    log_path,
    ok,
    order_id,
    plan_sheets,
    query,
    run,
    runs,
)

from pysnop.workbook.ooxml.custom_props import read_properties


@pytest.fixture(autouse=True)
def as_ann(monkeypatch):
    monkeypatch.delenv("PYSNOP_USER", raising=False)
    as_account(monkeypatch, "ann")


@pytest.fixture
def exported(make_book, tmp_path):
    """A workbook whose NEW_ORDER was approved and exported; a copy of its log taken
    before the export (``older``)."""
    book = make_book(plan_sheets())
    ok("recalc", book)
    order = order_id(book)
    edit(book, order, status="Approved", approver="ann")
    ok("decide", book)
    older = tmp_path / "older.sqlite"
    shutil.copy(log_path(book), older)
    ok("export", book, "-o", tmp_path / "erp.csv")
    assert actions(book)[order]["status"] == "Exported"
    return book, order, older


def refused(book, *args, code, words):
    """Every command that reads the log refuses, naming ``code``'s story; nothing changes."""
    before, log_before = book.read_bytes(), log_path(book).read_bytes() \
        if log_path(book).exists() else None
    for command in (("recalc", book), ("decide", book), ("export", book), ("review", book),
                    ("log", book)):
        status, output = run(*command, *args)
        assert status == 1, (command, output)
        assert words in " ".join(output.split()), (command, output)
        assert "pysnop log verify" in output and "pysnop log adopt" in output, output
    status, output = run("log", "verify", book, *args)
    assert status == 1 and code in output, output
    assert book.read_bytes() == before
    if log_before is not None:
        assert log_path(book).read_bytes() == log_before


def test_intact_log_verifies(exported):
    book, _, _ = exported
    status, output = run("log", "verify", book)
    assert status == 0 and "ok" in output, output
    props = read_properties(book)
    head = query(book, "SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1")[0]
    assert (props["pysnop_log_entry"], props["pysnop_log_hash"]) == (str(head[0]), head[1])
    # adopting over a whole log is refused: there is nothing to adopt
    status, output = run("log", "adopt", book)
    assert status == 1 and "nothing to adopt" in output


def test_deleted_log_is_refused_not_started_afresh(exported, tmp_path):
    book, order, _ = exported
    log_path(book).unlink()
    refused(book, code="missing", words="is missing")
    assert not log_path(book).exists()
    # the explicit way on: a new log adopting the workbook's decisions
    output = ok("log", "adopt", book)
    assert "exported 1" not in output and "1 exported" in output, output
    assert query(book, "SELECT origin FROM log_info") == [("adopted",)]
    ok("recalc", book)
    assert actions(book)[order]["status"] == "Exported"  # still exported: not exported twice
    status, output = run("export", book, "-o", tmp_path / "again.csv")
    assert "nothing written" in output and not (tmp_path / "again.csv").exists()


def test_restored_older_log_is_refused_and_nothing_exports_twice(exported, tmp_path):
    book, order, older = exported
    shutil.copy(older, log_path(book))  # the log from before the export
    refused(book, code="rolled_back", words="is older than")
    assert not list(tmp_path.glob("*.csv"))[1:]  # only the one export file


BACK_DATED = ("INSERT INTO decisions (run_id, action_id, field, old, new, who, at, outcome) "
              "VALUES (1, ?, 'status', 'Exported', 'Rejected', 'eve', '2026-11-01T09:00:00', "
              "'accepted')")


def test_back_dated_decision_row_is_refused(exported):
    book, order, _ = exported
    db = sqlite3.connect(log_path(book))
    with pytest.raises(sqlite3.IntegrityError, match="earlier run refused on decisions"):
        db.execute(BACK_DATED, (order,))  # SQLite refuses a row for an earlier run
    with db:  # past the trigger: every run finds it gone
        db.execute("DROP TRIGGER decisions_no_insert")
        db.execute(BACK_DATED, (order,))
    db.close()
    refused(book, code="triggers", words="append-only triggers were dropped or changed")


def test_back_dated_row_behind_restored_triggers_is_found_by_log_verify(exported):
    """Dropping the trigger, inserting and re-creating it exactly leaves no trace a run's
    check sees in an old run (run 1 of 3; runs re-hash the newest two): `pysnop log verify`
    re-hashes every run and finds it (README, "The trust model")."""
    book, order, _ = exported
    db = sqlite3.connect(log_path(book))
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'decisions_no_insert'"
                     ).fetchone()[0]
    with db:
        db.execute("DROP TRIGGER decisions_no_insert")
        db.execute(BACK_DATED, (order,))
        db.execute(sql)
    db.close()
    status, output = run("log", "verify", book)
    assert status == 1 and "edited" in output and "run 1 " in output, output


def test_inserted_run_is_refused(exported):
    book, order, _ = exported
    db = sqlite3.connect(log_path(book))
    with db:
        cur = db.execute("INSERT INTO runs (at, kind) VALUES ('2026-11-01T09:00:00', 'decisions')")
        db.execute("INSERT INTO decisions (run_id, action_id, field, old, new, who, at, outcome)"
                   " VALUES (?, ?, 'status', 'Exported', 'Rejected', 'eve', "
                   "'2026-11-01T09:00:00', 'accepted')", (cur.lastrowid, order))
    db.close()
    refused(book, code="outside", words="inserted outside pysnop")


def test_dropped_triggers_are_refused(exported):
    book, order, _ = exported
    db = sqlite3.connect(log_path(book))
    db.execute("DROP TRIGGER decisions_no_update")
    db.execute("UPDATE decisions SET new = 'Rejected', who = 'eve' WHERE new = 'Exported'")
    db.commit()
    db.close()
    refused(book, code="triggers", words="append-only triggers were dropped or changed")


def test_dropped_trigger_alone_is_refused(exported):
    book, _, _ = exported
    db = sqlite3.connect(log_path(book))
    db.execute("DROP TRIGGER exports_no_delete")
    db.execute("CREATE TRIGGER exports_no_delete BEFORE DELETE ON exports BEGIN SELECT 1; END")
    db.commit()
    db.close()
    refused(book, code="triggers", words="exports (DELETE is not refused)")


def test_rebuilt_log_is_refused(exported, make_book, tmp_path):
    """A consistent log of another workbook (another id) put in place of this one's."""
    book, _, _ = exported
    other = make_book(plan_sheets())
    ok("recalc", other)
    shutil.copy(log_path(other), log_path(book))
    refused(book, code="replaced", words="is not the log of")


def test_diverged_log_is_refused(exported, tmp_path):
    """The same log, extended by another copy of the workbook: this workbook's last entry is
    not in it."""
    book, _, older = exported
    twin = tmp_path / "twin" / book.name
    twin.parent.mkdir()
    shutil.copy(book, twin)
    shutil.copy(log_path(book), log_path(twin))
    ok("recalc", book)  # the log moves on from the workbook's entry ...
    ok("recalc", twin)  # ... and so does the twin's copy of it, another way
    shutil.copy(log_path(twin), log_path(book))
    refused(book, code="diverged", words="does not hold the entry")


def test_older_workbook_shows_the_logs_later_decisions(exported, tmp_path):
    """A workbook restored from its backup is behind its log: allowed, and the decisions
    recorded since it was saved are the log's (the export stays exported)."""
    book, order, _ = exported
    backup = book.with_name(book.name + ".bak")  # kept by the in-place writes
    shutil.copy(backup, book)
    assert actions(book)[order]["status"] == "Approved"
    code, output = run("recalc", book)
    assert code == 0, output
    assert "decided in the decision log after this copy of the workbook was saved" in output
    assert actions(book)[order]["status"] == "Exported"
    status, output = run("export", book, "-o", tmp_path / "again.csv")
    assert "nothing written" in output


def test_unchained_log_is_upgraded_once_and_said_so(make_book):
    """A log of the first releases (no chain, schema version 1) is sealed, with a warning."""
    book = make_book(plan_sheets())
    log = log_path(book)
    db = sqlite3.connect(log)
    db.executescript(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, "
        "workbook TEXT, fingerprint TEXT, as_of TEXT, user TEXT, counts TEXT);"
        "INSERT INTO runs (at, kind) VALUES ('2026-11-11T09:00:00', 'recalc');"
        "PRAGMA user_version = 1;")
    db.close()
    code, output = run("recalc", book)
    assert code == 0, output
    assert "written before logs were chained" in output and "1 earlier runs" in output
    assert runs(book) == 2
    assert query(book, "SELECT origin, sealed FROM log_info") == [("upgraded", 1)]
    assert run("log", "verify", book)[0] == 0
