"""Everything pysnop does not own survives a run unchanged."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from writer_helpers import Layout, make_check, make_result, write_results


def rich_book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    inv = wb.active
    inv.title = "Inventory"
    inv.append(["sku", "location", "on_hand", "unit_cost", "value"])
    inv.append(["00123", "S1", 50, 2.5, "=C2*D2"])
    inv.append(["00456", "S2", 20, 4.0, "=C3*D3"])
    inv["A1"].font = Font(bold=True, color="FF0000FF")
    inv["C2"].fill = PatternFill("solid", start_color="FFFFFF00")
    inv["D2"].number_format = "#,##0.000"
    inv.column_dimensions["A"].width = 21
    inv.merge_cells("G1:H1")
    inv["G1"] = "merged note"
    inv["A2"].comment = Comment("check this SKU", "Ann")
    dv = DataValidation(type="list", formula1='"S1,S2,S3"', allow_blank=True)
    dv.add("B2:B100")
    inv.add_data_validation(dv)
    inv.conditional_formatting.add(
        "C2:C100", CellIsRule(operator="lessThan", formula=["10"],
                              fill=PatternFill("solid", start_color="FFFF0000")))
    chart = BarChart()
    chart.add_data(Reference(inv, min_col=3, min_row=1, max_row=3), titles_from_data=True)
    inv.add_chart(chart, "J2")
    wb.defined_names["OnHand"] = DefinedName("OnHand", attr_text="Inventory!$C$2:$C$3")
    hidden = wb.create_sheet("Lookups")
    hidden["A1"] = "secret"
    hidden.sheet_state = "hidden"
    notes = wb.create_sheet("Notes")
    notes["A1"] = "=SUM(Inventory!C2:C3)"
    notes["A2"] = dt.date(2026, 1, 5)
    wb.save(path)
    return path


@pytest.fixture
def book(tmp_path):
    path = rich_book(tmp_path / "plan.xlsx")
    result = make_result(check=make_check([2, 3]))
    write_results(path, path, result, campaigns_layout=None, warnings=[])
    return openpyxl.load_workbook(path)


def test_other_sheets_and_order(book):
    assert book.sheetnames == ["Inventory", "Lookups", "Notes", "Bridge", "Bridge Chart",
                               "Issues"]
    assert book["Notes"]["A2"].value == dt.datetime(2026, 1, 5)
    assert book["Inventory"]["A2"].value == "00123"


def test_formulas(book):
    assert book["Inventory"]["E2"].value == "=C2*D2"
    assert book["Notes"]["A1"].value == "=SUM(Inventory!C2:C3)"


def test_styles(book):
    inv = book["Inventory"]
    assert inv["A1"].font.bold and inv["A1"].font.color.rgb == "FF0000FF"
    assert inv["C2"].fill.fgColor.rgb == "FFFFFF00"
    assert inv["D2"].number_format == "#,##0.000"
    assert inv.column_dimensions["A"].width == 21
    assert "G1:H1" in {str(r) for r in inv.merged_cells.ranges}


def test_defined_names(book):
    assert book.defined_names["OnHand"].attr_text == "Inventory!$C$2:$C$3"


def test_data_validation(book):
    dvs = book["Inventory"].data_validations.dataValidation
    assert len(dvs) == 1 and dvs[0].formula1 == '"S1,S2,S3"'
    assert "B2:B100" in str(dvs[0].sqref)


def test_comments(book):
    comment = book["Inventory"]["A2"].comment
    assert comment is not None and comment.text.startswith("check this SKU")


def test_charts(book):
    charts = book["Inventory"]._charts
    assert len(charts) == 1 and len(charts[0].series) == 1


def test_conditional_formats(book):
    cf = book["Inventory"].conditional_formatting
    ranges = [str(r.sqref) for r in cf]
    assert ranges == ["C2:C100"]
    rule = next(iter(cf))
    assert rule.rules[0].operator == "lessThan" and rule.rules[0].formula == ["10"]


def test_hidden_sheets(book):
    assert book["Lookups"].sheet_state == "hidden"
    assert book["Lookups"]["A1"].value == "secret"


def test_campaigns_marketing_columns_byte_for_byte_values(tmp_path):
    """Marketing's cells keep values and styles; only Supply columns are added."""
    path = tmp_path / "c.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Campaigns"
    ws.append(["campaign_id", "sku", "lift", "comment"])
    ws.append(["C0", "00123", 0.3, "=HYPERLINK(\"http://x\")"])
    ws.append(["C1", "00456", 0.2, None])
    ws["C2"].number_format = "0%"
    wb.save(path)
    before = [[(c.value, c.number_format) for c in row] for row in
              openpyxl.load_workbook(path)["Campaigns"].iter_rows(max_col=4)]
    write_results(path, path, make_result(check=make_check([2, 3])),
                  campaigns_layout=Layout("Campaigns", 1, 4, 3), warnings=[])
    ws = openpyxl.load_workbook(path)["Campaigns"]
    after = [[(c.value, c.number_format) for c in row] for row in ws.iter_rows(max_col=4)]
    assert after == before
    assert ws["E1"].value == "Supply: status"


MACRO_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_BYTES = b"fake vba project \x00\x01\x02"


def make_xlsm(path: Path) -> Path:
    """An .xlsm built by hand: an openpyxl workbook plus a vbaProject.bin part."""
    plain = path.with_suffix(".tmp.xlsx")
    wb = openpyxl.Workbook()
    wb.active.title = "Inventory"
    wb.active["A1"] = "sku"
    wb.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                text = data.decode()
                text = text.replace(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    MACRO_CT)
                text = text.replace(
                    "</Types>",
                    '<Default Extension="bin" ContentType="application/vnd.ms-office.'
                    'vbaProject"/></Types>')
                data = text.encode()
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.decode().replace(
                    "</Relationships>",
                    '<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/office/'
                    '2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                    "</Relationships>").encode()
            dst.writestr(info, data)
        dst.writestr("xl/vbaProject.bin", VBA_BYTES)
    plain.unlink()
    return path


def test_xlsm_keeps_vba_project(tmp_path):
    path = make_xlsm(tmp_path / "book.xlsm")
    write_results(path, path, make_result(), campaigns_layout=None, warnings=[])
    with zipfile.ZipFile(path) as zf:
        assert zf.read("xl/vbaProject.bin") == VBA_BYTES
        types = zf.read("[Content_Types].xml").decode()
        assert MACRO_CT in types
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
        assert re.search(r"vbaProject", rels)
    wb = openpyxl.load_workbook(path, keep_vba=True)
    assert "Bridge" in wb.sheetnames and wb["Inventory"]["A1"].value == "sku"
    assert (tmp_path / "book.xlsm.bak").exists()


def test_pictures(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    from openpyxl.drawing.image import Image

    png = tmp_path / "logo.png"
    pil.new("RGB", (4, 3), "red").save(png)
    path = tmp_path / "pic.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Inventory"
    wb.active.add_image(Image(str(png)), "C3")
    wb.save(path)
    write_results(path, path, make_result(), campaigns_layout=None, warnings=[])
    images = openpyxl.load_workbook(path)["Inventory"]._images
    assert len(images) == 1
