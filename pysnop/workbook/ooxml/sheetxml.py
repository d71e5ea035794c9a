"""A worksheet part as rows and cells by position, edited with lxml.

Producers differ: Excel writes ``r`` on every row and cell, others leave it out (it is
optional: a row without ``r`` follows the previous row, a cell without ``r`` the previous
cell), the .NET SDK prefixes every element (``<x:c>``), text is shared (``t="s"``) or inline
(``t="inlineStr"``). :class:`SheetXml` reads all of these the same way, and edits only the
cells it is asked to: a row it touches gets explicit ``r`` attributes (the same positions,
spelt out) so that an inserted cell cannot shift its neighbours.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from functools import cache

from lxml import etree

from pysnop.errors import column_index, column_letter
from pysnop.workbook.ooxml.xmlparts import (
    MAIN,
    PackageError,
    child,
    expect_root,
    local,
    namespace,
    parse,
    q,
    serialise,
)

_PLAIN_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def split_ref(ref: str) -> tuple[int, int]:
    """"C7" -> (7, 3). A plain reference (what every producer writes) is read with one
    match and a cached column; anything else as openpyxl reads it."""
    plain = _PLAIN_REF.fullmatch(ref)
    if plain is not None:
        return int(plain[2]), _column_index(plain[1])
    # openpyxl (a tenth of a second to load) only for what no producer writes: a run checks
    # and scans sheets before it loads openpyxl (pysnop.workbook.sheet_names)
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    letters, row = coordinate_from_string(ref)
    return row, column_index_from_string(letters)


# as openpyxl's column_index_from_string reads them (tests/ooxml/test_cell_refs.py), once
# per distinct column
_column_index = cache(column_index)


def cell_ref(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


class SheetXml:
    """A parsed worksheet: ``rows`` maps row number -> (row element, [(col, cell element)])."""

    def __init__(self, data: bytes, part: str):
        self.part = part
        self.root = parse(data, part)
        self.ns = expect_root(self.root, "worksheet", part)
        self.data = child(self.root, "sheetData")
        if self.data is None:
            raise PackageError(f"the sheet {part} has no sheetData; nothing was written")
        self.rows: dict[int, tuple[etree._Element, list[tuple[int, etree._Element]]]] = {}
        last = 0
        for row in self.data:
            if local(row) != "row":
                continue
            r = int(row.get("r")) if row.get("r") else last + 1
            last = r
            cells, col = [], 0
            for c in row:
                if local(c) != "c":
                    continue
                ref = c.get("r")
                col = split_ref(ref)[1] if ref else col + 1
                cells.append((col, c))
            self.rows[r] = (row, cells)

    # ---------------------------------------------------------------- reading

    def cells(self, row: int) -> list[tuple[int, etree._Element]]:
        return self.rows.get(row, (None, []))[1]

    def cell(self, row: int, col: int) -> etree._Element | None:
        return next((c for k, c in self.cells(row) if k == col), None)

    def has_content(self, c: etree._Element) -> bool:
        """A cell holding a value, a formula or text (not only a format)."""
        return any(local(x) in ("v", "f", "is") for x in c)

    def last_used_col(self, rows: Iterable[int] | None = None) -> int:
        """The last column holding content (in ``rows``, or anywhere)."""
        keys = self.rows if rows is None else [r for r in rows if r in self.rows]
        return max((col for r in keys for col, c in self.rows[r][1] if self.has_content(c)),
                   default=0)

    def text(self, c: etree._Element, shared: Callable[[], list[str]]) -> str | None:
        """The cell's value as text (shared and inline strings resolved), None if blank."""
        t = c.get("t")
        if t == "inlineStr":
            is_ = child(c, "is")
            return "".join(x.text or "" for x in is_.iter(q(self.ns, "t"))) if is_ is not None \
                else None
        v = child(c, "v")
        if v is None or v.text is None:
            return None
        if t == "s":
            table = shared()
            index = int(v.text)
            return table[index] if 0 <= index < len(table) else None
        return v.text

    def style(self, row: int, col: int) -> str | None:
        c = self.cell(row, col)
        return None if c is None else c.get("s")

    # ---------------------------------------------------------------- editing

    def edit(self, put: dict[int, list[tuple[int, etree._Element]]],
             drop: Callable[[int, int], bool], drop_rows: Iterable[int] = ()) -> None:
        """``drop(row, col)`` cells go (in ``drop_rows`` and the rows of ``put``), ``put``
        cells come in, in column order; every other cell stays as it is."""
        for r in sorted(set(put) | set(drop_rows)):
            row, cells = self._row(r)
            row.attrib.pop("spans", None)  # would be stale
            new = {col: self._adopt(c, r, col) for col, c in put.get(r, [])}
            keep = [(col, c) for col, c in cells if col not in new and not drop(r, col)]
            for _, c in cells:
                row.remove(c)
            for col, c in keep:
                c.set("r", cell_ref(r, col))  # the same position, spelt out
            merged = sorted(keep + list(new.items()), key=lambda t: t[0])
            others = list(row)  # non-cell children (extLst) stay after the cells
            for x in others:
                row.remove(x)
            row.extend(c for _, c in merged)
            row.extend(others)
            self.rows[r] = (row, merged)

    def _row(self, r: int) -> tuple[etree._Element, list[tuple[int, etree._Element]]]:
        if r in self.rows:
            return self.rows[r]
        for number, (row, _) in self.rows.items():  # spell out every row's position first
            row.set("r", str(number))
        row = etree.Element(q(self.ns, "row"))
        row.set("r", str(r))
        later = [n for n in self.rows if n > r]
        if later:
            self.rows[min(later)][0].addprevious(row)
        else:
            self.data.append(row)
        self.rows[r] = (row, [])
        return self.rows[r]

    def _adopt(self, c: etree._Element, r: int, col: int) -> etree._Element:
        """A copy of a cell rendered elsewhere, in this sheet's namespace, at (r, col)."""
        copy = _renamespace(c, self.ns)
        copy.set("r", cell_ref(r, col))
        return copy

    def xml(self) -> bytes:
        return serialise(self.root)


def _renamespace(el: etree._Element, ns: str) -> etree._Element:
    if ns == MAIN and all(isinstance(x.tag, str) and not x.tail for x in el.iterdescendants()):
        # already in the sheet's namespace, nothing to leave out: the copy lxml makes in C
        same = copy.deepcopy(el)
        same.tail = None
        return same
    tag = q(ns, local(el)) if namespace(el) in (MAIN, ns) else el.tag
    new = etree.Element(tag, attrib=dict(el.attrib))
    new.text, new.tail = el.text, None
    for x in el:
        if isinstance(x.tag, str):
            new.append(_renamespace(x, ns))
    return new


def shared_string_table(package) -> list[str]:
    """The workbook's shared strings as plain text (rich runs joined), by index."""
    from pysnop.workbook.ooxml.package import resolve

    for rel in package.rels("xl/workbook.xml"):
        if rel.get("Type", "").endswith("/sharedStrings"):
            part = resolve("xl/workbook.xml", rel["Target"])
            root = parse(package.read(part), part)
            ns = namespace(root)
            out = []
            for si in root.iterfind(q(ns, "si")):
                runs = [t.text or "" for t in si.iter(q(ns, "t"))
                        if t.getparent() is si or local(t.getparent()) == "r"]
                out.append("".join(runs))
            return out
    return []


def user_cell_text(package, part: str, row: int, col: int) -> str | None:
    """The text of one cell of a user's sheet (shared or inline string, or value)."""
    sheet = SheetXml(package.read(part), part)
    cell = sheet.cell(row, col)
    if cell is None:
        return None
    return sheet.text(cell, lambda: shared_string_table(package))
