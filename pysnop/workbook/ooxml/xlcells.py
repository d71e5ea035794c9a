"""Shared styles and fast, injection-safe cell writing for the sheets pysnop owns.

Styles are created once (module constants) and registered once per workbook as openpyxl
``StyleArray`` templates; every cell then receives a copy of a template instead of going
through openpyxl's per-assignment style lookups, which keeps a 10,000-row sheet fast.

Text that came from a user (SKU codes, campaign names, messages) must never turn into a
formula: a string starting with ``= + - @`` is stored as a plain string cell with Excel's
``quotePrefix`` flag, exactly what Excel does when a person types ``'=text``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter

# --- formats -----------------------------------------------------------------------------
FMT_UNITS = "#,##0.0"
FMT_MONEY = "#,##0.00"
FMT_DATE = "yyyy-mm-dd"
FMT_PCT = "0%"
FMT_PCT1 = "0.0%"
FMT_TEXT = "@"

# --- shared style objects (create once, reuse) ------------------------------------------
RED_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
AMBER_FILL = PatternFill(fill_type="solid", start_color="FFFFEB9C", end_color="FFFFEB9C")
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFD9E1F2", end_color="FFD9E1F2")
RED_FONT = Font(color="FF9C0006")
AMBER_FONT = Font(color="FF9C5700")
RED_BOLD_FONT = Font(color="FFC00000", bold=True)
BOLD_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(italic=True, color="FF595959")
PROMO_SIDE = Side(style="medium", color="FF0070C0")
PROMO_BORDER = Border(bottom=PROMO_SIDE)
HEADER_BORDER = Border(bottom=Side(style="thin", color="FF808080"))
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_WRAP = Alignment(wrap_text=True, vertical="bottom")
CENTER = Alignment(horizontal="center")

STATUS_FILLS = {"STOCKOUT": (RED_FILL, RED_FONT), "AT RISK": (AMBER_FILL, AMBER_FONT)}

RISKY_PREFIXES = ("=", "+", "-", "@")
MAX_CELL_TEXT = 32767


class StyleBook:
    """Style templates registered in one workbook, cached by the style objects used."""

    def __init__(self, workbook):
        self.wb = workbook
        self._cache: dict[tuple, StyleArray] = {}
        self._keep: list[Any] = []  # keep style objects alive: the cache is keyed by id()

    def get(self, *, font: Font | None = None, fill: PatternFill | None = None,
            border: Border | None = None, number_format: str | None = None,
            alignment: Alignment | None = None, quote: bool = False) -> StyleArray:
        key = (id(font), id(fill), id(border), number_format, id(alignment), quote)
        found = self._cache.get(key)
        if found is not None:
            return found
        wb = self.wb
        arr = StyleArray()
        if font is not None:
            arr.fontId = wb._fonts.add(font)
        if fill is not None:
            arr.fillId = wb._fills.add(fill)
        if border is not None:
            arr.borderId = wb._borders.add(border)
        if alignment is not None:
            arr.alignmentId = wb._alignments.add(alignment)
        if number_format is not None and number_format != "General":
            if number_format in BUILTIN_FORMATS_REVERSE:
                arr.numFmtId = BUILTIN_FORMATS_REVERSE[number_format]
            else:
                arr.numFmtId = wb._number_formats.add(number_format) + BUILTIN_FORMATS_MAX_SIZE
        if quote:
            arr.quotePrefix = 1
        self._keep.extend((font, fill, border, alignment))
        self._cache[key] = arr
        return arr

    def quoted(self, style: StyleArray | None) -> StyleArray:
        """``style`` with Excel's quotePrefix flag set (for neutralised text)."""
        key = ("quoted", id(style))
        found = self._cache.get(key)
        if found is None:
            found = StyleArray(style) if style is not None else StyleArray()
            found.quotePrefix = 1
            self._cache[key] = found
            self._keep.append(style)
        return found


def clean_text(value: Any) -> str:
    """Any value as text that openpyxl accepts (no control characters, length-capped)."""
    text = value if isinstance(value, str) else str(value)
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) > MAX_CELL_TEXT:
        text = text[:MAX_CELL_TEXT]
    return text


def clean_texts(values: list[Any]) -> list[str]:
    """:func:`clean_text` of each value, the usual case (no control characters, nothing
    too long) found for all of them at once."""
    texts = list(map(str, values))  # a str is itself
    if ILLEGAL_CHARACTERS_RE.search("".join(texts)) or \
            any(n > MAX_CELL_TEXT for n in map(len, texts)):
        return [clean_text(text) for text in texts]
    return texts


def is_risky(text: str) -> bool:
    return text.startswith(RISKY_PREFIXES)


def put(ws, row: int, col: int, value: Any, style: StyleArray | None = None) -> Cell:
    """Create (or replace) a cell with a value and a template style, quickly.

    Numbers and dates are written as such; strings always as strings (see module doc).
    Use only on sheets pysnop owns or on cells pysnop owns.
    """
    cell = Cell(ws, row=row, column=col, style_array=style)
    if value is not None:
        if isinstance(value, str):
            set_text(cell, value, style)
        else:
            cell.value = value
    ws._cells[(row, col)] = cell
    return cell


def set_text(cell: Cell, value: Any, style: StyleArray | None = None) -> None:
    """Store ``value`` as a string cell that can never become a formula."""
    text = clean_text(value)
    cell._value = text
    cell.data_type = "s"
    if text and is_risky(text):
        base = style if style is not None else cell._style
        arr = StyleArray(base) if base is not None else StyleArray()
        arr.quotePrefix = 1
        cell._style = arr


def excel_value(value: Any) -> Any:
    """A pandas/numpy scalar as something openpyxl writes correctly (NaN/NaT -> blank)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        ts = value.tz_localize(None) if value.tzinfo is not None else value
        # below a microsecond is below what a cell can hold: dropped without a warning on
        # the planner's console
        return ts.date() if ts == ts.normalize() else ts.to_pydatetime(warn=False)
    if isinstance(value, np.datetime64):
        return excel_value(pd.Timestamp(value)) if not np.isnat(value) else None
    if isinstance(value, (dt.datetime, dt.date, str)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)


def as_date(value: Any) -> dt.date | None:
    """A date-like scalar as ``datetime.date`` (None for blank/NaT)."""
    v = excel_value(value)
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return pd.Timestamp(v).date()
        except (ValueError, TypeError):
            return None
    return None


def as_text(value: Any) -> str | None:
    """SKU/location/campaign list as text (None for blank)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [str(v) for v in value if v is not None and str(v) != ""]
        return ", ".join(items) if items else None
    v = excel_value(value)
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    text = v if isinstance(v, str) else str(v)
    return text if text != "" else None


def status_label(value: Any) -> str:
    """A status as its label ("OK", "AT RISK", "STOCKOUT"), from a label or a 0/1/2 code."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return ("OK", "AT RISK", "STOCKOUT")[int(value)] if 0 <= int(value) <= 2 else str(value)
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    text = str(value).strip().upper().replace("_", " ")
    return "AT RISK" if text == "AT RISK" or text == "ATRISK" else text


def set_width(ws, col_letter: str, width: float) -> None:
    ws.column_dimensions[col_letter].width = width


LINE_HEIGHT = 15.0  # points per line of 11-point text, Excel's default row height


def wrapped_lines(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped in a column ``width`` wide (a width unit is about
    one character of the default font; two are kept for the cell's margins and for words
    that do not break exactly at the edge)."""
    per_line = max(int(width) - 2, 1)
    return sum(max(1, -(-len(part) // per_line)) for part in str(text).split("\n"))


def fit_headers(ws, row: int, headers: dict[int, str], widths: dict[int, float], *,
                widest: float = 24.0) -> None:
    """Columns wide enough for their header texts (up to ``widest``), and row ``row`` tall
    enough for the headers that still wrap (their style must wrap text). ``widths``: each
    column's width for its values; set on the sheet here."""
    lines = 1
    for col, width in widths.items():
        text = headers.get(col) or ""
        width = max(width, min(len(text) + 2, widest))
        set_width(ws, get_column_letter(col), width)
        lines = max(lines, wrapped_lines(text, width))
    if lines > 1:
        ws.row_dimensions[row].height = LINE_HEIGHT * lines


def replace_sheet(wb, title: str):
    """A fresh empty sheet named ``title``: at the old one's position if it existed
    (case-insensitive match, since Excel sheet names are), else after the last sheet."""
    for ws in wb.worksheets + list(getattr(wb, "chartsheets", [])):
        if ws.title.lower() == title.lower():
            index = wb._sheets.index(ws)
            was_active = wb.active is ws
            wb.remove(ws)
            new = wb.create_sheet(title, index)
            if was_active:
                wb.active = new
            return new
    return wb.create_sheet(title)
