"""Every ribbon button gives what its command-line twin gives, on multi-source workbooks.

Both doors run one pipeline (pysnop.pipeline.run.execute): the ribbon's operations on a live
workbook (ExcelBook on the fake of xlwings) and the CLI on a copy of the same file must agree
sheet by sheet, and "Check inputs" must see what ``pysnop check`` sees.

The weighted book (hand-worked): as of 2026-11-18, week 0 = 2026-11-16, 4 weeks. A at S01:
on_hand 140, safety 0, lead 1 week; Planning forecasts 10/week, Marketing 50/week, and
Settings weight_Marketing = 1 (Planning's weight 0). The consensus is Marketing's 50/week:
poh = 140 − 50·(w+1) = 90, 40, −10, −60 → STOCKOUT from week 2 (2026-11-30); the lost-sales
run serves 40 of week 2's 50 and none of week 3's: lost 10 + 50 = 60. (Averaging the sources
equally would give 30/week, poh 110, 80, 50, 20: OK — what Check inputs once reported.)
B at S01: on_hand 1000, Planning only, 20/week, campaign C1 +50% in week 1: demand 20, 30,
20, 20, poh 980, 950, 930, 910: OK.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from ribbon_helpers import (
    TIME_COLUMNS,
    actions_book,
    actions_rows,
    copy_with_log,
    live,
    run_cli,
    same_sheet,
)

import pysnop
from pysnop.catalog import BUTTONS
from pysnop.excel import ribbon
from pysnop.excel.book import ExcelBook
from pysnop.operations.book_ops import check_inputs

D = dt.date
WEEKS = [D(2026, 11, 16), D(2026, 11, 23), D(2026, 11, 30), D(2026, 12, 7)]


def weighted_book() -> dict:
    forecast = [["sku", "location", "week", "units", "source"]]
    for w in WEEKS:
        forecast += [["A", "S01", w, 10, "Planning"], ["A", "S01", w, 50, "Marketing"],
                     ["B", "S01", w, 20, "Planning"]]
    return {
        "Settings": [["key", "value"], ["as_of", D(2026, 11, 18)], ["horizon_weeks", 4],
                     ["weight_Marketing", 1]],
        "Inventory": [["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                       "unit_margin"], ["A", "S01", 140, 0, 1, 2.0],
                      ["B", "S01", 1000, 0, 1, 1.0]],
        "Forecast": forecast,
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift"],
                      ["C1", "B", D(2026, 11, 23), D(2026, 11, 29), 0.5]],
        "Actuals": [["sku", "location", "week", "units"],
                    ["A", "S01", D(2026, 11, 2), 45], ["A", "S01", D(2026, 11, 9), 55]],
        "Approvers": [["name", "function"], ["ann", "Supply"], ["mo", "Marketing"]],
    }


BOOKS = {"weighted": weighted_book, "actions": actions_book}


@pytest.fixture(params=list(BOOKS))
def pair(request, make_book, tmp_path, monkeypatch):
    """The same workbook twice, in two folders: ``a`` for the CLI, ``b`` for the ribbon."""
    monkeypatch.setenv("PYSNOP_USER", "ann")
    src = make_book(BOOKS[request.param]())
    a, b = tmp_path / "cli" / "plan.xlsx", tmp_path / "ribbon" / "plan.xlsx"
    for p in (a, b):
        p.parent.mkdir()
        shutil.copy(src, p)
    return a, b


def sheet_names(path: Path) -> list[str]:
    return openpyxl.load_workbook(path, read_only=True).sheetnames


def type_status(path: Path, rows: list[int], status: str) -> None:
    """What a person does in the file: type ``status`` into the Actions rows."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Actions"]
    head = [c.value for c in ws[3]]
    for r in rows:
        ws.cell(r, head.index("status") + 1, status)
    wb.save(path)


def counts_of(text: str) -> tuple[int, int, int]:
    """(sku-locations, STOCKOUT, AT RISK) from either door's check message."""
    if text.startswith("Inputs are valid."):
        m = re.search(r"(\d+) sku-locations: (\d+) STOCKOUT, (\d+) AT RISK", text)
    else:
        m = re.search(r"valid; (\d+) sku-locations, (\d+) stockout, (\d+) at risk", text)
    assert m, text
    return int(m[1]), int(m[2]), int(m[3])


# ----------------------------------------------------------------- one twin per button

def twin_run_bridge(a: Path, b: Path, monkeypatch) -> None:
    run_cli("recalc", a)
    book = live(b, monkeypatch)
    assert book.app.alerts == [] and ribbon.press("recalculate").startswith("Bridge recalculated")
    assert [s.name for s in book.sheets] == sheet_names(a)
    for sheet in sheet_names(a):
        if sheet == "Review":  # dated by the run: the two runs differ by their clock
            continue
        same_sheet(a, book, sheet, ignore=TIME_COLUMNS if sheet == "Actions" else (),
                   header_row=1 if sheet == "Campaigns" else 3)


def twin_refresh_campaigns(a: Path, b: Path, monkeypatch) -> None:
    run_cli("recalc", a, "--no-actions")
    book = live(b, monkeypatch)
    assert ribbon.press("refresh_campaigns").startswith("Supply check refreshed on Campaigns")
    same_sheet(a, book, "Campaigns", header_row=1)


def twin_reconcile_forecast(a: Path, b: Path, monkeypatch) -> None:
    run_cli("recalc", a)
    book = live(b, monkeypatch)
    assert ribbon.press("reconcile_forecast").startswith("Consensus forecast reconciled")
    for sheet in ("Consensus", "Scorecard"):
        same_sheet(a, book, sheet)


def twin_check_inputs(a: Path, b: Path, monkeypatch) -> None:
    cli_text = run_cli("check", a)
    book = live(b, monkeypatch)
    message = ribbon.press("check_inputs")
    assert counts_of(message) == counts_of(cli_text)
    cli_summary = pysnop.check(a).result.summary.set_index(["sku", "location"])
    assert book.writes == 0
    # what the ribbon saw: the Summary of the operation behind the button
    xl_summary = check_inputs(ExcelBook(book)).details["result"].summary.set_index(
        ["sku", "location"])
    assert xl_summary["status"].to_dict() == cli_summary["status"].to_dict()
    assert xl_summary["lost_units"].to_dict() == cli_summary["lost_units"].to_dict()


def twin_propose_actions(a: Path, b: Path, monkeypatch) -> None:
    run_cli("recalc", a)
    book = live(b, monkeypatch)
    assert ribbon.press("propose_actions").startswith("Actions proposed: ")
    same_sheet(a, book, "Actions", ignore=TIME_COLUMNS)


def _decide(a: Path, b: Path, monkeypatch, tag: str, status: str) -> None:
    run_cli("recalc", a)
    copy_with_log(a, b)
    book = live(b, monkeypatch)
    supply = [r for r, rec in actions_rows(book).items() if rec["owner"] == "Supply"]
    assert supply, "the book must propose a Supply action"
    book.select("Actions", f"{supply[0]}:{supply[0]}")
    assert f"1 action {status.lower()} by ann" in ribbon.press(tag)
    type_status(a, [supply[0]], status)
    run_cli("decide", a, "--user", "ann")
    same_sheet(a, book, "Actions", ignore=TIME_COLUMNS)


def twin_approve_selected(a: Path, b: Path, monkeypatch) -> None:
    _decide(a, b, monkeypatch, "approve_selected", "Approved")


def twin_reject_selected(a: Path, b: Path, monkeypatch) -> None:
    _decide(a, b, monkeypatch, "reject_selected", "Rejected")


def twin_export_approved(a: Path, b: Path, monkeypatch) -> None:
    run_cli("recalc", a)
    copy_with_log(a, b)
    book = live(b, monkeypatch)
    supply = [r for r, rec in actions_rows(book).items() if rec["owner"] == "Supply"]
    book.select("Actions", f"{supply[0]}:{supply[0]}")
    ribbon.press("approve_selected")
    message = ribbon.press("export_approved")
    assert message.startswith("Exported 1 approved action to ")
    exported = Path(message.split(" to ", 1)[1].split("; ")[0])
    type_status(a, [supply[0]], "Approved")
    out = a.with_name("cli.csv")
    run_cli("export", a, "-o", out, "--user", "ann")
    same_sheet(a, book, "Actions", ignore=TIME_COLUMNS)

    def rows(p: Path) -> list[dict]:
        with open(p, encoding="utf-8") as handle:
            return [{k: v for k, v in r.items() if k not in TIME_COLUMNS}
                    for r in csv.DictReader(handle)]
    assert rows(exported) == rows(out)


def twin_scorecard(a: Path, b: Path, monkeypatch) -> None:
    run_cli("recalc", a)
    book = live(b, monkeypatch)
    assert ribbon.press("write_scorecard").startswith("Scorecard written")
    same_sheet(a, book, "Scorecard")


TWINS = {"recalculate": twin_run_bridge, "refresh_campaigns": twin_refresh_campaigns,
         "reconcile_forecast": twin_reconcile_forecast, "check_inputs": twin_check_inputs,
         "propose_actions": twin_propose_actions, "approve_selected": twin_approve_selected,
         "reject_selected": twin_reject_selected, "export_approved": twin_export_approved,
         "write_scorecard": twin_scorecard}


def test_every_button_has_a_twin():
    assert set(TWINS) == {b.tag for b in BUTTONS}


@pytest.mark.parametrize("button", sorted(TWINS))
def test_button_matches_its_cli_twin(button, pair, monkeypatch):
    TWINS[button](*pair, monkeypatch)


def test_check_inputs_runs_the_consensus_like_pysnop_check(make_book, monkeypatch):
    """The divergence of issue 10: both doors see the weighted consensus (see module doc)."""
    path = make_book(weighted_book())
    summary = pysnop.check(path).result.summary.set_index("sku")
    assert summary.loc["A", "status"] == "STOCKOUT" and summary.loc["A", "lost_units"] == 60
    assert summary.loc["B", "status"] == "OK"
    live(path, monkeypatch)
    message = ribbon.press("check_inputs")
    assert message.startswith("Inputs are valid. 2 sku-locations: 1 STOCKOUT, 0 AT RISK, 1 OK")
