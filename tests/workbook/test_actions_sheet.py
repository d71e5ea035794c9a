"""The Actions and Review sheets: dropdowns, highlighting, read-back, formula injection."""

import datetime as dt
from copy import copy

import openpyxl
import pandas as pd
from openpyxl.cell.cell import Cell

from pysnop.workbook.ooxml.fastsheet import save_workbook
from pysnop.workbook.ooxml.xlcells import StyleBook
from pysnop.workbook.read.actions import COLUMNS, HEADER_ROW, read_actions_sheet
from pysnop.workbook.read.approvers import read_approvers
from pysnop.workbook.render.actions import write_actions_sheet
from pysnop.workbook.render.review import ReviewData, review_text, write_review_sheet

EVIL = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)"]


def rows():
    return pd.DataFrame([
        {"action_id": "ORD-1", "type": "NEW_ORDER", "owner": "Supply", "sku": "00123",
         "location": "S01", "qty": 10.0, "week": pd.Timestamp("2026-11-30"), "cost": 0.0,
         "margin_protected": 25.0, "net_value": 25.0, "reason": EVIL[0], "status": "Approved",
         "approver": EVIL[3], "decided_at": dt.datetime(2026, 11, 18, 9, 30),
         "comment": EVIL[1], "rank": 1},
        {"action_id": "LFT-1", "type": "REDUCE_LIFT", "owner": "Marketing", "sku": "00123",
         "location": "S01", "campaign_id": EVIL[2], "qty": 5.0, "new_lift": 0.25,
         "status": "Obsolete", "rank": 2},
        {"action_id": "MOV-1", "type": "MOVE_WINDOW", "owner": "Marketing", "sku": "00123",
         "status": "Proposed", "scenario": "Y", "rank": 3}])


def written(tmp_path, frame, names=("Ann", "Mo")):
    wb = openpyxl.Workbook()
    write_actions_sheet(wb, frame, StyleBook(wb), list(names))
    path = tmp_path / "a.xlsx"
    with open(path, "wb") as handle:
        save_workbook(wb, handle)  # how pysnop saves its sheets (bulk rows streamed)
    return path


def test_written_sheet_has_dropdowns_highlights_and_reads_back(tmp_path):
    path = written(tmp_path, rows())
    ws = openpyxl.load_workbook(path)["Actions"]
    header = [c.value for c in ws[HEADER_ROW]]
    assert header == list(COLUMNS)
    col = {name: i + 1 for i, name in enumerate(COLUMNS)}
    lists = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    status_letter = openpyxl.utils.get_column_letter(col["status"])
    assert lists['"Proposed,Approved,Rejected"'].startswith(f"{status_letter}4:")
    assert '"Ann,Mo"' in lists and '"Y"' in lists
    approved = ws.cell(HEADER_ROW + 1, col["sku"])
    assert approved.fill.fgColor.rgb == "FFC6EFCE"  # green
    assert ws.cell(HEADER_ROW + 2, col["sku"]).font.color.rgb == "FF808080"  # obsolete: grey
    assert ws.freeze_panes == "C4" and ws.auto_filter.ref.startswith("A3:")  # option, id
    assert ws.cell(HEADER_ROW + 1, col["decided_at"]).value == dt.datetime(2026, 11, 18, 9, 30)
    back = read_actions_sheet(path)
    assert list(back["action_id"]) == ["ORD-1", "LFT-1", "MOV-1"]
    assert list(back["row"]) == [4, 5, 6] and back["sku"].iat[0] == "00123"
    assert back["comment"].iat[0] == "+1+1" and back["scenario"].iat[2] == "Y"
    assert back["new_lift"].iat[1] == 0.25


def test_formula_injection_is_neutralised_in_actions(tmp_path):
    path = written(tmp_path, rows())
    ws = openpyxl.load_workbook(path)["Actions"]
    texts = [c for row in ws.iter_rows() for c in row if c.value in EVIL]
    assert sorted(c.value for c in texts) == sorted(EVIL)
    for cell in texts:
        assert cell.data_type == "s" and cell.quotePrefix  # a string, never a formula


def test_review_sheet_and_text_neutralise_and_list_sections(tmp_path):
    review = ReviewData("2026-11-18", "2026-11-18T09:00:00", None, {
        "new_risks": pd.DataFrame([{"sku": EVIL[0], "location": "S01", "status": "STOCKOUT",
                                    "act_by": "2026-11-23", "lost_units": 5.0}]),
        "pending": pd.DataFrame([{"action_id": "ORD-1", "reason": EVIL[3],
                                  "net_value": 25.0}])})
    wb = openpyxl.Workbook()
    write_review_sheet(wb, review, StyleBook(wb))
    with open(tmp_path / "r.xlsx", "wb") as handle:
        save_workbook(wb, handle)  # how pysnop saves its sheets (bulk rows streamed)
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Review"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    assert cells[EVIL[0]].data_type == "s" and cells[EVIL[0]].quotePrefix
    assert cells[EVIL[3]].quotePrefix
    assert "New risks (1)" in cells and "Decisions pending (1)" in cells
    assert "Resolved risks (0)" in cells
    md = review_text(review, markdown=True)
    assert "## New risks (1)" in md and "first run in the decision log" in md
    assert "| ORD-1 | " in md


def test_approvers_from_sheet_or_settings_block(make_book):
    path = make_book({"Approvers": [["Name", "Function"], ["Ann", "Supply"],
                                    ["Mo", "marketing; supply"], ["Eve", "Finance"],
                                    ["Kim", None], ["Al", "All"]]})
    approvers, warnings = read_approvers(path)
    assert approvers.allows("ann", "Supply") and not approvers.allows("Ann", "Marketing")
    assert approvers.allows("Mo", "Marketing") and approvers.allows("MO", "Supply")
    assert approvers.allows("Al", "Marketing") and not approvers.allows("Eve", "Supply")
    assert [w.row for w in warnings] == [4, 5]
    path = make_book({"Settings": [["key", "value"], ["as_of", "2026-11-18"], [],
                                   ["Approvers"], ["name", "function"], ["Zed", "Supply"]]})
    approvers, warnings = read_approvers(path)
    assert approvers.names() == ["Zed"] and warnings == []
    assert len(read_approvers(make_book({"Inventory": [["sku"]]}))[0]) == 0


def test_review_sheet_sections_are_capped_for_the_meeting(tmp_path):
    pending = pd.DataFrame({"action_id": [f"ORD-{i}" for i in range(5)],
                            "net_value": [5.0, 4.0, 3.0, 2.0, 1.0]})
    review = ReviewData("2026-11-18", "2026-11-18T09:00:00", None, {"pending": pending})
    wb = openpyxl.Workbook()
    write_review_sheet(wb, review, StyleBook(wb), limit=2)
    with open(tmp_path / "r.xlsx", "wb") as handle:
        save_workbook(wb, handle)
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Review"]
    values = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert "ORD-1" in values and "ORD-2" not in values
    assert "... and 3 more: see the Actions sheet" in values


def grouped(tmp_path):
    """Two risks: R1 with two alternatives (the second loses money), R2 that nothing fixes."""
    risks = pd.DataFrame([
        {"risk_id": "RSK-1", "kind": "sku-location", "draft": False, "sku": "A",
         "location": "S1", "campaign_id": None, "status": "STOCKOUT",
         "first_risk_week": pd.Timestamp("2026-11-30"), "shortfall_units": 60.0,
         "lost_units": 40.0, "margin_at_risk": 100.0, "act_by": pd.Timestamp("2026-11-23"),
         "too_late": False, "alternatives": 2, "recommended": 1, "best_action_id": "TRF-1",
         "fixable": True, "note": "", "rank": 1},
        {"risk_id": "RSK-2", "kind": "sku-location", "draft": False, "sku": "B",
         "location": "S2", "campaign_id": None, "status": "STOCKOUT",
         "first_risk_week": pd.Timestamp("2026-11-23"), "shortfall_units": 5.0,
         "lost_units": 5.0, "margin_at_risk": 10.0, "act_by": pd.Timestamp("2026-11-09"),
         "too_late": True, "alternatives": 0, "recommended": 0, "best_action_id": None,
         "fixable": False, "note": "nothing can fix it: too late to order (act_by 2026-11-09)",
         "rank": 2}])
    frame = pd.DataFrame([
        {"action_id": "EXP-1", "type": "EXPEDITE", "owner": "Supply", "sku": "A",
         "location": "S1", "qty": 80.0, "net_value": -5.0, "risk_id": "RSK-1", "rank": 2,
         "covers_units": 60.0, "covers_risk": True, "status": "Superseded"},
        {"action_id": "TRF-1", "type": "TRANSFER", "owner": "Supply", "sku": "A",
         "location": "S1", "qty": 60.0, "net_value": 90.0, "risk_id": "RSK-1", "rank": 1,
         "covers_units": 60.0, "covers_risk": True, "status": "Approved", "approver": "Ann"},
        {"action_id": "ORD-9", "type": "NEW_ORDER", "owner": "Supply", "sku": "C",
         "location": "S3", "qty": 5.0, "net_value": 1.0, "risk_id": "RSK-9", "rank": 9,
         "status": "Obsolete"}])
    wb = openpyxl.Workbook()
    write_actions_sheet(wb, frame, StyleBook(wb), ["Ann"], risks)
    path = tmp_path / "g.xlsx"
    with open(path, "wb") as handle:
        save_workbook(wb, handle)
    return path


def test_alternatives_are_grouped_under_their_risk_and_read_back_without_risk_lines(tmp_path):
    path = grouped(tmp_path)
    ws = openpyxl.load_workbook(path)["Actions"]
    col = {name: i + 1 for i, name in enumerate(COLUMNS)}
    cells = [[ws.cell(r, col[n]).value for n in ("option", "action_id", "covers")]
             for r in range(HEADER_ROW + 1, HEADER_ROW + 7)]
    # RSK-1's line, its alternatives by rank (the money-loser marked, never first), RSK-2's
    # line, then the record of what is not proposed any more
    assert cells == [["RSK-1", None, "covered"], ["1", "TRF-1", "all of it"],
                     ["not recommended", "EXP-1", "all of it"],
                     ["RSK-2", None, "nothing to approve"], [None, None, None],
                     ["1", "ORD-9", None]]
    assert ws.cell(HEADER_ROW + 1, col["type"]).value.startswith(
        "A at S1: STOCKOUT from 2026-11-30 · short 60 units · 40 lost")
    assert ws.cell(HEADER_ROW + 4, col["reason"]).value == (
        "Nothing can fix this: too late to order (act_by 2026-11-09).")
    assert ws.cell(HEADER_ROW + 3, col["sku"]).font.color.rgb == "FF808080"  # Superseded
    assert ws.cell(HEADER_ROW + 5, col["type"]).value.startswith("Not proposed any more")
    back = read_actions_sheet(path)
    assert list(back["action_id"]) == ["TRF-1", "EXP-1", "ORD-9"]  # no risk or group line
    assert list(back["row"]) == [5, 6, 9] and back["risk_id"].tolist()[:2] == ["RSK-1"] * 2


def test_a_decision_typed_on_a_risk_line_is_reported_not_lost(tmp_path):
    from pysnop.core.decisions import Approvers, review_edits

    path = grouped(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Actions"]
    col = {name: i + 1 for i, name in enumerate(COLUMNS)}
    ws.cell(HEADER_ROW + 4, col["status"]).value = "Approved"  # on RSK-2's line
    wb.save(path)
    back = read_actions_sheet(path)
    assert back["action_id"].isna().sum() == 1
    got = review_edits(back, {}, Approvers([("Ann", "Supply")]), "Ann",
                       dt.datetime(2026, 11, 18, 9))
    [problem] = [p for p in got.problems if p.row == HEADER_ROW + 4]
    assert "without an action_id is ignored" in problem.reason


def test_bulk_cells_are_what_the_per_cell_functions_give(tmp_path):
    """Every cell of the grouped sheet, read back: the value ``_cell_value`` gives the line's
    raw value and the look ``_style`` gives its (line kind, status, option, cover): the
    column-wise rendering (styles per distinct key, text columns converted whole) changes
    neither."""
    from test_risk_lines import RISKS

    from pysnop.workbook.render.action_groups import sheet_lines
    from pysnop.workbook.render.actions import FIRST_ROW, _cell_value, _style

    frame = pd.concat([rows()] * 3, ignore_index=True)
    frame["action_id"] = [f"A-{i}" for i in range(len(frame))]
    # two Proposed alternatives of one risk, one losing money ("not recommended": its
    # option in the warning font), and every other status
    frame["status"] = ["Approved", "Obsolete", "Proposed", "Superseded", "Needs re-approval",
                       "Rejected", "Proposed", "Proposed", "Exported"]
    frame["risk_id"] = ["R1", "R1", "R2", "R2", None, "R9", "R5", "R5", "R6"]
    frame["net_value"] = [25.0, -3.0, None, -1.0, 4.0, float("nan"), -2.0, 5.0, 1.0]
    frame["comment"] = [EVIL[1], None, float("nan"), " padded ", "a&b<c>", "x\x07y", "", "ok",
                        "@"]
    wb = openpyxl.Workbook()
    styles = StyleBook(wb)
    write_actions_sheet(wb, frame, styles, ["Ann"], RISKS)
    path = tmp_path / "g.xlsx"
    with open(path, "wb") as handle:
        save_workbook(wb, handle)
    ws = openpyxl.load_workbook(path)["Actions"]
    lines = sheet_lines(frame, RISKS)
    assert len(lines) > len(frame)  # risk lines among the alternatives
    look = StyleBook(openpyxl.Workbook())
    for i, line in enumerate(lines.to_dict("records")):
        status = line.get("status") if isinstance(line.get("status"), str) else ""
        for c, name in enumerate(COLUMNS, start=1):
            cell = ws.cell(FIRST_ROW + i, c)
            raw = line.get(name)
            want = _cell_value(name, raw)
            if name not in ("week", "act_by", "new_start", "decided_at", "exported_at",
                            "qty", "cost", "margin_protected", "net_value", "new_lift",
                            "units_protected", "rank") and want is not None:
                want = str(want).replace("\x07", "")  # text, cleaned of control characters
            got = cell.value
            if isinstance(got, dt.datetime) and not isinstance(want, dt.datetime):
                got = got.date()
            assert got == want, (i, name)
            style = _style(look, name, line["line"], status, line.get("option"),
                           line.get("covers"))
            ref = Cell(look.wb.active, row=1, column=1, style_array=style)
            for part in ("font", "fill", "alignment"):
                assert copy(getattr(cell, part)) == copy(getattr(ref, part)), (i, name, part)
            assert cell.number_format == ref.number_format, (i, name)
            assert bool(cell.quotePrefix) == (isinstance(want, str)
                                              and want.startswith(("=", "+", "-", "@")))


def test_review_decision_sentences_are_made_a_column_at_a_time():
    """The agenda's sentence per open risk (review._decisions), worked by hand: the campaign
    when there is one, the shortfall (whole or >= 100 without decimals, else two), the
    margin at risk (blank, None or NaN: 0.00), the best alternative, the note when it says
    something."""
    import pandas as pd

    from pysnop.workbook.render.review import _decisions

    risks = pd.DataFrame({
        "campaign_id": ["C1", None, None],
        "shortfall_units": [1319.0, 12.5, 7.0],
        "margin_at_risk": pd.Series([61955.14, None, 3.0], dtype=object),
        "best_action_id": ["ORD-1", None, "TRF-2"],
        "note": [None, "nothing can fix it: too late", "  "]})
    assert _decisions(risks) == [
        "campaign C1; short 1,319 units, margin at risk 61,955.14; best: ORD-1",
        "short 12.50 units, margin at risk 0.00; nothing can fix it: too late",
        "short 7 units, margin at risk 3.00; best: TRF-2"]
    # a blank margin in a float column (NaN) reads as None does, not "nan"
    floats = risks.assign(margin_at_risk=[61955.14, float("nan"), 3.0])
    assert _decisions(floats)[1] == "short 12.50 units, margin at risk 0.00; nothing can fix " \
        "it: too late"
    assert _decisions(risks[["shortfall_units"]].iloc[:1]) == [
        "short 1,319 units, margin at risk 0.00"]  # no such columns: nothing of them
