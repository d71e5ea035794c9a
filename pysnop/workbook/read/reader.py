"""Read a planner's workbook into validated, typed :class:`~pysnop.core.model.PlanInputs`.

``read_plan`` collects every problem of every sheet and raises one
:class:`~pysnop.errors.ValidationError` carrying all of them. The stock sheets (Inventory,
Products, Locations, Receipts) are read here; Campaigns in :mod:`.campaigns`, the sheets keyed
by week in :mod:`.weekly_sheets`, Lanes in :mod:`.remedy_inputs`, each through a
:class:`~pysnop.workbook.read.sheet_context.SheetContext`.
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
from pysnop.errors import Problem, ValidationError
from pysnop.workbook.read import schema as S
from pysnop.workbook.read.campaigns import read_campaigns
from pysnop.workbook.read.cells import (
    Collector,
)
from pysnop.workbook.read.grid import GridSource, open_source
from pysnop.workbook.read.layout import SheetLayout, find_table, locate, match_sheets
from pysnop.workbook.read.network import network_errors, nonempty
from pysnop.workbook.read.remedy_inputs import lane_warnings, order_cells, read_lanes
from pysnop.workbook.read.settings import read_settings
from pysnop.workbook.read.sheet_context import SheetContext, report_duplicates
from pysnop.workbook.read.weekly_sheets import (
    OVERRIDE_COLUMNS,
    read_actuals,
    read_forecast,
    read_overrides,
)

__all__ = ["ReadResult", "SheetLayout", "read_plan"]


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


# -------------------------------------------------------------------------------- sheets

def _inventory(ctx: SheetContext) -> pd.DataFrame:
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
    report_duplicates(ctx, {"sku": sku, "location": loc}, valid,
                lambda k: f"duplicate sku {k['sku']} at location {k['location']}")
    # the network columns only where the sheet has them: a workbook without them reads as
    # before (docs/semantics.md, network); their rules are checked by network_problems
    extra = [c for c in model.INVENTORY_NETWORK_COLUMNS if c in ctx.block.raw]
    d |= _network_cells(ctx, extra)
    columns = model.INVENTORY_COLUMNS[:-1] + extra + ["row"]
    return ctx.frame(d, columns)


def _network_cells(ctx: SheetContext, names: list[str]) -> dict[str, np.ndarray]:
    """role and supplied_by as text, transit_weeks and pack_size as numbers (NaN = blank)."""
    return {c: ctx.number(c) if c in ("transit_weeks", "pack_size") else ctx.text(c)
            for c in names}


def _products(ctx: SheetContext) -> pd.DataFrame:
    sku = ctx.text("sku", required=True)
    d = {"sku": sku, "category": ctx.text("category"), "description": ctx.text("description"),
         "unit_cost": ctx.number("unit_cost"), "unit_price": ctx.number("unit_price"),
         "unit_margin": ctx.number("unit_margin")}
    report_duplicates(ctx, {"sku": sku}, sku != None,  # noqa: E711
                lambda k: f"duplicate sku {k['sku']}")
    extra = ["pack_size"] if "pack_size" in ctx.block.raw else []
    d |= _network_cells(ctx, extra)
    # order rules and substitutes only where the sheet has them (docs/semantics.md, NEW_ORDER
    # and SHIFT_SKU): a workbook without them reads as before
    order = [c for c in model.PRODUCT_ORDER_COLUMNS if c in ctx.block.raw]
    d |= order_cells(ctx, sku, order)
    return ctx.frame(d, model.PRODUCT_COLUMNS[:-1] + extra + order + ["row"])


def _locations(ctx: SheetContext) -> pd.DataFrame:
    """The network's locations; a code listed twice is reported by network_problems."""
    d = {"location": ctx.text("location", required=True)}
    d |= _network_cells(ctx, ["role", "supplied_by", "transit_weeks"])
    return ctx.frame(d, model.LOCATION_COLUMNS)


def _receipts(ctx: SheetContext) -> pd.DataFrame:
    status = ctx.text("status")
    # a status column holds a few distinct texts: each looked up once
    codes, texts = pd.factorize(status)
    dropped = np.array([t.lower() in S.RECEIPT_DROP_STATUSES for t in texts] + [False],
                       dtype=bool)
    drop = dropped[codes]  # code -1 (blank) takes the last: kept
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


_READERS = {"Campaigns": read_campaigns, "Inventory": _inventory, "Products": _products,
            "Locations": _locations, "Receipts": _receipts, "Forecast": read_forecast,
            "Actuals": read_actuals, "Overrides": read_overrides, "Lanes": read_lanes}
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
        frames[canon] = _READERS[canon](SheetContext(src, block, out))

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
        campaigns=frames["Campaigns"] if "Campaigns" in frames else empty_frame("Campaigns"),
        receipts=frames["Receipts"] if "Receipts" in frames else empty_frame("Receipts"),
        products=frames.get("Products"), actuals=frames.get("Actuals"),
        lanes=frames.get("Lanes"), locations=nonempty(frames.get("Locations")))
    return ReadResult(inputs, warnings, layouts, frames.get("Overrides"), closed)
