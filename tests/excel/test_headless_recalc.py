"""Workbooks mixing native formulas and pysnop functions, recalculated with no Excel."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
import udf_plan as P

RANGES = "Campaigns!A1:F2,Inventory!A1:G3,Receipts!A1:D2,Forecast!A1:D9"


def planner_book(make_book, extra=None):
    sheets = P.sheets()
    sheets["Inventory"][0].append("total")
    sheets["Inventory"][1].append("=SUM(C2:C3)")
    planner = [["as of", P.AS_OF, None, None, None, None, None, None, None, None,
                f"=INDEX(STOCKOUT_RISK({RANGES},DATE(2026,3,2),4),2,1)"],
               [None] * 10 + ["=E4*2"],
               [f"=STOCKOUT_RISK({RANGES},B1,2+2)"] + [None] * 9
               + ["=SUM(E4:E5)+Inventory!H2"],
               [None] * 10 + ["=WEEKS_OF_SUPPLY(Inventory!C2,{20,30,20,20})"],
               [None] * 10 + ['=COUNTIF(C4:C5,"STOCKOUT")'],
               [None] * 10 + ["=SUM(A3#)"],
               ]
    sheets["Planner"] = planner + (extra or [])
    return make_book(sheets, name="planner.xlsx")


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    from conftest import build_book

    from pysnop.workbook.formulas.headless import recalc_formulas

    tmp = tmp_path_factory.mktemp("headless")
    book = planner_book(lambda sheets, name: build_book(tmp / name, sheets))
    out = tmp / "out.xlsx"
    ev = recalc_formulas(book, out)
    return book, out, ev


def calamine_rows(path, sheet):
    import python_calamine as pc

    return pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_spilled_summary_is_readable_without_recalculation(recalculated):
    _, out, _ = recalculated
    rows = calamine_rows(out, "Planner")
    table = [r[:9] for r in rows[2:5]]
    expected = [["" if v is None else v for v in row] for row in P.EXPECTED_RISK]
    assert table == expected


def test_numbers_equal_the_core(recalculated):
    from pysnop.core.bridge import run_bridge
    from pysnop.workbook.read.reader import read_plan

    book, out, _ = recalculated
    plan = read_plan(book, as_of=P.AS_OF).inputs
    plan.settings = type(plan.settings)(as_of=P.AS_OF, horizon_weeks=4)
    core = run_bridge(plan).summary
    rows = calamine_rows(out, "Planner")[3:5]
    assert [r[0] for r in rows] == core["sku"].tolist()
    assert [r[4] for r in rows] == pytest.approx(core["min_projected"].tolist())
    assert [r[6] for r in rows] == pytest.approx(core["lost_units"].tolist())


def test_nested_native_and_dependent_formulas(recalculated):
    _, out, _ = recalculated
    k = [r[10] for r in calamine_rows(out, "Planner")[:6]]
    # INDEX(...,2,1); E4*2; SUM(E4:E5)+Inventory total; WEEKS_OF_SUPPLY; COUNTIF; SUM(A3#)
    assert k[0] == "B"
    assert k[1] == -60
    assert k[2] == pytest.approx(-30 + 40 + 150)
    assert k[3] == pytest.approx(100 / 22.5)
    assert k[4] == 1
    assert calamine_rows(out, "Inventory")[1][7] == 150


def test_formulas_are_kept(recalculated):
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    _, out, _ = recalculated
    ws = openpyxl.load_workbook(out)["Planner"]
    anchor = ws["A3"].value
    assert isinstance(anchor, ArrayFormula) and anchor.ref == "A3:I5"
    assert anchor.text == f"=STOCKOUT_RISK({RANGES},B1,2+2)"
    assert ws["K1"].value.startswith("=INDEX(STOCKOUT_RISK(")
    assert ws["K2"].value == "=E4*2"
    assert ws["D4"].number_format == "yyyy-mm-dd"
    values = openpyxl.load_workbook(out, data_only=True)["Planner"]
    assert values["A3"].value == "sku" and values["K2"].value == -60
    with zipfile.ZipFile(out) as z:
        assert "xl/metadata.xml" in z.namelist()  # marked as a dynamic array for Excel 365


def test_rerun_is_stable(recalculated, tmp_path):
    from pysnop.workbook.formulas.headless import recalc_formulas

    _, out, _ = recalculated
    again = tmp_path / "again.xlsx"
    ev = recalc_formulas(out, again)
    assert all(not s.changed for s in ev.spills)
    assert calamine_rows(again, "Planner") == calamine_rows(out, "Planner")


def test_spill_blocked_by_content(make_book):
    from pysnop.testing import recalculate

    planner_book(make_book, extra=[[None] * 3 + ["in the way"]])
    sheets = P.sheets()
    sheets["Planner"] = [[f"=STOCKOUT_RISK({RANGES},DATE(2026,3,2),4)"], [None, "x"]]
    values = recalculate(make_book(sheets, name="blocked.xlsx"))
    assert values["Planner"]["A1"] == "#SPILL!"
    assert values["Planner"]["B2"] == "x"


def test_testing_helper(make_book):
    from pysnop.testing import cell_values, recalculate

    book = planner_book(make_book)
    values = recalculate(book)
    assert values.value("Planner", "C4") == "STOCKOUT"
    assert values.value("Planner", "D4") == dt.date(2026, 3, 16)
    assert values.value("Planner", "D5") is None
    assert values.value("Inventory", "A2") == "A"
    assert cell_values(book, "Planner", "A3:B3") == [["sku", "location"]]
    import openpyxl  # nothing was written
    assert openpyxl.load_workbook(book)["Planner"]["A3"].value.startswith("=STOCKOUT_RISK(")


def test_other_functions_headless(make_book):
    from pysnop.testing import recalculate

    sheets = P.sheets()
    sheets["Sources"] = P.consensus_forecast_rows()
    sheets["Planner"] = [
        ["=PROJECTED_ON_HAND(100,{0,30,0,0},{20,30,20,20})"],
        ["=PROMO_DEMAND({20,20,20,20},DATE(2026,3,2),DATE(2026,3,4),DATE(2026,3,10),0.5)"],
        ['=MAX_SUPPORTABLE_LIFT(Campaigns!A1:F2,Inventory!A1:G3,Receipts!A1:D2,'
         'Forecast!A1:D9,"C1",DATE(2026,3,2),4)'],
        ['=CONSENSUS_FORECAST(Sources!A1:F6,,"bottom_up")'],
    ]
    v = recalculate(make_book(sheets, name="others.xlsx"))["Planner"]
    assert [v["A1"], v["B1"], v["C1"], v["D1"]] == [80, 80, 60, 40]
    assert [v["A2"], v["B2"]] == pytest.approx(P.DEMAND_A[:2])
    assert v["A3"] == pytest.approx(0.5)
    assert [v["A4"], v["B4"], v["C4"], v["D4"]] == ["sku", "location", "week", "units"]
    assert (v["A5"], v["B5"], v["D5"]) == ("A", "S1", 40)


def test_patch_cached_values_round_trip(tmp_path):
    import io

    import openpyxl

    from pysnop.workbook.ooxml.cached_values import patch_cached_values

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S & P"
    ws["A1"], ws["A2"], ws["A3"], ws["A4"] = "=1+1", '="a<b"', "=TRUE()", "=NA()"
    buf = io.BytesIO()
    wb.save(buf)
    data = patch_cached_values(buf.getvalue(), {"S & P": {"A1": 2.0, "A2": "a<b", "A3": True,
                                                          "A4": "#N/A"}})
    path = tmp_path / "p.xlsx"
    path.write_bytes(data)
    rows = calamine_rows(path, "S & P")
    assert [r[0] for r in rows[:3]] == [2, "a<b", True]
    assert openpyxl.load_workbook(path)["S & P"]["A2"].value == '="a<b"'


def test_formula_stage_pipeline(make_book):
    """The stage leaves post_save; applied to the saved bytes it caches every value."""
    from pysnop.pipeline.stages import formula_stage

    book = planner_book(make_book)

    class Run:
        def __init__(self, source):
            self.source, self.post_save, self.warnings, self.timings = source, None, [], {}
            self.formula_scan = None  # looked up here, not on a thread

    run = Run(book)
    formula_stage(run)
    out = book.with_name("staged.xlsx")
    out.write_bytes(run.post_save(book.read_bytes()))
    assert calamine_rows(out, "Planner")[3][:3] == ["B", "S1", "STOCKOUT"]
    plain = Run(make_book(P.sheets(), name="plain.xlsx"))
    formula_stage(plain)
    assert plain.post_save is None


def test_structured_table_references_are_resolved_headlessly(tmp_path):
    """``tblInv[#All]`` works without Excel too; the formula keeps its structured reference."""
    import re
    import zipfile

    from conftest import build_book
    from python_calamine import CalamineWorkbook

    import pysnop

    D = dt.date
    sheets = {
        "Settings": [["key", "value"], ["as_of", D(2026, 11, 18)], ["horizon_weeks", 2]],
        "Inventory": [["sku", "location", "on_hand"], ["A1", "S1", 5]],
        "Forecast": [["sku", "location", "week", "units"], ["A1", "S1", D(2026, 11, 16), 4],
                     ["A1", "S1", D(2026, 11, 23), 4]],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift"],
                      ["C1", "A1", D(2026, 11, 16), D(2026, 11, 22), 0.5]],
        "Receipts": [["sku", "location", "due", "qty"]],
        "View": [["=STOCKOUT_RISK(Campaigns!A1:E2,tblInv[#All],Receipts!A1:D1,Forecast!A1:D3,"
                  "Settings!B2,Settings!B3)"]],
    }
    book = build_book(tmp_path / "t.xlsx", sheets, tables={"Inventory": "tblInv"})
    report = pysnop.recalc(book)
    assert not [w for w in report.warnings if "formulas were not recalculated" in str(w)]
    view = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("View").to_python()
    # week 0: 4 + 50 % lift = 6 against 5 on hand -> -1; week 1: -5 -> 5 units lost
    assert view[1][:3] == ["A1", "S1", "STOCKOUT"] and view[1][6] == 5
    with zipfile.ZipFile(book) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert re.search(rb"<f[^>]*>STOCKOUT_RISK\([^<]*tblInv\[#All\]", xml)
