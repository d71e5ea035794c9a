"""The Consensus sheet: layout, highlights, overrides and the S&OP review list."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from pysnop.core.consensus import consensus_baseline
from pysnop.core.model import Settings
from pysnop.workbook.ooxml.fastsheet import save_workbook
from pysnop.workbook.ooxml.xlcells import StyleBook
from pysnop.workbook.render.consensus import MAX_REVIEW, review_list, write_consensus_sheet

W1, W2 = pd.Timestamp("2026-11-16"), pd.Timestamp("2026-11-23")
AMBER = "FFFFEB9C"


def forecast(rows):
    return pd.DataFrame(rows, columns=["sku", "location", "category", "week", "units", "source"])


def render(tmp_path, consensus, settings):
    wb = openpyxl.Workbook()
    write_consensus_sheet(wb, consensus, StyleBook(wb), settings=settings,
                          as_of=dt.date(2026, 11, 16))
    path = tmp_path / "c.xlsx"
    with open(path, "wb") as handle:
        save_workbook(wb, handle)
    return path


def test_sources_base_consensus_flags_and_override(tmp_path):
    settings = Settings(reconciliation="bottom_up", divergence_threshold=0.2)
    fc = forecast([["=1+1", "S1", None, W1, 100, "Planning"],
                   ["=1+1", "S1", None, W1, 200, "Marketing"],
                   ["=1+1", "S1", None, W2, 100, "Planning"],
                   ["=1+1", "S1", None, W2, 110, "Marketing"],
                   ["B", "S1", None, W1, 10, "Planning"]])
    overrides = pd.DataFrame({"sku": ["B"], "location": ["S1"], "category": [None],
                              "week": [W1], "units": [12.0], "reason": ["new listing"]})
    c = consensus_baseline(fc, None, None, settings, overrides=overrides)
    path = render(tmp_path, c, settings)

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Consensus").to_python()
    head = rows[3]
    assert head[:head.index("")] == [
        "level", "category", "sku", "location", "week", "Marketing", "Planning", "base",
        "consensus", "method", "divergent", "divergent_sources", "override", "reason", "node"]
    data = {(r[head.index("node")], r[head.index("week")]): r for r in rows[4:]
            if r[head.index("node")]}
    # W1 at the leaf: base = mean(100, 200) = 150; both sources are 1/3 away → divergent
    r = data[("sku==1+1|location=S1", W1.date())]
    assert (r[head.index("base")], r[head.index("consensus")]) == (150, 150)
    assert r[head.index("divergent_sources")] == "Marketing, Planning"
    assert r[head.index("sku")] == "=1+1"  # text, never a formula
    # W2: mean(100, 110) = 105, both within 20% → not divergent
    r2 = data[("sku==1+1|location=S1", W2.date())]
    assert r2[head.index("divergent")] is False and r2[head.index("divergent_sources")] == ""
    # the override is locked and shown with its reason
    rb = data[("sku=B|location=S1", W1.date())]
    assert (rb[head.index("Planning")], rb[head.index("consensus")],
            rb[head.index("override")], rb[head.index("reason")]) == (10, 12, 12, "new listing")

    ws = openpyxl.load_workbook(path)["Consensus"]
    col = {}
    for cell in ws[4]:  # the table's header, up to the gap before the review list
        if cell.value is None:
            break
        col[cell.value] = cell.column
    by_key = {(row[col["node"] - 1].value, row[col["week"] - 1].value.date()): row
              for row in ws.iter_rows(min_row=5) if row[col["node"] - 1].value}
    w1 = by_key[("sku==1+1|location=S1", W1.date())]
    w2 = by_key[("sku==1+1|location=S1", W2.date())]
    assert w1[col["Marketing"] - 1].fill.fgColor.rgb == AMBER
    assert w1[col["Planning"] - 1].fill.fgColor.rgb == AMBER
    assert w2[col["Marketing"] - 1].fill.fgColor.rgb != AMBER
    assert w1[col["consensus"] - 1].number_format == "#,##0.0"
    assert w1[col["week"] - 1].number_format == "yyyy-mm-dd"
    assert by_key[("sku=B|location=S1", W1.date())][col["consensus"] - 1].font.b
    assert ws.freeze_panes == "F5"
    assert ws.auto_filter.ref == f"A4:{openpyxl.utils.get_column_letter(len(col))}" \
                                 f"{4 + len(c.table)}"

    # the review list: both sources at the leaf, 1 week each, gap ±1/3
    review = review_list(c)
    assert review[["node", "source", "weeks"]].values.tolist() == [
        ["sku==1+1|location=S1", "Marketing", 1], ["sku==1+1|location=S1", "Planning", 1]]
    assert review["gap"].tolist() == [pytest.approx(1 / 3), pytest.approx(-1 / 3)]
    assert "For the S&OP review: divergent sources" in rows[2]


def test_review_list_is_short_worst_gap_first(tmp_path):
    settings = Settings(reconciliation="bottom_up")
    rows = []
    for i in range(MAX_REVIEW + 5):
        rows.append([f"S{i:02d}", "L", None, W1, 100, "Planning"])
        rows.append([f"S{i:02d}", None, None, W1, 100 + 30 + i, "Marketing"])
    c = consensus_baseline(forecast(rows), None, None, settings)
    review = review_list(c)
    # each sku node: Marketing 130+i against a consensus of 100 (bottom_up keeps the leaf)
    assert len(review) == MAX_REVIEW + 5
    assert review["node"].iloc[0] == f"sku=S{MAX_REVIEW + 4:02d}"
    assert review["gap"].iloc[0] == pytest.approx((134 + MAX_REVIEW - 100) / 100)
    path = render(tmp_path, c, settings)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Consensus").to_python()
    head = sheet[3]
    k = head.index("gap") - 6
    listed = [r[k] for r in sheet[4:] if r[k]]
    assert len(listed) == MAX_REVIEW + 1
    assert listed[-1] == "… and 5 more: filter column 'divergent' for TRUE"


def test_no_divergence_says_so(tmp_path):
    settings = Settings(reconciliation="bottom_up")
    c = consensus_baseline(forecast([["A", "L", None, W1, 10, "Planning"]]), None, None,
                           settings)
    sheet = CalamineWorkbook.from_path(str(render(tmp_path, c, settings))) \
        .get_sheet_by_name("Consensus").to_python()
    assert "no source diverges from the consensus" in sheet[4]
    assert "equal: Planning 100%" in sheet[0][0]
