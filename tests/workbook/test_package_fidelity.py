"""pysnop edits the user's package part by part: everything it does not own stays byte for byte.

These are the guarantees openpyxl alone could not give (it drops shapes, slicers, form
controls, threaded comments, Power Query parts and cached formula values on a round trip).
"""

import datetime as dt
import re
import zipfile

import openpyxl
from python_calamine import CalamineWorkbook

import pysnop
from pysnop.workbook.ooxml.package import parse_rels, resolve

D = dt.date
EDITED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
          # the decision-log stamp: a custom document property (its other properties are kept,
          # tests/audit/test_custom_props.py)
          "_rels/.rels", "docProps/custom.xml"}
SLICER_CT = "application/vnd.ms-excel.slicer+xml"


def plan_sheets():
    return {
        "Settings": [["key", "value"], ["as_of", D(2026, 11, 18)], ["horizon_weeks", 2]],
        "Inventory": [["sku", "location", "on_hand"], ["A1", "S1", 5]],
        "Forecast": [["sku", "location", "week", "units"], ["A1", "S1", D(2026, 11, 16), 4],
                     ["A1", "S1", D(2026, 11, 23), 4]],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift"],
                      ["C1", "A1", D(2026, 11, 16), D(2026, 11, 22), 0.5]],
        "Notes": [["total on hand", "=SUM(Inventory!C2:C2)"]],
    }


def add_parts_openpyxl_would_drop(path):
    """A slicer part and a custom-XML item, registered in the content types."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    ct = parts["[Content_Types].xml"].decode()
    ct = ct.replace("</Types>", f'<Override PartName="/xl/slicers/slicer1.xml" '
                                f'ContentType="{SLICER_CT}"/></Types>')
    parts["[Content_Types].xml"] = ct.encode()
    parts["xl/slicers/slicer1.xml"] = b'<?xml version="1.0"?><slicers xmlns="x">a slicer</slicers>'
    parts["customXml/item1.xml"] = b"<pq>power query mashup</pq>"
    # a cached formula value, as Excel leaves it: openpyxl would drop the <v>
    notes = next(n for n in parts if n.startswith("xl/worksheets/") and b"SUM(" in parts[n])
    parts[notes] = parts[notes].replace(b"</f>", b"</f><v>5</v>", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return notes


def parts_of(path):
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def sheet_part(path, name):
    from pysnop.workbook.ooxml.package import Package
    from pysnop.workbook.ooxml.transplant import workbook_sheets

    with open(path, "rb") as handle:
        sheets = workbook_sheets(Package(handle.read()))
    return next(s["part"] for s in sheets if s["name"] == name)


def test_every_part_pysnop_does_not_own_is_byte_identical(make_book):
    book = make_book(plan_sheets(), name="plan.xlsx")
    notes = add_parts_openpyxl_would_drop(book)
    before = parts_of(book)
    campaigns = sheet_part(book, "Campaigns")
    pysnop.recalc(book)
    after = parts_of(book)
    for name, data in before.items():
        if name in EDITED or name == campaigns:
            continue
        assert after.get(name) == data, name
    assert b"<v>5</v>" in after[notes]  # the cached value Excel shows on open
    assert SLICER_CT in after["[Content_Types].xml"].decode()
    assert {"Bridge", "Bridge Chart", "Issues"} <= set(CalamineWorkbook.from_path(str(book))
                                                       .sheet_names)


def test_the_package_is_consistent(make_book):
    """Every relationship resolves, every part has a content type, ids are unique."""
    book = make_book(plan_sheets())
    pysnop.recalc(book)
    pysnop.recalc(book)  # replacing pysnop's own sheets must leave no orphans either
    parts = parts_of(book)
    ct = parts["[Content_Types].xml"].decode()
    defaults = set(re.findall(r'Extension="([^"]+)"', ct))
    overrides = {p.lstrip("/") for p in re.findall(r'PartName="([^"]+)"', ct)}
    for name in parts:
        if name == "[Content_Types].xml" or name.endswith("/"):
            continue
        assert name in overrides or name.rsplit(".", 1)[-1] in defaults, name
    assert all(o in parts for o in overrides), overrides - set(parts)
    referenced = set()
    for name in [n for n in parts if n.endswith(".rels")]:
        source = name.replace("_rels/", "").removesuffix(".rels")
        for rel in parse_rels(parts[name].decode()):
            if rel.get("TargetMode") != "External":
                target = resolve(source, rel["Target"])
                assert target in parts, (name, target)
                referenced.add(target)
    orphans = {n for n in parts if n.startswith(("xl/drawings/drawing", "xl/charts/",
                                                  "xl/worksheets/sheet"))} - referenced
    assert orphans == set()
    wb = parts["xl/workbook.xml"].decode()
    ids = re.findall(r'sheetId="(\d+)"', wb)
    assert len(ids) == len(set(ids))
    rids = re.findall(r'Id="([^"]+)"', parts["xl/_rels/workbook.xml.rels"].decode())
    assert len(rids) == len(set(rids))


def test_rerunning_does_not_grow_the_style_tables(make_book):
    book = make_book(plan_sheets())
    sizes = []
    for _ in range(3):
        pysnop.recalc(book)
        styles = parts_of(book)["xl/styles.xml"].decode()
        sizes.append(tuple(len(re.findall(rf"<{tag}[\s/>]", styles))
                           for tag in ("font", "fill", "border", "xf")))
    assert sizes[0] == sizes[1] == sizes[2]


def test_pysnop_sheets_keep_their_place_and_the_users_formats(make_book):
    book = make_book(plan_sheets())
    pysnop.recalc(book)
    wb = openpyxl.load_workbook(book)
    wb.move_sheet("Bridge", offset=-3)  # the planner moves Bridge to the front
    wb["Inventory"]["A1"].font = openpyxl.styles.Font(bold=True, color="FF0000")
    wb.save(book)
    order = openpyxl.load_workbook(book).sheetnames
    pysnop.recalc(book)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == order
    assert wb["Inventory"]["A1"].font.bold and wb["Inventory"]["A1"].font.color.rgb == "00FF0000"
    assert wb["Bridge"]["C5"].fill.fgColor.rgb.endswith("FFC7CE")  # STOCKOUT red
    assert sum(bool(ws.sheet_view.tabSelected) for ws in wb.worksheets) <= 1


def test_spilled_pysnop_formulas_are_laid_out_without_touching_other_parts(make_book):
    sheets = plan_sheets()
    sheets["Receipts"] = [["sku", "location", "due", "qty"]]
    sheets["View"] = [["=STOCKOUT_RISK(Campaigns!A1:E2,Inventory!A1:C2,Receipts!A1:D1,"
                       "Forecast!A1:D3,Settings!B2,Settings!B3)"], [], [], ["=A2&\"@\"&B2"]]
    book = make_book(sheets)
    add_parts_openpyxl_would_drop(book)
    before = parts_of(book)
    pysnop.recalc(book)
    after = parts_of(book)
    for name in ("xl/slicers/slicer1.xml", "customXml/item1.xml"):
        assert after[name] == before[name]
    view = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("View").to_python()
    # on hand 5, 4 + 2 (campaign +50%) in week 0, 4 in week 1: poh -1, -5 -> STOCKOUT
    assert view[0][:3] == ["sku", "location", "status"]
    assert view[1][:3] == ["A1", "S1", "STOCKOUT"]
    assert view[3][0] == "A1@S1"  # a native formula reading the spilled cells
    xml = after[sheet_part(book, "View")].decode()
    assert re.search(r'<f t="array" ref="A1:I2">STOCKOUT_RISK\(', xml)
