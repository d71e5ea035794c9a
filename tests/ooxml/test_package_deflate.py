"""Package.save deflates pysnop's parts on two threads; the zip must hold the bytes
``ZipFile.writestr`` would have written for them (zipfile is the oracle)."""

from __future__ import annotations

import io
import zipfile

from pysnop.workbook.ooxml.package import FAST_LEVEL, Package


def _writestr_entry(name: str, data: bytes) -> tuple[int, bytes]:
    """(CRC, compressed bytes) of ``name`` as zipfile writes it at pysnop's level."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, data, compresslevel=FAST_LEVEL)
    with zipfile.ZipFile(buf) as z:
        got = z.getinfo(name)
        start = got.header_offset + 30 + len(got.filename.encode()) + len(got.extra)
        return got.CRC, buf.getvalue()[start:start + got.compress_size]


def _source() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'content-types"/>')
        z.writestr("xl/keep.xml", b"<keep/>" * 1000)
        z.writestr("xl/edit.xml", b"<old/>")
    return buf.getvalue()


def test_written_parts_are_the_bytes_writestr_makes_and_the_rest_is_copied():
    big = b"<row>" + "é and <text>".encode() * 200_000 + b"</row>"  # several MB, two threads
    pkg = Package(_source())
    pkg.changed["xl/edit.xml"] = big
    pkg.changed["xl/new.xml"] = b"<new/>"
    out = io.BytesIO()
    pkg.save(out)
    data = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        assert z.read("xl/edit.xml") == big and z.read("xl/new.xml") == b"<new/>"
        assert z.read("xl/keep.xml") == b"<keep/>" * 1000
        for name, part in (("xl/edit.xml", big), ("xl/new.xml", b"<new/>")):
            info = z.getinfo(name)
            start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
            assert (info.CRC, data[start:start + info.compress_size]) == \
                _writestr_entry(name, part)


def test_a_large_package_is_deflated_as_it_is_written_into_the_same_bytes(monkeypatch):
    """Above PARALLEL_DEFLATE_BYTES the parts go through ZipFile.writestr one by one (memory
    bounded); the zip is byte for byte the one the parallel path writes."""
    import pysnop.workbook.ooxml.package as package

    def saved():
        pkg = Package(_source())
        pkg.changed["xl/edit.xml"] = b"<row>" + b"text " * 50_000 + b"</row>"
        pkg.changed["xl/new.xml"] = b"<new/>"
        out = io.BytesIO()
        pkg.save(out)
        return out.getvalue()

    parallel = saved()
    monkeypatch.setattr(package, "PARALLEL_DEFLATE_BYTES", 0)
    calls = []
    real = package._deflate
    monkeypatch.setattr(package, "_deflate", lambda data: calls.append(data) or real(data))
    assert saved() == parallel and calls == []
