"""Promotion economics, learned lift and demand shifts through recalc, read back with
python-calamine as a planner opening the file would see them; every expected number worked
by hand from docs/semantics.md in the comments."""

from __future__ import annotations

import datetime as dt

import pytest
from python_calamine import CalamineWorkbook

import pysnop
from pysnop.workbook.render.review import review_text

D = dt.date
WEEK0 = D(2026, 11, 16)  # the week of as_of 2026-11-18


def week(k: int) -> dt.date:
    return WEEK0 + dt.timedelta(weeks=k)


def rows_of(path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def day(value):
    return value.date() if isinstance(value, dt.datetime) else value


def action_of(rows: list[list], kind: str) -> dict:
    """The first action row of type ``kind`` on the (grouped) Actions sheet, by header; risk
    lines carry no action_id."""
    at = next(i for i, r in enumerate(rows) if "action_id" in r and "type" in r)
    header = rows[at]
    row = next(r for r in rows[at + 1:] if r[header.index("type")] == kind
               and r[header.index("action_id")])
    return {h: day(v) for h, v in zip(header, row) if h != ""}


def record(rows: list[list], header_index: int, first: object) -> dict:
    """The row below ``rows[header_index]`` whose first cell is ``first``, by header."""
    header = rows[header_index]
    row = next(r for r in rows[header_index + 1:] if r[0] == first)
    return {h: day(v) for h, v in zip(header, row) if h != ""}


INVENTORY_HEAD = ["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                  "unit_price", "unit_cost"]


# ---------------------------------------------------------------------------------------
# promo margin and wasted spend
#
# A at S1: on hand 50, no safety stock, lead 1 week, price 10, cost 6 (margin 4); forecast
# 20 a week. P1 runs the whole week 1 at +100 %, promo price 8 with 0.5 vendor funding:
# promo margin 8 − 6 + 0.5 = 2.5; spend 1,000.
#   demand 20, 40, 20 → poh 30, −10, −30: STOCKOUT from week 1
#   lost-sales run: week 1 sells 30 of 40 (10 lost), week 2 sells none (20 lost) → 30 lost
#   margin at risk = 10 × 2.5 (week 1, all promo) + 20 × 4 (week 2, regular) = 105
#   (at the regular margin it would be 30 × 4 = 120)
#   wasted spend: week 1 has 20 lift units and 10 lost; lift is served last → 10 of P1's 20
#   lift units unserved → 1,000 × 10 ÷ 20 = 500
# ---------------------------------------------------------------------------------------
def promo_book(make_book):
    return make_book({
        "Settings": [["as_of", D(2026, 11, 18)], ["horizon_weeks", 3]],
        "Inventory": [INVENTORY_HEAD, ["A", "S1", 50, 0, 1, 10, 6]],
        "Forecast": [["sku", "location", "week", "units"]]
        + [["A", "S1", week(k), 20] for k in range(3)],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift", "status", "Promo price",
                       "Vendor funding", "Marketing spend"],
                      ["P1", "A", week(1), week(1) + dt.timedelta(days=6), 1.0, "Confirmed",
                       8, 0.5, 1000]]}, name="promo.xlsx")


def test_bridge_values_lost_promo_units_at_the_promo_margin_and_names_wasted_spend(make_book):
    book = promo_book(make_book)
    pysnop.recalc(book)
    rows = rows_of(book, "Bridge")
    assert rows[2][0] == ("Wasted spend 500.00 of 1,000.00 marketing spend: the share behind "
                          "lift units supply cannot serve — P1 500.00 (50% of its lift "
                          "unserved)")
    a = record(rows, 3, "A")
    assert (a["status"], a["first_risk_week"], a["lost_units"]) == ("STOCKOUT", week(1), 30)
    assert a["margin_at_risk"] == pytest.approx(105)


def test_campaign_supply_check_shows_wasted_spend_and_promo_margin_at_risk(make_book):
    book = promo_book(make_book)
    pysnop.recalc(book)
    p1 = record(rows_of(book, "Campaigns"), 0, "P1")
    # the window is week 1 only: 10 lost units × promo margin 2.5
    assert p1["Supply: margin at risk"] == pytest.approx(25)
    assert p1["Supply: wasted spend"] == pytest.approx(500)
    assert p1["Supply: learned lift"] == ""
    assert p1["Supply: learned from"] == "no past campaign to learn from: the plan stands"


def test_remedies_are_valued_at_the_promo_margin(make_book):
    book = promo_book(make_book)
    pysnop.recalc(book)
    rows = rows_of(book, "Actions")
    order = action_of(rows, "NEW_ORDER")
    lift = action_of(rows, "REDUCE_LIFT")
    # NEW_ORDER of 30 arriving in week 1 saves 10 units in week 1 (at 2.5) and 20 in week 2
    # (at 4): 105, the Bridge's margin at risk
    assert (order["qty"], order["margin_protected"]) == (30, pytest.approx(105))
    # REDUCE_LIFT to 0 %: demand 20, 20, 20 → poh 30, 10, −10: 10 lost instead of 30, the
    # 20 saved are 10 in week 1 (at its promo margin 2.5) and 10 in week 2 (at 4) = 65; the
    # cost is the margin of the 20 promo units given up, at the promo margin: 20 × 2.5 = 50
    assert lift["new_lift"] == 0
    assert (lift["margin_protected"], lift["cost"], lift["net_value"]) == (
        pytest.approx(65), pytest.approx(50), pytest.approx(15))


# ---------------------------------------------------------------------------------------
# learned lift and demand shift
#
# A at S1, Actuals 20 a week for the 8 weeks before week 0 but 40 in the week of H1 (4 weeks
# back), a past campaign planned at +50 %. No forecast was recorded for those weeks, so H1's
# baseline is the mean of the 4 clean weeks before it: 20 → realised 40 ÷ 20 − 1 = +100 %.
# P1 (week 1, planned +40 %) learns from that one past campaign of the same sku:
#   learned = 1 ÷ 3 × 100 % + 2 ÷ 3 × 40 % = 60 %
# Bridge (on hand 100, forecast 20): planned 20, 28, 20 → poh 80, 52, 32; learned 20, 32,
# 20 → 80, 48, 28; cautious = the lower of the two = the plan.
#
# B at S1, forecast 10 a week on the sheet for the past 5 weeks and the 3 to come, sold 10,
# then 16, 16, 16, 16: errors 0, 6, 6, 6, 6; MAD over the 5 weeks = 24 ÷ 5 = 4.8; tracking
# signal over the last 4 = 24 ÷ 4.8 = 5 > 4 → DEMAND SHIFT UP, actual ÷ forecast 64 ÷ 40 = 1.6.
# On hand 40: poh 30, 20, 10 (OK); at 16 a week 24, 8, −8 → STOCKOUT in week 2, 8 lost at
# margin 4 = 32: the shift creates a risk.
# ---------------------------------------------------------------------------------------
def sensing_book(make_book, lift_source="planned"):
    actuals = [["A", "S1", week(k), 40 if k == -4 else 20] for k in range(-8, 0)]
    actuals += [["B", "S1", week(k), 10 if k == -5 else 16] for k in range(-5, 0)]
    return make_book({
        "Settings": [["as_of", D(2026, 11, 18)], ["horizon_weeks", 3],
                     ["lift_source", lift_source]],
        "Inventory": [INVENTORY_HEAD, ["A", "S1", 100, 0, 1, 10, 6],
                      ["B", "S1", 40, 0, 1, 10, 6]],
        "Forecast": [["sku", "location", "week", "units"]]
        + [["A", "S1", week(k), 20] for k in range(3)]
        + [["B", "S1", week(k), 10] for k in range(-5, 3)],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift", "status"],
                      ["H1", "A", week(-4), week(-4) + dt.timedelta(days=6), 0.5, "Confirmed"],
                      ["P1", "A", week(1), week(1) + dt.timedelta(days=6), 0.4, "Confirmed"]],
        "Actuals": [["sku", "location", "week", "units"], *actuals]},
        name=f"sensing-{lift_source}.xlsx")


def test_campaigns_show_learned_lift_beside_the_plan(make_book):
    book = sensing_book(make_book)
    pysnop.recalc(book)
    rows = rows_of(book, "Campaigns")
    p1, h1 = record(rows, 0, "P1"), record(rows, 0, "H1")
    assert p1["lift"] == 0.4 and p1["Supply: learned lift"] == pytest.approx(0.6)
    assert p1["Supply: learned from"] == "1 past campaign of the same sku"
    assert h1["Supply: learned lift"] == ""
    assert h1["Supply: learned from"] == ("past campaign: realised 100.0% lift over 1 "
                                          "location-week of Actuals")


@pytest.mark.parametrize(("source", "poh"), [("planned", [80, 52, 32]),
                                             ("learned", [80, 48, 28]),
                                             ("cautious", [80, 52, 32])])
def test_lift_source_picks_the_lift_the_bridge_projects(make_book, source, poh):
    book = sensing_book(make_book, source)
    pysnop.recalc(book)
    a = rows_of(book, "Bridge")[4]
    assert a[:2] == ["A", "S1"] and a[10:13] == poh
    # marketing's own lift cell is never rewritten
    assert record(rows_of(book, "Campaigns"), 0, "P1")["lift"] == 0.4


def test_the_python_bridge_projects_the_lift_source_too(make_book):
    inputs = pysnop.read(sensing_book(make_book, "learned")).inputs
    result = pysnop.bridge(inputs)
    assert result.poh[list(result.keys["sku"]).index("A")].tolist() == [80, 48, 28]
    assert inputs.campaigns["lift"].tolist() == [0.5, 0.4]  # the caller's frame as it was


def test_demand_shift_rows_on_the_bridge_with_the_risk_they_create(make_book):
    book = sensing_book(make_book)
    pysnop.recalc(book)
    rows = rows_of(book, "Bridge")
    assert [r[0] for r in rows[4:6]] == ["A", "B"] and rows[6][0] == ""  # the table, a gap
    title = next(i for i, r in enumerate(rows) if str(r[0]).startswith("DEMAND SHIFT"))
    assert "over the weeks of 2026-10-19 to 2026-11-09" in rows[title][0]
    assert "for Supply and Marketing" in rows[title][0]
    b = record(rows, title + 1, "B")
    assert b == {
        "sku": "B", "location": "S1", "kind": "DEMAND SHIFT", "direction": "UP",
        "tracking signal": pytest.approx(5.0), "actual, 4 wks": 64, "forecast, 4 wks": 40,
        "actual ÷ forecast": pytest.approx(1.6), "routed to": "Supply, Marketing",
        "re-projection": "creates risk", "status now": "OK", "status then": "STOCKOUT",
        "risk week then": week(2), "lost units then": pytest.approx(8),
        "margin then": pytest.approx(32)}
    assert len(rows) == title + 3  # A did not shift


def test_the_review_lists_the_demand_shift(make_book):
    book = sensing_book(make_book)
    report = pysnop.recalc(book)
    text = review_text(report.actions.review, markdown=True)
    assert "## Demand shifts (1)" in text
    assert ("| B | S1 | DEMAND SHIFT | UP | 5.00 | 1.60 | creates risk | OK | STOCKOUT | "
            "2026-11-30 |") in text
    rows = rows_of(book, "Review")
    at = next(i for i, r in enumerate(rows) if r[0] == "Demand shifts (1)")
    header_at = next(i for i in range(at, len(rows)) if rows[i][0] == "sku")
    b = record(rows, header_at, "B")
    assert (b["direction"], b["signal"], b["act ÷ fcst"], b["re-projection"],
            b["status now"], b["status then"], b["risk week then"]) == (
        "UP", pytest.approx(5.0), pytest.approx(1.6), "creates risk", "OK", "STOCKOUT",
        week(2))
    assert any(r[0] == "Consensus less accurate than a source (0)" for r in rows)


# ---------------------------------------------------------------------------------------
# Settings nonnegative reaches the consensus
#
# Marketing forecasts category C at 10, Planning A@S1 at 100 and B@S1 at 0 (mint_ols, W = I,
# the sku nodes equal their one leaf). Minimise (a + b − 10)² + (a − 100)² + b²:
#   unconstrained: a + 2b = 10 and 2a + b = 110 → a = 70, b = −30
#   with b ≥ 0: b = 0, minimise (a − 10)² + (a − 100)² → a = 55
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("nonnegative", "a", "b"), [(True, 55, 0), (False, 70, -30),
                                                     ("FALSE", 70, -30)])
def test_settings_nonnegative_reaches_the_consensus(make_book, nonnegative, a, b):
    book = make_book({
        "Settings": [["as_of", D(2026, 11, 18)], ["horizon_weeks", 1],
                     ["reconciliation", "mint_ols"], ["nonnegative", nonnegative]],
        "Products": [["sku", "category"], ["A", "C"], ["B", "C"]],
        "Inventory": [INVENTORY_HEAD, ["A", "S1", 500, 0, 1, 10, 6],
                      ["B", "S1", 500, 0, 1, 10, 6]],
        "Forecast": [["sku", "location", "category", "week", "units", "source"],
                     [None, None, "C", WEEK0, 10, "Marketing"],
                     ["A", "S1", None, WEEK0, 100, "Planning"],
                     ["B", "S1", None, WEEK0, 0, "Planning"]]}, name="nonneg.xlsx")
    report = pysnop.recalc(book)
    bottom = report.consensus.bottom.set_index("sku")["units"]
    assert bottom["A"] == pytest.approx(a, abs=1e-6)
    assert bottom["B"] == pytest.approx(b, abs=1e-6)
    baseline = dict(zip(report.result.keys["sku"], report.result.baseline[:, 0]))
    assert baseline["B"] == pytest.approx(b, abs=1e-6)  # the bridge projects the consensus
