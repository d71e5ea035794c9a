"""The consensus stage end to end through pysnop.api.recalc (hand-worked numbers)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import pysnop.api as api
from pysnop.store.history import load_history
from pysnop.store.paths import default_path as history_path

W1, W2 = dt.date(2026, 11, 16), dt.date(2026, 11, 23)
PRODUCTS = [["sku", "category"], ["A", "Snacks"], ["B", "Snacks"]]
FC_HEADER = ["sku", "location", "category", "week", "units", "source"]


def sheet(path, name):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def header_index(rows, first):
    """Row index whose column A is ``first``."""
    return next(i for i, r in enumerate(rows) if r and r[0] == first)


def as_dicts(rows, header_row):
    head = rows[header_row]
    width = head.index("") if "" in head else len(head)  # up to the first blank header
    out = []
    for r in rows[header_row + 1:]:
        if not r or r[0] in ("", None):
            break
        out.append(dict(zip(head[:width], r[:width])))
    return out


# ------------------------------------------------------------------ forecast-only workbook
def forecast_only_book(make_book, **kw):
    return make_book({
        "Settings": [["as_of", W1], ["reconciliation", "bottom_up"]],
        "Products": PRODUCTS,
        "Forecast": [FC_HEADER,
                     ["A", "S1", None, W1, 10, "Planning"],
                     ["A", "S2", None, W1, 20, "Planning"],
                     ["B", "S1", None, W1, 30, "Planning"],
                     [None, None, "Snacks", W1, 90, "Marketing"],
                     ["A", None, None, W1, 40, "Merchandising"]]}, **kw)


def test_forecast_only_workbook_gets_its_consensus_sheet_and_csv(make_book, tmp_path):
    book = forecast_only_book(make_book)
    report = api.recalc(book, export_dir=tmp_path / "out")
    names = CalamineWorkbook.from_path(str(book)).sheet_names
    assert "Consensus" in names and "Bridge" not in names and "Scorecard" not in names
    assert "no Inventory sheet: the bridge was not run" in [p.reason for p in report.warnings]
    assert [p.name for p in report.exported] == ["consensus.csv"]

    # bottom_up: each leaf keeps its Planning forecast; A = 10 + 20, B = 30, Snacks = total = 60
    assert (tmp_path / "out" / "consensus.csv").read_text() == (
        "category,sku,location,week,Marketing,Merchandising,Planning,consensus\n"
        ",,,2026-11-16,,,,60.0\n"
        "Snacks,,,2026-11-16,90.0,,,60.0\n"
        "Snacks,A,,2026-11-16,,40.0,,30.0\n"
        "Snacks,B,,2026-11-16,,,,30.0\n"
        "Snacks,A,S1,2026-11-16,,,10.0,10.0\n"
        "Snacks,A,S2,2026-11-16,,,20.0,20.0\n"
        "Snacks,B,S1,2026-11-16,,,30.0,30.0\n")

    rows = sheet(book, "Consensus")
    table = as_dicts(rows, header_index(rows, "level"))
    by_node = {r["node"]: r for r in table}
    snacks = by_node["category=Snacks"]
    # Marketing 90 vs 60: +50% > 20% → divergent; Merchandising 40 vs 30: +33% → divergent
    assert (snacks["Marketing"], snacks["consensus"], snacks["divergent"]) == (90, 60, True)
    assert snacks["divergent_sources"] == "Marketing"
    assert by_node["sku=A"]["divergent_sources"] == "Merchandising"
    assert by_node["sku=A|location=S1"]["divergent"] is False
    assert by_node["sku=A|location=S1"]["method"] == "bottom_up"

    # the review list, worst gap first, to the right of the table
    head = rows[header_index(rows, "level")]
    c = head.index("gap")
    review = [r[c - 6:c + 1] for r in rows[header_index(rows, "level") + 1:][:2]]
    assert [(n, s, g) for n, s, *_, g in review] == [
        ("category=Snacks", "Marketing", pytest.approx(0.5)),
        ("sku=A", "Merchandising", pytest.approx(1 / 3))]

    # the divergent source cell is amber, the others are not
    ws = openpyxl.load_workbook(book)["Consensus"]
    hdr = [cell.value for cell in ws[4]]
    snacks_row = next(r for r in ws.iter_rows(min_row=5) if r[hdr.index("node")].value
                      == "category=Snacks")
    assert snacks_row[hdr.index("Marketing")].fill.fgColor.rgb == "FFFFEB9C"
    a_row = next(r for r in ws.iter_rows(min_row=5) if r[hdr.index("node")].value == "sku=A")
    assert a_row[hdr.index("Merchandising")].fill.fgColor.rgb == "FFFFEB9C"
    assert snacks_row[hdr.index("consensus")].fill.fgColor.rgb != "FFFFEB9C"
    assert ws.freeze_panes == "F5"
    assert ws.auto_filter.ref.startswith("A4:")


def test_single_source_bottom_level_forecast_runs_no_consensus(make_book):
    book = make_book({"Inventory": [["sku", "location", "on_hand"], ["A", "S1", 100]],
                      "Forecast": [["sku", "location", "week", "units"], ["A", "S1", W1, 10]],
                      "Settings": [["as_of", W1]]})
    report = api.recalc(book)
    assert report.consensus is None
    assert "Consensus" not in CalamineWorkbook.from_path(str(book)).sheet_names


# ---------------------------------------------------------------- the bridge's baseline
def test_the_bridge_projects_the_weighted_consensus(make_book, tmp_path):
    book = make_book({
        "Settings": [["as_of", W1], ["horizon_weeks", 2], ["weight_Planning", 3],
                     ["Marketing weight", 1]],
        "Inventory": [["sku", "location", "on_hand"], ["A", "S1", 100]],
        "Forecast": [FC_HEADER,
                     ["A", "S1", None, W1, 10, "Planning"], ["A", "S1", None, W2, 10, "Planning"],
                     ["A", "S1", None, W1, 30, "Marketing"],
                     ["A", "S1", None, W2, 30, "Marketing"]]})
    report = api.recalc(book, export_dir=tmp_path / "out")
    # Settings weights 3:1 → 0.75·10 + 0.25·30 = 15 a week (an equal mean would give 20);
    # a lone leaf reconciles to itself. POH: 100 − 15 = 85, 85 − 15 = 70
    assert report.result.baseline.tolist() == [[15.0, 15.0]]
    bridge = sheet(book, "Bridge")
    head = bridge[3]
    assert bridge[4][head.index("sku")] == "A"
    assert bridge[4][len(head) - 2:] == [85.0, 70.0]
    # the weight keys are used: no "unknown setting" warning about them
    assert not [p for p in report.warnings if "unknown setting" in p.reason]
    assert {p.name for p in report.exported} == {"bridge.csv", "consensus.csv"}
    rows = sheet(book, "Consensus")
    assert "weights from Settings: Planning 75%, Marketing 25%" in rows[0][0]


# -------------------------------------------------------------------------- overrides
def test_a_planner_override_is_locked_shown_and_logged(make_book):
    book = make_book({
        "Settings": [["as_of", W1], ["reconciliation", "bottom_up"]],
        "Products": PRODUCTS,
        "Inventory": [["sku", "location", "on_hand"], ["A", "S1", 100], ["A", "S2", 100]],
        "Forecast": [FC_HEADER, ["A", "S1", None, W1, 10, "Planning"],
                     ["A", "S2", None, W1, 20, "Planning"]],
        "Overrides": [["sku", "location", "week", "units", "reason"],
                      ["A", "S1", W1, 25, "store event"],
                      ["A", "S2", W2, 5, None]]})
    report = api.recalc(book)
    # A@S1 locked at 25, A@S2 keeps 20 → sku A = Snacks = total = 45
    assert report.result.baseline[:, 0].tolist() == [25.0, 20.0]
    table = as_dicts(rows := sheet(book, "Consensus"), header_index(rows, "level"))
    by_node = {r["node"]: r for r in table}
    assert (by_node["sku=A|location=S1"]["override"],
            by_node["sku=A|location=S1"]["reason"]) == (25, "store event")
    assert by_node["total"]["consensus"] == 45
    # the W2 override has no forecast week to act on: a warning, not applied
    assert any(p.sheet == "Overrides" and p.row == 3 and "no forecast covers" in p.reason
               for p in report.warnings)
    with sqlite3.connect(history_path(book)) as db:
        logged = db.execute("SELECT node, week, units, reason FROM consensus_overrides").fetchall()
    assert logged == [("sku=A|location=S1", "2026-11-16", 25.0, "store event")]


# --------------------------------------------------- history, accuracy weights, scorecard
CYCLE1 = dt.date(2026, 11, 2)
CYCLE2 = dt.date(2026, 11, 23)
N09, N16, N30 = dt.date(2026, 11, 9), dt.date(2026, 11, 16), dt.date(2026, 11, 30)


def cycle1(make_book):
    return make_book({
        "Settings": [["as_of", CYCLE1], ["reconciliation", "bottom_up"]],
        "Products": [["sku", "category"], ["A", "Snacks"]],
        "Inventory": [["sku", "location", "on_hand"], ["A", "S1", 500]],
        "Forecast": [FC_HEADER,
                     ["A", "S1", None, N09, 100, "Planning"],
                     ["A", "S1", None, N16, 100, "Planning"],
                     [None, None, "Snacks", N09, 120, "Marketing"],
                     [None, None, "Snacks", N16, 80, "Marketing"]]}, name="plan.xlsx")


def cycle2(make_book):
    return make_book({
        "Settings": [["as_of", CYCLE2], ["reconciliation", "bottom_up"], ["horizon_weeks", 2]],
        "Products": [["sku", "category"], ["A", "Snacks"]],
        "Inventory": [["sku", "location", "on_hand"], ["A", "S1", 500]],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift"],
                      ["C1", "A", N16, dt.date(2026, 11, 22), 0.2]],
        "Actuals": [["sku", "location", "week", "units", "on_hand_end", "stockout"],
                    ["A", "S1", CYCLE1, 90, 410, False],
                    ["A", "S1", N09, 110, 300, False],
                    ["A", "S1", N16, 80, 0, True]],
        "Forecast": [FC_HEADER,
                     ["A", "S1", None, N30, 100, "Planning"],
                     ["A", "S1", None, N30, 140, "Marketing"]]}, name="plan.xlsx")


def test_history_is_recorded_once_per_cycle_and_append_only(make_book):
    book = cycle1(make_book)
    api.recalc(book)
    api.recalc(book)  # the same cycle again: not recorded twice
    h = load_history(history_path(book))
    # weeks after as_of: each source at its node, the consensus (100) at every node
    got = sorted((s, sku or c or "total", str(w.date()), u) for s, c, sku, w, u in
                 zip(h["source"], h["category"], h["sku"], h["week"], h["units"]))
    assert got == sorted(
        [("Planning", "A", "2026-11-09", 100.0), ("Planning", "A", "2026-11-16", 100.0),
         ("Marketing", "Snacks", "2026-11-09", 120.0), ("Marketing", "Snacks", "2026-11-16", 80.0)]
        + [("Consensus", n, w, 100.0) for n in ("total", "Snacks", "A", "A")
           for w in ("2026-11-09", "2026-11-16")])
    assert set(h["recorded"].dt.date) == {CYCLE1}
    with sqlite3.connect(history_path(book)) as db:
        assert db.execute("SELECT COUNT(*) FROM forecast_runs").fetchone() == (1,)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM forecast_history")


def test_a_bridge_only_refresh_records_the_cycle_too(make_book):
    # the history is written after the stages (Run.defer_log): a run without the actions
    # stage writes it when it writes the workbook, before its log is committed
    book = cycle1(make_book)
    api.recalc(book, actions=False)
    h = load_history(history_path(book))
    assert set(h["recorded"].dt.date) == {CYCLE1}
    assert sorted(set(h["source"])) == ["Consensus", "Marketing", "Planning"]
    assert len(h) == 12  # 2 weeks × (Planning A, Marketing Snacks, Consensus at 4 nodes)
    with sqlite3.connect(history_path(book)) as db:
        assert db.execute("SELECT COUNT(*) FROM forecast_runs").fetchone() == (1,)
        assert db.execute("SELECT kind FROM chain ORDER BY seq").fetchall() == [
            ("log",), ("forecast_run",)]


def test_scorecard_and_accuracy_weights_from_the_previous_cycle(make_book):
    book = cycle1(make_book)
    api.recalc(book)
    book = cycle2(make_book)
    report = api.recalc(book)

    # accuracy over the 8 weeks to 2026-11-16 (actuals 110, 80 in weeks 11-09, 11-16):
    # Planning (100, 100 at A@S1): Σ|F−A| = 10 + 20 = 30, ΣA = 190 → WAPE 30/190
    # Marketing (120, 80 at Snacks = A@S1): Σ|F−A| = 10 → WAPE 10/190
    # inverse WAPE: 19/3 and 19 → weights 1/4 and 3/4
    consensus = report.consensus
    assert consensus.weights.basis == "accuracy"
    assert consensus.weights["Planning"] == pytest.approx(0.25)
    assert consensus.weights["Marketing"] == pytest.approx(0.75)
    # week 11-30 at A@S1: 0.25·100 + 0.75·140 = 130 (week 11-23 not forecast: 0)
    assert report.result.baseline.tolist() == [[0.0, pytest.approx(130.0)]]

    rows = sheet(book, "Scorecard")
    acc = {r["source"]: r for r in as_dicts(rows, header_index(
        rows, "source"))}
    plan, mkt, cons = acc["Planning"], acc["Marketing"], acc["Consensus"]
    assert plan["WAPE"] == pytest.approx(30 / 190)
    assert plan["bias"] == pytest.approx((-10 + 20) / 190)
    # naive = last week's actual: 90 for 11-09, 110 for 11-16 → Σ|err| = 20 + 30 = 50
    assert plan["naive WAPE"] == pytest.approx(50 / 190)
    assert plan["FVA"] == pytest.approx(50 / 190 - 30 / 190)
    assert plan["weight"] == pytest.approx(0.25) and plan["cells"] == 2
    assert mkt["WAPE"] == pytest.approx(10 / 190)
    assert mkt["FVA"] == pytest.approx(40 / 190)
    # the consensus was 100 at every node (total, Snacks, A, A@S1) in both weeks
    assert cons["WAPE"] == pytest.approx(30 / 190) and cons["cells"] == 8

    weekly = {r["week"]: r for r in as_dicts(rows, header_index(rows, "By week") + 1)}
    assert list(weekly) == [CYCLE1, N09, N16]
    w02, w09, w16 = weekly[CYCLE1], weekly[N09], weekly[N16]
    assert w02["units sold"] == 90 and w02["on hand end"] == 410
    assert w02["inventory turn"] == pytest.approx(90 / 410 * 52)
    assert w02["weeks of supply"] == pytest.approx(410 / 90)
    assert w09["weeks of supply"] == pytest.approx(300 / 100)  # mean(90, 110)
    assert w16["weeks of supply"] == 0 and w16["inventory turn"] in ("", None)
    # only week 11-16 is promoted (C1), and A@S1 stocked out in it
    assert (w16["promoted cells"], w16["promoted stockouts"], w16["promo stockout rate"]) \
        == (1, 1, 1)
    assert w02["promo stockout rate"] in ("", None)
    assert w09["WAPE Planning"] == pytest.approx(10 / 110)
    assert w16["WAPE Planning"] == pytest.approx(20 / 80)
    assert w16["WAPE Marketing"] == pytest.approx(0)

    quarter = as_dicts(rows, header_index(rows, "By quarter") + 1)
    assert len(quarter) == 1
    q = quarter[0]
    assert (q["quarter"], q["weeks"], q["units sold"]) == ("2026Q4", 3, 280)
    assert q["avg on hand"] == pytest.approx(710 / 3)
    assert q["inventory turn"] == pytest.approx(280 / (710 / 3) * 52 / 3)
    assert q["weeks of supply"] == 0 and q["promo stockout rate"] == 1
    assert q["WAPE Planning"] == pytest.approx(30 / 190)

    # the boundary block: in the promoted stockout week 11-16 the demand that stood was the
    # consensus recorded in cycle 1 (100) × (1 + 0.2) = 120 against 80 sold → 40 promo units
    # lost; no price or cost anywhere, so no margin to put on them
    boundary = as_dicts(rows, header_index(rows, "At the marketing–supply boundary") + 1)
    assert [(b["quarter"], b["lost promo units"], b["margin leaked"]) for b in boundary] == \
        [("2026Q4", 40, 0)]
    # Marketing forecast the Snacks node 120, 80 against actuals 110, 80 (WAPE 10/190); the
    # consensus there was 100, 100 (WAPE 30/190): less accurate than Marketing
    assert [str(w) for w in report.warnings if "less accurate" in str(w)] == [
        "Consensus: the consensus was less accurate than Marketing over the last 8 weeks: "
        "WAPE 15.8% against 5.3% on the 2 node-weeks both forecast"]
    review = sheet(book, "Review")
    at = next(i for i, r in enumerate(review)
              if r[0] == "Consensus less accurate than a source (1)")
    assert review[at + 2][:4] == ["source", "node-weeks", "source WAPE", "consensus WAPE"]
    assert review[at + 3][:4] == ["Marketing", 2, pytest.approx(10 / 190),
                                  pytest.approx(30 / 190)]

    charts = openpyxl.load_workbook(book)["Scorecard"]._charts
    # WAPE, weeks of supply; stockout rate, margin leaked and wasted spend, lead time won
    assert sorted(type(c).__name__ for c in charts) == ["BarChart"] * 3 + ["LineChart"] * 2
