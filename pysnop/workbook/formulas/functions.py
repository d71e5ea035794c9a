"""The pure functions behind pysnop's worksheet functions (``=STOCKOUT_RISK(...)`` and friends).

Both doors into a formula call these: the xlwings UDFs in :mod:`pysnop.excel.udf` (live
Excel) and the headless formula engine in :mod:`pysnop.workbook.formulas.headless`. Each takes
what a worksheet hands over — 2-D lists of raw cell values (a range *including its header
row*; numbers as floats, dates as Excel serials or dates, blanks as None or "") and scalars —
and returns a 2-D list of plain values (str, float, ``datetime.date``, None for blank) or a
scalar.

Table arguments are parsed by the workbook reader itself
(:func:`pysnop.workbook.read.reader.read_plan` over a :class:`RangeSource`), so header aliases,
value checks and error texts are exactly those of ``pysnop recalc``. No planning logic lives
here: the numbers come from :mod:`pysnop.core`.

A bad argument raises :class:`ArgumentError`; its text is short enough for a cell and says
what and where, with rows counted inside the argument range (row 1 = its header row):
``inventory row 7 (on_hand): expected a number, got "n/a"``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pysnop.core import calendar
from pysnop.core.bridge import run_bridge
from pysnop.core.bridge_math import DECIMALS, project
from pysnop.core.consensus import consensus_baseline
from pysnop.core.locations import has_network_data
from pysnop.core.model import RECONCILIATION_METHODS
from pysnop.errors import Problem, PysnopError, ValidationError, show_value
from pysnop.workbook.formulas.arguments import ArgumentError as ArgumentError
from pysnop.workbook.formulas.arguments import as_rows as as_rows
from pysnop.workbook.formulas.arguments import date_arg as date_arg
from pysnop.workbook.formulas.arguments import flat_cells
from pysnop.workbook.formulas.arguments import is_blank as is_blank
from pysnop.workbook.formulas.arguments import is_empty_arg as is_empty_arg
from pysnop.workbook.formulas.arguments import number_list as number_list
from pysnop.workbook.formulas.arguments import text_arg as text_arg
from pysnop.workbook.formulas.arguments import whole_number_arg as whole_number_arg
from pysnop.workbook.formulas.cache import ResultCache
from pysnop.workbook.read.campaigns import lift_text
from pysnop.workbook.read.grid import Grid
from pysnop.workbook.read.reader import read_plan
from pysnop.workbook.read.schema import norm

ERROR_PREFIX = "#PYSNOP: "

STOCKOUT_RISK_HEADER = ["sku", "location", "status", "first_risk_week", "min_projected",
                        "shortfall_units", "lost_units", "margin_at_risk", "act_by"]
STOCKOUT_RISK_NETWORK_COLUMNS = ["role", "supplied_by", "risk_cause"]
SUPPLY_CHECK_HEADER = ["campaign_id", "sku", "supply_status", "coverage",
                       "max_supportable_lift", "earliest_safe_start", "margin_at_risk", "note"]
CONSENSUS_HEADER = ["sku", "location", "week", "units"]


def error_text(exc: BaseException) -> str:
    """The cell text for a failure: ``#PYSNOP: <what and where>``; never a traceback."""
    if isinstance(exc, PysnopError):
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    else:
        text = f"internal error ({type(exc).__name__}: {exc}); please report it"
    return ERROR_PREFIX + text


# ----------------------------------------------------------------------- tables via reader

class RangeSource:
    """A :class:`~pysnop.workbook.read.grid.GridSource` over worksheet-function arguments.

    Each argument range becomes one "sheet" named after the input table it holds (so the
    reader recognises it); row 1 of the grid is the range's first row.
    """

    def __init__(self, ranges: dict[str, Any]):
        self._grids = {name: as_rows(v) for name, v in ranges.items()}

    def sheet_names(self) -> list[str]:
        return list(self._grids)

    def grid(self, sheet: str) -> Grid:
        # the rows as handed over, blanks None: the reader reads None as blank, as it does
        # a live workbook's (pysnop.excel.book); not copied (nothing edits a grid)
        return Grid(sheet, self._grids[sheet], 1, 1)

    def tables(self) -> list[tuple[str, str, str]]:
        return []


def _problem_text(p: Problem, arg_names: dict[str, str]) -> str:
    arg = arg_names.get(p.sheet or "", (p.sheet or "").lower())
    where = arg
    if p.row is not None:
        where = f"{arg} row {p.row}"
    if p.column:
        where = f"{where} ({p.column})"
    reason = p.reason.replace("the sheet is empty", "the range is empty")
    if p.sheet is None:  # a required table is missing entirely
        reason = reason.split(" (sheets in the workbook")[0].replace("sheet", "range")
    return f"{where}: {reason}" if where else reason


def _raise_problems(problems: list[Problem], arg_names: dict[str, str]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return
    text = _problem_text(errors[0], arg_names)
    if len(errors) > 1:
        text += f" (+{len(errors) - 1} more)"
    raise ArgumentError(text)


def read_tables(tables: dict[str, Any], *, as_of: Any = None, horizon_weeks: Any = None,
                settings: dict | None = None):
    """Parse argument ranges with the workbook reader; returns ``(PlanInputs, warnings)``.

    ``tables`` maps canonical table names (Campaigns, Inventory, ...) to argument values;
    omitted or blank arguments of optional tables are left out.
    """
    names = {"Campaigns": "campaigns", "Inventory": "inventory", "Receipts": "receipts",
             "Forecast": "forecast", "Products": "products", "Actuals": "actuals",
             "Locations": "locations"}
    rows = {k: as_rows(v) for k, v in tables.items()}  # each range turned into rows once
    given: dict[str, Any] = {k: r for k, r in rows.items()
                             if not all(is_blank(v) for row in r for v in row)}
    if "Inventory" in tables and "Inventory" not in given:
        raise ArgumentError("inventory: the range is empty; expected a header row with sku, "
                            "location, on_hand")
    if "Forecast" in tables and "Forecast" not in given:
        raise ArgumentError("forecast: the range is empty; expected a header row with sku, "
                            "location, week, units")
    if "Inventory" not in given:  # the reader needs one; a header-only table stands in
        given["Inventory"] = [["sku", "location", "on_hand"]]
    day = date_arg(as_of, "as_of")
    horizon = whole_number_arg(horizon_weeks, "horizon_weeks", 1, 104)
    try:
        read = read_plan(RangeSource(given))
    except ValidationError as exc:
        _raise_problems(exc.problems, names)
        raise
    plan = read.inputs
    changes: dict[str, Any] = dict(settings or {})
    if day is not None:
        changes["as_of"] = day
    if horizon is not None:
        changes["horizon_weeks"] = horizon
    if changes:
        plan.settings = dataclasses.replace(plan.settings, **changes)
    return plan, read.warnings


# ------------------------------------------------------------------------------ outputs

def _cell(v: Any) -> Any:
    """One output value: dates as ``datetime.date``, NaN/NaT as None, numpy scalars unboxed."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return None if pd.isna(v) else v.date()
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else pd.Timestamp(v).date()
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) else f
    return v


def _cells(column: pd.Series) -> list:
    """A column as plain cell values (what :func:`_cell` makes of each), whole columns at a
    time for the plain numpy dtypes."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
        values = column.to_numpy()
        cells = values.tolist()  # Python floats, ints and bools
        if dtype.kind == "f":
            for i in np.flatnonzero(np.isnan(values)).tolist():
                cells[i] = None
        return cells
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        days = column.to_numpy().astype("datetime64[D]")
        cells = days.astype(object).tolist()  # datetime.date; NaT -> None
        return cells
    if isinstance(dtype, pd.StringDtype):  # text, or missing
        cells = column.tolist()
        for i in np.flatnonzero(column.isna().to_numpy()).tolist():
            cells[i] = None
        return cells
    return [_cell(v) for v in column.tolist()]


def frame_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[list]:
    """Header row + one row per record, as plain cell values."""
    cols = [_cells(frame[c]) for c in columns]
    return [list(columns), *map(list, zip(*cols))]


# ---------------------------------------------------------------------------- functions

def stockout_risk(campaigns, inventory, receipts, forecast, as_of=None,
                  horizon_weeks=None, locations=None) -> list[list]:
    """The bridge summary, one row per sku×location (risk order, as on the Bridge sheet).

    With a network (a ``locations`` range, or role / supplied_by / transit_weeks / pack_size
    columns on ``inventory``) the rows are the network's (docs/semantics.md, network) and
    role, supplied_by and risk_cause follow the usual columns, whose places do not move.
    """
    plan, _ = read_tables({"Campaigns": campaigns, "Inventory": inventory,
                           "Receipts": receipts, "Forecast": forecast, "Locations": locations},
                          as_of=as_of, horizon_weeks=horizon_weeks)
    result = run_bridge(plan)
    network = has_network_data(plan.inventory, plan.locations)
    return frame_rows(result.summary, STOCKOUT_RISK_HEADER
                      + (STOCKOUT_RISK_NETWORK_COLUMNS if network else []))


def projected_on_hand(on_hand, receipts, demand) -> list[list]:
    """poh[w] = on_hand + Σ_{i≤w}(receipts[i] − demand[i]), one row per on_hand value.

    ``demand`` is a row (or several rows, one per on_hand value); ``receipts`` the same shape
    or omitted (no receipts).
    """
    stock = number_list(on_hand, "on_hand", blank=None)
    if len(stock) == 0:
        raise ArgumentError("on_hand: expected a number, got blank")
    dem_rows = as_rows(demand)
    if not dem_rows or is_empty_arg(demand):
        raise ArgumentError("demand: expected a row of weekly demand, got blank")
    n = len(stock)
    if len(dem_rows) == 1 and n > 1:
        dem_rows = dem_rows * n
    if len(dem_rows) != n:
        raise ArgumentError(f"demand: expected {n} row(s), one per on_hand value, "
                            f"got {len(dem_rows)}")
    width = len(dem_rows[0])
    dem = np.vstack([number_list([r], "demand", nonneg=True) for r in dem_rows])
    if is_empty_arg(receipts):
        rec = np.zeros_like(dem)
    else:
        rec_rows = as_rows(receipts)
        if len(rec_rows) == 1 and n > 1:
            rec_rows = rec_rows * n
        rec = np.vstack([number_list([r], "receipts", nonneg=True) for r in rec_rows])
        if rec.shape != dem.shape:
            raise ArgumentError(f"receipts: expected {n} row(s) of {width} weeks like demand, "
                                f"got {rec.shape[0]} of {rec.shape[1]}")
    return project(stock, rec, dem).tolist()


def promo_demand(baseline, first_week, start, end, lift) -> list[list]:
    """Weekly demand with promotion lift: baseline[w] × (1 + Σ_c lift_c × frac_c[w]).

    ``baseline`` is one row of weekly units starting in the week that contains
    ``first_week``; ``start``/``end``/``lift`` are one campaign each, or equal-length
    columns/rows of several campaigns (inclusive dates).
    """
    base = number_list(baseline, "baseline", nonneg=True)
    if len(base) == 0:
        raise ArgumentError("baseline: expected a row of weekly units, got blank")
    week0 = date_arg(first_week, "first_week")
    if week0 is None:
        raise ArgumentError("first_week: expected a date, got blank")
    starts = [date_arg(v, "start") for v in flat_cells(start)]
    ends = [date_arg(v, "end") for v in flat_cells(end)]
    lifts = _lifts(lift)
    if not (len(starts) == len(ends) == len(lifts)):
        raise ArgumentError(f"start, end and lift: expected the same number of campaigns, got "
                            f"{len(starts)}, {len(ends)} and {len(lifts)}")
    for k, (s, e) in enumerate(zip(starts, ends), start=1):
        if s is None or e is None:
            raise ArgumentError(f"{'start' if s is None else 'end'} {k}: expected a date, "
                                f"got blank")
        if e < s:
            raise ArgumentError(f"end {k}: {e.isoformat()} is before start {s.isoformat()}")
    monday = calendar.monday_of(week0)
    days = calendar.to_days(starts), calendar.to_days(ends)
    frac = calendar.overlap_fraction(days[0], days[1], monday, len(base))
    factor = (np.asarray(lifts)[:, None] * frac).sum(axis=0)
    lift_units = np.round(base * factor, DECIMALS)
    return [np.round(base + lift_units, DECIMALS).tolist()]


def _lifts(value) -> list[float]:
    out = []
    for k, v in enumerate(flat_cells(value), start=1):
        raw = v
        if isinstance(v, str):
            f = lift_text(v)
            pct_text = v.strip().endswith("%")
        elif isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
            f, pct_text = float(v), False
        else:
            f, pct_text = None, False
        if f is None:
            raise ArgumentError(f"lift {k}: expected a number, got {show_value(raw)}")
        if f > 5 and not pct_text:
            raise ArgumentError(f"lift {k}: {f:g} looks like a percent; type {f / 100:g} or "
                                f"{f:g}% for +{f:g}%")
        if f <= -1:
            raise ArgumentError(f"lift {k}: lift must be above -1 (-100%), got {f:g}")
        out.append(f)
    return out


def max_supportable_lift(campaigns, inventory, receipts, forecast, campaign_id=None,
                         as_of=None, horizon_weeks=None):
    """Marketing's supply check. With ``campaign_id``: that campaign's max supportable lift
    (the lowest over its rows); without: the whole check, one row per campaign row."""
    if is_empty_arg(campaigns):
        raise ArgumentError("campaigns: the range is empty; expected a header row with "
                            "campaign_id, sku, start, end, lift")
    plan, _ = read_tables({"Campaigns": campaigns, "Inventory": inventory,
                           "Receipts": receipts, "Forecast": forecast},
                          as_of=as_of, horizon_weeks=horizon_weeks)
    result = run_bridge(plan)
    check = result.campaign_check.copy()
    check["sku"] = plan.campaigns["sku"].to_numpy(dtype=object)
    wanted = text_arg(campaign_id, "campaign_id")
    if wanted is None:
        return frame_rows(check, SUPPLY_CHECK_HEADER)
    mine = check[check["campaign_id"].astype(str) == wanted]
    if mine.empty:
        raise ArgumentError(f"campaign_id: campaign {wanted} is not in campaigns")
    lift = mine["max_supportable_lift"].dropna()
    if lift.empty:
        raise ArgumentError(f"campaign {wanted}: {mine['note'].iloc[0] or 'not checked'}")
    return float(lift.min())


def consensus_forecast(forecast, inventory=None, method=None, products=None) -> list[list]:
    """One consensus forecast per sku×location and week (docs/semantics.md), from the sources'
    rows.

    Sources are combined with equal weights, then reconciled across the hierarchy with
    ``method`` (default mint_wls_struct; bottom_up, top_down, mint_ols, none).
    """
    how = text_arg(method, "method")
    settings = {}
    if how is not None:
        how = norm(how)
        if how not in RECONCILIATION_METHODS:
            raise ArgumentError(f"method: expected one of {', '.join(RECONCILIATION_METHODS)}, "
                                f"got {show_value(text_arg(method, 'method'))}")
        settings["reconciliation"] = how
    tables = {"Forecast": forecast}
    if not is_empty_arg(inventory):
        tables["Inventory"] = inventory
    if not is_empty_arg(products):
        tables["Products"] = products
    plan, _ = read_tables(tables, settings=settings)
    inv = plan.inventory if not is_empty_arg(inventory) else None
    result = consensus_baseline(plan.forecast, inv, plan.products, plan.settings)
    bottom = result.bottom.sort_values(["sku", "location", "week"], kind="stable")
    return frame_rows(bottom.reset_index(drop=True), CONSENSUS_HEADER)


def weeks_of_supply(on_hand, demand):
    """on_hand ÷ average weekly demand (blank demand cells ignored); None when it averages 0.

    ``on_hand`` a number with ``demand`` a row; or a column of on_hand values with one
    demand row each (returns a column).
    """
    stock = number_list(on_hand, "on_hand", blank=None, nonneg=True)
    rows = as_rows(demand)
    if is_empty_arg(demand):
        raise ArgumentError("demand: expected weekly demand, got blank")
    if len(stock) == 1:
        rows = [[v for r in rows for v in r]]
    if len(rows) != len(stock):
        raise ArgumentError(f"demand: expected {len(stock)} row(s), one per on_hand value, "
                            f"got {len(rows)}")
    out = []
    for s, r in zip(stock, rows):
        vals = number_list([[v for v in r if not is_blank(v)]], "demand", nonneg=True)
        mean = vals.mean() if len(vals) else 0.0
        out.append([float(s / mean) if mean > 0 else None])
    return out[0][0] if len(out) == 1 else out


# The implementation of each worksheet function of pysnop.catalog.FUNCTIONS, by Excel name.
IMPLEMENTATIONS: dict[str, Callable[..., Any]] = {
    "STOCKOUT_RISK": stockout_risk,
    "PROJECTED_ON_HAND": projected_on_hand,
    "PROMO_DEMAND": promo_demand,
    "MAX_SUPPORTABLE_LIFT": max_supportable_lift,
    "CONSENSUS_FORECAST": consensus_forecast,
    "WEEKS_OF_SUPPLY": weeks_of_supply,
}


# Results by the content of their arguments (see pysnop.workbook.formulas.cache): Excel calls
# a formula again whenever anything it depends on is touched, mostly with nothing changed.
RESULTS = ResultCache()


def _is_result(value: Any) -> bool:
    return not (isinstance(value, str) and value.startswith(ERROR_PREFIX))


def call(name: str, *args: Any, convert: Callable[[Any], Any] | None = None) -> Any:
    """Run worksheet function ``name``; a failure becomes its ``#PYSNOP: ...`` cell text.
    ``convert`` (the caller's conversion of the result, e.g. into what xlwings hands Excel)
    is applied before the result is cached.

    A call whose arguments hold the same cells as a recent one (with the same ``convert``)
    returns that one's result without computing — the same object: do not modify it.
    Failures are computed afresh each time.
    """
    fn = IMPLEMENTATIONS[name]

    def compute() -> Any:
        try:
            result = fn(*args)
        except Exception as exc:
            result = error_text(exc)
        return result if convert is None else convert(result)
    return RESULTS.call((name, convert), args, compute, ok=_is_result)
