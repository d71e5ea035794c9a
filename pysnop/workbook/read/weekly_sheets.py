"""The sheets keyed by week: Forecast (long, or one column per week), Actuals, Overrides."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pysnop.core import model
from pysnop.workbook.read.cells import Col, blank_mask, to_bool, to_number
from pysnop.workbook.read.sheet_context import (
    NONE,
    SheetContext,
    fmt_week,
    mondays,
    report_duplicates,
)


def read_forecast(ctx: SheetContext) -> pd.DataFrame:
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
    monday = mondays(week)
    upper = np.where(ctx.blank(sku), cat, NONE) if len(sku) else cat
    keys = {"sku": sku, "location": loc, "category": upper, "week": monday, "source": source}

    def describe(k):
        what = " ".join(x for x in (
            f"sku {k['sku']}" if k["sku"] is not None else
            (f"category {k['category']}" if k["category"] is not None else "total"),
            f"at location {k['location']}" if k["location"] is not None else "")
            if x)
        src = f" from {k['source']}" if k["source"] is not None else ""
        return f"duplicate forecast for {what} in week {fmt_week(k['week'])}{src}"
    report_duplicates(ctx, keys, ~np.isnat(monday), describe, rows=rows, cols=cols)
    return df


def _melt_wide(ctx: SheetContext, sku, loc, source, cat):
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


def read_actuals(ctx: SheetContext) -> pd.DataFrame:
    sku = ctx.text("sku", required=True)
    loc = ctx.text("location", required=True)
    week = ctx.date("week", required=True)
    d = {"sku": sku, "location": loc, "week": week,
         "units": ctx.number("units", required=True, nonneg=True),
         "on_hand_end": ctx.number("on_hand_end"),
         "stockout": (to_bool(stockout, ctx.out) if (stockout := ctx.block.col("stockout"))
                      is not None else np.full(ctx.n, None, object))}
    monday = mondays(week)
    valid = (sku != None) & (loc != None) & ~np.isnat(monday)  # noqa: E711
    report_duplicates(ctx, {"sku": sku, "location": loc, "week": monday}, valid,
                lambda k: f"duplicate actuals for sku {k['sku']} at location {k['location']} "
                          f"in week {fmt_week(k['week'])}")
    return ctx.frame(d, model.ACTUAL_COLUMNS)


OVERRIDE_COLUMNS = ["sku", "location", "category", "week", "units", "reason", "planner", "row"]


def read_overrides(ctx: SheetContext) -> pd.DataFrame:
    sku = ctx.text("sku")
    loc = ctx.text("location")
    cat = ctx.text("category")
    week = ctx.date("week", required=True)
    d = {"sku": sku, "location": loc, "category": cat, "week": week,
         "units": ctx.number("units", required=True, nonneg=True),
         "reason": ctx.text("reason"), "planner": ctx.text("planner")}
    monday = mondays(week)
    upper = np.where(ctx.blank(sku), cat, NONE) if len(sku) else cat
    report_duplicates(ctx, {"sku": sku, "location": loc, "category": upper, "week": monday},
                ~np.isnat(monday),
                lambda k: "duplicate override for " + (
                    f"sku {k['sku']}" if k["sku"] is not None else
                    f"category {k['category']}" if k["category"] is not None else "the total")
                + (f" at location {k['location']}" if k["location"] is not None else "")
                + f" in week {fmt_week(k['week'])}")
    return ctx.frame(d, OVERRIDE_COLUMNS)
