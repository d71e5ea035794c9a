"""Bulk rows written column by column (ooxml/fastsheet.py), read back with openpyxl: each
cell's text, style and formula guard as given, whatever repeats between cells."""

from __future__ import annotations

import datetime as dt
import io
import math

import numpy as np
import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles import Font, PatternFill

from pysnop.workbook.ooxml import fastsheet
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


# the column-wise renderer against the row-wise one (add_row, a cell at a time): the same
# XML for any mix of texts (risky, padded, escaped, with control characters), numbers (ints,
# floats, NaN, inf, blanks), dates and per-cell styles
TEXTS = st.one_of(st.none(), st.sampled_from(
    ["Proposed", "=1+1", " padded ", "a<b & c>d", "bell\x07", "-3", "@x", "", "ünï"]),
    st.text(max_size=6))
NUMBERS = st.one_of(st.none(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True))
DATES = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)),
                  st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2100, 1, 1)))
STYLE = st.sampled_from([0, 1, 2, None])  # index into the palette below; None: no style


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(1, 12))
def test_columns_render_as_the_rows_do(data, n):
    kinds = data.draw(st.lists(st.sampled_from(["text", "number", "date"]), min_size=1,
                               max_size=5))
    wb = openpyxl.Workbook()
    styles = StyleBook(wb)
    palette = [styles.get(), styles.get(fill=GREEN), styles.get(font=GREY)]
    columns = []
    for c, kind in enumerate(kinds, start=1):
        values = data.draw(st.lists({"text": TEXTS, "number": NUMBERS, "date": DATES}[kind],
                                    min_size=n, max_size=n))
        how = data.draw(st.sampled_from(["one", "each", "codes"]))
        picks = data.draw(st.lists(STYLE, min_size=n, max_size=n))
        if how == "one":
            cell_styles = [palette[0]] * n
            given_styles = palette[0]
        elif how == "each":
            cell_styles = [None if p is None else palette[p] for p in picks]
            given_styles = cell_styles
        else:
            cell_styles = [None if p is None else palette[p] for p in picks]
            given_styles = (np.array([3 if p is None else p for p in picks]), [*palette, None])
        given_values = values
        if kind == "number" and all(v is None or isinstance(v, float) for v in values) \
                and data.draw(st.booleans()):  # a float array, NaN for the blanks
            given_values = np.array([np.nan if v is None else v for v in values])
        columns.append((c, kind, values, cell_styles, given_styles, given_values))

    rows = FastRows(wb.create_sheet("rows"), styles)
    for i in range(n):
        cells = []
        for c, kind, values, cell_styles, _, _ in columns:
            v, style = values[i], cell_styles[i]
            blank = v is None or (kind == "number" and not math.isfinite(v))
            if not (blank and style is None):  # no value, no style: no cell
                cells.append((c, v, style))
        rows.add_row(2 + i, cells)
    cols = FastRows(wb.create_sheet("columns"), styles)
    block = fastsheet.BLOCK_ROWS
    fastsheet.BLOCK_ROWS = data.draw(st.integers(1, 13))  # rows joined a block at a time
    try:
        cols.add_columns(2, n, [(c, kind, given_values, given)
                                for c, kind, _, _, given, given_values in columns])
    finally:
        fastsheet.BLOCK_ROWS = block
    assert "".join(cols.parts) == "".join(rows.parts)


def test_values_equal_to_a_dict_but_written_apart():
    # True == 1 == 1.0 and 0.0 == -0.0 as dict keys; the column writer renders each distinct
    # value once, and must not merge them (a review found "True" written for a 1): a text
    # column writes each cell's own text, a number column each cell as add_row does
    wb = openpyxl.Workbook()
    styles = StyleBook(wb)
    style = styles.get()

    def columns(kind, values):
        fast = FastRows(wb.create_sheet(), styles)
        fast.add_columns(2, len(values), [(1, kind, values, style)])
        return "".join(fast.parts)

    mixed = [True, 1, 1.0, "1", True]
    assert columns("text", mixed) == columns("text", ["True", "1", "1.0", "1", "True"])
    numbers = [0.0, 1, 1.0, 2.5, 1]
    rows = FastRows(wb.create_sheet(), styles)
    for i, v in enumerate(numbers):
        rows.add_row(2 + i, [(1, v, style)])
    assert columns("number", numbers) == "".join(rows.parts)


def test_a_carriage_return_is_read_back_as_written():
    """XML reads a raw CR as a line feed; the column writer and the row writer write it as a
    character reference, so "a\\r\\nb" (a cell edited on Windows) reads back as it was."""
    texts = ["a\r\nb", "c\rd", "plain"]

    def columns(styles):
        return [(1, "text", texts, None)]
    ws = _read_back(columns, 3)
    assert [ws.cell(row=r, column=1).value for r in range(2, 5)] == texts
    wb = openpyxl.Workbook()
    rows = FastRows(wb.active, StyleBook(wb))
    for r, text in enumerate(texts, start=2):
        rows.add_row(r, [(1, text, None)])
    buffer = io.BytesIO()
    save_workbook(wb, buffer)
    back = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert [back.cell(row=r, column=1).value for r in range(2, 5)] == texts


def test_styles_are_registered_in_order_of_first_use_not_of_memory_address():
    """One style object per cell: each distinct style gets its number in the order the
    cells first use it, so two runs of the same book write the same styles.xml (ids, the
    order they were numbered by before, are memory addresses and differ between runs)."""
    wb = openpyxl.Workbook()
    styles = StyleBook(wb)
    made = [styles.get(font=Font(color=f"FF00000{i}")) for i in range(4)]
    low, a, b, high = sorted(made, key=id)  # whatever the allocator did: by address
    used = [high, low, high, b, a, low]     # first used: high, low, b, a
    before = len(wb._cell_styles)
    FastRows(wb.active, styles).add_columns(1, len(used), [(1, "number", [1] * 6, used)])
    numbered = list(wb._cell_styles)[before:]
    assert numbered == [high, low, b, a]
