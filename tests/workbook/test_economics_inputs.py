"""The promotion economics columns of Campaigns and the Settings nonnegative / lift_source,
as the reader parses them: numbers where numbers are due, and every bad cell named."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pysnop.errors import ValidationError
from pysnop.workbook.read.reader import read_plan

D = dt.date
INV = [["sku", "location", "on_hand"], ["A", "S1", 10]]
FC = [["sku", "location", "week", "units"], ["A", "S1", D(2026, 12, 7), 5]]
CAMPAIGN_HEAD = ["campaign_id", "sku", "start", "end", "lift"]


def campaigns(header_more, *rows):
    return [CAMPAIGN_HEAD + list(header_more),
            *[["C" + str(i), "A", D(2026, 12, 7), D(2026, 12, 13), 0.5, *r]
              for i, r in enumerate(rows, start=1)]]


def read(make_book, sheets):
    return read_plan(make_book({"Inventory": INV, "Forecast": FC, **sheets}))


def problems(make_book, sheets) -> list[str]:
    with pytest.raises(ValidationError) as info:
        read(make_book, sheets)
    return [str(p) for p in info.value.problems]


def test_economics_columns_are_numbers_and_discount_takes_a_fraction_or_percent(make_book):
    got = read(make_book, {"Campaigns": campaigns(
        ["Promo price", "Discount", "Marketing spend", "Vendor funding"],
        [8.5, None, 1200, 0.5],
        [None, 0.2, "1,500", None],
        [None, "25%", None, "0.25"],
        [None, None, None, None])}).inputs.campaigns
    np.testing.assert_array_equal(got["promo_price"], [8.5, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(got["discount"], [np.nan, 0.2, 0.25, np.nan])
    np.testing.assert_array_equal(got["spend"], [1200, 1500, np.nan, np.nan])
    np.testing.assert_array_equal(got["funding"], [0.5, np.nan, 0.25, np.nan])


def test_a_sheet_without_economics_columns_has_none(make_book):
    got = read(make_book, {"Campaigns": campaigns([], [])}).inputs.campaigns
    assert not {"promo_price", "discount", "spend", "funding"} & set(got.columns)


def test_bad_economics_cells_are_each_named(make_book):
    assert problems(make_book, {"Campaigns": campaigns(
        ["promo_price", "discount", "spend", "funding"],
        ["cheap", 20, -5, "n/a"],
        [-1, "120%", "lots", -0.5],
        [None, -0.1, None, True])}) == [
        'Campaigns!F2 (promo_price): expected a number, got "cheap"',
        "Campaigns!G2 (discount): 20 looks like a percent; type 0.2 or 20% for 20% off",
        "Campaigns!H2 (spend): must not be negative, got -5",
        'Campaigns!I2 (funding): expected a number, got "n/a"',
        "Campaigns!F3 (promo_price): must not be negative, got -1",
        "Campaigns!G3 (discount): a discount is a fraction off unit_price between 0 and 1 "
        '(0% to 100%), got 1.2',
        'Campaigns!H3 (spend): expected a number, got "lots"',
        "Campaigns!I3 (funding): must not be negative, got -0.5",
        "Campaigns!G4 (discount): a discount is a fraction off unit_price between 0 and 1 "
        "(0% to 100%), got -0.1",
        "Campaigns!I4 (funding): expected a number, got True"]


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (False, False), ("FALSE", False), ("yes", True), ("no", False), (0, False),
    (1, True)])
def test_settings_nonnegative(make_book, value, expected):
    s = read(make_book, {"Settings": [["nonnegative", value]]}).inputs.settings
    assert s.nonnegative is expected


def test_settings_defaults_nonnegative_true_and_planned_lift(make_book):
    s = read(make_book, {"Settings": [["as_of", D(2026, 12, 7)]]}).inputs.settings
    assert s.nonnegative is True and s.lift_source == "planned"


@pytest.mark.parametrize(("value", "expected"), [
    ("learned", "learned"), ("Cautious", "cautious"), (" PLANNED ", "planned")])
def test_settings_lift_source(make_book, value, expected):
    s = read(make_book, {"Settings": [["Lift source", value]]}).inputs.settings
    assert s.lift_source == expected


def test_bad_settings_are_named_with_their_cell(make_book):
    assert problems(make_book, {"Settings": [["key", "value"], ["nonnegative", "maybe"],
                                             ["lift_source", "optimistic"]]}) == [
        'Settings!B2 (nonnegative): expected TRUE or FALSE, got "maybe"',
        'Settings!B3 (lift_source): expected one of planned, learned, cautious, '
        'got "optimistic"']
