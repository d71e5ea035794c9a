"""The supply-check columns pysnop appends to marketing's Campaigns sheet.

Marketing's own cells are never written. The columns are rendered here by header, one per
column of a scratch sheet; where they land in marketing's sheet — where pysnop's columns
were on the last run, else right of the last used column, never over anyone's content — is
decided when the patch is merged (:mod:`pysnop.workbook.ooxml.column_patch`), which also
extends an Excel table over them so that it stays one table.
"""

from __future__ import annotations

from pysnop.workbook.ooxml.column_patch import ColumnPatch
from pysnop.workbook.ooxml.fastsheet import cells_to_fast_rows
from pysnop.workbook.ooxml.transplant import PATCH_PREFIX
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
    ("Supply: learned from", "learned_from", None, 62),  # "past campaign: realised …"
    ("Supply: wasted spend", "wasted_spend", FMT_MONEY, 20),
    ("Supply: note", "note", None, 40),
)


def write_campaign_columns(canvas: Canvas, layout, check) -> None:
    """Render ``check`` (BridgeResult.campaign_check) as a patch of marketing's sheet.

    Column j of the scratch sheet holds the j-th of :data:`SUPPLY_COLUMNS`, each value at
    its campaign's row; the writer places the columns in the user's Campaigns sheet.
    """
    if check is None or len(check) == 0:
        return
    header_row = int(layout.header_row)
    ws = canvas.wb.create_sheet(PATCH_PREFIX + layout.name)
    styles = canvas.styles
    cols = {header: j for j, (header, *_) in enumerate(SUPPLY_COLUMNS, 1)}
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
    cells_to_fast_rows(ws, styles)  # thousands of cells on a big plan

    canvas.patches.append(ColumnPatch(
        sheet=layout.name, scratch=ws.title, header_row=header_row,
        headers=[header for header, *_ in SUPPLY_COLUMNS],
        widths={h: w for h, _, _, w in SUPPLY_COLUMNS},
        table=getattr(layout, "table", None),
        header_style_from=(header_row, int(layout.last_col)),
        data_last_row=int(layout.last_row)))
