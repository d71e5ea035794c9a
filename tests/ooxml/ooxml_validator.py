"""A package validator for .xlsx/.xlsm files: the rules Excel enforces by "repairing" a file.

``validate(data) -> list[str]`` returns every problem found (empty: the package is sound):

* zip entry names: no ``..`` segment, no absolute path or drive, no backslash, no two names
  differing only by case (OPC part names are case-insensitive);
* content types: ``[Content_Types].xml`` well formed (Default: Extension + ContentType;
  Override: PartName starting with "/" + ContentType; no duplicates), every part has one,
  every Override names a part that exists;
* relationships: every ``.rels`` part parses, Ids unique, internal targets exist, the
  source part exists;
* workbook: sheet names unique (any case), at most 31 characters, none of ``[]:*?/\\``;
  sheetIds unique; each sheet's r:id resolves; defined names unique per scope, their
  localSheetId in range, and a hidden ``_xlnm._FilterDatabase`` for every sheet-level
  autofilter; one conformance class (transitional or strict) across all parts;
* styles: every ``s`` of a cell, row or column and every xf's font/fill/border/numFmt/xfId
  within its table, dxfIds of conditional formats and tables within ``dxfs``, counts right;
* sheets: rows ascending, cells ascending within their row, no cell outside its row;
* tables: ids unique across the workbook, names unique (any case), ref a valid range whose
  width matches ``tableColumns``, column ids unique;
* data validation: list literals and prompts at most 255 characters, error text at most 225,
  titles at most 32;
* dynamic arrays: a cell's ``cm`` needs the workbook's sheetMetadata part, an index within
  its ``cellMetadata`` and a metadata type ``XLDAPR``;
* VBA: ``vbaProject.bin`` is a compound file (olefile) whose storages start at sector 0
  (MS-CFB 2.6.3).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from lxml import etree

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
XLDAPR = "XLDAPR"
BAD_SHEET_CHARS = set("[]:*?/\\")
A1 = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.problems.append(text)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def split_ref(ref: str) -> tuple[int, int] | None:
    m = A1.match(ref or "")
    if not m:
        return None
    col, row = col_index(m.group(1)), int(m.group(2))
    if not (1 <= col <= 16384 and 1 <= row <= 1048576):
        return None
    return row, col


def range_of(ref: str) -> tuple[int, int, int, int] | None:
    """"A1:C4" -> (r1, c1, r2, c2), None when malformed."""
    a, _, b = (ref or "").partition(":")
    p, q = split_ref(a), split_ref(b or a)
    if p is None or q is None or p[0] > q[0] or p[1] > q[1]:
        return None
    return p[0], p[1], q[0], q[1]


def resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    base = posixpath.dirname(source)
    return posixpath.normpath(posixpath.join(base, target))


def rels_source(rels_part: str) -> str:
    folder, name = posixpath.split(rels_part)
    parent = posixpath.dirname(folder)
    return posixpath.join(parent, name[:-len(".rels")]) if name != ".rels" else ""


class Package:
    def __init__(self, data: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = [i.filename for i in self.zip.infolist() if not i.is_dir()]
        self.lower = {n.lower(): n for n in self.names}
        self._xml: dict[str, etree._Element | None] = {}

    def has(self, part: str) -> bool:
        return part.lower() in self.lower

    def xml(self, part: str) -> etree._Element | None:
        if part not in self._xml:
            try:
                self._xml[part] = etree.fromstring(self.zip.read(self.lower[part.lower()]),
                                                   _parser())
            except (etree.XMLSyntaxError, KeyError):
                self._xml[part] = None
        return self._xml[part]

    def rels(self, part: str) -> list[etree._Element]:
        folder, name = posixpath.split(part)
        root = self.xml(posixpath.join(folder, "_rels", name + ".rels"))
        return [] if root is None else [r for r in root if isinstance(r.tag, str)]


def validate(data: bytes) -> list[str]:
    """Every problem of the package ``data``; an empty list when it is sound."""
    report = Report()
    try:
        pkg = Package(data)
    except zipfile.BadZipFile as exc:
        return [f"not a zip: {exc}"]
    _zip_names(pkg, report)
    _content_types(pkg, report)
    _relationships(pkg, report)
    wb_part = _main_part(pkg, report)
    if wb_part is None:
        return report.problems
    _conformance(pkg, report)
    sheets = _workbook(pkg, wb_part, report)
    counts = _styles(pkg, wb_part, report)
    metadata = _metadata(pkg, wb_part, report)
    table_ids: dict[str, str] = {}
    table_names: dict[str, str] = {}
    for name, part in sheets:
        root = pkg.xml(part)
        if root is None:
            report.add(f"sheet {name!r} ({part}) is not well-formed XML")
            continue
        if etree.QName(root).localname == "worksheet":
            _worksheet(pkg, name, part, root, counts, metadata, report)
            _tables(pkg, name, part, counts, table_ids, table_names, report)
    _vba(pkg, report)
    return report.problems


# ------------------------------------------------------------------------------ package

def _zip_names(pkg: Package, report: Report) -> None:
    seen: dict[str, str] = {}
    for name in pkg.names:
        if "\\" in name:
            report.add(f"zip entry {name!r} contains a backslash")
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
            report.add(f"zip entry {name!r} is an absolute path")
        if any(seg in ("..", ".") for seg in name.replace("\\", "/").split("/")):
            report.add(f"zip entry {name!r} has a '..' or '.' segment")
        key = name.lower()
        if key in seen and seen[key] != name:
            report.add(f"zip entries {seen[key]!r} and {name!r} differ only by case")
        elif key in seen:
            report.add(f"zip entry {name!r} appears twice")
        seen[key] = name


def _content_types(pkg: Package, report: Report) -> None:
    root = pkg.xml("[Content_Types].xml")
    if root is None:
        report.add("[Content_Types].xml is missing or not well-formed")
        return
    if root.tag != f"{{{CT_NS}}}Types":
        report.add(f"[Content_Types].xml root is {root.tag}")
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for el in root:
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        ctype = el.get("ContentType")
        if not ctype:
            report.add(f"[Content_Types].xml: {local} without ContentType")
        if local == "Default":
            ext = el.get("Extension")
            if not ext:
                report.add("[Content_Types].xml: Default without Extension")
                continue
            if ext.lower() in defaults:
                report.add(f"[Content_Types].xml: Default for {ext!r} twice")
            defaults[ext.lower()] = ctype or ""
        elif local == "Override":
            name = el.get("PartName")
            if not name or not name.startswith("/"):
                report.add(f"[Content_Types].xml: Override PartName {name!r} must start with /")
                continue
            if name.lower() in overrides:
                report.add(f"[Content_Types].xml: Override for {name!r} twice")
            overrides[name.lower()] = ctype or ""
            if not pkg.has(name[1:]):
                report.add(f"[Content_Types].xml: Override for missing part {name!r}")
        else:
            report.add(f"[Content_Types].xml: unexpected element {local}")
    for name in pkg.names:
        if name == "[Content_Types].xml":
            continue
        base = posixpath.basename(name)
        ext = base.rsplit(".", 1)[1].lower() if "." in base else ""
        if ("/" + name).lower() not in overrides and ext not in defaults:
            report.add(f"part {name} has no content type")


def _relationships(pkg: Package, report: Report) -> None:
    for name in pkg.names:
        if not name.endswith(".rels"):
            continue
        root = pkg.xml(name)
        if root is None or root.tag != f"{{{PKG_REL_NS}}}Relationships":
            report.add(f"{name}: not a relationships part")
            continue
        source = rels_source(name)
        if source and not pkg.has(source):
            report.add(f"{name}: relationships of a missing part {source}")
        ids: set[str] = set()
        for rel in root:
            if not isinstance(rel.tag, str):
                continue
            rid, target = rel.get("Id"), rel.get("Target")
            if not rid or not rel.get("Type") or target is None:
                report.add(f"{name}: relationship without Id, Type or Target")
                continue
            if rid in ids:
                report.add(f"{name}: relationship Id {rid} twice")
            ids.add(rid)
            if rel.get("TargetMode") == "External":
                continue
            part = resolve(source, target.split("#")[0]) if target.split("#")[0] else ""
            if part and not pkg.has(part):
                report.add(f"{name}: {rid} targets missing part {part}")


def _main_part(pkg: Package, report: Report) -> str | None:
    for rel in pkg.rels(""):
        if rel.get("Type", "").endswith("/officeDocument"):
            part = resolve("", rel.get("Target", ""))
            if pkg.has(part):
                return pkg.lower[part.lower()]
    report.add("no workbook part (officeDocument relationship)")
    return None


def _conformance(pkg: Package, report: Report) -> None:
    kinds: dict[str, str] = {}
    for name in pkg.names:
        if not name.endswith(".xml") or not name.startswith("xl/"):
            continue
        root = pkg.xml(name)
        if root is None:
            report.add(f"{name} is not well-formed XML")
            continue
        ns = etree.QName(root).namespace or ""
        if ns == MAIN:
            kinds.setdefault("transitional", name)
        elif ns == STRICT_MAIN:
            kinds.setdefault("strict", name)
    if len(kinds) > 1:
        report.add(f"strict and transitional parts mixed ({kinds['strict']} is strict, "
                   f"{kinds['transitional']} transitional)")


# ------------------------------------------------------------------------------ workbook

def _ns(root: etree._Element) -> str:
    return etree.QName(root).namespace or MAIN


def _workbook(pkg: Package, wb_part: str, report: Report) -> list[tuple[str, str]]:
    root = pkg.xml(wb_part)
    if root is None:
        report.add(f"{wb_part} is not well-formed XML")
        return []
    ns = _ns(root)
    rels = {r.get("Id"): r for r in pkg.rels(wb_part)}
    out: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    ids: set[str] = set()
    sheets = root.find(f"{{{ns}}}sheets")
    for sheet in (sheets if sheets is not None else []):
        name = sheet.get("name") or ""
        if name.casefold() in names:
            report.add(f"sheet names {names[name.casefold()]!r} and {name!r} differ only by case")
        names[name.casefold()] = name
        if not name or len(name) > 31 or set(name) & BAD_SHEET_CHARS or name.startswith("'"):
            report.add(f"sheet name {name!r} is not allowed by Excel")
        sid = sheet.get("sheetId")
        if sid in ids:
            report.add(f"sheetId {sid} twice")
        ids.add(sid or "")
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        rel = rels.get(rid)
        if rel is None:
            report.add(f"sheet {name!r}: r:id {rid} has no relationship")
            continue
        out.append((name, resolve(wb_part, rel.get("Target", ""))))
    local_filters = {}
    for i, (name, part) in enumerate(out):
        sroot = pkg.xml(part)
        if sroot is not None and sroot.find(f"{{{_ns(sroot)}}}autoFilter") is not None:
            local_filters[i] = name
    defined = root.find(f"{{{ns}}}definedNames")
    seen: set[tuple[str, str]] = set()
    filter_db: set[int] = set()
    for dn in (defined if defined is not None else []):
        if not isinstance(dn.tag, str):
            continue
        scope = dn.get("localSheetId", "")
        key = ((dn.get("name") or "").casefold(), scope)
        if key in seen:
            report.add(f"defined name {dn.get('name')!r} twice in scope {scope or 'workbook'}")
        seen.add(key)
        if scope and not (scope.isdigit() and int(scope) < len(out)):
            report.add(f"defined name {dn.get('name')!r}: localSheetId {scope} out of range")
        if key[0] == "_xlnm._filterdatabase" and scope.isdigit():
            filter_db.add(int(scope))
    for i, name in local_filters.items():
        if i not in filter_db:
            report.add(f"sheet {name!r} has an autofilter but no _xlnm._FilterDatabase name")
    return out


def _styles(pkg: Package, wb_part: str, report: Report) -> dict[str, int]:
    part = next((resolve(wb_part, r.get("Target", "")) for r in pkg.rels(wb_part)
                 if r.get("Type", "").endswith("/styles")), None)
    if part is None:
        return {"cellXfs": 1, "dxfs": 0}
    root = pkg.xml(part)
    if root is None:
        report.add(f"{part} is not well-formed XML")
        return {"cellXfs": 1, "dxfs": 0}
    ns = _ns(root)

    def items(section: str) -> list[etree._Element]:
        el = root.find(f"{{{ns}}}{section}")
        if el is None:
            return []
        kids = [c for c in el if isinstance(c.tag, str)]
        count = el.get("count")
        if count is not None and int(count) != len(kids):
            report.add(f"{part}: {section} count={count} but {len(kids)} entries")
        return kids

    fmts = {int(f.get("numFmtId", "-1")) for f in items("numFmts")}
    fonts, fills, borders = len(items("fonts")), len(items("fills")), len(items("borders"))
    style_xfs = items("cellStyleXfs")
    xfs = items("cellXfs")
    dxfs = items("dxfs")
    for section, entries in (("cellStyleXfs", style_xfs), ("cellXfs", xfs)):
        for i, xf in enumerate(entries):
            for attr, limit in (("fontId", fonts), ("fillId", fills), ("borderId", borders)):
                v = int(xf.get(attr, "0"))
                if v >= max(limit, 1):
                    report.add(f"{part}: {section}[{i}] {attr}={v} of {limit}")
            fmt = int(xf.get("numFmtId", "0"))
            if fmt >= 164 and fmt not in fmts:
                report.add(f"{part}: {section}[{i}] numFmtId={fmt} is not defined")
            if section == "cellXfs" and int(xf.get("xfId", "0")) >= max(len(style_xfs), 1):
                report.add(f"{part}: cellXfs[{i}] xfId={xf.get('xfId')} of {len(style_xfs)}")
    for style in items("cellStyles"):
        if int(style.get("xfId", "0")) >= max(len(style_xfs), 1):
            report.add(f"{part}: cellStyle {style.get('name')!r} xfId out of range")
    return {"cellXfs": max(len(xfs), 1), "dxfs": len(dxfs)}


def _metadata(pkg: Package, wb_part: str, report: Report) -> dict[str, int] | None:
    """{"cell": cellMetadata blocks, "dynamic": 1-based rc index of XLDAPR or 0}."""
    part = next((resolve(wb_part, r.get("Target", "")) for r in pkg.rels(wb_part)
                 if r.get("Type", "").endswith("/sheetMetadata")), None)
    if part is None:
        return None
    root = pkg.xml(part)
    if root is None:
        report.add(f"{part} is missing or not well-formed")
        return None
    ns = _ns(root)
    types = [t.get("name") for t in root.iterfind(f"{{{ns}}}metadataTypes/{{{ns}}}metadataType")]
    blocks = root.findall(f"{{{ns}}}cellMetadata/{{{ns}}}bk")
    dynamic = types.index(XLDAPR) + 1 if XLDAPR in types else 0
    future = {f.get("name"): f for f in root.iterfind(f"{{{ns}}}futureMetadata")}
    for i, bk in enumerate(blocks):
        for rc in bk.iterfind(f"{{{ns}}}rc"):
            t, v = int(rc.get("t", "0")), int(rc.get("v", "-1"))
            if not 1 <= t <= len(types):
                report.add(f"{part}: cellMetadata[{i}] type {t} of {len(types)}")
            elif types[t - 1] == XLDAPR:
                fut = future.get(XLDAPR)
                n = 0 if fut is None else len(fut.findall(f"{{{ns}}}bk"))
                if not 0 <= v < n:
                    report.add(f"{part}: cellMetadata[{i}] XLDAPR value {v} of {n}")
    return {"cell": len(blocks), "dynamic": dynamic}


# ------------------------------------------------------------------------------ sheets

def _worksheet(pkg: Package, name: str, part: str, root: etree._Element, counts: dict[str, int],
               metadata: dict[str, int] | None, report: Report) -> None:
    ns = _ns(root)
    xfs = counts["cellXfs"]
    data = root.find(f"{{{ns}}}sheetData")
    last_row = 0
    for row in (data if data is not None else []):
        if not isinstance(row.tag, str):
            continue
        r = row.get("r")
        r = int(r) if r is not None else last_row + 1
        if r <= last_row:
            report.add(f"{name}: row {r} after row {last_row}")
        last_row = r
        if row.get("s") is not None and int(row.get("s")) >= xfs:
            report.add(f"{name}: row {r} style {row.get('s')} of {xfs}")
        last_col = 0
        for c in row:
            if not isinstance(c.tag, str):
                continue
            ref = c.get("r")
            if ref is None:
                col = last_col + 1
            else:
                hit = split_ref(ref)
                if hit is None:
                    report.add(f"{name}: cell reference {ref!r} is malformed")
                    continue
                if hit[0] != r:
                    report.add(f"{name}: cell {ref} inside row {r}")
                col = hit[1]
            if col <= last_col:
                report.add(f"{name}!{ref or col}: cells out of order in row {r}")
            last_col = col
            s = c.get("s")
            if s is not None and int(s) >= xfs:
                report.add(f"{name}!{ref}: style {s} of {xfs}")
            cm = c.get("cm")
            if cm is not None:
                if metadata is None:
                    report.add(f"{name}!{ref}: cm={cm} but the workbook has no metadata part")
                elif not 1 <= int(cm) <= metadata["cell"]:
                    report.add(f"{name}!{ref}: cm={cm} of {metadata['cell']} cell metadata")
                elif not metadata["dynamic"]:
                    report.add(f"{name}!{ref}: cm={cm} but no XLDAPR metadata type")
    for col in root.iterfind(f"{{{ns}}}cols/{{{ns}}}col"):
        if col.get("style") is not None and int(col.get("style")) >= xfs:
            report.add(f"{name}: column style {col.get('style')} of {xfs}")
    for rule in root.iter(f"{{{ns}}}cfRule"):
        d = rule.get("dxfId")
        if d is not None and int(d) >= counts["dxfs"]:
            report.add(f"{name}: conditional format dxfId {d} of {counts['dxfs']}")
    for dv in root.iter(f"{{{ns}}}dataValidation"):
        where = f"{name}!{dv.get('sqref')}"
        for attr, limit in (("prompt", 255), ("error", 225), ("promptTitle", 32),
                            ("errorTitle", 32)):
            if len(dv.get(attr) or "") > limit:
                report.add(f"{where}: validation {attr} is {len(dv.get(attr))} characters "
                           f"(Excel allows {limit})")
        f1 = dv.find(f"{{{ns}}}formula1")
        text = f1.text if f1 is not None and f1.text else ""
        if dv.get("type") == "list" and text.startswith('"') and len(text) - 2 > 255:
            report.add(f"{where}: validation list is {len(text) - 2} characters "
                       "(Excel allows 255)")
    for merged in root.iterfind(f"{{{ns}}}mergeCells/{{{ns}}}mergeCell"):
        if range_of(merged.get("ref", "")) is None:
            report.add(f"{name}: merged range {merged.get('ref')!r} is malformed")


def _tables(pkg: Package, sheet: str, part: str, counts: dict[str, int],
            ids: dict[str, str], names: dict[str, str], report: Report) -> None:
    for rel in pkg.rels(part):
        if not rel.get("Type", "").endswith("/table") or rel.get("TargetMode") == "External":
            continue
        tpart = resolve(part, rel.get("Target", ""))
        root = pkg.xml(tpart)
        if root is None:
            report.add(f"{tpart} is missing or not well-formed")
            continue
        ns = _ns(root)
        tid = root.get("id", "")
        if tid in ids:
            report.add(f"table id {tid} used by {ids[tid]} and {tpart}")
        ids[tid] = tpart
        for key in ("name", "displayName"):
            value = (root.get(key) or "").casefold()
            if value and value in names and names[value] != tpart:
                report.add(f"table name {root.get(key)!r} used twice ({names[value]}, {tpart})")
        names.setdefault((root.get("name") or "").casefold(), tpart)
        names.setdefault((root.get("displayName") or "").casefold(), tpart)
        ref = range_of(root.get("ref", ""))
        if ref is None:
            report.add(f"{tpart}: table ref {root.get('ref')!r} is malformed")
            continue
        columns = root.find(f"{{{ns}}}tableColumns")
        cols = [] if columns is None else [c for c in columns if isinstance(c.tag, str)]
        width = ref[3] - ref[1] + 1
        if len(cols) != width:
            report.add(f"{tpart}: {len(cols)} table columns for a {width}-column ref")
        if columns is not None and columns.get("count") and int(columns.get("count")) != len(cols):
            report.add(f"{tpart}: tableColumns count={columns.get('count')} of {len(cols)}")
        col_ids = [c.get("id") for c in cols]
        if len(set(col_ids)) != len(col_ids):
            report.add(f"{tpart}: table column ids repeat")
        col_names = [(c.get("name") or "").casefold() for c in cols]
        if len(set(col_names)) != len(col_names):
            report.add(f"{tpart}: table column names repeat")
        auto = root.find(f"{{{ns}}}autoFilter")
        if auto is not None:
            inner = range_of(auto.get("ref", ""))
            if inner is None or inner[1] < ref[1] or inner[3] > ref[3]:
                report.add(f"{tpart}: autoFilter {auto.get('ref')!r} outside {root.get('ref')}")
        for attr in ("headerRowDxfId", "dataDxfId", "totalsRowDxfId"):
            d = root.get(attr)
            if d is not None and int(d) >= counts["dxfs"]:
                report.add(f"{tpart}: {attr} {d} of {counts['dxfs']}")


# ------------------------------------------------------------------------------ VBA

def _vba(pkg: Package, report: Report) -> None:
    import olefile

    for name in pkg.names:
        if not name.lower().endswith("vbaproject.bin"):
            continue
        data = pkg.zip.read(name)
        if not olefile.isOleFile(data=data):
            report.add(f"{name} is not a compound file")
            continue
        try:
            ole = olefile.OleFileIO(data)
        except Exception as exc:
            report.add(f"{name}: unreadable compound file ({exc})")
            continue
        for entry in ole.direntries:
            if entry is None:
                continue
            if entry.entry_type == olefile.STGTY_STORAGE and entry.isectStart != 0:
                report.add(f"{name}: storage {entry.name!r} starts at sector "
                           f"{entry.isectStart}, not 0 (MS-CFB 2.6.3)")
        ole.close()
