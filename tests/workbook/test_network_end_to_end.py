"""A network workbook end to end: its Bridge read back as Excel shows it on open (python-calamine,
cached values), checked cell by cell against numbers worked by hand from the network's rules
(docs/semantics.md, network); bridge.csv adds up; the chart and the console show DC rows;
a workbook without network data keeps the Bridge it had before the network existed."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from network_books import AS_OF, W0, W1, W2, flat_sheets, network_sheets
from python_calamine import CalamineWorkbook

import pysnop.api as api
from pysnop.cli.main import cli

D = dt.date
GOLDEN = Path(__file__).parent / "data" / "flat_bridge_before_network.json"

# The working. Week 0 = Mon 2026-11-16 (as of Wed 11-18), horizon 3, risk_buffer 0.25 (the
# default), safety stock 0 everywhere. B(a) = a fed row's balance entering week a; need =
# threshold − (B(a) + receipts − demand), up in packs; the DC meets Q = Σ need + direct demand
# from A = its balance + receipts, else f = A / Q and shares floored to packs.
#
# SKU A (no campaign: thresholds 0). DC1 on hand 30, lead 2, PO 12 in week 1; S01 (pack 6
# from Products) on hand 10, demand 10; S02 (pack 4 on Inventory) on hand 4, demand 8;
# WEB (online, transit 0, no packs) on hand 0, demand 5. Transit 1 for S01, S02.
#   t=0: S01 B(1) = 10−10 = 0, need 10 → 12; S02 B(1) = 4−8 = −4, need 12 → 12; WEB B(0) = 0,
#        need 5. Q = 29 ≤ A = 30: all met; DC1 keeps 1.
#   t=1: S01 B(2) = 0+12−10 = 2, need 8 → 12; S02 B(2) = −4+12−8 = 0, need 8 → 8; WEB B(1) =
#        0+5−5 = 0, need 5. Q = 25, A = 1+12 = 13: f = 0.52. S01 6.24 → 6 (remainder 0.24),
#        S02 4.16 → 4 (0.16), WEB 2.6. Left 0.4: S01's next pack (6) does not fit: stop.
#        DC1 keeps 0.4.
#   t=2: S01, S02 would arrive in week 3 > H−1: nothing. WEB B(2) = 0+2.6−5 = −2.4, need 7.4;
#        A = 0.4: WEB gets 0.4.
#   Rows: S01 B(1..3) = 0, 2, 2+6−10 = −2. S02 −4, 0, 0+4−8 = −4. WEB 0, −2.4, −2.4+0.4−5 = −7.
#   DC1 (every request met): requests 29, 25 and WEB's 5 at t=2 (its B(2) = 0 then):
#        30−29 = 1, 1+12−25 = −12, −12−5 = −17.
#   Causes: had DC1 met every request, S01 would hold 2+12−10 = 4 in week 2 and WEB 0 in week
#        1: both "DC fair share"; S02 is short in week 0, before anything can arrive: "own
#        shortfall". DC1 reads "short for S01, WEB".
#   Lost sales (balances floored at 0): t=0 S02 enters week 1 at 0, so needs 8 (not 12);
#        Q = 25 ≤ 30, DC1 keeps 5. t=1: S01 needs 12, S02 8, WEB 5; A = 5+12 = 17, f = 0.68:
#        S01 8.16 → 6 (2.16), S02 5.44 → 4, WEB 3.4; left 3.6 < 6: stop. t=2: WEB gets 3.6.
#        S01 10−10 = 0, 0+12−10 = 2, 2+6−10: 2 lost. S02 4−8: 4 lost, 0+8−8 = 0, 0+4−8: 4 lost
#        (8). WEB 0, 3.4−5: 1.6 lost, 3.6−5: 1.4 lost (3). DC1 has no demand of its own: 0.
#   margin A = 5 − 3 = 2: S01 4, S02 16, WEB 6, DC1 0.
#   act_by = first risk − (transit + DC1's lead 2): S01 11-30 − 3 wk = 11-09, S02 11-16 − 3 wk
#        = 10-26, WEB 11-23 − 2 wk = 11-09; DC1 11-23 − 2 wk = 11-09. All before 11-16: too late.
#
# SKU B. DC1 on hand 19.5, lead 1, its own (web) orders 6/week; S01 on hand 5, demand 5, 5,
# 6.5 with C1 (+40% all of week 1: lift 2, demand 7, threshold 0.25 × 2 = 0.5); S03 is
# direct-store-delivered (supplied_by Direct): on its own, on hand 8, demand 4, lead 1.
#   t=0: S01 B(1) = 0, need 0.5 − (0 − 7) = 7.5; Q = 7.5+6 = 13.5 ≤ 19.5; DC1 keeps 6.
#   t=1: S01 B(2) = 0+7.5−7 = 0.5, need 0 − (0.5 − 6.5) = 6; Q = 12, A = 6: f = 0.5: S01 3,
#        DC1's customers 3 (3 backordered); DC1 6−3−6 = −3.  t=2: nothing planned for S01.
#   Rows: S01 0, 0.5, 0.5+3−6.5 = −3 (week 1: 0.5 is not below 0.5: OK). DC1 (every request
#        met): 19.5−7.5−6 = 6, 6−6−6 = −6, −6−6 = −12. S03: 4, 0, −4.
#   Causes: met in full S01 would hold 0.5+6−6.5 = 0 in week 2: "DC fair share"; DC1 "short
#        for S01"; S03 "own shortfall".
#   Lost sales: S01 loses 3 in week 2; DC1's customers lose 3 at t=1 (f = 0.5) and 6 at t=2
#        (DC1 empty): 9; S03 loses 4. margin B = 10 − 6 = 4: S01 12, DC1 36, S03 16.
#   act_by: S01 11-30 − (1 + 1) wk = 11-16; DC1 11-23 − 1 wk = 11-16; S03 11-30 − 1 wk = 11-23.
#
# Order: STOCKOUT, earliest first risk, most margin at risk first.
HEADER = ["sku", "location", "role", "supplied_by", "status", "risk_cause", "first_risk_week",
          "min_projected", "shortfall_units", "lost_units", "margin_at_risk", "act_by",
          "campaigns", W0, W1, W2]
ROWS = [
    ["A", "S02", "store", "DC1", "STOCKOUT", "own shortfall", W0, -4.0, 4.0, 8.0, 16.0,
     D(2026, 10, 26), "", -4.0, 0.0, -4.0],
    ["B", "DC1", "dc", "", "STOCKOUT", "short for S01", W1, -12.0, 12.0, 9.0, 36.0,
     D(2026, 11, 16), "", 6.0, -6.0, -12.0],
    ["A", "WEB", "online", "DC1", "STOCKOUT", "DC fair share", W1, -7.0, 7.0, 3.0, 6.0,
     D(2026, 11, 9), "", 0.0, -2.4, -7.0],
    ["A", "DC1", "dc", "", "STOCKOUT", "short for S01, WEB", W1, -17.0, 17.0, 0.0, 0.0,
     D(2026, 11, 9), "", 1.0, -12.0, -17.0],
    ["B", "S03", "store", "direct", "STOCKOUT", "own shortfall", W2, -4.0, 4.0, 4.0, 16.0,
     D(2026, 11, 23), "", 4.0, 0.0, -4.0],
    ["B", "S01", "store", "DC1", "STOCKOUT", "DC fair share", W2, -3.0, 3.0, 3.0, 12.0,
     D(2026, 11, 16), "C1", 0.0, 0.5, -3.0],
    ["A", "S01", "store", "DC1", "STOCKOUT", "DC fair share", W2, -2.0, 2.0, 2.0, 4.0,
     D(2026, 11, 9), "", 0.0, 2.0, -2.0],
]


def sheet_rows(path, name):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name) \
        .to_python(skip_empty_area=False)


def close(got, want):
    if isinstance(want, float):
        return isinstance(got, float) and abs(got - want) < 1e-9
    return got == want


@pytest.fixture(scope="module")
def network_run(tmp_path_factory):
    from conftest import build_book

    tmp = tmp_path_factory.mktemp("network")
    book = build_book(tmp / "chain.xlsx", network_sheets())
    result = CliRunner().invoke(cli, ["recalc", str(book), "--export", str(tmp / "out")])
    assert result.exit_code == 0, result.output
    return book, tmp / "out" / "bridge.csv", result.output


def test_the_bridge_cell_by_cell(network_run):
    book, _, _ = network_run
    rows = sheet_rows(book, "Bridge")
    assert rows[0][0] == "pysnop bridge · as of 2026-11-18 · 3 weeks"
    assert rows[2][0].startswith("network: a DC row is its distribution plan")
    assert rows[3][:len(HEADER)] == HEADER
    body = [r[:len(HEADER)] for r in rows[4:] if r[0] != ""]
    assert len(body) == len(ROWS)
    for got, want in zip(body, ROWS):
        bad = [(HEADER[k], g, w) for k, (g, w) in enumerate(zip(got, want)) if not close(g, w)]
        assert not bad, f"{want[:2]}: {bad}"


def test_bridge_csv_adds_up_week_by_week(network_run):
    _, path, _ = network_run
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:4] == ["sku", "location", "role", "supplied_by"]
    assert list(rows[0])[-4:] == ["from_dc", "to_fed", "dc_shipped", "dc_fill"]
    on_hand = {("A", "DC1"): 30, ("A", "S01"): 10, ("A", "S02"): 4, ("A", "WEB"): 0,
               ("B", "DC1"): 19.5, ("B", "S01"): 5, ("B", "S03"): 8}
    num = lambda r, k: float(r[k])
    before = dict(on_hand)
    for r in rows:  # week order within each row, as written
        key = (r["sku"], r["location"])
        expected = (before[key] + num(r, "receipts") + num(r, "from_dc") - num(r, "to_fed")
                    - num(r, "demand"))
        assert abs(num(r, "projected_on_hand") - expected) < 1e-6, (key, r["week"])
        before[key] = num(r, "projected_on_hand")
    by = {(r["sku"], r["location"], r["week"]): r for r in rows}
    # from the working above: what arrives at S01 (A) in weeks 1 and 2, DC1's requests and
    # what it ships under fair share, its fill rate
    assert [num(by["A", "S01", w], "from_dc") for w in ("2026-11-16", "2026-11-23",
                                                         "2026-11-30")] == [0, 12, 6]
    assert [num(by["A", "DC1", w], "to_fed") for w in ("2026-11-16", "2026-11-23",
                                                        "2026-11-30")] == [29, 25, 5]
    assert num(by["A", "DC1", "2026-11-23"], "dc_shipped") == 12.6  # 6 + 4 + 2.6
    assert num(by["A", "DC1", "2026-11-23"], "dc_fill") == 0.52
    assert num(by["B", "DC1", "2026-11-23"], "dc_fill") == 0.5
    assert by["B", "S03", "2026-11-16"]["supplied_by"] == "direct"
    assert by["A", "S01", "2026-11-16"]["dc_fill"] == ""  # only a DC row has a fill rate


def test_the_chart_and_the_console_show_dc_rows(network_run):
    book, _, output = network_run
    chart = sheet_rows(book, "Bridge Chart")
    # the five most at risk by lowest min_projected: DC1 (A) −17, DC1 (B) −12, WEB −7, then
    # S02 and S03 at −4 (Bridge order breaks the tie)
    assert [c for c in chart[0] if c.endswith(" POH")] == [
        "A @ DC1 (DC) POH", "B @ DC1 (DC) POH", "A @ WEB POH", "A @ S02 POH", "B @ S03 POH"]
    assert [r[1] for r in chart[1:4]] == [1.0, -12.0, -17.0]
    # the console's "most at risk" table: both DC rows, each fed row's DC and cause
    lines = output.splitlines()
    assert "fed by" in lines[2] and "cause" in lines[2]
    dc_lines = [x for x in lines if "│ DC1 " in x and "(DC)" in x]
    assert len(dc_lines) == 2 and "short for S01" in dc_lines[0]
    assert any("│ S03 " in x and "direct" in x and "own shortfall" in x for x in lines)
    assert sum("DC fair share" in x for x in lines) == 3


def test_without_network_data_the_bridge_is_as_before(make_book):
    # tests/workbook/data/flat_bridge_before_network.json: this workbook's Bridge as main
    # wrote it before the network existed (values as Excel shows them on open)
    book = make_book(flat_sheets())
    api.recalc(book, backup=False)
    got = sheet_rows(book, "Bridge")
    want = [[D.fromisoformat(v["date"]) if isinstance(v, dict) else v for v in row]
            for row in json.loads(GOLDEN.read_text())]
    assert got == want
    assert AS_OF == D(2026, 11, 18)


def test_the_readme_example(make_book):
    # README "The network" and docs/semantics.md §4.6: DC1 9 on hand, 8 web orders a week,
    # lead 2; S1 10 on hand, sells 10, transit 1. t=0: Q = 10 + 8 against 9: f = 0.5, S1 gets
    # 5, DC1's customers 4. DC1's plan 9−10−8 = −9, −9−10−8 = −27, −27−8 = −35; S1 0, −5, −15.
    book = make_book({
        "Settings": [["as_of", AS_OF], ["horizon_weeks", 3]],
        "Locations": [["location", "role", "supplied_by", "transit_weeks"],
                      ["DC1", "dc", None, None], ["S1", "store", "DC1", 1]],
        "Inventory": [["sku", "location", "on_hand", "lead_time_weeks"], ["A", "DC1", 9, 2],
                      ["A", "S1", 10, None]],
        "Forecast": [["sku", "location", W0, W1, W2], ["A", "DC1", 8, 8, 8],
                     ["A", "S1", 10, 10, 10]]})
    api.recalc(book, backup=False)
    rows = sheet_rows(book, "Bridge")
    keep = [0, 1, 2, 3, 4, 5, 6, 9, 11, 13, 14, 15]  # the README's columns
    assert [[r[k] for k in keep] for r in rows[4:6]] == [
        ["A", "DC1", "dc", "", "STOCKOUT", "short for S1", W0, 20.0, D(2026, 11, 2),
         -9.0, -27.0, -35.0],
        ["A", "S1", "store", "DC1", "STOCKOUT", "DC fair share", W1, 15.0, D(2026, 11, 2),
         0.0, -5.0, -15.0]]
