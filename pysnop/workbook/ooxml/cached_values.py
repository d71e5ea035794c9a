"""Write cached formula results into a saved .xlsx/.xlsm package (openpyxl cannot).

:func:`patch_cached_values` rewrites only the ``<c>`` elements it is given values for, in
the worksheet parts that need them; every other byte of every part is copied unchanged.
A formula cell keeps its ``<f>`` and gains ``<v>`` (and the matching ``t``); a cell inside a
spilled range gets its value the same way Excel stores it (``<c r="B2" t="str"><v>x</v>``).
Anchors named in ``dynamic`` are marked as dynamic-array formulas (``cm="1"`` plus the
``XLDAPR`` cell-metadata part Excel 365 writes), so Excel re-spills them when it recalculates
instead of treating them as fixed-size legacy array formulas.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from typing import Any, Mapping
from xml.sax.saxutils import escape, unescape

EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!"}

_CELL = re.compile(rb'<c\b([^>]*?)(/>|>(.*?)</c>)', re.S)
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_F = re.compile(rb'<f\b[^>]*/>|<f\b[^>]*>.*?</f>', re.S)
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b([^>]*)/?>')
_REL = re.compile(rb'<Relationship\b([^>]*)/?>')

METADATA_PART = "xl/metadata.xml"
METADATA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
METADATA_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sheetMetadata"
METADATA_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" '
    'copy="1" pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" '
    'clearFormats="1" clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="1"><bk><extLst>'
    '<ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk>'
    '</futureMetadata><cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata>'
    '</metadata>')


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return {m.group(1): m.group(2) for m in _ATTR.finditer(raw)}


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part path inside the package."""
    wb = zf.read("xl/workbook.xml")
    rels = zf.read("xl/_rels/workbook.xml.rels")
    targets = {}
    for m in _REL.finditer(rels):
        a = _attrs(m.group(1))
        if b"Id" in a and b"Target" in a:
            targets[a[b"Id"].decode()] = a[b"Target"].decode()
    out = {}
    for m in _SHEET.finditer(wb):
        a = _attrs(m.group(1))
        rid = next((v for k, v in a.items() if k.endswith(b":id")), None)
        if rid is None or b"name" not in a:
            continue
        target = targets.get(rid.decode())
        if target is None:
            continue
        target = target.lstrip("/")
        if not target.startswith("xl/"):
            target = "xl/" + target
        out[unescape(a[b"name"].decode("utf-8"), {"&quot;": '"', "&apos;": "'"})] = target
    return out


def _value_xml(value: Any) -> tuple[bytes | None, bytes]:
    """(t attribute or None, inner ``<v>`` element) for one cached value."""
    if value is None:
        return None, b""
    if isinstance(value, bool):
        return b"b", b"<v>%d</v>" % int(value)
    if isinstance(value, (int, float)):
        f = float(value)
        if math.isnan(f) or math.isinf(f):
            return b"e", b"<v>#NUM!</v>"
        text = str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
        return None, b"<v>" + text.encode() + b"</v>"
    text = str(value)
    if text in EXCEL_ERRORS:
        return b"e", b"<v>" + text.encode() + b"</v>"
    return b"str", b"<v>" + escape(text).encode("utf-8") + b"</v>"


def _patch_sheet(xml: bytes, values: Mapping[str, Any], dynamic: set[str]) -> tuple[bytes, int]:
    want = {k.encode(): v for k, v in values.items()}
    dyn = {k.encode() for k in dynamic}
    done = 0

    def repl(m: re.Match) -> bytes:
        nonlocal done
        a = _attrs(m.group(1))
        ref = a.get(b"r")
        if ref not in want and ref not in dyn:
            return m.group(0)
        inner = m.group(3) or b""
        f = _F.search(inner)
        formula = f.group(0) if f else b""
        if ref in want:
            t, v = _value_xml(want[ref])
            done += 1
        else:  # only the dynamic-array mark: keep the cell's value as it is
            keep = re.search(rb"<v>.*?</v>|<v/>", inner, re.S)
            t, v = a.get(b"t"), keep.group(0) if keep else b""
            if t == b"s" or t == b"inlineStr":  # cannot carry over without the string table
                t, v = None, b""
        a.pop(b"t", None)
        a.pop(b"cm", None)
        if t is not None:
            a[b"t"] = t
        if ref in dyn and formula:
            a[b"cm"] = b"1"
        head = b" ".join(k + b'="' + val + b'"' for k, val in a.items())
        body = formula + v
        return b"<c " + head + (b">" + body + b"</c>" if body else b"/>")

    return _CELL.sub(repl, xml), done


def patch_cached_values(xlsx: bytes, values: Mapping[str, Mapping[str, Any]],
                        dynamic: Mapping[str, set[str]] | None = None) -> bytes:
    """Return ``xlsx`` with cached values written into the given cells.

    ``values``: sheet name -> {"B7": value}; value a number, bool, str (an Excel error text
    such as "#N/A" is stored as an error) or None (no cached value). The cells must exist in
    the sheet XML (openpyxl writes every formula cell and every cell it holds a value or
    style for); unknown cells are left alone. ``dynamic``: sheet name -> anchors of
    dynamic-array formulas.
    """
    dynamic = {k: set(v) for k, v in (dynamic or {}).items() if v}
    if not any(values.values()) and not dynamic:
        return xlsx
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    parts = sheet_parts(src)
    todo = {parts[s]: s for s in set(values) | set(dynamic) if s in parts}
    names = src.namelist()
    add_meta = bool(dynamic) and METADATA_PART not in names
    if dynamic and not add_meta:  # a metadata part we did not write: cm indices unknown
        dynamic = {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in todo:
                sheet = todo[info.filename]
                data, _ = _patch_sheet(data, values.get(sheet, {}), dynamic.get(sheet, set()))
            elif add_meta and info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>", b'<Override PartName="/xl/metadata.xml" ContentType="'
                    + METADATA_TYPE.encode() + b'"/></Types>')
            elif add_meta and info.filename == "xl/_rels/workbook.xml.rels":
                ids = {int(i) for i in re.findall(rb'Id="rId(\d+)"', data)}
                rid = max(ids, default=0) + 1
                data = data.replace(
                    b"</Relationships>", b'<Relationship Id="rId%d" Type="' % rid
                    + METADATA_REL.encode() + b'" Target="metadata.xml"/></Relationships>')
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        if add_meta:
            dst.writestr(METADATA_PART, METADATA_XML.encode("utf-8"))
    return out.getvalue()
