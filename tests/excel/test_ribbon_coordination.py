"""Approving more than a risk needs is refused in every door, with a message naming both rows:
the ribbon's message box (Approve selected), and the Issues sheet of a recalculation.

The book (tests/excel/ribbon_helpers.actions_book): 00123 at S01 is short 10 units in week
2026-11-30 (poh 20, 5, -5; safety 5); a NEW_ORDER of 10 arriving that week closes the whole
gap, and so would marketing's remedies for BF. Approving the order and then another
alternative of the same risk gives the risk more than it needs.
"""

from __future__ import annotations

import openpyxl
import pytest
from ribbon_helpers import actions_book, actions_rows, live, run_cli

from pysnop.cli import actions as cli_actions
from pysnop.cli.main import cli
from pysnop.excel import ribbon


@pytest.fixture(autouse=True)
def wired(monkeypatch):
    cli_actions.register(cli)
    monkeypatch.setenv("PYSNOP_USER", "ann")


def test_the_ribbon_refuses_a_second_alternative_naming_both_rows(make_book, monkeypatch):
    path = make_book(actions_book(), name="plan.xlsx")
    run_cli("recalc", path)
    book = live(path, monkeypatch, user="ann")
    rows = actions_rows(book)
    order = next(r for r, rec in rows.items() if rec["type"] == "NEW_ORDER")
    cut = next(r for r, rec in rows.items() if rec["type"] == "REDUCE_LIFT")
    assert rows[order]["risk_id"] == rows[cut]["risk_id"]  # two alternatives of one risk
    assert rows[order]["covers"] == "all of it"
    book.select("Actions", f"A{order}")
    ribbon.press("approve_selected")
    after = actions_rows(book)
    assert after[order]["status"] == "Approved" and after[cut]["status"] == "Superseded"
    # marketing's approver at the same workbook (Excel's user name and Windows account)
    book.app.api.UserName = "mo"
    monkeypatch.setattr("pysnop.workbook.book._os_login", lambda: "mo")
    book.select("Actions", f"A{cut}")
    message = ribbon.press("approve_selected")
    assert book.app.alerts[-1]["mode"] == "critical"
    flat = " ".join(message.split())
    ids = {r: rec["action_id"] for r, rec in after.items()}
    assert f"Approved of {ids[cut]} refused: {ids[order]} (row {order}), already approved" \
        in flat and f"{ids[cut]} (row {cut})" in flat
    assert actions_rows(book)[cut]["status"] == "Superseded"


def test_a_recalculation_lists_the_refusal_on_the_issues_sheet(make_book, monkeypatch):
    monkeypatch.delenv("PYSNOP_USER")  # nobody declared: the approvers typed in the rows decide
    path = make_book(actions_book(), name="plan.xlsx")
    run_cli("recalc", path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Actions"]
    header = [c.value for c in ws[3]]
    col = {name: header.index(name) + 1 for name in ("action_id", "type", "status", "approver")}
    rows = {ws.cell(r, col["type"]).value: r for r in range(4, ws.max_row + 1)
            if ws.cell(r, col["action_id"]).value}
    order, cut = rows["NEW_ORDER"], rows["REDUCE_LIFT"]
    for r, who in ((order, "ann"), (cut, "mo")):  # both typed Approved before one recalc
        ws.cell(r, col["status"]).value = "Approved"
        ws.cell(r, col["approver"]).value = who
    ids = {r: ws.cell(r, col["action_id"]).value for r in (order, cut)}
    wb.save(path)
    output = run_cli("recalc", path)
    # the better-ranked order stands; the cut adds nothing to it
    issues = [" ".join(str(c) for c in row if c) for row in
              openpyxl.load_workbook(path)["Issues"].iter_rows(values_only=True)]
    [refusal] = [line for line in issues if "refused" in line]
    assert f"Approved of {ids[cut]} refused: {ids[order]} (row {order}), already approved, " \
           f"closes every gap {ids[cut]} (row {cut}) would fill" in refusal
    assert "refused" in " ".join(output.split())
