"""The workbook as an Open Packaging (zip) package: parts, relationships, content types.

pysnop never re-serialises a part it does not own. Parts are copied into the new package
as their original compressed bytes (no inflate/deflate), so a 1,000,000-row Forecast sheet
costs a file copy, and whatever openpyxl could not have understood — shapes, slicers,
form controls, threaded comments — survives a run byte for byte.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
from typing import BinaryIO, Iterable
from xml.sax.saxutils import escape, quoteattr

CT_PART = "[Content_Types].xml"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_REL = REL_NS + "/worksheet"
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


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


_REL_RE = re.compile(r"<Relationship\b[^>]*?/>", re.S)
_ATTR_RE = re.compile(r'(\w+)="([^"]*)"')


def parse_rels(xml: str) -> list[dict[str, str]]:
    """Relationships as dicts of their attributes (Id, Type, Target, TargetMode)."""
    return [dict(_ATTR_RE.findall(m.group(0))) for m in _REL_RE.finditer(xml)]


def write_rels(rels: Iterable[dict[str, str]]) -> str:
    body = "".join(
        "<Relationship " + " ".join(f"{k}={quoteattr(v)}" for k, v in rel.items()) + "/>"
        for rel in rels)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + body + "</Relationships>")


class ContentTypes:
    """[Content_Types].xml: Default (by extension) and Override (by part) entries."""

    _DEFAULT = re.compile(r'<Default\b[^>]*?Extension="([^"]+)"[^>]*?ContentType="([^"]+)"[^>]*/>')
    _OVERRIDE = re.compile(r'<Override\b[^>]*?PartName="([^"]+)"[^>]*?ContentType="([^"]+)"'
                           r'[^>]*/>')

    def __init__(self, xml: str):
        self.defaults = {ext.lower(): ct for ext, ct in self._DEFAULT.findall(xml)}
        self.overrides = {name.lstrip("/"): ct for name, ct in self._OVERRIDE.findall(xml)}

    def of(self, part: str) -> str | None:
        if part in self.overrides:
            return self.overrides[part]
        return self.defaults.get(posixpath.splitext(part)[1].lstrip(".").lower())

    def set(self, part: str, content_type: str) -> None:
        self.overrides[part] = content_type

    def drop(self, part: str) -> None:
        self.overrides.pop(part, None)

    def xml(self) -> str:
        defaults = "".join(f"<Default Extension={quoteattr(e)} ContentType={quoteattr(c)}/>"
                           for e, c in self.defaults.items())
        overrides = "".join(f"<Override PartName={quoteattr('/' + p)} ContentType={quoteattr(c)}/>"
                            for p, c in self.overrides.items())
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns='
                '"http://schemas.openxmlformats.org/package/2006/content-types">'
                + defaults + overrides + "</Types>")


class Package:
    """A zip package read once; parts are replaced, added or dropped, then written anew."""

    def __init__(self, data: bytes):
        self.data = data
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.infos = {info.filename: info for info in self.zip.infolist()}
        self.changed: dict[str, bytes] = {}
        self.dropped: set[str] = set()
        self.content_types = ContentTypes(self.text(CT_PART))

    def names(self) -> list[str]:
        kept = [n for n in self.infos if n not in self.dropped]
        return kept + [n for n in self.changed if n not in self.infos]

    def has(self, part: str) -> bool:
        return part not in self.dropped and (part in self.changed or part in self.infos)

    def read(self, part: str) -> bytes:
        if part in self.changed:
            return self.changed[part]
        return self.zip.read(part)

    def text(self, part: str) -> str:
        return self.read(part).decode("utf-8")

    def put(self, part: str, data: bytes | str, content_type: str | None = None) -> None:
        self.changed[part] = data.encode("utf-8") if isinstance(data, str) else data
        self.dropped.discard(part)
        if content_type is not None and self.content_types.of(part) != content_type:
            self.content_types.set(part, content_type)

    def drop(self, part: str) -> None:
        self.changed.pop(part, None)
        self.dropped.add(part)
        self.content_types.drop(part)

    def rels(self, part: str) -> list[dict[str, str]]:
        name = rels_name(part)
        return parse_rels(self.text(name)) if self.has(name) else []

    def unique_name(self, folder: str, stem: str, ext: str) -> str:
        n = 1
        while self.has(f"{folder}/{stem}{n}.{ext}"):
            n += 1
        return f"{folder}/{stem}{n}.{ext}"

    def save(self, handle: BinaryIO) -> None:
        """Write the package; untouched parts keep their compressed bytes exactly."""
        self.put(CT_PART, self.content_types.xml())
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
            out.writestr(_info(CT_PART), self.changed[CT_PART])
            for name, info in self.infos.items():
                if name == CT_PART or name in self.dropped:
                    continue
                if name in self.changed:
                    out.writestr(_info(name), self.changed[name])
                else:
                    self._copy_raw(out, info)
            for name, data in self.changed.items():
                if name not in self.infos and name != CT_PART:
                    out.writestr(_info(name), data)

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
        copy.header_offset = out.fp.tell()
        out.fp.write(copy.FileHeader(zip64=info.file_size > 0x7FFFFFFF
                                     or info.compress_size > 0x7FFFFFFF))
        out.fp.write(raw)
        out.start_dir = out.fp.tell()
        out.filelist.append(copy)
        out.NameToInfo[copy.filename] = copy

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


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


def xml_text(value: str) -> str:
    return escape(value)
