"""Build PlanInputs from short literal lists, so each hand-worked case reads like its worksheet."""

import datetime as dt

import pandas as pd

from pysnop.core.model import (CAMPAIGN_COLUMNS, FORECAST_COLUMNS, INVENTORY_COLUMNS,
                               INVENTORY_NETWORK_COLUMNS, LOCATION_COLUMNS, RECEIPT_COLUMNS,
                               PlanInputs, Settings)


def _frame(rows, columns, dates=()):
    frame = pd.DataFrame([dict(r) for r in rows], columns=columns)
    for col in dates:
        frame[col] = pd.to_datetime(frame[col])
    frame["row"] = range(2, len(frame) + 2)
    return frame


def build_plan(inventory, forecast=(), campaigns=(), receipts=(), products=None, locations=None,
               **settings):
    settings.setdefault("as_of", dt.date(2026, 11, 18))  # a Wednesday: week 0 is Mon 2026-11-16
    # The cases here are worked by hand with no risk buffer (threshold = safety stock) unless
    # they pass one; the product default (0.25) is tested on its own.
    settings.setdefault("risk_buffer", 0.0)
    network = [c for c in INVENTORY_NETWORK_COLUMNS if any(c in r for r in inventory)]
    inv = _frame([{"safety_stock": 0.0, **r} for r in inventory], INVENTORY_COLUMNS + network)
    camp = _frame([{"status": "Planned", "locations": (), **r} for r in campaigns],
                  CAMPAIGN_COLUMNS, dates=("start", "end"))
    return PlanInputs(
        settings=Settings(**settings),
        inventory=inv,
        forecast=_frame(forecast, FORECAST_COLUMNS, dates=("week",)),
        campaigns=camp,
        receipts=_frame(receipts, RECEIPT_COLUMNS, dates=("due",)),
        products=None if products is None else pd.DataFrame(products),
        locations=None if locations is None else _frame(locations, LOCATION_COLUMNS),
    )


def weekly(sku, location, units, first="2026-11-16"):
    """Forecast rows: one per week from ``first``, with the given units."""
    weeks = pd.date_range(first, periods=len(units), freq="7D")
    return [{"sku": sku, "location": location, "week": w, "units": u} for w, u in zip(weeks, units)]
