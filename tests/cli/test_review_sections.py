"""The weekly review's decision sections, worked by hand: open risks with no approved remedy,
overdue apart from due, and a due date never shown in the past.

As of Wednesday 2026-11-18 (week 0 = Monday 2026-11-16), horizon 4, no buffer or safety stock,
base 10 a week, margin 2:
A: on_hand 25 -> 15, 5, -5, -15: first risk week 2026-11-30, lead 2 weeks -> act_by
   2026-11-16: this week, before today -> due, shown as 2026-11-18.
B: the same with lead 3 weeks -> act_by 2026-11-09, before this week: overdue (and too late
   to order: nothing can fix it, 15 units lost).
C: on_hand 35 -> 25, 15, 5, -5: first risk 2026-12-07, lead 1 -> act_by 2026-11-30, after
   2026-11-25 (today + 7): neither section.
"""

import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner

from pysnop.cli import actions as cli_actions
from pysnop.cli.main import cli

D = dt.date


@pytest.fixture(autouse=True)
def wired():
    cli_actions.register(cli)


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], obj={})
    assert result.exit_code == 0, result.output
    return result.output


def section(text, title):
    """The table rows of one section of the Markdown review (sku column first cells)."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"## {title} ("))
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("| ") and not line.startswith("| risk_id"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def test_open_overdue_and_due_risks(make_book):
    weeks = [D(2026, 11, 16) + dt.timedelta(weeks=k) for k in range(4)]
    book = make_book({
        "Settings": [["key", "value"], ["as_of", D(2026, 11, 18)], ["horizon_weeks", 4],
                     ["risk_buffer", 0]],
        "Inventory": [["sku", "location", "on_hand", "lead_time_weeks", "unit_margin"],
                      ["A", "S1", 25, 2, 2], ["B", "S1", 25, 3, 2], ["C", "S1", 35, 1, 2]],
        "Forecast": [["sku", "location", "week", "units"],
                     *[[s, "S1", w, 10] for s in "ABC" for w in weeks]],
        "Approvers": [["name", "function"], ["ann", "Supply"]],
    }, name="plan.xlsx")
    run("recalc", book)
    text = run("review", book, "--markdown")
    opened = section(text, "Open risks with no approved remedy")
    assert sorted(r[1] for r in opened) == ["A", "B", "C"]
    [overdue] = section(text, "Overdue: act_by already past")
    assert (overdue[1], overdue[5]) == ("B", "2026-11-09")
    assert "nothing can fix it: too late to order (act_by 2026-11-09)" in overdue[6]
    [due] = section(text, "act_by within 7 days")
    assert (due[1], due[5]) == ("A", "2026-11-18")  # 2026-11-16 is past: shown as today

    # approve A's order: A leaves the open risks and the deadlines
    wb = openpyxl.load_workbook(book)
    ws = wb["Actions"]
    header = [c.value for c in ws[3]]
    for row in ws.iter_rows(min_row=4):
        cells = dict(zip(header, row))
        if cells["type"].value == "NEW_ORDER" and cells["sku"].value == "A":
            cells["status"].value, cells["approver"].value = "Approved", "ann"
    wb.save(book)
    run("recalc", book)
    text = run("review", book, "--markdown")
    assert sorted(r[1] for r in section(text, "Open risks with no approved remedy")) == \
        ["B", "C"]
    assert section(text, "act_by within 7 days") == []
