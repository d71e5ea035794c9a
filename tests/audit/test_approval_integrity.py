"""Issue 13, scenarios (1)-(4) and (6): an approval binds what was shown, by whom.

The plan is audit_helpers' (a NEW_ORDER of 10 units for 2026-11-30, owner Supply; marketing
remedies for BF). Every test runs the command line on a real workbook file.
"""

import csv
import json

import openpyxl
import pytest
from audit_helpers import (
    actions,
    add_row,
    as_account,
    column_letter,
    edit,
    log_path,
    marketing_id,
    ok,
    order_id,
    plan_sheets,
    query,
    row_of,
    run,
    runs,
)


@pytest.fixture(autouse=True)
def nobody_declared(monkeypatch):
    monkeypatch.delenv("PYSNOP_USER", raising=False)
    as_account(monkeypatch, "svc-batch")


def cell(path, action, column) -> str:
    return f"{column_letter(path, column)}{row_of(path, action)}"


# (1) cells edited after approval never reach the ERP; a row pysnop never proposed is dropped

def test_export_writes_the_approved_values_not_edited_cells(make_book, tmp_path):
    book = make_book(plan_sheets())
    ok("recalc", book)
    order = order_id(book)
    edit(book, order, status="Approved", approver="ann")
    ok("decide", book)
    qty, location = cell(book, order, "qty"), cell(book, order, "location")
    edit(book, order, qty=76387, location="DC1")  # after the approval, by hand
    add_row(book, action_id="EXP-deadbeef", type="NEW_ORDER", owner="Supply", sku="99999",
            location="NOWHERE", qty=128000, status="Approved", approver="ann")
    out = tmp_path / "erp.csv"
    code, output = run("export", book, "-o", out)
    assert code == 0, output
    assert f"Actions!{qty} (qty)" in output and "restored 10" in output
    assert f"Actions!{location} (location)" in output and "restored S01" in output
    assert "EXP-deadbeef is not an action pysnop proposed" in output
    [line] = list(csv.DictReader(out.open(encoding="utf-8")))
    # the approved values: 10 units of 00123 at S01 for the week of 2026-11-30
    assert (line["action_id"], line["sku"], line["location"], float(line["qty"]),
            line["week"], line["approver"]) == (order, "00123", "S01", 10.0, "2026-11-30",
                                                "ann")
    rows = actions(book)
    assert "EXP-deadbeef" not in rows
    assert (rows[order]["qty"], rows[order]["location"], rows[order]["status"]) == (
        10, "S01", "Exported")
    [(detail,)] = query(book, "SELECT detail FROM exports")
    assert json.loads(detail)["qty"] == 10.0


def test_approval_typed_with_edited_values_binds_pysnops_values(make_book, tmp_path):
    book = make_book(plan_sheets())
    ok("recalc", book)
    order = order_id(book)
    # the values are edited and approved in one go: the approval is of what pysnop showed
    edit(book, order, qty=5000, status="Approved", approver="ann")
    out = tmp_path / "erp.json"
    ok("export", book, "--format", "json", "-o", out)
    [exported] = json.loads(out.read_text())
    assert (exported["action_id"], exported["qty"]) == (order, 10.0)


# (2) a re-run that changes an approved value asks for re-approval

def test_rerun_that_changes_an_approved_qty_needs_reapproval(make_book, tmp_path):
    book = make_book(plan_sheets())
    ok("recalc", book)
    order = order_id(book)
    edit(book, order, status="Approved", approver="ann")
    ok("recalc", book)
    assert actions(book)[order]["status"] == "Approved"  # same values: still approved
    # on_hand 30 -> 25: poh 15, 0, -10 against threshold 5: the shortfall is 15
    wb = openpyxl.load_workbook(book)
    wb["Inventory"]["C2"] = 25
    wb.save(book)
    code, output = run("recalc", book)
    assert code == 0, output
    row = actions(book)[order]
    assert (row["qty"], row["status"], row["approver"]) == (15, "Needs re-approval", None)
    review = openpyxl.load_workbook(book)["Review"]
    texts = [c.value for r in review.iter_rows() for c in r if c.value]
    assert any(str(t).startswith("Needs re-approval") and "(1)" in str(t) for t in texts)
    assert order in texts
    [(message,)] = query(book, "SELECT message FROM decisions WHERE new = 'Needs re-approval'")
    assert "qty 10 -> 15" in message
    fill = openpyxl.load_workbook(book)["Actions"][cell(book, order, "status")].fill
    assert fill.fgColor.rgb == "FFFFC7CE"  # highlighted
    out = tmp_path / "x.csv"
    code, output = run("export", book, "-o", out)
    assert code == 0 and "nothing written" in output and not out.exists()
    # approving again binds the new values
    edit(book, order, status="Approved", approver="ann")
    ok("export", book, "-o", out)
    [line] = list(csv.DictReader(out.open()))
    assert float(line["qty"]) == 15.0


# (3) the owner is pysnop's: editing it does not let another function approve

def test_edited_owner_is_restored_and_the_approval_checked_against_it(make_book):
    book = make_book(plan_sheets())
    ok("recalc", book)
    action = marketing_id(book)
    owner = cell(book, action, "owner")
    edit(book, action, owner="Supply", status="Approved", approver="ann")
    code, output = run("decide", book)
    assert code == 0, output
    assert f"Actions!{owner} (owner)" in output and "restored Marketing" in output
    assert f"Approved of {action} refused: ann is not listed as a Marketing approver" in output
    row = actions(book)[action]
    assert (row["owner"], row["status"]) == ("Marketing", "Proposed")


# (4) who: the declared user, the typed approver and the OS account

def test_declared_user_cannot_approve_under_another_name(make_book):
    book = make_book(plan_sheets())
    ok("recalc", book)
    order = order_id(book)
    edit(book, order, status="Approved", approver="ann")
    code, output = run("decide", book, "--user", "mallory")
    assert code == 0, output
    assert "typed under ann, but the deciding user is mallory" in output
    assert actions(book)[order]["status"] == "Proposed"
    [(who, outcome, account)] = query(
        book, "SELECT who, outcome, account FROM decisions WHERE new = 'Approved'")
    assert (who, outcome, account) == ("ann", "refused", "svc-batch")


def test_declared_non_approver_is_refused(make_book):
    book = make_book(plan_sheets())
    ok("recalc", book)
    order = order_id(book)
    edit(book, order, status="Approved")
    code, output = run("decide", book, "--user", "mallory")
    assert "mallory is not listed as a Supply approver (listed: ann)" in output
    assert actions(book)[order]["status"] == "Proposed"


def test_scheduler_records_typed_decisions_with_its_account(make_book):
    book = make_book(plan_sheets())
    ok("recalc", book)
    order = order_id(book)
    edit(book, order, status="Approved", approver="ann")
    ok("recalc", book)  # nobody declared: the typed approver decides
    [(who, account)] = query(book, "SELECT who, account FROM decisions WHERE new = 'Approved'"
                                   " AND outcome = 'accepted'")
    assert (who, account) == ("ann", "svc-batch")
    assert query(book, "SELECT DISTINCT account FROM runs") == [("svc-batch",)]
    assert "svc-batch" in ok("log", book)


def test_approvers_account_column_must_match_the_runner(make_book, monkeypatch):
    approvers = [["name", "function", "account"], ["ann", "Supply", "ann.w"],
                 ["mo", "Marketing", ""]]
    book = make_book(plan_sheets(approvers=approvers))
    ok("recalc", book)
    order = order_id(book)
    edit(book, order, status="Approved", approver="ann")
    code, output = run("decide", book)
    assert ("ann's decisions count only from the account ann.w (Approvers account), and "
            "pysnop ran as svc-batch") in output
    assert actions(book)[order]["status"] == "Proposed"
    as_account(monkeypatch, "ANN.W")  # Windows compares accounts case-insensitively
    edit(book, order, status="Approved", approver="ann")
    ok("decide", book)
    assert actions(book)[order]["status"] == "Approved"
    # with --user the declared account stands for the person it belongs to
    book2 = make_book(plan_sheets(approvers=approvers))
    ok("recalc", book2)
    edit(book2, order_id(book2), status="Approved")
    ok("decide", book2, "--user", "ann.w")
    assert actions(book2)[order_id(book2)]["approver"] == "ann"


def test_approvers_changes_are_logged_and_shown_in_review(make_book):
    book = make_book(plan_sheets())
    ok("recalc", book)
    assert sorted(query(book, "SELECT change, name, function FROM approvers")) == [
        ("added", "ann", "Supply"), ("added", "mo", "Marketing")]
    wb = openpyxl.load_workbook(book)
    ws = wb["Approvers"]
    ws["A3"], ws["A4"], ws["B4"] = "moe", "zoe", "Marketing"
    wb.save(book)
    ok("recalc", book)
    changes = query(book, "SELECT change, name, function FROM approvers WHERE run_id = "
                          "(SELECT MAX(id) FROM runs)")
    assert sorted(changes) == [("added", "moe", "Marketing"), ("added", "zoe", "Marketing"),
                               ("removed", "mo", "Marketing")]
    review = openpyxl.load_workbook(book)["Review"]
    texts = [str(c.value) for r in review.iter_rows() for c in r if c.value is not None]
    assert "Approvers list changes since the last run (3)" in texts
    assert {"zoe", "moe", "mo", "removed"} <= set(texts)
    assert "Approvers list changes" in ok("log", book)


# (6) decisions survive sheet damage

@pytest.mark.parametrize("column", ["status", "action_id"])
def test_missing_decision_column_is_a_located_error_and_nothing_is_written(make_book, column):
    book = make_book(plan_sheets())
    ok("recalc", book)
    edit(book, order_id(book), status="Approved", approver="ann")
    ok("decide", book)
    wb = openpyxl.load_workbook(book)
    letter = column_letter(book, column)
    wb["Actions"][f"{letter}3"] = f"my {column}"  # renamed
    wb.save(book)
    before, n = book.read_bytes(), runs(book)
    code, output = run("recalc", book)
    assert code == 1
    assert f"Actions row 3 ({column})" in output and "is missing from the header" in output
    assert book.read_bytes() == before and runs(book) == n


def test_deleted_approved_row_is_restored_from_the_log(make_book):
    book = make_book(plan_sheets())
    ok("recalc", book)
    order = order_id(book)
    edit(book, order, status="Approved", approver="ann", comment="call the DC")
    ok("decide", book)
    wb = openpyxl.load_workbook(book)
    wb["Actions"].delete_rows(row_of(book, order))
    wb.save(book)
    assert order not in actions(book)
    code, output = run("recalc", book)
    assert code == 0, output
    assert f"the row of {order} (Approved by ann) is missing from the sheet" in output
    row = actions(book)[order]
    assert (row["status"], row["approver"], row["comment"], row["qty"]) == (
        "Approved", "ann", "call the DC", 10)
    assert log_path(book).exists()
