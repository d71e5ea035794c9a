"""Shared by the audit tests: a small plan, the CLI, and a person's hand on the Actions sheet.

The plan: 00123 at S01, on_hand 30, safety 5, lead 1 week, margin 2.5, baseline 10/week, risk
buffer 0, campaign BF +50% in week 1 (2026-11-23): demand 10, 15, 10 -> poh 20, 5, -5; the
threshold is 5 every week, so the shortfall is 5 - (-5) = 10 units in week 2 (2026-11-30) and
act_by 2026-11-23 is not past: a NEW_ORDER of 10 units for 2026-11-30 (owner Supply), and
marketing remedies for BF (owner Marketing). With on_hand 25: poh 15, 0, -10 -> a NEW_ORDER
of 15.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from pysnop.cli import actions as cli_actions
from pysnop.cli.main import cli

D = dt.date
HEADER_ROW = 3


def plan_sheets(on_hand=30, approvers=None, settings=()):
    return {
        "Settings": [["key", "value"], ["as_of", D(2026, 11, 18)], ["horizon_weeks", 3],
                     ["risk_buffer", 0], *[list(s) for s in settings]],
        "Inventory": [["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                       "unit_margin"], ["00123", "S01", on_hand, 5, 1, 2.5]],
        "Forecast": [["sku", "location", "week", "units"],
                     ["00123", "S01", D(2026, 11, 16), 10], ["00123", "S01", D(2026, 11, 23), 10],
                     ["00123", "S01", D(2026, 11, 30), 10]],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift", "name"],
                      ["BF", "00123", D(2026, 11, 23), D(2026, 11, 29), 0.5, "Black Friday"]],
        "Approvers": approvers or [["name", "function"], ["ann", "Supply"], ["mo", "Marketing"]],
    }


def run(*args):
    cli_actions.register(cli)
    result = CliRunner().invoke(cli, [str(a) for a in args], obj={})
    return result.exit_code, result.output


def ok(*args) -> str:
    code, output = run(*args)
    assert code == 0, output
    return output


def header(path) -> list:
    ws = openpyxl.load_workbook(path)["Actions"]
    return [c.value for c in ws[HEADER_ROW]]


def actions(path) -> dict:
    """The action rows of the Actions sheet by action_id (risk lines have none)."""
    ws = openpyxl.load_workbook(path)["Actions"]
    head = [c.value for c in ws[HEADER_ROW]]
    key = head.index("action_id")
    return {r[key]: dict(zip(head, r)) for r in ws.iter_rows(min_row=HEADER_ROW + 1,
                                                             values_only=True) if r[key]}


def row_of(path, action) -> int:
    ws = openpyxl.load_workbook(path)["Actions"]
    key = [c.value for c in ws[HEADER_ROW]].index("action_id")
    return next(r[key].row for r in ws.iter_rows(min_row=HEADER_ROW + 1)
                if r[key].value == action)


def column_letter(path, name) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(header(path).index(name) + 1)


def edit(path, action, **cells):
    """Type into the Actions row of ``action`` (text as text, as Excel stores it)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Actions"]
    head = [c.value for c in ws[HEADER_ROW]]
    key = head.index("action_id")
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        if row[key].value == action:
            for name, value in cells.items():
                cell = row[head.index(name)]
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"
    wb.save(path)


def add_row(path, **cells):
    wb = openpyxl.load_workbook(path)
    ws = wb["Actions"]
    head = [c.value for c in ws[HEADER_ROW]]
    ws.append([cells.get(h) for h in head])
    wb.save(path)


def order_id(path) -> str:
    return next(a for a, r in actions(path).items() if r["type"] == "NEW_ORDER")


def marketing_id(path) -> str:
    return next(a for a, r in actions(path).items() if r["owner"] == "Marketing")


def log_path(book: Path) -> Path:
    return book.with_name(book.stem + ".pysnop.sqlite")


def query(book: Path, sql: str, args=()):
    db = sqlite3.connect(log_path(book))
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def runs(book: Path) -> int:
    return query(book, "SELECT COUNT(*) FROM runs")[0][0]


def as_account(monkeypatch, account: str) -> None:
    """Run pysnop as the OS account ``account`` (what the operating system would say)."""
    monkeypatch.setattr("pysnop.workbook.book._os_login", lambda: account)
