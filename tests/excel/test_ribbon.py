"""The ribbon's operations on a live workbook (ExcelBook on a fake of the xlwings API) give
the same workbook contents as the command line on the same workbook; errors become message
boxes.

The book (as in tests/cli/test_actions_cli.py, plus a second forecast source, Receipts,
Actuals and a campaign table): 00123 at S01, on_hand 30, safety 5, lead 1 week, margin 2.5,
baseline 10/week, campaign BF +50% in week 1 (2026-11-23): poh 20, 5, -5 -> STOCKOUT in
week 2, act_by 2026-11-23: a NEW_ORDER (Supply) and marketing remedies for BF (Marketing).
00456 at S01 has plenty: OK.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import fake_xlwings as fake
import openpyxl
import pytest
import xlwings as xw
from ribbon_helpers import (
    TIME_COLUMNS,
    actions_rows,
    alert,
    copy_with_log,
    fake_cells,
    file_cells,
    live,
    run_cli,
    same_sheet,
)
from ribbon_helpers import actions_book as sheets

from pysnop.cli import actions as cli_actions
from pysnop.cli.main import cli
from pysnop.excel import ribbon
from pysnop.excel.book import ExcelBook
from pysnop.operations import book_ops as ops
from pysnop.pipeline.stages import ACTIONS, STAGES
from pysnop.workbook.book import FileBook

D = dt.date


@pytest.fixture(autouse=True)
def wired(monkeypatch):
    assert ACTIONS in STAGES  # recalc proposes actions
    cli_actions.register(cli)
    monkeypatch.setenv("PYSNOP_USER", "ann")  # recalc's user (the ribbon: Excel's UserName)


@pytest.fixture
def pair(make_book, tmp_path):
    """The same workbook twice, in two folders (each gets its own decision log)."""
    src = make_book(sheets(), tables={"Campaigns": "CampaignTable"})
    a, b = tmp_path / "cli" / "plan.xlsx", tmp_path / "ribbon" / "plan.xlsx"
    for p in (a, b):
        p.parent.mkdir()
        shutil.copy(src, p)
    return a, b


# ------------------------------------------------------------------- run bridge == recalc

def test_run_bridge_matches_cli_recalc(pair, monkeypatch):
    a, b = pair
    run_cli("recalc", a)
    book = live(b, monkeypatch)
    message = ribbon.press("recalculate")
    box = alert(book)
    assert box["mode"] == "info" and box["prompt"] == message
    assert "2 sku-locations: 1 STOCKOUT" in message and "as of 2026-11-18" in message
    written = set(openpyxl.load_workbook(a, read_only=True).sheetnames)
    assert [s.name for s in book.sheets] == openpyxl.load_workbook(a, read_only=True).sheetnames
    for sheet in ("Bridge", "Bridge Chart", "Issues", "Consensus", "Scorecard"):
        assert sheet in written
        same_sheet(a, book, sheet)
    same_sheet(a, book, "Campaigns", header_row=1)
    same_sheet(a, book, "Actions", ignore=TIME_COLUMNS)
    for sheet in ("Settings", "Inventory", "Forecast", "Notes", "Approvers"):
        same_sheet(a, book, sheet)  # the user's sheets: untouched
    # styles reached Excel: STOCKOUT red, header bold, dates formatted, panes, filter, table
    bridge = book.sheets["Bridge"]
    status = next(k for k, v in bridge.cells.items() if v == "STOCKOUT" and k[0] > 4)
    assert bridge.formats[status]["color"] == (255, 199, 206)
    assert bridge.formats[status]["font_color"] == (156, 0, 6)
    assert bridge.formats[(4, 1)]["font_bold"] is True
    assert bridge.formats[(5, 4)]["number_format"] == "yyyy-mm-dd"
    assert bridge.frozen_at == "C5"
    assert any(path.endswith("AutoFilter") for kind, path, _ in book.api_calls if kind == "call")
    assert any("Validation.Add" in path for _, path, _ in book.api_calls)
    assert len(book.sheets["Bridge Chart"].charts) >= 1
    last = max(c for r, c in file_cells(a, "Campaigns") if r == 1)
    table = book.sheets["Campaigns"].tables[0]  # extended over the Supply columns
    assert table.range.address == f"$A$1:${fake.col_letter(last)}$3"


def test_run_twice_reuses_sheets_and_columns(pair, monkeypatch):
    _, b = pair
    book = live(b, monkeypatch)
    ribbon.press("recalculate")
    first = {s.name: fake_cells(book, s.name) for s in book.sheets}
    ribbon.press("recalculate")
    assert [s.name for s in book.sheets] == list(first)
    for name, cells in first.items():
        if name not in ("Actions", "Review"):
            assert fake_cells(book, name) == cells, name


# ------------------------------------------------------------------- partial operations

def test_partial_operations_match_the_file_backend(pair, monkeypatch):
    a, b = pair
    book = live(b, monkeypatch)
    for name in ("refresh_campaigns", "reconcile_forecast", "write_scorecard"):
        ops.OPERATIONS[name](FileBook(a, backup=False))
        message = ribbon.press(name)
        assert book.app.alerts[-1]["mode"] == "info", message
    assert "Supply check refreshed on Campaigns: 2 campaign rows" in book.app.alerts[0]["prompt"]
    same_sheet(a, book, "Campaigns", header_row=1)
    same_sheet(a, book, "Consensus")
    same_sheet(a, book, "Scorecard")
    names = [s.name for s in book.sheets]
    assert "Bridge" not in names and "Actions" not in names  # only what each button writes


def test_check_inputs_writes_nothing(pair, monkeypatch):
    _, b = pair
    book = live(b, monkeypatch)
    before = {s.name: dict(s.cells) for s in book.sheets}
    message = ribbon.press("check_inputs")
    assert message.startswith("Inputs are valid. 2 sku-locations: 1 STOCKOUT")
    assert {s.name: dict(s.cells) for s in book.sheets} == before and book.writes == 0


# ------------------------------------------------------------------- decisions

def proposed(path, monkeypatch):
    run_cli("recalc", path, "--user", "ann")


def test_propose_actions_matches_cli(pair, monkeypatch):
    a, b = pair
    run_cli("recalc", a)
    book = live(b, monkeypatch)
    message = ribbon.press("propose_actions")
    assert message.startswith("Actions proposed: ") and book.saves == 1
    same_sheet(a, book, "Actions", ignore=TIME_COLUMNS)
    assert b.with_name("plan.pysnop.sqlite").exists()  # the log lives beside the workbook


def test_approve_selected_matches_cli_decide(pair, monkeypatch):
    a, b = pair
    run_cli("recalc", a)
    copy_with_log(a, b)
    book = live(b, monkeypatch, user="ann")
    rows = actions_rows(book)
    order = next(r for r, rec in rows.items() if rec["type"] == "NEW_ORDER")
    market = next(r for r, rec in rows.items() if rec["owner"] == "Marketing")
    book.select("Actions", f"B{order}:D{order},A{market}")
    message = ribbon.press("approve_selected")
    assert book.app.alerts[-1]["mode"] == "critical"  # ann may not decide for Marketing
    assert "1 action approved by ann" in message and "1 refused" in message
    after = actions_rows(book)
    assert after[order]["status"] == "Approved" and after[order]["approver"] == "ann"
    # not approved (refused); the approved order covers the risk: Superseded
    assert after[market]["status"] == "Superseded"
    assert book.saves == 1
    # the command line: type the same into the sheet, pysnop decide
    wb = openpyxl.load_workbook(a)
    ws = wb["Actions"]
    head = [c.value for c in ws[3]]
    for r in (order, market):
        ws.cell(r, head.index("status") + 1, "Approved")
    wb.save(a)
    run_cli("decide", a, "--user", "ann")
    same_sheet(a, book, "Actions", ignore=TIME_COLUMNS)


def test_reject_then_export_match_cli(pair, monkeypatch, tmp_path):
    a, b = pair
    run_cli("recalc", a)
    copy_with_log(a, b)
    book = live(b, monkeypatch, user="ann")
    rows = actions_rows(book)
    supply = [r for r, rec in rows.items() if rec["owner"] == "Supply"]
    book.select("Actions", f"{supply[0]}:{supply[0]}")
    assert "1 action approved by ann" in ribbon.press("approve_selected")
    message = ribbon.press("export_approved")
    assert message.startswith("Exported 1 approved action to ")
    exported = Path(message.split(" to ", 1)[1].split("; ")[0])
    assert exported.parent == b.parent and exported.suffix == ".csv"
    assert actions_rows(book)[supply[0]]["status"] == "Exported"
    assert "nothing written" in ribbon.press("export_approved")
    # CLI: same approval typed in, then export
    wb = openpyxl.load_workbook(a)
    ws = wb["Actions"]
    head = [c.value for c in ws[3]]
    ws.cell(supply[0], head.index("status") + 1, "Approved")
    wb.save(a)
    out = tmp_path / "cli.csv"
    run_cli("export", a, "-o", out, "--user", "ann")
    same_sheet(a, book, "Actions", ignore=TIME_COLUMNS)
    read = lambda p: [{k: v for k, v in r.items() if k not in TIME_COLUMNS}
                      for r in csv.DictReader(open(p, encoding="utf-8"))]
    assert read(exported) == read(out)


def test_reject_without_selection_says_what_to_do(pair, monkeypatch):
    a, b = pair
    run_cli("recalc", a)
    copy_with_log(a, b)
    book = live(b, monkeypatch)
    book.select("Bridge", "A5")
    message = ribbon.press("reject_selected")
    assert message == "Select the rows to reject on the Actions sheet first (any cell of each row)"
    assert alert(book)["mode"] == "critical"


# ------------------------------------------------------------------- errors -> message boxes

def test_bad_workbook_lists_problems_and_writes_nothing(pair, monkeypatch):
    _, b = pair
    book = live(b, monkeypatch)
    book.sheets["Inventory"].range("C2").value = "'n/a"
    book.sheets["Campaigns"].range("E2").value = 35
    book.writes = 0
    message = ribbon.press("recalculate")
    box = alert(book)
    assert box["mode"] == "critical" and box["title"] == "pysnop: Run bridge"
    assert "2 problems; nothing was written." in message
    assert 'Inventory!C2 (on_hand): expected a number, got "n/a"' in message
    assert "Campaigns!E2 (lift)" in message and "Traceback" not in message
    assert book.writes == 0 and "Bridge" not in [s.name for s in book.sheets]
    assert ribbon.press("check_inputs").startswith("2 errors: nothing can run")


def test_internal_error_is_a_message_box_not_a_traceback(pair, monkeypatch):
    _, b = pair
    book = live(b, monkeypatch)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ops, "OPERATIONS", {**ops.OPERATIONS, "write_scorecard": broken})
    message = ribbon.press("write_scorecard")
    assert message.startswith("pysnop could not finish (RuntimeError: disk on fire)")
    assert alert(book)["mode"] == "critical"


def test_no_caller_still_no_traceback(monkeypatch, capsys):
    def nobody(cls):
        raise Exception("Book.caller() must not be called directly.")

    monkeypatch.setattr(xw.Book, "caller", classmethod(nobody))
    monkeypatch.setattr(xw, "apps", None)
    message = ribbon.press("recalculate")
    assert message.startswith("pysnop could not finish")
    assert "pysnop: Run bridge" in capsys.readouterr().err


def test_unsaved_workbook_is_asked_to_be_saved(pair, monkeypatch):
    _, b = pair
    book = live(b, monkeypatch)
    book.fullname = "Book1"
    assert ribbon.press("propose_actions").startswith("Save the workbook first")


# ------------------------------------------------------------------- the backend itself

def test_excel_book_reads_like_the_file(pair, monkeypatch):
    _, b = pair
    book = ExcelBook(fake.load_file(b))
    source = FileBook(b)
    assert book.sheet_names() == source.sheet_names()
    assert book.tables() == source.tables()
    from pysnop.workbook.read.reader import read_plan

    x, f = read_plan(book), read_plan(source)
    for name in ("inventory", "forecast", "campaigns", "receipts", "actuals"):
        left = getattr(x.inputs, name).drop(columns=["row"], errors="ignore")
        right = getattr(f.inputs, name).drop(columns=["row"], errors="ignore")
        assert left.astype(str).equals(right.astype(str)), name
    assert book.path == b
    # the deciding user is the Windows account, not Excel's user name (fake App: "ann")
    monkeypatch.setattr("pysnop.workbook.book._os_login", lambda: "win-ann")
    assert book.user_name == "win-ann" and book.declared_user == "win-ann"


def test_text_that_looks_like_a_number_or_formula_stays_text(tmp_path):
    xl = fake.Book(str(tmp_path / "t.xlsx"))
    xl.sheets.add("Data")
    book = ExcelBook(xl)

    def render(canvas):
        ws = canvas.wb.create_sheet("Out")
        from pysnop.workbook.ooxml.xlcells import put

        put(ws, 1, 1, "00123")
        put(ws, 1, 2, "=HYPERLINK(\"x\")")
        put(ws, 1, 3, 5)

    book.apply([render])
    assert xl.sheets["Out"].cells == {(1, 1): "00123", (1, 2): '=HYPERLINK("x")', (1, 3): 5.0}
    assert not isinstance(xl.sheets["Out"].cells[(1, 2)], fake.Formula)


def test_selected_rows_reads_areas(tmp_path):
    xl = fake.Book(str(tmp_path / "t.xlsx"))
    xl.sheets.add("Actions")
    xl.select("Actions", "A5:C6,E9,7:7")
    assert ExcelBook(xl).selected_rows("Actions") == [5, 6, 7, 9]
    assert ExcelBook(xl).selected_rows("Bridge") == []


def test_the_windows_account_decides_not_excels_user_name(pair, monkeypatch):
    """Excel's user name is whatever someone typed into Excel's options; the ribbon's deciding
    user is the Windows account running pysnop (issue 13)."""
    a, b = pair
    run_cli("recalc", a)
    copy_with_log(a, b)
    book = live(b, monkeypatch, user="ann", account="mallory")  # Excel says ann; Windows: mallory
    order = next(r for r, rec in actions_rows(book).items() if rec["type"] == "NEW_ORDER")
    book.select("Actions", f"{order}:{order}")
    message = ribbon.press("approve_selected")
    assert "mallory is not listed as a Supply approver" in message, message
    assert actions_rows(book)[order]["status"] == "Proposed"
    book = live(b, monkeypatch, user="mallory", account="ann")  # Excel says mallory; Windows: ann
    book.select("Actions", f"{order}:{order}")
    assert "1 action approved by ann" in ribbon.press("approve_selected")
    assert actions_rows(book)[order]["approver"] == "ann"
    # the live workbook carries the log's stamp (custom document properties, through COM)
    props = {p.Name: p.Value for p in book.properties.items}
    assert props["pysnop_log_id"] and int(props["pysnop_log_entry"]) > 1
