"""The workbook written by a forked child while the run records itself in the log
(pysnop.pipeline.overlap): the same workbook and the same log as in one process, and a
failure on either side writes nothing and records nothing.

pytest's workers run threads, and only a process with one thread forks: every run here is
a fresh ``python``, as ``pysnop recalc`` is."""

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import python_calamine as pc

from pysnop.demo import build_demo
from pysnop.pipeline.run import recalc
from pysnop.workbook.ooxml.custom_props import read_properties

SCRIPT = textwrap.dedent("""
    import datetime as dt, json, os, sys
    from pathlib import Path
    import time_machine
    from pysnop import forking
    from pysnop.pipeline import overlap
    from pysnop.pipeline.run import recalc

    book, work, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    seen = {}
    write, fork = overlap.write, forking.fork_alone

    def spy(*args, **kwargs):
        said = write(*args, **kwargs)
        seen["forked"] = said is not None
        return said

    def fork_spy():
        pid = fork()
        seen["child"] = bool(pid)  # in the parent: a child was forked
        return pid

    overlap.write, forking.fork_alone = spy, fork_spy
    from pysnop.pipeline.state import Run
    draw_ahead = Run.draw_ahead

    def ahead(run):
        seen["drawn_ahead"] = True
        if mode == "changed_meanwhile":  # someone saves the workbook while pysnop runs
            with open(book, "ab") as fh:
                fh.write(b"saved by someone else")
        draw_ahead(run)

    Run.draw_ahead = ahead
    if mode == "fresh":  # a book's first run: a new log
        (work / "log.sqlite").unlink()
    if mode == "in_turn":  # no fork at all: the plan on a thread, the write in turn
        forking.FORKS = False
    elif mode == "child_fails":  # the save fails in the child (a full disk)
        from pysnop.errors import FileAccessError
        import pysnop.workbook.writer as writer

        def full(*args, **kwargs):
            raise FileAccessError("cannot write: no space left on device")
        writer.atomic_write = full
    elif mode == "parent_fails":  # recording the run fails in the parent
        from pysnop.store.decision_log import DecisionLog

        def broken(self, **kwargs):
            raise OSError("disk I/O error")
        DecisionLog.record_run = broken
    elif mode == "seal_fails":  # sealing the run fails, after the review went to the child
        from pysnop.store.decision_log import DecisionLog

        def broken_seal(self):
            raise OSError("disk I/O error while sealing")
        DecisionLog.seal = broken_seal
    elif mode == "formulas_fail":  # the formula engine fails on the saved package
        import pysnop.workbook.formulas.headless as headless

        def engine_broke(xlsx):
            raise ValueError("engine broke")
        headless.post_save = engine_broke
    elif mode == "child_dies":  # the child is killed before it saves
        import pysnop.workbook.writer as writer

        def die(*args, **kwargs):
            os._exit(9)
        writer.set_properties = die  # after the Review sheet, before the save
    try:
        with time_machine.travel(dt.datetime(2026, 11, 18, 9, 0, 0), tick=False):
            report = recalc(book, output=work / "out.xlsx", log=work / "log.sqlite")
        seen["error"] = None
        seen["said"] = [p.reason for p in report.warnings]
    except BaseException as exc:
        seen["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(seen))
""")


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """The demo after one run (its log exists, its Actions sheet has proposals)."""
    folder = tmp_path_factory.mktemp("planned")
    book = build_demo(folder / "plan.xlsx")
    recalc(book, log=folder / "seed.sqlite")
    return book, folder / "seed.sqlite"


def rerun(planned, tmp_path, mode, book=None):
    """Run ``mode`` in ``tmp_path/work`` (one path for every mode: the log records the
    workbook's path), moved to ``tmp_path/mode`` afterwards; on ``book`` if given."""
    book, seed = (book or planned[0]), planned[1]
    work = tmp_path / "work"
    work.mkdir()
    if mode == "changed_meanwhile":  # a copy: this run changes it
        book = Path(shutil.copyfile(book, tmp_path / book.name))
    shutil.copyfile(seed, work / "log.sqlite")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(book), str(work), mode],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return work.rename(tmp_path / mode), json.loads(done.stdout.strip().splitlines()[-1])


def runs(log):
    db = sqlite3.connect(log)
    try:
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    finally:
        db.close()


def tables(log):
    db = sqlite3.connect(log)
    try:
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: sorted(map(repr, db.execute(f'SELECT * FROM "{n}"'))) for n in names}
    finally:
        db.close()


def sheets(path):
    book = pc.CalamineWorkbook.from_path(str(path))
    return {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}


def test_the_child_writes_what_one_process_writes(planned, tmp_path):
    forked, seen = rerun(planned, tmp_path, "overlapped")
    in_turn, seen_in_turn = rerun(planned, tmp_path, "in_turn")
    assert seen_in_turn["error"] is None and seen["said"] == seen_in_turn["said"]
    seen.pop("said")
    assert seen == {"child": True, "drawn_ahead": True, "forked": True, "error": None}
    assert not seen_in_turn.get("child") and "forked" not in seen_in_turn  # nothing forked
    assert "drawn_ahead" not in seen_in_turn
    # the log: every table equal row for row, the chain's digests and hashes among them
    # (the clock is frozen, so even the times agree)
    assert tables(forked / "log.sqlite") == tables(in_turn / "log.sqlite")
    assert runs(forked / "log.sqlite") == runs(planned[1]) + 1
    # the workbook: every sheet's values, its stamp, its parts
    a, b = forked / "out.xlsx", in_turn / "out.xlsx"
    assert sheets(a) == sheets(b)
    assert "Review" in sheets(a) and "Actions" in sheets(a)
    assert read_properties(a) == read_properties(b)
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.namelist() == zb.namelist()
    # the same book, log and clock in another process: the same bytes, part by part (styles
    # numbered in order of first use, pysnop's XML written as it was)
    again, _ = rerun(planned, tmp_path, "overlapped_again")
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(again / "out.xlsx") as zc:
        assert [n for n in za.namelist() if za.read(n) != zc.read(n)] == []
    # and the stamp is the log's new last entry
    db = sqlite3.connect(forked / "log.sqlite")
    seq, digest = db.execute("SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1"
                             ).fetchone()
    db.close()
    props = read_properties(a)
    assert props["pysnop_log_entry"] == str(seq) and props["pysnop_log_hash"] == digest


@pytest.mark.parametrize("mode, said", [
    ("child_fails", "FileAccessError: cannot write: no space left on device"),
    ("parent_fails", "OSError: disk I/O error"),
    ("seal_fails", "OSError: disk I/O error while sealing"),
    ("child_dies", "RuntimeError: the process writing the workbook stopped"),
    ("changed_meanwhile", "FileAccessError: "),
])
def test_a_failure_on_either_side_writes_and_records_nothing(planned, tmp_path, mode, said):
    work, seen = rerun(planned, tmp_path, mode)
    assert seen["child"] is True  # it failed with the work split between two processes
    assert seen["error"].startswith(said)
    assert not (work / "out.xlsx").exists()
    assert not list(work.glob("*.tmp*"))  # no temporary file left behind
    assert runs(work / "log.sqlite") == runs(planned[1])  # the log rolled back
    assert tables(work / "log.sqlite") == tables(planned[1])


CALLS = textwrap.dedent("""
    import json, os, threading
    from pysnop import forking
    from pysnop.errors import DataError

    out = {}
    out["result"] = forking.fork_call(lambda a, b=0: {"sum": a + b, "pid": os.getpid()},
                                      2, b=3).result()
    out["parent"] = os.getpid()

    def fails(kind):
        if kind == "data":
            raise DataError("bad qty", sheet="Inventory", row=4, column="qty", value=-1)
        if kind == "value":
            raise ValueError("the LP is infeasible")
        if kind == "own_init":  # an __init__ taking other arguments than its args
            from pysnop.workbook.ooxml.transplant import NotPysnopsSheet
            raise NotPysnopsSheet("Review")
        if kind == "unpicklable":
            class Local(Exception):
                pass
            raise Local("made inside")
        os._exit(5)

    for kind in ("data", "value", "own_init", "unpicklable", "dies"):
        try:
            forking.fork_call(fails, kind).result()
            out[kind] = None
        except BaseException as exc:
            out[kind] = [type(exc).__name__, str(exc), getattr(exc, "row", None)]
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    out["with_thread"] = forking.fork_call(len, [1]) is None
    stop.set()
    t.join()
    print(json.dumps(out))
""")


def test_a_forked_call_returns_its_value_or_raises_what_it_raised():
    done = subprocess.run([sys.executable, "-c", CALLS], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["result"]["sum"] == 5 and out["result"]["pid"] != out["parent"]  # a child's
    assert out["data"] == ["DataError", "Inventory row 4 (qty): bad qty", 4]  # whole
    assert out["value"] == ["ValueError", "the LP is infeasible", None]  # as the plan's
    from pysnop.workbook.ooxml.transplant import NotPysnopsSheet
    assert out["own_init"] == ["NotPysnopsSheet", str(NotPysnopsSheet("Review")), None]
    assert out["unpicklable"] == ["RuntimeError", "Local: made inside", None]
    assert out["dies"][0] == "RuntimeError" and "stopped" in out["dies"][1]
    assert out["with_thread"] is True  # another thread running: not forked, None


def test_a_first_run_seals_its_forecasts_before_itself(planned, tmp_path):
    """A book's first run with the work split between two processes: the log started, this
    cycle's forecasts (consensus stage) and the run (sealed beside the write) come on the
    chain in that order, and the workbook carries the run's entry."""
    first = build_demo(tmp_path / "first.xlsx")  # never run: no stamp, no log
    work, seen = rerun(planned, tmp_path, "fresh", book=first)
    assert seen["forked"] is True and seen["error"] is None
    db = sqlite3.connect(work / "log.sqlite")
    kinds = [r[0] for r in db.execute("SELECT kind FROM chain ORDER BY seq")]
    db.close()
    assert kinds == ["log", "forecast_run", "run"]
    assert read_properties(work / "out.xlsx")["pysnop_log_entry"] == "3"


def test_what_the_save_says_in_the_child_reaches_the_run(planned, tmp_path):
    """A warning said while the workbook is saved — the formula engine failing on it, in
    the child — is the run's warning as it is when one process saves (the CLI prints it)."""
    work, seen = rerun(planned, tmp_path, "formulas_fail")
    assert seen["forked"] is True  # the child saved, and answered
    assert seen["error"] is None and (work / "out.xlsx").exists()
    said = [m for m in seen["said"] if m.startswith("formulas were not recalculated")]
    assert said == ["formulas were not recalculated (engine broke); pysnop's sheets are "
                    "written, and Excel recalculates the formulas on open"]
