"""pysnop's Excel worksheet functions (xlwings UDFs).

Load them in Excel by adding ``pysnop.excel.udf`` to xlwings' *UDF Modules* (ribbon: xlwings tab →
UDF Modules, or ``UDF_MODULES`` in the xlwings.conf sheet / ``xlwings.conf`` file) and
clicking *Import Functions*; see ``docs/excel.md``. The same functions are evaluated
headlessly by ``pysnop recalc`` (see :mod:`pysnop.workbook.formulas.headless`).

Every function is a thin adapter over :mod:`pysnop.workbook.formulas.functions` (which uses the reader and the
core): table arguments are ranges that *include their header row* (``Inventory!A1:G49`` or
``Inventory[#All]``), dates may be Excel serials, and a bad argument returns one short cell
text such as ``#PYSNOP: inventory row 7 (on_hand): expected a number, got "n/a"`` — the row is
counted inside the argument range, row 1 being its header.

| function | returns |
|---|---|
| ``STOCKOUT_RISK(campaigns, inventory, receipts, forecast, [as_of], [horizon_weeks])`` | spills sku, location, status, first_risk_week, min_projected, shortfall_units, lost_units, margin_at_risk, act_by |
| ``PROJECTED_ON_HAND(on_hand, receipts, demand)`` | spills the projected on-hand row |
| ``PROMO_DEMAND(baseline, first_week, start, end, lift)`` | spills weekly demand with the promotion lift |
| ``MAX_SUPPORTABLE_LIFT(campaigns, inventory, receipts, forecast, [campaign_id], [as_of], [horizon_weeks])`` | one campaign's max supportable lift, or the whole supply check |
| ``CONSENSUS_FORECAST(forecast, [inventory], [method], [products])`` | spills sku, location, week, units |
| ``WEEKS_OF_SUPPLY(on_hand, demand)`` | on_hand ÷ average weekly demand |
"""

from __future__ import annotations

import datetime as dt
import functools

import xlwings as xw

from pysnop.workbook.formulas import functions as core

try:  # Windows with pywin32: the very decorators behind xw.func / xw.arg
    from xlwings.udfs import xlarg as _arg, xlfunc as _func
except ImportError:  # elsewhere xlwings' own no-op stand-ins (Excel is not there anyway)
    _arg, _func = xw.arg, xw.func

CATEGORY = "pysnop"
_TABLE = dict(ndim=2)  # a range stays 2-D even when it is one cell or one row


def _to_excel(value):
    """Core values → what xlwings hands to Excel: dates as datetimes (Excel shows dates),
    None as blank; a 2-D list spills in dynamic-array Excel."""
    if isinstance(value, list):
        return [[_to_excel(v) for v in row] for row in value]
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return "" if value is None else value


def _cell_function(name: str):
    """Run core function ``name``; any failure becomes a ``#PYSNOP: ...`` text, never a
    traceback (xlwings would otherwise show one in the cell)."""
    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args):
            return _to_excel(core.call(name, *args))
        return wrapper
    return decorate


@_func(category=CATEGORY)
@_arg("campaigns", doc="Campaigns range incl. header: campaign_id, sku, start, end, lift, "
                         "[status, locations]. May be empty.", **_TABLE)
@_arg("inventory", doc="Inventory range incl. header: sku, location, on_hand, "
                         "[safety_stock, lead_time_weeks, unit_cost, unit_price, unit_margin].",
        **_TABLE)
@_arg("receipts", doc="Receipts range incl. header: sku, location, due, qty, [status]. "
                        "May be empty.", **_TABLE)
@_arg("forecast", doc="Forecast range incl. header: sku, location, week, units "
                        "(or one column per week).", **_TABLE)
@_arg("as_of", doc="Planning date (default: today). Week 0 is the week containing it.")
@_arg("horizon_weeks", doc="Weeks projected, 1-104 (default 8).")
@_cell_function("STOCKOUT_RISK")
def STOCKOUT_RISK(campaigns, inventory, receipts, forecast, as_of=None, horizon_weeks=None):
    """Stockout risk per sku and location with the promo lift applied: spills sku, location, status, first_risk_week, min_projected, shortfall_units, lost_units, margin_at_risk, act_by."""  # noqa: E501


@_func(category=CATEGORY)
@_arg("on_hand", doc="Units on hand at the start of week 0 (or a column, one per row).")
@_arg("receipts", doc="Receipts per week, one row like demand (may be empty).", **_TABLE)
@_arg("demand", doc="Demand per week, one row (weeks 0..H-1).", **_TABLE)
@_cell_function("PROJECTED_ON_HAND")
def PROJECTED_ON_HAND(on_hand, receipts, demand):
    """Projected on-hand at the end of each week: on_hand + cumulative (receipts - demand). Spills one row."""  # noqa: E501


@_func(category=CATEGORY)
@_arg("baseline", doc="Baseline demand per week, one row starting at week 0.", **_TABLE)
@_arg("first_week", doc="Any date in week 0 (an Excel date or serial).")
@_arg("start", doc="Campaign start date (inclusive); a column for several campaigns.")
@_arg("end", doc="Campaign end date (inclusive); same shape as start.")
@_arg("lift", doc="Lift as a fraction (0.35 = +35%) or text like 35%; same shape as start.")
@_cell_function("PROMO_DEMAND")
def PROMO_DEMAND(baseline, first_week, start, end, lift):
    """Weekly demand with promotion lift: baseline x (1 + lift x share of the week the campaign runs). Spills one row."""  # noqa: E501


@_func(category=CATEGORY)
@_arg("campaigns", doc="Campaigns range incl. header: campaign_id, sku, start, end, lift.",
        **_TABLE)
@_arg("inventory", doc="Inventory range incl. header: sku, location, on_hand, ...", **_TABLE)
@_arg("receipts", doc="Receipts range incl. header (may be empty).", **_TABLE)
@_arg("forecast", doc="Forecast range incl. header: sku, location, week, units.", **_TABLE)
@_arg("campaign_id", doc="A campaign id: return its max supportable lift. Omit to spill "
                           "the whole supply check.")
@_arg("as_of", doc="Planning date (default: today).")
@_arg("horizon_weeks", doc="Weeks projected, 1-104 (default 8).")
@_cell_function("MAX_SUPPORTABLE_LIFT")
def MAX_SUPPORTABLE_LIFT(campaigns, inventory, receipts, forecast, campaign_id=None,
                         as_of=None, horizon_weeks=None):
    """Largest lift (up to the planned one) supply can carry without any week falling below safety stock."""  # noqa: E501


@_func(category=CATEGORY)
@_arg("forecast", doc="Forecast range incl. header: sku, location, week, units, source "
                        "(rows may leave sku/location blank for a category).", **_TABLE)
@_arg("inventory", doc="Inventory range incl. header (optional; gives the sku-locations "
                         "and categories).", **_TABLE)
@_arg("method", doc="bottom_up, top_down, mint_ols, mint_wls_struct (default) or none.")
@_arg("products", doc="Products range incl. header: sku, category (optional).", **_TABLE)
@_cell_function("CONSENSUS_FORECAST")
def CONSENSUS_FORECAST(forecast, inventory=None, method=None, products=None):
    """One consensus forecast from several sources, reconciled across category, sku and location. Spills sku, location, week, units."""  # noqa: E501


@_func(category=CATEGORY)
@_arg("on_hand", doc="Units on hand (or a column, one per demand row).")
@_arg("demand", doc="Weekly demand, one row (blank cells ignored).", **_TABLE)
@_cell_function("WEEKS_OF_SUPPLY")
def WEEKS_OF_SUPPLY(on_hand, demand):
    """Weeks of supply: on_hand divided by average weekly demand (blank when demand is 0)."""


__all__ = ["STOCKOUT_RISK", "PROJECTED_ON_HAND", "PROMO_DEMAND", "MAX_SUPPORTABLE_LIFT",
           "CONSENSUS_FORECAST", "WEEKS_OF_SUPPLY"]
