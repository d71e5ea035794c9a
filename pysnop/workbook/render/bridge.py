"""The "Bridge" sheet: one row per sku-location, worst first, projected on-hand per week."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from pysnop.workbook.ooxml.cell_text import map_distinct
from pysnop.workbook.ooxml.fastsheet import FastRows
from pysnop.workbook.ooxml.xlcells import (
    AMBER_FILL,
    AMBER_FONT,
    BOLD_FONT,
    CENTER,
    FMT_DATE,
    FMT_MONEY,
    FMT_UNITS,
    HEADER_BORDER,
    HEADER_FILL,
    NOTE_FONT,
    PROMO_BORDER,
    RED_BOLD_FONT,
    RED_FILL,
    RED_FONT,
    STATUS_FILLS,
    TITLE_FONT,
    StyleBook,
    as_date,
    as_text,
    put,
    replace_sheet,
    set_width,
    status_label,
)
from pysnop.workbook.sheet_names import BRIDGE_SHEET

if TYPE_CHECKING:
    from pysnop.core.model import BridgeResult

HEADER_ROW = 4
FIRST_DATA_ROW = 5

SUMMARY_COLUMNS = ("sku", "location", "status", "first_risk_week", "min_projected",
                   "shortfall_units", "lost_units", "margin_at_risk", "act_by", "campaigns")
_FORMATS = {"first_risk_week": FMT_DATE, "min_projected": FMT_UNITS,
            "shortfall_units": FMT_UNITS, "lost_units": FMT_UNITS,
            "margin_at_risk": FMT_MONEY, "act_by": FMT_DATE}
_WIDTHS = {"status": 11, "first_risk_week": 15, "min_projected": 14, "shortfall_units": 15,
           "lost_units": 11, "margin_at_risk": 15, "act_by": 12, "campaigns": 22,
           "role": 8, "supplied_by": 12, "risk_cause": 20}
# the chain, shown when the workbook has a network (docs/semantics.md, network): who feeds
# the row, and why it is at risk (its own shortfall, its DC's fair share; on a DC row the
# fed locations short because of it)
CHAIN_AFTER = {"location": ("role", "supplied_by"), "status": ("risk_cause",)}
NETWORK_NOTE = ("network: a DC row is its distribution plan (its stock less what its stores "
                "ask of it, before any fair share); a fed row's act_by allows for transit and "
                "its DC's lead time")


def shows_network(result: BridgeResult) -> bool:
    """True when some row is a DC, fed by a DC or delivered direct."""
    summary = result.summary
    if result.network is not None:
        return True
    role = summary["role"] if "role" in summary.columns else pd.Series(dtype=object)
    supplied = summary["supplied_by"] if "supplied_by" in summary.columns \
        else pd.Series(dtype=object)
    return bool(role.fillna("store").ne("store").any() or supplied.notna().any())


def bridge_columns(result: BridgeResult) -> tuple[str, ...]:
    """The Bridge's summary columns: SUMMARY_COLUMNS, with the chain's when there is one."""
    if not shows_network(result):
        return SUMMARY_COLUMNS
    out: list[str] = []
    for name in SUMMARY_COLUMNS:
        out += [name, *CHAIN_AFTER.get(name, ())]
    return tuple(out)


def week_mondays(result: BridgeResult) -> list[dt.date | None]:
    return [as_date(w) for w in result.weeks]


def summary_to_keys(result: BridgeResult) -> np.ndarray:
    """For each summary row, the row of the (keys-ordered) weekly arrays it belongs to."""
    keys = result.keys
    summary = result.summary
    sku, location = summary["sku"].tolist(), summary["location"].tolist()
    if keys["sku"].tolist() == sku and keys["location"].tolist() == location:
        return np.arange(len(summary), dtype=np.int64)  # the engine's own order: one compare
    lookup = {(str(s), str(loc)): i for i, (s, loc) in
              enumerate(zip(keys["sku"].tolist(), keys["location"].tolist()))}
    out = np.empty(len(summary), dtype=np.int64)
    for j, (s, loc) in enumerate(zip(sku, location)):
        out[j] = lookup.get((str(s), str(loc)), -1)
    return out


COVERED_COLUMN = "covered_by"  # docs/semantics.md, "Closed loop"
COVERED_FONT = Font(color="FF006100")
_NUMERIC = ("min_projected", "shortfall_units", "lost_units", "margin_at_risk")
_DATES = ("first_risk_week", "act_by")


def column_values(summary, name: str) -> list:
    """A summary column as a list of cell-ready Python values (None for blanks)."""
    n = len(summary)
    if name not in summary.columns:
        return [None] * n
    col = summary[name]
    if name in _NUMERIC:
        return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float).tolist()
    if name in _DATES:  # a few distinct weeks
        if pd.api.types.is_datetime64_any_dtype(col):
            codes, weeks = pd.factorize(col)  # NaT: -1, the blank at the end
            return np.array([*map(as_date, weeks), None], dtype=object)[codes].tolist()
        return map_distinct(as_date, col.tolist())
    if name == "status":
        return map_distinct(_status_cell, col.tolist())
    if isinstance(col.dtype, pd.StringDtype):  # what as_text makes of a str: "" is blank
        values = col.to_numpy(dtype=object, na_value=None, copy=True)
        values[values == ""] = None
        return values.tolist()
    return map_distinct(as_text, col.tolist())


def _status_cell(value) -> str | None:
    return status_label(value) or None


def write_bridge_sheet(wb, result: BridgeResult, styles: StyleBook):
    ws = replace_sheet(wb, BRIDGE_SHEET)
    weeks = week_mondays(result)
    n_weeks = len(weeks)
    summary = result.summary
    n = len(summary)

    # title and legend
    as_of = as_date(result.as_of)
    put(ws, 1, 1, f"pysnop bridge · as of {as_of.isoformat() if as_of else '?'} · "
                  f"{n_weeks} weeks", styles.get(font=TITLE_FONT))
    put(ws, 2, 1, "Legend:", styles.get(font=BOLD_FONT))
    put(ws, 2, 2, "STOCKOUT", styles.get(fill=RED_FILL, font=RED_FONT, alignment=CENTER))
    put(ws, 2, 3, "AT RISK", styles.get(fill=AMBER_FILL, font=AMBER_FONT, alignment=CENTER))
    put(ws, 2, 4, "OK", styles.get(alignment=CENTER))
    put(ws, 2, 5, "promo week", styles.get(border=PROMO_BORDER, alignment=CENTER))
    put(ws, 2, 6, "act_by in red bold: too late to order new stock", styles.get(font=NOTE_FONT))

    # header
    head = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER)
    head_date = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER,
                           number_format=FMT_DATE)
    names = bridge_columns(result)
    if names is not SUMMARY_COLUMNS:
        put(ws, 3, 1, NETWORK_NOTE, styles.get(font=NOTE_FONT))
    for c, name in enumerate(names, start=1):
        put(ws, HEADER_ROW, c, name, head)
    first_week_col = len(names) + 1
    for k, monday in enumerate(weeks):
        put(ws, HEADER_ROW, first_week_col + k, monday, head_date)

    # style templates for the data cells
    plain = styles.get()
    col_styles = {name: styles.get(number_format=fmt) for name, fmt in _FORMATS.items()}
    too_late_style = styles.get(number_format=FMT_DATE, font=RED_BOLD_FONT)
    status_styles = {label: styles.get(fill=fill, font=font)
                     for label, (fill, font) in STATUS_FILLS.items()}
    poh_styles = {}
    for code, label in enumerate(("OK", "AT RISK", "STOCKOUT")):
        fill, font = STATUS_FILLS.get(label, (None, None))
        for in_promo in (False, True):
            poh_styles[(code, in_promo)] = styles.get(
                fill=fill, font=font, number_format=FMT_UNITS,
                border=PROMO_BORDER if in_promo else None)

    columns = {name: column_values(summary, name) for name in names}
    too_late = (summary["too_late"].fillna(False).astype(bool).tolist()
                if "too_late" in summary.columns else [False] * n)
    # summary and weekly arrays share their row order (the engine sorts both worst first)
    rows = summary_to_keys(result)
    aligned = bool(np.array_equal(rows, np.arange(n)))
    poh = np.asarray(result.poh, dtype=float)
    status = np.asarray(result.status, dtype=np.int64)
    promo: np.ndarray = (np.asarray(result.promo, dtype=bool) if result.promo is not None
                         else np.zeros_like(status, dtype=bool))
    if not aligned:
        take = np.where(rows >= 0, rows, 0)
        poh, status, promo = poh[take], status[take], promo[take]
        poh[rows < 0] = np.nan
    labels = columns["status"]
    fast = FastRows(ws, styles)
    # each cell's style an index into the styles of the column's distinct values
    codes, shown = pd.factorize(np.array(labels, dtype=object))
    codes[codes < 0] = len(shown)  # a blank status: plain, at the end
    special = {
        "status": (codes, [*(status_styles.get(label, plain) for label in shown), plain]),
        "act_by": (np.asarray(too_late, dtype=np.intp), [col_styles["act_by"], too_late_style])}
    block: list[tuple[int, str, Any, Any]] = [
        (c, "date" if name in _DATES else "number" if name in _NUMERIC else "text",
         columns[name], special.get(name, col_styles.get(name, plain)))
        for c, name in enumerate(names, start=1)]
    style_table = [poh_styles[(code, flag)] for code in range(3) for flag in (False, True)]
    for k in range(n_weeks):  # each cell's style an index into style_table
        block.append((first_week_col + k, "number", poh[:, k],
                      (status[:, k] * 2 + promo[:, k], style_table)))
    # the closed loop: which exported actions the projection counts, after the weeks (only
    # when there are any, so the week columns never move)
    covered = column_values(summary, COVERED_COLUMN) if COVERED_COLUMN in summary else []
    last_col_n = first_week_col + n_weeks - 1
    if any(covered):
        last_col_n += 1
        put(ws, HEADER_ROW, last_col_n, COVERED_COLUMN, head)
        block.append((last_col_n, "text", [v or None for v in covered],
                      styles.get(font=COVERED_FONT)))
    fast.add_columns(FIRST_DATA_ROW, n, block)
    sku_width = max([8, *(len(v) for v in columns["sku"][:5000] if v)])
    loc_width = max([10, *(len(v) for v in columns["location"][:5000] if v)])

    last_col = get_column_letter(last_col_n)
    ws.freeze_panes = f"C{FIRST_DATA_ROW}"
    # printed for the weekly meeting: landscape, one page wide, header row on every page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{HEADER_ROW + max(n, 1)}"
    set_width(ws, "A", min(sku_width + 2, 40))
    set_width(ws, "B", min(loc_width + 2, 40))
    for c, name in enumerate(names, start=1):
        if name in _WIDTHS:
            set_width(ws, get_column_letter(c), _WIDTHS[name])
        if name == "risk_cause" and name in columns:  # "short for S01, S02, …" on a DC row
            longest = max([0, *(len(str(v)) for v in columns[name][:5000] if v)])
            set_width(ws, get_column_letter(c), min(max(_WIDTHS[name], longest + 2), 60))
    for k in range(n_weeks):
        set_width(ws, get_column_letter(first_week_col + k), 11.5)
    if last_col_n > first_week_col + n_weeks - 1:
        set_width(ws, last_col, 48)
    return ws

