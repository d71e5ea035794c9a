"""An OLE compound file [MS-CFB] version 3 writer: 512-byte sectors, a mini stream for
streams under 4096 bytes, a balanced red-black directory tree, a header-only DIFAT.

Enough for a VBA project (:mod:`pysnop.addin.ovba`); olefile and oletools read it back in
the tests.
"""

from __future__ import annotations

import struct

SECTOR, MINI, CUTOFF = 512, 64, 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b""):
        self.name, self.kind, self.data = name, kind, data
        self.children: list[_Entry] = []
        self.left = self.right = self.child = NOSTREAM
        self.red = False
        # [MS-CFB] 2.6.3: a storage's starting sector and size MUST be zero; a stream (or the
        # root before it gets the mini stream) starts at ENDOFCHAIN until it is allocated
        self.start, self.size = (0 if kind == 1 else ENDOFCHAIN), 0
        self.id = 0


def _key(entry: _Entry):
    # [MS-CFB] 2.6.4: shorter names first, then by upper-cased name
    return (len(entry.name), entry.name.upper())


def _tree(children: list[_Entry]) -> int:
    """A balanced binary search tree over the siblings; returns the root's id. Nodes on the
    last, incomplete level are red, all others black: a valid red-black tree."""
    ordered = sorted(children, key=_key)
    if not ordered:
        return NOSTREAM
    full = (len(ordered) + 1).bit_length() - 1  # complete levels

    def build(items, depth):
        if not items:
            return NOSTREAM
        mid = len(items) // 2
        node = items[mid]
        node.red = depth >= full
        node.left = build(items[:mid], depth + 1)
        node.right = build(items[mid + 1:], depth + 1)
        return node.id

    return build(ordered, 0)


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (MS-CFB v3) holding ``streams`` ({"VBA/dir": bytes, ...})."""
    root = _Entry("Root Entry", 5)
    entries = [root]
    storages = {"": root}
    for path in sorted(streams):
        parts = path.split("/")
        parent = root
        for depth in range(1, len(parts)):
            key = "/".join(parts[:depth])
            if key not in storages:
                storage = _Entry(parts[depth - 1], 1)
                storages[key] = storage
                parent.children.append(storage)
                entries.append(storage)
            parent = storages[key]
        stream = _Entry(parts[-1], 2, streams[path])
        parent.children.append(stream)
        entries.append(stream)
    for i, entry in enumerate(entries):
        entry.id = i
        if len(entry.name) > 31:
            raise ValueError(f"name too long for a compound file: {entry.name}")
    for entry in entries:
        if entry.kind in (1, 5):
            entry.child = _tree(entry.children)

    # mini stream: the small streams, in 64-byte mini sectors
    mini = bytearray()
    minifat: list[int] = []
    big = []
    for entry in entries:
        if entry.kind != 2:
            continue
        entry.size = len(entry.data)
        if entry.size == 0:
            continue
        if entry.size < CUTOFF:
            first = len(mini) // MINI
            count = -(-entry.size // MINI)
            entry.start = first
            minifat += [first + k + 1 for k in range(count - 1)] + [ENDOFCHAIN]
            mini += entry.data + b"\x00" * (count * MINI - entry.size)
        else:
            big.append(entry)

    sectors: list[bytes] = []
    fat: list[int] = []

    def allocate(data: bytes, marker: int | None = None) -> int:
        count = max(1, -(-len(data) // SECTOR))
        first = len(sectors)
        for k in range(count):
            sectors.append(data[k * SECTOR:(k + 1) * SECTOR].ljust(SECTOR, b"\x00"))
            fat.append(marker if marker is not None else
                       (first + k + 1 if k < count - 1 else ENDOFCHAIN))
        return first

    for entry in big:
        entry.start = allocate(entry.data)
    if mini:
        root.start = allocate(bytes(mini))
        root.size = len(mini)
    minifat_start, minifat_count = ENDOFCHAIN, 0
    if minifat:
        data = b"".join(struct.pack("<I", v) for v in minifat)
        data += struct.pack("<I", FREESECT) * ((-len(minifat)) % (SECTOR // 4))
        minifat_start = allocate(data)
        minifat_count = len(data) // SECTOR
    directory = b"".join(_dir_entry(e) for e in entries)
    directory += _empty_entry() * ((-len(entries)) % (SECTOR // 128))
    dir_start = allocate(directory)
    # FAT sectors: enough to describe every sector, themselves included
    n_fat = 1
    while n_fat * (SECTOR // 4) < len(sectors) + n_fat:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("compound file too large for a header-only DIFAT")
    fat_start = len(sectors)
    fat += [FATSECT] * n_fat
    fat += [FREESECT] * (n_fat * (SECTOR // 4) - len(fat))
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    for k in range(n_fat):
        sectors.append(fat_bytes[k * SECTOR:(k + 1) * SECTOR])

    header = bytearray()
    header += bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, n_fat, dir_start, 0, CUTOFF, minifat_start,
                          minifat_count, ENDOFCHAIN, 0)
    difat = [fat_start + k for k in range(n_fat)] + [FREESECT] * (109 - n_fat)
    header += b"".join(struct.pack("<I", v) for v in difat)
    assert len(header) == SECTOR
    return bytes(header) + b"".join(sectors)


def _dir_entry(e: _Entry) -> bytes:
    name = e.name.encode("utf-16-le") + b"\x00\x00"
    return (name.ljust(64, b"\x00") + struct.pack("<HBB", len(name), e.kind, 0 if e.red else 1)
            + struct.pack("<III", e.left, e.right, e.child) + b"\x00" * 16
            + struct.pack("<I", 0) + b"\x00" * 16 + struct.pack("<IQ", e.start, e.size))


def _empty_entry() -> bytes:
    return (b"\x00" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NOSTREAM,
            NOSTREAM, NOSTREAM) + b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
            + struct.pack("<IQ", 0, 0))


__all__ = ["compound_file"]
