"""The log checked by a forked child while the run imports (pysnop.store.preverify).

The child is forked only by a process with one thread, and pytest's workers have more, so
each case runs in a fresh ``python`` of its own, as ``pysnop recalc`` does."""

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import textwrap

import pandas as pd

from pysnop.core.decisions import APPROVED, PROPOSED, Event
from pysnop.store.decision_log import DecisionLog

T = [dt.datetime(2026, 11, 16 + d, 9) for d in range(4)]


def four_runs(path):
    with DecisionLog(path) as log:
        log.record_run(kind="recalc", at=T[0], proposals=pd.DataFrame(
            {"action_id": ["A"], "type": ["NEW_ORDER"], "owner": ["Supply"], "qty": [10.0]}),
            events=[Event("A", "status", None, PROPOSED, "pysnop", T[0], "system")])
        for day in range(1, 4):
            log.record_run(kind="decisions", at=T[day], events=[
                Event(f"A{day}", "status", PROPOSED, APPROVED, "ann", T[day], "accepted")])


def rewrite(path, run_id, who="mallory"):
    """Rewrite a run's decisions past the append-only trigger, put back exactly."""
    db = sqlite3.connect(path)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'decisions_no_update'"
                     ).fetchone()[0]
    db.execute("DROP TRIGGER decisions_no_update")
    db.execute("UPDATE decisions SET who = ? WHERE run_id = ?", (who, run_id))
    db.execute(sql)
    db.commit()
    db.close()


def in_fresh_python(body, path):
    """Run ``body`` (with ``path``, ``preverify``, ``chain``, ``read_only``, ``out``) in a
    new interpreter; what it puts in ``out`` comes back."""
    script = textwrap.dedent("""
        import json, os, sys
        from pathlib import Path
        from pysnop.store import chain, preverify
        from pysnop.store.integrity import diagnose, read_only
        path = Path(sys.argv[1])
        out = {}
    """) + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


ROUND = """
    preverify.start(path)
    out["forked"] = bool(preverify._children)
    found = preverify.take(path)
    out["child"] = None if found is None else [[f.code, f.detail] for f in found]
    db = read_only(path)
    out["itself"] = [[f.code, f.detail] for f in chain.verify(db, full=False)]
    db.close()
    out["diagnosis"] = diagnose(path, None, book="b.xlsx").code
"""


def test_the_child_finds_what_the_run_would_intact_or_edited(tmp_path):
    path = tmp_path / "log.sqlite"
    four_runs(path)
    got = in_fresh_python(ROUND, path)
    assert got["forked"] and got["child"] == got["itself"] == []
    assert got["diagnosis"] == "new_workbook"  # runs but no stamp: goes on
    rewrite(path, 4)  # the newest run: every run re-hashes it
    got = in_fresh_python(ROUND, path)
    assert got["forked"]
    assert [c for c, _ in got["child"]] == ["edited"] and got["child"] == got["itself"]
    assert got["child"][0][1].startswith("run 4 ")
    assert got["diagnosis"] == "edited"


def test_a_file_changed_after_the_child_read_it_is_verified_again(tmp_path):
    """The child saw the file intact; it is edited before the run looks: the child's answer
    is not used, and the run's own check finds the edit."""
    path = tmp_path / "log.sqlite"
    four_runs(path)
    body = """
        preverify.start(path)
        os.waitpid(preverify._children[path.resolve()].pid, 0)  # done with the intact file
        import sqlite3
        db = sqlite3.connect(path)
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'decisions_no_update'"
                         ).fetchone()[0]
        db.execute("DROP TRIGGER decisions_no_update")
        db.execute("UPDATE decisions SET who = 'mallory' WHERE run_id = 4")
        db.execute(sql)
        db.commit()
        db.close()
        out["taken"] = preverify.take(path) is None
        preverify.start(path)
        os.waitpid(preverify._children[path.resolve()].pid, 0)
        os.utime(path)  # only the time changes: not the same file state either
        out["touched"] = preverify.take(path) is None
        preverify.start(path)
        os.waitpid(preverify._children[path.resolve()].pid, 0)
        open(str(path) + "-journal", "wb").close()  # a transaction under way
        out["journal"] = preverify.take(path) is None
        os.remove(str(path) + "-journal")
        preverify.start(path)
        os.waitpid(preverify._children[path.resolve()].pid, 0)
        out["diagnosis"] = diagnose(path, None, book="b.xlsx").code
    """
    got = in_fresh_python(body, path)
    assert got == {"taken": True, "touched": True, "journal": True, "diagnosis": "edited"}


def test_no_child_with_threads_running_none_for_a_missing_file(tmp_path):
    path = tmp_path / "log.sqlite"
    four_runs(path)
    body = """
        import threading
        stop = threading.Event()
        t = threading.Thread(target=stop.wait)
        t.start()
        preverify.start(path)
        out["with_thread"] = len(preverify._children)
        stop.set()
        t.join()
        preverify.start(path.with_name("missing.sqlite"))
        out["missing"] = len(preverify._children)
        out["take_unstarted"] = preverify.take(path)
        del os.fork
        preverify.start(path)
        out["no_fork"] = len(preverify._children)
    """
    got = in_fresh_python(body, path)
    assert got == {"with_thread": 0, "missing": 0, "take_unstarted": None, "no_fork": 0}


def test_the_log_a_recalc_will_use(tmp_path):
    from pathlib import Path

    from pysnop.store.preverify import expected_path

    book = Path("/w/plan.xlsx")
    assert expected_path(book, output=None, log=None) == Path("/w/plan.pysnop.sqlite")
    assert expected_path(book, output=Path("/o/next.xlsx"), log=None) == Path(
        "/o/next.pysnop.sqlite")
    assert expected_path(book, output=tmp_path, log=None) == tmp_path / "plan.pysnop.sqlite"
    assert expected_path(book, output=Path("/o/next.xlsx"), log=Path("/l/x.sqlite")) == Path(
        "/l/x.sqlite")
