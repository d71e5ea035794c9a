"""Two workbooks for the network's end-to-end tests (as `make_book` sheets).

``network_sheets()``: one DC (DC1) feeding S01, S02, S03 and an online location WEB, laid out
the way planners type: title rows, header aliases, numbers typed as text, stray spaces, an
unrelated column, a blank row. SKU A ships in packs (6 from Products, 4 at S02); SKU B has
direct demand at DC1, a campaign at S01 and is direct-store-delivered at S03. Every number
of its Bridge is worked by hand in tests/workbook/test_network_end_to_end.py.

``flat_sheets()``: a workbook without any network data (stores on their own, campaigns,
receipts, safety stock), whose Bridge must stay exactly as before the network existed.
"""

from __future__ import annotations

import datetime as dt

AS_OF = dt.date(2026, 11, 18)  # a Wednesday: week 0 is Mon 2026-11-16
W0, W1, W2 = dt.date(2026, 11, 16), dt.date(2026, 11, 23), dt.date(2026, 11, 30)


def network_sheets() -> dict[str, list[list]]:
    return {
        "Settings": [["Setting", "Value"], ["As of date", AS_OF], ["Horizon", 3]],
        "Stores": [
            ["Store network — update when a store changes DC"],
            [],
            ["Store", "Type", "DC", "Transit", "Region"],
            ["DC1", "DC", None, None, "North"],
            ["S01", "Store", " DC1 ", 1, "North"],
            ["S02", None, "DC1", "1", "North"],
            ["S03", "store", "DC1", None, "South"],   # transit blank: 1
            ["WEB", "Online", "DC1", 0, None],
        ],
        "Products": [
            ["sku", "Description", "Price", "Cost", "Case pack"],
            ["A", "Apple juice 1L", 5, 3, 6],
            ["B", "Biscuits", 10, 6, None],
        ],
        "Inventory": [
            ["Inventory position (Monday count)"],
            ["Item", "Store", "SOH", "SS", "LT", "Case pack", "Supplied by", "Notes"],
            ["A", "DC1", 30, 0, 2, None, None, None],
            ["A", "S01", 10, None, None, None, None, None],
            ["A", "S02", "4", None, None, 4, None, "pack of 4 here"],
            ["A", "WEB", 0, None, None, None, None, None],
            [],
            ["B", "DC1", "19.5", 0, 1, None, None, "also ships web orders"],
            ["B", "S01", 5, 0, None, None, None, None],
            ["B", "S03", 8, 0, 1, None, "Direct", "DSD"],
        ],
        "Receipts": [
            ["PO", "sku", "location", "ETA", "Qty"],
            ["PO-1", "A", "DC1", dt.date(2026, 11, 25), 12],
        ],
        "Campaigns": [
            ["Promo", "Item", "Start", "End", "Uplift", "Stores"],
            ["C1", "B", W1, dt.date(2026, 11, 29), "40%", "S01"],
        ],
        "Forecast": [
            ["sku", "location", W0, W1, W2],
            ["A", "S01", 10, 10, 10],
            ["A", "S02", 8, 8, 8],
            ["A", "WEB", 5, 5, 5],
            ["B", "DC1", 6, 6, 6],
            ["B", "S01", 5, 5, 6.5],
            ["B", "S03", 4, 4, 4],
        ],
    }


def flat_sheets() -> dict[str, list[list]]:
    return {
        "Settings": [["key", "value"], ["as_of", AS_OF], ["horizon_weeks", 4],
                     ["risk_buffer", 0.25]],
        "Inventory": [
            ["sku", "location", "on_hand", "safety_stock", "lead_time_weeks", "unit_cost",
             "unit_price"],
            ["00123", "S01", 40, 5, 1, 2, 5],
            ["00123", "S02", 12, 2, 3, 2, 5],
            ["B7", "S01", 9, 0, 0, 4, 9],
            ["B7", "S02", 100, 10, 2, 4, 9],
            ["C", "S01", 3, 1, None, None, None],
        ],
        "Receipts": [["sku", "location", "due", "qty"],
                     ["00123", "S02", dt.date(2026, 11, 27), 20],
                     ["B7", "S01", dt.date(2026, 11, 10), 5]],  # past due: week 0
        "Campaigns": [
            ["campaign_id", "sku", "start", "end", "lift", "status", "locations"],
            ["X1", "00123", dt.date(2026, 11, 20), dt.date(2026, 12, 2), 0.5, "Planned", None],
            ["X2", "B7", W1, dt.date(2026, 11, 29), 1.0, "Confirmed", "S01"],
            ["X3", "C", W0, W2, 0.3, "Draft", None],
        ],
        "Forecast": [
            ["sku", "location", "week", "units"],
            *[[s, loc, w, u] for s, loc, u in (("00123", "S01", 10), ("00123", "S02", 7),
                                               ("B7", "S01", 4), ("B7", "S02", 12),
                                               ("C", "S01", 1))
              for w in (W0, W1, W2, dt.date(2026, 12, 7))],
        ],
    }
