"""Lay spilled results of pysnop functions out in the sheet XML, part by part.

A top-level ``=STOCKOUT_RISK(...)`` returns a table. In the saved file its anchor cell holds
an array formula over the result's range and the other cells of the range hold the values,
as Excel itself stores an array formula. This edits only the cells of those ranges (and the
styles part when a date format is needed); every other cell and part is kept byte for byte.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from itertools import groupby
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from pysnop.workbook.ooxml.package import Package
from pysnop.workbook.ooxml.styles import add_prefix, children, prefix_of
from pysnop.workbook.ooxml.transplant import STYLES, _rows_of, edit_cells, workbook_sheets

EPOCH = dt.date(1899, 12, 30)
DATE_CODE = "yyyy-mm-dd"


def _rc(coord: str) -> tuple[int, int]:
    letters, row = coordinate_from_string(coord)
    return row, column_index_from_string(letters)


def _cells(ref: str | None):
    if not ref:
        return set()
    c1, r1, c2, r2 = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
    return {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}


def _constant(ref: str, value, style: str | None, date_style: str) -> str:
    """A value cell (not a formula) as SpreadsheetML."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="{date_style}"><v>{(value - EPOCH).days}</v></c>'
    s = f' s="{style}"' if style else ""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = escape(str(value))
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _date_style(package: Package) -> str:
    """Index of a cell format showing yyyy-mm-dd (appended to styles.xml if missing)."""
    xml = package.text(STYLES)
    p = prefix_of(xml, "styleSheet")
    fmts = {m.group(2): m.group(1) for m in re.finditer(
        r'<(?:\w+:)?numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"', xml)}
    fmt_id = fmts.get(DATE_CODE)
    if fmt_id is None:
        ids = [int(i) for i in fmts.values()]
        fmt_id = str(max([163, *ids]) + 1)
        entry = f'<{p}numFmt numFmtId="{fmt_id}" formatCode="{DATE_CODE}"/>'
        if re.search(rf"</{re.escape(p)}numFmts>", xml):
            xml = re.sub(rf"</{re.escape(p)}numFmts>", entry + f"</{p}numFmts>", xml, count=1)
        else:
            at = re.search(rf"<{re.escape(p)}fonts\b", xml).start()
            xml = xml[:at] + f'<{p}numFmts count="1">{entry}</{p}numFmts>' + xml[at:]
    xfs = children(xml, "cellXfs", "xf", p)
    for i, xf in enumerate(xfs):
        if re.search(rf'\bnumFmtId="{fmt_id}"', xf) and 'fontId="0"' in xf and 'fillId="0"' in xf:
            package.put(STYLES, xml)
            return str(i)
    xf = add_prefix(f'<xf numFmtId="{fmt_id}" fontId="0" fillId="0" borderId="0" xfId="0" '
                    'applyNumberFormat="1"/>', p)
    xml = re.sub(rf"</{re.escape(p)}cellXfs>", xf + f"</{p}cellXfs>", xml, count=1)
    xml = re.sub(r'(<(?:\w+:)?cellXfs\b[^>]*\bcount=")\d+"', rf'\g<1>{len(xfs) + 1}"', xml, count=1)
    package.put(STYLES, xml)
    return str(len(xfs))


def lay_out_spills(xlsx: bytes, spills) -> bytes:
    """``xlsx`` with each spill's array formula and values written over its range.

    A range that shrank has its stale cells removed; a blocked spill (it would cover other
    content) keeps a plain formula on its anchor, as Excel shows #SPILL! there.
    """
    package = Package(xlsx)
    parts = {s["name"]: s["part"] for s in workbook_sheets(package)}
    date_style = None
    for sheet, group in groupby(sorted(spills, key=lambda s: s.sheet), key=lambda s: s.sheet):
        part = parts.get(sheet)
        if not part:
            continue
        xml = package.text(part)
        prefix = prefix_of(xml, "worksheet")
        existing = {(r, c): cell for r, cells in _rows_of(xml).items() for c, cell in cells}
        put: dict[int, list[tuple[int, str]]] = {}
        drop: set[tuple[int, int]] = set()
        for spill in group:
            r0, c0 = _rc(spill.anchor)
            ref = None if spill.blocked else spill.ref
            drop |= _cells(spill.old_ref) - _cells(ref) - {(r0, c0)}
            anchor_style = _style(existing.get((r0, c0)))
            formula = escape(spill.formula.lstrip("="))
            s = f' s="{anchor_style}"' if anchor_style else ""
            f = f'<f t="array" ref="{ref}">{formula}</f>' if ref else f"<f>{formula}</f>"
            put.setdefault(r0, []).append((c0, f'<c r="{spill.anchor}"{s}>{f}</c>'))
            if not ref:
                continue
            for i, row in enumerate(spill.values):
                for j, value in enumerate(row):
                    if not (i or j):
                        continue
                    if isinstance(value, dt.date) and date_style is None:
                        date_style = _date_style(package)
                    r, c = r0 + i, c0 + j
                    coord = f"{get_column_letter(c)}{r}"
                    put.setdefault(r, []).append(
                        (c, _constant(coord, value, _style(existing.get((r, c))), date_style)))
        package.put(part, edit_cells(xml, put, lambda r, c: (r, c) in drop, prefix))
    out = io.BytesIO()
    package.save(out)
    return out.getvalue()


def _style(cell: str | None) -> str | None:
    if not cell:
        return None
    m = re.search(r'\ss="(\d+)"', cell.split(">", 1)[0])
    return m.group(1) if m else None
