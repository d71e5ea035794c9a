"""The inputs that limit the remedies (docs/semantics.md, "Remedies"): the Lanes sheet,
Products' order rules and substitutes, Campaigns' flexibility window — read the reader's way,
every mistake located on its cell.

Called by :mod:`pysnop.workbook.read.reader` with its per-sheet context (the located block,
the problem collector); a workbook without these columns reads as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pysnop.core import model
from pysnop.errors import Problem, show_value

if TYPE_CHECKING:
    from pysnop.workbook.read.layout import SheetLayout
    from pysnop.workbook.read.sheet_context import SheetContext


def _fmt_week(d) -> str:
    return pd.Timestamp(d).date().isoformat() if not pd.isna(d) else "?"


def order_cells(ctx: SheetContext, sku: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """moq and order_multiple as numbers ≥ 0 (NaN = no rule); substitutes as a tuple of SKU
    codes split on ``,`` or ``;`` (() = the same category), never the SKU itself."""
    out: dict[str, np.ndarray] = {}
    for name in names:
        if name != "substitutes":
            out[name] = ctx.number(name, nonneg=True)
            continue
        text = ctx.text(name)
        lists = np.empty(ctx.n, dtype=object)
        lists[:] = [_split_codes(v) for v in text]
        col = ctx.block.col(name)
        own = [i for i in range(ctx.n) if sku[i] is not None and sku[i] in lists[i]]
        if own and col is not None:
            ctx.out.cells(col, np.array(own), f"a SKU cannot be its own substitute; "
                          f"{sku[own[0]]} is left out of its list", severity="warning")
            for i in own:
                lists[i] = tuple(x for x in lists[i] if x != sku[i])
        out[name] = lists
    return out


def _split_codes(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(dict.fromkeys(p.strip() for p in value.replace(";", ",").split(",")
                               if p.strip()))


def flex_cells(ctx: SheetContext, start: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """earliest_start / latest_start as dates (NaT = blank: MOVE_WINDOW's own reach); a window
    that ends before it begins is an error, a planned start outside it a warning."""
    out = {name: ctx.date(name) for name in names}
    lo = out.get("earliest_start", np.full(ctx.n, np.datetime64("NaT"), "datetime64[ns]"))
    hi = out.get("latest_start", np.full(ctx.n, np.datetime64("NaT"), "datetime64[ns]"))
    both = ~np.isnat(lo) & ~np.isnat(hi)
    bad = np.flatnonzero(both & (hi < lo))
    col = ctx.block.col("latest_start")
    if len(bad) and col is not None:
        ctx.out.cells(col, bad, [f"latest_start {_fmt_week(hi[i])} is before earliest_start "
                                 f"{_fmt_week(lo[i])}" for i in bad])
    known = ~np.isnat(start) & ~(both & (hi < lo))
    for name, outside in (("earliest_start", known & ~np.isnat(lo) & (start < lo)),
                          ("latest_start", known & ~np.isnat(hi) & (start > hi))):
        col = ctx.block.col(name)
        idx = np.flatnonzero(outside)
        if len(idx) and col is not None:
            ctx.out.cells(col, idx, [f"the planned start {_fmt_week(start[i])} is outside the "
                                     f"window it gives; the window is used as typed"
                                     for i in idx], severity="warning")
    return out


def read_lanes(ctx: SheetContext) -> pd.DataFrame:
    """The transfers that are possible (docs/semantics.md, TRANSFER): from_location,
    to_location, transit_weeks (whole weeks; blank = Settings transfer_lead_weeks),
    cost_per_unit (blank = Settings transfer_cost_per_unit). A pair listed twice counts once,
    by its first row (a warning); a lane from a location to itself is an error."""
    frm = ctx.text("from_location", required=True, label="location to ship from")
    to = ctx.text("to_location", required=True, label="location to ship to")
    transit = ctx.number("transit_weeks", nonneg=True)
    col = ctx.block.col("transit_weeks")
    part = np.flatnonzero(~np.isnan(transit) & (np.round(transit) != transit))
    if len(part) and col is not None:
        ctx.out.cells(col, part, lambda v: f"expected a whole number of weeks, got "
                                           f"{show_value(v)}")
    same = np.flatnonzero((frm != None) & (frm == to))  # noqa: E711
    col = ctx.block.col("to_location")
    if len(same) and col is not None:
        ctx.out.cells(col, same, [f"a lane from {frm[i]} to itself" for i in same])
    pairs = pd.DataFrame({"from": frm, "to": to, "row": ctx.block.rows})
    pairs = pairs[pairs["from"].notna() & pairs["to"].notna()]
    again = pairs.duplicated(["from", "to"])
    firsts = pairs[~again].set_index(["from", "to"])["row"]
    for rec in pairs[again].head(10).to_dict("records"):
        ctx.out.add(Problem(f"lane {rec['from']} -> {rec['to']} listed twice (also row "
                            f"{firsts[(rec['from'], rec['to'])]}); the first row counts",
                            ctx.sheet, int(rec["row"]), severity="warning"))
    d = {"from_location": frm, "to_location": to, "transit_weeks": transit,
         "cost_per_unit": ctx.number("cost_per_unit", nonneg=True)}
    return ctx.frame(d, model.LANE_COLUMNS)


def lane_warnings(lanes: pd.DataFrame | None, inventory: pd.DataFrame | None,
                   layout: SheetLayout | None) -> list[Problem]:
    """A lane naming a location that has no Inventory row moves nothing: a warning."""
    if lanes is None or not len(lanes) or inventory is None or layout is None:
        return []
    stocked = set(inventory["location"].dropna().astype(str))
    out = []
    for side in ("from_location", "to_location"):
        unknown = lanes[lanes[side].notna() & ~lanes[side].astype(str).isin(stocked)]
        for rec in unknown.head(10).to_dict("records"):
            out.append(Problem(f"location {rec[side]} has no Inventory row; this lane moves "
                               f"nothing", layout.name, int(rec["row"]),
                               layout.columns.get(side), layout.headers.get(side, side),
                               rec[side], "warning", "data"))
    return out


__all__ = ["flex_cells", "lane_warnings", "order_cells", "read_lanes"]
