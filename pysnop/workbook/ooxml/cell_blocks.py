"""Cells given a column at a time for a sheet whose cells become fast rows
(:func:`pysnop.workbook.ooxml.fastsheet.cells_to_fast_rows`): the text openpyxl's writer
would make of the same cells put one by one, rendered once per distinct (value, style)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from pysnop.workbook.ooxml.cell_text import escape, factorize, inline_bodies, join_rows, where
from pysnop.workbook.ooxml.xlcells import clean_text, clean_texts, is_risky


class CellBlock(NamedTuple):
    """Rows ``first_row`` … ``first_row + n - 1`` of cells given column by column, each cell
    as :func:`~pysnop.workbook.ooxml.xlcells.put` would make it: a value None (a blank,
    written when styled), a str (text, quote-prefixed when it could be a formula) or an
    int or float (a number); ``columns``: (column, values, (codes, palette)), each cell's
    style ``palette[codes[i]]``; ``heights``: a row height in points per row (None: Excel's
    default)."""

    first_row: int
    n: int
    columns: list[tuple[int, list[Any], tuple[np.ndarray, list[Any]]]]
    heights: list[float | None] | None = None


def blocks_fit(ws, blocks: Sequence[CellBlock]) -> bool:
    """The blocks' rows hold no openpyxl cell or row dimension nor each other's, and their
    values are what put() writes as text, numbers or blanks."""
    taken = {r for r, _ in ws._cells} | set(ws.row_dimensions.keys())
    for block in blocks:
        rows = set(range(block.first_row, block.first_row + block.n))
        if rows & taken:
            return False
        taken |= rows
        for _, values, _ in block.columns:
            kinds = set(map(type, values)) - {type(None), str, int, float}
            if kinds and not all(issubclass(k, (str, int, float)) and not issubclass(k, bool)
                                 for k in kinds):
                return False
    return True


def put_blocks(ws, blocks: Sequence[CellBlock]) -> bool:
    """The blocks' cells put one by one, for openpyxl's writer (False: no fast rows)."""
    from pysnop.workbook.ooxml.xlcells import put

    for block in blocks:
        for col, values, (codes, palette) in block.columns:
            for i, (value, code) in enumerate(zip(values, np.asarray(codes).tolist())):
                put(ws, block.first_row + i, col, value, palette[code])
        for i, height in enumerate(block.heights or []):
            if height is not None:
                ws.row_dimensions[block.first_row + i].height = height
    return False


def block_text(ws, block: CellBlock) -> str:
    """A block's rows as the text cells_to_fast_rows makes of put() cells: each cell's
    text from its (value, style) rendered once per distinct pair."""
    from openpyxl.worksheet.dimensions import RowDimension

    n = block.n
    refs = np.arange(block.first_row, block.first_row + n).astype(str).astype(object)
    tails: Any = '">'
    if block.heights is not None:
        heights, which = factorize(block.heights)
        marks = ['"' + "".join(f' {k}="{escape(v, quote=True)}"'
                               for k, v in RowDimension(ws, index=1, ht=h)) + ">"
                 for h in heights]
        tails = np.array([*marks, '">'], dtype=object)[which]
    pieces: list[Any] = ['<row r="', refs, tails]
    for col, values, (codes, palette) in block.columns:
        cells = _put_cells(ws.parent, values, np.asarray(codes, dtype=np.intp), palette)
        written = cells != ""
        pieces += [where(written, f'<c r="{get_column_letter(col)}'), where(written, refs),
                   cells]
    pieces.append("</row>")
    return join_rows(pieces, n)


def _put_cells(wb, values, codes: np.ndarray, palette: list[Any]) -> np.ndarray:
    """What follows ``<c r="A1`` for each cell put() makes of a value and a style ("": not
    written), once per distinct (value, style)."""
    from openpyxl.compat import safe_string

    uniques, which = factorize(values)
    texts = clean_texts([v for v in uniques if isinstance(v, str)])
    bodies = dict(zip(texts, inline_bodies(texts).tolist())) if texts else {}
    k = max(len(palette), 1)
    seen, inverse = np.unique((which + 1) * k + codes, return_inverse=True)
    out = []
    for pair in seen.tolist():
        value = None if pair // k == 0 else uniques[pair // k - 1]
        style = palette[pair % k]
        array = style if style is not None else StyleArray()
        if isinstance(value, str):
            value = clean_text(value)
            if value and is_risky(value):  # as set_text: a quote-prefixed copy
                array = StyleArray(array)
                array.quotePrefix = 1
        head = f'" s="{wb._cell_styles.add(array)}"' if any(array) else '"'
        if value is None:
            out.append(f'{head} t="n"/>' if any(array) else "")
        elif isinstance(value, str):
            out.append(f'{head} t="inlineStr"/>' if value == "" else
                       f'{head} t="inlineStr">{bodies[value]}')
        else:
            out.append(f'{head} t="n"><v>{safe_string(value)}</v></c>')
    return np.array(out, dtype=object)[inverse.reshape(-1)]


__all__ = ["CellBlock", "block_text", "blocks_fit", "put_blocks"]
