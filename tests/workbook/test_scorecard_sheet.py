"""The Scorecard sheet: blocks, figures, formats and charts (hand-made Scorecard)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from pysnop.core.scorecard import Scorecard, scorecard
from pysnop.workbook.ooxml.fastsheet import save_workbook
from pysnop.workbook.ooxml.xlcells import StyleBook
from pysnop.workbook.render.scorecard import write_scorecard_sheet

Q4A, Q4B, Q1 = pd.Timestamp("2026-12-21"), pd.Timestamp("2026-12-28"), pd.Timestamp("2027-01-04")
ACC_COLS = ["source", "cells", "wape", "bias", "naive_wape", "fva"]


def render(tmp_path, card, **kw):
    wb = openpyxl.Workbook()
    write_scorecard_sheet(wb, card, StyleBook(wb), as_of=dt.date(2027, 1, 11), **kw)
    path = tmp_path / "s.xlsx"
    with open(path, "wb") as handle:
        save_workbook(wb, handle)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Scorecard").to_python()
    return path, rows


def block(rows, title):
    i = next(k for k, r in enumerate(rows) if str(r[0]).startswith(title))
    head = rows[i + 1]
    width = head.index("") if "" in head else len(head)
    out = []
    for r in rows[i + 2:]:
        if r[0] in ("", None):
            break
        out.append(dict(zip(head[:width], r[:width])))
    return out


def test_blocks_and_charts(tmp_path):
    weekly = pd.DataFrame({
        "week": [Q4A, Q4B, Q1], "quarter": ["2026Q4", "2026Q4", "2027Q1"],
        "promoted_cells": [2, 0, 1], "promoted_stockouts": [1, 0, 0],
        "promo_stockout_rate": [0.5, np.nan, 0.0], "units_sold": [10.0, 20.0, 30.0],
        "on_hand_end": [100.0, 80.0, 50.0], "inventory_turn": [5.2, 13.0, 31.2],
        "weeks_of_supply": [10.0, 5.333, 2.5]})
    quarterly = pd.DataFrame({
        "quarter": ["2026Q4", "2027Q1"], "weeks": [2, 1], "promoted_cells": [2, 1],
        "promoted_stockouts": [1, 0], "promo_stockout_rate": [0.5, 0.0],
        "units_sold": [30.0, 30.0], "avg_on_hand": [90.0, 50.0],
        "inventory_turn": [8.667, 31.2], "weeks_of_supply": [5.333, 2.5]})
    accuracy = pd.DataFrame([["Consensus", 3, 0.1, 0.02, 0.3, 0.2],
                             ["Planning", 3, 0.2, -0.05, 0.3, 0.1]], columns=ACC_COLS)
    by_week = pd.DataFrame([[Q4A, "Planning", 1, 0.25, 0.25, np.nan, np.nan],
                            [Q1, "Planning", 1, 0.1, -0.1, 0.3, 0.2]],
                           columns=["week"] + ACC_COLS)
    by_quarter = pd.DataFrame([["2026Q4", "Planning", 1, 0.25, 0.25, np.nan, np.nan],
                               ["2027Q1", "Consensus", 1, 0.05, 0.05, 0.3, 0.25]],
                              columns=["quarter"] + ACC_COLS)
    card = Scorecard(weekly, quarterly, accuracy, by_week, by_quarter)
    path, rows = render(tmp_path, card, window_weeks=4,
                        weights={"Planning": 1.0, "Consensus": None})

    assert rows[0][0].startswith("pysnop S&OP scorecard · as of 2027-01-11 · accuracy over "
                                 "the trailing 4 weeks")
    acc = block(rows, "Accuracy by source")
    # sources alphabetically, the consensus last
    assert [a["source"] for a in acc] == ["Planning", "Consensus"]
    assert acc[0] == {"source": "Planning", "weight": 1.0, "cells": 3, "WAPE": 0.2,
                      "bias": -0.05, "naive WAPE": 0.3, "FVA": pytest.approx(0.1)}
    q = block(rows, "By quarter")
    assert [r["quarter"] for r in q] == ["2026Q4", "2027Q1"]
    assert q[0]["WAPE Planning"] == 0.25 and q[0]["WAPE Consensus"] == ""
    assert q[1]["FVA Consensus"] == 0.25 and q[1]["avg on hand"] == 50
    w = block(rows, "By week")
    assert [r["week"] for r in w] == [Q4A.date(), Q4B.date(), Q1.date()]
    assert w[0]["promo stockout rate"] == 0.5 and w[1]["promo stockout rate"] == ""
    assert w[2]["bias Planning"] == -0.1 and w[1]["WAPE Planning"] == ""

    ws = openpyxl.load_workbook(path)["Scorecard"]
    header = {c.value: c.column for c in ws[next(r for r in range(1, 40)
                                                 if ws.cell(r, 1).value == "week")]}
    first = next(r for r in range(1, 40) if ws.cell(r, 1).value == "week") + 1
    assert ws.cell(first, header["promo stockout rate"]).number_format == "0.0%"
    assert ws.cell(first, header["week"]).number_format == "yyyy-mm-dd"
    assert sorted(type(c).__name__ for c in ws._charts) == ["BarChart", "LineChart",
                                                            "LineChart"]


def test_stock_figures_without_recorded_forecasts(tmp_path):
    actuals = pd.DataFrame({"sku": ["A", "A"], "location": ["L", "L"],
                            "week": [Q4A, Q4B], "units": [10.0, 30.0],
                            "on_hand_end": [40.0, 20.0], "stockout": [None, None]})
    card = scorecard(actuals, None)
    path, rows = render(tmp_path, card)
    assert any(str(r[0]).startswith("no recorded forecasts to score yet") for r in rows)
    w = block(rows, "By week")
    # turn = 30 / 20 × 52; weeks of supply = 20 / mean(10, 30)
    assert w[1]["inventory turn"] == pytest.approx(78.0)
    assert w[1]["weeks of supply"] == pytest.approx(1.0)
    assert [r["units sold"] for r in w] == [10, 30]
    charts = openpyxl.load_workbook(path)["Scorecard"]._charts
    assert sorted(type(c).__name__ for c in charts) == ["BarChart", "LineChart"]
