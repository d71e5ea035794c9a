"""`pysnop recalc` as a process checks its decision log in a forked child while it imports
(pysnop.store.preverify): an edited log is still refused, an intact one still goes on."""

import sqlite3
import subprocess
import sys


def pysnop(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pysnop", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_an_edited_log_is_refused_by_a_fresh_process(tmp_path):
    done = pysnop("demo", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    book = tmp_path / "pysnop-demo.xlsx"
    log = tmp_path / "pysnop-demo.pysnop.sqlite"
    again = pysnop("recalc", str(book), cwd=tmp_path)  # the log exists: the child checks it
    assert again.returncode == 0, again.stderr
    assert "changed outside pysnop" not in again.stdout + again.stderr
    db = sqlite3.connect(log)
    newest = db.execute("SELECT MAX(run_id) FROM proposals").fetchone()[0]
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'proposals_no_update'"
                     ).fetchone()[0]
    db.execute("DROP TRIGGER proposals_no_update")
    db.execute("UPDATE proposals SET qty = qty + 1 WHERE run_id = ?", (newest,))
    db.execute(sql)  # put back exactly: only the re-hash of the newest run finds it
    db.commit()
    db.close()
    before = book.read_bytes()
    refused = pysnop("recalc", str(book), cwd=tmp_path)
    assert refused.returncode == 1
    said = " ".join((refused.stdout + refused.stderr).split())
    assert "changed outside pysnop" in said and "rows no longer match" in said
    assert book.read_bytes() == before  # nothing written
