"""Turn any workbook package into a planning workbook at the zip level, and compare packages.

``add_plan_sheets`` appends Inventory and Forecast sheets to a package without touching any
of its parts except the three that list parts (``xl/workbook.xml``, its relationships and
``[Content_Types].xml``), which it edits with an XML parser (lxml): whatever the producer
wrote — prefixes, attribute order, extensions — stays as it was.

``compare_runs`` checks what a run may change against what it must not: every part pysnop
does not own byte for byte, the shared listing parts element by element, every original
sheet's cell values through python-calamine.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import zipfile
from dataclasses import dataclass, field

from lxml import etree

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
WORKSHEET_REL = REL_NS + "/worksheet"
OFFICE_DOC_REL = REL_NS + "/officeDocument"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

AS_OF = dt.date(2026, 11, 18)           # a Wednesday: week 0 is Monday 2026-11-16
WEEKS = [dt.date(2026, 11, 16) + dt.timedelta(weeks=w) for w in range(8)]

# Hand-worked: A1@S1 starts with 30, sells 10 a week: POH 20, 10, 0, -10 ... -> STOCKOUT
# from week 3 (2026-12-07); B2@S1 starts with 100, sells 5: POH 95 ... 60 -> OK all 8 weeks.
INVENTORY = [["sku", "location", "on_hand", "safety_stock"],
             ["A1", "S1", 30, 0], ["B2", "S1", 100, 0]]
FORECAST = ([["sku", "location", "week", "units"]]
            + [["A1", "S1", w.isoformat(), 10] for w in WEEKS]
            + [["B2", "S1", w.isoformat(), 5] for w in WEEKS])


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}


def _parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True,
                                                 remove_blank_text=False))


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def main_document(parts: dict[str, bytes]) -> str:
    """The workbook part the package's root relationships point at."""
    root = _parse(parts["_rels/.rels"])
    for rel in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            return rel.get("Target", "").lstrip("/")
    raise ValueError("no officeDocument relationship")


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def cell_xml(ref: str, value) -> str:
    from xml.sax.saxutils import escape

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def sheet_xml(rows: list[list], namespace: str = MAIN_NS) -> bytes:
    from openpyxl.utils import get_column_letter

    body = "".join(
        f'<row r="{i}">' + "".join(cell_xml(f"{get_column_letter(j)}{i}", v)
                                   for j, v in enumerate(row, 1)) + "</row>"
        for i, row in enumerate(rows, 1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{namespace}"><sheetData>{body}</sheetData></worksheet>'
            ).encode()


def add_sheets(data: bytes, sheets: dict[str, list[list]]) -> bytes:
    """``data`` (a package) with ``sheets`` appended after its own, every other part as is.

    Untouched parts are copied as their original compressed bytes' content (same names,
    same order); only the workbook part, its relationships and the content types change.
    """
    parts = parts_of(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        order = [i.filename for i in zf.infolist() if not i.is_dir()]
    wb_part = main_document(parts)
    wb = _parse(parts[wb_part])
    ns = wb.nsmap.get(None) or etree.QName(wb).namespace
    sheets_el = wb.find(f"{{{ns}}}sheets")
    rels_part = rels_name(wb_part)
    rels = _parse(parts[rels_part])
    ct = _parse(parts["[Content_Types].xml"])
    taken_ids = {r.get("Id") for r in rels}
    sheet_ids = [int(s.get("sheetId")) for s in sheets_el]
    new_parts: dict[str, bytes] = {}
    folder = posixpath.join(posixpath.dirname(wb_part), "worksheets")
    for name, rows in sheets.items():
        n = 1
        while posixpath.join(folder, f"sheet{n}.xml") in parts or \
                posixpath.join(folder, f"sheet{n}.xml") in new_parts:
            n += 1
        part = posixpath.join(folder, f"sheet{n}.xml")
        new_parts[part] = sheet_xml(rows, ns)
        k = len(taken_ids) + 1
        while f"rId{k}" in taken_ids:
            k += 1
        rid = f"rId{k}"
        taken_ids.add(rid)
        etree.SubElement(rels, f"{{{PKG_REL_NS}}}Relationship",
                         {"Id": rid, "Type": WORKSHEET_REL,
                          "Target": posixpath.relpath(part, posixpath.dirname(wb_part))})
        sheet_ids.append(max(sheet_ids, default=0) + 1)
        el = etree.SubElement(sheets_el, f"{{{ns}}}sheet")
        el.set("name", name)
        el.set("sheetId", str(sheet_ids[-1]))
        el.set(f"{{{_rel_ns(wb)}}}id", rid)
        etree.SubElement(ct, f"{{{CT_NS}}}Override",
                         {"PartName": "/" + part, "ContentType": SHEET_CT})
    changed = {wb_part: _serialise(wb), rels_part: _serialise(rels),
               "[Content_Types].xml": _serialise(ct)}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in order:
            info = src.getinfo(name)
            dst.writestr(info, changed.get(name, parts[name]))
        for name, payload in new_parts.items():
            dst.writestr(name, payload)
    return out.getvalue()


def _rel_ns(wb: etree._Element) -> str:
    """The relationships namespace the workbook uses for r:id (strict or transitional)."""
    for el in wb.iter():
        for attr in el.attrib:
            if attr.endswith("}id") and "relationships" in attr:
                return etree.QName(attr).namespace
    return REL_NS


def add_plan_sheets(data: bytes) -> bytes:
    return add_sheets(data, {"Inventory": INVENTORY, "Forecast": FORECAST})


# ------------------------------------------------------------------------- comparisons

# parts every run may edit: the sheet list and its relationships, the part list, the style
# table (pysnop's formats appended), the cell metadata of dynamic arrays, document properties
# (the custom ones hold the decision log's stamp, with the package's relationship to them)
LISTING_PARTS = ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                 "xl/styles.xml", "xl/metadata.xml", "docProps/app.xml", "docProps/core.xml",
                 "_rels/.rels", "docProps/custom.xml")


@dataclass
class Differences:
    problems: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.problems.append(text)


def _canonical(el: etree._Element) -> bytes:
    return etree.tostring(el, method="c14n")


def _children_kept(before: etree._Element, after: etree._Element, where: str,
                   diff: Differences) -> None:
    """Every child element of ``before`` is in ``after``, same content, same order."""
    got = [_canonical(c) for c in after if isinstance(c.tag, str)]
    pos = 0
    for child in before:
        if not isinstance(child.tag, str):
            continue
        want = _canonical(child)
        try:
            pos = got.index(want, pos) + 1
        except ValueError:
            diff.add(f"{where}: {etree.QName(child).localname} changed or lost: "
                     f"{want[:200]!r}")


def compare_listing(name: str, before: bytes, after: bytes, diff: Differences) -> None:
    """The shared listing parts: the user's entries all survive (pysnop may add its own)."""
    b, a = _parse(before), _parse(after)
    if b.tag != a.tag:
        diff.add(f"{name}: root {b.tag} became {a.tag}")
        return
    if name == "xl/styles.xml":
        for section in b:
            if not isinstance(section.tag, str):
                continue
            match = a.find(section.tag)
            if match is None:
                diff.add(f"{name}: section {etree.QName(section).localname} lost")
                continue
            local = etree.QName(section).localname
            if local in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
                         "cellStyles", "dxfs", "colors", "tableStyles", "extLst"):
                old = [_canonical(c) for c in section if isinstance(c.tag, str)]
                new = [_canonical(c) for c in match if isinstance(c.tag, str)]
                if local == "numFmts":  # pysnop's formats are added, order not fixed
                    missing = set(old) - set(new)
                    if missing:
                        diff.add(f"{name}: number formats lost {sorted(missing)[:3]}")
                elif new[:len(old)] != old:
                    diff.add(f"{name}: {local} entries renumbered or changed")
            elif _canonical(section) != _canonical(match):
                diff.add(f"{name}: {local} changed")
        return
    if name.endswith(".rels"):
        old = {r.get("Id"): (r.get("Type"), r.get("Target"), r.get("TargetMode"))
               for r in b if isinstance(r.tag, str)}
        new = {r.get("Id"): (r.get("Type"), r.get("Target"), r.get("TargetMode"))
               for r in a if isinstance(r.tag, str)}
        for rid, spec in old.items():
            if new.get(rid) != spec:
                diff.add(f"{name}: relationship {rid} {spec} became {new.get(rid)}")
        return
    if name == "[Content_Types].xml":
        def entries(root):
            return {(etree.QName(e).localname,
                     (e.get("Extension") or "").lower() or (e.get("PartName") or "").lower(),
                     e.get("ContentType")) for e in root if isinstance(e.tag, str)}
        lost = entries(b) - entries(a)
        if lost:
            diff.add(f"{name}: entries lost {sorted(lost)[:3]}")
        return
    if name == "xl/workbook.xml":
        for section in b:
            if not isinstance(section.tag, str):
                continue
            local = etree.QName(section).localname
            match = a.find(section.tag)
            if match is None:
                diff.add(f"{name}: {local} lost")
            elif local in ("sheets", "definedNames"):
                _children_kept(section, match, f"{name} {local}", diff)
            elif local == "bookViews":
                continue  # the active tab may move when a sheet is added
            elif local == "calcPr":
                continue  # pysnop may ask Excel for a full recalculation on open
            elif _canonical(section) != _canonical(match):
                diff.add(f"{name}: {local} changed")
        return
    # docProps and metadata: well-formed is enough here (the validator checks the rest)


def calamine_values(data: bytes) -> dict[str, list[list]]:
    """Every sheet's cell values as python-calamine reads them (cached values for formulas)."""
    import tempfile
    from pathlib import Path

    from python_calamine import CalamineWorkbook

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.xlsx"
        path.write_bytes(data)
        book = CalamineWorkbook.from_path(str(path))
        out = {}
        for name in book.sheet_names:
            try:
                out[name] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:
                out[name] = [[f"<unreadable: {type(exc).__name__}>"]]
        book.close()
    return out


def sheet_parts(data: bytes) -> dict[str, str]:
    """Sheet name -> part name, through the workbook's relationships (parsed)."""
    parts = parts_of(data)
    wb_part = main_document(parts)
    wb = _parse(parts[wb_part])
    rels = {r.get("Id"): r.get("Target") for r in _parse(parts[rels_name(wb_part)])}
    out = {}
    for sheet in wb.iter(f"{{{etree.QName(wb).namespace}}}sheet"):
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        target = rels.get(rid) or ""
        out[sheet.get("name")] = (target.lstrip("/") if target.startswith("/") else
                                  posixpath.normpath(posixpath.join(
                                      posixpath.dirname(wb_part), target)))
    return out


def compare_runs(before: bytes, after: bytes, owned_sheets: set[str] | None = None,
                 patched_sheets: set[str] | None = None) -> list[str]:
    """What changed between the user's package ``before`` and pysnop's output ``after``
    that pysnop does not own. Returns the problems (empty: nothing lost).

    ``owned_sheets``: pysnop's own sheets (their parts and values may change).
    ``patched_sheets``: user sheets pysnop adds columns to (Campaigns): their part may
    change, but every original cell keeps its value.
    """
    diff = Differences()
    old, new = parts_of(before), parts_of(after)
    names = sheet_parts(before)
    free = {names[s] for s in (owned_sheets or set()) | (patched_sheets or set())
            if s in names}
    for name, payload in old.items():
        if name not in new:
            diff.add(f"part {name} lost")
        elif name in free:
            continue
        elif name in LISTING_PARTS:
            if name.endswith((".xml", ".rels")) and name in ("[Content_Types].xml",
                                                             "xl/workbook.xml",
                                                             "xl/_rels/workbook.xml.rels",
                                                             "xl/styles.xml"):
                compare_listing(name, payload, new[name], diff)
        elif new[name] != payload:
            diff.add(f"part {name} changed ({len(payload)} -> {len(new[name])} bytes)")
    values_before, values_after = calamine_values(before), calamine_values(after)
    for sheet, rows in values_before.items():
        if owned_sheets and sheet in owned_sheets:
            continue
        if sheet not in values_after:
            diff.add(f"sheet {sheet!r} lost")
        elif patched_sheets and sheet in patched_sheets:
            got = values_after[sheet]
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    have = got[i][j] if i < len(got) and j < len(got[i]) else ""
                    if have != value:
                        diff.add(f"sheet {sheet!r} row {i + 1} col {j + 1}: {value!r} "
                                 f"became {have!r}")
        elif values_after[sheet] != rows:
            diff.add(f"sheet {sheet!r}: cell values changed")
    return diff.problems
