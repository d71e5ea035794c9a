"""The consensus follows the network: its leaves are the selling locations, a DC one only where
the Forecast gives it demand of its own, and the Consensus sheet says so (docs/semantics.md,
network)."""

from __future__ import annotations

import datetime as dt

from python_calamine import CalamineWorkbook

import pysnop.api as api

W1 = dt.date(2026, 11, 16)


def book(make_book, dc_forecast=None):
    fc = [["sku", "location", "category", "week", "units", "source"],
          ["A", "S1", None, W1, 30, "Planning"], ["A", "S2", None, W1, 10, "Planning"],
          [None, None, "Snacks", W1, 100, "Marketing"]]
    if dc_forecast is not None:
        fc.append(["A", "DC1", None, W1, dc_forecast, "Planning"])
    return make_book({
        "Settings": [["as_of", W1], ["reconciliation", "mint_wls_struct"]],
        "Locations": [["Store", "Type", "DC"], ["DC1", "DC", None], ["S1", None, "DC1"],
                      ["S2", None, "DC1"]],
        "Inventory": [["sku", "location", "on_hand", "category"], ["A", "DC1", 100, "Snacks"],
                      ["A", "S1", 10, "Snacks"], ["A", "S2", 10, "Snacks"]],
        "Forecast": fc})


def consensus_rows(path):
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Consensus").to_python()
    head = rows.index(next(r for r in rows if r and r[0] == "level"))
    cols = rows[head]
    return rows, [dict(zip(cols, r)) for r in rows[head + 1:] if r and r[0]]


def test_a_category_forecast_is_spread_over_the_stores_not_the_dc(make_book):
    path = book(make_book)
    report = api.recalc(path, backup=False)
    rows, table = consensus_rows(path)
    leaves = {r["location"]: r["consensus"] for r in table if r["level"] == "sku_location"}
    # MinT, WLS structural weights (w = leaves under a node): the forecast nodes are the
    # category (100, w 2) and S1 (30), S2 (10), each w 1. Minimise
    # (100 − b1 − b2)²/2 + (30 − b1)² + (10 − b2)²: with g = 100 − b1 − b2, b1 = 30 + g/2,
    # b2 = 10 + g/2, so g = 100 − 40 − g → g = 30: S1 45, S2 25. DC1 is no leaf (had it been
    # one, with no forecast of its own, it would have taken the gap: 60 of the 100).
    assert leaves == {"S1": 45.0, "S2": 25.0}
    assert "a DC (DC1) has a row only where the Forecast gives it demand of its own" in rows[2][0]
    # the bridge projects that consensus: S1's week-0 baseline is 45
    keys = report.result.keys
    i = keys.index[(keys["location"] == "S1")][0]
    assert report.result.baseline[i, 0] == 45.0


def test_a_dc_with_demand_of_its_own_is_a_leaf(make_book):
    path = book(make_book, dc_forecast=20)
    api.recalc(path, backup=False)
    _, table = consensus_rows(path)
    leaves = {r["location"]: r["consensus"] for r in table if r["level"] == "sku_location"}
    # three leaves of w 1 and the category (w 3): minimise (100 − Σb)²/3 + Σ(f − b)²;
    # b_i = f_i + g/3 with g = 100 − 60 − g → g = 20: S1 30 + 20/3, S2 10 + 20/3, DC1 20 + 20/3
    assert leaves.keys() == {"S1", "S2", "DC1"}
    assert abs(leaves["DC1"] - (20 + 20 / 3)) < 1e-6
    assert abs(leaves["S1"] - (30 + 20 / 3)) < 1e-6
