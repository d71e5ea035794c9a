"""Append the cell formats of pysnop's sheets to the user's styles.xml without renumbering his.

pysnop renders its sheets in a scratch openpyxl workbook that starts with the user's own
style tables (read by openpyxl's stylesheet reader, which keeps every entry in its place).
A format pysnop needs that the workbook already has — the user's, or pysnop's from the last
run — is reused; a new one is appended after the user's and gets the index it will have in
the user's styles.xml. So sheet XML moves over without rewriting a single ``s="…"``, and
re-running pysnop does not grow the style tables. Only custom number-format ids, which
openpyxl renumbers, are matched back by their format code. Both style parts are parsed
with lxml (``xmlparts``): the user's entries, prefixes and extensions stay as they are.
"""

from __future__ import annotations

import warnings

from lxml import etree

from pysnop.workbook.ooxml.xmlparts import child, expect_root, local, namespace, parse, q, serialise
from pysnop.workbook.ooxml.xmlparts import children as xml_children

TABLES = (("fonts", "font"), ("fills", "fill"), ("borders", "border"), ("cellXfs", "xf"),
          ("dxfs", "dxf"))


def seed_scratch_workbook(wb, archive) -> None:
    """Give the scratch workbook the user's style tables (``archive``: the user's zip)."""
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.utils.indexed_list import IndexedList

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        apply_stylesheet(archive, wb)
    # openpyxl renumbers custom number formats after it has indexed the cell formats, so
    # its lookup table holds stale keys and would add duplicates of formats the workbook
    # already has on every run: index them again, order (and so every index) unchanged.
    wb._cell_styles = IndexedList(list(wb._cell_styles))


ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
         "tableStyles", "colors", "extLst")


def style_counts(styles: bytes | None) -> dict[str, int]:
    """How many entries each style table of a styles part holds."""
    if not styles:
        return {}
    root = parse(styles, "xl/styles.xml")
    expect_root(root, "styleSheet", "xl/styles.xml")
    return {section: len(xml_children(child(root, section), item)) for section, item in TABLES}


def section(root: etree._Element, name: str) -> etree._Element:
    """The section ``name`` of a styleSheet, made (empty, in schema order) when missing."""
    found = child(root, name)
    if found is not None:
        return found
    ns = namespace(root)
    made = etree.Element(q(ns, name))
    made.set("count", "0")
    later = ORDER[ORDER.index(name) + 1:]
    for el in root:
        if local(el) in later:
            el.addprevious(made)
            return made
    root.append(made)
    return made


def append(root: etree._Element, name: str, item: str, entries: list[etree._Element]) -> None:
    """Append ``entries`` to section ``name`` (in the target's namespace); fix its count."""
    if not entries:
        return
    target = section(root, name)
    for entry in entries:
        graft(target, entry)
    target.set("count", str(len(xml_children(target, item))))


def graft(parent: etree._Element, el: etree._Element) -> etree._Element:
    """A copy of ``el`` (from another document) made under ``parent``: elements of ``el``'s
    namespace take ``parent``'s (and so its prefix), others keep theirs."""
    theirs, ours = namespace(el), namespace(parent)

    def copy(into: etree._Element, node: etree._Element) -> None:
        ns = namespace(node)
        made = etree.SubElement(into, q(ours if ns == theirs else ns, local(node)),
                                attrib=dict(node.attrib))
        made.text = node.text
        for kid in node:
            if isinstance(kid.tag, str):
                copy(made, kid)
    copy(parent, el)
    return parent[-1]


def merge_styles(target: bytes, scratch: bytes, counts: dict[str, int]) -> bytes:
    """Append the scratch style entries beyond the user's ``counts`` to ``target``."""
    root = parse(target, "xl/styles.xml")
    expect_root(root, "styleSheet", "xl/styles.xml")
    src = parse(scratch, "scratch styles")
    existing = {f.get("formatCode"): int(f.get("numFmtId"))
                for f in xml_children(child(root, "numFmts"), "numFmt")}
    next_id = max([163, *existing.values()]) + 1
    fmt_map: dict[int, int] = {}
    new_fmts = []
    for f in xml_children(child(src, "numFmts"), "numFmt"):
        code, old = f.get("formatCode"), int(f.get("numFmtId"))
        if code not in existing:
            existing[code] = next_id
            made = etree.Element(f.tag, attrib=dict(f.attrib))
            made.set("numFmtId", str(next_id))
            new_fmts.append(made)
            next_id += 1
        fmt_map[old] = existing[code]
    append(root, "numFmts", "numFmt", new_fmts)
    for name, item in TABLES:
        new = xml_children(child(src, name), item)[counts.get(name, 0):]
        if name == "cellXfs":
            new = [_fix_xf(xf, fmt_map) for xf in new]
        append(root, name, item, new)
    return serialise(root)


def _fix_xf(xf: etree._Element, fmt_map: dict[int, int]) -> etree._Element:
    import copy

    xf = copy.deepcopy(xf)
    fmt = xf.get("numFmtId")
    if fmt is not None and int(fmt) in fmt_map:
        xf.set("numFmtId", str(fmt_map[int(fmt)]))
    xf.set("xfId", "0")
    return xf


DATE_CODE = "yyyy-mm-dd"


def date_style(package) -> str:
    """Index of a cell format showing yyyy-mm-dd in ``package``'s styles part (a number
    format and a cell format appended when the workbook has none)."""
    part = "xl/styles.xml"
    root = parse(package.read(part), part)
    expect_root(root, "styleSheet", part)
    formats = {f.get("formatCode"): f.get("numFmtId")
               for f in xml_children(child(root, "numFmts"), "numFmt")}
    fmt_id = formats.get(DATE_CODE)
    if fmt_id is None:
        ids = [int(i) for i in formats.values() if (i or "").isdigit()]
        fmt_id = str(max([163, *ids]) + 1)
        made = etree.Element(q(namespace(root), "numFmt"))
        made.set("numFmtId", fmt_id)
        made.set("formatCode", DATE_CODE)
        append(root, "numFmts", "numFmt", [made])
    xfs = xml_children(child(root, "cellXfs"), "xf")
    for i, xf in enumerate(xfs):
        if xf.get("numFmtId") == fmt_id and xf.get("fontId", "0") == "0" \
                and xf.get("fillId", "0") == "0" and xf.get("borderId", "0") == "0":
            package.put(part, serialise(root))
            return str(i)
    xf = etree.Element(q(namespace(root), "xf"))
    for key, value in (("numFmtId", fmt_id), ("fontId", "0"), ("fillId", "0"),
                       ("borderId", "0"), ("xfId", "0"), ("applyNumberFormat", "1")):
        xf.set(key, value)
    append(root, "cellXfs", "xf", [xf])
    package.put(part, serialise(root))
    return str(len(xfs))
