"""The Scorecard's boundary block: what leaked at the marketing–supply boundary, quarter by
quarter (docs/semantics.md, quarterly boundary scorecard), with two charts.

Columns: quarter, lost promo units and their margin (stockout weeks of campaigns, at the promo
margin), expedite and transfer cost (approved or exported actions), margin leaked (the three
together), wasted spend (marketing spend behind lift units supply could not serve), and lead
time won (risks first flagged that quarter's risk weeks, the mean weeks between a risk's
first flag and its first risk week, how many were flagged at least their lead time ahead,
and that share). Figures come from :func:`pysnop.pipeline.boundary.boundary_figures`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.styles.cell_style import StyleArray

from pysnop.workbook.ooxml.xlcells import (
    BOLD_FONT,
    FMT_MONEY,
    FMT_PCT1,
    FMT_UNITS,
    HEADER_BORDER,
    HEADER_FILL,
    NOTE_FONT,
    StyleBook,
    as_text,
    put,
)

BOUNDARY_TITLE = "At the marketing–supply boundary"
# (boundary frame column, header, number format)
BOUNDARY_COLUMNS = (
    ("quarter", "quarter", None),
    ("lost_promo_units", "lost promo units", FMT_UNITS),
    ("lost_promo_margin", "lost promo margin", FMT_MONEY),
    ("expedite_cost", "expedite cost", FMT_MONEY),
    ("transfer_cost", "transfer cost", FMT_MONEY),
    ("margin_leaked", "margin leaked", FMT_MONEY),
    ("wasted_spend", "wasted spend", FMT_MONEY),
    ("risks", "risks", "0"),
    ("mean_lead_weeks", "mean lead weeks", "0.0"),
    ("flagged_in_time", "flagged in time", "0"),
    ("share_flagged_in_time", "share flagged in time", FMT_PCT1),
)
NOTE = ("margin leaked = lost promo margin (units a campaign's stockout weeks could not sell, "
        "at the promo margin) + the cost of approved or exported expedites and transfers; "
        "wasted spend = each campaign's spend × the share of its lift units supply could not "
        "serve; lead time won = weeks from a risk's first flag by pysnop to its first risk "
        "week, in time when at least its lead_time_weeks.")


@dataclass
class BoundaryBlock:
    """Where the block's figures sit, for the charts."""

    header_row: int
    last_row: int

    def column(self, name: str) -> int:
        return next(c for c, (field, _, _) in enumerate(BOUNDARY_COLUMNS, 1) if field == name)

    @staticmethod
    def headers() -> dict[int, str]:
        """The header texts by column (the Scorecard fits its columns and rows to them)."""
        return {c: label for c, (_, label, _) in enumerate(BOUNDARY_COLUMNS, 1)}


def _value(name: str, value):
    if name == "quarter":
        return as_text(value)
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(f):
        return None
    return int(f) if name in ("risks", "flagged_in_time") else f


def write_boundary_block(ws, row: int, boundary: pd.DataFrame | None, styles: StyleBook,
                         head: StyleArray | None = None) -> tuple[int, BoundaryBlock | None]:
    """The block from ``row`` on; returns the next free row and where it sits (None when
    there is no figure to show). ``head``: the header style (the Scorecard's wraps)."""
    if boundary is None or len(boundary) == 0:
        return row, None
    put(ws, row, 1, BOUNDARY_TITLE, styles.get(font=Font(bold=True, size=12)))
    if head is None:
        head = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER)
    header_row = row + 1
    for c, (_, label, _) in enumerate(BOUNDARY_COLUMNS, 1):
        put(ws, header_row, c, label, head)
    formats = {name: styles.get(number_format=fmt) if fmt else styles.get()
               for name, _, fmt in BOUNDARY_COLUMNS}
    r = header_row
    for rec in boundary.to_dict("records"):
        r += 1
        for c, (name, _, _) in enumerate(BOUNDARY_COLUMNS, 1):
            put(ws, r, c, _value(name, rec.get(name)), formats[name])
    put(ws, r + 2, 1, NOTE, styles.get(font=NOTE_FONT))
    return r + 4, BoundaryBlock(header_row, r)


def add_boundary_charts(ws, block: BoundaryBlock, anchor_col: str, y: int) -> None:
    """Margin leaked and wasted spend by quarter; the share of risks flagged in time."""
    cats = Reference(ws, min_col=1, min_row=block.header_row + 1, max_row=block.last_row)
    money = BarChart()
    money.type = "col"
    money.title = "Margin leaked and wasted spend by quarter"
    money.y_axis.title = "money"
    money.y_axis.number_format = "#,##0"
    for name in ("margin_leaked", "wasted_spend"):
        c = block.column(name)
        money.add_data(Reference(ws, min_col=c, min_row=block.header_row,
                                 max_row=block.last_row), titles_from_data=True)
    money.set_categories(cats)
    _size(money)
    ws.add_chart(money, f"{anchor_col}{y}")
    lead = BarChart()
    lead.type = "col"
    lead.title = "Lead time won: risks flagged at least their lead time ahead"
    lead.y_axis.title = "share of risks"
    lead.y_axis.number_format = FMT_PCT1
    lead.y_axis.scaling.min, lead.y_axis.scaling.max = 0.0, 1.0
    c = block.column("share_flagged_in_time")
    lead.add_data(Reference(ws, min_col=c, min_row=block.header_row, max_row=block.last_row),
                  titles_from_data=True)
    lead.set_categories(cats)
    _size(lead)
    ws.add_chart(lead, f"{anchor_col}{y + 16}")


def _size(chart) -> None:
    chart.x_axis.delete = False  # openpyxl >= 3.1 hides axes unless told otherwise
    chart.y_axis.delete = False
    chart.height, chart.width = 7.5, 16.0


__all__ = ["BOUNDARY_COLUMNS", "BOUNDARY_TITLE", "BoundaryBlock", "add_boundary_charts",
           "write_boundary_block"]
