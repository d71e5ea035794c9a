"""Bulk rows written column by column (ooxml/fastsheet.py), read back with openpyxl: each
cell's text, style and formula guard as given, whatever repeats between cells."""

from __future__ import annotations

import io

import openpyxl
from openpyxl.styles import Font, PatternFill

from pysnop.workbook.ooxml.fastsheet import FastRows, save_workbook
from pysnop.workbook.ooxml.xlcells import StyleBook

GREEN = PatternFill(fill_type="solid", start_color="FFC6EFCE", end_color="FFC6EFCE")
GREY = Font(color="FF808080")


def _read_back(columns, n, heights=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    styles = StyleBook(wb)
    FastRows(ws, styles).add_columns(2, n, columns(styles), heights)
    buffer = io.BytesIO()
    save_workbook(wb, buffer)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active


def test_repeated_text_keeps_each_cells_style_and_formula_guard():
    def columns(styles):
        green, grey = styles.get(fill=GREEN), styles.get(font=GREY)
        # the same texts under two styles, a risky one ("=1+1" would be a formula), a
        # blank with a style (written empty) and a blank without (not written)
        return [(1, "text", ["Proposed", "Proposed", "=1+1", "=1+1", None, None],
                 [green, grey, green, grey, green, None]),
                (2, "number", [1.5, 1.5, None, 2.0, float("nan"), 3.0], grey)]
    ws = _read_back(columns, 6, [None, 30.0, None, None, None, None])
    assert (7, 1) not in ws._cells and (6, 1) in ws._cells  # no value, no style: no cell
    a = [ws.cell(row=r, column=1) for r in range(2, 8)]
    assert [c.value for c in a] == ["Proposed", "Proposed", "=1+1", "=1+1", None, None]
    assert all(c.data_type == "s" for c in a[:4])  # text stays text, never a formula
    assert [c.fill.fgColor.rgb for c in a[:5]] == ["FFC6EFCE", "00000000", "FFC6EFCE",
                                                   "00000000", "FFC6EFCE"]
    assert [c.font.color is not None and c.font.color.rgb == "FF808080" for c in a[:4]] == \
        [False, True, False, True]
    # the quote prefix only on the risky texts, on top of their own style
    assert [c.quotePrefix for c in a[:5]] == [False, False, True, True, False]
    assert [ws.cell(row=r, column=2).value for r in range(2, 8)] == \
        [1.5, 1.5, None, 2.0, None, 3.0]
    assert ws.row_dimensions[3].height == 30.0
