"""The "Bridge Chart" sheet: native line charts of projected on-hand against threshold for
the most at-risk rows of the Bridge, with their data beside them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openpyxl.chart import LineChart, Reference
from openpyxl.utils import get_column_letter

from pysnop.workbook.ooxml.xlcells import (
    BOLD_FONT,
    FMT_DATE,
    FMT_UNITS,
    HEADER_BORDER,
    HEADER_FILL,
    HEADER_WRAP,
    TITLE_FONT,
    StyleBook,
    as_text,
    excel_value,
    fit_headers,
    put,
    replace_sheet,
    status_label,
)
from pysnop.workbook.render.bridge import summary_to_keys, week_mondays
from pysnop.workbook.sheet_names import CHART_SHEET

if TYPE_CHECKING:
    from pysnop.core.model import BridgeResult

MAX_CHARTS = 5


def pick_chart_rows(result: BridgeResult) -> list[int]:
    """Summary positions of the most at-risk rows: STOCKOUT before AT RISK, then lowest
    min_projected, at most MAX_CHARTS, OK rows skipped."""
    summary = result.summary
    labels = [status_label(v) for v in summary["status"].tolist()]
    mins = [excel_value(v) for v in summary["min_projected"].tolist()] \
        if "min_projected" in summary.columns else [None] * len(summary)
    rank = {"STOCKOUT": 0, "AT RISK": 1}
    candidates = [j for j, lab in enumerate(labels) if lab in rank]
    candidates.sort(key=lambda j: (rank[labels[j]],
                                   mins[j] if isinstance(mins[j], (int, float)) else float("inf"),
                                   j))
    return candidates[:MAX_CHARTS]


def write_chart_sheet(wb, result: BridgeResult, styles: StyleBook):
    ws = replace_sheet(wb, CHART_SHEET)
    chosen = pick_chart_rows(result)
    keys_rows = summary_to_keys(result)
    chosen = [j for j in chosen if keys_rows[j] >= 0]
    weeks = week_mondays(result)
    bold = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER)
    if not chosen:
        put(ws, 1, 1, "No sku-location at risk", styles.get(font=TITLE_FONT))
        return ws

    # long sku codes: the headers wrap (row 1 grows to fit them) rather than being cut off
    bold = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER,
                      alignment=HEADER_WRAP)
    put(ws, 1, 1, "week", bold)
    date_style = styles.get(number_format=FMT_DATE)
    units = styles.get(number_format=FMT_UNITS)
    for k, monday in enumerate(weeks):
        put(ws, 2 + k, 1, monday, date_style)
    headers: dict[int, str] = {1: "week"}
    summary = result.summary
    n_weeks = len(weeks)
    last_row = 1 + n_weeks
    anchor_col = get_column_letter(2 + 2 * len(chosen) + 1)
    for m, j in enumerate(chosen):
        i = keys_rows[j]
        label = f"{as_text(summary['sku'].iat[j])} @ {as_text(summary['location'].iat[j])}"
        if "role" in summary.columns and summary["role"].iat[j] == "dc":
            label += " (DC)"  # its plan: stock less what its stores ask (docs/semantics.md)
        poh_col, thr_col = 2 + 2 * m, 3 + 2 * m
        headers[poh_col], headers[thr_col] = f"{label} POH", f"{label} threshold"
        put(ws, 1, poh_col, headers[poh_col], bold)
        put(ws, 1, thr_col, headers[thr_col], bold)
        for k in range(n_weeks):
            put(ws, 2 + k, poh_col, excel_value(result.poh[i, k]), units)
            put(ws, 2 + k, thr_col, excel_value(result.threshold[i, k]), units)

        chart = LineChart()
        chart.title = f"{label}: {status_label(summary['status'].iat[j])}"
        chart.y_axis.title = "units"
        chart.x_axis.number_format = FMT_DATE
        chart.x_axis.delete = False  # openpyxl >= 3.1 hides axes unless told otherwise
        chart.y_axis.delete = False
        # the week labels stay below the plot when POH goes negative (the axis crosses at 0)
        chart.x_axis.tickLblPos = "low"
        chart.legend.position = "b"  # below: long sku codes do not squeeze the plot
        chart.height, chart.width = 7.0, 16.0
        data = Reference(ws, min_col=poh_col, max_col=thr_col, min_row=1, max_row=last_row)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=last_row))
        poh_series, thr_series = chart.series
        poh_series.graphicalProperties.line.solidFill = "C00000"
        poh_series.graphicalProperties.line.width = 28575
        poh_series.smooth = False
        thr_series.graphicalProperties.line.solidFill = "7F7F7F"
        thr_series.graphicalProperties.line.dashStyle = "dash"
        thr_series.smooth = False
        ws.add_chart(chart, f"{anchor_col}{1 + 15 * m}")
    fit_headers(ws, 1, headers, {c: 12.0 if c == 1 else 14.0 for c in headers})
    return ws
