"""A sheet's openpyxl cells written as fast rows (fastsheet.cells_to_fast_rows) against the
same cells written by openpyxl's own writer: the worksheet part is the same XML, each cell's
style the same format, whatever the cells hold (the reference is openpyxl, not pysnop)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl.styles import Alignment, Font, PatternFill

from pysnop.workbook.ooxml.cell_blocks import CellBlock
from pysnop.workbook.ooxml.fastsheet import cells_to_fast_rows, save_workbook
from pysnop.workbook.ooxml.xlcells import StyleBook, put

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _sheet(build, fast: bool) -> tuple[bytes, list[bytes], bool]:
    """The worksheet part (canonical, each ``s`` replaced by the format it names) of a
    workbook ``build`` draws on, written with or without cells_to_fast_rows. ``build`` may
    return blocks of cells (CellBlock): given to cells_to_fast_rows, or else each of their
    cells put one by one for openpyxl's writer (the reference)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    styles = StyleBook(wb)
    blocks = build(ws, styles) or []
    if not fast:
        for block in blocks:
            for col, values, (codes, palette) in block.columns:
                for i, value in enumerate(values):
                    put(ws, block.first_row + i, col, value, palette[codes[i]])
            for i, height in enumerate(block.heights or []):
                if height is not None:
                    ws.row_dimensions[block.first_row + i].height = height
    moved = cells_to_fast_rows(ws, styles, blocks) if fast else False
    buffer = io.BytesIO()
    save_workbook(wb, buffer)
    with zipfile.ZipFile(buffer) as z:
        sheet = etree.fromstring(z.read("xl/worksheets/sheet1.xml"))
        book_styles = etree.fromstring(z.read("xl/styles.xml"))
    xfs = [etree.tostring(xf, method="c14n") for xf in book_styles.find(MAIN + "cellXfs")]
    tables = {t: [etree.tostring(x, method="c14n") for x in book_styles.find(MAIN + t)]
              for t in ("fonts", "fills")}
    resolved = []
    for xf in book_styles.find(MAIN + "cellXfs"):
        resolved.append(etree.tostring(xf, method="c14n")
                        + tables["fonts"][int(xf.get("fontId", 0))]
                        + tables["fills"][int(xf.get("fillId", 0))])
    for c in sheet.iter(MAIN + "c"):
        if c.get("s") is not None:
            c.set("s", resolved[int(c.get("s"))].decode())
    assert len(xfs) == len(resolved)
    return etree.tostring(sheet, method="c14n"), xfs, moved


def test_a_review_like_sheet_is_the_xml_openpyxl_writes():
    def build(ws, styles):
        bold = styles.get(font=Font(bold=True))
        wrap = styles.get(alignment=Alignment(wrap_text=True, vertical="top"))
        money = styles.get(number_format="#,##0.00")
        put(ws, 1, 1, "pysnop weekly review · as of 2026-11-18", bold)
        put(ws, 3, 1, "  padded  ", wrap)           # kept spaces: xml:space
        put(ws, 3, 2, "a < b & c > d", wrap)        # escaped
        put(ws, 3, 3, "=SUM(A1)", wrap)             # text, never a formula: quote prefix
        put(ws, 3, 4, 0.1 + 0.2, money)             # %.16g, as openpyxl writes numbers
        put(ws, 3, 5, 30.0, money)
        put(ws, 3, 6, 7, None)
        put(ws, 4, 1, None, wrap)                   # a styled blank
        put(ws, 4, 2, None, None)                   # neither value nor style: not written
        put(ws, 4, 3, True, bold)
        put(ws, 4, 4, dt.date(2026, 11, 23), styles.get(number_format="yyyy-mm-dd"))
        put(ws, 4, 5, dt.datetime(2026, 11, 23, 6, 30), None)
        ws.row_dimensions[3].height = 45.0
        ws.row_dimensions[6].height = 30.0          # a row with a height and no cells
    reference, ref_xfs, _ = _sheet(build, fast=False)
    fast, fast_xfs, moved = _sheet(build, fast=True)
    assert moved
    assert fast == reference
    assert sorted(fast_xfs) == sorted(ref_xfs)  # the same formats, whatever their order


def test_a_formula_is_left_to_openpyxl():
    def formula(ws, styles):
        put(ws, 1, 1, "title", None)
        ws.cell(row=2, column=1, value="=1+1")  # a real formula: only openpyxl writes it
    assert not _sheet(formula, fast=True)[2]


def test_a_patch_sheet_starting_below_a1_keeps_its_dimension():
    def patch(ws, styles):  # a column patch: its header row is the user's (row 3 here)
        put(ws, 3, 2, "Supply: status", None)
        put(ws, 5, 2, "AT RISK", styles.get(font=Font(bold=True)))
        put(ws, 5, 3, 12.5, None)
    reference, _, _ = _sheet(patch, fast=False)
    fast, _, moved = _sheet(patch, fast=True)
    assert moved and fast == reference
    assert b'<dimension ref="B3:C5"' in fast


_values = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False, width=64),
                    st.text(st.characters(codec="utf-8"), max_size=12),
                    st.dates(dt.date(1950, 1, 1), dt.date(2100, 1, 1)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 5), _values, st.integers(0, 2)),
                min_size=1, max_size=25),
       st.lists(st.integers(1, 8), max_size=3))
def test_any_cells_are_the_xml_openpyxl_writes(cells, tall):
    def build(ws, styles):
        palette = [None, styles.get(font=Font(italic=True)),
                   styles.get(fill=PatternFill("solid", start_color="FFDDEBF7"))]
        for row, col, value, style in cells:
            put(ws, row, col, value, palette[style])
        for row in tall:
            ws.row_dimensions[row].height = 15.0 * row
    reference, ref_xfs, _ = _sheet(build, fast=False)
    fast, fast_xfs, moved = _sheet(build, fast=True)
    assert moved
    assert fast == reference
    assert sorted(fast_xfs) == sorted(ref_xfs)


_block_values = st.one_of(st.none(), st.integers(-10**6, 10**6),
                          st.floats(allow_infinity=False, width=64),
                          st.sampled_from(["", "=SUM(A1)", "-3", " padded ", "a < b & c",
                                           "two\nlines", "r\rn", "same"]),
                          st.text(st.characters(codec="utf-8"), max_size=8))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 3), st.integers(0, 4),
       st.lists(st.lists(st.tuples(_block_values, st.integers(0, 2)), min_size=4, max_size=4),
                min_size=1, max_size=3),
       st.lists(st.sampled_from([None, 30.0, 45.0]), min_size=4, max_size=4),
       st.booleans())
def test_cells_given_by_column_are_the_xml_openpyxl_writes(above, n, columns, heights,
                                                           below):
    """Rows of cells given column by column (a Review section) between cells put one by
    one: the XML openpyxl writes for all of them put one by one."""
    def build(ws, styles):
        palette = [None, styles.get(font=Font(italic=True)),
                   styles.get(number_format="#,##0.00",
                              alignment=Alignment(wrap_text=True, vertical="top"))]
        for r in range(1, above + 1):
            put(ws, r, 1, f"title {r}", palette[1])
        block_columns = []
        for c, cells in enumerate(columns, start=2):
            values = [v for v, _ in cells[:n]]
            codes = [k for _, k in cells[:n]]
            block_columns.append((c, values, (codes, palette)))
        if below:
            put(ws, above + n + 2, 1, "... and more", palette[1])
            ws.row_dimensions[above + n + 3].height = 20.0
        return [CellBlock(above + 1, n, block_columns, heights[:n])]
    reference, ref_xfs, _ = _sheet(build, fast=False)
    fast, fast_xfs, moved = _sheet(build, fast=True)
    assert moved == (above > 0 or n > 0 or below)
    assert fast == reference
    assert sorted(fast_xfs) == sorted(ref_xfs)


def test_cells_given_by_column_on_a_row_of_put_cells_are_put_one_by_one():
    """A block over a row that already has a put cell is refused as fast rows: its cells
    are put (openpyxl writes them all, nothing lost)."""
    def build(ws, styles):
        put(ws, 2, 1, "put", None)
        return [CellBlock(2, 1, [(2, ["given"], ([0], [None]))])]
    reference, _, _ = _sheet(build, fast=False)
    fast, _, moved = _sheet(build, fast=True)
    assert not moved
    assert fast == reference


def test_a_failed_save_closes_its_zip(monkeypatch):
    """A save that raises leaves no zip open over the caller's file object (else it closes
    itself when collected, after the caller closed the file: an unraisable error)."""
    import gc

    from openpyxl.writer.excel import ExcelWriter

    opened: list[zipfile.ZipFile] = []
    real_init = zipfile.ZipFile.__init__

    def spy(self, *a, **k):
        real_init(self, *a, **k)
        opened.append(self)

    def broken(self):
        raise RuntimeError("disk went away")

    monkeypatch.setattr(zipfile.ZipFile, "__init__", spy)
    monkeypatch.setattr(ExcelWriter, "write_data", broken)
    buffer = io.BytesIO()
    try:
        save_workbook(openpyxl.Workbook(), buffer)
    except RuntimeError:
        pass
    buffer.close()
    gc.collect()
    assert opened and all(z.fp is None for z in opened)
