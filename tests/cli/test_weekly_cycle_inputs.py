"""The weekly cycle as a planner runs it, recalc after recalc on the same workbook (its
decision log beside it): stale inputs are warned about, and the quarterly scorecard counts
what leaked at the marketing–supply boundary. Expected numbers are worked by hand from
docs/semantics.md in the comments."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

import pysnop
from pysnop.cli.main import cli

D = dt.date
INVENTORY_HEAD = ["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                  "unit_price", "unit_cost"]


def rows_of(path, sheet: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def messages(report) -> list[str]:
    """The run's warnings, less the decision-log stamp notice: these tests rebuild the
    workbook file between cycles (a book made anew beside the same log), which the audit
    trail rightly remarks on; what they check is the input warnings."""
    return [str(w) for w in report.warnings if "carries no stamp" not in str(w)]


def action_of(path, kind: str) -> dict:
    """The first action row of type ``kind`` on the grouped Actions sheet, by header (risk
    lines carry no action_id)."""
    rows = rows_of(path, "Actions")
    at = next(i for i, r in enumerate(rows) if "action_id" in r and "type" in r)
    header = rows[at]
    row = next(r for r in rows[at + 1:] if r[header.index("type")] == kind
               and r[header.index("action_id")])
    return dict(zip(header, row))


# ---------------------------------------------------------------------------------------
# stale inputs
#
# Forecast for the weeks of 2026-11-16, 11-23 and 11-30 (3 horizon weeks from as_of
# 2026-11-18). A week later (as_of 2026-11-25) the horizon is 11-23, 11-30, 12-07: the
# Forecast covers 2 of the 3 weeks (none for 12-07, whose baseline is silently 0), and
# on_hand was not refreshed since the last run although as_of moved.
# ---------------------------------------------------------------------------------------
def plan(make_book, as_of, on_hand, actuals=None):
    sheets = {
        "Settings": [["as_of", as_of], ["horizon_weeks", 3]],
        "Inventory": [INVENTORY_HEAD, ["A", "S1", on_hand, 0, 1, 10, 6]],
        "Forecast": [["sku", "location", "week", "units"]]
        + [["A", "S1", D(2026, 11, 16) + dt.timedelta(weeks=k), 10] for k in range(3)]}
    if actuals:
        sheets["Actuals"] = [["sku", "location", "week", "units"], *actuals]
    return make_book(sheets, name="plan.xlsx")  # the same file: the log beside it stays


def test_advancing_as_of_without_refreshing_inventory_is_warned(make_book):
    book = plan(make_book, D(2026, 11, 18), 100)
    first = pysnop.recalc(book)
    assert not [m for m in messages(first) if "as_of moved" in m or "Forecast covers" in m]

    book = plan(make_book, D(2026, 11, 25), 100)  # a week on, inventory as it was
    report = pysnop.recalc(book)
    assert messages(report) == [
        "Forecast!C4 (week): Forecast covers 2 of 3 horizon weeks for sku A at S1: no rows "
        "for the week of 2026-12-07 (baseline 0 there)",
        "Inventory!C (on_hand): as_of moved from 2026-11-18 to 2026-11-25 since the last run "
        "but no on_hand changed: refresh Inventory (on_hand is the position at the start of "
        "the as-of week)"]
    issues = rows_of(book, "Issues")
    assert [r[4] for r in issues[1:] if "carries no stamp" not in r[4]] == [
        m.split(": ", 1)[1] for m in messages(report)]

    book = plan(make_book, D(2026, 11, 25), 80)  # on_hand refreshed: that warning is gone
    assert not [m for m in messages(pysnop.recalc(book)) if "as_of moved" in m]


def test_actuals_newer_than_as_of_are_warned_and_check_sees_the_same(make_book):
    # an Actuals row for the week of 2026-11-23 while as_of is 2026-11-18 (week 11-16)
    book = plan(make_book, D(2026, 11, 18), 100,
                actuals=[["A", "S1", D(2026, 11, 9), 10], ["A", "S1", D(2026, 11, 23), 12]])
    expected = ("Actuals!C3 (week): Actuals has 1 row for the as-of week (2026-11-16) or "
                "later, up to the week of 2026-11-23: as_of 2026-11-18 is behind the data — "
                "set Settings as_of")
    assert expected in messages(pysnop.check(book))
    assert expected in messages(pysnop.recalc(book))


def test_the_log_command_does_not_print_the_fingerprint(make_book):
    book = plan(make_book, D(2026, 11, 18), 100)
    pysnop.recalc(book)
    from pysnop.cli import actions as cli_actions
    cli_actions.register(cli)
    result = CliRunner().invoke(cli, ["log", str(book)], obj={})
    assert result.exit_code == 0, result.output
    assert "fingerprint" in result.output and "on_hand_fingerprint" not in result.output


# ---------------------------------------------------------------------------------------
# the quarterly scorecard's boundary figures
#
# Cycle 1, as_of 2026-11-04 (week 11-02), 3 weeks: A at S1, on hand 30, lead 1 week, price
# 10, cost 6; forecast 20 a week; PO1 of 30 due 2026-11-20 (week 11-16); campaign P1 the
# whole week 11-09 at +100 %, promo price 8 (promo margin 2), spend 1,000.
#   demand 20, 40, 20 → week 11-09 sells 10 of 40: STOCKOUT first in 11-09, flagged with a
#   1-week lead (11-02 → 11-09) = the lead time: in time.
# The planner approves the EXPEDITE of PO1 into 11-09 (30 units × 0.5 = cost 15).
# Cycle 2, as_of 2026-11-18: Actuals say 20 sold in 11-02 and 10 in 11-09, a stockout.
#   lost promo units in 11-09: the forecast recorded in cycle 1 (20) × (1 + 1.0) = 40
#   against 10 sold = 30, at the promo margin 2 = 60; margin leaked = 60 + 15 = 75
#   wasted spend: P1's 20 lift units all lost (lift served last) → 1,000 × 20 ÷ 20 = 1,000
# ---------------------------------------------------------------------------------------
def cycle(make_book, as_of, on_hand, actuals=None):
    def w(k):
        return D(2026, 11, 2) + dt.timedelta(weeks=k)
    sheets = {
        "Settings": [["as_of", as_of], ["horizon_weeks", 3], ["risk_buffer", 0],
                     ["expedite_cost_per_unit", 0.5]],
        "Inventory": [INVENTORY_HEAD, ["A", "S1", on_hand, 0, 1, 10, 6]],
        "Receipts": [["po_id", "sku", "location", "due", "qty"],
                     ["PO1", "A", "S1", D(2026, 11, 20), 30]],
        "Forecast": [["sku", "location", "week", "units"]]
        + [["A", "S1", w(k), 20] for k in range(5)],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift", "status", "promo_price",
                       "spend"],
                      ["P1", "A", w(1), w(1) + dt.timedelta(days=6), 1.0, "Confirmed", 8,
                       1000]],
        "Approvers": [["name", "function"], ["ann", "Supply"]]}
    if actuals:
        sheets["Actuals"] = [["sku", "location", "week", "units", "on_hand_end", "stockout"],
                             *actuals]
    return make_book(sheets, name="cycle.xlsx")


def approve(path, kind: str, who: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Actions"]
    at = next(r[0].row for r in ws.iter_rows() if "action_id" in [c.value for c in r])
    header = [c.value for c in ws[at]]
    for row in ws.iter_rows(min_row=at + 1):
        if row[header.index("type")].value == kind and row[header.index("action_id")].value:
            row[header.index("status")].value = "Approved"
            row[header.index("approver")].value = who
    wb.save(path)


def test_scorecard_counts_margin_leaked_wasted_spend_and_lead_time_won(make_book):
    book = cycle(make_book, D(2026, 11, 4), 30)
    pysnop.recalc(book, user="ann")
    expedite = action_of(book, "EXPEDITE")
    assert (expedite["qty"], expedite["cost"]) == (30, 15)  # cost = 30 × 0.5
    approve(book, "EXPEDITE", "ann")
    pysnop.recalc(book, user="ann")  # the approval is logged

    book = cycle(make_book, D(2026, 11, 18), 25, actuals=[
        ["A", "S1", D(2026, 11, 2), 20, 10, False], ["A", "S1", D(2026, 11, 9), 10, 0, True]])
    pysnop.recalc(book, user="ann")
    rows = rows_of(book, "Scorecard")
    at = next(i for i, r in enumerate(rows) if r[0] == "At the marketing–supply boundary")
    header = rows[at + 1]
    q = dict(zip(header, rows[at + 2]))
    assert rows[at + 3][0] == ""  # one quarter
    assert q == {
        "quarter": "2026Q4", "lost promo units": 30, "lost promo margin": 60,
        "expedite cost": 15, "transfer cost": 0, "margin leaked": 75, "wasted spend": 1000,
        "risks": 1, "mean lead weeks": 1, "flagged in time": 1, "share flagged in time": 1,
        "": ""}
    charts = openpyxl.load_workbook(book)["Scorecard"]._charts
    titles = [c.title.tx.rich.p[0].r[0].t for c in charts if c.title is not None]
    assert "Margin leaked and wasted spend by quarter" in titles
    assert "Lead time won: risks flagged at least their lead time ahead" in titles


def test_a_risk_not_yet_due_is_not_counted_and_a_rerun_gives_the_same_figures(make_book):
    # the same first cycle, run twice in its own week: its risk (week 11-09) has not come
    # due at as_of 2026-11-04, so the boundary block shows no risk yet, both times
    book = cycle(make_book, D(2026, 11, 4), 30, actuals=[
        ["A", "S1", D(2026, 10, 26), 20, 50, False]])
    pysnop.recalc(book)
    first = rows_of(book, "Scorecard")
    pysnop.recalc(book)
    assert rows_of(book, "Scorecard") == first
    at = next(i for i, r in enumerate(first) if r[0] == "At the marketing–supply boundary")
    q = dict(zip(first[at + 1], first[at + 2]))
    assert (q["quarter"], q["risks"], q["lost promo units"]) == ("2026Q4", 0, 0)
    assert q["share flagged in time"] == ""


@pytest.fixture(autouse=True)
def _no_user(monkeypatch):
    monkeypatch.delenv("PYSNOP_USER", raising=False)
