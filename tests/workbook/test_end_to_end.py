"""A messy, real-looking workbook through read → bridge → write, checked against hand-worked
numbers as a planner would see them when opening the file (read back with calamine, which
does not recalculate)."""

import datetime as dt

import pytest
from python_calamine import CalamineWorkbook

import pysnop

D = dt.date


@pytest.fixture
def messy_book(make_book):
    return make_book({
        "Read me": [["Planner's notes: do not delete"], ["=1+1"]],
        "settings": [["pysnop settings"], [], ["Setting", "Value"],
                     ["As of", D(2026, 11, 18)], ["Horizon weeks", 3]],
        "Inventory": [["Stock position - week 47"], [],
                      ["Item", "Store", "SOH", "SS", "Lead time", "Price", "Cost"],
                      ["007", "S1", 60, 10, 2, 12, 7],
                      ["007", "S2", 10, 0, 1, 12, 7]],
        # wide forecast: one column per week, headers as a date cell, an ISO week, an ISO date
        "Forecast": [["SKU", "Location", D(2026, 11, 16), "2026-W48", "2026-11-30"],
                     ["007", "S1", 14, 14, 14],
                     ["007", "S2", 7, 7, 7]],
        "Campaigns": [["Promo ID", "Item", "Start date", "End date", "Uplift", "Status",
                       "Locations", "Owner"],
                      ["BF", "007", D(2026, 11, 19), D(2026, 11, 24), "100%", None, "S1",
                       "Marketing"]],
        "Open POs": [["PO", "Item", "Store", "ETA", "Quantity", "Status"],
                     ["P1", "007", "S2", "2026-11-01", 5, None],  # past due: week 0
                     ["P2", "007", "S1", "2026-11-25", 100, "Received"],  # ignored
                     ["P3", "007", "S2", D(2026, 11, 24), 3, "open"]],
    }, tables={"Campaigns": "Promos"}, start={"Campaigns": "B2"}, name="messy.xlsx")


def sheet(path, name):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def test_messy_workbook_gives_the_hand_worked_bridge(messy_book):
    report = pysnop.recalc(messy_book)
    assert report.counts == {"STOCKOUT": 1, "AT RISK": 1, "OK": 0}
    rows = sheet(messy_book, "Bridge")
    header = rows[3]
    assert header[:10] == ["sku", "location", "status", "first_risk_week", "min_projected",
                           "shortfall_units", "lost_units", "margin_at_risk", "act_by",
                           "campaigns"]
    assert [h.date() if hasattr(h, "date") else h for h in header[10:13]] == \
        [D(2026, 11, 16), D(2026, 11, 23), D(2026, 11, 30)]
    s2, s1 = rows[4], rows[5]
    # S2: demand 7/wk, receipts 5 (past due) + 3 (week 1); poh 8, 4, -3 -> STOCKOUT in week 2
    assert s2[:3] == ["007", "S2", "STOCKOUT"]
    assert _date(s2[3]) == D(2026, 11, 30)
    assert s2[4:8] == [-3, 3, 3, 15]  # min, shortfall, lost, 3 lost × margin (12 - 7)
    assert _date(s2[8]) == D(2026, 11, 23)  # one week of lead time before 30 Nov
    assert s2[10:13] == [8, 4, -3]
    # S1: campaign Thu 19 - Tue 24 at +100%: 14 × 4/7 = 8 and 14 × 2/7 = 4 lift units
    # demand 22, 18, 14 -> poh 38, 20, 6; week 2 below safety stock 10 -> AT RISK
    assert s1[:3] == ["007", "S1", "AT RISK"]
    assert s1[4:8] == [6, 4, 0, 0]
    assert _date(s1[8]) == D(2026, 11, 16)
    assert s1[9] == "BF"
    assert s1[10:13] == [38, 20, 6]


def test_messy_workbook_supply_check_for_marketing(messy_book):
    pysnop.recalc(messy_book)
    rows = sheet(messy_book, "Campaigns")
    header = rows[0]  # calamine starts at the first used cell, B2 (the table's header)
    assert header[0:8] == ["Promo ID", "Item", "Start date", "End date", "Uplift", "Status",
                           "Locations", "Owner"]
    assert header[8:17] == ["Supply: status", "Supply: coverage", "Supply: max lift",
                            "Supply: safe start", "Supply: margin at risk",
                            "Supply: learned lift", "Supply: learned from",
                            "Supply: wasted spend", "Supply: note"]
    bf = rows[1][8:]
    assert bf[0] == "OK"  # in-window weeks: 38 and 20, both ≥ 10
    assert bf[1] == pytest.approx(60 / 40)  # on hand 60 over window demand 22 + 18
    # without BF: poh 46, 32, 18; slack over ss 36, 22, 8; one unit of lift adds 8, 12, 12
    # -> the tightest bound is 8 / 12 = 0.6667, floored to 0.01 %
    assert bf[2] == pytest.approx(0.6666)
    assert bf[3] in ("", None)  # a 1-week shift still breaks week 2; 2 weeks leave the horizon
    assert bf[4] == 0
    # no Actuals: nothing to learn from; no spend: nothing wasted
    assert bf[5:8] == ["", "no past campaign to learn from: the plan stands", ""]
    assert "supports at most 66.7% lift" in bf[8]


def test_a_rerun_changes_nothing_the_planner_owns(messy_book):
    pysnop.recalc(messy_book)
    first = {n: sheet(messy_book, n) for n in ("Read me", "Inventory", "Forecast", "Open POs",
                                                 "Campaigns")}
    pysnop.recalc(messy_book)
    for name, rows in first.items():
        assert sheet(messy_book, name) == rows, name


def _date(value):
    return value.date() if hasattr(value, "date") else value


def test_a_rerun_reads_its_actions_sheet_once(tmp_path, monkeypatch):
    """The log's check and the actions stage both need the Actions sheet; a re-run's is as
    long as the plan, so it is read once."""
    import pysnop.pipeline.actions as actions_stage
    import pysnop.pipeline.state as state
    from pysnop.demo import build_demo

    book = build_demo(tmp_path / "demo.xlsx")
    pysnop.recalc(book)
    assert "Actions" in CalamineWorkbook.from_path(str(book)).sheet_names
    calls = []
    real = state.read_actions_sheet
    for module in (state, actions_stage):  # wherever a stage reads it
        monkeypatch.setattr(module, "read_actions_sheet",
                            lambda grids: calls.append(1) or real(grids), raising=False)
    pysnop.recalc(book)
    assert len(calls) == 1
