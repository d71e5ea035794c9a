"""Checks on a workbook package before any parser touches it.

An .xlsx/.xlsm/.ods file is a zip of XML parts. Two classic attacks hide in that shape:

* a **zip bomb**: a small file whose members inflate to gigabytes (or thousands of members),
  exhausting memory or disk of whoever opens it;
* an **XML entity bomb** ("billion laughs") or an external entity (XXE): a ``<!DOCTYPE>``
  with ``<!ENTITY>`` declarations that expand exponentially or pull in local files.

:func:`check_package` refuses both before python-calamine or openpyxl read a byte of XML:

* the zip's central directory is read (no decompression) and the member count, the total
  declared uncompressed size and each large member's compression ratio are checked against
  :data:`LIMITS`;
* every zip entry name must be a safe part name (:func:`unsafe_name`: no ``..``, no absolute
  path or drive, no backslash, no two names for one part);
* every XML part (``.xml``, ``.rels``, ``.vml`` and anything that starts like XML) is parsed
  with ``defusedxml`` with DTDs forbidden, up to its root element only: a document type
  declaration may only appear before the root element, so this reads a few hundred bytes per
  part and any ``<!DOCTYPE``/``<!ENTITY>`` is refused. Office never writes a DTD.

Decompression itself is bounded too: zip readers (Python's ``zipfile``, the Rust ``zip`` crate
under calamine) stop at the size a member declares, so a member cannot inflate beyond the
size checked here.

Macros: pysnop never runs VBA. An .xlsm's ``xl/vbaProject.bin`` is an opaque OLE blob that
openpyxl carries through a write byte for byte (``keep_vba=True``); nothing in pysnop loads,
parses or executes it (tested in ``tests/hardening/test_roundtrip.py``).

Non-zip formats (.xls is an OLE compound file) are only checked for their overall size.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from pysnop.errors import FileAccessError

GiB = 1024 ** 3
MiB = 1024 ** 2


@dataclass(frozen=True)
class Limits:
    """Size limits for one workbook package (override through :func:`set_limits`).

    The defaults leave ample room for a workbook at Excel's own limits (a 1,048,576-row
    Forecast sheet unpacks to about 100-200 MB of XML at ratios of 5-20:1).
    """

    max_file_bytes: int = 2 * GiB           # the file on disk
    max_total_uncompressed: int = 4 * GiB   # sum of declared member sizes
    max_member_uncompressed: int = 2 * GiB  # one member
    max_members: int = 10_000               # parts in the package
    max_ratio: float = 250.0                # uncompressed / compressed, per member ...
    ratio_floor: int = 16 * MiB             # ... checked only for members at least this big
    max_prolog_bytes: int = 64 * 1024       # bytes read from an XML part to reach its root


LIMITS = Limits()
_PASSED: set[tuple[bytes, Limits]] = set()  # contents found safe in this process, by digest


def set_limits(**changes) -> Limits:
    """Change the process-wide limits (e.g. ``set_limits(max_total_uncompressed=8 * GiB)``)."""
    global LIMITS
    LIMITS = replace(LIMITS, **changes)
    return LIMITS


class UnsafeWorkbookError(FileAccessError):
    """The package looks like an attack (zip bomb, XML entity declarations): refused unread."""


XML_SUFFIXES = (".xml", ".rels", ".vml")
_XML_STARTS = (b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00")


def _size(n: int) -> str:
    if n >= GiB:
        return f"{n / GiB:.1f} GiB"
    if n >= MiB:
        return f"{n / MiB:.0f} MB"
    return f"{n:,} bytes"


def check_package(source: str | os.PathLike | BinaryIO | bytes, *, name: str | None = None,
                  limits: Limits | None = None) -> None:
    """Raise :class:`UnsafeWorkbookError` if ``source`` is a zip/XML bomb; else return.

    ``source`` is a path, a binary file object or the file's bytes. A file that is not a zip
    at all is left to the parser (which reports "not an Excel workbook").
    """
    lim = limits or LIMITS
    label = name or "the workbook"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        label = name or path.name
        try:
            size = path.stat().st_size
        except OSError:
            return  # missing/unreadable: the opener reports it with the right words
        if size > lim.max_file_bytes:
            raise UnsafeWorkbookError(f"cannot open {label}: the file is {_size(size)}, over "
                                      f"pysnop's limit of {_size(lim.max_file_bytes)}")
        try:
            source = path.read_bytes()
        except OSError:
            return
    if isinstance(source, (bytes, bytearray, memoryview)):
        # one run checks the same file several times (before computing, reading, writing)
        key = (hashlib.sha256(source).digest(), lim)
        if key in _PASSED:
            return
        _check_zip(io.BytesIO(source), label, len(source), lim)
        _PASSED.add(key)
        return
    _check_zip(source, label, None, lim)


def _check_zip(fileobj: BinaryIO, label: str, size: int | None, lim: Limits) -> None:
    try:
        zf = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip (e.g. .xls): nothing to inflate
    with zf:
        infos = zf.infolist()
        if len(infos) > lim.max_members:
            raise UnsafeWorkbookError(
                f"cannot open {label}: the file holds {len(infos):,} parts, over pysnop's "
                f"limit of {lim.max_members:,}; refused as a possible zip bomb")
        _check_names([info.filename for info in infos], label)
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > lim.max_member_uncompressed:
                raise UnsafeWorkbookError(
                    f"cannot open {label}: the part {info.filename} unpacks to "
                    f"{_size(info.file_size)}, over pysnop's limit of "
                    f"{_size(lim.max_member_uncompressed)}; refused as a possible zip bomb")
            if info.file_size >= lim.ratio_floor:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > lim.max_ratio:
                    raise UnsafeWorkbookError(
                        f"cannot open {label}: the part {info.filename} is compressed "
                        f"{ratio:,.0f}:1 ({_size(info.compress_size)} unpacking to "
                        f"{_size(info.file_size)}), over pysnop's limit of "
                        f"{lim.max_ratio:,.0f}:1; refused as a possible zip bomb")
        if total > lim.max_total_uncompressed:
            raise UnsafeWorkbookError(
                f"cannot open {label}: it unpacks to {_size(total)}, over pysnop's limit of "
                f"{_size(lim.max_total_uncompressed)}; refused as a possible zip bomb")
        for info in infos:
            if info.is_dir() or info.file_size == 0:
                continue
            _check_xml_part(zf, info, label, lim)


def unsafe_name(name: str) -> str | None:
    """Why a zip entry name is not a safe part name (None when it is).

    Office Open XML part names are relative, forward-slash paths without ``.``/``..``
    segments (ECMA-376 Part 2, 6.2.2); a name that climbs out of a folder or names an
    absolute path is what "zip slip" attacks use, on whatever unpacks the file later.
    """
    if "\\" in name:
        return "contains a backslash"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        return "is an absolute path"
    if any(segment in ("..", ".") for segment in name.split("/")):
        return "has a '..' or '.' segment"
    if "\x00" in name:
        return "contains a NUL character"
    return None


def _check_names(names: list[str], label: str) -> None:
    seen: dict[str, str] = {}
    for name in names:
        why = unsafe_name(name)
        if why:
            shown = name if len(name) <= 80 else name[:77] + "..."
            raise UnsafeWorkbookError(f"cannot open {label}: the zip entry {shown!r} {why}; "
                                      "refused as an unsafe part name")
        key = name.casefold()
        if key in seen:  # part names are case-insensitive (ECMA-376 Part 2, 6.2.2.3)
            raise UnsafeWorkbookError(f"cannot open {label}: the zip entries {seen[key]!r} "
                                      f"and {name!r} name the same part; refused")
        seen[key] = name


class _Prolog(io.RawIOBase):
    """A member stream capped at ``limit`` bytes, for the parser to read the prolog from."""

    def __init__(self, stream, limit: int):
        self.stream, self.left = stream, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            return 0
        n = min(len(buffer), self.left, 4096)
        data = self.stream.read(n)
        buffer[:len(data)] = data
        self.left -= len(data)
        return len(data)


def _check_xml_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str,
                    lim: Limits) -> None:
    try:
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import iterparse
    except ImportError:  # pragma: no cover - defusedxml is a dependency; keep a safe fallback
        return _scan_xml_part(zf, info, label, lim)
    from xml.etree.ElementTree import ParseError

    try:
        stream = zf.open(info)
    except Exception:  # encrypted member, unsupported compression: the parser will say so
        return
    with stream:
        head = stream.read(4)
        is_xml = info.filename.lower().endswith(XML_SUFFIXES) or head.startswith(_XML_STARTS)
        if not is_xml:
            return
        raw = _Prolog(stream, lim.max_prolog_bytes)
        source = _Chain(head, io.BufferedReader(raw))
        try:
            for _event, _elem in iterparse(source, events=("start",), forbid_dtd=True,
                                           forbid_entities=True, forbid_external=True):
                return  # reached the root element: no DTD can follow
        except DefusedXmlException as exc:
            raise UnsafeWorkbookError(
                f"cannot open {label}: the part {info.filename} declares XML entities "
                f"(<!DOCTYPE>/<!ENTITY>), which Excel never writes; refused as a possible "
                f"XML entity bomb") from exc
        except ParseError:
            if raw.left <= 0:  # a prolog longer than any Office part: hiding something
                raise UnsafeWorkbookError(
                    f"cannot open {label}: the part {info.filename} has no XML element in "
                    f"its first {_size(lim.max_prolog_bytes)}; refused as malformed") from None
            return  # malformed: the real parser reports it
        except Exception:
            return


class _Chain(io.RawIOBase):
    """``head`` bytes followed by the rest of ``stream``."""

    def __init__(self, head: bytes, stream):
        self.head, self.stream = head, stream

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n is None or n < 0:
                data, self.head = self.head + self.stream.read(), b""
                return data
            data, self.head = self.head[:n], self.head[n:]
            if len(data) < n:
                data += self.stream.read(n - len(data))
            return data
        return self.stream.read(n)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _scan_xml_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, lim: Limits) -> None:
    """Without defusedxml: refuse any DOCTYPE/ENTITY in the part's first bytes."""
    with zf.open(info) as stream:
        head = stream.read(lim.max_prolog_bytes)
    if not (info.filename.lower().endswith(XML_SUFFIXES) or head.startswith(_XML_STARTS)):
        return
    texts = [head]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:4]:
        for codec in ("utf-16-le", "utf-16-be"):
            texts.append(head.decode(codec, "ignore").encode("utf-8", "ignore"))
    if any(b"<!doctype" in t.lower() or b"<!entity" in t.lower() for t in texts):
        raise UnsafeWorkbookError(
            f"cannot open {label}: the part {info.filename} declares XML entities "
            f"(<!DOCTYPE>/<!ENTITY>), which Excel never writes; refused as a possible "
            f"XML entity bomb")
