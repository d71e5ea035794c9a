"""Lay spilled results of pysnop functions out in the sheet XML, part by part.

A top-level ``=STOCKOUT_RISK(...)`` returns a table. In the saved file its anchor cell holds
an array formula over the result's range and the other cells of the range hold the values,
as Excel itself stores an array formula. This edits only the cells of those ranges (and the
styles part when a date format is needed), as elements with lxml (``sheetxml``); every other
cell and part is kept byte for byte.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from itertools import groupby

from lxml import etree
from openpyxl.utils import range_boundaries

from pysnop.workbook.ooxml.package import Package
from pysnop.workbook.ooxml.sheetxml import SheetXml, split_ref
from pysnop.workbook.ooxml.styles import date_style
from pysnop.workbook.ooxml.workbook_xml import WorkbookXml
from pysnop.workbook.ooxml.xmlparts import MAIN, XML_NS, q

EPOCHS = {False: dt.date(1899, 12, 30), True: dt.date(1904, 1, 1)}


def _cells(ref: str | None) -> set[tuple[int, int]]:
    if not ref:
        return set()
    c1, r1, c2, r2 = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
    return {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}


def _cell(style: str | None) -> etree._Element:
    c = etree.Element(q(MAIN, "c"))
    if style:
        c.set("s", style)
    return c


def constant(value, style: str | None, date_style_id: str, epoch: dt.date) -> etree._Element:
    """A value cell (not a formula); dates as serials of the workbook's date system."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        c = _cell(date_style_id)
        etree.SubElement(c, q(MAIN, "v")).text = str((value - epoch).days)
        return c
    c = _cell(style)
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return c
    if isinstance(value, bool):
        c.set("t", "b")
        etree.SubElement(c, q(MAIN, "v")).text = str(int(value))
    elif isinstance(value, (int, float)):
        etree.SubElement(c, q(MAIN, "v")).text = repr(value)
    else:
        c.set("t", "inlineStr")
        t = etree.SubElement(etree.SubElement(c, q(MAIN, "is")), q(MAIN, "t"))
        t.set(q(XML_NS, "space"), "preserve")
        t.text = str(value)
    return c


def lay_out_spills(xlsx: bytes, spills) -> bytes:
    """``xlsx`` with each spill's array formula and values written over its range.

    A range that shrank has its stale cells removed; a blocked spill (it would cover other
    content) keeps a plain formula on its anchor, as Excel shows #SPILL! there.
    """
    package = Package(xlsx)
    book = WorkbookXml(package)
    parts = {s["name"]: s["part"] for s in book.sheets()}
    epoch = EPOCHS[book.date1904]
    date_id: str | None = None
    for sheet_name, group in groupby(sorted(spills, key=lambda s: s.sheet),
                                     key=lambda s: s.sheet):
        part = parts.get(sheet_name)
        if not part:
            continue
        sheet = SheetXml(package.read(part), part)
        put: dict[int, list[tuple[int, etree._Element]]] = {}
        drop: set[tuple[int, int]] = set()
        for spill in group:
            r0, c0 = split_ref(spill.anchor)
            ref = None if spill.blocked else spill.ref
            drop |= _cells(spill.old_ref) - _cells(ref) - {(r0, c0)}
            anchor = _cell(sheet.style(r0, c0))
            f = etree.SubElement(anchor, q(MAIN, "f"))
            f.text = spill.formula.lstrip("=")
            if ref:
                f.set("t", "array")
                f.set("ref", ref)
            put.setdefault(r0, []).append((c0, anchor))
            if not ref:
                continue
            for i, row in enumerate(spill.values):
                for j, value in enumerate(row):
                    if not (i or j):
                        continue
                    if isinstance(value, dt.date) and date_id is None:
                        date_id = date_style(package)
                    r, c = r0 + i, c0 + j
                    put.setdefault(r, []).append(
                        (c, constant(value, sheet.style(r, c), date_id or "0", epoch)))
        sheet.edit(put, lambda r, c: (r, c) in drop, {r for r, _ in drop})
        package.put(part, sheet.xml())
    out = io.BytesIO()
    package.save(out)
    return out.getvalue()


__all__ = ["constant", "lay_out_spills"]
