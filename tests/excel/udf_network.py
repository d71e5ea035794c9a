"""A small network for the worksheet-function tests, as Excel would hand its ranges over.

One SKU, A; DC1 (on hand 30, lead 2, a PO of 12 due Wed 25 Nov: week 1) feeds S01 (packs of
6, on hand 10, demand 10/week), S02 (packs of 4, on hand 4, demand 8) and the online location
WEB (transit 0, on hand 0, demand 5). As of Wed 2026-11-18 (week 0 = Mon 16 Nov), 3 weeks,
unit margin 5 − 3 = 2; no campaign, so every threshold is 0. Worked by hand from
docs/semantics.md (network):

- t=0: S01 enters week 1 at 10−10 = 0, asks 10 → 12 (packs of 6); S02 at 4−8 = −4, asks 12;
  WEB asks 5 for week 0. 29 ≤ 30: all met, DC1 keeps 1.
- t=1: S01 (0+12−10 = 2) asks 8 → 12; S02 (−4+12−8 = 0) asks 8; WEB asks 5: 25
  against 1 + 12 = 13, f = 0.52: S01 6.24 → 6, S02 4.16 → 4, WEB 2.6; 0.4 left < a pack.
- t=2: only WEB can still be served in the horizon: asks 7.4, gets the 0.4.
- S01 0, 2, −2 (first risk 30 Nov; met in full it would hold 4: "DC fair share"); S02 −4, 0,
  −4 (short before anything arrives: "own shortfall"); WEB 0, −2.4, −7 ("DC fair share");
  DC1 as planned in full: 30−29 = 1, 1+12−25 = −12, −12−5 = −17: "short for S01, WEB".
- lost sales (see tests/workbook/test_network_end_to_end.py for the run): S01 2, S02 8,
  WEB 3, DC1 0; act_by = first risk − (transit + DC1's lead 2) weeks, DC1's own − 2 weeks.
"""

from __future__ import annotations

import datetime as dt

from udf_plan import serial

AS_OF = dt.date(2026, 11, 18)
W0, W1, W2 = dt.date(2026, 11, 16), dt.date(2026, 11, 23), dt.date(2026, 11, 30)

SHEETS: dict[str, list[list]] = {
    "Campaigns": [["campaign_id", "sku", "start", "end", "lift"]],
    "Inventory": [["sku", "location", "on_hand", "lead_time_weeks", "unit_cost", "unit_price",
                   "pack_size"],
                  ["A", "DC1", 30, 2, 3, 5, None],
                  ["A", "S01", 10, None, 3, 5, 6],
                  ["A", "S02", 4, None, 3, 5, 4],
                  ["A", "WEB", 0, None, 3, 5, None]],
    "Receipts": [["sku", "location", "due", "qty"], ["A", "DC1", dt.date(2026, 11, 25), 12]],
    "Forecast": [["sku", "location", "week", "units"],
                 *[["A", loc, w, u] for loc, u in (("S01", 10), ("S02", 8), ("WEB", 5))
                   for w in (W0, W1, W2)]],
    "Locations": [["location", "role", "supplied_by", "transit_weeks"],
                  ["DC1", "dc", None, None], ["S01", "store", "DC1", 1],
                  ["S02", None, "DC1", None], ["WEB", "online", "DC1", 0]],
}

EXPECTED = [
    ["sku", "location", "status", "first_risk_week", "min_projected", "shortfall_units",
     "lost_units", "margin_at_risk", "act_by", "role", "supplied_by", "risk_cause"],
    ["A", "S02", "STOCKOUT", W0, -4.0, 4.0, 8.0, 16.0, dt.date(2026, 10, 26), "store", "DC1",
     "own shortfall"],
    ["A", "WEB", "STOCKOUT", W1, -7.0, 7.0, 3.0, 6.0, dt.date(2026, 11, 9), "online", "DC1",
     "DC fair share"],
    ["A", "DC1", "STOCKOUT", W1, -17.0, 17.0, 0.0, 0.0, dt.date(2026, 11, 9), "dc", None,
     "short for S01, WEB"],
    ["A", "S01", "STOCKOUT", W2, -2.0, 2.0, 2.0, 4.0, dt.date(2026, 11, 9), "store", "DC1",
     "DC fair share"],
]


def as_excel(name: str) -> tuple[tuple, ...]:
    """A range as COM hands it over: tuples, numbers and dates as floats, blanks None."""
    def cell(v):
        if isinstance(v, dt.date):
            return serial(v)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        return v
    return tuple(tuple(cell(v) for v in row) for row in SHEETS[name])


def ref(name: str) -> str:
    """The sheet range that holds ``name``'s rows (for a formula)."""
    rows = SHEETS[name]
    width = max(len(r) for r in rows)
    return f"{name}!A1:{chr(ord('A') + width - 1)}{len(rows)}"
