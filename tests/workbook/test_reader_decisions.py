"""The reader's side of coordinated decisions: Lanes, Products order rules and substitutes,
Campaigns flexibility, the Settings that limit remedies — read under their aliases, every
mistake located on its cell, all at once."""

import datetime as dt
import math

import pytest

from pysnop.errors import ValidationError
from pysnop.workbook.read.reader import read_plan

D = dt.date


def base(**extra):
    sheets = {
        "Settings": [["key", "value"], ["as_of", D(2026, 11, 18)]],
        "Inventory": [["sku", "location", "on_hand"], ["A", "S1", 10], ["A", "S2", 10],
                      ["B", "S1", 5]],
        "Forecast": [["sku", "location", "week", "units"], ["A", "S1", D(2026, 11, 16), 1]],
    }
    sheets.update(extra)
    return sheets


def problems_of(path):
    with pytest.raises(ValidationError) as info:
        read_plan(path)
    return {p.where: p.reason for p in info.value.problems}


def test_lanes_settings_products_and_flexibility_are_read(make_book):
    path = make_book(base(
        Settings=[["key", "value"], ["as_of", D(2026, 11, 18)], ["Expedite max weeks", 2],
                  ["max_move_weeks", 3], ["Transfer cost", "0.5"]],
        Products=[["Item", "MOQ", "Order multiple", "Substitutes"], ["A", 40, 12, "B; C, B"],
                  ["B", None, None, None]],
        Campaigns=[["campaign_id", "sku", "start", "end", "lift", "Earliest start",
                    "Latest start"],
                   ["C1", "A", D(2026, 12, 1), D(2026, 12, 7), 0.3, D(2026, 11, 24), None]],
        **{"Transfer lanes": [["From", "To", "Transit", "Cost per unit"], ["S1", "S2", 2, 0.25],
                              ["S2", "S1", None, None]]}))
    read = read_plan(path)
    s = read.inputs.settings
    assert (s.expedite_max_weeks, s.max_move_weeks) == (2, 3)
    # not a field of Settings: kept, parsed, under its canonical name, where the actions
    # read it — and no "unknown setting" warning
    assert s.extra == {"transfer_cost_per_unit": 0.5}
    assert not any("unknown setting" in w.reason for w in read.warnings)
    prod = read.inputs.products.set_index("sku")
    assert prod.at["A", "moq"] == 40 and prod.at["A", "order_multiple"] == 12
    assert prod.at["A", "substitutes"] == ("B", "C")  # split on , and ;, repeats once
    assert prod.at["B", "substitutes"] == () and math.isnan(prod.at["B", "moq"])
    camp = read.inputs.campaigns
    assert camp.at[0, "earliest_start"] == dt.datetime(2026, 11, 24)
    assert camp["latest_start"].isna().all()
    lanes = read.inputs.lanes
    assert lanes[["from_location", "to_location"]].values.tolist() == [["S1", "S2"],
                                                                       ["S2", "S1"]]
    assert lanes["transit_weeks"].tolist()[0] == 2 and math.isnan(lanes.at[1, "transit_weeks"])
    assert lanes["cost_per_unit"].tolist()[0] == 0.25 and math.isnan(lanes.at[1,
                                                                              "cost_per_unit"])
    assert lanes["row"].tolist() == [2, 3]


def test_without_the_new_sheets_and_columns_the_inputs_read_as_before(make_book):
    read = read_plan(make_book(base(Products=[["sku", "category"], ["A", "toys"]])))
    assert read.inputs.lanes is None
    assert "moq" not in read.inputs.products and "substitutes" not in read.inputs.products
    assert "earliest_start" not in read.inputs.campaigns
    assert read.inputs.settings.expedite_max_weeks == 4  # the spec's defaults
    assert read.inputs.settings.max_move_weeks == 2


def test_every_mistake_is_located_at_once(make_book):
    path = make_book(base(
        Settings=[["key", "value"], ["as_of", D(2026, 11, 18)], ["expedite_max_weeks", 1.5],
                  ["max_move_weeks", "two"], ["transfer_cost_per_unit", -1]],
        Products=[["sku", "moq", "order_multiple"], ["A", -5, "a dozen"]],
        Campaigns=[["campaign_id", "sku", "start", "end", "lift", "earliest_start",
                    "latest_start"],
                   ["C1", "A", D(2026, 12, 1), D(2026, 12, 7), 0.3, D(2026, 12, 8),
                    D(2026, 11, 20)]],
        Lanes=[["from_location", "to_location", "transit_weeks", "cost_per_unit"],
               ["S1", "S2", 1.5, 0.2], ["S1", "S1", 1, None], [None, "S2", 1, -3]]))
    found = problems_of(path)
    assert found["Settings!B3"] == "expected a whole number of weeks, got 1.5"
    assert found["Settings!B4"] == 'expected a whole number of weeks, got "two"'
    assert found["Settings!B5"] == "must not be negative, got -1"
    assert "negative" in found["Products!B2"] and "number" in found["Products!C2"]
    assert found["Campaigns!G2"] == "latest_start 2026-11-20 is before earliest_start 2026-12-08"
    assert found["Lanes!C2"] == "expected a whole number of weeks, got 1.5"
    assert found["Lanes!B3"] == "a lane from S1 to itself"
    assert "blank" in found["Lanes!A4"] and "negative" in found["Lanes!D4"]


def test_lane_warnings_twice_listed_and_unknown_locations(make_book):
    path = make_book(base(
        Lanes=[["from_location", "to_location", "transit_weeks"], ["S1", "S2", 1],
               ["S1", "S2", 3], ["S1", "S9", 1]],
        Products=[["sku", "substitutes"], ["A", "A, B"]],
        Campaigns=[["campaign_id", "sku", "start", "end", "lift", "latest_start"],
                   ["C1", "A", D(2026, 12, 1), D(2026, 12, 7), 0.3, D(2026, 11, 24)]]))
    read = read_plan(path)
    warnings = {w.where: w.reason for w in read.warnings}
    assert warnings["Lanes row 3"] == "lane S1 -> S2 listed twice (also row 2); the first " \
                                      "row counts"
    assert warnings["Lanes!B4"] == "location S9 has no Inventory row; this lane moves nothing"
    assert warnings["Products!B2"].startswith("a SKU cannot be its own substitute")
    assert read.inputs.products.at[0, "substitutes"] == ("B",)
    assert warnings["Campaigns!F2"].startswith("the planned start 2026-12-01 is outside")
