"""The "Issues" sheet: every warning (and error) of the run, one row each."""

from __future__ import annotations

from collections.abc import Iterable

from pysnop.errors import Problem
from pysnop.workbook.ooxml.xlcells import (
    AMBER_FILL,
    AMBER_FONT,
    BOLD_FONT,
    FMT_DATE,
    HEADER_BORDER,
    HEADER_FILL,
    NOTE_FONT,
    RED_FILL,
    RED_FONT,
    WRAP,
    StyleBook,
    excel_value,
    put,
    replace_sheet,
    set_width,
)
from pysnop.workbook.render.canvas import Canvas, Renderer
from pysnop.workbook.sheet_names import ISSUES_SHEET

ISSUES_HEADER = ("severity", "where", "column", "value", "message")


def _key(p: Problem) -> tuple:
    return (p.severity, p.sheet, p.row, p.col, p.column, p.reason, repr(p.value))


def merge_problems(*groups: Iterable[Problem]) -> list[Problem]:
    """All problems once each, errors first, otherwise in the order given."""
    seen: set[tuple] = set()
    out: list[Problem] = []
    for group in groups:
        for p in group or ():
            k = _key(p)
            if k not in seen:
                seen.add(k)
                out.append(p)
    return sorted(out, key=lambda p: 0 if p.severity == "error" else 1)


def write_issues_sheet(wb, problems: list[Problem], styles: StyleBook):
    ws = replace_sheet(wb, ISSUES_SHEET)
    head = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER)
    for c, name in enumerate(ISSUES_HEADER, start=1):
        put(ws, 1, c, name, head)
    plain = styles.get()
    wrap = styles.get(alignment=WRAP)
    sev_styles = {"error": styles.get(fill=RED_FILL, font=RED_FONT),
                  "warning": styles.get(fill=AMBER_FILL, font=AMBER_FONT)}
    date_style = styles.get(number_format=FMT_DATE)
    if not problems:
        put(ws, 2, 1, "No issues found", styles.get(font=NOTE_FONT))
        last = 2
    else:
        for j, p in enumerate(problems):
            r = 2 + j
            put(ws, r, 1, p.severity, sev_styles.get(p.severity, plain))
            put(ws, r, 2, p.where or None, plain)
            put(ws, r, 3, p.column, plain)
            value = excel_value(p.value)  # numbers, text, dates as such
            put(ws, r, 4, value, date_style if hasattr(value, "year") else plain)
            put(ws, r, 5, p.reason, wrap)
        last = 1 + len(problems)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:E{max(last, 2)}"
    for letter, width in zip("ABCDE", (10, 22, 18, 18, 80)):
        set_width(ws, letter, width)
    return ws


def issues_renderer(warnings: list[Problem]) -> Renderer:
    """The Issues sheet of a run: its warnings, each once."""
    def render(canvas: Canvas) -> None:
        write_issues_sheet(canvas.wb, merge_problems(warnings), canvas.styles)
    return render
