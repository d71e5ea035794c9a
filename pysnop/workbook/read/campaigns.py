"""The Campaigns sheet: marketing's calendar, its lifts, statuses, scopes and economics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pysnop.core import model
from pysnop.errors import show_value
from pysnop.workbook.read import schema as S
from pysnop.workbook.read.cells import parse_number_text, to_number
from pysnop.workbook.read.remedy_inputs import flex_cells
from pysnop.workbook.read.sheet_context import SheetContext, fmt_week, report_duplicates


def lift_text(text: str) -> float | None:
    t = text.strip()
    if t.endswith("%"):
        v = parse_number_text(t[:-1])
        return None if v is None else v / 100.0
    return parse_number_text(t)


def read_campaigns(ctx: SheetContext) -> pd.DataFrame:
    cid = ctx.text("campaign_id", required=True, label="campaign id")
    sku = ctx.text("sku", required=True)
    start = ctx.date("start", required=True)
    end = ctx.date("end", required=True)
    out = ctx.out
    bad_order = np.flatnonzero(~np.isnat(start) & ~np.isnat(end) & (end < start))
    end_col = ctx.block.col("end")
    if len(bad_order) and end_col is not None:
        out.cells(end_col, bad_order, [
            f"end {fmt_week(end[i])} is before start {fmt_week(start[i])}" for i in bad_order])
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
    report_duplicates(ctx, {"campaign_id": cid, "sku": sku}, valid,
                lambda k: f"duplicate campaign {k['campaign_id']} for sku {k['sku']}")
    economics = _campaign_economics(ctx)
    d.update(economics)
    flex = [c for c in model.CAMPAIGN_FLEX_COLUMNS if c in ctx.block.raw]
    d |= flex_cells(ctx, start, flex)
    return ctx.frame(d, model.CAMPAIGN_COLUMNS[:-1] + list(economics) + flex + ["row"])


def _campaign_economics(ctx: SheetContext) -> dict[str, np.ndarray]:
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


def _campaign_status(ctx: SheetContext) -> np.ndarray:
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
