"""Where pysnop's "Supply: ..." columns go on marketing's Campaigns sheet, run after run.

The plan (``red_team_books``): one campaign C1 on row 2, marketing's columns A:E. A planner
edits the book between runs the way Excel would save it: a cell typed (``typed``), the
hidden name pysnop keeps of its block removed (a book written before it existed).
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from ooxml_corpus import MAIN_NS, calamine_values, parts_of
from ooxml_edit import edit_part, edit_sheet, parse, workbook_part
from red_team_books import assert_sound, plan_sheets

import pysnop

SUPPLY = ["Supply: status", "Supply: coverage", "Supply: max lift", "Supply: safe start",
          "Supply: margin at risk", "Supply: learned lift", "Supply: learned from",
          "Supply: wasted spend", "Supply: note", "Supply: actions"]


def typed(ref: str, text: str):
    """An editor typing ``text`` into cell ``ref`` (row and cell made where missing)."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    letters, r = coordinate_from_string(ref)
    col = column_index_from_string(letters)

    def edit(root: etree._Element) -> None:
        data = root.find(f"{{{MAIN_NS}}}sheetData")
        row = next((x for x in data if x.get("r") == str(r)), None)
        if row is None:
            row = etree.Element(f"{{{MAIN_NS}}}row", r=str(r))
            later = [x for x in data if int(x.get("r")) > r]
            (later[0].addprevious(row) if later else data.append(row))
        row.attrib.pop("spans", None)
        cell = etree.Element(f"{{{MAIN_NS}}}c", r=ref, t="inlineStr")
        etree.SubElement(etree.SubElement(cell, f"{{{MAIN_NS}}}is"), f"{{{MAIN_NS}}}t").text = text
        after = [c for c in row if column_index_from_string(
            coordinate_from_string(c.get("r"))[0]) > col]
        (after[0].addprevious(cell) if after else row.append(cell))
        dim = root.find(f"{{{MAIN_NS}}}dimension")
        if dim is not None:
            root.remove(dim)
    return edit


def header(path: Path) -> list:
    return calamine_values(path.read_bytes())["Campaigns"][0]


def supply_at(path: Path) -> dict[str, int]:
    """Supply header -> 0-based column."""
    return {v: j for j, v in enumerate(header(path)) if str(v).startswith("Supply:")}


def owned_names(path: Path) -> list[str]:
    wb = parse(parts_of(path.read_bytes())[workbook_part(path)])
    return [d.text for d in wb.iter(f"{{{MAIN_NS}}}definedName")
            if d.get("name") == "_pysnop_columns"]


def test_first_run_places_the_block_right_of_marketing_and_records_it(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx")
    pysnop.recalc(book)
    # A:E are marketing's: the block starts at F (0-based 5), in SUPPLY's order
    assert supply_at(book) == {h: 5 + j for j, h in enumerate(SUPPLY)}
    assert owned_names(book) == ["'Campaigns'!$F$1:$O$2"]
    assert_sound(book)


def test_a_note_typed_right_of_the_block_keeps_the_block_where_it_is(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx")
    pysnop.recalc(book)
    edit_sheet(book, "Campaigns", typed("Q1", "ask Bob"))
    pysnop.recalc(book)
    assert supply_at(book) == {h: 5 + j for j, h in enumerate(SUPPLY)}
    assert header(book)[16] == "ask Bob"


def test_content_in_the_rows_the_block_needs_moves_it_never_overwrites(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx")
    pysnop.recalc(book)
    # a new campaign on row 3, and a planner's note typed where its Supply: status would go
    sheets_rows = [["C2", "B2", "2026-11-23", "2026-11-29", 0.2]]
    for j, value in enumerate(sheets_rows[0]):
        edit_sheet(book, "Campaigns", typed(f"{'ABCDE'[j]}3", str(value)))
    edit_sheet(book, "Campaigns", typed("F3", "mine"))
    edit_sheet(book, "Campaigns", typed("F5", "also mine"))
    pysnop.recalc(book)
    rows = calamine_values(book.read_bytes())["Campaigns"]
    assert rows[2][5] == "mine" and rows[4][5] == "also mine"
    # the block moves right of F, the last used column; its old cells are cleared
    assert supply_at(book) == {h: 6 + j for j, h in enumerate(SUPPLY)}
    assert rows[0][5] == "" and rows[1][5] == ""
    assert owned_names(book) == ["'Campaigns'!$G$1:$P$3"]
    assert_sound(book)


def test_a_bridge_only_run_leaves_the_actions_column_as_it_was(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx")
    pysnop.recalc(book)
    before = calamine_values(book.read_bytes())["Campaigns"]
    assert before[1][14].startswith("LFT-")  # C1's REDUCE_LIFT proposal
    pysnop.recalc(book, actions=False)
    after = calamine_values(book.read_bytes())["Campaigns"]
    assert after[1][14] == before[1][14]
    assert supply_at(book) == {h: 5 + j for j, h in enumerate(SUPPLY)}
    assert owned_names(book) == ["'Campaigns'!$F$1:$O$2"]


def test_a_book_written_before_the_name_has_its_block_found_by_its_headers(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx")
    pysnop.recalc(book)

    def forget(root: etree._Element) -> None:
        names = root.find(f"{{{MAIN_NS}}}definedNames")
        for d in list(names):
            if d.get("name") == "_pysnop_columns":
                names.remove(d)
    edit_part(book, workbook_part(book), forget)
    edit_sheet(book, "Campaigns", typed("G6", "a planner's total"))  # below the data block
    pysnop.recalc(book)
    rows = calamine_values(book.read_bytes())["Campaigns"]
    assert supply_at(book) == {h: 5 + j for j, h in enumerate(SUPPLY)}
    assert rows[5][6] == "a planner's total"
    assert owned_names(book) == ["'Campaigns'!$F$1:$O$2"]


def test_an_excel_table_grows_over_the_block_and_stays_one_table(make_book, tmp_path):
    book = make_book(plan_sheets(), name="plan.xlsx", tables={"Campaigns": "tblCampaigns"})
    pysnop.recalc(book)
    pysnop.recalc(book)
    parts = parts_of(book.read_bytes())
    table = next(parse(v) for k, v in parts.items() if k.startswith("xl/tables/"))
    assert table.get("ref") == "A1:O2"
    names = [c.get("name") for c in table.iter(f"{{{MAIN_NS}}}tableColumn")]
    assert names == ["campaign_id", "sku", "start", "end", "lift"] + SUPPLY
    assert_sound(book)
