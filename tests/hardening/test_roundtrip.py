"""Nothing of the user's lost: an in-place recalc keeps every part pysnop does not own.

The writer copies the user's parts byte for byte (see pysnop.workbook.ooxml.transplant); only
workbook.xml, its relationships, styles.xml, [Content_Types].xml, docProps and the Campaigns
sheet (supply-check columns) may change. Things a spreadsheet library cannot model — shapes,
slicers, form controls, threaded comments, Power Query, VBA — are therefore kept too.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hardening_helpers import openable, valid_sheets

import pysnop

MAY_CHANGE = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
              "[Content_Types].xml", "docProps/app.xml", "docProps/core.xml",
              "xl/calcChain.xml",
              "_rels/.rels", "docProps/custom.xml"}  # the decision-log stamp (custom property)


def _fill(ws, rows):
    for row in rows:
        ws.append(row)


def rich_book(path: Path) -> Path:
    """A planner's workbook carrying every kind of thing a user may have in it."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image
    from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation
    from PIL import Image as PILImage

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in valid_sheets().items():
        _fill(wb.create_sheet(name), rows)
    inv = wb["Inventory"]
    dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
    dv.add("C2:C100")
    inv.add_data_validation(dv)
    inv.conditional_formatting.add("C2:C100", CellIsRule(operator="lessThan", formula=["10"],
                                                        font=openpyxl.styles.Font(color="FF0000")))
    inv.conditional_formatting.add("D2:D100", ColorScaleRule(
        start_type="min", end_type="max", start_color="FFFFFF", end_color="FF0000"))
    inv["A2"].comment = Comment("check this SKU", "Planner")
    inv["H1"] = "link"
    inv["H1"].hyperlink = "https://example.com/plan"
    wb.defined_names["OnHand"] = DefinedName("OnHand", attr_text="Inventory!$C$2:$C$4")

    dash = wb.create_sheet("Dashboard")
    _fill(dash, [["sku", "units"], ["001", 10], ["002", 20]])
    chart = BarChart()
    chart.add_data(Reference(dash, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    dash.add_chart(chart, "D2")
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    buffer.seek(0)
    dash.add_image(Image(buffer), "D20")

    hidden = wb.create_sheet("Hidden calc")
    hidden["A1"] = "=SUM(Inventory!C2:C4)"
    hidden.sheet_state = "hidden"
    locked = wb.create_sheet("Locked")
    locked["A1"] = "do not touch"
    locked.protection.sheet = True
    locked.protection.password = "secret"
    wb.save(path)
    return path


def add_parts(path: Path, parts: dict[str, bytes], overrides: dict[str, str],
              sheet_rels: dict[str, list[tuple[str, str]]] | None = None,
              workbook_rels: list[tuple[str, str]] | None = None, dest: Path | None = None) -> Path:
    """Add raw parts to a package (with content types and relationships)."""
    dest = dest or path
    with zipfile.ZipFile(path) as zin:
        items = {i.filename: zin.read(i.filename) for i in zin.infolist()}
    ct = items["[Content_Types].xml"].decode()
    for part, ctype in overrides.items():
        ct = ct.replace("</Types>", f'<Override PartName="/{part}" ContentType="{ctype}"/></Types>')
    if "vbaProject" in "".join(parts):
        ct = re.sub(r'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml'
                    r'.sheet.main\+xml"',
                    'ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"', ct)
    items["[Content_Types].xml"] = ct.encode()
    for rels_part, rels in (sheet_rels or {}).items():
        xml = items.get(rels_part, b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                        b'relationships"></Relationships>').decode()
        for n, (rtype, target) in enumerate(rels):
            xml = xml.replace("</Relationships>", f'<Relationship Id="rIdX{n}" Type="{rtype}" '
                                                  f'Target="{target}"/></Relationships>')
        items[rels_part] = xml.encode()
    if workbook_rels:
        key = "xl/_rels/workbook.xml.rels"
        xml = items[key].decode()
        for n, (rtype, target) in enumerate(workbook_rels):
            xml = xml.replace("</Relationships>", f'<Relationship Id="rIdW{n}" Type="{rtype}" '
                                                  f'Target="{target}"/></Relationships>')
        items[key] = xml.encode()
    items.update(parts)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items.items():
            zout.writestr(name, data)
    return dest


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def sheet_part(path: Path, title: str) -> str:
    """The part name of the worksheet called ``title``."""
    with zipfile.ZipFile(path) as zf:
        wb = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(title)}"[^>]*r:id="([^"]+)"', wb).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
        re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")


def assert_user_parts_kept(before: dict[str, bytes], after_path: Path,
                           changed_sheets: set[str] = frozenset()) -> None:
    after = parts(after_path)
    lost = sorted(set(before) - set(after))
    assert not lost, f"parts lost: {lost}"
    changed = sorted(n for n in before if n not in MAY_CHANGE and n not in changed_sheets
                     and after[n] != before[n])
    assert not changed, f"user parts changed: {changed}"


def test_every_user_part_survives_an_in_place_recalc(tmp_path):
    book = rich_book(tmp_path / "plan.xlsx")
    before = parts(book)
    campaigns = sheet_part(book, "Campaigns")
    assert any(n.startswith("xl/charts/") for n in before)
    assert any(n.startswith("xl/media/") for n in before)
    assert any("comments" in n for n in before)
    pysnop.recalc(book)
    openable(book)
    assert_user_parts_kept(before, book, {campaigns})
    wb = openpyxl.load_workbook(book)
    assert wb["Hidden calc"].sheet_state == "hidden"
    assert wb["Locked"].protection.sheet
    assert "OnHand" in wb.defined_names
    assert wb["Inventory"]["H1"].hyperlink.target == "https://example.com/plan"
    assert wb["Inventory"]["A2"].comment.text == "check this SKU"
    assert len(wb["Inventory"].data_validations.dataValidation) == 1
    assert len(wb["Inventory"].conditional_formatting) == 2
    assert "Bridge" in wb.sheetnames
    # and again: a second run over pysnop's own output keeps everything as well
    before2 = parts(book)
    pysnop.recalc(book)
    after2 = parts(book)
    for name in set(before) - MAY_CHANGE - {campaigns}:
        assert after2[name] == before2[name] == before[name], name


VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"Attribute VB_Name = \"Module1\"" \
      + b"\nSub AutoOpen(): Shell \"calc.exe\": End Sub\n"


def test_macros_are_carried_as_bytes_and_never_run(tmp_path, monkeypatch):
    book = rich_book(tmp_path / "plan.xlsx")
    xlsm = add_parts(book, {"xl/vbaProject.bin": VBA},
                     {"xl/vbaProject.bin": "application/vnd.ms-office.vbaProject"},
                     workbook_rels=[("http://schemas.microsoft.com/office/2006/relationships/"
                                     "vbaProject", "vbaProject.bin")],
                     dest=tmp_path / "plan.xlsm")
    before = parts(xlsm)
    import subprocess

    def no_process(*a, **k):
        raise AssertionError("pysnop started a process")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    monkeypatch.setattr("os.system", no_process)
    pysnop.recalc(xlsm)
    after = parts(xlsm)
    assert after["xl/vbaProject.bin"] == VBA
    assert "macroEnabled" in after["[Content_Types].xml"].decode()
    assert_user_parts_kept(before, xlsm, {sheet_part(xlsm, "Campaigns")})
    with pytest.raises(pysnop.errors.PysnopError, match="must be .xlsm"):
        pysnop.recalc(xlsm, output=tmp_path / "out.xlsx")


SHAPE_DRAWING = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">
<xdr:twoCellAnchor><xdr:from><xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>
<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>4</xdr:col><xdr:colOff>0</xdr:colOff>
<xdr:row>6</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>
<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="Note box"/><xdr:cNvSpPr/>
</xdr:nvSpPr><xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr>
<xdr:txBody><a:bodyPr/><a:p><a:r><a:t>Planner's note: call the DC</a:t></a:r></a:p></xdr:txBody>
</xdr:sp><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"""

SLICER = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<slicers xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">
<slicer name="Status" cache="Slicer_Status" caption="Status" rowHeight="241300"/></slicers>"""

THREADED = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">
<threadedComment ref="A1" dT="2026-11-18T10:00:00.00" personId="{1}" id="{2}"><text>Is this right?
</text></threadedComment></ThreadedComments>"""


def test_shapes_slicers_and_threaded_comments_are_kept_in_place(tmp_path):
    """openpyxl would drop these; pysnop's part-level writer keeps them byte for byte, so an
    in-place write is safe and not refused."""
    book = build_plain(tmp_path)
    notes = sheet_part(book, "Notes")
    rels = notes.replace("worksheets/", "worksheets/_rels/") + ".rels"
    book = add_parts(
        book,
        {"xl/drawings/drawing9.xml": SHAPE_DRAWING, "xl/slicers/slicer1.xml": SLICER,
         "xl/threadedComments/threadedComment1.xml": THREADED,
         "xl/connections.xml": b'<?xml version="1.0"?><connections xmlns="http://schemas.'
                               b'openxmlformats.org/spreadsheetml/2006/main"/>'},
        {"xl/drawings/drawing9.xml": "application/vnd.openxmlformats-officedocument.drawing+xml",
         "xl/slicers/slicer1.xml": "application/vnd.ms-excel.slicer+xml",
         "xl/threadedComments/threadedComment1.xml":
             "application/vnd.ms-excel.threadedcomments+xml",
         "xl/connections.xml":
             "application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml"},
        sheet_rels={rels: [
            ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing",
             "../drawings/drawing9.xml"),
            ("http://schemas.microsoft.com/office/2007/relationships/slicer",
             "../slicers/slicer1.xml"),
            ("http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
             "../threadedComments/threadedComment1.xml")]},
        workbook_rels=[("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                        "connections", "connections.xml")])
    before = parts(book)
    pysnop.recalc(book)
    assert_user_parts_kept(before, book, {sheet_part(book, "Campaigns")})
    after = parts(book)
    assert b"Planner's note: call the DC" in after["xl/drawings/drawing9.xml"]
    assert after[rels] == before[rels]
    wb_rels = after["xl/_rels/workbook.xml.rels"].decode()
    assert "connections.xml" in wb_rels  # the workbook still points at its connections


def build_plain(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in valid_sheets().items():
        _fill(wb.create_sheet(name), rows)
    _fill(wb.create_sheet("Notes"), [["free text"]])
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    return path


def test_a_pivot_like_user_part_and_external_link_survive(tmp_path):
    """Pivot caches and external links are user parts like any other: copied unchanged."""
    book = build_plain(tmp_path)
    cache = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><pivotCacheDefinition '
             b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             b'refreshOnLoad="1" recordCount="0"><cacheSource type="worksheet"><worksheetSource '
             b'ref="A1:B3" sheet="Notes"/></cacheSource><cacheFields count="0"/>'
             b'</pivotCacheDefinition>')
    book = add_parts(book, {"xl/pivotCache/pivotCacheDefinition1.xml": cache},
                     {"xl/pivotCache/pivotCacheDefinition1.xml": "application/vnd.openxmlformats-"
                      "officedocument.spreadsheetml.pivotCacheDefinition+xml"},
                     workbook_rels=[("http://schemas.openxmlformats.org/officeDocument/2006/"
                                     "relationships/pivotCacheDefinition",
                                     "pivotCache/pivotCacheDefinition1.xml")])
    before = parts(book)
    pysnop.recalc(book)
    after = parts(book)
    assert after["xl/pivotCache/pivotCacheDefinition1.xml"] == cache
    assert_user_parts_kept(before, book, {sheet_part(book, "Campaigns")})
