"""Write cached formula results into a saved .xlsx/.xlsm package (openpyxl cannot).

:func:`patch_cached_values` rewrites only the cells it is given values for, in the
worksheet parts that need them, as elements with lxml (``sheetxml``); every other part is
copied unchanged. A formula cell keeps its ``<f>`` and gains ``<v>`` (and the matching
``t``); a cell inside a spilled range gets its value the same way Excel stores it
(``<c r="B2" t="str"><v>x</v>``).

Dynamic arrays: Excel 365 marks a formula that spills with ``cm="N"``, the N-th cell
metadata block of the workbook's metadata part, whose ``XLDAPR`` type says "dynamic array".
Anchors named in ``dynamic`` get that mark (the metadata part, its block and type are found
or added, never renumbered: the user's own dynamic arrays keep theirs); pysnop's anchors
named in ``static`` (a result that no longer spills) lose it. No other cell's mark changes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

from lxml import etree

from pysnop.workbook.ooxml.package import Package, relative, resolve
from pysnop.workbook.ooxml.sheetxml import SheetXml, split_ref
from pysnop.workbook.ooxml.workbook_xml import WORKBOOK, WorkbookXml
from pysnop.workbook.ooxml.xmlparts import (
    MAIN,
    child,
    children,
    expect_root,
    local,
    namespace,
    parse,
    q,
)

EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!"}

METADATA_PART = "xl/metadata.xml"
METADATA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
METADATA_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sheetMetadata"
XDA = "http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray"
DYNAMIC_ARRAY_EXT = "{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}"
XLDAPR = "XLDAPR"
# the order of a metadata part's children (CT_Metadata)
_ORDER = ("metadataTypes", "metadataStrings", "mdxMetadata", "futureMetadata", "cellMetadata",
          "valueMetadata", "extLst")
# the flags Excel writes on its XLDAPR metadata type
_XLDAPR_FLAGS = (("minSupportedVersion", "120000"), ("copy", "1"), ("pasteAll", "1"),
                 ("pasteValues", "1"), ("merge", "1"), ("splitFirst", "1"), ("rowColShift", "1"),
                 ("clearFormats", "1"), ("clearComments", "1"), ("assign", "1"), ("coerce", "1"),
                 ("cellMeta", "1"))


def value_xml(value: Any) -> tuple[str | None, str | None]:
    """(t attribute or None, <v> text or None) for one cached value."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return "b", str(int(value))
    if isinstance(value, (int, float)):
        f = float(value)
        if math.isnan(f) or math.isinf(f):
            return "e", "#NUM!"
        return None, str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
    text = str(value)
    if text in EXCEL_ERRORS:
        return "e", text
    return "str", text


def _set_value(c: etree._Element, value: Any) -> None:
    ns = namespace(c)
    for old in [x for x in c if local(x) in ("v", "is")]:
        c.remove(old)
    t, text = value_xml(value)
    c.attrib.pop("t", None)
    if t is not None:
        c.set("t", t)
    if text is not None:
        v = etree.Element(q(ns, "v"))
        v.text = text
        f = child(c, "f")
        if f is not None:
            f.addnext(v)
        else:
            c.insert(0, v)


class CellMetadata:
    """The workbook's cell metadata part, parsed; the ``cm`` index of a dynamic array."""

    def __init__(self, package: Package):
        self.package = package
        self.part = next((resolve(WORKBOOK, r["Target"]) for r in package.rels(WORKBOOK)
                          if r.get("Type") == METADATA_REL), None)
        self.root: etree._Element | None = None
        if self.part is not None and package.has(self.part):
            self.root = parse(package.read(self.part), self.part)
            expect_root(self.root, "metadata", self.part)
        self._cm: str | None = None

    def dynamic_cm(self) -> str:
        """The 1-based cell-metadata index meaning "dynamic array" (added if missing)."""
        if self._cm is not None:
            return self._cm
        if self.root is None:
            self.root = etree.Element(q(MAIN, "metadata"), nsmap={None: MAIN, "xda": XDA})
            self.part = self.part or METADATA_PART
            self.package.add_rel(WORKBOOK, METADATA_REL, relative(WORKBOOK, self.part))
        root, ns = self.root, namespace(self.root)
        types = self._section("metadataTypes")
        kinds = children(types, "metadataType")
        t = next((i for i, el in enumerate(kinds, 1) if el.get("name") == XLDAPR), None)
        if t is None:
            made = etree.SubElement(types, q(ns, "metadataType"))
            made.set("name", XLDAPR)
            for key, value in _XLDAPR_FLAGS:
                made.set(key, value)
            t = len(kinds) + 1
            types.set("count", str(t))
        future = next((el for el in children(root, "futureMetadata")
                       if el.get("name") == XLDAPR), None)
        if future is None:
            future = etree.Element(q(ns, "futureMetadata"))
            future.set("name", XLDAPR)
            _insert(root, future, "futureMetadata")
        blocks = children(future, "bk")
        v = next((i for i, bk in enumerate(blocks) if _is_dynamic(bk)), None)
        if v is None:
            bk = etree.SubElement(future, q(ns, "bk"))
            ext = etree.SubElement(etree.SubElement(bk, q(ns, "extLst")), q(ns, "ext"))
            ext.set("uri", DYNAMIC_ARRAY_EXT)
            props = etree.SubElement(ext, q(XDA, "dynamicArrayProperties"), nsmap={"xda": XDA})
            props.set("fDynamic", "1")
            props.set("fCollapsed", "0")
            v = len(blocks)
            future.set("count", str(v + 1))
        cells = self._section("cellMetadata")
        found = None
        for i, bk in enumerate(children(cells, "bk"), 1):
            rcs = children(bk, "rc")
            if len(rcs) == 1 and rcs[0].get("t") == str(t) and rcs[0].get("v") == str(v):
                found = i
                break
        if found is None:
            bk = etree.SubElement(cells, q(ns, "bk"))
            rc = etree.SubElement(bk, q(ns, "rc"))
            rc.set("t", str(t))
            rc.set("v", str(v))
            found = len(children(cells, "bk"))
            cells.set("count", str(found))
        self._cm = str(found)
        return self._cm

    def _section(self, name: str) -> etree._Element:
        assert self.root is not None
        found = child(self.root, name)
        if found is None:
            found = etree.Element(q(namespace(self.root), name))
            found.set("count", "0")
            _insert(self.root, found, name)
        return found

    def save(self) -> None:
        if self._cm is not None and self.root is not None and self.part is not None:
            self.package.put(self.part, self.root, METADATA_TYPE)


def _is_dynamic(bk: etree._Element) -> bool:
    props = next(bk.iter(q(XDA, "dynamicArrayProperties")), None)
    return props is not None and props.get("fDynamic") in ("1", "true") \
        and props.get("fCollapsed", "0") in ("0", "false")


def _insert(root: etree._Element, el: etree._Element, name: str) -> None:
    later = _ORDER[_ORDER.index(name) + 1:]
    for x in root:
        if local(x) in later:
            x.addprevious(el)
            return
    root.append(el)


def patch_cached_values(xlsx: bytes, values: Mapping[str, Mapping[str, Any]],
                        dynamic: Mapping[str, set[str]] | None = None,
                        static: Mapping[str, set[str]] | None = None) -> bytes:
    """Return ``xlsx`` with cached values written into the given cells.

    ``values``: sheet name -> {"B7": value}; value a number, bool, str (an Excel error text
    such as "#N/A" is stored as an error) or None (no cached value). Cells the sheet does
    not have are left alone. ``dynamic``: sheet name -> anchors of dynamic-array formulas;
    ``static``: sheet name -> anchors whose dynamic-array mark goes.
    """
    dynamic = {k: set(v) for k, v in (dynamic or {}).items() if v}
    static = {k: set(v) for k, v in (static or {}).items() if v}
    if not any(values.values()) and not dynamic and not static:
        return xlsx
    package = Package(xlsx)
    parts = {s["name"]: s["part"] for s in WorkbookXml(package).sheets()}
    metadata = CellMetadata(package)
    for sheet in set(values) | set(dynamic) | set(static):
        part = parts.get(sheet)
        if not part or not package.has(part):
            continue
        xml = SheetXml(package.read(part), part)
        changed = False
        for ref, value in values.get(sheet, {}).items():
            c = xml.cell(*split_ref(ref))
            if c is not None:
                _set_value(c, value)
                changed = True
        for ref in static.get(sheet, set()) - dynamic.get(sheet, set()):
            c = xml.cell(*split_ref(ref))
            if c is not None and c.get("cm") is not None:
                del c.attrib["cm"]
                changed = True
        for ref in dynamic.get(sheet, set()):
            c = xml.cell(*split_ref(ref))
            if c is not None and child(c, "f") is not None:
                c.set("cm", metadata.dynamic_cm())
                changed = True
        if changed:
            package.put(part, xml.xml())
    metadata.save()
    out = io.BytesIO()
    package.save(out)
    return out.getvalue()


__all__ = ["EXCEL_ERRORS", "patch_cached_values", "value_xml"]
