"""Red team, part 2: what a run may take, what it must leave, what it says.

Sheets that are not pysnop's, content around Campaigns, formulas pysnop does not own,
files on disk, links and modes, dates at the edges, messages, and how pysnop's own sheets
look (the chart and sheet XML pysnop writes).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from lxml import etree
from ooxml_corpus import CT_NS, MAIN_NS, calamine_values, parts_of
from ooxml_edit import add_relationship, dump, parse, sheet_part, workbook_part, write_parts
from red_team_books import (
    FIRST_RISK,
    WEEKS,
    D,
    assert_sound,
    bridge_header,
    bridge_rows,
    plan_sheets,
    statuses,
)

import pysnop
from pysnop.errors import PysnopError, ValidationError

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CHART_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"


# ------------------------------------------------------------- sheets that are not pysnop's

@pytest.mark.parametrize("name", ["Bridge", "bridge chart", "ISSUES", "actions", "Consensus",
                                  "Scorecard"])
def test_a_users_own_sheet_named_like_pysnops_is_never_taken(make_book, tmp_path, name):
    mine = [["my own", "tracker"], ["row", 1]]
    book = make_book(plan_sheets(**{name: mine}), name="plan.xlsx")
    before = book.read_bytes()
    # pysnop refuses, naming the sheet and what to do; nothing is written
    with pytest.raises(PysnopError, match=f'(?i)"{name}".*not .*pysnop'):
        pysnop.recalc(book)
    assert book.read_bytes() == before
    assert calamine_values(before)[name] == [["my own", "tracker"], ["row", 1.0]]


def test_pysnops_own_sheets_are_claimed_again_on_a_rerun(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx")
    pysnop.recalc(book)
    first = calamine_values(book.read_bytes())
    pysnop.recalc(book)  # its own sheets carry its marker: replaced, not refused
    second = calamine_values(book.read_bytes())
    assert [s for s in second if s.startswith("Bridge")] == ["Bridge", "Bridge Chart"]
    assert second["Bridge"] == first["Bridge"]


# ------------------------------------------------------------------ around Campaigns

def test_supply_columns_go_right_of_a_note_and_leave_a_table_below(make_book, tmp_path):
    campaigns = plan_sheets()["Campaigns"]
    campaigns[0] = campaigns[0] + [None, "note: ask Bob about C1"]  # G1, right of the header
    campaigns += [[], [], [None] * 7 + ["budget", "owner"],          # H5:I6, lower down
                  [None] * 7 + [1000, "ann"]]
    book = make_book(plan_sheets(Campaigns=campaigns), name="plan.xlsx")
    before = calamine_values(book.read_bytes())["Campaigns"]
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    pysnop.recalc(out)
    after = calamine_values(out.read_bytes())["Campaigns"]
    for i, row in enumerate(before):
        for j, value in enumerate(row):
            assert after[i][j] == value, (i + 1, j + 1)
    supply = [j for j, v in enumerate(after[0]) if str(v).startswith("Supply:")]
    assert supply and min(supply) >= 9  # right of I, the last used column
    # C1 runs in week 1 only, where A1's POH is 5 against a threshold of 0.25 x 5 lift
    # units = 1.25: the campaign's own window is OK (A1 runs out later, in week 2)
    assert after[1][supply[0]] == "OK"
    header = after[0]
    assert header[supply[0]:supply[0] + 2] == ["Supply: status", "Supply: coverage"]


# ------------------------------------------------------------ formulas pysnop does not own

EXTERNAL_LINK_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
METADATA_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
METADATA = (
    '<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" '
    'copy="1" pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" '
    'clearFormats="1" clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="1"><bk><extLst>'
    '<ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk>'
    '</futureMetadata><cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata>'
    '</metadata>')


def excel_saved_formulas(book: Path, link_target: str) -> None:
    """Give the Notes sheet what Excel saves: an external-link formula with its cached
    1234.5 (and the externalLink part caching it), and a SEQUENCE spilling 1, 2, 3 with
    its dynamic-array metadata."""
    parts = parts_of(book.read_bytes())
    wb_part = workbook_part(book)
    link = (f'<externalLink xmlns="{MAIN_NS}" xmlns:r="{REL}"><externalBook r:id="rId1">'
            '<sheetNames><sheetName val="Sheet1"/></sheetNames><sheetDataSet>'
            '<sheetData sheetId="0"><row r="1"><cell r="A1"><v>1234.5</v></cell></row>'
            '</sheetData></sheetDataSet></externalBook></externalLink>')
    parts["xl/externalLinks/externalLink1.xml"] = link.encode()
    add_relationship(parts, "xl/externalLinks/externalLink1.xml", "rId1",
                     REL + "/externalLinkPath", link_target, external=True)
    add_relationship(parts, wb_part, "rIdLink", REL + "/externalLink",
                     "externalLinks/externalLink1.xml")
    add_relationship(parts, wb_part, "rIdMeta", REL + "/sheetMetadata", "metadata.xml")
    parts["xl/metadata.xml"] = METADATA.encode()
    ct = parse(parts["[Content_Types].xml"])
    for part, ctype in (("xl/externalLinks/externalLink1.xml", EXTERNAL_LINK_CT),
                        ("xl/metadata.xml", METADATA_CT)):
        etree.SubElement(ct, f"{{{CT_NS}}}Override", {"PartName": "/" + part,
                                                       "ContentType": ctype})
    parts["[Content_Types].xml"] = dump(ct)
    wb = parse(parts[wb_part])
    refs = etree.Element(f"{{{MAIN_NS}}}externalReferences")
    etree.SubElement(refs, f"{{{MAIN_NS}}}externalReference", {f"{{{REL}}}id": "rIdLink"})
    wb.find(f"{{{MAIN_NS}}}sheets").addnext(refs)
    etree.cleanup_namespaces(wb, top_nsmap={"r": REL})  # r: declared once, as Excel does
    parts[wb_part] = dump(wb)
    notes = sheet_part(book, "Notes")
    root = parse(parts[notes])
    data = root.find(f"{{{MAIN_NS}}}sheetData")
    for child in list(data):
        data.remove(child)
    cells = {1: '<c r="A1"><f>[1]Sheet1!$A$1</f><v>1234.5</v></c>'
                '<c r="B1" cm="1"><f t="array" ref="B1:B3">_xlfn.SEQUENCE(3)</f><v>1</v></c>'
                '<c r="C1"><f>WEEKS_OF_SUPPLY(Inventory!C2,Forecast!D2:D5)</f></c>',
             2: '<c r="B2"><v>2</v></c>', 3: '<c r="B3"><v>3</v></c>'}
    for r, xml in cells.items():
        data.append(etree.fromstring(f'<row xmlns="{MAIN_NS}" r="{r}">{xml}</row>'))
    parts[notes] = dump(root)
    write_parts(book, parts)


def test_saved_values_of_the_users_formulas_are_never_rewritten(make_book, tmp_path):
    book = make_book(plan_sheets(Notes=[["x"]]), name="plan.xlsx")
    excel_saved_formulas(book, "other.xlsx")  # other.xlsx does not exist
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    pysnop.recalc(out)
    notes = calamine_values(out.read_bytes())["Notes"]
    assert notes[0][0] == 1234.5            # not #REF!
    assert [r[1] for r in notes[:3]] == [1.0, 2.0, 3.0]  # not #NAME?
    assert notes[0][2] == 3.0               # WEEKS_OF_SUPPLY: 30 on hand / 10 a week
    assert_sound(out)


def test_a_workbook_on_disk_named_by_a_formula_is_never_opened(make_book, tmp_path):
    import openpyxl

    secret = openpyxl.Workbook()
    secret.active["A1"] = 987654321
    secret.active.title = "Sheet1"
    secret.save(tmp_path / "other.xlsx")
    book = make_book(plan_sheets(Notes=[["x"]]), name="plan.xlsx")
    excel_saved_formulas(book, "other.xlsx")
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    notes = calamine_values(out.read_bytes())["Notes"]
    assert notes[0][0] == 1234.5
    assert all(b"987654321" not in data for data in parts_of(out.read_bytes()).values())


# ------------------------------------------------------------------ files, links, modes

def test_recalc_through_a_symlink_writes_the_target_and_keeps_the_link(make_book, tmp_path):
    real = make_book(plan_sheets(), name="real.xlsx")
    os.chmod(real, 0o640)
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    pysnop.recalc(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "Bridge" in calamine_values(real.read_bytes())
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640


def test_output_file_gets_the_mode_of_the_source(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx")
    os.chmod(book, 0o644)
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644


# ----------------------------------------------------------------------------- dates

def mac_1904(path: Path) -> None:
    """Switch a workbook to the 1904 date system, moving every date serial by 1462 days
    so each cell keeps the date it shows (what Excel does to a Mac workbook)."""
    import openpyxl
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = openpyxl.load_workbook(path)
    wb.epoch = CALENDAR_MAC_1904  # openpyxl writes dates in the book's own system
    wb.save(path)


def test_a_1904_workbook_gets_its_dates_in_its_own_system(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx")
    mac_1904(book)
    assert b'date1904="1"' in parts_of(book.read_bytes())["xl/workbook.xml"]
    out = tmp_path / "out.xlsx"
    report = pysnop.recalc(book, output=out)
    assert statuses(report) == {"A1": "STOCKOUT", "B2": "OK"}
    header = bridge_header(out)
    weeks = [v for v in header if isinstance(v, (dt.date, dt.datetime))]
    assert [v if type(v) is dt.date else v.date() for v in weeks] == WEEKS
    row = bridge_rows(out)[0]
    risk = row[header.index("first_risk_week")]
    assert (risk.date() if isinstance(risk, dt.datetime) else risk) == FIRST_RISK


def test_the_libreoffice_1904_book_reads_and_writes_its_dates(tmp_path):
    src = tmp_path / "lo_plan_1904.xlsx"  # a copy: the decision log is kept beside the book
    src.write_bytes((Path(__file__).resolve().parents[1] / "corpus" / "libreoffice"
                     / "lo_plan_1904.xlsx").read_bytes())
    out = tmp_path / "out.xlsx"
    pysnop.recalc(src, output=out)
    header = bridge_header(out)
    weeks = [v for v in header if isinstance(v, (dt.date, dt.datetime))]
    assert weeks[0] in (D(2026, 11, 16), dt.datetime(2026, 11, 16))


def test_placeholder_dates_far_in_the_future_are_beyond_the_horizon(make_book, tmp_path):
    receipts = [["sku", "location", "due", "qty"], ["A1", "S1", D(9999, 12, 31), 1000]]
    campaigns = plan_sheets()["Campaigns"] + [["C9", "B2", D(2026, 11, 16), D(9999, 12, 31),
                                               0.2]]
    book = make_book(plan_sheets(Receipts=receipts, Campaigns=campaigns), name="plan.xlsx")
    report = pysnop.recalc(book, output=tmp_path / "out.xlsx")
    # the receipt is not in week 0 (nor wrapped into 1816): A1 still runs out as worked out
    assert statuses(report) == {"A1": "STOCKOUT", "B2": "OK"}
    a1 = report.result.summary.set_index("sku").loc["A1"]
    assert a1["min_projected"] == pytest.approx(-15.0)
    # C9 lifts B2 by 20% every week of the horizon: demand 6 a week, POH 94, 88, 82, 76
    b2 = report.result.summary.set_index("sku").loc["B2"]
    assert b2["min_projected"] == pytest.approx(76.0)


def test_as_of_far_in_the_future_is_a_located_error(make_book, tmp_path):
    settings = [["key", "value"], ["as_of", D(9999, 12, 20)], ["horizon_weeks", 4]]
    book = make_book(plan_sheets(Settings=settings), name="plan.xlsx")
    with pytest.raises(ValidationError) as caught:
        pysnop.recalc(book)
    problem = caught.value.problems[0]
    assert problem.sheet == "Settings" and problem.row == 2
    assert "9999" in str(caught.value)


# ----------------------------------------------------------------------------- messages

def test_a_formula_without_a_saved_value_says_so(make_book, tmp_path):
    sheets = plan_sheets()
    sheets["Inventory"][1][2] = "=10*3"  # openpyxl saves no value for it
    book = make_book(sheets, name="plan.xlsx")
    with pytest.raises(ValidationError) as caught:
        pysnop.recalc(book)
    assert "Inventory!C2 holds a formula with no saved value" in str(caught.value)
    assert "got blank" not in str(caught.value)


def test_campaigns_without_inventory_is_an_error_listing_the_sheets(make_book, tmp_path):
    sheets = plan_sheets()
    del sheets["Inventory"]
    book = make_book(sheets, name="plan.xlsx")
    before = book.read_bytes()
    with pytest.raises(PysnopError) as caught:
        pysnop.recalc(book)
    text = str(caught.value)
    assert "Inventory" in text and '"Campaigns"' in text and '"Forecast"' in text
    assert book.read_bytes() == before


def test_receipts_without_inventory_is_an_error(make_book, tmp_path):
    sheets = plan_sheets(Receipts=[["sku", "location", "due", "qty"], ["A1", "S1", WEEKS[1], 5]])
    del sheets["Inventory"]
    del sheets["Campaigns"]
    book = make_book(sheets, name="plan.xlsx")
    with pytest.raises(PysnopError, match="Inventory"):
        pysnop.recalc(book)


def test_the_formulas_engine_prints_nothing_on_the_terminal(make_book, tmp_path, capfd):
    planner = [["=WEEKS_OF_SUPPLY(Inventory!C2,Forecast!D2:D5)"], ["=SUM(Inventory!C2:C3)"]]
    book = make_book(plan_sheets(Planner=planner), name="plan.xlsx")
    capfd.readouterr()
    pysnop.recalc(book, output=tmp_path / "out.xlsx")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert calamine_values((tmp_path / "out.xlsx").read_bytes())["Planner"][0][0] == 3.0


def test_long_cell_values_are_cut_in_messages(make_book, tmp_path):
    sheets = plan_sheets()
    sheets["Inventory"][1][2] = "x" * 5000
    book = make_book(sheets, name="plan.xlsx")
    with pytest.raises(ValidationError) as caught:
        pysnop.recalc(book)
    problem = caught.value.problems[0]
    assert len(str(problem)) < 200 and "x" * 100 not in str(caught.value)


# ------------------------------------------------------------------------------ look

def chart_parts(path: Path) -> list[etree._Element]:
    """Every chart part of the package (found by its root element, whatever its name)."""
    out = []
    for name, data in parts_of(path.read_bytes()).items():
        if name.startswith("xl/charts/") and name.endswith(".xml"):
            root = parse(data)
            if root.tag == f"{{{CHART_NS}}}chartSpace":
                out.append(root)
    return out


def test_bridge_chart_date_labels_sit_at_the_bottom(make_book, tmp_path):
    out = tmp_path / "out.xlsx"
    pysnop.recalc(make_book(plan_sheets(), name="plan.xlsx"), output=out)
    charts = chart_parts(out)
    assert charts
    for chart in charts:
        for axis in chart.iter(f"{{{CHART_NS}}}catAx", f"{{{CHART_NS}}}dateAx"):
            assert axis.find(f"{{{CHART_NS}}}tickLblPos").get("val") == "low"


def sheet_xml(path: Path, sheet: str) -> etree._Element:
    return parse(parts_of(path.read_bytes())[sheet_part(path, sheet)])


def widths(root: etree._Element) -> dict[int, float]:
    out = {}
    for col in root.iter(f"{{{MAIN_NS}}}col"):
        for c in range(int(col.get("min")), int(col.get("max")) + 1):
            out[c] = float(col.get("width", "8.43"))
    return out


def header_fits(root: etree._Element, values: list, row: int = 1) -> list[str]:
    """Header texts of ``row`` that neither fit their column (1 width unit ~ 1 character)
    nor wrap onto a row tall enough for them."""
    from openpyxl.utils import get_column_letter

    w = widths(root)
    heights = {int(r.get("r")): float(r.get("ht", "15")) for r in root.iter(f"{{{MAIN_NS}}}row")}
    wrapped = _wrapped_styles(root)
    bad = []
    for j, text in enumerate(values, 1):
        if not isinstance(text, str) or not text:
            continue
        width = w.get(j, 8.43)
        cell = root.find(f".//{{{MAIN_NS}}}c[@r='{get_column_letter(j)}{row}']")
        wraps = cell is not None and cell.get("s") in wrapped
        lines = -(-len(text) // max(int(width), 1)) if wraps else 1
        if (not wraps and len(text) > width) or (wraps and heights.get(row, 15) < 14 * lines):
            bad.append(text)
    return bad


_STYLES: dict = {}


def _wrapped_styles(root) -> set[str]:
    return _STYLES.get("wrapped", set())


def wrapped_styles(path: Path) -> set[str]:
    styles = parse(parts_of(path.read_bytes())["xl/styles.xml"])
    xfs = styles.find(f"{{{MAIN_NS}}}cellXfs")
    return {str(i) for i, xf in enumerate(xfs)
            if (a := xf.find(f"{{{MAIN_NS}}}alignment")) is not None
            and a.get("wrapText") in ("1", "true")}


def test_bridge_chart_data_headers_are_readable(make_book, tmp_path):
    sheets = plan_sheets()
    sheets["Inventory"][1][0] = "SKU-000184-BLUE-XL"  # a long real-world code
    for row in sheets["Forecast"][1:5]:
        row[0] = "SKU-000184-BLUE-XL"
    sheets["Campaigns"][1][1] = "SKU-000184-BLUE-XL"
    out = tmp_path / "out.xlsx"
    pysnop.recalc(make_book(sheets, name="plan.xlsx"), output=out)
    _STYLES["wrapped"] = wrapped_styles(out)
    header = calamine_values(out.read_bytes())["Bridge Chart"][0]
    assert header_fits(sheet_xml(out, "Bridge Chart"), header) == []


def scorecard_book(make_book):
    actuals = [["sku", "location", "week", "units"],
               ["A1", "S1", D(2026, 11, 2), 9], ["A1", "S1", D(2026, 11, 9), 11],
               ["B2", "S1", D(2026, 11, 2), 5], ["B2", "S1", D(2026, 11, 9), 4]]
    forecast = plan_sheets()["Forecast"] + [["A1", "S1", D(2026, 11, 2), 10],
                                            ["A1", "S1", D(2026, 11, 9), 10],
                                            ["B2", "S1", D(2026, 11, 2), 5],
                                            ["B2", "S1", D(2026, 11, 9), 5]]
    return make_book(plan_sheets(Actuals=actuals, Forecast=forecast), name="plan.xlsx")


def test_scorecard_headers_are_not_clipped(make_book, tmp_path):
    out = tmp_path / "out.xlsx"
    pysnop.recalc(scorecard_book(make_book), output=out)
    _STYLES["wrapped"] = wrapped_styles(out)
    rows = calamine_values(out.read_bytes())["Scorecard"]
    root = sheet_xml(out, "Scorecard")
    bad = []
    for i, row in enumerate(rows, 1):
        texts = [v for v in row if isinstance(v, str)]
        if len(texts) >= 4 and len(texts) == len([v for v in row if v not in ("", None)]):
            bad += header_fits(root, row, i)  # a header row: every cell text
    assert bad == []


def test_an_empty_promo_chart_says_no_promoted_weeks_yet(make_book, tmp_path):
    out = tmp_path / "out.xlsx"
    pysnop.recalc(scorecard_book(make_book), output=out)  # no campaign in the past weeks
    texts = [t for chart in chart_parts(out)
             for t in chart.itertext()]
    assert any("no promoted weeks yet" in t for t in texts)


def test_wrapped_reason_text_gets_row_heights(make_book, tmp_path):
    out = tmp_path / "out.xlsx"
    pysnop.recalc(make_book(plan_sheets(), name="plan.xlsx"), output=out)
    rows = calamine_values(out.read_bytes())["Actions"]
    header_at = next(i for i, r in enumerate(rows) if "reason" in r)
    col = rows[header_at].index("reason")
    root = sheet_xml(out, "Actions")
    heights = {int(r.get("r")): r for r in root.iter(f"{{{MAIN_NS}}}row")}
    checked = 0
    for i, row in enumerate(rows[header_at + 1:], header_at + 2):
        if isinstance(row[col], str) and len(row[col]) > 60:
            el = heights[i]
            assert el.get("customHeight") in ("1", "true") and float(el.get("ht")) > 15
            checked += 1
    assert checked
