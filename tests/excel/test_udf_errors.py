"""A bad argument gives one short located cell text, never a traceback — in both doors."""

from __future__ import annotations

import pytest
import udf_plan as P

from pysnop.workbook.formulas import functions as core


def risk(**change):
    args = {"campaigns": P.as_excel("Campaigns"), "inventory": P.as_excel("Inventory"),
            "receipts": P.as_excel("Receipts"), "forecast": P.as_excel("Forecast"),
            "as_of": P.serial(P.AS_OF), "horizon_weeks": 4.0}
    args.update(change)
    return core.call("STOCKOUT_RISK", *args.values())


def with_cell(name, row, col, value):
    rows = [list(r) for r in P.as_excel(name)]
    rows[row][col] = value
    return tuple(tuple(r) for r in rows)


@pytest.mark.parametrize("change, text", [
    ({"inventory": with_cell("Inventory", 2, 2, "n/a")},
     '#PYSNOP: inventory row 3 (on_hand): expected a number, got "n/a"'),
    ({"inventory": with_cell("Inventory", 0, 2, "stock level")},
     '#PYSNOP: inventory row 1: missing required column "on_hand"'),
    ({"inventory": None},
     "#PYSNOP: inventory: the range is empty; expected a header row with sku, location, "
     "on_hand"),
    ({"campaigns": with_cell("Campaigns", 1, 4, 35.0)},
     "#PYSNOP: campaigns row 2 (lift): 35 looks like a percent; type 0.35 or 35% for +35%"),
    ({"receipts": with_cell("Receipts", 1, 2, "soon")},
     '#PYSNOP: receipts row 2 (due): expected a date, got "soon"'),
    ({"as_of": "someday"}, '#PYSNOP: as_of: expected a date, got "someday"'),
    ({"horizon_weeks": 500.0}, "#PYSNOP: horizon_weeks: must be between 1 and 104, got 500"),
    ({"horizon_weeks": 2.5}, "#PYSNOP: horizon_weeks: expected a whole number, got 2.5"),
])
def test_stockout_risk_errors(change, text):
    assert risk(**change).startswith(text)


def test_several_problems_are_counted():
    inv = with_cell("Inventory", 1, 2, "n/a")
    inv = tuple(tuple(r) for r in [list(inv[0]), list(inv[1]), ["B", "S1", "x", None, 1.0, 1.0,
                                                                 3.0]])
    assert risk(inventory=inv) == ('#PYSNOP: inventory row 2 (on_hand): expected a number, '
                                   'got "n/a" (+1 more)')


@pytest.mark.parametrize("name, args, text", [
    ("PROJECTED_ON_HAND", (None, None, ((1.0,),)),
     "#PYSNOP: on_hand: expected a number, got blank"),
    ("PROJECTED_ON_HAND", (10.0, ((1.0,),), ((1.0, "x"),)),
     '#PYSNOP: demand cell 2: expected a number, got "x"'),
    ("PROJECTED_ON_HAND", (10.0, ((1.0, 2.0, 3.0),), ((1.0, 2.0),)),
     "#PYSNOP: receipts: expected 1 row(s) of 2 weeks like demand, got 1 of 3"),
    ("PROMO_DEMAND", (((10.0,),), 46083.0, 46090.0, 46085.0, 0.2),
     "#PYSNOP: end 1: 2026-03-04 is before start 2026-03-09"),
    ("PROMO_DEMAND", (((10.0,),), None, 46083.0, 46085.0, 0.2),
     "#PYSNOP: first_week: expected a date, got blank"),
    ("MAX_SUPPORTABLE_LIFT", (P.as_excel("Campaigns"), P.as_excel("Inventory"), None,
                              P.as_excel("Forecast"), "C9", 46083.0, 4.0),
     "#PYSNOP: campaign_id: campaign C9 is not in campaigns"),
    ("CONSENSUS_FORECAST", (P.as_excel("Forecast"), None, "average"),
     "#PYSNOP: method: expected one of bottom_up, top_down, mint_ols, mint_wls_struct, none"),
    ("WEEKS_OF_SUPPLY", (-5.0, ((1.0,),)), "#PYSNOP: on_hand cell 1: must not be negative"),
    ("WEEKS_OF_SUPPLY", (5.0, ((1e300,),)),
     "#PYSNOP: demand cell 1: too large to plan with (limit 1e15), got 1e+300"),
])
def test_other_function_errors(name, args, text):
    assert core.call(name, *args).startswith(text)


def test_unexpected_failure_is_one_line(monkeypatch):
    def boom(*a):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setitem(core.IMPLEMENTATIONS, "WEEKS_OF_SUPPLY", boom)
    text = core.call("WEEKS_OF_SUPPLY", 1.0, ((1.0,),))
    assert text.startswith("#PYSNOP: internal error (ZeroDivisionError: division by zero)")
    assert "\n" not in text and "Traceback" not in text


def test_error_text_lands_in_the_cell_headlessly(make_book):
    from pysnop.testing import recalculate

    sheets = P.sheets()
    sheets["Inventory"][2][2] = "n/a"
    sheets["Planner"] = [["=STOCKOUT_RISK(Campaigns!A1:F2,Inventory!A1:G3,Receipts!A1:D2,"
                          "Forecast!A1:D9,DATE(2026,3,2),4)"]]
    values = recalculate(make_book(sheets, name="bad.xlsx"))
    assert values["Planner"]["A1"] == ('#PYSNOP: inventory row 3 (on_hand): expected a number, '
                                       'got "n/a"')
