"""Custom document properties (``docProps/custom.xml``): where the workbook keeps its log stamp.

A workbook pysnop has written carries three text properties (File > Info > Properties >
Advanced > Custom in Excel): ``pysnop_log_id``, ``pysnop_log_entry`` and ``pysnop_log_hash``
— its decision log's id and the last entry of the log's hash chain when the workbook was
written (:mod:`pysnop.store.chain`). Excel and LibreOffice keep custom properties when they
save.

The part is parsed and written with lxml: pysnop's properties are added or updated as
elements, every other property stays as it was, and the part, its relationship from the
package root and its content type are created when the workbook has none.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Mapping
from pathlib import Path

from lxml import etree

from pysnop.workbook.ooxml.package import Package

CUSTOM_PART = "docProps/custom.xml"
ROOT_RELS = "_rels/.rels"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CUSTOM_REL = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
              "custom-properties")
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one format id for user properties

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


def _parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


def _custom_part(rels_xml: bytes | None) -> str | None:
    """The custom-properties part named by the package's root relationships."""
    if rels_xml is None:
        return None
    root = _parse(rels_xml)
    for rel in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
        if rel.get("Type") == CUSTOM_REL and rel.get("TargetMode") != "External":
            target = rel.get("Target") or ""
            return target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(target)
    return None


def parse_properties(xml: bytes) -> dict[str, str]:
    """Every custom property's name and text value."""
    out: dict[str, str] = {}
    for prop in _parse(xml).iter(f"{{{CUSTOM_NS}}}property"):
        name = prop.get("name")
        if name is not None and len(prop):
            out[name] = "".join(prop[0].itertext())
    return out


def read_properties(path: Path) -> dict[str, str]:
    """The custom properties of the workbook file at ``path`` ({} when it has none)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            part = _custom_part(zf.read(ROOT_RELS) if ROOT_RELS in names else None)
            if part is None or part not in names:
                return {}
            return parse_properties(zf.read(part))
    except (OSError, zipfile.BadZipFile, KeyError, etree.XMLSyntaxError):
        return {}


def set_properties(package: Package, values: Mapping[str, str]) -> None:
    """Set text properties ``values`` in ``package`` (added, or updated in place)."""
    rels = package.read(ROOT_RELS) if package.has(ROOT_RELS) else None
    part = _custom_part(rels)
    if part is not None and package.has(part):
        root = _parse(package.read(part))
    else:
        part = CUSTOM_PART
        root = etree.Element(f"{{{CUSTOM_NS}}}Properties", nsmap={None: CUSTOM_NS, "vt": VT_NS})
        _add_relationship(package, rels, part)
    props = {p.get("name"): p for p in root.iter(f"{{{CUSTOM_NS}}}property")}
    pids = [int(p.get("pid")) for p in props.values() if (p.get("pid") or "").isdigit()]
    next_pid = max([1, *pids]) + 1  # pid 0 and 1 are reserved
    for name, value in values.items():
        prop = props.get(name)
        if prop is None:
            prop = etree.SubElement(root, f"{{{CUSTOM_NS}}}property",
                                    {"fmtid": FMTID, "pid": str(next_pid), "name": name})
            next_pid += 1
        for child in list(prop):
            prop.remove(child)
        etree.SubElement(prop, f"{{{VT_NS}}}lpwstr").text = value
    package.put(part, etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                     standalone=True), CUSTOM_TYPE)


def _add_relationship(package: Package, rels: bytes | None, part: str) -> None:
    if rels is None:
        root = etree.Element(f"{{{PKG_REL_NS}}}Relationships", nsmap={None: PKG_REL_NS})
    else:
        root = _parse(rels)
    ids = {r.get("Id") for r in root.iter(f"{{{PKG_REL_NS}}}Relationship")}
    n = 1
    while f"rId{n}" in ids or f"rIdPysnop{n}" in ids:
        n += 1
    etree.SubElement(root, f"{{{PKG_REL_NS}}}Relationship",
                     {"Id": f"rIdPysnop{n}", "Type": CUSTOM_REL, "Target": part})
    package.put(ROOT_RELS, etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                          standalone=True))


__all__ = ["CUSTOM_PART", "parse_properties", "read_properties", "set_properties"]
