"""The workbook as an Open Packaging (zip) package: parts, relationships, content types.

pysnop never re-serialises a part it does not own. Parts are copied into the new package
as their original compressed bytes (no inflate/deflate), so a 1,000,000-row Forecast sheet
costs a file copy, and whatever openpyxl could not have understood — shapes, slicers,
form controls, threaded comments — survives a run byte for byte. The listing parts it must
edit ([Content_Types].xml, relationships) are parsed with lxml (``xmlparts``): an entry is
added or removed as an element, every other byte of the document's content stays as the
producer wrote it.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

from lxml import etree

from pysnop.workbook.ooxml.xmlparts import CONTENT_TYPES, PKG_REL, PackageError, parse, q, serialise

CT_PART = "[Content_Types].xml"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_REL = REL_NS + "/worksheet"
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
# the parts pysnop writes (its own sheets, and the few listing parts it edits) are deflated
# at zlib's fastest level: about a third of the time of the default level for a part a
# third larger, until Excel re-saves the file; the user's parts are copied as they are
FAST_LEVEL = 1
# up to this many bytes of parts to write, they are deflated ahead on two threads (the
# compressed parts are then held at once: a few MB); above, each as it is written, so the
# memory a 100,000-row run peaks at in its save is not raised by tens of MB
PARALLEL_DEFLATE_BYTES = 64 << 20


def rels_name(part: str) -> str:
    """``xl/worksheets/sheet1.xml`` -> ``xl/worksheets/_rels/sheet1.xml.rels``."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source_part: str, target: str) -> str:
    """A relationship target, relative to its source part, as a package part name."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative(source_part: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(source_part) or ".")


def parse_rels(data: bytes | str, part: str = "relationships") -> list[dict[str, str]]:
    """Relationships as dicts of their attributes (Id, Type, Target, TargetMode)."""
    root = parse(data.encode("utf-8") if isinstance(data, str) else data, part)
    if root.tag != q(PKG_REL, "Relationships"):
        raise PackageError(f"the part {part} is not a relationships part; nothing was written")
    return [dict(el.attrib) for el in root if el.tag == q(PKG_REL, "Relationship")]


def write_rels(rels: Iterable[dict[str, str]]) -> bytes:
    """A new relationships part (for parts pysnop creates)."""
    root = etree.Element(q(PKG_REL, "Relationships"), nsmap={None: PKG_REL})
    for rel in rels:
        etree.SubElement(root, q(PKG_REL, "Relationship"),
                         {k: v for k, v in rel.items() if v is not None})
    return serialise(root)


class ContentTypes:
    """[Content_Types].xml: Default (by extension) and Override (by part) entries.

    The document is kept as parsed; ``set`` and ``drop`` edit Override elements in place.
    """

    def __init__(self, data: bytes):
        self.root = parse(data, CT_PART)
        if self.root.tag != q(CONTENT_TYPES, "Types"):
            raise PackageError(f"{CT_PART} is not a content types part; nothing was written")
        self.defaults: dict[str, str] = {}
        self._overrides: dict[str, etree._Element] = {}
        for el in self.root:
            if el.tag == q(CONTENT_TYPES, "Default"):
                ext, ctype = el.get("Extension"), el.get("ContentType")
                if not ext or not ctype:
                    raise PackageError(f"{CT_PART}: a Default entry without Extension or "
                                       "ContentType; nothing was written")
                self.defaults[ext.lower()] = ctype
            elif el.tag == q(CONTENT_TYPES, "Override"):
                name, ctype = el.get("PartName"), el.get("ContentType")
                if not name or not ctype:
                    raise PackageError(f"{CT_PART}: an Override entry without PartName or "
                                       "ContentType; nothing was written")
                self._overrides[name.lstrip("/").lower()] = el

    @property
    def overrides(self) -> dict[str, str]:
        return {el.get("PartName").lstrip("/"): el.get("ContentType")
                for el in self._overrides.values()}

    def of(self, part: str) -> str | None:
        el = self._overrides.get(part.lower())
        if el is not None:
            return el.get("ContentType")
        base = posixpath.basename(part)
        ext = base.rsplit(".", 1)[1].lower() if "." in base else ""
        return self.defaults.get(ext)

    def set(self, part: str, content_type: str) -> None:
        el = self._overrides.get(part.lower())
        if el is None:
            el = etree.SubElement(self.root, q(CONTENT_TYPES, "Override"))
            el.set("PartName", "/" + part)
            self._overrides[part.lower()] = el
        el.set("ContentType", content_type)

    def drop(self, part: str) -> None:
        el = self._overrides.pop(part.lower(), None)
        if el is not None:
            self.root.remove(el)

    def xml(self) -> bytes:
        return serialise(self.root)


class Package:
    """A zip package read once; parts are replaced, added or dropped, then written anew."""

    def __init__(self, data: bytes):
        self.data = data
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.infos = {info.filename: info for info in self.zip.infolist()}
        self.changed: dict[str, bytes] = {}
        self.dropped: set[str] = set()
        self.content_types = ContentTypes(self.read(CT_PART))
        self._ct_changed = False

    def names(self) -> list[str]:
        kept = [n for n in self.infos if n not in self.dropped]
        return kept + [n for n in self.changed if n not in self.infos]

    def has(self, part: str) -> bool:
        return part not in self.dropped and (part in self.changed or part in self.infos)

    def read(self, part: str) -> bytes:
        if part in self.changed:
            return self.changed[part]
        try:
            return self.zip.read(part)
        except KeyError:
            raise PackageError(f"the package has no part {part}; nothing was written") from None

    def text(self, part: str) -> str:
        return self.read(part).decode("utf-8")

    def xml(self, part: str) -> etree._Element:
        return parse(self.read(part), part)

    def put(self, part: str, data: bytes | str | etree._Element,
            content_type: str | None = None) -> None:
        if isinstance(data, etree._Element):
            data = serialise(data)
        self.changed[part] = data.encode("utf-8") if isinstance(data, str) else data
        self.dropped.discard(part)
        if content_type is not None and self.content_types.of(part) != content_type:
            self.content_types.set(part, content_type)
            self._ct_changed = True

    def drop(self, part: str) -> None:
        self.changed.pop(part, None)
        self.dropped.add(part)
        if self.content_types.of(part) is not None:
            self.content_types.drop(part)
            self._ct_changed = True

    def rels(self, part: str) -> list[dict[str, str]]:
        name = rels_name(part)
        return parse_rels(self.read(name), name) if self.has(name) else []

    def add_rel(self, part: str, rel_type: str, target: str, rid: str | None = None) -> str:
        """Append a relationship to ``part``'s relationships (made if missing); its Id."""
        name = rels_name(part)
        if self.has(name):
            root = self.xml(name)
        else:
            root = etree.Element(q(PKG_REL, "Relationships"), nsmap={None: PKG_REL})
        taken = {el.get("Id") for el in root}
        if rid is None or rid in taken:
            n = len(taken) + 1
            while f"rId{n}" in taken:
                n += 1
            rid = f"rId{n}"
        etree.SubElement(root, q(PKG_REL, "Relationship"),
                         {"Id": rid, "Type": rel_type, "Target": target})
        self.put(name, root)
        return rid

    def unique_name(self, folder: str, stem: str, ext: str) -> str:
        n = 1
        taken = {name.lower() for name in self.names()}
        while f"{folder}/{stem}{n}.{ext}".lower() in taken:
            n += 1
        return f"{folder}/{stem}{n}.{ext}"

    def save(self, handle: BinaryIO) -> None:
        """Write the package; untouched parts keep their compressed bytes exactly.

        Up to :data:`PARALLEL_DEFLATE_BYTES`, the parts pysnop wrote are deflated first, the
        largest first, two at a time: zlib lets go of the GIL while it deflates, so the second
        core shares the work (the bytes are those zipfile writes, see :func:`_deflate`)."""
        if self._ct_changed or CT_PART in self.changed:
            self.changed[CT_PART] = self.content_types.xml()
        names = sorted(self.changed, key=lambda name: -len(self.changed[name]))
        deflated: dict[str, tuple[int, bytes]] = {}
        if sum(map(len, self.changed.values())) <= PARALLEL_DEFLATE_BYTES:
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pysnop-deflate") as pool:
                deflated = dict(zip(names, pool.map(_deflate,
                                                     (self.changed[n] for n in names))))
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as out:
            def write(name: str) -> None:
                if name not in deflated:  # a large package: deflated as it is written
                    _write(out, name, self.changed[name])
                    return
                crc, raw = deflated[name]
                info = _info(name)
                info.CRC, info.compress_size = crc, len(raw)
                info.file_size = len(self.changed[name])
                _put_raw(out, info, raw)

            if CT_PART in self.changed:
                write(CT_PART)
            elif CT_PART in self.infos:
                self._copy_raw(out, self.infos[CT_PART])
            for name, info in self.infos.items():
                if name == CT_PART or name in self.dropped:
                    continue
                if name in self.changed:
                    write(name)
                else:
                    self._copy_raw(out, info)
            for name in self.changed:
                if name not in self.infos and name != CT_PART:
                    write(name)

    def _copy_raw(self, out: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        raw = self._raw_bytes(info)
        if raw is None:  # an unusual entry: fall back to inflate + deflate
            out.writestr(_info(info.filename), self.zip.read(info.filename))
            return
        copy = zipfile.ZipInfo(info.filename, info.date_time)
        copy.compress_type = info.compress_type
        copy.CRC, copy.compress_size, copy.file_size = info.CRC, info.compress_size, info.file_size
        copy.external_attr, copy.create_system = info.external_attr, info.create_system
        copy.flag_bits = info.flag_bits & 0x800  # keep only "UTF-8 name"; sizes go in the header
        _put_raw(out, copy, raw)

    def _raw_bytes(self, info: zipfile.ZipInfo) -> bytes | None:
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED,
                                                               zipfile.ZIP_DEFLATED):
            return None
        header = self.data[info.header_offset:info.header_offset + _LOCAL_HEADER.size]
        if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            return None
        fields = _LOCAL_HEADER.unpack(header)
        start = info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11]
        return self.data[start:start + info.compress_size]


def _write(out: zipfile.ZipFile, name: str, data: bytes) -> None:
    # a ZipInfo's own level, not the ZipFile's, is the one zipfile uses
    out.writestr(_info(name), data, compresslevel=FAST_LEVEL)


def _deflate(data: bytes) -> tuple[int, bytes]:
    """(CRC-32, raw deflate stream) of a part, as ``ZipFile.writestr`` makes them with a
    ZipInfo at :data:`FAST_LEVEL` (a compressobj with wbits -15 and zlib's default memory
    level), so the zip holds the same bytes it did."""
    deflate = zlib.compressobj(FAST_LEVEL, zlib.DEFLATED, -15)
    return zlib.crc32(data), deflate.compress(data) + deflate.flush()


def _put_raw(out: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes) -> None:
    """Append an entry whose compressed bytes are ``raw`` (``info`` has its CRC and sizes)."""
    info.header_offset = out.fp.tell()
    out.fp.write(info.FileHeader(zip64=info.file_size > 0x7FFFFFFF
                                 or info.compress_size > 0x7FFFFFFF))
    out.fp.write(raw)
    out.start_dir = out.fp.tell()
    out.filelist.append(info)
    out.NameToInfo[info.filename] = info


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info
