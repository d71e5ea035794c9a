"""Package surgery for the red-team tests: make a workbook look like another producer's.

Every edit goes through lxml on one part and rewrites the zip with every other part as it
was, so a test changes exactly the thing it is about.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree
from ooxml_corpus import MAIN_NS, PKG_REL_NS, main_document, parts_of, rels_name, sheet_parts

Editor = Callable[[etree._Element], "etree._Element | None"]


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def dump(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def write_parts(path: Path, parts: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    Path(path).write_bytes(buffer.getvalue())


def edit_part(path: Path, part: str, edit: Editor) -> None:
    """Apply ``edit`` to the parsed ``part`` of the package at ``path`` (in place)."""
    parts = parts_of(Path(path).read_bytes())
    root = parse(parts[part])
    new = edit(root)
    parts[part] = dump(new if new is not None else root)
    write_parts(path, parts)


def sheet_part(path: Path, sheet: str) -> str:
    return sheet_parts(Path(path).read_bytes())[sheet]


def edit_sheet(path: Path, sheet: str, edit: Editor) -> None:
    edit_part(path, sheet_part(path, sheet), edit)


def workbook_part(path: Path) -> str:
    return main_document(parts_of(Path(path).read_bytes()))


# ----------------------------------------------------------------------------- edits

def reversed_attributes(root: etree._Element) -> etree._Element:
    """The same tree with every element's attributes in reverse order."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        items = list(el.attrib.items())
        el.attrib.clear()
        for key, value in reversed(items):
            el.set(key, value)
    return root


def without_r(rows: bool = True, cells: bool = True) -> Editor:
    """Drop the optional ``r`` of rows and/or cells (as some producers write)."""
    def edit(root: etree._Element) -> None:
        for row in root.iter(f"{{{MAIN_NS}}}row"):
            if rows:
                row.attrib.pop("r", None)
            row.attrib.pop("spans", None)
            if cells:
                for c in row.iter(f"{{{MAIN_NS}}}c"):
                    c.attrib.pop("r", None)
    return edit


def prefixed(prefix: str = "x", namespace: str = MAIN_NS) -> Editor:
    """The same document with ``namespace`` bound to ``prefix`` instead of the default."""
    def edit(root: etree._Element) -> etree._Element:
        nsmap = {k: v for k, v in root.nsmap.items() if v != namespace and k is not None}
        nsmap[prefix] = namespace
        return _copy(root, nsmap)
    return edit


def _copy(el: etree._Element, nsmap: dict) -> etree._Element:
    new = etree.Element(el.tag, nsmap=nsmap)
    for key, value in el.attrib.items():
        new.set(key, value)
    new.text, new.tail = el.text, el.tail
    for child in el:
        if isinstance(child.tag, str):
            new.append(_copy(child, nsmap))
        else:
            new.append(child)
    return new


def shared_to_inline(root: etree._Element, strings: list[str]) -> None:
    """Every shared-string cell of a sheet as an inline string."""
    for c in root.iter(f"{{{MAIN_NS}}}c"):
        if c.get("t") == "s":
            v = c.find(f"{{{MAIN_NS}}}v")
            text = strings[int(v.text)]
            c.remove(v)
            c.set("t", "inlineStr")
            is_ = etree.SubElement(c, f"{{{MAIN_NS}}}is")
            etree.SubElement(is_, f"{{{MAIN_NS}}}t").text = text


def shared_strings(path: Path) -> list[str]:
    parts = parts_of(Path(path).read_bytes())
    root = parse(parts["xl/sharedStrings.xml"])
    return ["".join(si.itertext()) for si in root.iter(f"{{{MAIN_NS}}}si")]


def add_relationship(parts: dict[str, bytes], source: str, rid: str, rel_type: str,
                     target: str, external: bool = False) -> None:
    name = rels_name(source)
    root = parse(parts[name]) if name in parts else etree.Element(
        f"{{{PKG_REL_NS}}}Relationships", nsmap={None: PKG_REL_NS})
    attrs = {"Id": rid, "Type": rel_type, "Target": target}
    if external:
        attrs["TargetMode"] = "External"
    etree.SubElement(root, f"{{{PKG_REL_NS}}}Relationship", attrs)
    parts[name] = dump(root)


def relative(source: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(source))


SST_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def inline_to_shared(path: Path, sheet: str, rows: set[str]) -> None:
    """Inline-string cells of ``rows`` (row numbers as text) as shared strings, with a
    sharedStrings part made (or extended) for them, as Excel stores text."""
    from ooxml_corpus import CT_NS

    parts = parts_of(Path(path).read_bytes())
    wb_part = main_document(parts)
    sst_part = posixpath.join(posixpath.dirname(wb_part), "sharedStrings.xml")
    sst = parse(parts[sst_part]) if sst_part in parts else etree.Element(
        f"{{{MAIN_NS}}}sst", nsmap={None: MAIN_NS})
    texts = ["".join(si.itertext()) for si in sst]
    part = sheet_parts(Path(path).read_bytes())[sheet]
    root = parse(parts[part])
    for row in root.iter(f"{{{MAIN_NS}}}row"):
        if row.get("r") not in rows:
            continue
        for c in row.iter(f"{{{MAIN_NS}}}c"):
            if c.get("t") != "inlineStr":
                continue
            is_ = c.find(f"{{{MAIN_NS}}}is")
            text = "".join(is_.itertext())
            c.remove(is_)
            c.set("t", "s")
            if text not in texts:
                texts.append(text)
                si = etree.SubElement(sst, f"{{{MAIN_NS}}}si")
                etree.SubElement(si, f"{{{MAIN_NS}}}t").text = text
            etree.SubElement(c, f"{{{MAIN_NS}}}v").text = str(texts.index(text))
    parts[part] = dump(root)
    if sst_part not in parts:
        add_relationship(parts, wb_part, "rIdSst", SST_REL, "sharedStrings.xml")
        ct = parse(parts["[Content_Types].xml"])
        etree.SubElement(ct, f"{{{CT_NS}}}Override",
                         {"PartName": "/" + sst_part, "ContentType": SST_CT})
        parts["[Content_Types].xml"] = dump(ct)
    parts[sst_part] = dump(sst)
    write_parts(path, parts)
