"""The action commands end to end through CliRunner: recalc keeps decisions, unauthorized
approvals are refused, export is idempotent, log / review / simulate / decide print.

The book: 00123 at S01, on_hand 30, safety 5, lead 1 week, margin 2.5, baseline 10/week,
campaign BF +50% in week 1 (2026-11-23): poh 20, 5, -5 -> STOCKOUT in week 2 (2026-11-30),
act_by 2026-11-23: a NEW_ORDER of the 10-unit shortfall, and marketing remedies for BF.
"""

import csv
import datetime as dt
import json
import sqlite3

import openpyxl
import pytest
from click.testing import CliRunner

from pysnop.cli import actions as cli_actions
from pysnop.cli.main import cli
from pysnop.pipeline.stages import ACTIONS, STAGES

D = dt.date


@pytest.fixture(autouse=True)
def wired(monkeypatch):
    assert ACTIONS in STAGES  # recalc proposes actions
    cli_actions.register(cli)


def sheets():
    return {
        "Settings": [["key", "value"], ["as_of", D(2026, 11, 18)], ["horizon_weeks", 3],
                     ["risk_buffer", 0]],
        "Inventory": [["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                       "unit_margin"], ["00123", "S01", 30, 5, 1, 2.5]],
        "Forecast": [["sku", "location", "week", "units"],
                     ["00123", "S01", D(2026, 11, 16), 10], ["00123", "S01", D(2026, 11, 23), 10],
                     ["00123", "S01", D(2026, 11, 30), 10]],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift", "name"],
                      ["BF", "00123", D(2026, 11, 23), D(2026, 11, 29), 0.5, "Black Friday"]],
        "Approvers": [["name", "function"], ["ann", "Supply"], ["mo", "Marketing"]],
    }


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], obj={})
    return result.exit_code, result.output


def actions(path):
    """The alternatives of the Actions sheet by action_id (risk lines have none)."""
    ws = openpyxl.load_workbook(path)["Actions"]
    header = [c.value for c in ws[3]]
    at = header.index("action_id")
    return {r[at]: dict(zip(header, r)) for r in ws.iter_rows(min_row=4, values_only=True)
            if r[at]}


def edit(path, action, **cells):
    wb = openpyxl.load_workbook(path)
    ws = wb["Actions"]
    header = [c.value for c in ws[3]]
    for row in ws.iter_rows(min_row=4):
        if row[header.index("action_id")].value == action:
            for name, value in cells.items():
                cell = row[header.index(name)]
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # typed text (as Excel stores '=...), not a formula
    wb.save(path)


def order_id(path):
    return next(a for a, r in actions(path).items() if r["type"] == "NEW_ORDER")


def test_recalc_writes_actions_and_log_and_links_campaigns(make_book):
    book = make_book(sheets())
    code, output = run("recalc", book)
    assert code == 0, output
    rows = actions(book)
    order = rows[order_id(book)]
    assert (order["owner"], order["qty"], order["status"]) == ("Supply", 10, "Proposed")
    marketing = [a for a, r in rows.items() if r["owner"] == "Marketing"]
    assert marketing, rows
    ws = openpyxl.load_workbook(book)["Campaigns"]
    header = [c.value for c in ws[1]]
    assert header[-1] == "Supply: actions" and header[6] == "Supply: status"
    link = ws.cell(2, len(header)).value
    assert all(a in link for a in marketing) and "(Proposed)" in link
    assert (book.parent / "book1.pysnop.sqlite").exists()
    assert openpyxl.load_workbook(book)["Review"]["A1"].value.startswith("pysnop weekly review")


def test_approval_kept_across_reruns_unauthorized_refused_and_export_idempotent(make_book,
                                                                               tmp_path):
    book = make_book(sheets())
    assert run("recalc", book)[0] == 0
    order = order_id(book)
    marketing = next(a for a, r in actions(book).items() if r["owner"] == "Marketing")
    edit(book, order, status="Approved", approver="Ann", comment="=cmd|'/c calc'!A1")
    edit(book, marketing, status="Approved", approver="ann")  # ann is Supply only
    code, output = run("recalc", book)
    assert code == 0, output
    assert f"Approved of {marketing} refused: ann is not listed as a Marketing approver" in output
    rows = actions(book)
    assert (rows[order]["status"], rows[order]["approver"]) == ("Approved", "Ann")
    assert rows[order]["comment"] == "=cmd|'/c calc'!A1"  # kept, as text
    # refused, so not approved; and the approved order covers the whole 10-unit shortfall,
    # so the marketing alternative of the same risk is not needed: Superseded
    assert rows[marketing]["status"] == "Superseded" and rows[marketing]["approver"] is None
    cell = next(c for row in openpyxl.load_workbook(book)["Actions"].iter_rows()
                for c in row if c.value == "=cmd|'/c calc'!A1")
    assert cell.data_type == "s" and cell.quotePrefix

    out = tmp_path / "approved.json"
    code, output = run("export", book, "--format", "json", "-o", out, "--user", "ann")
    assert code == 0 and "exported 1 approved action" in output
    [exported] = json.loads(out.read_text())
    assert (exported["action_id"], exported["qty"], exported["week"]) == (order, 10.0,
                                                                          "2026-11-30")
    rows = actions(book)
    assert rows[order]["status"] == "Exported" and rows[order]["exported_at"] is not None
    out.unlink()
    code, output = run("export", book, "--format", "json", "-o", out)
    assert code == 0 and "nothing written" in output and not out.exists()
    code, output = run("recalc", book)  # still proposed (the ERP has not caught up): Exported
    assert code == 0, output
    assert actions(book)[order]["status"] == "Exported"
    db = sqlite3.connect(book.parent / "book1.pysnop.sqlite")
    assert db.execute("SELECT COUNT(*) FROM exports").fetchone()[0] == 1
    refused = db.execute("SELECT who, old, new FROM decisions WHERE outcome = 'refused'")
    assert refused.fetchall() == [("ann", "Proposed", "Approved")]
    with pytest.raises(sqlite3.DatabaseError):
        db.execute("UPDATE decisions SET outcome = 'accepted'")
    db.close()

    code, output = run("log", book)
    assert code == 0 and "export" in output and "refused" in output and order in output
    code, output = run("review", book, "--markdown")
    assert code == 0 and "## Decisions pending" in output


def test_export_csv_checks_decisions_without_a_recalc(make_book, tmp_path):
    book = make_book(sheets())
    assert run("recalc", book)[0] == 0
    order = order_id(book)
    edit(book, order, status="Approved")  # decided by --user
    out = tmp_path / "x.csv"
    code, output = run("export", book, "-o", out, "--user", "mallory")
    assert code == 0 and "refused" in output and "nothing written" in output
    assert actions(book)[order]["status"] == "Proposed"
    edit(book, order, status="Approved")
    code, output = run("export", book, "-o", out, "--user", "Ann")
    assert code == 0, output
    [line] = list(csv.DictReader(out.open()))
    assert (line["action_id"], line["approver"], line["sku"]) == (order, "Ann", "00123")


def test_simulate_and_decide(make_book):
    book = make_book(sheets())
    assert run("recalc", book)[0] == 0
    order = order_id(book)
    code, output = run("simulate", book, "--actions", order)
    # +10 in week 2: poh 20, 5, 5 -> OK
    assert code == 0 and "STOCKOUT" in output and "lost units 5 -> 0" in output
    code, output = run("simulate", book)
    assert code == 1 and "Scenario = Y" in output
    assert run("simulate", book, "--actions", "X", "--approved")[0] == 2
    edit(book, order, scenario="Y")
    assert run("simulate", book)[0] == 0
    edit(book, order, status="Approved", approver="ann")
    code, output = run("decide", book)
    assert code == 0 and "1 decision recorded, 0 refused" in output
    assert "lost units 5 -> 0" in run("simulate", book, "--approved")[1]


def test_missing_log_and_book_exit_1(make_book, tmp_path):
    book = make_book(sheets())
    code, output = run("log", book)
    assert code == 1 and "run pysnop recalc" in output
    assert run("review", tmp_path / "nope.xlsx")[0] == 1
    assert run("export", book)[0] == 1  # no Actions sheet yet
