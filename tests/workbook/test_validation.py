"""Every validation message, with its sheet!cell, and all problems in one ValidationError."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest

from pysnop.errors import FileAccessError, LayoutError, ValidationError
from pysnop.workbook.read.reader import read_plan

INV = [["sku", "location", "on_hand"], ["00123", "S01", 10]]
FC = [["sku", "location", "week", "units"], ["00123", "S01", dt.date(2026, 12, 7), 5]]


def problems(make_book, sheets, **options) -> list[str]:
    book = {"Inventory": INV, "Forecast": FC}
    book.update(sheets)
    with pytest.raises(ValidationError) as info:
        read_plan(make_book(book, **options))
    return [str(p) for p in info.value.problems]


def inventory(*rows, header=("sku", "location", "on_hand", "safety_stock", "lead_time_weeks")):
    return [list(header), *map(list, rows)]


def test_non_number(make_book):
    assert problems(make_book, {"Inventory": [
        ["Stock"], [], [], [], [],
        ["sku", "location", "on_hand"], ["A", "S", 1], ["B", "S", "n/a"]]}) == [
        'Inventory!C8 (on_hand): expected a number, got "n/a"']


def test_excel_error_cell(make_book):
    sheets = {"Inventory": inventory(["A", "S", "#N/A"], ["B", "S", 1, "#DIV/0!"])}
    assert problems(make_book, sheets) == [
        'Inventory!C2 (on_hand): expected a number, got "#N/A"',
        'Inventory!D3 (safety_stock): expected a number, got "#DIV/0!"']


def test_bool_and_date_are_not_numbers(make_book):
    assert problems(make_book, {"Inventory": inventory(["A", "S", True],
                                                       ["B", "S", dt.date(2026, 1, 1)])}) == [
        "Inventory!C2 (on_hand): expected a number, got True",
        "Inventory!C3 (on_hand): expected a number, got 2026-01-01"]


def test_blank_required_number(make_book):
    assert problems(make_book, {"Inventory": [["Item", "Store", "SOH"], ["A", "S", None],
                                              ["B", "S", 1]]}) == [
        "Inventory!C2 (SOH): expected a number, got blank"]


def test_negative(make_book):
    assert problems(make_book, {"Inventory": inventory(["A", "S", -1, -2, -3])}) == [
        "Inventory!C2 (on_hand): must not be negative, got -1",
        "Inventory!D2 (safety_stock): must not be negative, got -2",
        "Inventory!E2 (lead_time_weeks): must not be negative, got -3"]


def test_blank_keys(make_book):
    assert problems(make_book, {"Inventory": inventory([None, "S", 1], ["A", " ", 1])}) == [
        "Inventory!A2 (sku): expected a sku, got blank",
        "Inventory!B3 (location): expected a location, got blank"]


def test_duplicate_inventory_rows(make_book):
    assert problems(make_book, {"Inventory": inventory(
        ["00123", "S01", 1], ["00124", "S01", 1], ["00123", "S02", 1], ["00123", "S01", 2],
        [123, "S01", 1])}) == [
        "Inventory row 5: duplicate sku 00123 at location S01 (also row 2)"]


def test_bad_date_and_ambiguous_date(make_book):
    fc = [["sku", "location", "week", "units"], ["A", "S", "soon", 1], ["A", "S", "03/04/2026", 1],
          ["A", "S", 123, 1], ["A", "S", "2026-02-30", 1], ["A", "S", None, 1]]
    assert problems(make_book, {"Forecast": fc}) == [
        'Forecast!C2 (week): expected a date, got "soon"',
        'Forecast!C3 (week): ambiguous date "03/04/2026": day and month could be either way '
        'round; type it as ISO yyyy-mm-dd, e.g. 2026-04-03 or 2026-03-04',
        "Forecast!C4 (week): expected a date, got 123",
        'Forecast!C5 (week): expected a date, got "2026-02-30"',
        "Forecast!C6 (week): expected a date, got blank"]


def test_numbers_too_large_to_plan_with(make_book):
    # found by the fuzz test: a 1.8e299 safety stock overflowed to infinity in the Actions sheet
    sheets = {"Inventory": inventory(["A", "S", 5, 1.7976931348623156e+299],
                                     ["B", "S", "2e15", 1e15]),
              "Forecast": [["sku", "location", "week", "units"], ["A", "S", "2026-12-07", -3e20]]}
    assert problems(make_book, sheets) == [
        "Inventory!D2 (safety_stock): too large to plan with (limit 1e15), got 1.8e+299",
        'Inventory!C3 (on_hand): too large to plan with (limit 1e15), got "2e15"',
        "Forecast!D2 (units): too large to plan with (limit 1e15), got -3e+20"]


def test_campaign_messages(make_book):
    camp = [["campaign_id", "sku", "start", "end", "lift"],
            ["C1", "A", "2026-12-10", "2026-12-01", 0.1],
            ["C2", "A", "2026-12-01", "2026-12-10", 35],
            ["C3", "A", "2026-12-01", "2026-12-10", "-150%"],
            ["C1", "A", "2026-12-01", "2026-12-10", 0.2],
            [None, "A", "2026-12-01", "2026-12-10", None]]
    assert problems(make_book, {"Campaigns": camp}) == [
        "Campaigns!D2 (end): end 2026-12-01 is before start 2026-12-10",
        "Campaigns!E3 (lift): 35 looks like a percent; type 0.35 or 35% for +35%",
        "Campaigns!E4 (lift): lift must be above -1 (-100%), got -1.5",
        "Campaigns row 5: duplicate campaign C1 for sku A (also row 2)",
        "Campaigns!A6 (campaign_id): expected a campaign id, got blank",
        "Campaigns!E6 (lift): expected a number, got blank"]


def test_forecast_negative_and_duplicates(make_book):
    fc = [["sku", "location", "week", "units", "source"],
          ["A", "S", "2026-12-07", -1, "Planning"],
          ["A", "S", "2026-12-09", 1, "Planning"],
          ["A", "S", "2026-12-09", 1, "Marketing"]]
    assert problems(make_book, {"Forecast": fc}) == [
        "Forecast!D2 (units): must not be negative, got -1",
        "Forecast row 3: duplicate forecast for sku A at location S in week 2026-12-07 from "
        "Planning (also row 2)"]


def test_wide_forecast_cell_errors(make_book):
    fc = [["sku", "location", "2026-12-07", "2026-12-14"],
          ["A", "S", 1, "lots"],
          ["A", "S", -2, None]]
    assert problems(make_book, {"Forecast": fc}) == [
        'Forecast!D2 (2026-12-14): expected a number, got "lots"',
        "Forecast!C3 (2026-12-07): must not be negative, got -2",
        "Forecast!C3: duplicate forecast for sku A at location S in week 2026-12-07 "
        "(also C2)"]


def test_receipt_messages(make_book):
    rec = [["sku", "location", "due", "qty"], ["A", None, "2026-12-01", 5],
           ["A", "S", "13/13/2026", -5]]
    assert problems(make_book, {"Receipts": rec}) == [
        "Receipts!B2 (location): expected a location, got blank",
        'Receipts!C3 (due): expected a date, got "13/13/2026"',
        "Receipts!D3 (qty): must not be negative, got -5"]


def test_settings_messages(make_book):
    settings = [["horizon_weeks", 200], ["risk_buffer", "lots"], ["reconciliation", "magic"],
                ["as_of", "tomorrow"], ["horizon_weeks", 4], ["expedite_cost_per_unit", 1e300]]
    assert problems(make_book, {"Settings": settings}) == [
        "Settings!B1 (horizon_weeks): must be between 1 and 104, got 200",
        'Settings!B2 (risk_buffer): expected a number, got "lots"',
        'Settings!B3 (reconciliation): expected one of bottom_up, top_down, mint_ols, '
        'mint_wls_struct, none, got "magic"',
        'Settings!B4 (as_of): expected a date, got "tomorrow"',
        "Settings!A5 (horizon_weeks): setting given twice (also row 1)",
        "Settings!B6 (expedite_cost_per_unit): too large to plan with (limit 1e15), got 1e+300"]


def test_missing_sheet(make_book):
    # Inventory is optional when a Forecast exists (the consensus runs, the bridge does not);
    # with neither sheet there is nothing to do: both are reported
    with pytest.raises(ValidationError) as info:
        read_plan(make_book({"Inv": INV, "Fcst": FC}))
    assert [str(p) for p in info.value.problems] == [
        'required sheet "Inventory" not found (sheets in the workbook: "Inv", "Fcst")',
        'required sheet "Forecast" not found (sheets in the workbook: "Inv", "Fcst")']
    assert info.value.problems[0].kind == "layout"
    assert info.value.kind == "layout"


def test_inventory_is_optional_when_a_forecast_exists(make_book):
    from pysnop.core.model import INVENTORY_COLUMNS
    res = read_plan(make_book({"Inv": INV, "Forecast": FC}))
    assert list(res.inputs.inventory.columns) == INVENTORY_COLUMNS
    assert len(res.inputs.inventory) == 0 and len(res.inputs.forecast) > 0
    assert res.overrides is None


def test_missing_column(make_book):
    assert problems(make_book, {"Inventory": [["Stock list"], ["Item", "Store", "Qty"],
                                              ["A", "S", 1]]}) == [
        'Inventory row 2: missing required column "on_hand" (headers found: "Item", "Store", '
        '"Qty")']


def test_two_columns_same_meaning(make_book):
    assert problems(make_book, {"Inventory": [["Item", "Article", "location", "on_hand"],
                                              ["A", "B", "S", 1]]}) == [
        'Inventory row 1: two columns mean "sku": A1 "Item" and B1 "Article"; rename or '
        'delete one']


def test_all_problems_in_one_error(make_book):
    inv = inventory(["A", "S", "x"], ["B", "S", -1])
    camp = [["campaign_id", "sku", "start", "end", "lift"],
            ["C1", "A", "2026-12-01", "2026-12-10", 35]]
    with pytest.raises(ValidationError) as info:
        read_plan(make_book({"Inventory": inv, "Forecast": FC, "Campaigns": camp}))
    probs = info.value.problems
    assert len(probs) == 3
    assert {p.sheet for p in probs} == {"Inventory", "Campaigns"}
    assert [p.cell for p in probs] == ["E2", "C2", "C3"]
    assert str(info.value).count("\n") == 2


def test_cap_per_column(make_book):
    inv = [["sku", "location", "on_hand"]] + [[f"S{i}", "L", "x"] for i in range(60)]
    out = problems(make_book, {"Inventory": inv})
    assert len(out) == 51
    assert out[49] == 'Inventory!C51 (on_hand): expected a number, got "x"'
    assert out[50] == "Inventory!C (on_hand): ... and 10 more in this column"


def test_missing_file(tmp_path):
    with pytest.raises(FileAccessError) as info:
        read_plan(tmp_path / "nope.xlsx")
    assert "file not found" in str(info.value) and "nope.xlsx" in str(info.value)


def test_text_file_renamed(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_text("sku,location\nA,B\n")
    with pytest.raises(LayoutError) as info:
        read_plan(path)
    assert str(info.value) == ("plan.xlsx is not an Excel workbook (could not read it as "
                               ".xlsx/.xlsm/.xls/.ods)")


def test_zip_that_is_not_xlsx(tmp_path):
    path = tmp_path / "plan.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(LayoutError, match="plan.xlsx is not an Excel workbook"):
        read_plan(path)
