"""The workbook writer: Bridge, Bridge Chart, Campaigns supply columns, Issues, safe saving."""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.table import Table
from writer_helpers import AS_OF, Layout, make_check, make_result, write_results

from pysnop.errors import FileAccessError, Problem
from pysnop.workbook.ooxml import atomic
from pysnop.workbook.writer import OWNED_SHEETS

RED, AMBER = "FFFFC7CE", "FFFFEB9C"


def simple_book(path: Path, *, extra_sheets=("Inventory",)) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = extra_sheets[0]
    wb.active.append(["sku", "location", "on_hand"])
    for name in extra_sheets[1:]:
        wb.create_sheet(name)
    wb.save(path)
    return path


def campaigns_book(path: Path, *, table: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Campaigns"
    ws["A1"] = "Marketing promo calendar"
    ws.append([])
    ws.append(["campaign_id", "sku", "start", "end", "lift", "owner"])
    ws.append(["C0", "00123", dt.date(2026, 3, 9), dt.date(2026, 3, 22), 0.3, "Ann"])
    ws.append(["C1", "00456", dt.date(2026, 3, 16), dt.date(2026, 3, 29), 0.2, "Bob"])
    ws["F3"].font = openpyxl.styles.Font(bold=True)
    if table:
        ws.add_table(Table(displayName="tblCampaigns", ref="A3:F5"))
    wb.create_sheet("Inventory")
    wb.save(path)
    return path


def layout(table=None) -> Layout:
    return Layout(name="Campaigns", header_row=3, last_col=6, last_row=5, table=table)


def run(path, result=None, dest=None, **kw):
    kw.setdefault("campaigns_layout", None)
    kw.setdefault("warnings", [])
    write_results(path, dest or path, result or make_result(), **kw)
    return openpyxl.load_workbook(dest or path)


def sheet_xml(path: Path, title: str) -> str:
    """The raw XML of a worksheet part, found by its title."""
    with zipfile.ZipFile(path) as zf:
        book = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet[^>]*name="{re.escape(title)}"[^>]*r:id="([^"]+)"', book).group(1)
        target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"',
                           rels)
        target = (target.group(1) or target.group(2)).lstrip("/")
        return zf.read(target if target.startswith("xl/") else "xl/" + target).decode()


# --- Bridge sheet ------------------------------------------------------------------------

def test_bridge_layout(tmp_path):
    wb = run(simple_book(tmp_path / "b.xlsx"))
    assert wb.sheetnames == ["Inventory", "Bridge", "Bridge Chart", "Issues"]
    ws = wb["Bridge"]
    assert ws["A1"].value == f"pysnop bridge · as of {AS_OF.isoformat()} · 4 weeks"
    legend = [ws.cell(2, c).value for c in range(1, 6)]
    assert legend[1:5] == ["STOCKOUT", "AT RISK", "OK", "promo week"]
    assert ws["B2"].fill.fgColor.rgb == RED and ws["C2"].fill.fgColor.rgb == AMBER
    assert ws["E2"].border.bottom.style == "medium"
    header = [c.value for c in ws[4]]
    assert header[:10] == ["sku", "location", "status", "first_risk_week", "min_projected",
                           "shortfall_units", "lost_units", "margin_at_risk", "act_by",
                           "campaigns"]
    assert header[10:] == [dt.datetime(2026, 3, 2), dt.datetime(2026, 3, 9),
                           dt.datetime(2026, 3, 16), dt.datetime(2026, 3, 23)]
    assert ws["K4"].is_date and ws["K4"].number_format == "yyyy-mm-dd"
    assert ws.freeze_panes == "C5"
    assert ws.auto_filter.ref == "A4:N7"
    # engine order kept: STOCKOUT row first
    assert [ws.cell(r, 1).value for r in (5, 6, 7)] == ["00456", "00123", "00789"]
    assert ws["A5"].data_type == "s" and ws["A6"].value == "00123"
    assert [ws.cell(r, 3).value for r in (5, 6, 7)] == ["STOCKOUT", "AT RISK", "OK"]
    assert ws["C5"].fill.fgColor.rgb == RED and ws["C5"].font.color.rgb == "FF9C0006"
    assert ws["C6"].fill.fgColor.rgb == AMBER
    assert ws["C7"].fill.fill_type is None
    # weekly POH: 00456 = [20, 5, -3, -10], threshold 4
    assert [ws.cell(5, c).value for c in range(11, 15)] == [20, 5, -3, -10]
    assert ws["K5"].fill.fill_type is None
    assert ws["M5"].fill.fgColor.rgb == RED and ws["N5"].fill.fgColor.rgb == RED
    assert ws["M5"].number_format == "#,##0.0"
    # 00123 = [50, 30, 10, 5] threshold 8 -> week 3 AT RISK; promo in weeks 1 and 2
    assert ws["N6"].fill.fgColor.rgb == AMBER and ws["K6"].fill.fill_type is None
    assert ws["L6"].border.bottom.style == "medium" and ws["M6"].border.bottom.style == "medium"
    assert ws["K6"].border.bottom.style is None and ws["N6"].border.bottom.style is None
    assert all(ws.cell(7, c).fill.fill_type is None for c in range(11, 15))
    # dates, money, too late
    assert ws["D5"].value == dt.datetime(2026, 3, 16) and ws["D5"].number_format == "yyyy-mm-dd"
    assert ws["H5"].value == pytest.approx(25.0) and ws["H5"].number_format == "#,##0.00"
    assert ws["I5"].value == dt.datetime(2026, 2, 23)
    assert ws["I5"].font.bold and ws["I5"].font.color.rgb == "FFC00000"  # too late
    assert ws["I6"].value == dt.datetime(2026, 3, 2) and not ws["I6"].font.bold
    assert ws["D7"].value is None and ws["I7"].value is None
    assert ws["J6"].value == "SPRING"
    assert ws.column_dimensions["A"].width > 5


def test_summary_order_maps_to_the_right_poh_row(tmp_path):
    result = make_result(summary_order=[2, 0, 1])
    ws = run(simple_book(tmp_path / "b.xlsx"), result)["Bridge"]
    assert [ws.cell(r, 1).value for r in (5, 6, 7)] == ["00789", "00123", "00456"]
    assert [ws.cell(5, c).value for c in range(11, 15)] == [90, 80, 70, 60]
    assert [ws.cell(7, c).value for c in range(11, 15)] == [20, 5, -3, -10]


def test_existing_pysnop_sheets_are_replaced_in_place(tmp_path):
    # pysnop's sheets carry its marker: a re-run replaces them where they are; a user's own
    # sheet of the same name is refused (tests/ooxml/test_red_team_run.py)
    path = simple_book(tmp_path / "b.xlsx", extra_sheets=("Inventory", "Notes"))
    wb = run(path)
    assert wb.sheetnames == ["Inventory", "Notes", "Bridge", "Bridge Chart", "Issues"]
    wb = run(path)  # second run: same sheets, same order
    assert wb.sheetnames == ["Inventory", "Notes", "Bridge", "Bridge Chart", "Issues"]
    assert set(OWNED_SHEETS) <= set(wb.sheetnames)


# --- Bridge Chart ------------------------------------------------------------------------

def test_chart_sheet_small_multiples(tmp_path):
    wb = run(simple_book(tmp_path / "b.xlsx"))
    ws = wb["Bridge Chart"]
    assert len(ws._charts) == 2  # STOCKOUT and AT RISK rows, not OK
    assert all(len(chart.series) == 2 for chart in ws._charts)
    assert [ws.cell(1, c).value for c in range(1, 6)] == [
        "week", "00456 @ S2 POH", "00456 @ S2 threshold", "00123 @ S1 POH",
        "00123 @ S1 threshold"]
    assert ws["A2"].value == dt.datetime(2026, 3, 2)
    assert [ws.cell(r, 2).value for r in range(2, 6)] == [20, 5, -3, -10]
    assert [ws.cell(r, 3).value for r in range(2, 6)] == [4, 4, 4, 4]


def test_chart_picks_at_most_five(tmp_path):
    rows = [(f"{i:03d}", "S1", [10, 5, -i, -i], 2, [False] * 4) for i in range(1, 8)]
    wb = run(simple_book(tmp_path / "b.xlsx"), make_result(rows))
    ws = wb["Bridge Chart"]
    assert len(ws._charts) == 5
    assert ws["B1"].value == "007 @ S1 POH"  # lowest min_projected first


def test_chart_note_when_nothing_at_risk(tmp_path):
    rows = [("A", "S1", [9, 9, 9, 9], 1, [False] * 4)]
    ws = run(simple_book(tmp_path / "b.xlsx"), make_result(rows))["Bridge Chart"]
    assert ws["A1"].value == "No sku-location at risk"
    assert not ws._charts


# --- Campaigns supply check --------------------------------------------------------------

SUPPLY = ["Supply: status", "Supply: coverage", "Supply: max lift", "Supply: safe start",
          "Supply: margin at risk", "Supply: learned lift", "Supply: learned from",
          "Supply: wasted spend", "Supply: note"]


def test_campaign_columns_appended(tmp_path):
    path = campaigns_book(tmp_path / "c.xlsx")
    result = make_result(check=make_check([4, 5]))
    ws = run(path, result, campaigns_layout=layout())["Campaigns"]
    assert [ws.cell(3, c).value for c in range(1, 7)] == [
        "campaign_id", "sku", "start", "end", "lift", "owner"]
    assert [ws.cell(3, c).value for c in range(7, 16)] == SUPPLY
    assert ws["G3"].font.bold  # styled like marketing's header
    assert [ws.cell(4, c).value for c in range(7, 16)] == [
        "STOCKOUT", 0.8, 0.15, dt.datetime(2026, 3, 23), 125.5, 0.42,
        "3 past campaigns of the same sku", 250, "reduce lift"]
    assert ws["L4"].number_format == "0.0%" and ws["N4"].number_format == "#,##0.00"
    assert ws["N5"].value == 0 and ws["L5"].value is None
    assert ws["G4"].fill.fgColor.rgb == RED and ws["G5"].fill.fill_type is None
    assert ws["H4"].number_format == "0%" and ws["I4"].number_format == "0.0%"
    assert ws["J4"].number_format == "yyyy-mm-dd" and ws["K4"].number_format == "#,##0.00"
    assert ws["J5"].value is None
    # marketing's cells untouched
    assert ws["A1"].value == "Marketing promo calendar"
    assert [c.value for c in ws[4]][:6] == ["C0", "00123", dt.datetime(2026, 3, 9),
                                            dt.datetime(2026, 3, 22), 0.3, "Ann"]


def test_campaign_columns_reused_on_rerun(tmp_path):
    path = campaigns_book(tmp_path / "c.xlsx")
    run(path, make_result(check=make_check([4, 5])), campaigns_layout=layout())
    # second run: the reader reports last_col of the user's columns only (6)
    check = make_check([4], statuses=("AT RISK",))
    ws = run(path, make_result(check=check), campaigns_layout=layout())["Campaigns"]
    headers = [c.value for c in ws[3]]
    assert headers == ["campaign_id", "sku", "start", "end", "lift", "owner"] + SUPPLY
    assert ws.max_column == 15
    assert ws["G4"].value == "AT RISK" and ws["G4"].fill.fgColor.rgb == AMBER
    assert all(ws.cell(5, c).value is None for c in range(7, 16))  # stale values cleared
    assert ws["F5"].value == "Bob"
    # a reader that counts pysnop's columns as used (last_col=15) changes nothing
    wide = Layout(name="Campaigns", header_row=3, last_col=15, last_row=5)
    ws = run(path, make_result(check=check), campaigns_layout=wide)["Campaigns"]
    assert [c.value for c in ws[3]] == ["campaign_id", "sku", "start", "end", "lift",
                                        "owner"] + SUPPLY


def test_campaign_columns_reuse_moved_and_partial_headers(tmp_path):
    path = campaigns_book(tmp_path / "c.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Campaigns"]
    ws["H3"] = "supply: STATUS"  # a previous run's column, left where it was
    ws["H4"] = "old"
    ws["G3"] = "budget"  # marketing added a column after it
    ws["G4"] = 1000
    wb.save(path)
    ws = run(path, make_result(check=make_check([4, 5])),
             campaigns_layout=Layout("Campaigns", 3, 7, 5))["Campaigns"]
    assert ws["G3"].value == "budget" and ws["G4"].value == 1000
    assert ws["H3"].value == "Supply: status" and ws["H4"].value == "STOCKOUT"
    assert [ws.cell(3, c).value for c in range(9, 17)] == SUPPLY[1:]
    assert ws.max_column == 16


def test_campaign_table_is_extended(tmp_path):
    path = campaigns_book(tmp_path / "c.xlsx", table=True)
    for _ in range(2):
        ws = run(path, make_result(check=make_check([4, 5])),
                 campaigns_layout=layout("tblCampaigns"))["Campaigns"]
        assert len(ws.tables) == 1
        table = ws.tables["tblCampaigns"]
        assert table.ref == "A3:O5"
        names = [tc.name for tc in table.tableColumns]
        assert names == ["campaign_id", "sku", "start", "end", "lift", "owner"] + SUPPLY
        assert [tc.id for tc in table.tableColumns] == list(range(1, 16))
        if table.autoFilter is not None:
            assert table.autoFilter.ref == "A3:O5"


def test_no_campaign_columns_without_layout_or_check(tmp_path):
    path = campaigns_book(tmp_path / "c.xlsx")
    ws = run(path, make_result(check=make_check([4])))["Campaigns"]
    assert ws.max_column == 6
    ws = run(path, make_result(), campaigns_layout=layout())["Campaigns"]
    assert ws.max_column == 6


# --- Issues ------------------------------------------------------------------------------

def test_issues_sheet(tmp_path):
    path = simple_book(tmp_path / "b.xlsx")
    problems = [
        Problem("no forecast for this SKU", "Inventory", 7, None, "sku", "00999", "warning"),
        Problem("expected a number", "Inventory", 3, 3, "on_hand", "n/a", "error"),
    ]
    ws = run(path, warnings=problems)["Issues"]
    rows = [tuple(c.value for c in row) for row in ws.iter_rows()]
    assert rows[0] == ("severity", "where", "column", "value", "message")
    assert rows[1] == ("error", "Inventory!C3", "on_hand", "n/a", "expected a number")
    assert rows[2] == ("warning", "Inventory row 7", "sku", "00999", "no forecast for this SKU")
    assert len(rows) == 3
    assert ws["A2"].fill.fgColor.rgb == RED and ws["A3"].fill.fgColor.rgb == AMBER
    ws = run(path)["Issues"]  # rewritten on each run
    assert [tuple(c.value for c in row) for row in ws.iter_rows()][1][0] == "No issues found"
    assert ws.max_row == 2


def test_result_warnings_are_included_once(tmp_path):
    w = Problem("no forecast", "Forecast", None, None, None, None, "warning")
    result = make_result()
    result.warnings = [w]
    ws = run(simple_book(tmp_path / "b.xlsx"), result, warnings=[w])["Issues"]
    assert ws.max_row == 2 and ws["E2"].value == "no forecast"


# --- formula neutralising ----------------------------------------------------------------

NASTY = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)"]


def test_text_never_becomes_a_formula(tmp_path):
    rows = [(text, text, [5, 4, -1, -2], 1, [False] * 4) for text in NASTY]
    check = make_check([4, 5], ids=["C0", "C1"])
    check["note"] = ['=cmd|"/c calc"!A1', "-5"]
    result = make_result(rows, check=check)
    result.summary["campaigns"] = NASTY
    problems = [Problem("bad", "Inventory", 2, 1, "=A1", "=1+1", "warning")]
    path = campaigns_book(tmp_path / "c.xlsx")
    wb = run(path, result, campaigns_layout=layout(), warnings=problems)
    bridge = wb["Bridge"]
    assert sorted(bridge.cell(r, 1).value for r in range(5, 9)) == sorted(NASTY)
    for r in range(5, 9):
        for c in (1, 2, 10):
            cell = bridge.cell(r, c)
            assert cell.data_type == "s" and cell.value in NASTY
            assert cell.quotePrefix
    chart_sheet = wb["Bridge Chart"]
    assert any(str(c.value).startswith('=HYPERLINK("x") @') for c in chart_sheet[1])
    assert wb["Campaigns"]["O4"].value == '=cmd|"/c calc"!A1'
    assert wb["Campaigns"]["O4"].data_type == "s"
    assert wb["Issues"]["C2"].value == "=A1" and wb["Issues"]["D2"].value == "=1+1"
    for title in ("Bridge", "Bridge Chart", "Campaigns", "Issues"):
        assert "<f>" not in sheet_xml(path, title) and "<f " not in sheet_xml(path, title)


# --- saving ------------------------------------------------------------------------------

def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(atomic.TEMP_PREFIX))


def test_failure_mid_save_leaves_original_untouched(tmp_path, monkeypatch):
    path = simple_book(tmp_path / "b.xlsx")
    before = path.read_bytes()

    def broken_save(package, handle):
        handle.write(b"PK\x03\x04 half a workbook")
        raise RuntimeError("disk went away")

    from pysnop.workbook.ooxml.package import Package

    monkeypatch.setattr(Package, "save", broken_save)
    with pytest.raises(RuntimeError):
        write_results(path, path, make_result(), campaigns_layout=None, warnings=[])
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []
    assert not (tmp_path / "b.xlsx.bak").exists()


def test_os_error_becomes_file_access_error(tmp_path, monkeypatch):
    path = simple_book(tmp_path / "b.xlsx")
    before = path.read_bytes()

    def locked(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(atomic.os, "replace", locked)
    with pytest.raises(FileAccessError) as info:
        write_results(path, path, make_result(), campaigns_layout=None, warnings=[])
    assert "b.xlsx" in str(info.value) and "close the file in Excel" in str(info.value)
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_missing_source_is_file_access_error(tmp_path):
    with pytest.raises(FileAccessError, match="nope.xlsx"):
        write_results(tmp_path / "nope.xlsx", tmp_path / "out.xlsx", make_result(),
                      campaigns_layout=None, warnings=[])


def test_missing_destination_folder(tmp_path):
    path = simple_book(tmp_path / "b.xlsx")
    with pytest.raises(FileAccessError, match="out.xlsx"):
        write_results(path, tmp_path / "no" / "out.xlsx", make_result(),
                      campaigns_layout=None, warnings=[])


def test_one_backup_kept_when_writing_in_place(tmp_path):
    path = simple_book(tmp_path / "b.xlsx")
    original = path.read_bytes()
    run(path)
    assert (tmp_path / "b.xlsx.bak").read_bytes() == original
    after_first = path.read_bytes()
    run(path)
    assert (tmp_path / "b.xlsx.bak").read_bytes() == after_first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.xlsx", "b.xlsx.bak"]


def test_no_backup_when_disabled(tmp_path):
    path = simple_book(tmp_path / "b.xlsx")
    run(path, backup=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.xlsx"]


def test_other_destination_leaves_source_identical(tmp_path):
    src = simple_book(tmp_path / "b.xlsx")
    before = src.read_bytes()
    wb = run(src, dest=tmp_path / "out.xlsx")
    assert src.read_bytes() == before
    assert "Bridge" in wb.sheetnames
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.xlsx", "out.xlsx"]


def test_large_bridge_roundtrips(tmp_path):
    rows = [(f"{i:05d}", f"L{i % 9}", [30.0, 10.5, -1.25, 4.0], 5, [False, True, False, False])
            for i in range(600)]
    wb = run(simple_book(tmp_path / "b.xlsx"), make_result(rows))
    ws = wb["Bridge"]
    assert ws.max_row == 604 and ws.max_column == 14
    assert ws.dimensions == "A1:N604"
    assert ws["M604"].value == -1.25 and ws["M604"].fill.fgColor.rgb == RED
    assert ws["L604"].border.bottom.style == "medium"


def test_temp_files_left_by_a_killed_run_are_swept(tmp_path):
    import time

    path = simple_book(tmp_path / "b.xlsx")
    old = tmp_path / ".~pysnop-abc.xlsx.tmp"
    fresh = tmp_path / ".~pysnop-def.xlsx.tmp"  # maybe another run's, still writing
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    write_results(path, path, make_result(), campaigns_layout=None, warnings=[])
    assert not old.exists() and fresh.exists()
