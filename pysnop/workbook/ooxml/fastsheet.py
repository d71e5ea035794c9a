"""Fast bulk rows for the big sheets pysnop owns, and the save routine that writes them.

openpyxl builds one ``Cell`` object per cell and serialises each through ElementTree,
which costs ~20 µs a cell: 3-4 s for a 10,000 x 18 Bridge. For pysnop's own bulk rows we
skip both steps: rows are rendered straight to SpreadsheetML text (inline strings, numbers,
date serials, style ids registered in the workbook's own style table) and streamed into the
worksheet part when the workbook is saved with :func:`save_workbook`. Everything else in
the workbook goes through openpyxl's normal writer unchanged.

Only use for rows *below* every ordinary openpyxl cell of the sheet (sheetData must be in
row order); the sheet's openpyxl ``max_row`` does not see these rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Sequence
from io import BytesIO
from itertools import repeat
from typing import Any

import numpy as np
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.datetime import to_excel

from pysnop.workbook.ooxml.cell_blocks import CellBlock, block_text, blocks_fit, put_blocks
from pysnop.workbook.ooxml.cell_text import (
    CR,
    CR_REF,
    escape,
    factorize,
    float_texts,
    inline_bodies,
    is_none,
    join_rows,
    map_distinct,
    row_tails,
    where,
)
from pysnop.workbook.ooxml.xlcells import RISKY_PREFIXES, clean_text, clean_texts, is_risky

ATTR = "_pysnop_fast_rows"
# a comment only pysnop writes (cell text is escaped, so none can look like it)
FAST_ROWS_MARK = "pysnop-fast-rows"
FAST_ROWS_BYTES = f"<!--{FAST_ROWS_MARK}-->".encode("ascii")
_QUOTE = {'"': "&quot;"}
BLOCK_ROWS = 20_000  # rows of bulk cells joined into one string at a time


class FastRows:
    """Pre-rendered ``<row>`` elements of one worksheet."""

    def __init__(self, ws, styles):
        self.ws = ws
        self.wb = ws.parent
        self.styles = styles  # StyleBook, for quote-prefixed variants
        self._sid: dict[int, int] = {}
        self._qsid: dict[int, int] = {}
        self._style_of: dict[int, Any] = {}  # a style id -> a style it was registered for
        self._keep: list[Any] = []
        self._letters: dict[int, str] = {}
        self._dates: dict[dt.date, str] = {}
        self.parts: list[str] = []
        self.min_row = 0
        self.max_row = 0
        self.max_col = 0
        self.first_cell = ""  # the sheet's top-left cell when its cells all became fast rows
        setattr(ws, ATTR, self)

    def _style_id(self, style) -> int:
        key = id(style)
        sid = self._sid.get(key)
        if sid is None:
            sid = self.wb._cell_styles.add(style) if style is not None else 0
            self._sid[key] = sid
            self._keep.append(style)
            self._style_of.setdefault(sid, style)
        return sid

    def _quoted_id(self, style) -> int:
        key = id(style)
        sid = self._qsid.get(key)
        if sid is None:
            sid = self._style_id(self.styles.quoted(style))
            self._qsid[key] = sid
        return sid

    def _letter(self, col: int) -> str:
        letter = self._letters.get(col)
        if letter is None:
            letter = self._letters[col] = get_column_letter(col)
            if col > self.max_col:
                self.max_col = col
        return letter

    def _date_serial(self, value: dt.date) -> str:
        text = self._dates.get(value)
        if text is None:
            serial = to_excel(value, self.wb.epoch)
            text = self._dates[value] = repr(serial)
        return text

    def add_row(self, row: int, cells: list[tuple[int, Any, Any]]) -> None:
        """Render one row: ``cells`` = (column, value, StyleArray template) in column order.

        Values: None (styled empty cell), str (always text, never a formula), bool, int,
        float (NaN/inf -> empty), date/datetime (date serial).
        """
        if row <= self.max_row:
            raise ValueError("fast rows must be added in increasing row order")
        if not self.min_row:
            self.min_row = row
        self.max_row = row
        out = [f'<row r="{row}">']
        append = out.append
        for col, value, style in cells:
            ref = f"{self._letter(col)}{row}"
            if isinstance(value, str):
                text = clean_text(value)
                sid = self._quoted_id(style) if is_risky(text) else self._style_id(style)
                space = ' xml:space="preserve"' if text != text.strip() else ""
                append(f'<c r="{ref}" s="{sid}" t="inlineStr"><is><t{space}>'
                       f'{escape(text).replace(CR, CR_REF)}</t></is></c>')
                continue
            sid = self._style_id(style)
            if value is None:
                append(f'<c r="{ref}" s="{sid}"/>')
            elif isinstance(value, bool):
                append(f'<c r="{ref}" s="{sid}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, float):
                if math.isfinite(value):
                    append(f'<c r="{ref}" s="{sid}" t="n"><v>{value!r}</v></c>')
                else:
                    append(f'<c r="{ref}" s="{sid}"/>')
            elif isinstance(value, int):
                append(f'<c r="{ref}" s="{sid}" t="n"><v>{value}</v></c>')
            elif isinstance(value, dt.date):
                append(f'<c r="{ref}" s="{sid}" t="n"><v>{self._date_serial(value)}</v></c>')
            else:
                raise TypeError(f"cannot write {type(value).__name__} as a fast cell")
        append("</row>")
        self.parts.append("".join(out))


    def add_columns(self, first_row: int, n: int, columns,
                    heights: list[float | None] | None = None) -> None:
        """Render ``n`` rows at once from whole columns (a 100,000-row Bridge in well under 1 s).

        ``columns``: (column, kind, values, styles) with kind "text", "number" or "date";
        values of length ``n`` (None or NaN = styled empty cell; a number column may be a
        float array); styles one StyleArray for
        the whole column, a sequence of ``n`` of them, or ``(codes, palette)``: an integer
        array of ``n`` indexes into a list of styles. A cell whose value and style are both
        None is not written at all (a column shorter than the others). ``heights``: a row
        height in points per row (None: Excel's default), for wrapped text.

        Each cell is a few pieces (its tag and row number, its style and value) in
        arrays of strings, one per column: the text of a cell is rendered once per distinct
        (text, style), a style id looked up once per distinct style; the pieces are joined
        once, a block of rows at a time, without a string per cell in between.
        """
        if n == 0:
            return
        if first_row <= self.max_row:
            raise ValueError("fast rows must be added in increasing row order")
        refs = np.arange(first_row, first_row + n).astype(str).astype(object)
        pieces: list[Any] = ['<row r="', refs, row_tails(n, heights)]
        for col, kind, values, styles in columns:
            tag = '<c r="' + self._letter(col)
            codes, sids = self._style_codes(styles, n)
            if kind == "text":
                pieces += self._text_column(tag, refs, values, codes, sids)
            else:
                pieces += self._value_column(tag, refs, kind, values, codes, sids)
        pieces.append("</row>")
        for start in range(0, n, BLOCK_ROWS):  # bounded memory for the pointers joined
            self.parts.append(join_rows(pieces, min(start + BLOCK_ROWS, n), start))
        if not self.min_row:
            self.min_row = first_row
        self.max_row = first_row + n - 1

    def _style_codes(self, styles, n: int) -> tuple[np.ndarray, list[int | None]]:
        """Each cell's index into a list of style ids (None: no style), each distinct
        style registered once."""
        if isinstance(styles, StyleArray) or styles is None:
            return np.zeros(n, dtype=np.intp), [self._style_id(styles)
                                                if styles is not None else None]
        if isinstance(styles, tuple):
            codes, palette = styles
            return np.asarray(codes, dtype=np.intp), [
                self._style_id(st) if st is not None else None for st in palette]
        # one style object per cell: told apart by identity (templates are shared)
        styles = styles if isinstance(styles, list) else list(styles)
        ids = np.fromiter(map(id, styles), dtype=np.int64, count=n)
        _, first, codes = np.unique(ids, return_index=True, return_inverse=True)
        # registered in order of first use, not of the ids' order (memory addresses), so
        # that two runs of the same book number their styles alike (styles.xml reproducible)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return rank[codes.reshape(-1)], [
            None if styles[i] is None else self._style_id(styles[i])
            for i in first[order].tolist()]

    def _value_column(self, tag: str, refs: np.ndarray, kind: str, values,
                      codes: np.ndarray, sids: list[int | None]) -> list[Any]:
        """The pieces of a number or date column's cells."""
        shown = np.full(len(codes), "", dtype=object)
        if kind == "number" and isinstance(values, np.ndarray) and values.dtype.kind == "f":
            present = np.isfinite(values)
            shown[present] = float_texts(values[present])
        elif kind == "number":
            array = np.empty(len(values), dtype=object)
            array[:] = values
            array[is_none(array)] = np.nan
            present = np.isfinite(array.astype(float))
            numbers = array[present]
            if set(map(type, numbers.tolist())) <= {float}:  # each distinct float's repr once
                shown[present] = float_texts(numbers.astype(float))
            else:
                shown[present] = map_distinct(repr, numbers)
        else:
            uniques, which = factorize(values)
            serials = np.array([self._date_serial(v) for v in uniques] + [""], dtype=object)
            present = which >= 0
            shown = serials[which]
        # a value without a style has the default one (0), as in add_row; a blank only
        # its style, if any
        heads = np.array([f'" s="{sid or 0}" t="n"><v>' for sid in sids], dtype=object)
        empties = np.array(["" if sid is None else f'" s="{sid}"/>' for sid in sids],
                           dtype=object)
        styled = np.where(present, heads[codes], empties[codes])
        # a cell is written when it has a value or a style (told from the small tables,
        # not by comparing every cell's text)
        written = present | np.array([sid is not None for sid in sids], dtype=bool)[codes]
        return [where(written, tag), where(written, refs), styled, shown,
                where(present, "</v></c>")]

    def _text_column(self, tag: str, refs: np.ndarray, values, codes: np.ndarray,
                     sids: list[int | None]) -> list[Any]:
        """The pieces of a text column's cells. Texts are cleaned, escaped and told apart
        from formulas (quote-prefixed) once per distinct text, all at once; the style of a
        cell once per distinct (text, style): most columns repeat a few values."""
        try:
            uniques, which = factorize(values)
        except TypeError:  # a value that cannot be a key: its text is what is written
            uniques, which = factorize([v if v is None or isinstance(v, str) else str(v)
                                         for v in values])
        texts = clean_texts(uniques)
        risky = np.append(np.fromiter(map(str.startswith, texts, repeat(RISKY_PREFIXES)),
                                      dtype=bool, count=len(texts)), False)
        bodies = np.append(inline_bodies(texts), "")
        # the distinct (text, style) pairs: the text's index (the last one for None) and
        # the style's
        k = len(sids)
        seen, inverse = np.unique(np.where(which >= 0, which, len(texts)) * k + codes,
                                  return_inverse=True)
        text_of, style_of = seen // k, seen % k
        quoted = risky[text_of]
        plain_ids = np.array([str(sid or 0) for sid in sids], dtype=object)
        quoted_ids = plain_ids.copy()
        for i in np.unique(style_of[quoted]).tolist():  # a text that could be a formula
            sid = sids[i]
            quoted_ids[i] = str(self._quoted_id(self._style_of[sid] if sid is not None
                                                else None))
        shown = text_of < len(texts)
        tails = np.full(len(seen), "", dtype=object)
        tails[shown] = ('" s="' + np.where(quoted, quoted_ids[style_of], plain_ids[style_of]
                                           )[shown] + '" t="inlineStr">'
                        + bodies[text_of[shown]])  # type: ignore[operator]
        styled = ~shown & np.array([sid is not None for sid in sids])[style_of]
        tails[styled] = '" s="' + plain_ids[style_of[styled]] + '"/>'  # type: ignore[operator]
        inverse = inverse.reshape(-1)
        written = (tails != "")[inverse]  # compared once per distinct (text, style)
        return [where(written, tag), where(written, refs), tails[inverse]]


def cells_to_fast_rows(ws, styles, blocks: Sequence[CellBlock] = ()) -> bool:
    """Write the openpyxl cells of ``ws`` as fast rows: the XML openpyxl's writer would make
    of them (its attributes, its ``%.16g`` numbers, its date serials, its rows' dimensions),
    without its element per cell. For a sheet of a few thousand cells put one by one (the
    Review sheet). ``blocks``: more cells, given a column at a time (rows no openpyxl cell
    or row dimension of ``ws`` is on), rendered a distinct value at a time, as if each had
    been put. Nothing changes (False; the blocks' cells are put one by one) when a cell
    holds what only openpyxl writes (a formula, an error, rich text, a comment or link)."""
    from openpyxl.cell.cell import Cell
    from openpyxl.compat import safe_string

    blocks = [b for b in blocks if b.n and b.columns]
    if getattr(ws, ATTR, None) is not None or not (ws._cells or blocks) \
            or ws.parent.iso_dates or not blocks_fit(ws, blocks):
        return put_blocks(ws, blocks)
    for cell in ws._cells.values():
        if (type(cell) is not Cell or cell.data_type not in ("s", "n", "b", "d")
                or cell._comment is not None or cell._hyperlink is not None
                or (cell.data_type == "s" and not isinstance(cell._value, (str, type(None))))
                or (cell.data_type == "d" and getattr(cell._value, "tzinfo", None) is not None)):
            return put_blocks(ws, blocks)
    bounds = [range_boundaries(ws.calculate_dimension())] if ws._cells else []
    bounds += [(min(c for c, _, _ in b.columns), b.first_row,
                max(c for c, _, _ in b.columns), b.first_row + b.n - 1)
               for b in blocks if b.n and b.columns]
    min_col, min_row = min(b[0] for b in bounds), min(b[1] for b in bounds)
    max_col, max_row = max(b[2] for b in bounds), max(b[3] for b in bounds)
    by_row: dict[int, list[Any]] = {r: [] for r in ws.row_dimensions.keys()}
    for (r, _), cell in sorted(ws._cells.items()):
        by_row.setdefault(r, []).append(cell)
    pending = sorted(blocks, key=lambda b: b.first_row, reverse=True)
    fast = FastRows(ws, styles)
    epoch = ws.parent.epoch
    for r in sorted(by_row):
        while pending and pending[-1].first_row < r:  # the blocks above this row first
            fast.parts.append(block_text(ws, pending.pop()))
        attrs = "".join(f' {k}="{escape(v, quote=True)}"'
                        for k, v in ws.row_dimensions.get(r, {}))
        out = [f'<row r="{r}"{attrs}>']
        for cell in by_row[r]:
            value, styled = cell._value, cell.has_style
            if value is None and not styled:
                continue
            kind = cell.data_type
            head = f'<c r="{cell.coordinate}"' + (f' s="{cell.style_id}"' if styled else "")
            if kind == "d":
                kind, value = "n", to_excel(value, epoch)
            if value is None or value == "":
                out.append(f'{head} t="{"inlineStr" if kind == "s" else kind}"/>')
            elif kind == "s":
                space = ' xml:space="preserve"' if value != value.strip() else ""
                text = escape(value).replace(CR, CR_REF)
                out.append(f'{head} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            else:
                out.append(f'{head} t="{kind}"><v>{safe_string(value)}</v></c>')
        out.append("</row>")
        fast.parts.append("".join(out))
    fast.parts += [block_text(ws, b) for b in reversed(pending)]
    ws._cells.clear()
    ws.row_dimensions.clear()
    fast.min_row, fast.max_row, fast.max_col = min_row, max_row, max_col
    fast.first_cell = f"{get_column_letter(min_col)}{min_row}"
    return True


def dimension(ws, fast: FastRows) -> str:
    ref = ws.calculate_dimension() if ws._cells or not fast.first_cell else fast.first_cell
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    if fast.max_row:
        max_row = max(max_row, fast.max_row)
        max_col = max(max_col, fast.max_col)
    return f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"


def save_workbook(wb, fileobj, compression: int | None = None,
                  aside: dict[str, bytes] | None = None) -> None:
    """``wb.save(fileobj)``, streaming the :class:`FastRows` of any sheet that has them.

    ``compression``: a zipfile constant; the scratch workbook pysnop merges into the user's
    package is never stored, so it is written uncompressed (ZIP_STORED). ``aside``: the
    part of each sheet with fast rows is put here (by part name) and the package gets an
    empty part of that name: the big sheets are not copied into the package and out again;
    their fast rows are spent (let go of as they are written: ``wb`` is not saved again).
    """
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.writer.excel import ExcelWriter

    compression = ZIP_DEFLATED if compression is None else compression

    class FastWorksheetWriter(WorksheetWriter):
        def write_dimensions(self):
            fast = getattr(self.ws, ATTR, None)
            if fast is None:
                return super().write_dimensions()
            self.xf.send(SheetDimension(dimension(self.ws, fast)).to_tree())

        def write_rows(self):
            fast = getattr(self.ws, ATTR, None)
            if fast is None:
                return super().write_rows()
            xf = self.xf.send(True)
            raw = getattr(xf, "_file", None)  # et_xmlfile's text sink
            with xf.element("sheetData"):
                for row_idx, row in self.rows():
                    self.write_row(xf, row, row_idx)
                if callable(raw):
                    for part in fast.parts:
                        raw(part)
                else:  # lxml's xmlfile writes no raw text: a marker the rows replace once
                    # the part is serialised (parsing each row back costs seconds)
                    from lxml.etree import Comment
                    xf.write(Comment(FAST_ROWS_MARK))
                    self.spliced = True
            self.xf.send(None)

        def read(self) -> bytes:
            data = super().read()
            if not getattr(self, "spliced", False):
                return data
            fast = getattr(self.ws, ATTR)
            head, mark, tail = data.partition(FAST_ROWS_BYTES)
            assert mark, "the fast rows' marker is missing from the worksheet part"
            # lxml writes the part as ASCII with character references: the rows alike; one
            # join, so a big sheet is not copied whole more than once. Set aside, the sheet
            # is spent: each block of rows is let go of once encoded (a copy fewer at once)
            chunks = [head]
            parts = fast.parts
            for i, part in enumerate(parts):
                chunks.append(part.encode("ascii", "xmlcharrefreplace"))
                if aside is not None:
                    parts[i] = ""
            chunks.append(tail)
            if aside is not None:
                parts.clear()
            return b"".join(chunks)

    class FastExcelWriter(ExcelWriter):
        def write_worksheet(self, ws):
            if getattr(ws, ATTR, None) is None:
                return super().write_worksheet(ws)
            from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
            ws._drawing = SpreadsheetDrawing()
            ws._drawing.charts = ws._charts
            ws._drawing.images = ws._images
            # in memory: openpyxl's default is a temporary file on disk, written and read
            # back (megabytes for a big Actions sheet)
            writer = FastWorksheetWriter(ws, out=BytesIO())
            writer.write()
            ws._rels = writer._rels
            if aside is None:
                self._archive.writestr(ws.path[1:], writer.read())
            else:
                aside[ws.path[1:]] = writer.read()
                self._archive.writestr(ws.path[1:], b"")
            self.manifest.append(ws)

    archive = ZipFile(fileobj, "w", compression, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
    try:
        FastExcelWriter(wb, archive).save()
    finally:
        # a failed save left unclosed would close itself when collected, after the caller
        # closed ``fileobj`` ("I/O operation on closed file" from ZipFile.__del__)
        with contextlib.suppress(Exception):
            archive.close()
