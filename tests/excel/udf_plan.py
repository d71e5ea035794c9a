"""A small plan for the worksheet-function tests, as Excel would hand its ranges over.

Hand-worked (as_of 2026-03-02, a Monday; 4 weeks):
- A@S1: on_hand 100, safety 10, baseline 20/week; campaign C1 (lift 0.5) runs Wed 4 Mar to
  Tue 10 Mar: 5/7 of week 0, 2/7 of week 1 -> demand 27.142857143, 22.857142857, 20, 20;
  receipt 30 due 11 Mar (week 1) -> poh 72.857142857, 80, 60, 40: OK.
- B@S1: on_hand 50, baseline 20 -> poh 30, 10, -10, -30: STOCKOUT from 16 Mar,
  lost 30 units x margin 2 = 60; lead time 1 week -> act by 9 Mar.
"""

from __future__ import annotations

import datetime as dt

EPOCH = dt.date(1899, 12, 30)


def serial(d: dt.date) -> float:
    return float((d - EPOCH).days)


AS_OF = dt.date(2026, 3, 2)
HEADERS = {
    "Campaigns": ["campaign_id", "sku", "start", "end", "lift", "status"],
    "Inventory": ["sku", "location", "on_hand", "safety_stock", "lead_time_weeks", "unit_cost",
                  "unit_price"],
    "Receipts": ["sku", "location", "due", "qty"],
    "Forecast": ["sku", "location", "week", "units"],
}
ROWS = {
    "Campaigns": [["C1", "A", dt.date(2026, 3, 4), dt.date(2026, 3, 10), 0.5, "Planned"]],
    "Inventory": [["A", "S1", 100, 10, 2, 4, 10], ["B", "S1", 50, None, 1, 1, 3]],
    "Receipts": [["A", "S1", dt.date(2026, 3, 11), 30]],
    "Forecast": [[s, "S1", AS_OF + dt.timedelta(days=7 * w), 20] for s in "AB" for w in range(4)],
}


def sheets() -> dict[str, list[list]]:
    """{sheet: rows incl. header} with real dates (for building workbooks)."""
    return {name: [HEADERS[name]] + [list(r) for r in ROWS[name]] for name in HEADERS}


def as_excel(name: str) -> tuple[tuple, ...]:
    """A range as Excel's COM hands it over: tuples of tuples, numbers and dates as floats
    (serials), blanks as None."""
    def cell(v):
        if isinstance(v, dt.date):
            return serial(v)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        return v
    return tuple(tuple(cell(v) for v in row) for row in sheets()[name])


EXPECTED_RISK = [
    ["sku", "location", "status", "first_risk_week", "min_projected", "shortfall_units",
     "lost_units", "margin_at_risk", "act_by"],
    ["B", "S1", "STOCKOUT", dt.date(2026, 3, 16), -30.0, 30.0, 30.0, 60.0, dt.date(2026, 3, 9)],
    ["A", "S1", "OK", None, 40.0, 0.0, 0.0, 0.0, None],
]
POH_A = [72.857142857, 80.0, 60.0, 40.0]
DEMAND_A = [27.142857143, 22.857142857, 20.0, 20.0]


def consensus_forecast_rows() -> list[list]:
    """Forecast rows from three sources at three levels (category, sku, sku×location)."""
    wk = AS_OF
    return [["sku", "location", "category", "week", "units", "source"],
            [None, None, "Toys", wk, 120, "Marketing"],
            ["A", None, "Toys", wk, 70, "Merchandising"],
            ["A", "S1", "Toys", wk, 40, "Planning"],
            ["A", "S2", "Toys", wk, 20, "Planning"],
            ["B", "S1", "Toys", wk, 30, "Planning"]]
