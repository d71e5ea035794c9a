"""The "Scorecard" sheet for the quarterly S&OP review.

Three blocks, each a title in column A, a header row and the figures:

* ``Accuracy by source`` — over the trailing window: source, weight (this cycle's), cells,
  WAPE, bias, naive WAPE, FVA; the consensus is one more source;
* ``By quarter`` — the quarter roll-up;
* ``At the marketing–supply boundary`` — margin leaked, wasted spend and lead time won by
  quarter (:mod:`.boundary_scorecard`), when there are figures;
* ``By week`` — week, quarter, promoted cells, promoted stockouts, promo stockout rate,
  units sold, on hand end, inventory turn, weeks of supply, then WAPE, bias and FVA per
  source.

Native Excel charts beside the blocks: WAPE by week per source, promo stockout rate by week,
weeks of supply by week. Definitions: :mod:`pysnop.core.scorecard`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from pysnop.workbook.ooxml.xlcells import (
    BOLD_FONT,
    FMT_DATE,
    FMT_PCT1,
    FMT_UNITS,
    HEADER_BORDER,
    HEADER_FILL,
    HEADER_WRAP,
    NOTE_FONT,
    TITLE_FONT,
    StyleBook,
    as_date,
    as_text,
    fit_headers,
    put,
    replace_sheet,
)
from pysnop.workbook.render.boundary_scorecard import add_boundary_charts, write_boundary_block
from pysnop.workbook.render.canvas import Canvas, Renderer

if TYPE_CHECKING:
    from pysnop.core.scorecard import Scorecard

SCORECARD_SHEET = "Scorecard"
ACCURACY_TITLE = "Accuracy by source"
QUARTER_TITLE = "By quarter"
WEEK_TITLE = "By week"
CONSENSUS = "Consensus"

ACCURACY_HEADER = ("source", "weight", "cells", "WAPE", "bias", "naive WAPE", "FVA")
QUARTER_HEADER = ("quarter", "weeks", "promoted cells", "promoted stockouts",
                  "promo stockout rate", "units sold", "avg on hand", "inventory turn",
                  "weeks of supply")
WEEK_HEADER = ("week", "quarter", "promoted cells", "promoted stockouts",
               "promo stockout rate", "units sold", "on hand end", "inventory turn",
               "weeks of supply")
_Q_FIELDS = ("quarter", "weeks", "promoted_cells", "promoted_stockouts", "promo_stockout_rate",
             "units_sold", "avg_on_hand", "inventory_turn", "weeks_of_supply")
_W_FIELDS = ("week", "quarter", "promoted_cells", "promoted_stockouts", "promo_stockout_rate",
             "units_sold", "on_hand_end", "inventory_turn", "weeks_of_supply")
_PCT_FIELDS = {"promo_stockout_rate", "wape", "bias", "naive_wape", "fva"}
_UNIT_FIELDS = {"units_sold", "on_hand_end", "avg_on_hand"}
_RATIO_FIELDS = {"inventory_turn", "weeks_of_supply"}
METRICS = (("wape", "WAPE"), ("bias", "bias"), ("fva", "FVA"))
BLOCK_FONT = Font(bold=True, size=12)


def _num(v):
    if v is None or isinstance(v, (str, bool)):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def source_order(*frames: pd.DataFrame) -> list[str]:
    names = set()
    for f in frames:
        if f is not None and len(f) and "source" in f.columns:
            names |= {str(s) for s in f["source"].dropna()}
    return sorted(names - {CONSENSUS}) + ([CONSENSUS] if CONSENSUS in names else [])


def _per_source(acc: pd.DataFrame, key: str, sources: list[str]) -> dict:
    """{(key value, source): row} for the accuracy frames."""
    out: dict = {}
    if acc is None or not len(acc):
        return out
    for rec in acc.to_dict("records"):
        k = rec[key]
        if key == "week":
            k = as_date(k)
        out[(k, str(rec["source"]))] = rec
    return out


def write_scorecard_sheet(wb, card: Scorecard, styles: StyleBook, *, window_weeks: int = 8,
                          as_of=None, weights: dict | None = None,
                          boundary: pd.DataFrame | None = None):
    ws = replace_sheet(wb, SCORECARD_SHEET)
    day = as_date(as_of)
    put(ws, 1, 1, f"pysnop S&OP scorecard · as of {day.isoformat() if day else '?'} · "
                  f"accuracy over the trailing {window_weeks} weeks",
        styles.get(font=TITLE_FONT))
    put(ws, 2, 1, "WAPE = Σ|forecast − actual| ÷ Σ actual; bias = Σ(forecast − actual) ÷ "
                  "Σ actual (+ = over-forecast); FVA = naive WAPE − WAPE (naive = last "
                  "week's actual; + = adds value); inventory turn = units sold ÷ on hand × "
                  "52 ÷ weeks; weeks of supply = on hand ÷ mean weekly sales of the last 4 "
                  "weeks. Forecasts are those recorded in earlier cycles.",
        styles.get(font=NOTE_FONT))
    head = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER,
                      alignment=HEADER_WRAP)
    block_title = styles.get(font=BLOCK_FONT)
    plain = styles.get()
    pct = styles.get(number_format=FMT_PCT1)
    units = styles.get(number_format=FMT_UNITS)
    ratio = styles.get(number_format="0.0")
    date_style = styles.get(number_format=FMT_DATE)
    note = styles.get(font=NOTE_FONT)

    def style_for(field: str):
        if field in _PCT_FIELDS:
            return pct
        if field in _UNIT_FIELDS:
            return units
        if field in _RATIO_FIELDS:
            return ratio
        if field == "week":
            return date_style
        return plain

    def value_of(field: str, v):
        if field == "week":
            return as_date(v)
        if field == "quarter":
            return as_text(v)
        if field in ("weeks", "promoted_cells", "promoted_stockouts", "cells"):
            f = _num(v)
            return None if f is None else int(f)
        return _num(v)

    sources = source_order(card.accuracy, card.accuracy_weekly, card.accuracy_quarterly)
    weights = dict(weights or {})

    # --- accuracy over the window
    r = 4
    put(ws, r, 1, f"{ACCURACY_TITLE} (trailing {window_weeks} weeks)", block_title)
    r += 1
    header_rows: dict[int, dict[int, str]] = {r: dict(enumerate(ACCURACY_HEADER, start=1))}
    for c, name in enumerate(ACCURACY_HEADER, start=1):
        put(ws, r, c, name, head)
    acc = {str(rec["source"]): rec for rec in card.accuracy.to_dict("records")} \
        if len(card.accuracy) else {}
    listed = sources or sorted(weights)
    if not listed:
        r += 1
        put(ws, r, 1, "no recorded forecasts to score yet: pysnop records each cycle's "
                      "forecasts; accuracy shows once Actuals cover weeks forecast in an "
                      "earlier cycle", note)
    for s in listed:
        r += 1
        rec = acc.get(s, {})
        put(ws, r, 1, s, styles.get(font=BOLD_FONT) if s == CONSENSUS else plain)
        put(ws, r, 2, _num(weights.get(s)), pct)
        for c, field in enumerate(("cells", "wape", "bias", "naive_wape", "fva"), start=3):
            put(ws, r, c, value_of(field, rec.get(field)), style_for(field))
    r += 2

    # --- quarter roll-up
    by_q = _per_source(card.accuracy_quarterly, "quarter", sources)
    put(ws, r, 1, QUARTER_TITLE, block_title)
    r += 1
    metric_cols = [(f, f"{label} {s}", s) for f, label in METRICS for s in sources]
    header_rows[r] = dict(enumerate(list(QUARTER_HEADER) + [m[1] for m in metric_cols],
                                    start=1))
    for c, name in header_rows[r].items():
        put(ws, r, c, name, head)
    for rec in card.quarterly.to_dict("records"):
        r += 1
        for c, field in enumerate(_Q_FIELDS, start=1):
            put(ws, r, c, value_of(field, rec.get(field)), style_for(field))
        for k, (field, _, s) in enumerate(metric_cols):
            v = by_q.get((rec["quarter"], s), {}).get(field)
            put(ws, r, len(_Q_FIELDS) + 1 + k, _num(v), pct)
    r += 2

    # --- the marketing-supply boundary by quarter (render/boundary_scorecard.py)
    r, boundary_block = write_boundary_block(ws, r, boundary, styles, head)
    if boundary_block is not None:  # its headers share the columns' widths (below)
        header_rows[boundary_block.header_row] = boundary_block.headers()

    # --- by week
    by_w = _per_source(card.accuracy_weekly, "week", sources)
    put(ws, r, 1, WEEK_TITLE, block_title)
    r += 1
    week_header_row = r
    header_rows[r] = dict(enumerate(list(WEEK_HEADER) + [m[1] for m in metric_cols], start=1))
    for c, name in header_rows[r].items():
        put(ws, r, c, name, head)
    weekly = card.weekly.to_dict("records")
    for rec in weekly:
        r += 1
        for c, field in enumerate(_W_FIELDS, start=1):
            put(ws, r, c, value_of(field, rec.get(field)), style_for(field))
        week = as_date(rec["week"])
        for k, (field, _, s) in enumerate(metric_cols):
            v = by_w.get((week, s), {}).get(field)
            put(ws, r, len(_W_FIELDS) + 1 + k, _num(v), pct)
    last_row = r
    last_col = len(_W_FIELDS) + len(metric_cols)

    widths = [13, 9, 14, 17, 18, 11, 11, 14, 15] + [15] * len(metric_cols)
    widest_row = max((max(texts, default=0) for texts in header_rows.values()), default=0)
    widths += [11] * max(0, widest_row - len(widths))  # a block wider than the weekly one
    # the three header rows share their columns: each column as wide as its longest header
    # (up to 22), each header row as tall as its most wrapped header
    longest = {c: max((len(row.get(c, "")) for row in header_rows.values()), default=0)
               for c in range(1, len(widths) + 1)}
    widths = [max(w, min(longest[c] + 2, 22)) for c, w in enumerate(widths, start=1)]
    for hr, texts in header_rows.items():
        fit_headers(ws, hr, texts, dict(enumerate(widths, start=1)), widest=22)
    ws.freeze_panes = "B4"

    # --- charts
    if weekly:
        anchor = get_column_letter(last_col + 2)
        cats = Reference(ws, min_col=1, min_row=week_header_row + 1, max_row=last_row)
        y = 4
        if sources:
            chart = _line("Forecast WAPE by week", "WAPE", FMT_PCT1)
            first = len(_W_FIELDS) + 1
            chart.add_data(Reference(ws, min_col=first, max_col=first + len(sources) - 1,
                                     min_row=week_header_row, max_row=last_row),
                           titles_from_data=True)
            chart.set_categories(cats)
            ws.add_chart(chart, f"{anchor}{y}")
            y += 16
        bar = BarChart()
        bar.type = "col"
        promoted = any((_num(rec.get("promoted_cells")) or 0) > 0 for rec in weekly)
        # an empty plot would look like a perfect record: say why there are no bars
        bar.title = "Stockout rate on promoted items" + (
            "" if promoted else ": no promoted weeks yet")
        bar.y_axis.title = "share of promoted cells"
        bar.y_axis.number_format = FMT_PCT1
        bar.y_axis.scaling.min, bar.y_axis.scaling.max = 0, 1  # a share: 0 to 100 %
        _axes(bar)
        bar.add_data(Reference(ws, min_col=5, min_row=week_header_row, max_row=last_row),
                     titles_from_data=True)
        bar.set_categories(cats)
        ws.add_chart(bar, f"{anchor}{y}")
        y += 16
        wos = _line("Weeks of supply and inventory turn", "weeks / turns", "0.0")
        wos.add_data(Reference(ws, min_col=8, max_col=9, min_row=week_header_row,
                               max_row=last_row), titles_from_data=True)
        wos.set_categories(cats)
        ws.add_chart(wos, f"{anchor}{y}")
    if boundary_block is not None:
        add_boundary_charts(ws, boundary_block, get_column_letter(last_col + 2),
                            4 + 16 * len(ws._charts))
    return ws


def _axes(chart) -> None:
    chart.x_axis.number_format = FMT_DATE
    chart.x_axis.delete = False  # openpyxl >= 3.1 hides axes unless told otherwise
    chart.y_axis.delete = False
    chart.x_axis.tickLblPos = "low"  # week labels below the plot, even with negative values
    chart.height, chart.width = 7.5, 16.0


def _line(title: str, y_title: str, fmt: str) -> LineChart:
    chart = LineChart()
    chart.title = title
    chart.y_axis.title = y_title
    chart.y_axis.number_format = fmt
    _axes(chart)
    return chart


def scorecard_renderer(card: Scorecard, *, window_weeks: int = 8, as_of=None,
                       weights: dict | None = None,
                       boundary: pd.DataFrame | None = None) -> Renderer:
    """The Scorecard sheet, as a renderer (see :mod:`.canvas`)."""
    def render(canvas: Canvas) -> None:
        write_scorecard_sheet(canvas.wb, card, canvas.styles, window_weeks=window_weeks,
                              as_of=as_of, weights=weights, boundary=boundary)
    return render
