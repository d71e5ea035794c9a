"""Reading the network: the Locations sheet, the same columns on Inventory, Products pack_size;
every network mistake located on its cell under the header as typed (docs/semantics.md,
network)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from click.testing import CliRunner

from pysnop.cli.main import cli
from pysnop.core.locations import resolve_network
from pysnop.errors import ValidationError
from pysnop.workbook.read.reader import read_plan

FC = [["sku", "location", "week", "units"], ["A", "S1", dt.date(2026, 12, 7), 5]]


def errors(make_book, sheets) -> list[str]:
    with pytest.raises(ValidationError) as info:
        read_plan(make_book({"Forecast": FC, **sheets}))
    return [str(p) for p in info.value.problems]


def test_locations_sheet_aliases_title_rows_and_types(make_book):
    # sheet "Stores", two title rows, headers Store / Type / DC / Transit (aliases)
    stores = [["Our network"], ["updated weekly"],
              ["Store", "Type", "DC", "Transit", "Manager"],
              ["DC1", " DC ", None, None, "Ann"],
              [101, None, "DC1", 2, "Bo"],          # a numeric code reads as text "101"
              ["W1", "Online", "DC1", "0", None]]   # a text number is a number
    inv = [["sku", "location", "on_hand"], ["A", "DC1", 5], ["A", "101", 1], ["A", "W1", 1]]
    res = read_plan(make_book({"Stores": stores, "Inventory": inv, "Forecast": FC}))
    locs = res.inputs.locations
    assert list(locs.columns) == ["location", "role", "supplied_by", "transit_weeks", "row"]
    assert locs["location"].tolist() == ["DC1", "101", "W1"]
    assert locs["role"].tolist() == ["DC", None, "Online"]  # read as typed; core folds case
    assert locs["supplied_by"].tolist() == [None, "DC1", "DC1"]
    np.testing.assert_array_equal(locs["transit_weeks"], [np.nan, 2, 0])
    assert locs["row"].tolist() == [4, 5, 6]
    assert res.layouts["Locations"].name == "Stores"
    assert res.layouts["Locations"].headers["supplied_by"] == "DC"
    lay = resolve_network(res.inputs.inventory, locs, res.inputs.products)
    assert list(lay.role) == ["dc", "store", "online"]
    assert list(lay.supplied_by) == [None, "DC1", "DC1"]
    assert list(lay.transit) == [1, 2, 0]  # DC1: not fed, the default 1


@pytest.mark.parametrize("sheet, headers", [
    ("Sites", ["Site", "Kind", "Source", "Transit weeks"]),
    ("Locations", ["location", "role", "Parent", "transit_weeks"]),
    ("locations", ["Location code", "Location type", "Supplied by", "Transit time"]),
])
def test_other_aliases(make_book, sheet, headers):
    rows = [headers, ["DC1", "dc", None, None], ["S1", "store", "DC1", 3]]
    inv = [["sku", "location", "on_hand"], ["A", "S1", 1], ["A", "DC1", 1]]
    res = read_plan(make_book({sheet: rows, "Inventory": inv, "Forecast": FC}))
    assert res.inputs.locations[["location", "role", "supplied_by"]].values.tolist() == [
        ["DC1", "dc", None], ["S1", "store", "DC1"]]
    assert res.inputs.locations["transit_weeks"].tolist()[1] == 3


def test_locations_as_an_excel_table(make_book):
    rows = [["Store", "Type", "DC"], ["DC1", "dc", None], ["S1", None, "DC1"]]
    inv = [["sku", "location", "on_hand"], ["A", "S1", 1]]
    res = read_plan(make_book({"Network map": rows, "Inventory": inv, "Forecast": FC},
                              tables={"Network map": "Locations"}, start={"Network map": "B3"}))
    assert res.inputs.locations["location"].tolist() == ["DC1", "S1"]
    assert res.inputs.locations["row"].tolist() == [4, 5]
    assert res.layouts["Locations"].table == "Locations"


def test_inventory_cells_win_blank_inherits_and_direct(make_book):
    locs = [["location", "role", "supplied_by", "transit_weeks"],
            ["DC1", "dc", None, None], ["S1", None, "DC1", 2], ["S2", None, "DC1", None]]
    inv = [["Item", "Store", "SOH", "Type", "Supplied by", "Transit", "Case pack"],
           ["A", "DC1", 50, None, None, None, None],
           ["A", "S1", 1, None, None, None, None],        # all inherited: DC1, 2 weeks, pack 6
           ["A", "S2", 1, None, None, 3, 4],               # transit 3 and pack 4 win
           ["B", "S1", 1, None, "Direct", None, None],     # DSD: not fed for B
           ["B", "S3", 1, "online", "DC1", 0, None]]       # not on Locations: its own cells
    products = [["sku", "Pack size"], ["A", 6], ["B", 12]]
    res = read_plan(make_book({"Locations": locs, "Inventory": inv, "Products": products,
                               "Forecast": FC}))
    inv_read = res.inputs.inventory
    assert list(inv_read.columns)[-5:] == ["role", "supplied_by", "transit_weeks",
                                           "pack_size", "row"]
    assert inv_read["supplied_by"].tolist() == [None, None, None, "Direct", "DC1"]
    assert res.inputs.products["pack_size"].tolist() == [6, 12]
    lay = resolve_network(inv_read, res.inputs.locations, res.inputs.products)
    assert lay.errors == []
    # S3 draws B from DC1, which has no B row: projected from on-hand 0 (a warning)
    assert [str(p) for p in lay.problems] == [
        "Inventory: no Inventory row for sku B at DC DC1, which supplies S3: projected from "
        "on-hand 0, safety stock 0 and lead time 0"]
    # the last row is DC1's added row for B
    assert list(lay.role) == ["dc", "store", "store", "store", "online", "dc"]
    assert list(lay.supplied_by) == [None, "DC1", "DC1", None, "DC1", None]
    assert list(lay.direct) == [False, False, False, True, False, False]
    assert list(lay.transit) == [1, 2, 3, 2, 0, 1]  # B at S1 inherits 2 (unused: direct)
    # a store's pack: Inventory's, else the SKU's on Products; a DC and online never pack
    np.testing.assert_array_equal(lay.pack, [np.nan, 6, 4, 12, np.nan, np.nan])


def test_dc_beside_store_on_inventory_names_the_supplier(make_book):
    # "DC" alone is the location (as before); beside "Store" it is the supplying DC
    inv = [["Item", "Store", "DC", "On hand"], ["A", "S1", "DC1", 1], ["A", "DC1", None, 9]]
    locs = [["Store", "Type"], ["DC1", "dc"]]
    res = read_plan(make_book({"Inventory": inv, "Locations": locs, "Forecast": FC}))
    assert res.inputs.inventory["location"].tolist() == ["S1", "DC1"]
    assert res.inputs.inventory["supplied_by"].tolist() == ["DC1", None]
    alone = read_plan(make_book({"Inventory": [["Item", "DC", "On hand"], ["A", "DC1", 9]],
                                 "Forecast": FC}))
    assert alone.inputs.inventory["location"].tolist() == ["DC1"]


def test_without_network_data_the_read_is_as_before(make_book):
    inv = [["sku", "location", "on_hand"], ["A", "S1", 1]]
    res = read_plan(make_book({"Inventory": inv, "Products": [["sku"], ["A"]],
                               "Forecast": FC}))
    assert list(res.inputs.inventory.columns) == [
        "sku", "location", "on_hand", "safety_stock", "lead_time_weeks", "unit_cost",
        "unit_price", "unit_margin", "category", "row"]
    assert list(res.inputs.products.columns) == [
        "sku", "category", "description", "unit_cost", "unit_price", "unit_margin", "row"]
    assert res.inputs.locations is None
    # a header-only Locations sheet is no network either
    res = read_plan(make_book({"Inventory": inv, "Locations": [["location", "role"]],
                               "Forecast": FC}))
    assert res.inputs.locations is None


def test_every_network_mistake_at_once_on_its_cell(make_book):
    stores = [["Store", "Type", "DC", "Transit"],
              ["DC1", "dc", None, None],                 # row 2
              ["DC2", "DC", "DC1", None],                # row 3: a fed DC (two DC levels)
              ["S1", None, "S2", None],                  # row 4: S2 is a store
              ["S2", "warehouse", None, None],           # row 5: no such role
              ["S3", None, "DC1", 1.5],                  # row 6: not whole weeks
              ["S3", None, "DC1", None],                 # row 7: listed twice
              ["S4", None, "DC1", "two"]]                # row 8: not a number
    inv = [["sku", "location", "on_hand", "Case pack", "Supplied by", "Transit"],
           ["A", "S1", 1, 0, None, None],                # row 2: pack 0
           ["A", "S3", 1, None, "NOPE", None],           # row 3: unknown supplier
           ["A", "S4", 1, None, None, -1],               # row 4: negative transit
           ["A", "DC1", 1, "a case", None, None]]        # row 5: pack not a number
    products = [["sku", "Pack"], ["A", -6]]
    assert errors(make_book, {"Stores": stores, "Inventory": inv, "Products": products}) == [
        # sheet by sheet in the order their first problem was met, then by row
        "Inventory!D2 (Case pack): expected a number of units above 0, got 0",
        "Inventory!E3 (Supplied by): supplied_by NOPE for sku A at S3 is not a DC (not a known "
        "location)",
        "Inventory!F4 (Transit): expected whole weeks, 0 or more, got -1",
        'Inventory!D5 (Case pack): expected a number, got "a case"',
        "Stores!C3 (DC): DC DC2 is supplied by DC1: a DC orders from its supplier itself "
        "(one DC level)",
        "Stores!C4 (DC): supplied_by S2 is not a DC (its role is store)",
        'Stores!B5 (Type): expected store, dc or online, got "warehouse"',
        "Stores!D6 (Transit): expected whole weeks, 0 or more, got 1.5",
        "Stores!A7 (Store): location S3 is listed twice (first on row 6)",
        'Stores!D8 (Transit): expected a number, got "two"',
        "Products!B2 (Pack): expected a number of units above 0, got -6",
    ]


def test_network_errors_come_with_the_other_errors(make_book):
    inv = [["sku", "location", "on_hand", "supplied_by"], ["A", "S1", "n/a", "S9"]]
    assert errors(make_book, {"Inventory": inv}) == [
        'Inventory!C2 (on_hand): expected a number, got "n/a"',
        "Inventory!D2 (supplied_by): supplied_by S9 for sku A at S1 is not a DC (not a known "
        "location)"]


def test_a_dc_without_an_inventory_row_is_a_warning_not_an_error(make_book):
    locs = [["location", "role", "supplied_by"], ["DC1", "dc", None], ["S1", None, "DC1"]]
    inv = [["sku", "location", "on_hand"], ["A", "S1", 1]]
    res = read_plan(make_book({"Locations": locs, "Inventory": inv, "Forecast": FC}))
    assert res.warnings == []  # the bridge warns (every door runs it), not the reader too
    book = make_book({"Locations": locs, "Inventory": inv, "Forecast": FC})
    result = CliRunner().invoke(cli, ["check", str(book), "--as-of", "2026-12-02"])
    assert result.exit_code == 0, result.output
    assert "no Inventory row for sku A at DC DC1, which supplies S1" in result.output


def test_a_broken_network_writes_nothing(make_book):
    locs = [["location", "role", "supplied_by"], ["S1", None, "S2"], ["S2", None, None]]
    inv = [["sku", "location", "on_hand"], ["A", "S1", 1], ["A", "S2", 1]]
    book = make_book({"Locations": locs, "Inventory": inv, "Forecast": FC})
    before = book.read_bytes()
    result = CliRunner().invoke(cli, ["recalc", str(book), "--as-of", "2026-12-02"])
    assert result.exit_code == 1
    assert "Locations!C2 (supplied_by): supplied_by S2 is not a DC (its role is store)" \
        in result.output
    assert "Traceback" not in result.output
    assert book.read_bytes() == before
    assert not (book.parent / (book.name + ".bak")).exists()
