"""The "Actions" sheet: one decision per risk, its alternatives below it, with the decision
columns a person edits.

Lines come from :func:`pysnop.workbook.render.action_groups.sheet_lines`: a bold band per
risk (what, when, how much, what can fix it, and in ``covers`` whether the approved
alternatives cover it), then its alternatives ranked by net value ("not recommended" for the
ones that lose money), then the rows no longer proposed. Read back by
:mod:`pysnop.workbook.read.actions` (risk lines have no action_id and are skipped).
Status and approver are dropdowns (data validation); Approved rows are green; Exported,
Obsolete and Superseded rows grey (a Superseded alternative can still be approved: its
decision cells stay editable); an approval whose values changed is red (Needs re-approval);
the header is frozen and filtered. Every text cell goes through
:func:`pysnop.workbook.ooxml.xlcells.put`, so text from the workbook (reasons, names,
comments) can never become a formula.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from functools import partial
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pysnop.core.coordination import Coverage
from pysnop.core.decisions import (
    APPROVED,
    EDITABLE_STATUSES,
    EXPORTED,
    NEEDS_REAPPROVAL,
    OBSOLETE,
    PROPOSED,
    REJECTED,
    SUPERSEDED,
)
from pysnop.workbook.ooxml.cell_text import map_distinct
from pysnop.workbook.ooxml.column_patch import ColumnPatch
from pysnop.workbook.ooxml.fastsheet import FastRows, cells_to_fast_rows
from pysnop.workbook.ooxml.transplant import PATCH_PREFIX
from pysnop.workbook.ooxml.xlcells import (
    BOLD_FONT,
    FMT_DATE,
    FMT_MONEY,
    FMT_PCT1,
    FMT_UNITS,
    HEADER_BORDER,
    HEADER_FILL,
    LINE_HEIGHT,
    NOTE_FONT,
    TITLE_FONT,
    WRAP,
    StyleBook,
    as_date,
    excel_value,
    put,
    replace_sheet,
    set_width,
    wrapped_lines,
)
from pysnop.workbook.read.actions import ACTIONS_SHEET, COLUMNS, DATES, HEADER_ROW, TEXT, TIMES
from pysnop.workbook.read.layout import SheetLayout
from pysnop.workbook.render.action_groups import (
    GROUP,
    NOT_RECOMMENDED,
    RISK,
    sheet_lines,
)
from pysnop.workbook.render.canvas import Canvas, Renderer

FIRST_ROW = HEADER_ROW + 1
EDITABLE = ("status", "approver", "comment", "scenario")
NUMBERS = {"qty": FMT_UNITS, "cost": FMT_MONEY, "margin_protected": FMT_MONEY,
           "net_value": FMT_MONEY, "new_lift": FMT_PCT1, "units_protected": FMT_UNITS,
           "rank": "0"}
FMT_TIME = "yyyy-mm-dd hh:mm"
WIDTHS = {"option": 15, "action_id": 14, "type": 20, "owner": 11, "sku": 10, "location": 14,
          "from_location": 13, "campaign_id": 15, "qty": 9, "week": 11, "act_by": 11,
          "cost": 11, "margin_protected": 16, "net_value": 11, "covers": 19, "reason": 70,
          "status": 11, "approver": 14, "decided_at": 16, "comment": 30, "scenario": 9,
          "new_lift": 9, "new_start": 11, "units_protected": 15, "risk_id": 13,
          "exported_at": 16}
GREEN_FILL = PatternFill(fill_type="solid", start_color="FFC6EFCE", end_color="FFC6EFCE")
GREEN_FONT = Font(color="FF006100")
GREY_FONT = Font(color="FF808080")
GREY_ITALIC = Font(color="FF808080", italic=True)
# an approval whose values changed: it waits for a person (docs/semantics.md)
REAPPROVE_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
REAPPROVE_FONT = Font(color="FF9C0006", bold=True)
TOP = Alignment(vertical="top")
TOP_CENTER = Alignment(vertical="top", horizontal="center")
EDIT_FILL = PatternFill(fill_type="solid", start_color="FFFFF2CC", end_color="FFFFF2CC")
RISK_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
GROUP_FILL = PatternFill(fill_type="solid", start_color="FFEDEDED", end_color="FFEDEDED")
RISK_FONT = Font(bold=True, color="FF1F3864")
WARN_FONT = Font(italic=True, color="FF9C0006")  # "not recommended"
STATE_FONTS = {"covered": Font(bold=True, color="FF006100"),
               "partly covered": Font(bold=True, color="FF9C5700"),
               "open": Font(bold=True, color="FF9C0006")}
LOOKS = {APPROVED: (GREEN_FILL, GREEN_FONT), EXPORTED: (None, GREY_FONT),
         OBSOLETE: (None, GREY_FONT), SUPERSEDED: (None, GREY_FONT),
         NEEDS_REAPPROVAL: (REAPPROVE_FILL, REAPPROVE_FONT)}
MAX_LIST = 255  # Excel's limit for an inline dropdown list
SPARE_ROWS = 200  # dropdowns reach this far below the last row, for rows people add
COUNTED = (PROPOSED, APPROVED, REJECTED, SUPERSEDED, NEEDS_REAPPROVAL, EXPORTED, OBSOLETE)


def write_actions_sheet(wb, rows: pd.DataFrame, styles: StyleBook,
                        approver_names: Sequence[str] = (), risks: pd.DataFrame | None = None,
                        cover: pd.DataFrame | Coverage | None = None):
    """The sheet for the Actions ``rows`` (proposals + decision columns), grouped under the
    run's ``risks`` when given; ``cover`` tells which risks the approved rows cover."""
    ws = replace_sheet(wb, ACTIONS_SHEET)
    lines = sheet_lines(rows, risks, cover)
    kinds = lines["line"].tolist() if len(lines) else []
    n = len(lines)
    counts = rows["status"].value_counts().to_dict() if len(rows) else {}
    n_risks = kinds.count(RISK)
    put(ws, 1, 1, f"pysnop actions · {n_risks} risk{'s' if n_risks != 1 else ''} · "
                  f"{len(rows)} alternatives · "
                  + ", ".join(f"{counts.get(s, 0)} {s}" for s in COUNTED
                              if counts.get(s) or s in (PROPOSED, APPROVED)),
        styles.get(font=TITLE_FONT))
    put(ws, 2, 1, "One decision per risk (blue lines): approve the alternative you choose; the "
                  "ones it makes unnecessary become Superseded, and approving more than a risk "
                  "needs is refused. Edit status (Proposed / Approved / Rejected), approver, "
                  "comment and scenario (Y = include in pysnop simulate). Only listed "
                  "approvers of the owner function may decide. An approval binds the values "
                  "shown: a re-run that changes them asks for re-approval (red).",
        styles.get(font=NOTE_FONT))
    head = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER)
    for c, name in enumerate(COLUMNS, start=1):
        put(ws, HEADER_ROW, c, name, head)

    statuses = [st if isinstance(st, str) else "" for st in
                (lines["status"].tolist() if n and "status" in lines else [""] * n)]
    options = lines["option"].tolist() if n and "option" in lines else [None] * n
    covers = lines["covers"].tolist() if n and "covers" in lines else [None] * n
    cache: dict = {}

    def style(name, kind, status, option, cover):
        if kind == RISK:
            key = (name, kind, cover if name == "covers" else None)
        else:
            key = (name, kind, status, name == "option" and option == NOT_RECOMMENDED)
        if key not in cache:
            cache[key] = _style(styles, name, kind, status, option, cover)
        return cache[key]

    # each line's (kind, status): the style of most cells depends on nothing else
    lines_key = _codes(np.array(kinds, dtype=object), np.array(statuses, dtype=object))
    not_recommended = np.array(options, dtype=object) == NOT_RECOMMENDED
    risk_cover = np.array(covers, dtype=object)
    risk_cover[np.array(kinds, dtype=object) != RISK] = None  # only a risk line's counts

    # the distinct keys of the lines: one sort for every column but option and covers
    shared = np.unique(lines_key, return_index=True, return_inverse=True) if n else None

    def column_styles(name):
        """style() of every line, as (codes, palette): looked up once per distinct key,
        from the key's first line (the option and covers cells also depend on the option
        and the risk's cover)."""
        if name in ("option", "covers"):
            key = _codes(lines_key, not_recommended if name == "option" else risk_cover)
            _, first, codes = np.unique(key, return_index=True, return_inverse=True)
        else:
            _, first, codes = shared
        return codes.reshape(-1), [style(name, kinds[i], statuses[i], options[i], covers[i])
                                   for i in first.tolist()]

    # the approvers' dropdown: a list typed into the validation while it fits Excel's 255
    # characters, else a range of names in a hidden column right of the table
    names = [x for x in approver_names if x and '"' not in x]
    inline = all("," not in x for x in names) and len(",".join(names)) <= MAX_LIST
    listed = names if names and not inline else []
    height = max(n, len(listed))

    # bulk rows, column by column (thousands of proposals on a big workbook)
    pad = [None] * (height - n)
    block: list[tuple[int, str, Any, Any]] = []
    for c, name in enumerate(COLUMNS, start=1):
        values = _column_values(name, lines[name]) if name in lines.columns else [None] * n
        codes, palette = column_styles(name) if n else (np.zeros(0, dtype=np.intp), [])
        codes = np.concatenate([codes, np.full(height - n, len(palette), dtype=np.intp)])
        block.append((c, _kind(values), values + pad, (codes, [*palette, None])))
    list_col = len(COLUMNS) + 2
    if listed:
        put(ws, HEADER_ROW, list_col, "approvers", head)
        plain = styles.get()
        block.append((list_col, "text", listed + [None] * (height - len(listed)),
                      [plain] * len(listed) + [None] * (height - len(listed))))
        ws.column_dimensions[get_column_letter(list_col)].hidden = True
    FastRows(ws, styles).add_columns(FIRST_ROW, height, block,
                                     _row_heights(lines, height))

    last = FIRST_ROW + max(n, 1) - 1
    ws.freeze_panes = f"C{FIRST_ROW}"  # the option and the action_id stay in view
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{last}"
    reach = last + SPARE_ROWS
    _dropdown(ws, "status", list(EDITABLE_STATUSES), reach, strict=True)
    _dropdown(ws, "scenario", ["Y"], reach, strict=True)
    if names and inline:
        _dropdown(ws, "approver", names, reach, strict=False)
    elif listed:
        letter = get_column_letter(list_col)
        _dropdown(ws, "approver", names, reach, strict=False,
                  source=f"{ws.title}!${letter}${FIRST_ROW}:${letter}"
                         f"${FIRST_ROW + len(listed) - 1}")
    for c, name in enumerate(COLUMNS, start=1):
        width = WIDTHS.get(name, 10)
        if name in CODES and name in rows.columns:  # long codes are shown whole
            codes = rows[name].dropna().astype(str)
            longest = int(codes.str.len().max()) if len(codes) else 0
            width = max(width, min(longest + 2, MAX_CODE_WIDTH))
        set_width(ws, get_column_letter(c), width)
    return ws


WRAPPED = ("reason", "comment")  # the columns whose text wraps
CODES = ("sku", "location", "from_location", "campaign_id", "alt_sku", "po_id")
MAX_CODE_WIDTH = 30


def _row_heights(lines: pd.DataFrame, height: int) -> list[float | None]:
    """Each row tall enough for its wrapped reason and comment (None: one line); a group
    line stays one line. A text's lines as :func:`wrapped_lines` counts them, from the
    lengths of all texts at once (a text with a line break of its own, rare, through it)."""
    n = len(lines)
    tallest = np.zeros(height)  # points; 0: one line
    kinds = lines["line"].to_numpy(dtype=object) if "line" in lines else None
    for name in WRAPPED:
        if name not in lines.columns:
            continue
        texts = lines[name].tolist()
        wrapped = np.fromiter(map(isinstance, texts, repeat(str)), dtype=bool, count=n)
        if kinds is not None:
            wrapped &= kinds != GROUP
        where = np.flatnonzero(wrapped)
        shown = [texts[i] for i in where.tolist()]
        lengths = np.fromiter(map(len, shown), dtype=np.int64, count=len(shown))
        per_line = max(int(WIDTHS[name]) - 2, 1)
        count = np.maximum(1, -(-lengths // per_line))
        broken = np.flatnonzero(np.fromiter(map(str.__contains__, shown, repeat("\n")),
                                            dtype=bool, count=len(shown)))
        for j in broken.tolist():
            count[j] = wrapped_lines(shown[j], WIDTHS[name])
        tall = (count > 1) & (lengths > 0)
        rows = where[tall]
        tallest[rows] = np.maximum(tallest[rows], LINE_HEIGHT * count[tall])
    return [h or None for h in tallest.tolist()]


def _style(styles: StyleBook, name: str, kind: str, status: str, option, cover):
    fmt = NUMBERS.get(name) or (FMT_DATE if name in DATES else
                                FMT_TIME if name in TIMES else None)
    if kind == RISK:  # the headline runs over the blank cells to its right; what can fix
        # the risk wraps in the reason column, like an alternative's reason
        font = STATE_FONTS.get(cover, RISK_FONT) if name == "covers" else RISK_FONT
        align = WRAP if name in WRAPPED else TOP_CENTER if name == "covers" else TOP
        return styles.get(fill=RISK_FILL, font=font, number_format=fmt, alignment=align)
    if kind == GROUP:
        return styles.get(fill=GROUP_FILL, font=GREY_ITALIC)
    fill, font = LOOKS.get(status, (None, None))
    if fill is None and name in EDITABLE and status not in (EXPORTED, OBSOLETE):
        fill = EDIT_FILL
    if name == "option" and option == NOT_RECOMMENDED and status != SUPERSEDED:
        font = WARN_FONT
    # top-aligned like the wrapped reason beside them, so a tall row reads across
    align = WRAP if name in WRAPPED else TOP_CENTER if name == "covers" else TOP
    return styles.get(fill=fill, font=font, number_format=fmt, alignment=align)


def _codes(*keys: np.ndarray) -> np.ndarray:
    """One integer per position telling apart the distinct combinations of ``keys``
    (None and NaN one value)."""
    out = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:
        codes, uniques = pd.factorize(key, use_na_sentinel=False)
        out = out * len(uniques) + codes
    return out


def _kind(values) -> str:
    """How a column's cells are written: numbers, dates, or (anything else) text, the
    cells' types looked at once per distinct type."""
    present = set(map(type, values)) - {type(None)}
    if all(issubclass(t, (int, float)) and not issubclass(t, bool) for t in present):
        return "number"
    if all(issubclass(t, dt.date) for t in present):
        return "date"
    if not all(issubclass(t, str) for t in present):
        for i, v in enumerate(values):
            if v is not None and not isinstance(v, str):
                values[i] = str(v)
    return "text"


MAX_ERROR = 225  # Excel's limit for a validation's error message


def _dropdown(ws, name, values, reach, *, strict, source: str | None = None):
    """A dropdown on column ``name``: the ``values`` typed in, or the range ``source``."""
    letter = get_column_letter(COLUMNS.index(name) + 1)
    formula = source or '"' + ",".join(values) + '"'
    dv = DataValidation(type="list", formula1=formula, allow_blank=True,
                        showErrorMessage=strict, errorStyle="stop" if strict else "warning")
    error = f"Choose one of: {', '.join(values)}"
    dv.error = error if len(error) <= MAX_ERROR else f"Choose a name from the list of {name}s"
    dv.errorTitle = f"pysnop {name}"
    ws.add_data_validation(dv)
    dv.add(f"{letter}{FIRST_ROW}:{letter}{reach}")


def _column_values(name: str, column: pd.Series) -> list:
    """The cell values of a column of lines: as :func:`_cell_values`, a date column of
    datetimes converted whole."""
    if name in DATES and pd.api.types.is_datetime64_any_dtype(column):
        wall = column.dt.tz_localize(None) if column.dt.tz is not None else column
        days = np.array(wall.dt.date, dtype=object)  # a copy: pandas' may be read-only
        days[wall.isna().to_numpy()] = None  # NaT: blank
        return days.tolist()
    if (name not in TEXT and name not in DATES and name not in TIMES
            and pd.api.types.is_float_dtype(column)):
        numbers = column.to_numpy(dtype=float)
        finite = np.isfinite(numbers)
        if finite.all():
            return numbers.tolist()
        out = np.full(len(numbers), None, dtype=object)
        out[finite] = numbers[finite]
        return out.tolist()
    if (name not in DATES and name not in TIMES
            and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")):
        # text and blanks (None, NaN, NA): the text as it is, the blanks None
        values = column.to_numpy(dtype=object, copy=True)
        values[column.isna().to_numpy()] = None
        return values.tolist()
    return _cell_values(name, column.tolist())


def _cell_values(name, raw) -> list:
    """:func:`_cell_value` of a column: text and finite floats as they are (what
    ``_cell_value`` returns for them outside the date and time columns), the rest through
    it."""
    if name in DATES or name in TIMES:  # a few distinct weeks and times
        return map_distinct(partial(_cell_value, name), raw)
    text = name in TEXT
    out = []
    for v in raw:
        kind = type(v)
        if v is None or kind is str:
            out.append(v)
        elif kind is float and math.isfinite(v):
            out.append(str(v) if text else v)
        else:
            out.append(_cell_value(name, v))
    return out


def _cell_value(name, value):
    value = excel_value(value)
    if value is None:
        return None
    if name in TEXT:
        return value if isinstance(value, str) else str(value)
    if name in DATES:
        return as_date(value)
    if name in TIMES:
        if isinstance(value, dt.datetime):
            return value.replace(microsecond=0, tzinfo=None)
        return value
    return value


CAMPAIGN_HEADER = "Supply: actions"


def write_campaign_actions(canvas: Canvas, layout: SheetLayout, campaigns: pd.DataFrame,
                           rows: pd.DataFrame) -> None:
    """The "Supply: actions" column on marketing's Campaigns sheet: for each campaign row, the
    marketing-side proposals for it (id, type, status), so marketing sees what supply needs.

    A column patch (see pysnop.workbook.ooxml.column_patch) placed after the other
    "Supply: " columns (reused where it already is): marketing's own cells are never
    touched and an Excel table is extended over it.
    """
    header_row = int(layout.header_row)
    ws = canvas.wb.create_sheet(PATCH_PREFIX + layout.name)
    put(ws, header_row, 1, CAMPAIGN_HEADER, None)
    links: dict[tuple, list[str]] = {}
    live = rows[(rows["owner"] == "Marketing")
                & ~rows["status"].isin((OBSOLETE, REJECTED, SUPERSEDED))]
    for rec in live.to_dict("records"):
        links.setdefault((rec.get("campaign_id"), rec.get("sku")), []).append(
            f"{rec['action_id']} {rec['type']} ({rec['status']})")
    plain = canvas.styles.get()
    for rec in campaigns.to_dict("records"):
        found = links.get((rec.get("campaign_id"), rec.get("sku")))
        row = excel_value(rec.get("row"))
        if found and isinstance(row, (int, float)) and row > header_row:
            put(ws, int(row), 1, "; ".join(found), plain)
    cells_to_fast_rows(ws, canvas.styles)
    canvas.patches.append(ColumnPatch(
        sheet=layout.name, scratch=ws.title, header_row=header_row,
        headers=[CAMPAIGN_HEADER], widths={CAMPAIGN_HEADER: 40},
        table=getattr(layout, "table", None),
        header_style_from=(header_row, int(layout.last_col)),
        data_last_row=int(layout.last_row)))


def actions_renderer(rows: pd.DataFrame, approver_names: list[str],
                     risks: pd.DataFrame | None = None,
                     cover: pd.DataFrame | Coverage | None = None) -> Renderer:
    """The Actions sheet, as a renderer (see :mod:`.canvas`)."""
    def render(canvas: Canvas) -> None:
        write_actions_sheet(canvas.wb, rows, canvas.styles, approver_names, risks, cover)
    return render


def campaign_actions_renderer(layout: SheetLayout, campaigns: pd.DataFrame,
                              rows: pd.DataFrame) -> Renderer:
    """The "Supply: actions" column of Campaigns, as a renderer."""
    def render(canvas: Canvas) -> None:
        write_campaign_actions(canvas, layout, campaigns, rows)
    return render
