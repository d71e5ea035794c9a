"""Red team, part 1: packages that are not written the way openpyxl writes them.

Each test makes one producer's habit with lxml (``ooxml_edit``), runs pysnop, and checks the
user's content and the package's soundness (``ooxml_validator``).
"""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree
from ooxml_corpus import MAIN_NS, calamine_values, parts_of, sheet_parts
from ooxml_edit import (
    dump,
    edit_part,
    edit_sheet,
    inline_to_shared,
    parse,
    prefixed,
    reversed_attributes,
    sheet_part,
    without_r,
    workbook_part,
    write_parts,
)
from ooxml_validator import validate
from red_team_books import FIRST_RISK, assert_sound, plan_sheets, statuses

import pysnop
from pysnop.errors import PysnopError


def test_content_types_with_contenttype_before_extension(make_book, tmp_path):
    # Some producers write <Default ContentType=".." Extension=".."/>: same XML, any order
    book = make_book(plan_sheets(), name="plan.xlsx")
    edit_part(book, "[Content_Types].xml", reversed_attributes)
    before = book.read_bytes()
    out = tmp_path / "out.xlsx"
    report = pysnop.recalc(book, output=out)
    assert statuses(report) == {"A1": "STOCKOUT", "B2": "OK"}
    assert_sound(out, before)
    types = parse(parts_of(out.read_bytes())["[Content_Types].xml"])
    defaults = {d.get("Extension") for d in types if d.tag.endswith("Default")}
    assert {"xml", "rels"} <= defaults


def test_rels_and_workbook_with_attributes_in_any_order(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx")
    edit_part(book, "xl/_rels/workbook.xml.rels", reversed_attributes)
    edit_part(book, workbook_part(book), reversed_attributes)
    before = book.read_bytes()
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    pysnop.recalc(out)
    assert_sound(out, before)


def test_campaigns_cells_without_r_keep_every_marketing_cell(make_book, tmp_path):
    notes = ["owner", "ann"]
    sheets = plan_sheets()
    sheets["Campaigns"] = [sheets["Campaigns"][0] + notes[:1], sheets["Campaigns"][1] + notes[1:]]
    book = make_book(sheets, name="plan.xlsx")
    edit_sheet(book, "Campaigns", without_r(rows=False, cells=True))
    before = calamine_values(book.read_bytes())["Campaigns"]
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    after = calamine_values(out.read_bytes())["Campaigns"]
    for i, row in enumerate(before):
        assert after[i][:len(row)] == row
    assert after[0][len(before[0])].startswith("Supply:")  # right of marketing's columns
    assert_sound(out)


def test_rows_and_cells_without_r_everywhere(make_book, tmp_path):
    book = make_book(plan_sheets(Notes=[["note"], ["keep me"]]), name="plan.xlsx")
    for sheet in ("Campaigns", "Inventory", "Forecast", "Notes"):
        edit_sheet(book, sheet, without_r(rows=True, cells=True))
    before = calamine_values(book.read_bytes())
    out = tmp_path / "out.xlsx"
    report = pysnop.recalc(book, output=out)
    assert statuses(report) == {"A1": "STOCKOUT", "B2": "OK"}
    after = calamine_values(out.read_bytes())
    assert after["Notes"] == before["Notes"]
    assert after["Campaigns"][1][:5] == before["Campaigns"][1][:5]
    assert_sound(out)


def test_namespace_prefixes_on_every_part(make_book, tmp_path):
    # the .NET Open XML SDK writes <x:workbook xmlns:x="...main">, <x:c>, <x:row>
    book = make_book(plan_sheets(), name="plan.xlsx")
    edit_part(book, workbook_part(book), prefixed("x"))
    edit_part(book, "xl/styles.xml", prefixed("x"))
    for sheet in ("Campaigns", "Inventory", "Forecast"):
        edit_sheet(book, sheet, prefixed("x"))
    before = calamine_values(book.read_bytes())
    out = tmp_path / "out.xlsx"
    report = pysnop.recalc(book, output=out)
    assert statuses(report) == {"A1": "STOCKOUT", "B2": "OK"}
    pysnop.recalc(out)
    after = calamine_values(out.read_bytes())
    assert after["Campaigns"][1][:5] == before["Campaigns"][1][:5]
    assert after["Campaigns"][0][5].startswith("Supply:")
    assert_sound(out)


def test_relationship_prefix_declared_on_the_sheet_element(tmp_path):
    # openpyxl declares xmlns:r on each <sheet>, not on <workbook>: a new <sheet r:id> must
    # declare it too (the Mac 1904 book of the corpus is written that way)
    from pathlib import Path
    src = tmp_path / "mac1904.xlsx"  # a copy: the decision log is kept beside the book
    src.write_bytes((Path(__file__).resolve().parents[1] / "corpus" / "mac" / "mac1904.xlsx")
                    .read_bytes())
    out = tmp_path / "out.xlsx"
    pysnop.recalc(src, output=out)
    assert_sound(out, src.read_bytes())


def test_inline_and_shared_strings_mixed_in_a_campaigns_table(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx", tables={"Campaigns": "tblCampaigns"})
    inline_to_shared(book, "Campaigns", {"1"})  # header shared (as Excel), data inline
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    pysnop.recalc(out)
    header = calamine_values(out.read_bytes())["Campaigns"][0]
    assert header[:5] == ["campaign_id", "sku", "start", "end", "lift"]
    supply = [h for h in header if str(h).startswith("Supply:")]
    assert supply and len(supply) == len(set(supply))  # found again on the re-run
    parts = parts_of(out.read_bytes())
    table = next(parse(v) for k, v in parts.items() if k.startswith("xl/tables/"))
    names = [c.get("name") for c in table.iter(f"{{{MAIN_NS}}}tableColumn")]
    assert names[:5] == header[:5] and names[5:] == supply
    assert_sound(out)


def test_dynamic_array_keeps_cm_and_metadata_on_every_rerun(make_book, tmp_path):
    formula = ("=STOCKOUT_RISK(Campaigns!A1:E2,Inventory!A1:C3,Receipts!A1:D2,"
               "Forecast!A1:D9,DATE(2026,11,18),4)")
    receipts = [["sku", "location", "due", "qty"], ["B2", "S1", FIRST_RISK, 0]]
    book = make_book(plan_sheets(Receipts=receipts, Planner=[[formula]]), name="plan.xlsx")
    pysnop.recalc(book)
    for run in range(2):
        pysnop.recalc(book)
        part = sheet_part(book, "Planner")
        root = parse(parts_of(book.read_bytes())[part])
        anchor = next(c for c in root.iter(f"{{{MAIN_NS}}}c") if c.get("r") == "A1")
        f = anchor.find(f"{{{MAIN_NS}}}f")
        assert anchor.get("cm") is not None, f"run {run + 2}: cm lost"
        assert f.get("t") == "array" and f.get("ref") == "A1:I3"  # header + 2 sku-locations
        assert validate(book.read_bytes()) == []
    values = calamine_values(book.read_bytes())["Planner"]
    assert [r[:3] for r in values[1:3]] == [["A1", "S1", "STOCKOUT"], ["B2", "S1", "OK"]]


def test_autofilters_have_their_filter_database_names(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx")
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    pysnop.recalc(out)
    problems = validate(out.read_bytes())
    assert [p for p in problems if "_FilterDatabase" in p] == []
    wb = parse(parts_of(out.read_bytes())["xl/workbook.xml"])
    names = [d for d in wb.iter(f"{{{MAIN_NS}}}definedName")
             if d.get("name") == "_xlnm._FilterDatabase"]
    assert len(names) == len({d.get("localSheetId") for d in names})  # one per sheet, no copies
    assert all(d.get("hidden") in ("1", "true") for d in names)


def test_seventeen_approvers_fit_the_validation_list(make_book, tmp_path):
    people = [f"Approver Number {i:02d} of Supply" for i in range(17)]
    approvers = [["name", "function"]] + [[p, "Supply"] for p in people]
    book = make_book(plan_sheets(Approvers=approvers), name="plan.xlsx")
    out = tmp_path / "out.xlsx"
    pysnop.recalc(book, output=out)
    assert [p for p in validate(out.read_bytes()) if "validation" in p] == []
    # the approver dropdown still offers every one of them
    root = parse(parts_of(out.read_bytes())[sheet_part(out, "Actions")])
    formulas = [dv.findtext(f"{{{MAIN_NS}}}formula1") or ""
                for dv in root.iter(f"{{{MAIN_NS}}}dataValidation")]
    listed = [f for f in formulas if "Approver Number 16" in f or "!" in f]
    assert listed, formulas
    if "!" in listed[0]:  # a range of names: it holds all 17
        from openpyxl.utils import range_boundaries

        c1, r1, c2, r2 = range_boundaries(listed[0].split("!")[-1].replace("$", ""))
        rows = calamine_values(out.read_bytes())["Actions"]
        assert sorted(rows[r - 1][c1 - 1] for r in range(r1, r2 + 1)) == people


def test_built_addin_vba_storages_start_at_sector_zero(tmp_path):
    from click.testing import CliRunner

    from pysnop.cli.main import cli

    out = tmp_path / "pysnop.xlam"
    result = CliRunner().invoke(cli, ["addin", "build", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [p for p in validate(out.read_bytes()) if "sector" in p or "compound" in p] == []


def strict_copy(data: bytes) -> bytes:
    """The package in Strict Open XML: every transitional namespace and relationship type
    replaced by its purl.oclc.org counterpart (ISO/IEC 29500-1 Strict)."""
    swaps = [("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
              "http://purl.oclc.org/ooxml/spreadsheetml/main"),
             ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
              "http://purl.oclc.org/ooxml/officeDocument/relationships")]
    parts = parts_of(data)
    out = {}
    for name, payload in parts.items():
        if name.endswith((".xml", ".rels")) and name != "[Content_Types].xml":
            text = payload.decode("utf-8")
            for old, new in swaps:
                text = text.replace(old, new)  # namespace URIs are plain attribute values
            payload = text.encode("utf-8")
        out[name] = payload
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in out.items():
            zf.writestr(name, payload)
    return buffer.getvalue()


def test_strict_open_xml_is_refused_and_left_untouched(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx")
    book.write_bytes(strict_copy(book.read_bytes()))
    before = book.read_bytes()
    with pytest.raises(PysnopError, match="(?i)strict"):
        pysnop.recalc(book)
    assert book.read_bytes() == before
    assert not (tmp_path / "plan.xlsx.bak").exists()


@pytest.mark.parametrize("bad", ["../evil.xml", "/etc/evil.xml", "xl\\worksheets\\evil.xml",
                                 "xl/../../evil.xml", "C:/evil.xml"])
def test_unsafe_zip_entry_names_are_refused(make_book, tmp_path, bad):
    book = make_book(plan_sheets(), name="plan.xlsx")
    parts = parts_of(book.read_bytes())
    parts[bad] = b"<x/>"
    write_parts(book, parts)
    before = book.read_bytes()
    with pytest.raises(PysnopError, match="(?i)unsafe|part name|entry"):
        pysnop.recalc(book)
    assert book.read_bytes() == before


def test_duplicate_sheet_names_differing_by_case_name_both(make_book, tmp_path):
    book = make_book(plan_sheets(inventory=[["sku", "location", "on_hand"]]), name="plan.xlsx")

    def same_but_case(root):  # openpyxl saved the second one as "inventory1"
        for sheet in root.iter(f"{{{MAIN_NS}}}sheet"):
            if sheet.get("name") == "inventory1":
                sheet.set("name", "inventory")
    edit_part(book, workbook_part(book), same_but_case)
    with pytest.raises(PysnopError) as caught:
        pysnop.recalc(book)
    text = str(caught.value)
    assert '"Inventory"' in text and '"inventory"' in text


def test_unexpected_workbook_part_fails_loudly_with_the_file_untouched(make_book, tmp_path):
    # a workbook part without <sheets> is not something pysnop can merge into
    book = make_book(plan_sheets(), name="plan.xlsx")
    parts = parts_of(book.read_bytes())
    root = parse(parts["xl/workbook.xml"])
    # keep the sheets readable for calamine, but break the relationship ids
    for sheet in root.iter(f"{{{MAIN_NS}}}sheet"):
        for key in list(sheet.attrib):
            if key.endswith("}id"):
                sheet.set(key, "rIdMissing")
    parts["xl/workbook.xml"] = dump(root)
    write_parts(book, parts)
    before = book.read_bytes()
    with pytest.raises(PysnopError):
        pysnop.recalc(book)
    assert book.read_bytes() == before


def test_every_part_name_the_sheet_parts_helper_sees(make_book):
    # the helpers read the package through its relationships, like Excel does
    book = make_book(plan_sheets(), name="plan.xlsx")
    names = sheet_parts(book.read_bytes())
    assert set(names) == {"Settings", "Campaigns", "Inventory", "Forecast"}
    assert all(etree.QName(parse(parts_of(book.read_bytes())[p])).localname == "worksheet"
               for p in names.values())
