"""The supply-check columns pysnop appends to marketing's Campaigns sheet.

Marketing's own cells are never written. pysnop's columns are found by their header text
("Supply: ...") in the header row and reused on every run; missing ones are appended to the
right of the last used header cell. When the Campaigns data is an Excel table, the table is
extended over the Supply columns so that it stays one table.
"""

from __future__ import annotations

from typing import Any

from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.table import TableColumn

from pysnop.io.xlcells import (
    FMT_DATE, FMT_MONEY, FMT_PCT, FMT_PCT1, STATUS_FILLS, StyleBook, as_date, as_text,
    excel_value, put, set_width, status_label,
)

SUPPLY_PREFIX = "supply:"
# (header, campaign_check column, number format, width)
SUPPLY_COLUMNS = (
    ("Supply: status", "supply_status", None, 15),
    ("Supply: coverage", "coverage", FMT_PCT, 17),
    ("Supply: max lift", "max_supportable_lift", FMT_PCT1, 16),
    ("Supply: safe start", "earliest_safe_start", FMT_DATE, 17),
    ("Supply: margin at risk", "margin_at_risk", FMT_MONEY, 21),
    ("Supply: note", "note", None, 40),
)


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).lower() if text is not None else ""


def _find_sheet(wb, name: str):
    for ws in wb.worksheets:
        if ws.title == name:
            return ws
    for ws in wb.worksheets:
        if ws.title.lower() == str(name).lower():
            return ws
    return None


def locate_supply_columns(ws, header_row: int, last_user_col: int) -> dict[str, int]:
    """Header text -> 1-based column for every Supply column, reusing existing ones."""
    existing: dict[str, int] = {}
    used_max = last_user_col
    max_col = max(ws.max_column, last_user_col)
    for c in range(1, max_col + 1):
        cell = ws._cells.get((header_row, c))
        value = cell.value if cell is not None else None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        used_max = max(used_max, c)
        norm = _norm(value)
        if norm.startswith(SUPPLY_PREFIX) and norm not in existing:
            existing[norm] = c
    out: dict[str, int] = {}
    next_col = used_max + 1
    for header, *_ in SUPPLY_COLUMNS:
        col = existing.get(_norm(header))
        if col is None:
            col = next_col
            next_col += 1
        out[header] = col
    return out


def write_campaign_columns(wb, layout, check, styles: StyleBook) -> None:
    """Write ``check`` (BridgeResult.campaign_check) beside marketing's columns."""
    ws = _find_sheet(wb, layout.name)
    if ws is None or check is None or len(check) == 0:
        return
    header_row = int(layout.header_row)
    last_user_col = int(layout.last_col)
    cols = locate_supply_columns(ws, header_row, last_user_col)

    # header cells: styled like marketing's last header cell so the row looks like one row
    template = ws._cells.get((header_row, last_user_col))
    head_style = template._style if template is not None and template.has_style else None
    new_headers = []
    for header, *_ in SUPPLY_COLUMNS:
        c = cols[header]
        existing = ws._cells.get((header_row, c))
        if existing is None or _norm(existing.value) != _norm(header):
            new_headers.append(header)
        put(ws, header_row, c, header, head_style)

    # clear stale values below the header in our columns only
    last_row = max(ws.max_row, int(getattr(layout, "last_row", 0) or 0))
    our_cols = set(cols.values())
    for (r, c) in [k for k in ws._cells if k[1] in our_cols and k[0] > header_row]:
        if r <= last_row:
            del ws._cells[(r, c)]

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
        for header, field, fmt, _ in SUPPLY_COLUMNS:
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

    for header, _, _, width in SUPPLY_COLUMNS:
        letter = get_column_letter(cols[header])
        current = ws.column_dimensions[letter].width if letter in ws.column_dimensions else None
        if header in new_headers or not current:
            set_width(ws, letter, width)

    table_name = getattr(layout, "table", None)
    if table_name:
        extend_table(ws, table_name, header_row, cols)


def extend_table(ws, table_name: str, header_row: int, cols: dict[str, int]) -> None:
    """Grow the Excel table rightwards over the Supply columns (when they are adjacent)."""
    table = ws.tables.get(table_name)
    if table is None:
        for t in ws.tables.values():
            if t.displayName == table_name or t.name == table_name:
                table = t
                break
    if table is None:
        return
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    if min_row != header_row:
        return
    wanted = sorted(cols.values())
    new_max = max(max_col, wanted[-1])
    # the table may only grow over columns that are its own or pysnop's, never over
    # other user columns that happen to sit in between
    ours = set(wanted)
    for c in range(max_col + 1, new_max + 1):
        if c not in ours:
            return
    # keep the table's column names equal to the header cells pysnop (re)wrote
    canonical = {_norm(h): h for h, *_ in SUPPLY_COLUMNS}
    for tc in table.tableColumns:
        if _norm(tc.name) in canonical:
            tc.name = canonical[_norm(tc.name)]
    norm_names = {_norm(tc.name) for tc in table.tableColumns}
    next_id = max([tc.id for tc in table.tableColumns] or [0]) + 1
    for c in range(max_col + 1, new_max + 1):
        header = ws.cell(row=header_row, column=c).value
        if _norm(header) in norm_names:
            continue
        table.tableColumns.append(TableColumn(id=next_id, name=str(header)))
        next_id += 1
        norm_names.add(_norm(header))
    ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(new_max)}{max_row}"
    table.ref = ref
    if table.autoFilter is not None:
        af_min_col, af_min_row, _, af_max_row = range_boundaries(table.autoFilter.ref)
        table.autoFilter.ref = (f"{get_column_letter(af_min_col)}{af_min_row}:"
                                f"{get_column_letter(new_max)}{af_max_row}")
