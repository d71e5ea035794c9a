"""pysnop's columns inside a user's sheet (the "Supply: ..." columns of Campaigns).

Marketing owns the Campaigns sheet; pysnop owns a block of columns on it. Where that block
goes, and what it may replace, follows three rules:

* pysnop claims only what it wrote: the block of the last run is recorded in a hidden
  sheet-level defined name (:data:`OWNED_NAME`, e.g. ``'Campaigns'!$J$1:$P$40``; Excel keeps
  hidden names and moves them with inserted rows and columns). Only cells in that block are
  ever replaced or cleared. A workbook written before the name existed has its block found
  by the "Supply:" header texts, from the header row to the last row of marketing's data.
* a new block goes right of the last *used* column of the whole sheet (any row: a note right
  of the header, a small table lower down), never over a cell with content;
* the block stays where it was on a re-run while it can: if the rows it needs now hold
  someone else's content, the whole block moves right of the last used column instead.

When marketing's data is an Excel table whose last column is right beside the block, the
table is extended over it (so it stays one table); a table that covered an old block that
had to move is shrunk back first. Every part is edited with lxml (``sheetxml``,
``xmlparts``): cells without ``r``, prefixes, inline and shared strings all read the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lxml import etree

from pysnop.errors import column_letter
from pysnop.workbook.ooxml.package import Package, resolve
from pysnop.workbook.ooxml.sheetxml import SheetXml, cell_ref, shared_string_table
from pysnop.workbook.ooxml.workbook_xml import WorkbookXml, quote_sheet
from pysnop.workbook.ooxml.xmlparts import child, children, local, namespace, q

OWNED_NAME = "_pysnop_columns"
SUPPLY_PREFIX = "supply:"
# the schema's order of a worksheet's children (CT_Worksheet), up to sheetData
_BEFORE_DATA = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols")


def _bounds(ref: str) -> tuple[int, int, int, int]:
    """openpyxl's ``range_boundaries`` (min_col, min_row, max_col, max_row), loaded when a
    patch is merged: a run imports this module to check the workbook before it loads
    openpyxl (pysnop.workbook.sheet_names)."""
    from openpyxl.utils import range_boundaries

    return range_boundaries(ref)  # type: ignore[return-value]  # None only for open ranges


def norm_header(text: object) -> str:
    return " ".join(str(text).split()).casefold() if text is not None else ""


@dataclass
class ColumnPatch:
    """Columns pysnop writes into a user's sheet, rendered in a scratch sheet.

    Column ``j`` (1-based) of the scratch sheet ``scratch`` holds the column headed
    ``headers[j - 1]``: its header cell at ``header_row`` and its values at their final
    rows. Where the columns land in the user's sheet is decided when the patch is merged
    (:func:`place_columns`). ``widths``: header -> width for a column placed anew.
    ``header_style_from``: (row, col) of the user's cell whose format the headers take.
    """

    sheet: str
    scratch: str
    header_row: int
    headers: list[str]
    widths: dict[str, float] = field(default_factory=dict)
    table: str | None = None
    header_style_from: tuple[int, int] | None = None
    data_last_row: int = 0  # the last row of marketing's data (for books without the name)


# ------------------------------------------------------------------------------ placement

@dataclass
class Placement:
    """Where each header's column goes, and the block pysnop owns afterwards."""

    columns: dict[str, int]          # header -> 1-based column
    first_row: int
    last_row: int


def place_columns(headers: list[str], first_row: int, last_row: int,
                  previous: dict[str, int], used_col: int,
                  has_content: Callable[[int, int, int], bool]) -> Placement:
    """Columns for ``headers`` (rows ``first_row``..``last_row``).

    ``previous``: normalised header -> the column it had in pysnop's last block (its cells
    already cleared); ``used_col``: the last column holding anyone else's content;
    ``has_content(col, first_row, last_row)``: whether a column holds someone else's
    content in those rows.
    """
    keys = [norm_header(h) for h in headers]
    reuse = {k: previous[k] for k in keys if k in previous}
    if reuse and not any(has_content(c, first_row, last_row) for c in reuse.values()):
        columns = {h: reuse[k] for h, k in zip(headers, keys) if k in reuse}
        next_col = max([used_col, *reuse.values()]) + 1
    else:
        columns, next_col = {}, used_col + 1
    taken = set(columns.values())
    for h in headers:
        if h in columns:
            continue
        while next_col in taken or has_content(next_col, first_row, last_row):
            next_col += 1
        columns[h] = next_col
        taken.add(next_col)
        next_col += 1
    return Placement(columns, first_row, last_row)


# ------------------------------------------------------------------------ owned block

def parse_areas(formula: str | None) -> list[tuple[int, int, int, int]]:
    """``'Campaigns'!$J$1:$P$40,'Campaigns'!$R$1:$R$40`` -> [(c1, r1, c2, r2), ...]; [] for
    ``#REF!`` or anything that is not a list of cell ranges."""
    out = []
    for area in _split_areas(formula or ""):
        ref = area.rsplit("!", 1)[-1].replace("$", "").strip()
        try:
            c1, r1, c2, r2 = _bounds(ref if ":" in ref else f"{ref}:{ref}")
        except (ValueError, TypeError):
            return []
        if None in (c1, r1, c2, r2):
            return []
        out.append((c1, r1, c2, r2))
    return out


def _split_areas(formula: str) -> list[str]:
    """Split a reference list on the commas outside quoted sheet names."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in formula:
        if ch == "'":
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        parts.append("".join(current))
    return [p for p in parts if p.strip()]


def areas_formula(sheet: str, spans: dict[int, tuple[int, int]]) -> str:
    """The reference list of pysnop's block: ``spans`` maps column -> (first, last row);
    adjacent columns with the same rows make one area."""
    areas: list[list[int]] = []  # [first col, last col, first row, last row]
    for c in sorted(spans):
        r1, r2 = spans[c]
        if areas and areas[-1][1] == c - 1 and areas[-1][2:] == [r1, r2]:
            areas[-1][1] = c
        else:
            areas.append([c, c, r1, r2])
    return ",".join(f"{quote_sheet(sheet)}!${column_letter(a)}${r1}:"
                    f"${column_letter(b)}${r2}" for a, b, r1, r2 in areas)


# ---------------------------------------------------------------------------- merging

class ColumnMerge:
    """Merge every patch of one user sheet into ``package`` (a :class:`Package`)."""

    def __init__(self, package: Package, book: WorkbookXml, index: int, name: str, part: str):
        self.package, self.book, self.index = package, book, index
        self.name, self.part = name, part
        self.sheet = SheetXml(package.read(part), part)
        self._strings: list[str] | None = None

    def strings(self) -> list[str]:
        if self._strings is None:
            self._strings = shared_string_table(self.package)
        return self._strings

    def header_texts(self, row: int) -> dict[int, str]:
        out = {}
        for col, c in self.sheet.cells(row):
            text = self.sheet.text(c, self.strings)
            if text is not None and text.strip():
                out[col] = text
        return out

    def owned_cells(self, header_row: int, data_last_row: int) -> tuple[
            set[tuple[int, int]], dict[str, int]]:
        """The cells of pysnop's last block and the column each of its headers had."""
        recorded = self.book.local_name(self.index, OWNED_NAME)
        cells: set[tuple[int, int]] = set()
        if recorded is not None:
            for c1, r1, c2, r2 in parse_areas(recorded):
                for r in range(r1, r2 + 1):
                    cells.update((r, c) for c, _ in self.sheet.cells(r) if c1 <= c <= c2)
        else:  # written before the name existed: the "Supply:" columns of the data block
            supply = [c for c, text in self.header_texts(header_row).items()
                      if norm_header(text).startswith(SUPPLY_PREFIX)]
            for r in range(header_row, max(header_row, data_last_row) + 1):
                cells.update((r, c) for c, _ in self.sheet.cells(r) if c in supply)
        previous = {norm_header(text): c for c, text in self.header_texts(header_row).items()
                    if (header_row, c) in cells and text}
        return cells, previous

    def apply(self, patches: list[ColumnPatch], scratch_cells: Callable[[str], dict[
            int, list[tuple[int, etree._Element]]]]) -> None:
        header_row = patches[0].header_row
        headers = [h for p in patches for h in p.headers]
        rendered: dict[str, dict[int, etree._Element]] = {h: {} for h in headers}
        for p in patches:
            for r, cells in scratch_cells(p.scratch).items():
                for j, c in cells:
                    if 1 <= j <= len(p.headers):
                        rendered[p.headers[j - 1]][r] = c
        last_row = max([header_row, *(r for cells in rendered.values() for r in cells)])
        data_last = max(p.data_last_row for p in patches)
        block, previous = self.owned_cells(header_row, data_last)
        # pysnop's old columns this run does not write (e.g. "Supply: actions" on a
        # bridge-only run) stay as they are, and stay pysnop's
        wanted = {norm_header(h) for h in headers}
        kept_cols = {c for key, c in previous.items() if key not in wanted}
        kept = {(r, c) for r, c in block if c in kept_cols}
        owned = block - kept
        previous = {key: c for key, c in previous.items() if key in wanted}
        content = self.content(owned)
        used_col = max((c for _, c in content), default=0)
        by_col: dict[int, set[int]] = {}
        for r, c in content:
            by_col.setdefault(c, set()).add(r)

        def has_content(col: int, first: int, last: int) -> bool:
            return any(first <= r <= last for r in by_col.get(col, ()))

        placement = place_columns(headers, header_row, last_row, previous, used_col,
                                  has_content)
        style = None
        source = patches[0].header_style_from
        if source is not None:
            style = self.sheet.style(*source)
        put: dict[int, list[tuple[int, etree._Element]]] = {}
        for h, col in placement.columns.items():
            for r, c in rendered[h].items():
                if r == header_row and style is not None:
                    c.set("s", style)
                put.setdefault(r, []).append((col, c))
        self.sheet.edit(put, lambda r, c: (r, c) in owned, {r for r, _ in owned})
        placed = set(placement.columns.values())
        reused = set(previous.values()) & placed
        widths = {placement.columns[h]: w for p in patches for h, w in p.widths.items()
                  if h in placement.columns and placement.columns[h] not in reused}
        self.widen_dimension(max(placed), last_row)
        self.add_widths(widths)
        self.package.put(self.part, self.sheet.xml())
        spans = {c: (header_row, last_row) for c in placed}
        for r, c in kept:
            first, last = spans.get(c, (r, r))
            spans[c] = (min(first, r), max(last, r))
        self.book.set_local_name(self.index, OWNED_NAME, areas_formula(self.name, spans))
        table = next((p.table for p in patches if p.table), None)
        if table:
            self.fit_table(table, header_row, placement, {c for _, c in owned})

    def content(self, owned: set[tuple[int, int]]) -> set[tuple[int, int]]:
        """(row, col) of every cell holding someone else's content, and every cell of a
        merged range (its top-left cell carries the content for all of them)."""
        out = {(r, c) for r, (_, cells) in self.sheet.rows.items() for c, el in cells
               if (r, c) not in owned and self.sheet.has_content(el)}
        merges = child(self.sheet.root, "mergeCells")
        for m in children(merges, "mergeCell"):
            try:
                c1, r1, c2, r2 = _bounds(m.get("ref") or "")
            except (ValueError, TypeError):
                continue
            if (r1, c1) in out:
                out.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
        return out

    # ------------------------------------------------------------------ sheet parts

    def widen_dimension(self, max_col: int, max_row: int) -> None:
        dim = child(self.sheet.root, "dimension")
        if dim is None or not dim.get("ref"):
            return
        ref = dim.get("ref")
        try:
            c1, r1, c2, r2 = _bounds(ref if ":" in ref else f"{ref}:{ref}")
        except (ValueError, TypeError):
            return
        if None in (c1, r1, c2, r2):
            return
        dim.set("ref", f"{cell_ref(r1, c1)}:{cell_ref(max(r2, max_row), max(c2, max_col))}")

    def add_widths(self, widths: dict[int, float]) -> None:
        """Give newly placed columns a width unless the user's <cols> already sizes them."""
        if not widths:
            return
        root, ns = self.sheet.root, self.sheet.ns
        cols = child(root, "cols")
        ranges = [(int(c.get("min") or 0), int(c.get("max") or 0), c)
                  for c in children(cols, "col")]
        new = {c: w for c, w in widths.items() if not any(lo <= c <= hi for lo, hi, _ in ranges)}
        if not new:
            return
        if cols is None:
            cols = etree.Element(q(ns, "cols"))
            _insert_in_order(root, cols, "cols")
        for c, w in sorted(new.items()):
            el = etree.Element(q(ns, "col"))
            el.set("min", str(c))
            el.set("max", str(c))
            el.set("width", f"{w:g}")
            el.set("customWidth", "1")
            later = [x for lo, _, x in ranges if lo > c]
            if later:
                later[0].addprevious(el)
            else:
                cols.append(el)
            ranges = sorted(ranges + [(c, c, el)], key=lambda t: t[0])

    # ------------------------------------------------------------------------- table

    def fit_table(self, name: str, header_row: int, placement: Placement,
                  old_cols: set[int]) -> None:
        """Extend the user's table ``name`` over the placed columns when they sit right
        beside it (shrinking it first off an old block of pysnop's at its right end)."""
        for rel in self.package.rels(self.part):
            if not rel.get("Type", "").endswith("/table") or rel.get("TargetMode") == "External":
                continue
            tpart = resolve(self.part, rel["Target"])
            if not self.package.has(tpart):
                continue
            root = self.package.xml(tpart)
            names = {(root.get(key) or "").casefold() for key in ("displayName", "name")}
            if local(root) != "table" or name.casefold() not in names:
                continue
            self._fit(tpart, root, header_row, placement, old_cols)
            return

    def _fit(self, tpart: str, root: etree._Element, header_row: int, placement: Placement,
             old_cols: set[int]) -> None:
        try:
            c1, r1, c2, r2 = _bounds(root.get("ref") or "")
        except (ValueError, TypeError):
            return
        if r1 != header_row:
            return
        columns_el = child(root, "tableColumns")
        columns = children(columns_el, "tableColumn")
        if columns_el is None or len(columns) != c2 - c1 + 1:
            return
        placed = {col: h for h, col in placement.columns.items()}
        changed = False
        # shrink off trailing columns of pysnop's old block that are not placed there now
        while c2 > c1 and c2 in old_cols and c2 not in placed:
            columns_el.remove(columns[-1])
            columns.pop()
            c2 -= 1
            changed = True
        # extend over placed columns right beside the table
        ids = [int(c.get("id") or 0) for c in columns]
        names = {(c.get("name") or "").casefold() for c in columns}
        while c2 + 1 in placed:
            c2 += 1
            header = placed[c2]
            if header.casefold() in names:
                return  # a column of that name already: leave the table as it was
            el = etree.SubElement(columns_el, q(namespace(root), "tableColumn"))
            ids.append(max(ids, default=0) + 1)
            el.set("id", str(ids[-1]))
            el.set("name", header)
            names.add(header.casefold())
            changed = True
        for col in range(c1, c2 + 1):  # a column inside the table: its name is its header
            if col in placed:
                el = children(columns_el, "tableColumn")[col - c1]
                if el.get("name") != placed[col]:
                    el.set("name", placed[col])
                    changed = True
        if not changed:
            return
        columns_el.set("count", str(len(children(columns_el, "tableColumn"))))
        ref = f"{cell_ref(r1, c1)}:{cell_ref(r2, c2)}"
        root.set("ref", ref)
        auto = child(root, "autoFilter")
        if auto is not None and auto.get("ref"):
            try:
                _, ar1, _, ar2 = _bounds(auto.get("ref"))
                auto.set("ref", f"{cell_ref(ar1, c1)}:{cell_ref(ar2, c2)}")
            except (ValueError, TypeError):
                pass
        self.package.put(tpart, root)


def _insert_in_order(root: etree._Element, el: etree._Element, name: str) -> None:
    """Insert ``el`` (a worksheet child called ``name``) where the schema puts it."""
    later = _BEFORE_DATA[_BEFORE_DATA.index(name) + 1:] + ("sheetData",)
    for x in root:
        if local(x) in later:
            x.addprevious(el)
            return
    root.append(el)


def merge_column_patches(package: Package, patches: Iterable[ColumnPatch],
                         scratch_cells: Callable[[str], dict[int, list[tuple[int, etree._Element]]]]
                         ) -> None:
    """Merge ``patches`` into the user's sheets they name (patches of one sheet together,
    their headers in order). A sheet that is gone is skipped."""
    book = WorkbookXml(package)
    sheets = book.sheets()
    by_sheet: dict[str, list[ColumnPatch]] = {}
    for p in patches:
        by_sheet.setdefault(p.sheet.casefold(), []).append(p)
    for key, group in by_sheet.items():
        index = next((i for i, s in enumerate(sheets) if s["name"].casefold() == key), None)
        if index is None or not sheets[index]["part"]:
            continue
        merge = ColumnMerge(package, book, index, sheets[index]["name"], sheets[index]["part"])
        merge.apply(group, scratch_cells)
    book.save()
