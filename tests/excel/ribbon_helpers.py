"""Shared by the ribbon tests: run the CLI, open a file as a live workbook on the fake of
xlwings, and compare a sheet of a file with the same sheet of a live workbook."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import fake_xlwings as fake
import python_calamine as pc
import xlwings as xw
from click.testing import CliRunner

from pysnop.cli.main import cli

TIME_COLUMNS = {"decided_at", "exported_at"}
D = dt.date


def actions_book():
    """The ribbon tests' workbook (see tests/excel/test_ribbon.py)."""
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


def live(path, monkeypatch, user="ann", account=None) -> fake.Book:
    """``path`` open in the fake Excel, whose user name (Excel's, self-set) is ``user``, run
    under the Windows account ``account`` (default: the same)."""
    book = fake.load_file(path, app=fake.App(user))
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: book))
    monkeypatch.setattr("pysnop.workbook.book._os_login", lambda: account or user)
    return book


def alert(book) -> dict:
    assert len(book.app.alerts) == 1, book.app.alerts
    return book.app.alerts[-1]


def actions_rows(book) -> dict:
    """The alternatives of the Actions sheet by Excel row (risk lines left out)."""
    sheet = book.sheets["Actions"]
    header = {c: v for (r, c), v in sheet.cells.items() if r == 3}
    rows = {}
    for (r, c), v in sheet.cells.items():
        if r > 3:
            rows.setdefault(r, {})[header[c]] = v
    return {r: rec for r, rec in rows.items() if rec.get("action_id")}  # not the risk lines


def copy_with_log(a: Path, b: Path) -> None:
    shutil.copy(a, b)
    shutil.copy(a.with_name("plan.pysnop.sqlite"), b.with_name("plan.pysnop.sqlite"))
