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

import openpyxl
import pytest
from click.testing import CliRunner

import xlwings as xw

from pysnop.pipeline import run as api
from pysnop.operations import decide as action_ops
from pysnop.cli import actions as cli_actions
from pysnop.operations import book_ops as ops
from pysnop.excel import ribbon
from pysnop.cli.main import cli
from pysnop.workbook.book import ExcelBook, FileBook

import fake_xlwings as fake

D = dt.date
TIME_COLUMNS = {"decided_at", "exported_at"}


@pytest.fixture(autouse=True)
def wired(monkeypatch):
    assert api.actions_stage in api.STAGES  # recalc proposes actions
    cli_actions.register(cli)
    monkeypatch.setenv("PYSNOP_USER", "ann")  # recalc's user (the ribbon: Excel's UserName)


def sheets():
    return {
        "Settings": [["key", "value"], ["as_of", D(2026, 11, 18)], ["horizon_weeks", 3]],
        "Inventory": [["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                       "unit_margin"], ["00123", "S01", 30, 5, 1, 2.5],
                      ["00456", "S01", 500, 5, 1, 1.0]],
        "Forecast": [["sku", "location", "week", "units", "source"],
                     ["00123", "S01", D(2026, 11, 16), 10, "Planning"],
                     ["00123", "S01", D(2026, 11, 23), 10, "Planning"],
                     ["00123", "S01", D(2026, 11, 30), 10, "Planning"],
                     ["00456", "S01", D(2026, 11, 16), 5, "Planning"],
                     ["00456", "S01", D(2026, 11, 23), 5, "Planning"],
                     ["00456", "S01", D(2026, 11, 30), 5, "Planning"],
                     ["00456", "S01", D(2026, 11, 23), 7, "Marketing"]],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift", "name"],
                      ["BF", "00123", D(2026, 11, 23), D(2026, 11, 29), 0.5, "Black Friday"],
                      ["XM", "00456", D(2026, 11, 30), D(2026, 12, 6), 0.2, "Xmas"]],
        "Receipts": [["sku", "location", "due", "qty", "po_id"],
                     ["00456", "S01", D(2026, 11, 25), 10, "PO1"]],
        "Actuals": [["sku", "location", "week", "units"],
                    ["00123", "S01", D(2026, 11, 2), 9], ["00123", "S01", D(2026, 11, 9), 11],
                    ["00456", "S01", D(2026, 11, 2), 4], ["00456", "S01", D(2026, 11, 9), 6]],
        "Approvers": [["name", "function"], ["ann", "Supply"], ["mo", "Marketing"]],
        "Notes": [["free text the planner keeps"], ["=1+1"]],
    }


@pytest.fixture
def pair(make_book, tmp_path):
    """The same workbook twice, in two folders (each gets its own decision log)."""
    src = make_book(sheets(), tables={"Campaigns": "CampaignTable"})
    a, b = tmp_path / "cli" / "plan.xlsx", tmp_path / "ribbon" / "plan.xlsx"
    for p in (a, b):
        p.parent.mkdir()
        shutil.copy(src, p)
    return a, b


def run_cli(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], obj={})
    assert result.exit_code == 0, result.output
    return result.output


def normal(v):
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return round(float(v), 6)
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time(0) else v.replace(microsecond=0)
    if isinstance(v, str) and v == "":
        return None
    return v


def file_cells(path, sheet) -> dict:
    import python_calamine as pc

    ws = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
    if ws.start is None:
        return {}
    r0, c0 = ws.start
    out = {}
    for i, row in enumerate(ws.to_python(skip_empty_area=True)):
        for j, v in enumerate(row):
            v = normal(v)
            if v is not None:
                out[(r0 + i + 1, c0 + j + 1)] = v
    return out


def fake_cells(book: fake.Book, sheet) -> dict:
    return {k: normal(v) for k, v in book.sheets[sheet].cells.items() if normal(v) is not None}


def header_columns(cells: dict, header_row: int, names) -> set[int]:
    return {c for (r, c), v in cells.items() if r == header_row and v in names}


def without(cells: dict, columns: set[int], below: int) -> dict:
    return {k: v for k, v in cells.items() if not (k[1] in columns and k[0] > below)}


def same_sheet(path, book, sheet, *, ignore=(), header_row=3):
    got, want = fake_cells(book, sheet), file_cells(path, sheet)
    cols = header_columns(want, header_row, set(ignore))
    got, want = without(got, cols, header_row), without(want, cols, header_row)
    assert got == want, f"{sheet}: " + repr(sorted(set(got.items()) ^ set(want.items()),
                                                   key=str)[:8])


def live(path, monkeypatch, user="ann") -> fake.Book:
    book = fake.load_file(path, app=fake.App(user))
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: book))
    return book


def alert(book) -> dict:
    assert len(book.app.alerts) == 1, book.app.alerts
    return book.app.alerts[-1]


# ------------------------------------------------------------------- run bridge == recalc

def test_run_bridge_matches_cli_recalc(pair, monkeypatch):
    a, b = pair
    run_cli("recalc", a)
    book = live(b, monkeypatch)
    message = ribbon.run_bridge()
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
    ribbon.run_bridge()
    first = {s.name: fake_cells(book, s.name) for s in book.sheets}
    ribbon.run_bridge()
    assert [s.name for s in book.sheets] == list(first)
    for name, cells in first.items():
        if name not in ("Actions", "Review"):
            assert fake_cells(book, name) == cells, name


# ------------------------------------------------------------------- partial operations

def test_partial_operations_match_the_file_backend(pair, monkeypatch):
    a, b = pair
    book = live(b, monkeypatch)
    for name in ("refresh_campaigns", "reconcile_forecast", "scorecard"):
        ops.OPERATIONS[name](FileBook(a, backup=False))
        message = getattr(ribbon, name)()
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
    message = ribbon.check_inputs()
    assert message.startswith("Inputs are valid. 2 sku-locations: 1 STOCKOUT")
    assert {s.name: dict(s.cells) for s in book.sheets} == before and book.writes == 0


# ------------------------------------------------------------------- decisions

def proposed(path, monkeypatch):
    run_cli("recalc", path, "--user", "ann")


def actions_rows(book) -> dict:
    sheet = book.sheets["Actions"]
    header = {c: v for (r, c), v in sheet.cells.items() if r == 3}
    rows = {}
    for (r, c), v in sheet.cells.items():
        if r > 3:
            rows.setdefault(r, {})[header[c]] = v
    return rows


def copy_with_log(a: Path, b: Path) -> None:
    shutil.copy(a, b)
    shutil.copy(a.with_name("plan.pysnop.sqlite"), b.with_name("plan.pysnop.sqlite"))


def test_propose_actions_matches_cli(pair, monkeypatch):
    a, b = pair
    run_cli("recalc", a)
    book = live(b, monkeypatch)
    message = ribbon.propose_actions()
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
    message = ribbon.approve_selected()
    assert book.app.alerts[-1]["mode"] == "critical"  # ann may not decide for Marketing
    assert "1 action approved by ann" in message and "1 refused" in message
    after = actions_rows(book)
    assert after[order]["status"] == "Approved" and after[order]["approver"] == "ann"
    assert after[market]["status"] == "Proposed"
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
    assert "1 action approved by ann" in ribbon.approve_selected()
    message = ribbon.export_approved()
    assert message.startswith("Exported 1 approved action to ")
    exported = Path(message.split(" to ", 1)[1].split("; ")[0])
    assert exported.parent == b.parent and exported.suffix == ".csv"
    assert actions_rows(book)[supply[0]]["status"] == "Exported"
    assert "nothing written" in ribbon.export_approved()
    # CLI: same approval typed in, then export
    wb = openpyxl.load_workbook(a)
    ws = wb["Actions"]
    head = [c.value for c in ws[3]]
    ws.cell(supply[0], head.index("status") + 1, "Approved")
    wb.save(a)
    out = tmp_path / "cli.csv"
    run_cli("export", a, "-o", out, "--user", "ann")
    same_sheet(a, book, "Actions", ignore=TIME_COLUMNS)
    read = lambda p: [{k: v for k, v in r.items() if k not in TIME_COLUMNS}  # noqa: E731
                      for r in csv.DictReader(open(p, encoding="utf-8"))]
    assert read(exported) == read(out)


def test_reject_without_selection_says_what_to_do(pair, monkeypatch):
    a, b = pair
    run_cli("recalc", a)
    copy_with_log(a, b)
    book = live(b, monkeypatch)
    book.select("Bridge", "A5")
    message = ribbon.reject_selected()
    assert message == "Select the rows to reject on the Actions sheet first (any cell of each row)"
    assert alert(book)["mode"] == "critical"


# ------------------------------------------------------------------- errors -> message boxes

def test_bad_workbook_lists_problems_and_writes_nothing(pair, monkeypatch):
    _, b = pair
    book = live(b, monkeypatch)
    book.sheets["Inventory"].range("C2").value = "'n/a"
    book.sheets["Campaigns"].range("E2").value = 35
    book.writes = 0
    message = ribbon.run_bridge()
    box = alert(book)
    assert box["mode"] == "critical" and box["title"] == "pysnop: Run bridge"
    assert "2 problems; nothing was written." in message
    assert 'Inventory!C2 (on_hand): expected a number, got "n/a"' in message
    assert "Campaigns!E2 (lift)" in message and "Traceback" not in message
    assert book.writes == 0 and "Bridge" not in [s.name for s in book.sheets]
    assert ribbon.check_inputs().startswith("2 errors: nothing can run")


def test_internal_error_is_a_message_box_not_a_traceback(pair, monkeypatch):
    _, b = pair
    book = live(b, monkeypatch)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ops, "OPERATIONS", {**ops.OPERATIONS, "scorecard": broken})
    message = ribbon.scorecard()
    assert message.startswith("pysnop could not finish (RuntimeError: disk on fire)")
    assert alert(book)["mode"] == "critical"


def test_no_caller_still_no_traceback(monkeypatch, capsys):
    def nobody(cls):
        raise Exception("Book.caller() must not be called directly.")

    monkeypatch.setattr(xw.Book, "caller", classmethod(nobody))
    monkeypatch.setattr(xw, "apps", None)
    message = ribbon.run_bridge()
    assert message.startswith("pysnop could not finish")
    assert "pysnop: Run bridge" in capsys.readouterr().err


def test_unsaved_workbook_is_asked_to_be_saved(pair, monkeypatch):
    _, b = pair
    book = live(b, monkeypatch)
    book.fullname = "Book1"
    assert ribbon.propose_actions().startswith("Save the workbook first")


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
    assert book.user_name == "ann" and book.path == b


def test_text_that_looks_like_a_number_or_formula_stays_text(tmp_path):
    xl = fake.Book(str(tmp_path / "t.xlsx"))
    xl.sheets.add("Data")
    book = ExcelBook(xl)

    def render(wb, styles):
        ws = wb.create_sheet("Out")
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
