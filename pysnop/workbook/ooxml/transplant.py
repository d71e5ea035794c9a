"""Move pysnop's sheets from a scratch workbook into the user's package, part by part.

The user's workbook is never parsed or re-serialised by a spreadsheet library: pysnop's
own sheets are rendered with openpyxl in a small scratch workbook, then their parts (sheet,
drawings, charts) are copied into the user's package, and the few user parts that must
change — workbook.xml and its relationships, styles.xml, [Content_Types].xml, and the
Campaigns sheet where supply-check columns are merged in (``column_patch``) — are edited
as XML with lxml, element by element.
"""

from __future__ import annotations

import copy
import io

from lxml import etree

from pysnop.errors import LayoutError
from pysnop.workbook.ooxml.column_patch import ColumnPatch, merge_column_patches
from pysnop.workbook.ooxml.package import (
    WORKSHEET_REL,
    Package,
    relative,
    rels_name,
    resolve,
    write_rels,
)
from pysnop.workbook.ooxml.sheetxml import SheetXml, shared_string_table, user_cell_text
from pysnop.workbook.ooxml.styles import merge_styles
from pysnop.workbook.ooxml.workbook_xml import MARKER, WorkbookXml
from pysnop.workbook.ooxml.xmlparts import child, local, namespace, parse, q, serialise

WORKBOOK = "xl/workbook.xml"
STYLES = "xl/styles.xml"
STYLES_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
PATCH_PREFIX = "~patch "  # scratch sheets holding cells to merge into a user's sheet
# titles earlier versions wrote in A1 of their sheets (before the marker existed)
LEGACY_TITLES = {"Bridge": "pysnop bridge", "Issues": "pysnop", "Bridge Chart": "week",
                 "Consensus": "pysnop", "Scorecard": "pysnop", "Review": "pysnop",
                 "Actions": "pysnop"}


class NotPysnopsSheet(LayoutError):
    """A sheet with the name of one of pysnop's is the user's own: it is never replaced."""

    def __init__(self, name: str):
        self.sheet_name = name
        super().__init__(f'the sheet "{name}" is not one pysnop wrote, and pysnop writes its '
                         f"results to a sheet of that name; rename your sheet and run again "
                         "(nothing was written)")


OWNED_RELATED = ("/drawing", "/chart", "/chartUserShapes", "/image", "/chartStyle",
                 "/chartColorStyle")


def string_items(pkg: Package) -> list[etree._Element]:
    """The ``<si>`` elements of a package's shared strings part, by index."""
    for rel in pkg.rels(WORKBOOK):
        if rel["Type"].endswith("/sharedStrings"):
            part = resolve(WORKBOOK, rel["Target"])
            root = parse(pkg.read(part), part)
            return [el for el in root if local(el) == "si"]
    return []


def inline_shared_strings(root: etree._Element, strings: list[etree._Element]) -> None:
    """Turn the shared-string cells (``t="s"``) under ``root`` into inline strings."""
    ns = namespace(root)
    for c in root.iter(q(ns, "c")):
        if c.get("t") != "s":
            continue
        v = child(c, "v")
        try:
            item = strings[int((v.text or "").strip())] if v is not None else None
        except (ValueError, IndexError):
            item = None
        if v is not None:
            c.remove(v)
        c.set("t", "inlineStr")
        inline = etree.SubElement(c, q(ns, "is"))
        for part in (item if item is not None else []):
            if isinstance(part.tag, str):
                inline.append(copy.deepcopy(part))


def legacy_sheet(package: Package, sheet: dict[str, str], name: str) -> bool:
    """A sheet an earlier pysnop wrote before sheets carried the marker: its first cell
    holds the title pysnop writes there."""
    if not sheet["part"] or not package.has(sheet["part"]):
        return False
    first = user_cell_text(package, sheet["part"], 1, 1)
    return first is not None and first.startswith(LEGACY_TITLES.get(name, "\0"))


def check_claimable(package: Package, names: tuple[str, ...]) -> None:
    """Refuse (:class:`NotPysnopsSheet`) when a sheet named like one of pysnop's ``names``
    (any case) is the user's own: checked before a run does anything, whatever sheets that
    run would write, so a planner's own "Consensus" never waits to be taken on a later run."""
    book = WorkbookXml(package)
    wanted = {n.casefold(): n for n in names}
    for index, sheet in enumerate(book.sheets()):
        name = wanted.get(sheet["name"].casefold())
        if name is not None and not book.is_pysnops(index) \
                and not legacy_sheet(package, sheet, name):
            raise NotPysnopsSheet(sheet["name"])


def workbook_sheets(pkg: Package) -> list[dict[str, str]]:
    """Sheets in tab order: name, sheetId, rid, part (parsed: any prefix, attribute order)."""
    return WorkbookXml(pkg).sheets()


class Transplant:
    """Copies rendered sheets and column patches from ``scratch`` into ``target``."""

    def __init__(self, target: Package, scratch: bytes | Package, counts: dict[str, int]):
        self.target = target
        self.scratch = scratch if isinstance(scratch, Package) else Package(scratch)
        self.strings = string_items(self.scratch)
        self.scratch_sheets = {s["name"]: s for s in workbook_sheets(self.scratch)}
        self._merge_styles(counts)

    def _merge_styles(self, counts: dict[str, int]) -> None:
        scratch_styles = self.scratch.read(STYLES)
        if self.target.has(STYLES):
            self.target.put(STYLES, merge_styles(self.target.read(STYLES), scratch_styles, counts))
            return
        # a package without styles: its cells all use the default format, so pysnop's
        # styles part can be taken whole
        self.target.put(STYLES, scratch_styles, STYLES_CT)
        self.target.add_rel(WORKBOOK, "http://schemas.openxmlformats.org/officeDocument/2006/"
                                      "relationships/styles", "styles.xml")

    def sheet_xml(self, name: str) -> bytes:
        """Scratch sheet ``name`` as it goes into the user's package: not the selected tab,
        its few shared-string cells inline (the user's string table is never touched)."""
        part = self.scratch_sheets[name]["part"]
        data = self.scratch.read(part)
        if b'tabSelected="1"' not in data and b't="s"' not in data:
            return data  # pysnop's bulk rows are inline already: nothing to change
        root = parse(data, part)
        for view in root.iter(q(namespace(root), "sheetView")):
            view.attrib.pop("tabSelected", None)
        inline_shared_strings(root, self.strings)
        return serialise(root)

    # ---------------------------------------------------------------- whole sheets

    def put_sheet(self, name: str) -> None:
        """Add sheet ``name``, or replace pysnop's own sheet of that name in its position.

        A sheet of that name (any case) without pysnop's marker is the user's: it is never
        replaced (:class:`NotPysnopsSheet`, nothing written).
        """
        book = WorkbookXml(self.target)
        sheets = book.sheets()
        index = next((i for i, s in enumerate(sheets)
                      if s["name"].casefold() == name.casefold()), None)
        if index is not None:
            if not book.is_pysnops(index) and not self.legacy(sheets[index], name):
                raise NotPysnopsSheet(sheets[index]["name"])
            part = sheets[index]["part"]
            self._drop_related(part)
        else:
            part = self.target.unique_name("xl/worksheets", "sheet", "xml")
            rid = self.target.add_rel(WORKBOOK, WORKSHEET_REL, relative(WORKBOOK, part))
            index = book.add_sheet(name, rid)
        book.set_local_names(index, [(MARKER, '"pysnop"', True)] + self.scratch_names(name))
        book.save()
        source = self.scratch_sheets[name]["part"]
        xml = self.sheet_xml(name)
        rels = self._copy_related(source, part)
        self.target.put(part, xml, SHEET_CT)
        if rels:
            self.target.put(rels_name(part), write_rels(rels))

    def scratch_names(self, name: str) -> list[tuple[str, str, bool]]:
        """The sheet-level names openpyxl gave scratch sheet ``name`` (its autofilter's
        hidden _xlnm._FilterDatabase, print titles), for the user's workbook."""
        scratch = WorkbookXml(self.scratch)
        index = next(i for i, s in enumerate(scratch.sheets()) if s["name"] == name)
        return [(el.get("name"), el.text or "", el.get("hidden") in ("1", "true"))
                for el in scratch.names() if el.get("localSheetId") == str(index)]

    def legacy(self, sheet: dict[str, str], name: str) -> bool:
        return legacy_sheet(self.target, sheet, name)

    def _drop_related(self, part: str) -> None:
        """Remove the drawings and charts hanging off one of pysnop's old sheets."""
        for rel in self.target.rels(part):
            if rel.get("TargetMode") == "External" or not rel["Type"].endswith(OWNED_RELATED):
                continue
            child = resolve(part, rel["Target"])
            if self.target.has(child):
                self._drop_related(child)
                self.target.drop(child)
        if self.target.has(rels_name(part)):
            self.target.drop(rels_name(part))

    def _copy_related(self, source: str, dest: str) -> list[dict[str, str]]:
        """Copy the parts ``source`` relates to (recursively) under fresh names."""
        out = []
        for rel in self.scratch.rels(source):
            rel = dict(rel)
            if rel.get("TargetMode") != "External":
                child = resolve(source, rel["Target"])
                folder, base = child.rsplit("/", 1)
                stem, _, ext = base.rpartition(".")
                stem = stem.rstrip("0123456789") or "part"
                new = self.target.unique_name(folder, "pysnop_" + stem, ext)
                content_type = self.scratch.content_types.of(child)
                self.target.put(new, self.scratch.read(child), content_type)
                child_rels = self._copy_related(child, new)
                if child_rels:
                    self.target.put(rels_name(new), write_rels(child_rels))
                rel["Target"] = relative(dest, new)
            out.append(rel)
        return out

    # ---------------------------------------------------------------- column patches

    def apply_patches(self, patches: list[ColumnPatch]) -> None:
        """Merge the column patches into the user's sheets (see ``column_patch``)."""
        patches = [p for p in patches if p.scratch in self.scratch_sheets]
        if patches:
            merge_column_patches(self.target, patches, self.scratch_cells)

    def scratch_cells(self, name: str) -> dict[int, list[tuple[int, etree._Element]]]:
        """The cells of scratch sheet ``name`` by row, shared strings made inline."""
        part = self.scratch_sheets[name]["part"]
        sheet = SheetXml(self.scratch.read(part), part)
        inline_shared_strings(sheet.root, self.strings)
        return {r: cells for r, (_, cells) in sheet.rows.items()}


def user_headers(target: Package, sheet: str, row: int) -> dict[int, str]:
    """Text of the user's header cells in ``row`` (column index -> text)."""
    found = {s["name"].casefold(): s for s in workbook_sheets(target)}.get(sheet.casefold())
    if found is None or not found["part"]:
        return {}
    xml = SheetXml(target.read(found["part"]), found["part"])
    table: list[list[str]] = []

    def strings() -> list[str]:
        if not table:
            table.append(shared_string_table(target))
        return table[0]
    out = {}
    for col, c in xml.cells(row):
        text = xml.text(c, strings)
        if text is not None:
            out[col] = text
    return out


def scratch_bytes(wb) -> bytes:
    """The scratch workbook as package bytes, uncompressed: it only lives in memory."""
    import zipfile

    from pysnop.workbook.ooxml.fastsheet import save_workbook

    buffer = io.BytesIO()
    save_workbook(wb, buffer, zipfile.ZIP_STORED)
    return buffer.getvalue()


def scratch_package(wb) -> Package:
    """The scratch workbook as a package to read from, its sheets with fast rows held
    beside the zip rather than copied into it (:func:`save_workbook`'s ``aside``): less
    copying, and one copy fewer of the big sheets in memory until the save."""
    import zipfile

    from pysnop.workbook.ooxml.fastsheet import save_workbook

    buffer = io.BytesIO()
    aside: dict[str, bytes] = {}
    save_workbook(wb, buffer, zipfile.ZIP_STORED, aside=aside)
    package = Package(buffer.getvalue())
    for part, data in aside.items():
        package.put(part, data)
    return package


__all__ = ["ColumnPatch", "Transplant", "scratch_bytes", "scratch_package", "user_headers",
           "workbook_sheets"]
