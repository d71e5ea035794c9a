"""Move pysnop's sheets from a scratch workbook into the user's package, part by part.

The user's workbook is never parsed or re-serialised by a spreadsheet library: pysnop's
own sheets are rendered with openpyxl in a small scratch workbook, then their parts (sheet,
drawings, charts) are copied into the user's package, and the few user parts that must
change — workbook.xml and its relationships, styles.xml, [Content_Types].xml, and the
Campaigns sheet where supply-check columns are merged in — are edited as text.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field

from pysnop.errors import LayoutError
from pysnop.workbook.ooxml.package import (WORKSHEET_REL, Package, rels_name, relative, resolve,
                                           write_rels)
from pysnop.workbook.ooxml.sheetxml import user_cell_text
from pysnop.workbook.ooxml.workbook_xml import MARKER, WorkbookXml
from pysnop.workbook.ooxml.styles import add_prefix, merge_styles, prefix_of

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


OWNED_RELATED = ("/drawing", "/chart", "/chartUserShapes", "/image", "/chartStyle", "/chartColorStyle")


@dataclass
class ColumnPatch:
    """Columns pysnop owns inside a user's sheet (the Campaigns supply check).

    The cells are rendered in ``scratch`` (a sheet of the scratch workbook) at their final
    coordinates; every cell of ``columns`` from ``header_row`` down is replaced by them.
    """

    sheet: str
    scratch: str
    header_row: int
    columns: list[int]
    widths: dict[int, float] = field(default_factory=dict)
    table: str | None = None
    header_style_from: tuple[int, int] | None = None


def workbook_sheets(pkg: Package) -> list[dict[str, str]]:
    """Sheets in tab order: name, sheetId, rid, part (parsed: any prefix, attribute order)."""
    return WorkbookXml(pkg).sheets()


def shared_strings(pkg: Package) -> list[str]:
    """The inner XML of each <si> (plain or rich text), by index."""
    for rel in pkg.rels(WORKBOOK):
        if rel["Type"].endswith("/sharedStrings"):
            xml = pkg.text(resolve(WORKBOOK, rel["Target"]))
            return re.findall(r"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si/>", xml, re.S)
    return []


_SHARED_CELL = re.compile(r'<c\b([^>]*?)\bt="s"([^>]*)>\s*<v>(\d+)</v>\s*</c>')


def inline_strings(sheet_xml: str, strings: list[str]) -> str:
    """Shared-string cells of a scratch sheet as inline strings (the user's table is untouched).

    Only the few cells openpyxl wrote itself use shared strings (bulk rows are inline
    already), so each hit is found by a plain substring search and rewritten locally.
    """
    out, pos = [], 0
    while True:
        hit = sheet_xml.find(' t="s"', pos)
        if hit < 0:
            break
        start = sheet_xml.rfind("<c ", pos, hit)
        end = sheet_xml.find("</c>", hit)
        m = _SHARED_CELL.fullmatch(sheet_xml, start, end + 4) if start >= 0 and end >= 0 else None
        if m is None:
            out.append(sheet_xml[pos:hit + 6])
            pos = hit + 6
            continue
        out.append(sheet_xml[pos:start])
        out.append(f'<c{m.group(1)}t="inlineStr"{m.group(2)}><is>{strings[int(m.group(3))]}'
                   "</is></c>")
        pos = end + 4
    out.append(sheet_xml[pos:])
    return "".join(out)


class Transplant:
    """Copies rendered sheets and column patches from ``scratch`` into ``target``."""

    def __init__(self, target: Package, scratch_bytes: bytes, counts: dict[str, int]):
        self.target = target
        self.scratch = Package(scratch_bytes)
        self.strings = shared_strings(self.scratch)
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

    @staticmethod
    def _new_rid(rels) -> str:
        taken = {r["Id"] for r in rels}
        n = len(rels) + 1
        while f"rId{n}" in taken:
            n += 1
        return f"rId{n}"

    def sheet_xml(self, name: str) -> str:
        part = self.scratch_sheets[name]["part"]
        xml = self.scratch.text(part).replace(' tabSelected="1"', "")
        return inline_strings(xml, self.strings)

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
        """A sheet an earlier pysnop wrote before sheets carried the marker: its first cell
        holds the title pysnop writes there."""
        if not sheet["part"] or not self.target.has(sheet["part"]):
            return False
        first = user_cell_text(self.target, sheet["part"], 1, 1)
        return first is not None and first.startswith(LEGACY_TITLES.get(name, "\0"))

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
                stem = re.sub(r"\d+$", "", stem) or "part"
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

    def apply_patch(self, patch: ColumnPatch) -> None:
        found = {s["name"].casefold(): s for s in workbook_sheets(self.target)}.get(
            patch.sheet.casefold())
        if found is None or patch.scratch not in self.scratch_sheets:
            return
        part = found["part"]
        xml = self.target.text(part)
        prefix = prefix_of(xml, "worksheet")
        new_cells = _rows_of(self.sheet_xml(patch.scratch))
        header_style = None
        if patch.header_style_from:
            header_style = _style_at(xml, *patch.header_style_from)
        owned = set(patch.columns)
        xml = _merge_rows(xml, new_cells, owned, patch.header_row, header_style, prefix)
        xml = _widen_dimension(xml, max(owned), max([patch.header_row, *new_cells]))
        xml = _add_widths(xml, patch.widths, prefix)
        self.target.put(part, xml)
        if patch.table:
            self._extend_table(part, patch)

    def _extend_table(self, sheet_part: str, patch: ColumnPatch) -> None:
        from openpyxl.utils import get_column_letter, range_boundaries

        for rel in self.target.rels(sheet_part):
            if not rel["Type"].endswith("/table"):
                continue
            tpart = resolve(sheet_part, rel["Target"])
            xml = self.target.text(tpart)
            names = re.findall(r'\b(?:displayName|name)="([^"]*)"', xml[:500])
            if patch.table not in [html.unescape(n) for n in names]:
                continue
            ref = re.search(r'<(?:\w+:)?table\b[^>]*\bref="([^"]+)"', xml).group(1)
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            wanted = sorted(patch.columns)
            new_max = max(max_col, wanted[-1])
            if min_row != patch.header_row or any(
                    c not in patch.columns for c in range(max_col + 1, new_max + 1)):
                return  # other user columns in between: the table stays as it is
            headers = user_headers(self.target, patch.sheet, patch.header_row)
            have = {html.unescape(n).casefold()
                    for n in re.findall(r'<(?:\w+:)?tableColumn\b[^>]*\bname="([^"]*)"', xml)}
            ids = [int(i) for i in re.findall(r'<(?:\w+:)?tableColumn\b[^>]*\bid="(\d+)"', xml)]
            extra = []
            for c in range(max_col + 1, new_max + 1):
                name = headers.get(c, f"Column{c}")
                if name.casefold() in have:
                    continue
                ids.append(max(ids, default=0) + 1)
                extra.append(f'<tableColumn id="{ids[-1]}" name="{html.escape(name, quote=True)}"/>')
            p = prefix_of(xml, "table")
            new_ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(new_max)}{max_row}"
            xml = re.sub(r'(<(?:\w+:)?table\b[^>]*\bref=")[^"]+"', rf'\g<1>{new_ref}"', xml, 1)
            xml = re.sub(r'(<(?:\w+:)?autoFilter\b[^>]*\bref=")[^"]+"', rf'\g<1>{new_ref}"', xml, 1)
            close = re.search(rf"</{re.escape(p)}tableColumns>", xml)
            xml = xml[:close.start()] + add_prefix("".join(extra), p) + xml[close.start():]
            count = len(re.findall(r"<(?:\w+:)?tableColumn\b", xml))
            xml = re.sub(r'(<(?:\w+:)?tableColumns\b[^>]*\bcount=")\d+"', rf'\g<1>{count}"', xml, 1)
            self.target.put(tpart, xml)
            return


def user_headers(target: Package, sheet: str, row: int) -> dict[int, str]:
    """Text of the user's header cells in ``row`` (column index -> text)."""
    found = {s["name"].casefold(): s for s in workbook_sheets(target)}.get(sheet.casefold())
    if found is None:
        return {}
    xml = target.text(found["part"])
    strings = None
    out = {}
    m = re.search(rf'<(?:\w+:)?row\b[^>]*\br="{row}"[^>]*>(.*?)</(?:\w+:)?row>', xml, re.S)
    if not m:
        return {}
    for col, cell in _cells(m.group(1)):
        text = _cell_text(cell, lambda: strings)
        if text is None and re.search(r'\bt="s"', cell):
            strings = strings if strings is not None else [
                _plain(si) for si in shared_strings(target)]
            text = _cell_text(cell, lambda: strings)
        if text is not None:
            out[col] = text
    return out


# -------------------------------------------------------------------- sheet XML helpers

_CELL = re.compile(r'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?(?:/>|>.*?</(?:\w+:)?c>)', re.S)
_ROW = re.compile(r'<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)', re.S)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _cells(row_body: str) -> list[tuple[int, str]]:
    return [(_col_index(m.group(1)), m.group(0)) for m in _CELL.finditer(row_body or "")]


def _rows_of(sheet_xml: str) -> dict[int, list[tuple[int, str]]]:
    data = re.search(r"<(?:\w+:)?sheetData\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?sheetData>)", sheet_xml,
                     re.S)
    out = {}
    for m in _ROW.finditer(data.group(1) or "" if data else ""):
        r = int(re.search(r'\br="(\d+)"', m.group(1)).group(1))
        out[r] = _cells(m.group(2))
    return out


def _plain(si_inner: str) -> str:
    return html.unescape("".join(re.findall(r"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", si_inner or "",
                                            re.S)))


def _cell_text(cell: str, strings) -> str | None:
    if re.search(r'\bt="inlineStr"', cell):
        return _plain(cell)
    v = re.search(r"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", cell, re.S)
    if v is None:
        return None
    if re.search(r'\bt="s"', cell):
        table = strings()
        return None if table is None else table[int(v.group(1))]
    return html.unescape(v.group(1))


def _style_at(xml: str, row: int, col: int) -> str | None:
    m = re.search(rf'<(?:\w+:)?row\b[^>]*\br="{row}"[^>]*>(.*?)</(?:\w+:)?row>', xml, re.S)
    for c, cell in _cells(m.group(1) if m else ""):
        if c == col:
            s = re.search(r'\bs="(\d+)"', cell.split(">", 1)[0])
            return s.group(1) if s else None
    return None


def edit_cells(xml: str, put: dict[int, list[tuple[int, str]]], drop, prefix: str) -> str:
    """Rewrite a sheet's cells: ``drop(row, col)`` cells go, ``put`` cells (row -> [(col,
    cell XML)]) come in, every row's cells stay in column order. Other cells are kept as
    they are, byte for byte."""
    data = re.search(r"<(?:\w+:)?sheetData\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?sheetData>)", xml, re.S)
    rows: dict[int, tuple[str, list[tuple[int, str]]]] = {}
    for m in _ROW.finditer(data.group(1) or ""):
        r = int(re.search(r'\br="(\d+)"', m.group(1)).group(1))
        attrs = re.sub(r'\sspans="[^"]*"', "", m.group(1))  # spans would be stale
        rows[r] = (attrs, [(c, x) for c, x in _cells(m.group(2)) if not drop(r, c)])
    for r, cells in put.items():
        attrs, existing = rows.get(r, (f' r="{r}"', []))
        taken = {c for c, _ in cells}
        rows[r] = (attrs, sorted([(c, x) for c, x in existing if c not in taken]
                                 + [(c, add_prefix(x, prefix)) for c, x in cells],
                                 key=lambda t: t[0]))
    tag = f"{prefix}row"
    body = "".join(f"<{tag}{attrs}>{''.join(x for _, x in cells)}</{tag}>"
                   for r, (attrs, cells) in sorted(rows.items()))
    sheet_data = f"<{prefix}sheetData>{body}</{prefix}sheetData>"
    return xml[:data.start()] + sheet_data + xml[data.end():]


def _merge_rows(xml: str, new_cells: dict[int, list[tuple[int, str]]], owned: set[int],
                header_row: int, header_style: str | None, prefix: str) -> str:
    """Replace the owned columns' cells (from the header row down) by the new cells."""
    if header_style is not None and header_row in new_cells:
        new_cells = dict(new_cells)
        new_cells[header_row] = [
            (c, re.sub(r'\ss="\d+"', "", cell, count=1).replace("<c ", f'<c s="{header_style}" ', 1))
            for c, cell in new_cells[header_row]]
    return edit_cells(xml, new_cells, lambda r, c: c in owned and r >= header_row, prefix)


def _widen_dimension(xml: str, max_col: int, max_row: int) -> str:
    from openpyxl.utils import get_column_letter, range_boundaries

    m = re.search(r'(<(?:\w+:)?dimension\b[^>]*\bref=")([^"]+)"', xml)
    if not m:
        return xml
    try:
        c1, r1, c2, r2 = range_boundaries(m.group(2) if ":" in m.group(2) else
                                          f"{m.group(2)}:{m.group(2)}")
    except ValueError:
        return xml
    ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(max(c2, max_col))}{max(r2, max_row)}"
    return xml[:m.start()] + m.group(1) + ref + '"' + xml[m.end():]


def _add_widths(xml: str, widths: dict[int, float], prefix: str) -> str:
    """Give owned columns a width unless the user's <cols> already sizes them."""
    if not widths:
        return xml
    cols = re.search(r"<(?:\w+:)?cols>(.*?)</(?:\w+:)?cols>", xml, re.S)
    ranges = []
    if cols:
        for m in re.finditer(r"<(?:\w+:)?col\b[^>]*/>", cols.group(1)):
            lo = int(re.search(r'\bmin="(\d+)"', m.group(0)).group(1))
            hi = int(re.search(r'\bmax="(\d+)"', m.group(0)).group(1))
            ranges.append((lo, hi, m.group(0)))
    new = [(c, c, f'<{prefix}col min="{c}" max="{c}" width="{w}" customWidth="1"/>')
           for c, w in widths.items() if not any(lo <= c <= hi for lo, hi, _ in ranges)]
    if not new:
        return xml
    body = "".join(x for _, _, x in sorted(ranges + new, key=lambda t: t[0]))
    block = f"<{prefix}cols>{body}</{prefix}cols>"
    if cols:
        return xml[:cols.start()] + block + xml[cols.end():]
    at = re.search(r"<(?:\w+:)?sheetData\b", xml)
    return xml[:at.start()] + block + xml[at.start():]


def scratch_bytes(wb) -> bytes:
    """The scratch workbook as package bytes, uncompressed: it only lives in memory."""
    import zipfile

    from pysnop.workbook.ooxml.fastsheet import save_workbook

    buffer = io.BytesIO()
    save_workbook(wb, buffer, zipfile.ZIP_STORED)
    return buffer.getvalue()


__all__ = ["ColumnPatch", "Transplant", "workbook_sheets", "user_headers", "scratch_bytes"]
