"""The VBA project of an Office file, written from [MS-OVBA] (``xl/vbaProject.bin``).

* streams ``PROJECT`` (text properties; CMG/DPB/GC encrypted as §2.4.3 says: unprotected,
  no password, visible), ``PROJECTwm`` (module names), ``VBA/_VBA_PROJECT`` (version 0xFFFF:
  no compiled cache, so Excel compiles the source on first load), ``VBA/dir`` (project
  information, references to stdole and the Office library — for ``IRibbonControl`` — and
  one record set per module; compressed) and one stream per module holding its compressed
  source (§2.4.1 compression);
* in an OLE compound file written by :func:`pysnop.addin.cfb.compound_file`.

The output is deterministic (fixed project GUID and encryption seeds).
"""

from __future__ import annotations

import re
import struct

from pysnop.addin.cfb import compound_file

PROJECT_NAME = "PysnopAddin"
PROJECT_ID = "{5C9F3B1E-7A2D-4E8B-9C61-0D4F2A7B8E31}"
CODEPAGE = 1252


def module_name(source: str) -> str:
    m = re.search(r'^Attribute VB_Name = "([^"]+)"', source, re.M)
    if not m:
        raise ValueError("a VBA module must start with Attribute VB_Name = \"...\"")
    return m.group(1)


def compress(data: bytes) -> bytes:
    """[MS-OVBA] 2.4.1 compression: a CompressedContainer of 4096-byte chunks."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        body = _compress_chunk(chunk)
        if len(body) + 2 > 4098 or (len(chunk) == 4096 and len(body) >= 4096):
            if len(chunk) < 4096:  # a raw chunk is always 4096 bytes: pad (never for text)
                chunk = chunk + b"\x00" * (4096 - len(chunk))
            out += struct.pack("<H", 0x3000 | 0x0FFF) + chunk
        else:
            out += struct.pack("<H", 0x8000 | 0x3000 | (len(body) + 2 - 3)) + body
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    pos, n = 0, len(chunk)
    table: dict[bytes, list[int]] = {}
    while pos < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            bit_count = max((pos - 1).bit_length(), 4) if pos > 0 else 4
            max_len = (0xFFFF >> bit_count) + 3
            best_len, best_off = 0, 0
            if pos > 0 and pos + 3 <= n:
                for cand in reversed(table.get(chunk[pos:pos + 3], [])[-64:]):
                    length = 0
                    limit = min(max_len, n - pos)
                    while length < limit and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = best_len
            else:
                out.append(chunk[pos])
                step = 1
            for p in range(pos, pos + step):
                if p + 3 <= n:
                    table.setdefault(chunk[p:p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def encrypt(data: bytes, project_id: str = PROJECT_ID, seed: int = 0x5D) -> str:
    """[MS-OVBA] 2.4.3.2 Data Encryption (for the PROJECT stream's CMG, DPB and GC)."""
    version = 2
    out = bytearray([seed, seed ^ version])
    proj_key = sum(project_id.encode("ascii")) & 0xFF
    out.append(seed ^ proj_key)
    unencrypted1, encrypted1, encrypted2 = proj_key, out[2], out[1]
    ignored = [seed] * ((seed & 6) // 2)  # VBA repeats one byte here too
    for byte in [*ignored, *struct.pack("<I", len(data)), *data]:
        enc = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(enc)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    return out.hex().upper()


def _rec(rid: int, payload: bytes) -> bytes:
    return struct.pack("<HI", rid, len(payload)) + payload


def _mbcs(text: str) -> bytes:
    return text.encode("cp1252")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _text_pair(rid: int, reserved: int, text: str) -> bytes:
    return _rec(rid, _mbcs(text)) + _rec(reserved, _utf16(text))


REFERENCES = (
    ("stdole", "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
               "C:\\Windows\\System32\\stdole2.tlb#OLE Automation"),
    ("Office", "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
               "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL#"
               "Microsoft Office 16.0 Object Library"),
)


def dir_stream(modules: list[tuple[str, bool]]) -> bytes:
    """The uncompressed ``VBA/dir`` stream: (module name, is document module) each."""
    d = bytearray()
    d += _rec(0x0001, struct.pack("<I", 1))            # PROJECTSYSKIND: Win32
    d += _rec(0x0002, struct.pack("<I", 0x0409))       # PROJECTLCID
    d += _rec(0x0014, struct.pack("<I", 0x0409))       # PROJECTLCIDINVOKE
    d += _rec(0x0003, struct.pack("<H", CODEPAGE))     # PROJECTCODEPAGE
    d += _rec(0x0004, _mbcs(PROJECT_NAME))             # PROJECTNAME
    d += _text_pair(0x0005, 0x0040, "")                # PROJECTDOCSTRING
    d += _text_pair(0x0006, 0x003D, "")                # PROJECTHELPFILEPATH
    d += _rec(0x0007, struct.pack("<I", 0))            # PROJECTHELPCONTEXT
    d += _rec(0x0008, struct.pack("<I", 0))            # PROJECTLIBFLAGS
    d += struct.pack("<HIIH", 0x0009, 4, 1, 0)         # PROJECTVERSION (Reserved=4, 1.0)
    d += _text_pair(0x000C, 0x003C, "")                # PROJECTCONSTANTS
    for name, libid in REFERENCES:                     # REFERENCENAME + REFERENCEREGISTERED
        d += _text_pair(0x0016, 0x003E, name)
        lib = _mbcs(libid)
        d += _rec(0x000D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    d += _rec(0x000F, struct.pack("<H", len(modules)))  # PROJECTMODULES
    d += _rec(0x0013, struct.pack("<H", 0xFFFF))        # PROJECTCOOKIE
    for name, document in modules:
        d += _rec(0x0019, _mbcs(name))                  # MODULENAME
        d += _rec(0x0047, _utf16(name))                 # MODULENAMEUNICODE
        d += _text_pair(0x001A, 0x0032, name)           # MODULESTREAMNAME
        d += _text_pair(0x001C, 0x0048, "")             # MODULEDOCSTRING
        d += _rec(0x0031, struct.pack("<I", 0))         # MODULEOFFSET: no p-code cache
        d += _rec(0x001E, struct.pack("<I", 0))         # MODULEHELPCONTEXT
        d += _rec(0x002C, struct.pack("<H", 0xFFFF))    # MODULECOOKIE
        d += _rec(0x0022 if document else 0x0021, b"")  # MODULETYPE
        d += _rec(0x002B, b"")                          # module terminator
    d += _rec(0x0010, b"")                              # dir terminator
    return bytes(d)


def project_stream(modules: list[tuple[str, bool]]) -> bytes:
    lines = [f'ID="{PROJECT_ID}"']
    for name, document in modules:
        lines.append(f"Document={name}/&H00000000" if document else f"Module={name}")
    cmg = encrypt(struct.pack("<I", 0), seed=0x5D)  # not protected
    dpb = encrypt(bytes([0x00]), seed=0x5F)          # no password
    gc = encrypt(bytes([0xFF]), seed=0x61)           # visible
    lines += [f'Name="{PROJECT_NAME}"', 'HelpContextID="0"', 'VersionCompatible32="393222000"',
              f'CMG="{cmg}"', f'DPB="{dpb}"', f'GC="{gc}"',
              "", "[Host Extender Info]",
              "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000", "",
              "[Workspace]"]
    lines += [f"{name}=0, 0, 0, 0, C" for name, _ in modules]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def projectwm_stream(modules: list[tuple[str, bool]]) -> bytes:
    out = bytearray()
    for name, _ in modules:
        out += _mbcs(name) + b"\x00" + _utf16(name) + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def vba_project(sources: list[tuple[str, bool]]) -> bytes:
    """vbaProject.bin from module sources: (VBA text, is document module) each."""
    modules, streams = [], {}
    for text, document in sources:
        name = module_name(text)
        modules.append((name, document))
        code = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("cp1252")
        streams[f"VBA/{name}"] = compress(code)
    streams["VBA/dir"] = compress(dir_stream(modules))
    streams["VBA/_VBA_PROJECT"] = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0, 0)
    streams["PROJECT"] = project_stream(modules)
    streams["PROJECTwm"] = projectwm_stream(modules)
    return compound_file(streams)


__all__ = ["CODEPAGE", "PROJECT_ID", "PROJECT_NAME", "compress", "dir_stream", "encrypt",
           "module_name", "project_stream", "projectwm_stream", "vba_project"]
