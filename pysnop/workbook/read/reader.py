"""Read a planner's workbook into validated, typed :class:`~pysnop.core.model.PlanInputs`.

``read_plan`` collects every problem of every sheet and raises one
:class:`~pysnop.errors.ValidationError` carrying all of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pysnop.core import model
from pysnop.core.model import PlanInputs, Settings
from pysnop.errors import Problem, ValidationError, column_letter, show_value
from pysnop.workbook.read import schema as S
from pysnop.workbook.read.cells import (
    Col,
    Collector,
    blank_mask,
    parse_number_text,
    to_bool,
    to_date,
    to_number,
    to_text,
)
from pysnop.workbook.read.grid import GridSource, open_source
from pysnop.workbook.read.layout import Block, SheetLayout, find_table, locate, match_sheets
from pysnop.workbook.read.network import network_errors, nonempty
from pysnop.workbook.read.remedy_inputs import flex_cells, lane_warnings, order_cells, read_lanes
from pysnop.workbook.read.settings import read_settings

__all__ = ["ReadResult", "SheetLayout", "read_plan"]

NONE = np.asarray(None, dtype=object)  # a blank key, broadcast by np.where


@dataclass
class ReadResult:
    inputs: PlanInputs
    warnings: list[Problem]            # severity "warning"
    layouts: dict[str, SheetLayout]    # canonical sheet name -> layout (present sheets only)
    # planner overrides of the consensus (sku, location, category, week, units, reason,
    # planner, row); None when the workbook has no Overrides sheet
    overrides: pd.DataFrame | None = None
    # po_ids of the Receipts rows left out of the inputs (Received, Cancelled)
    closed_po_ids: list[str] = dataclasses.field(default_factory=list)


class _Ctx:
    def __init__(self, source: GridSource, block: Block, out: Collector):
        self.source, self.block, self.out = source, block, out
        self.n = len(block.rows)
        self.sheet = block.layout.name

    def errors(self):
        fn = getattr(self.source, "error_cells", None)
        if fn is None:
            return None
        return lambda: fn(self.sheet)

    def text(self, name: str, *, required: bool = False, label: str | None = None,
             check: np.ndarray | None = None) -> np.ndarray:
        col = self.block.col(name)
        if col is None:
            return np.full(self.n, None, dtype=object)
        res = to_text(col.values)
        if required:
            blank = np.asarray(res == None, dtype=bool)  # noqa: E711
            if check is not None:
                blank &= check
            if blank.any():
                self.out.cells(col, np.flatnonzero(blank),
                               f"expected a {label or name.replace('_', ' ')}, got blank")
        return res

    def number(self, name: str, *, required=False, nonneg=False, check=None) -> np.ndarray:
        col = self.block.col(name)
        if col is None:
            return np.full(self.n, np.nan)
        return to_number(col, self.out, required=required, nonneg=nonneg, check=check,
                         errors=self.errors())

    def date(self, name: str, *, required=False, check=None) -> np.ndarray:
        col = self.block.col(name)
        if col is None:
            return np.full(self.n, np.datetime64("NaT"), dtype="datetime64[ns]")
        return to_date(col, self.out, required=required, check=check)

    def frame(self, data: dict, columns: list[str], keep: np.ndarray | None = None):
        data = dict(data)
        data["row"] = self.block.rows.astype(np.int64)
        df = pd.DataFrame({c: _series(data[c]) for c in columns})
        if keep is not None:
            df = df[keep].reset_index(drop=True)
        return df


def _series(values) -> pd.Series:
    arr = np.asarray(values)
    if arr.dtype == object:
        return pd.Series(arr, dtype=object)
    return pd.Series(arr)


# ---------------------------------------------------------------------------- duplicates

def _duplicates(ctx: _Ctx, keys: dict[str, np.ndarray], valid: np.ndarray, describe,
                rows: np.ndarray | None = None, cols: np.ndarray | None = None) -> None:
    """Report every row whose key repeats an earlier row (valid rows only)."""
    rows = ctx.block.rows if rows is None else rows
    idx = np.flatnonzero(valid)
    if len(idx) < 2:
        return
    g = np.zeros(len(idx), dtype=np.int64)
    for v in keys.values():
        codes, uniq = pd.factorize(v[idx], use_na_sentinel=False)
        g, _ = pd.factorize(g * (len(uniq) + 1) + codes)
    _, first_idx, inverse = np.unique(g, return_index=True, return_inverse=True)
    first = first_idx[inverse]
    dup = first != np.arange(len(idx))
    if not dup.any():
        return
    for j in np.flatnonzero(dup):
        i, f = idx[j], idx[first[j]]
        key = {k: v[i] for k, v in keys.items()}
        if cols is None:
            reason = f"{describe(key)} (also row {rows[f]})"
            p = Problem(reason, ctx.sheet, int(rows[i]), kind="data")
        else:
            reason = f"{describe(key)} (also {column_letter(int(cols[f]))}{rows[f]})"
            p = Problem(reason, ctx.sheet, int(rows[i]), int(cols[i]), kind="data")
        ctx.out.add(p, key=(ctx.sheet, "duplicates"))


def _fmt_week(d) -> str:
    return pd.Timestamp(d).date().isoformat() if not pd.isna(d) else "?"


# -------------------------------------------------------------------------------- sheets

def _inventory(ctx: _Ctx) -> pd.DataFrame:
    sku = ctx.text("sku", required=True)
    loc = ctx.text("location", required=True)
    d = {"sku": sku, "location": loc,
         "on_hand": ctx.number("on_hand", required=True, nonneg=True),
         "safety_stock": ctx.number("safety_stock", nonneg=True),
         "lead_time_weeks": ctx.number("lead_time_weeks", nonneg=True),
         "unit_cost": ctx.number("unit_cost"), "unit_price": ctx.number("unit_price"),
         "unit_margin": ctx.number("unit_margin"), "category": ctx.text("category")}
    d["safety_stock"] = np.where(np.isnan(d["safety_stock"]), 0.0, d["safety_stock"])
    valid = (sku != None) & (loc != None)  # noqa: E711
    _duplicates(ctx, {"sku": sku, "location": loc}, valid,
                lambda k: f"duplicate sku {k['sku']} at location {k['location']}")
    # the network columns only where the sheet has them: a workbook without them reads as
    # before (docs/semantics.md, network); their rules are checked by network_problems
    extra = [c for c in model.INVENTORY_NETWORK_COLUMNS if c in ctx.block.raw]
    d |= _network_cells(ctx, extra)
    columns = model.INVENTORY_COLUMNS[:-1] + extra + ["row"]
    return ctx.frame(d, columns)


def _network_cells(ctx: _Ctx, names: list[str]) -> dict[str, np.ndarray]:
    """role and supplied_by as text, transit_weeks and pack_size as numbers (NaN = blank)."""
    return {c: ctx.number(c) if c in ("transit_weeks", "pack_size") else ctx.text(c)
            for c in names}


def _products(ctx: _Ctx) -> pd.DataFrame:
    sku = ctx.text("sku", required=True)
    d = {"sku": sku, "category": ctx.text("category"), "description": ctx.text("description"),
         "unit_cost": ctx.number("unit_cost"), "unit_price": ctx.number("unit_price"),
         "unit_margin": ctx.number("unit_margin")}
    _duplicates(ctx, {"sku": sku}, sku != None,  # noqa: E711
                lambda k: f"duplicate sku {k['sku']}")
    extra = ["pack_size"] if "pack_size" in ctx.block.raw else []
    d |= _network_cells(ctx, extra)
    # order rules and substitutes only where the sheet has them (docs/semantics.md, NEW_ORDER
    # and SHIFT_SKU): a workbook without them reads as before
    order = [c for c in model.PRODUCT_ORDER_COLUMNS if c in ctx.block.raw]
    d |= order_cells(ctx, sku, order)
    return ctx.frame(d, model.PRODUCT_COLUMNS[:-1] + extra + order + ["row"])


def _locations(ctx: _Ctx) -> pd.DataFrame:
    """The network's locations; a code listed twice is reported by network_problems."""
    d = {"location": ctx.text("location", required=True)}
    d |= _network_cells(ctx, ["role", "supplied_by", "transit_weeks"])
    return ctx.frame(d, model.LOCATION_COLUMNS)


def _receipts(ctx: _Ctx) -> pd.DataFrame:
    status = ctx.text("status")
    drop = np.array([s is not None and s.lower() in S.RECEIPT_DROP_STATUSES for s in status],
                    dtype=bool) if ctx.n else np.zeros(0, bool)
    check = ~drop
    d = {"sku": ctx.text("sku", required=True), "location": ctx.text("location", required=True),
         "due": ctx.date("due", required=True, check=check),
         "qty": ctx.number("qty", required=True, nonneg=True, check=check),
         "po_id": ctx.text("po_id"), "status": status}
    frame = ctx.frame(d, model.RECEIPT_COLUMNS, keep=check)
    # the po_ids of the received and cancelled rows left out: an exported action listed
    # there is the sheet's (docs/semantics.md, "Closed loop"); read_plan takes them off
    frame.attrs[CLOSED_PO_IDS] = [p for p in d["po_id"][drop] if p is not None]
    return frame


CLOSED_PO_IDS = "closed_po_ids"


def lift_text(text: str) -> float | None:
    t = text.strip()
    if t.endswith("%"):
        v = parse_number_text(t[:-1])
        return None if v is None else v / 100.0
    return parse_number_text(t)


def _campaigns(ctx: _Ctx) -> pd.DataFrame:
    cid = ctx.text("campaign_id", required=True, label="campaign id")
    sku = ctx.text("sku", required=True)
    start = ctx.date("start", required=True)
    end = ctx.date("end", required=True)
    out = ctx.out
    bad_order = np.flatnonzero(~np.isnat(start) & ~np.isnat(end) & (end < start))
    end_col = ctx.block.col("end")
    if len(bad_order) and end_col is not None:
        out.cells(end_col, bad_order, [
            f"end {_fmt_week(end[i])} is before start {_fmt_week(start[i])}" for i in bad_order])
    lift = np.full(ctx.n, np.nan)
    col = ctx.block.col("lift")
    if col is not None:
        lift = to_number(col, out, required=True, text_parser=lift_text)
        raw = col.values
        is_pct_text = np.array([isinstance(v, str) and v.strip().endswith("%") for v in raw],
                               dtype=bool) if ctx.n else np.zeros(0, bool)
        big = np.flatnonzero((lift > 5) & ~is_pct_text)
        if len(big):
            out.cells(col, big, [
                f"{lift[i]:g} looks like a percent; type {lift[i] / 100:g} or {lift[i]:g}% "
                f"for +{lift[i]:g}%" for i in big])
        low = np.flatnonzero(lift <= -1)
        if len(low):
            out.cells(col, low, [f"lift must be above -1 (-100%), got {lift[i]:g}" for i in low])
    status = _campaign_status(ctx)
    locs = ctx.text("locations")
    cache: dict = {}
    loc_t = np.empty(ctx.n, dtype=object)
    for i, v in enumerate(locs):
        r = cache.get(v)
        if r is None:
            r = cache[v] = _split_locations(v)
        loc_t[i] = r
    d = {"campaign_id": cid, "sku": sku, "start": start, "end": end, "lift": lift,
         "status": status, "locations": loc_t, "name": ctx.text("name"),
         "channel": ctx.text("channel"), "owner": ctx.text("owner")}
    valid = (cid != None) & (sku != None)  # noqa: E711
    _duplicates(ctx, {"campaign_id": cid, "sku": sku}, valid,
                lambda k: f"duplicate campaign {k['campaign_id']} for sku {k['sku']}")
    economics = _campaign_economics(ctx)
    d.update(economics)
    flex = [c for c in model.CAMPAIGN_FLEX_COLUMNS if c in ctx.block.raw]
    d |= flex_cells(ctx, start, flex)
    return ctx.frame(d, model.CAMPAIGN_COLUMNS[:-1] + list(economics) + flex + ["row"])


def _campaign_economics(ctx: _Ctx) -> dict[str, np.ndarray]:
    """The promotion economics columns the sheet has (docs/semantics.md, promotion
    economics): promo_price, spend, funding (numbers ≥ 0) and discount (a fraction off
    unit_price, typed 0.2 or 20 %)."""
    out: dict[str, np.ndarray] = {}
    for name in model.CAMPAIGN_ECONOMICS_COLUMNS:
        col = ctx.block.col(name)
        if col is None:
            continue
        if name != "discount":
            out[name] = ctx.number(name, nonneg=True)
            continue
        values = to_number(col, ctx.out, text_parser=lift_text)
        pct_text = np.array([isinstance(v, str) and v.strip().endswith("%") for v in col.values],
                            dtype=bool) if ctx.n else np.zeros(0, bool)
        with np.errstate(invalid="ignore"):
            big = np.flatnonzero((values > 1) & ~pct_text)
            out_of_range = np.flatnonzero(((values < 0) | (values > 1)) & ~np.isin(
                np.arange(ctx.n), big))
        if len(big):
            ctx.out.cells(col, big, [
                f"{values[i]:g} looks like a percent; type {values[i] / 100:g} or "
                f"{values[i]:g}% for {values[i]:g}% off" for i in big])
        if len(out_of_range):
            ctx.out.cells(col, out_of_range, [
                f"a discount is a fraction off unit_price between 0 and 1 (0% to 100%), "
                f"got {values[i]:g}" for i in out_of_range])
        out[name] = values
    return out


def _split_locations(v) -> tuple:
    if v is None or v.strip().upper() == "ALL":
        return ()
    parts = [p.strip() for p in v.replace(";", ",").split(",")]
    return tuple(p for p in parts if p)


def _campaign_status(ctx: _Ctx) -> np.ndarray:
    st = ctx.text("status")
    canon = {s.lower(): s for s in S.CAMPAIGN_STATUSES}
    canon["canceled"] = "Cancelled"
    res = np.empty(ctx.n, dtype=object)
    unknown = []
    for i, v in enumerate(st):
        if v is None:
            res[i] = "Planned"
        else:
            c = canon.get(v.lower())
            if c is None:
                unknown.append(i)
                c = v
            res[i] = c
    status_col = ctx.block.col("status")
    if unknown and status_col is not None:
        ctx.out.cells(status_col, np.array(unknown),
                      lambda v: f"unknown status {show_value(v)}, kept as typed; expected "
                                f"Draft, Planned, Confirmed or Cancelled", severity="warning")
    return res


def _forecast(ctx: _Ctx) -> pd.DataFrame:
    sku = ctx.text("sku")
    loc = ctx.text("location")
    source = ctx.text("source")
    cat = ctx.text("category")
    block = ctx.block
    if not block.wide and "week" in block.raw:
        week = ctx.date("week", required=True)
        units = ctx.number("units", required=True, nonneg=True)
        d = {"sku": sku, "location": loc, "week": week, "units": units, "source": source,
             "category": cat}
        df = ctx.frame(d, model.FORECAST_COLUMNS)
        rows, cols = None, None
    else:
        df, rows, cols = _melt_wide(ctx, sku, loc, source, cat)
        week, sku, loc, source, cat = (df["week"].to_numpy(), df["sku"].to_numpy(object),
                                       df["location"].to_numpy(object),
                                       df["source"].to_numpy(object),
                                       df["category"].to_numpy(object))
    wk = pd.DatetimeIndex(week)
    monday = (wk - pd.to_timedelta(wk.day_of_week, unit="D")).to_numpy()
    upper = np.where(pd.isna(sku), cat, NONE) if len(sku) else cat
    keys = {"sku": sku, "location": loc, "category": upper, "week": monday, "source": source}

    def describe(k):
        what = " ".join(x for x in (
            f"sku {k['sku']}" if k["sku"] is not None else
            (f"category {k['category']}" if k["category"] is not None else "total"),
            f"at location {k['location']}" if k["location"] is not None else "")
            if x)
        src = f" from {k['source']}" if k["source"] is not None else ""
        return f"duplicate forecast for {what} in week {_fmt_week(k['week'])}{src}"
    _duplicates(ctx, keys, ~np.isnat(monday), describe, rows=rows, cols=cols)
    return df


def _melt_wide(ctx: _Ctx, sku, loc, source, cat):
    block = ctx.block
    n = ctx.n
    wcols = sorted(block.wide)
    k = len(wcols)
    vals = np.concatenate([block.wide[c] for c in wcols]) if k else np.empty(0, object)
    ri = np.tile(np.arange(n), k)
    ci = np.repeat(np.array(wcols, dtype=np.int64), n)
    keep = ~blank_mask(vals) if len(vals) else np.zeros(0, bool)
    vals, ri, ci = vals[keep], ri[keep], ci[keep]
    rows = block.rows[ri]
    col = Col(ctx.sheet, "units", "units", vals, rows, ci,
              col_headers=dict(block.week_headers))
    units = to_number(col, ctx.out, required=True, nonneg=True)
    weeks = np.array([np.datetime64(block.week_cols[c], "ns") for c in wcols],
                     dtype="datetime64[ns]")
    wpos = {c: j for j, c in enumerate(wcols)}
    week = weeks[np.array([wpos[c] for c in ci], dtype=np.int64)] if len(ci) else \
        np.empty(0, "datetime64[ns]")
    order = np.lexsort((ci, ri))
    df = pd.DataFrame({
        "sku": pd.Series(sku[ri], dtype=object), "location": pd.Series(loc[ri], dtype=object),
        "week": pd.Series(week, dtype="datetime64[ns]"), "units": units,
        "source": pd.Series(source[ri], dtype=object),
        "category": pd.Series(cat[ri], dtype=object), "row": rows.astype(np.int64)})
    df = df.iloc[order].reset_index(drop=True)
    return df, rows[order], ci[order]


def _actuals(ctx: _Ctx) -> pd.DataFrame:
    sku = ctx.text("sku", required=True)
    loc = ctx.text("location", required=True)
    week = ctx.date("week", required=True)
    d = {"sku": sku, "location": loc, "week": week,
         "units": ctx.number("units", required=True, nonneg=True),
         "on_hand_end": ctx.number("on_hand_end"),
         "stockout": (to_bool(stockout, ctx.out) if (stockout := ctx.block.col("stockout"))
                      is not None else np.full(ctx.n, None, object))}
    wk = pd.DatetimeIndex(week)
    monday = (wk - pd.to_timedelta(wk.day_of_week, unit="D")).to_numpy()
    valid = (sku != None) & (loc != None) & ~np.isnat(monday)  # noqa: E711
    _duplicates(ctx, {"sku": sku, "location": loc, "week": monday}, valid,
                lambda k: f"duplicate actuals for sku {k['sku']} at location {k['location']} "
                          f"in week {_fmt_week(k['week'])}")
    return ctx.frame(d, model.ACTUAL_COLUMNS)


OVERRIDE_COLUMNS = ["sku", "location", "category", "week", "units", "reason", "planner", "row"]


def _overrides(ctx: _Ctx) -> pd.DataFrame:
    sku = ctx.text("sku")
    loc = ctx.text("location")
    cat = ctx.text("category")
    week = ctx.date("week", required=True)
    d = {"sku": sku, "location": loc, "category": cat, "week": week,
         "units": ctx.number("units", required=True, nonneg=True),
         "reason": ctx.text("reason"), "planner": ctx.text("planner")}
    wk = pd.DatetimeIndex(week)
    monday = (wk - pd.to_timedelta(wk.day_of_week, unit="D")).to_numpy()
    upper = np.where(pd.isna(sku), cat, NONE) if len(sku) else cat
    _duplicates(ctx, {"sku": sku, "location": loc, "category": upper, "week": monday},
                ~np.isnat(monday),
                lambda k: "duplicate override for " + (
                    f"sku {k['sku']}" if k["sku"] is not None else
                    f"category {k['category']}" if k["category"] is not None else "the total")
                + (f" at location {k['location']}" if k["location"] is not None else "")
                + f" in week {_fmt_week(k['week'])}")
    return ctx.frame(d, OVERRIDE_COLUMNS)


_READERS = {"Campaigns": _campaigns, "Inventory": _inventory, "Products": _products,
            "Locations": _locations, "Receipts": _receipts, "Forecast": _forecast,
            "Actuals": _actuals, "Overrides": _overrides, "Lanes": read_lanes}
_EMPTY = {"Campaigns": model.CAMPAIGN_COLUMNS, "Inventory": model.INVENTORY_COLUMNS,
          "Products": model.PRODUCT_COLUMNS, "Locations": model.LOCATION_COLUMNS,
          "Receipts": model.RECEIPT_COLUMNS,
          "Forecast": model.FORECAST_COLUMNS, "Actuals": model.ACTUAL_COLUMNS,
          "Overrides": OVERRIDE_COLUMNS, "Lanes": model.LANE_COLUMNS}


def empty_frame(sheet: str) -> pd.DataFrame:
    return model._empty(_EMPTY[sheet])


# ------------------------------------------------------------------------------ entry

def _ordered(problems: list[Problem]) -> list[Problem]:
    """Sheet by sheet (in the order met), layout first, then by row and column."""
    order: dict = {}
    for p in problems:
        order.setdefault(p.sheet, len(order))
    big = 1 << 40
    return sorted(problems, key=lambda p: (
        order[p.sheet], p.kind != "layout", big if p.row is None else p.row,
        p.col or 0))


def _unsaved_formulas(source: GridSource, problems: list[Problem]) -> list[Problem]:
    """A blank that is a formula no program ever calculated says so, not "got blank"."""
    unsaved = getattr(source, "unsaved_formulas", None)
    blanks = [p for p in problems if p.row is not None and p.col is not None
              and p.reason.endswith("got blank")]
    if unsaved is None or not blanks:
        return problems
    found = {sheet: unsaved(sheet) for sheet in {p.sheet for p in blanks}}
    out = []
    for p in problems:
        if p in blanks and (p.row, p.col) in found[p.sheet]:
            column = f" ({p.column})" if p.column else ""
            p = dataclasses.replace(p, joined=True, reason=(
                f"holds a formula with no saved value{column}: open and save the workbook "
                "in Excel (which stores the value), then run again"))
        out.append(p)
    return out


def read_plan(source: str | os.PathLike | GridSource, *,
              as_of: dt.date | None = None) -> ReadResult:
    """Read and validate every input sheet; raise one ValidationError with all problems."""
    src = open_source(source)
    names = src.sheet_names()
    found, _ = match_sheets(names)
    try:
        tables = src.tables()
    except Exception:
        tables = []
    out = Collector()
    layout_problems: list[Problem] = []
    layouts: dict[str, SheetLayout] = {}
    frames: dict[str, pd.DataFrame] = {}

    # a required sheet may also be found as an Excel table of that name on another sheet
    by_table: dict[str, tuple[str, tuple[str, str]]] = {}
    for tname, tsheet, ref in tables:
        canon = S.sheet_name_map().get(S.norm(tname))
        if canon and canon not in found and canon not in by_table:
            by_table[canon] = (tsheet, (tname, ref))

    settings = Settings()
    if "Settings" in found:
        settings, lay = read_settings(src.grid(found["Settings"]), out)
        layouts["Settings"] = lay
    has_forecast = "Forecast" in found or "Forecast" in by_table
    listed = ", ".join(f'"{n}"' for n in names) or "none"
    seen: dict[str, str] = {}
    for name in names:
        if name.casefold() in seen:
            layout_problems.append(Problem(
                f'the sheets "{seen[name.casefold()]}" and "{name}" have the same name but '
                "for upper and lower case, which Excel does not allow; rename one of them",
                None, kind="layout"))
        seen.setdefault(name.casefold(), name)
    bridge_sheets = [c for c in ("Campaigns", "Receipts") if c in found or c in by_table]
    if bridge_sheets and "Inventory" not in found and "Inventory" not in by_table:
        has = " and ".join(bridge_sheets)
        layout_problems.append(Problem(
            f'required sheet "Inventory" not found: a workbook with {has} is a bridge '
            f"workbook, and the bridge needs the on-hand stock (sheets in the workbook: "
            f"{listed})", None, kind="layout"))
        has_forecast = False  # not a forecast-only workbook
    for canon in ("Campaigns", "Inventory", "Products", "Locations", "Receipts", "Forecast",
                  "Actuals", "Overrides", "Lanes"):
        schema = S.SHEETS[canon]
        if canon in found:
            sheet, table = found[canon], None
        elif canon in by_table:
            sheet, table = by_table[canon]
        else:
            if canon == "Inventory" and has_forecast:
                # a forecast-only workbook: the consensus runs, the bridge does not
                frames[canon] = empty_frame(canon)
            elif not schema.optional_sheet and not (canon == "Inventory" and bridge_sheets):
                layout_problems.append(Problem(
                    f'required sheet "{canon}" not found (sheets in the workbook: {listed})',
                    None, kind="layout"))
            continue
        grid = src.grid(sheet)
        if table is None:
            table = find_table(src, tables, sheet, schema)
        block = None
        if table is not None:
            block = locate(grid, schema, [], table)
        if block is None:
            block = locate(grid, schema, layout_problems)
        if block is None:
            if schema.optional_sheet and not grid.rows:
                frames[canon] = empty_frame(canon)
            continue
        layouts[canon] = block.layout
        frames[canon] = _READERS[canon](_Ctx(src, block, out))

    lanes = lane_warnings(frames.get("Lanes"), frames.get("Inventory"), layouts.get("Lanes"))
    network = network_errors(frames, layouts)
    problems = _ordered(_unsaved_formulas(src, layout_problems + out.finish() + network + lanes))
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if errors:
        raise ValidationError(errors)
    if as_of is not None:
        settings = dataclasses.replace(settings, as_of=as_of)
    closed = frames["Receipts"].attrs.pop(CLOSED_PO_IDS, []) if "Receipts" in frames else []
    inputs = PlanInputs(
        settings=settings, inventory=frames["Inventory"], forecast=frames["Forecast"],
        campaigns=frames.get("Campaigns", empty_frame("Campaigns")),
        receipts=frames.get("Receipts", empty_frame("Receipts")),
        products=frames.get("Products"), actuals=frames.get("Actuals"),
        lanes=frames.get("Lanes"), locations=nonempty(frames.get("Locations")))
    return ReadResult(inputs, warnings, layouts, frames.get("Overrides"), closed)
