"""Reading well-formed workbooks: layouts, aliases, tables, text keys, dates, wide forecast."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from pysnop.workbook.read.grid import CalamineSource, Grid
from pysnop.workbook.read.reader import read_plan
from pysnop.workbook.read.schema import alias_table_markdown

INV = [["sku", "location", "on_hand"], ["00123", "S01", 10]]
FC = [["sku", "location", "week", "units"], ["00123", "S01", dt.date(2026, 12, 7), 5]]


def ts(text):
    return pd.Timestamp(text)


def test_minimal_book(make_book):
    res = read_plan(make_book({"Inventory": INV, "Forecast": FC}))
    inv = res.inputs.inventory
    assert list(inv.columns) == ["sku", "location", "on_hand", "safety_stock",
                                 "lead_time_weeks", "unit_cost", "unit_price", "unit_margin",
                                 "category", "row"]
    first = inv.iloc[0]
    assert first[["sku", "location", "on_hand", "safety_stock", "category", "row"]].tolist() \
        == ["00123", "S01", 10.0, 0.0, None, 2]
    assert inv["on_hand"].dtype == np.float64 and inv["sku"].dtype == object
    assert math.isnan(inv["unit_cost"][0])
    fc = res.inputs.forecast
    assert fc["week"].dtype == "datetime64[ns]"
    assert fc.iloc[0]["week"] == ts("2026-12-07") and fc.iloc[0]["units"] == 5.0
    assert res.inputs.campaigns.empty and list(res.inputs.campaigns.columns)[-1] == "row"
    assert res.inputs.products is None and res.inputs.actuals is None
    assert res.warnings == []
    assert set(res.layouts) == {"Inventory", "Forecast"}


def test_title_rows_aliases_and_layout(make_book):
    inv = [["Inventory position"], ["as of Monday"], [],
           ["Item code", "Extra", "Store", "Stock on hand", "Safety", "Lead time (weeks)",
            "Cost", "Retail price", "Margin", "Category"],
           ["00123", "x", "S01", 10, 2, 3, 1.5, 4, 2.5, "Food"]]
    res = read_plan(make_book({"inventory": inv, "FORECAST": FC}))
    row = res.inputs.inventory.iloc[0]
    assert (row["sku"], row["location"], row["on_hand"], row["safety_stock"],
            row["lead_time_weeks"], row["unit_cost"], row["unit_price"], row["unit_margin"],
            row["category"], row["row"]) == ("00123", "S01", 10, 2, 3, 1.5, 4, 2.5, "Food", 5)
    lay = res.layouts["Inventory"]
    assert lay.name == "inventory" and lay.header_row == 4 and lay.last_row == 5
    assert lay.columns["location"] == 3 and lay.headers["on_hand"] == "Stock on hand"
    assert lay.last_col == 10 and lay.table is None


def test_header_spaces_underscores_dashes(make_book):
    inv = [["SKU", "Location", "On-Hand", "safety stock"], ["A", "S", 1, 2]]
    res = read_plan(make_book({"Inventory": inv, "Forecast": FC}))
    assert res.inputs.inventory.iloc[0]["safety_stock"] == 2


def test_exact_header_wins_over_alias(make_book):
    inv = [["Item", "sku", "location", "on_hand"], ["X1", "A", "S", 1]]
    res = read_plan(make_book({"Inventory": inv, "Forecast": FC}))
    assert res.inputs.inventory.iloc[0]["sku"] == "A"


def test_excel_table_at_offset(make_book):
    rows = [["Item", "Store", "On hand"], ["00123", "S01", 7], [123, "S02", 8]]
    path = make_book({"Inventory": rows, "Forecast": FC}, tables={"Inventory": "InvTable"},
                     start={"Inventory": "C4"})
    res = read_plan(path)
    inv = res.inputs.inventory
    assert inv["sku"].tolist() == ["00123", "123"]
    assert inv["row"].tolist() == [5, 6]
    lay = res.layouts["Inventory"]
    assert (lay.header_row, lay.columns["sku"], lay.table) == (4, 3, "InvTable")
    assert CalamineSource(path).tables() == [("InvTable", "Inventory", "C4:E6")]


def test_table_beside_other_content(make_book):
    rows = [["Notes: stock counted Sunday"], [], ["sku", "location", "on_hand"], ["A", "S", 1]]
    res = read_plan(make_book({"Inventory": rows, "Forecast": FC},
                              tables={"Inventory": ("Stock", 2)}, start={"Inventory": "B2"}))
    assert res.inputs.inventory["row"].tolist() == [5]
    assert res.layouts["Inventory"].table == "Stock"


def test_text_keys_keep_zeros_and_numbers_read_as_text(make_book):
    inv = [["sku", "location", "on_hand"], ["00123", " S01 ", 1], [123, 7.0, 2], [12.5, "S", 3]]
    res = read_plan(make_book({"Inventory": inv, "Forecast": FC}))
    inv = res.inputs.inventory
    assert inv["sku"].tolist() == ["00123", "123", "12.5"]
    assert inv["location"].tolist() == ["S01", "7", "S"]
    assert all(isinstance(v, str) for v in inv["sku"])


def test_numeric_text_accepted_and_blank_optional(make_book):
    inv = [["sku", "location", "on_hand", "safety_stock", "unit_cost"],
           ["A", "S", " 12 ", None, "2.5"], ["B", "S", "12.5", "", None]]
    inv = read_plan(make_book({"Inventory": inv, "Forecast": FC})).inputs.inventory
    assert inv["on_hand"].tolist() == [12.0, 12.5]
    assert inv["safety_stock"].tolist() == [0.0, 0.0]
    assert inv["unit_cost"][0] == 2.5 and math.isnan(inv["unit_cost"][1])


@pytest.mark.parametrize("value,expected", [
    (dt.date(2026, 12, 1), "2026-12-01"),
    (dt.datetime(2026, 12, 1, 15, 30), "2026-12-01"),
    (46357, "2026-12-01"),
    ("2026-12-01", "2026-12-01"),
    ("2026-12-01 08:00", "2026-12-01"),
    ("2026-12-01T08:00:00", "2026-12-01"),
    ("2026-W49", "2026-11-30"),
    ("2026-W49-3", "2026-12-02"),
    ("2026w49", "2026-11-30"),
    ("25/12/2026", "2026-12-25"),
    ("12/25/2026", "2026-12-25"),
    ("25.12.2026", "2026-12-25"),
    ("05/05/2026", "2026-05-05"),
    ("1 Dec 2026", "2026-12-01"),
    ("1 December 2026", "2026-12-01"),
    ("Dec 1, 2026", "2026-12-01"),
    ("01-Dec-2026", "2026-12-01"),
])
def test_date_forms(make_book, value, expected):
    fc = [["sku", "location", "week", "units"], ["A", "S", value, 1]]
    res = read_plan(make_book({"Inventory": INV, "Forecast": fc}))
    assert res.inputs.forecast["week"][0] == ts(expected)


def test_wide_forecast(make_book):
    fc = [["Baseline forecast"],
          ["sku", "location", dt.date(2026, 12, 7), "2026-12-14", "2026-W52", "note"],
          ["00123", "S01", 5, None, 7, "x"],
          ["00124", "S01", None, 3, "", None]]
    res = read_plan(make_book({"Inventory": INV, "Forecast": fc}))
    f = res.inputs.forecast
    assert list(f.columns) == ["sku", "location", "week", "units", "source", "category", "row"]
    assert f["sku"].tolist() == ["00123", "00123", "00124"]
    assert f["week"].tolist() == [ts("2026-12-07"), ts("2026-12-21"), ts("2026-12-14")]
    assert f["units"].tolist() == [5.0, 7.0, 3.0]
    assert f["row"].tolist() == [3, 3, 4]


def test_forecast_higher_levels(make_book):
    fc = [["category", "sku", "location", "week", "units", "source"],
          ["Food", None, None, "2026-12-07", 100, "Marketing"],
          ["Food", "00123", None, "2026-12-07", 40, "Merchandising"],
          ["Food", "00123", "S01", "2026-12-07", 20, "Planning"],
          ["Toys", None, None, "2026-12-07", 100, "Marketing"]]
    f = read_plan(make_book({"Inventory": INV, "Forecast": fc})).inputs.forecast
    assert f["sku"].tolist() == [None, "00123", "00123", None]
    assert f["location"].tolist() == [None, None, "S01", None]
    assert f["source"].tolist() == ["Marketing", "Merchandising", "Planning", "Marketing"]


def test_forecast_category_only(make_book):
    fc = [["Category", "Week of", "Forecast"], ["Food", "2026-12-07", 100]]
    f = read_plan(make_book({"Inventory": INV, "Forecast": fc})).inputs.forecast
    assert f.iloc[0]["category"] == "Food" and f.iloc[0]["sku"] is None
    assert f.iloc[0]["units"] == 100


def test_campaigns(make_book):
    camp = [["Promo calendar 2026"],
            ["Promo id", "Item", "Start date", "End date", "Uplift", "Status", "Locations",
             "Name", "Channel", "Owner", "Supply: status", "Supply: coverage"],
            ["P1", "00123", "2026-12-01", dt.date(2026, 12, 14), 0.35, None, None, "Xmas",
             "TV", "Ann", "OK", 1.2],
            ["P2", 123, "1 Dec 2026", "2026-12-02", "35%", "confirmed", "S01; S02,S03", None,
             None, None, None, None],
            ["P3", "00123", "2026-12-01", "2026-12-01", -0.2, "CANCELLED", "all"]]
    res = read_plan(make_book({"Inventory": INV, "Forecast": FC, "Campaigns": camp}))
    c = res.inputs.campaigns
    assert c["campaign_id"].tolist() == ["P1", "P2", "P3"]
    assert c["sku"].tolist() == ["00123", "123", "00123"]
    assert c["start"].tolist() == [ts("2026-12-01")] * 3
    assert c["end"].tolist() == [ts("2026-12-14"), ts("2026-12-02"), ts("2026-12-01")]
    assert c["lift"].tolist() == pytest.approx([0.35, 0.35, -0.2])
    assert c["status"].tolist() == ["Planned", "Confirmed", "Cancelled"]
    assert c["locations"].tolist() == [(), ("S01", "S02", "S03"), ()]
    assert c["name"].tolist() == ["Xmas", None, None]
    assert c["row"].tolist() == [3, 4, 5]
    assert "supply_status" not in c.columns
    assert res.layouts["Campaigns"].last_col == 12


def test_unknown_campaign_status_is_warning(make_book):
    camp = [["campaign_id", "sku", "start", "end", "lift", "status"],
            ["P1", "A", "2026-12-01", "2026-12-02", 0.1, "Tentative"]]
    res = read_plan(make_book({"Inventory": INV, "Forecast": FC, "Campaigns": camp}))
    assert res.inputs.campaigns["status"][0] == "Tentative"
    assert [str(w) for w in res.warnings] == [
        'Campaigns!F2 (status): unknown status "Tentative", kept as typed; expected Draft, '
        'Planned, Confirmed or Cancelled']
    assert res.warnings[0].severity == "warning"


def test_receipts_drop_received_and_cancelled(make_book):
    rec = [["PO number", "sku", "location", "ETA", "Quantity", "status"],
           ["PO1", "00123", "S01", "2026-12-10", 50, "Open"],
           ["PO2", "00123", "S01", "not a date", "n/a", "Received"],
           [1001, "00123", "S01", dt.date(2026, 12, 20), 20, "cancelled"],
           [1002, "00123", "S01", dt.date(2026, 12, 24), 30, None]]
    r = read_plan(make_book({"Inventory": INV, "Forecast": FC, "Receipts": rec})).inputs.receipts
    assert r["po_id"].tolist() == ["PO1", "1002"]
    assert r["qty"].tolist() == [50.0, 30.0]
    assert r["due"].tolist() == [ts("2026-12-10"), ts("2026-12-24")]
    assert r["row"].tolist() == [2, 5]


def test_products_and_actuals(make_book):
    prod = [["Article", "Description", "Category", "Cost", "Price"], ["00123", "Tea", "Food", 1, 3]]
    act = [["sku", "location", "week", "units", "on_hand_end", "stockout"],
           ["00123", "S01", "2026-11-30", 4, 6, False],
           ["00123", "S01", "2026-11-23", 5, None, "yes"],
           ["00123", "S01", "2026-11-16", 5, 0, None]]
    res = read_plan(make_book({"Inventory": INV, "Forecast": FC, "Products": prod,
                               "Actuals": act}))
    p = res.inputs.products
    assert p.iloc[0][["sku", "description", "category", "unit_cost", "unit_price"]].tolist() \
        == ["00123", "Tea", "Food", 1.0, 3.0]
    a = res.inputs.actuals
    assert a["stockout"].tolist() == [False, True, None]
    assert a["units"].tolist() == [4.0, 5.0, 5.0]


def test_settings(make_book):
    settings = [["Planning settings"], ["Setting", "Value"],
                ["as of", "2026-12-02"], ["horizon_weeks", 6],
                ["count statuses", "confirmed; Planned"], ["risk_buffer", "10%"],
                ["reconciliation", "Bottom up"], ["my note", "hello"],
                [], ["Approvers"], ["name", "function"], ["Ann", "Supply"]]
    res = read_plan(make_book({"Settings": settings, "Inventory": INV, "Forecast": FC}))
    s = res.inputs.settings
    assert s.as_of == dt.date(2026, 12, 2) and s.horizon_weeks == 6
    assert s.count_statuses == ("Confirmed", "Planned")
    assert s.risk_buffer == pytest.approx(0.1) and s.reconciliation == "bottom_up"
    assert s.transfer_lead_weeks == 1 and s.extra == {"my note": "hello"}
    assert [str(w) for w in res.warnings] == [
        "Settings!A8 (my note): unknown setting, kept but not used"]
    assert res.layouts["Settings"].header_row == 2


def test_as_of_override(make_book):
    settings = [["as_of", dt.date(2026, 12, 2)]]
    res = read_plan(make_book({"Settings": settings, "Inventory": INV, "Forecast": FC}),
                    as_of=dt.date(2027, 1, 4))
    assert res.inputs.settings.as_of == dt.date(2027, 1, 4)


def test_empty_and_header_only_optional_sheets(make_book):
    res = read_plan(make_book({"Inventory": INV, "Forecast": FC, "Campaigns": [],
                               "Receipts": [["sku", "location", "due", "qty"]]}))
    assert res.inputs.campaigns.empty and res.inputs.receipts.empty
    assert res.layouts["Receipts"].last_row == 1


def test_blank_rows_skipped(make_book):
    inv = [["sku", "location", "on_hand"], ["A", "S", 1], [None], ["", " ", None], ["B", "S", 2]]
    inv = read_plan(make_book({"Inventory": inv, "Forecast": FC})).inputs.inventory
    assert inv["row"].tolist() == [2, 5]


class _MemorySource:
    def __init__(self, sheets):
        self.sheets = sheets

    def sheet_names(self):
        return list(self.sheets)

    def grid(self, sheet):
        return Grid(sheet, self.sheets[sheet], 1, 1)

    def tables(self):
        return []


def test_any_grid_source():
    res = read_plan(_MemorySource({"Inventory": INV, "Forecast": FC}))
    assert res.inputs.inventory["sku"].tolist() == ["00123"]


def test_alias_table_markdown():
    md = alias_table_markdown()
    assert "| Inventory | `on_hand` | yes | On hand, SOH, Stock on hand" in md


def test_many_rows(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Inventory")
    ws.append(["sku", "location", "on_hand"])
    for i in range(2000):
        ws.append([f"{i:05d}", "S1", i])
    ws = wb.create_sheet("Forecast")
    ws.append(["sku", "location", "week", "units"])
    for i in range(8000):
        ws.append([f"{i // 10:05d}", "S1", dt.date(2026, 12, 7) + dt.timedelta(weeks=i % 10), 1])
    path = tmp_path / "big.xlsx"
    wb.save(path)
    res = read_plan(path)
    assert len(res.inputs.forecast) == 8000
    assert np.isclose(res.inputs.inventory["on_hand"].sum(), sum(range(2000)))


def test_required_sheet_found_as_named_table(make_book):
    rows = [["sku", "location", "on_hand"], ["A", "S", 3]]
    res = read_plan(make_book({"Data": rows, "Forecast": FC}, tables={"Data": "Inventory"},
                              start={"Data": "B3"}))
    assert res.inputs.inventory["on_hand"].tolist() == [3.0]
    assert res.layouts["Inventory"].name == "Data"
    assert res.layouts["Inventory"].table == "Inventory"
