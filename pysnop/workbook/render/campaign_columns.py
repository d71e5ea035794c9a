"""The supply-check columns pysnop appends to marketing's Campaigns sheet.

Marketing's own cells are never written. pysnop's columns are found by their header text
("Supply: ...") in the header row and reused on every run; missing ones are appended to the
right of the last used header cell. When the Campaigns data is an Excel table, the table is
extended over the Supply columns so that it stays one table (see pysnop.workbook.ooxml.transplant).
"""

from __future__ import annotations

from typing import Any

from pysnop.workbook.ooxml.transplant import PATCH_PREFIX, ColumnPatch
from pysnop.workbook.ooxml.xlcells import (
    FMT_DATE,
    FMT_MONEY,
    FMT_PCT,
    FMT_PCT1,
    STATUS_FILLS,
    as_date,
    as_text,
    excel_value,
    put,
    status_label,
)
from pysnop.workbook.render.canvas import Canvas

SUPPLY_PREFIX = "supply:"
# (header, campaign_check column, number format, width)
SUPPLY_COLUMNS = (
    ("Supply: status", "supply_status", None, 15),
    ("Supply: coverage", "coverage", FMT_PCT, 17),
    ("Supply: max lift", "max_supportable_lift", FMT_PCT1, 16),
    ("Supply: safe start", "earliest_safe_start", FMT_DATE, 17),
    ("Supply: margin at risk", "margin_at_risk", FMT_MONEY, 21),
    # learned lift beside marketing's plan, and the spend behind lift units supply cannot
    # serve (docs/semantics.md, learned lift and promotion economics)
    ("Supply: learned lift", "learned_lift", FMT_PCT1, 19),
    ("Supply: learned from", "learned_from", None, 30),
    ("Supply: wasted spend", "wasted_spend", FMT_MONEY, 20),
    ("Supply: note", "note", None, 40),
)


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).lower() if text is not None else ""


def locate_supply_columns(headers: dict[int, str], last_user_col: int) -> dict[str, int]:
    """Column of each Supply header: where it already is in the header row, else appended."""
    existing: dict[str, int] = {}
    used_max = last_user_col
    for c, value in sorted(headers.items()):
        if value is None or not str(value).strip():
            continue
        used_max = max(used_max, c)
        norm = _norm(value)
        if norm.startswith(SUPPLY_PREFIX):
            existing.setdefault(norm, c)
    out: dict[str, int] = {}
    next_col = used_max + 1
    for header, *_ in SUPPLY_COLUMNS:
        col = existing.get(_norm(header))
        if col is None:
            col = next_col
            next_col += 1
        out[header] = col
    return out


def write_campaign_columns(canvas: Canvas, layout, check) -> None:
    """Render ``check`` (BridgeResult.campaign_check) as a patch of marketing's sheet.

    The cells go to a scratch sheet at their final coordinates; the writer merges them into
    the user's Campaigns sheet (and its Excel table), leaving marketing's cells as they are.
    """
    if check is None or len(check) == 0:
        return
    header_row = int(layout.header_row)
    last_user_col = int(layout.last_col)
    headers = canvas.user_headers(layout.name, header_row)
    cols = locate_supply_columns(headers, last_user_col)
    ws = canvas.wb.create_sheet(PATCH_PREFIX + layout.name)
    styles = canvas.styles
    for header, *_ in SUPPLY_COLUMNS:
        put(ws, header_row, cols[header], header, None)

    plain = styles.get()
    status_styles = {label: styles.get(fill=fill, font=font)
                     for label, (fill, font) in STATUS_FILLS.items()}
    fmt_styles = {field: styles.get(number_format=fmt) if fmt else plain
                  for _, field, fmt, _ in SUPPLY_COLUMNS}
    data = {field: (check[field].tolist() if field in check.columns else [None] * len(check))
            for _, field, _, _ in SUPPLY_COLUMNS}
    rows = check["row"].tolist() if "row" in check.columns else [None] * len(check)
    for j, row in enumerate(rows):
        row = excel_value(row)
        if not isinstance(row, (int, float)) or row <= header_row:
            continue
        r = int(row)
        for header, field, _, _ in SUPPLY_COLUMNS:
            raw = data[field][j]
            c = cols[header]
            if field == "supply_status":
                label = status_label(raw)
                put(ws, r, c, label or None, status_styles.get(label, plain))
            elif field == "note":
                put(ws, r, c, as_text(raw), plain)
            elif field == "earliest_safe_start":
                put(ws, r, c, as_date(raw), fmt_styles[field])
            else:
                put(ws, r, c, excel_value(raw), fmt_styles[field])

    existing = {_norm(v) for v in headers.values()}
    canvas.patches.append(ColumnPatch(
        sheet=layout.name, scratch=ws.title, header_row=header_row,
        columns=sorted(cols.values()),
        widths={cols[h]: w for h, _, _, w in SUPPLY_COLUMNS if _norm(h) not in existing},
        table=getattr(layout, "table", None),
        header_style_from=(header_row, last_user_col)))
