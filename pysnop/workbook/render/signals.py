"""Demand signals on the Bridge and in the Review (docs/semantics.md, demand sensing and the
consensus forecast).

* DEMAND SHIFT rows: a sku × location whose actuals ran away from its forecast (tracking
  signal beyond ±4 over the last 4 weeks of Actuals), for Supply and Marketing, each with
  what the re-projection at the recent actual ÷ forecast does to its risk ("creates risk",
  "removes risk", "worse", "better", or "no change in risk"), and the knock-on rows (a DC
  whose stores shifted) whose risk the re-projection changes;
* the consensus that was less accurate than one of its sources over the trailing window,
  with both WAPEs.

The Bridge block sits two rows below the Bridge table (its filter and sort stay on the
table); the Review sections follow the Review's own.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.utils import get_column_letter

from pysnop.workbook.ooxml.fastsheet import ATTR, FastRows
from pysnop.workbook.ooxml.xlcells import (
    BOLD_FONT,
    FMT_DATE,
    FMT_MONEY,
    FMT_PCT1,
    FMT_UNITS,
    HEADER_BORDER,
    HEADER_FILL,
    NOTE_FONT,
    STATUS_FILLS,
    StyleBook,
    as_date,
    as_text,
    excel_value,
    put,
    set_width,
)
from pysnop.workbook.render.signal_tables import (
    REVIEW_SHIFT_COLUMNS,
    SHIFT_COLUMNS,
    SHIFT_TITLE,
    WORSE_COLUMNS,
    Signals,
)

_FORMATS = {"tracking_signal": "0.0", "actual_units": FMT_UNITS, "forecast_units": FMT_UNITS,
            "ratio": "0.00", "first_risk_after": FMT_DATE, "lost_after": FMT_UNITS,
            "margin_at_risk_after": FMT_MONEY, "source_wape": FMT_PCT1,
            "consensus_wape": FMT_PCT1, "cells": "0"}
MAX_WIDTH = 20
DEFAULT_WIDTH = 8.43
REVIEW_SIZED = 7
WORSE_TITLE = "Consensus less accurate than a source"


def _cell(name: str, value):
    if name in ("first_risk_after",):
        return as_date(value)
    value = excel_value(value)
    if isinstance(value, str) or value is None:
        return as_text(value)
    return value


def _day(value) -> str:
    day = as_date(value)
    return day.isoformat() if day else "?"


def shift_title(signals: Signals) -> str:
    return (f"{SHIFT_TITLE}: actuals ran away from the forecast (tracking signal beyond ±4 "
            f"over the weeks of {_day(signals.first_week)} to {_day(signals.last_week)}), "
            "for Supply and Marketing. 're-projection' and '… then': the risk if demand stays "
            "at actual ÷ forecast of those weeks")


def write_bridge_shifts(ws, signals: Signals, styles: StyleBook, *, first_row: int) -> int:
    """The DEMAND SHIFT block on the Bridge sheet from ``first_row`` on (below the table, in
    pysnop's fast rows); returns the next free row."""
    rows = signals.shift_rows
    if len(rows) == 0:
        return first_row
    fast = getattr(ws, ATTR, None) or FastRows(ws, styles)
    r = max(first_row, fast.max_row + 2)
    fast.add_row(r, [(1, shift_title(signals), styles.get(font=BOLD_FONT))])
    head = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER)
    fast.add_row(r + 1, [(c, label, head) for c, (_, label) in enumerate(SHIFT_COLUMNS, 1)])
    plain = styles.get()
    formats = {name: styles.get(number_format=fmt) for name, fmt in _FORMATS.items()}
    status = {label: styles.get(fill=fill, font=font) for label, (fill, font) in
              STATUS_FILLS.items()}
    _fit_widths(ws, rows)
    r += 2
    for rec in rows.to_dict("records"):
        cells = []
        for c, (name, _) in enumerate(SHIFT_COLUMNS, 1):
            value = _cell(name, rec.get(name))
            style = status.get(value, plain) if name.startswith("status") else \
                formats.get(name, plain)
            cells.append((c, value, style))
        fast.add_row(r, cells)
        r += 1
    return r + 1


def _fit_widths(ws, rows: pd.DataFrame) -> None:
    """Widen (never narrow) the Bridge columns the block's headers and texts need."""
    for c, (name, label) in enumerate(SHIFT_COLUMNS, 1):
        texts = [label] + [str(v) for v in rows[name].tolist() if isinstance(v, str)]
        need = min(max(len(t) for t in texts) + 2, MAX_WIDTH)
        letter = get_column_letter(c)
        # a column never sized has Excel's default width (openpyxl reports 13 for it)
        width = ws.column_dimensions[letter].width if letter in ws.column_dimensions \
            else DEFAULT_WIDTH
        if width < need:
            set_width(ws, letter, need)


def write_review_signals(ws, row: int, signals: Signals | None, styles: StyleBook) -> int:
    """The Review's demand-shift and consensus sections from ``row`` on; returns the next row."""
    if signals is None:
        return row
    section, note = styles.get(font=BOLD_FONT), styles.get(font=NOTE_FONT)
    head = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER)
    plain = styles.get()
    formats = {name: styles.get(number_format=fmt) for name, fmt in _FORMATS.items()}
    shifts = signals.shift_rows
    blocks = [(f"Demand shifts ({signals.shifts})", shifts, list(REVIEW_SHIFT_COLUMNS),
               shift_title(signals) if len(shifts) else None),
              (f"{WORSE_TITLE} ({len(signals.consensus_worse)})", signals.consensus_worse,
               list(WORSE_COLUMNS), worse_note(signals) if len(signals.consensus_worse)
               else None)]
    for title, frame, columns, text in blocks:
        put(ws, row, 1, title, section)
        row += 1
        if len(frame) == 0:
            put(ws, row, 1, "none", note)
            row += 2
            continue
        put(ws, row, 1, text, note)
        row += 1
        for c, (_, label) in enumerate(columns, 1):
            put(ws, row, c, label, head)
            if c > REVIEW_SIZED:  # the Review sizes its first columns itself
                set_width(ws, get_column_letter(c), max(len(label) + 2, 11))
        row += 1
        for rec in frame.to_dict("records"):
            for c, (name, _) in enumerate(columns, 1):
                put(ws, row, c, _cell(name, rec.get(name)), formats.get(name, plain))
            row += 1
        row += 1
    return row


def worse_note(signals: Signals) -> str:
    return (f"over the last {signals.window_weeks} weeks, on the node-weeks both forecast: "
            "the consensus's WAPE is above the source's. Check the source weights and the "
            "overrides before relying on the consensus")


def _text_value(name: str, value) -> str:
    value = _cell(name, value)
    if value is None:
        return ""
    if name in ("source_wape", "consensus_wape"):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def review_signals_text(signals: Signals | None, *, markdown: bool = False) -> list[str]:
    """The same sections as text lines (``pysnop review`` and the Markdown mail)."""
    if signals is None:
        return []
    lines: list[str] = []
    for title, frame, columns, text in (
            (f"Demand shifts ({signals.shifts})", signals.shift_rows,
             list(REVIEW_SHIFT_COLUMNS), shift_title(signals)),
            (f"{WORSE_TITLE} ({len(signals.consensus_worse)})", signals.consensus_worse,
             list(WORSE_COLUMNS), worse_note(signals))):
        lines.append(f"## {title}" if markdown else title)
        if len(frame) == 0:
            lines += ["", "none", ""] if markdown else ["  none", ""]
            continue
        table = [[_text_value(name, rec.get(name)) for name, _ in columns]
                 for rec in frame.to_dict("records")]
        heads = [label for _, label in columns]
        if markdown:
            lines += ["", text, "", "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
            lines += ["| " + " | ".join(v.replace("|", "\\|") for v in r) + " |" for r in table]
        else:
            widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(heads)]
            lines.append(f"  {text}")
            lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip())
            lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()
                      for r in table]
        lines.append("")
    return lines


__all__ = ["SHIFT_COLUMNS", "SHIFT_TITLE", "WORSE_COLUMNS", "Signals", "review_signals_text",
           "write_bridge_shifts", "write_review_signals"]
