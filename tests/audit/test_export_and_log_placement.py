"""Issue 13, scenarios (7)-(9): formula-safe exports, a log that stays in the workbook's
folder, follows the book, and commits with it."""

import csv
import io
import json
import shutil

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

from pysnop.errors import FileAccessError
from pysnop.operations.export import encode, export_frame, formula_safe

DANGEROUS = ["=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1:A9)", "+cmd|'/c calc'!A1",
             "-2+3", "\tTAB", "\rCR"]


@pytest.fixture(autouse=True)
def as_ann(monkeypatch):
    monkeypatch.delenv("PYSNOP_USER", raising=False)
    as_account(monkeypatch, "ann")


# (7) exports a spreadsheet cannot run

def test_formula_safe_cells():
    for text in DANGEROUS:
        assert formula_safe(text) == "'" + text
    for value in ("plain", "a=b", 5, -5.0, None, ""):
        assert formula_safe(value) == value


def test_csv_and_json_exports_are_safe_and_valid(make_book, tmp_path):
    book = make_book(plan_sheets())
    ok("recalc", book)
    order = order_id(book)
    edit(book, order, status="Approved", approver="ann", comment=DANGEROUS[0])
    ok("decide", book)
    out = tmp_path / "erp.csv"
    ok("export", book, "-o", out)
    text = out.read_text(encoding="utf-8")
    [line] = list(csv.DictReader(io.StringIO(text)))
    assert line["comment"] == "'" + DANGEROUS[0]
    for rows in csv.reader(io.StringIO(text)):
        assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in rows), rows


def test_every_dangerous_text_cell_is_escaped_in_csv_and_valid_in_json():
    frame = export_frame(__import__("pandas").DataFrame(
        [{"action_id": f"A{i}", "reason": t, "comment": t, "approver": t, "qty": float("nan"),
          "net_value": -12.5} for i, t in enumerate(DANGEROUS)]))
    rows = list(csv.DictReader(io.StringIO(encode(frame, "csv").decode("utf-8"), newline="")))
    for row, text in zip(rows, DANGEROUS):
        assert row["reason"] == row["comment"] == row["approver"] == "'" + text
        assert row["net_value"] == "-12.5"  # a number stays a number
    data = json.loads(encode(frame, "json"))  # valid JSON: no NaN
    assert [d["comment"] for d in data] == DANGEROUS and data[0]["qty"] is None


def test_export_never_writes_over_the_workbook_its_log_or_another_workbook(make_book,
                                                                          tmp_path):
    book = make_book(plan_sheets())
    ok("recalc", book)
    edit(book, order_id(book), status="Approved", approver="ann")
    other = make_book(plan_sheets())
    renamed = tmp_path / "looks-like.csv"
    shutil.copy(other, renamed)
    before = {p: p.read_bytes() for p in (book, log_path(book), other, renamed)}
    for target, words in ((book, "that is the workbook itself"),
                          (log_path(book), "that is the decision log"),
                          (other, "not a workbook"),
                          (renamed, "it is an existing workbook")):
        code, output = run("export", book, "-o", target)
        assert code == 1 and words in " ".join(output.split()), output
    assert {p: p.read_bytes() for p in before} == before
    assert actions(book)[order_id(book)]["status"] == "Approved"


# (8) Settings decision_log: a file in the workbook's folder, nowhere else

@pytest.mark.parametrize("value", ["../elsewhere/x.sqlite", "sub/x.sqlite", "/tmp/x.sqlite"])
def test_settings_cannot_send_the_log_elsewhere(make_book, tmp_path, value):
    book = make_book(plan_sheets(settings=[("decision_log", value)]))
    before = book.read_bytes()
    code, output = run("recalc", book)
    assert code == 1, output
    assert "Settings (decision_log)" in output and "must name a file in the workbook" in output
    assert not (tmp_path.parent / "elsewhere").exists() and not (tmp_path / "sub").exists()
    assert book.read_bytes() == before


def test_settings_may_rename_the_log_in_the_folder(make_book, tmp_path):
    book = make_book(plan_sheets(settings=[("decision_log", "team.sqlite")]))
    ok("recalc", book)
    assert (tmp_path / "team.sqlite").exists() and not log_path(book).exists()


# (9) the log follows the book and commits with it

def test_output_elsewhere_gets_its_own_log_and_the_input_is_untouched(make_book, tmp_path):
    book = make_book(plan_sheets())
    ok("recalc", book)
    edit(book, order_id(book), status="Approved", approver="ann")
    ok("decide", book)
    source_log = log_path(book).read_bytes()
    source = book.read_bytes()
    out = tmp_path / "out" / "copy.xlsx"
    out.parent.mkdir()
    code, output = run("recalc", book, "-o", out)
    assert code == 0, output
    assert log_path(book).read_bytes() == source_log and book.read_bytes() == source
    assert log_path(out).exists()
    # the output's log continues the input's (same log, one more run) and the output verifies
    assert query(out, "SELECT log_id FROM log_info") == query(book, "SELECT log_id FROM log_info")
    assert runs(out) == runs(book) + 1
    assert run("log", "verify", out)[0] == 0
    assert actions(out)[order_id(out)]["status"] == "Approved"
    # a second run to the same output goes on with its log
    ok("recalc", book, "-o", out)
    assert runs(out) == runs(book) + 2


def test_failed_workbook_write_leaves_no_run_in_the_log(make_book, monkeypatch):
    book = make_book(plan_sheets())
    ok("recalc", book)
    n, head = runs(book), query(book, "SELECT MAX(seq) FROM chain")
    edit(book, order_id(book), status="Approved", approver="ann")

    def disk_full(*args, **kwargs):
        raise FileAccessError("cannot save book1.xlsx: the disk is full")

    monkeypatch.setattr("pysnop.workbook.writer.atomic_write", disk_full)
    for command in (("recalc", book), ("decide", book)):
        code, output = run(*command)
        assert code == 1 and "the disk is full" in output, output
        assert runs(book) == n and query(book, "SELECT MAX(seq) FROM chain") == head
    monkeypatch.undo()
    as_account(monkeypatch, "ann")
    ok("recalc", book)  # the workbook and the log still agree
    assert actions(book)[order_id(book)]["status"] == "Approved"
    assert runs(book) == n + 1
