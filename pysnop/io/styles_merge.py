"""Append the cell formats of pysnop's sheets to the user's styles.xml without renumbering his.

pysnop renders its sheets in a scratch openpyxl workbook whose cell-format list is seeded
with as many placeholders as the user's workbook has formats, so every format pysnop uses
already carries the index it will have once appended here: sheet XML is transplanted
without rewriting a single ``s="…"``. Only the font/fill/border/number-format ids inside
the appended formats are shifted, and the placeholders are dropped.
"""

from __future__ import annotations

import re

from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.indexed_list import IndexedList

_SECTION = r"<{p}{tag}\b[^>]*?(?:/>|>.*?</{p}{tag}>)"
_COUNT = re.compile(r'\bcount="\d+"')


def prefix_of(xml: str, root: str) -> str:
    """The namespace prefix ('' or 'x:') of the document's main elements."""
    m = re.search(r"<(\w+:)?" + root + r"\b", xml)
    return m.group(1) or "" if m else ""


def add_prefix(snippet: str, prefix: str) -> str:
    """Give every element of an unprefixed snippet the document's prefix."""
    if not prefix:
        return snippet
    return re.sub(r"<(/?)(?=[A-Za-z])(?!\w+:)", rf"<\1{prefix}", snippet)


def children(xml: str, section: str, item: str, prefix: str = "") -> list[str]:
    """The raw XML of each ``item`` element inside ``section`` (e.g. fonts/font)."""
    m = re.search(_SECTION.format(p=re.escape(prefix), tag=section), xml, re.S)
    if not m:
        return []
    body = m.group(0)
    pattern = rf"<{re.escape(prefix)}{item}(?=[\s/>])[^>]*?/>|<{re.escape(prefix)}{item}(?=[\s>])" \
              rf".*?</{re.escape(prefix)}{item}>"
    return re.findall(pattern, body, re.S)


def format_count(styles_xml: str | None) -> int:
    """Number of cell formats (cellXfs) in a styles part; 1 when the part is missing."""
    if not styles_xml:
        return 1
    prefix = prefix_of(styles_xml, "styleSheet")
    return max(1, len(children(styles_xml, "cellXfs", "xf", prefix)))


def seed_scratch_workbook(wb, count: int) -> None:
    """Make the scratch workbook's next cell format index ``count``.

    Placeholders differ in their xfId so that openpyxl's de-duplicating list keeps them.
    """
    seeded = IndexedList([StyleArray()])
    for i in range(1, count):
        placeholder = StyleArray()
        placeholder.xfId = 100000 + i
        seeded.add(placeholder)
    wb._cell_styles = seeded


def _append(xml: str, section: str, items: list[str], prefix: str, before: tuple[str, ...],
            item: str) -> str:
    """Append items to a section (creating it where the schema wants it); fix its count."""
    if not items:
        return xml
    p = re.escape(prefix)
    m = re.search(rf"<{p}{section}\b[^>]*?/>", xml)
    if m:  # an empty, self-closing section
        opening = m.group(0)[:-2].rstrip() + ">"
        xml = xml[:m.start()] + opening + f"</{prefix}{section}>" + xml[m.end():]
    m = re.search(rf"</{p}{section}>", xml)
    if m is None:
        for tag in before:
            hit = re.search(rf"<{p}{tag}\b|</{p}{tag}>", xml)
            if hit:
                xml = xml[:hit.start()] + f'<{prefix}{section} count="0"></{prefix}{section}>' \
                    + xml[hit.start():]
                break
        m = re.search(rf"</{p}{section}>", xml)
    xml = xml[:m.start()] + "".join(items) + xml[m.start():]
    total = len(children(xml, section, item, prefix))
    open_tag = re.search(rf"<{p}{section}\b[^>]*>", xml)
    tag = open_tag.group(0)
    new_tag = _COUNT.sub(f'count="{total}"', tag) if "count=" in tag else \
        tag[:-1] + f' count="{total}">'
    return xml[:open_tag.start()] + new_tag + xml[open_tag.end():]


def _attr(element: str, name: str) -> str | None:
    m = re.search(rf'\b{name}="([^"]*)"', element)
    return m.group(1) if m else None


def _set_attr(element: str, name: str, value: str) -> str:
    if re.search(rf'\b{name}="', element):
        return re.sub(rf'\b{name}="[^"]*"', f'{name}="{value}"', element, count=1)
    return re.sub(r"^(<[\w:]+)", rf'\1 {name}="{value}"', element, count=1)


ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
         "tableStyles", "colors", "extLst")


def merge_styles(target_xml: str, scratch_xml: str, first_new: int) -> tuple[str, dict[int, int]]:
    """Append the scratch formats numbered ``first_new`` and above to ``target_xml``.

    Returns the new styles part and the map of scratch dxf ids to target dxf ids.
    """
    p = prefix_of(target_xml, "styleSheet")
    sp = prefix_of(scratch_xml, "styleSheet")

    def after(section):
        return ORDER[ORDER.index(section) + 1:] + ("/styleSheet",)

    offsets = {}
    for section, item in (("fonts", "font"), ("fills", "fill"), ("borders", "border")):
        offsets[item] = len(children(target_xml, section, item, p))
        target_xml = _append(target_xml, section,
                             [add_prefix(x, p) for x in children(scratch_xml, section, item, sp)],
                             p, after(section), item)

    existing = {_attr(f, "formatCode"): int(_attr(f, "numFmtId"))
                for f in children(target_xml, "numFmts", "numFmt", p)}
    next_id = max([163, *existing.values()]) + 1
    fmt_map: dict[int, int] = {}
    new_fmts = []
    for f in children(scratch_xml, "numFmts", "numFmt", sp):
        code, old = _attr(f, "formatCode"), int(_attr(f, "numFmtId"))
        if code in existing:
            fmt_map[old] = existing[code]
            continue
        fmt_map[old] = existing[code] = next_id
        new_fmts.append(add_prefix(_set_attr(f, "numFmtId", str(next_id)), p))
        next_id += 1
    target_xml = _append(target_xml, "numFmts", new_fmts, p, after("numFmts"), "numFmt")

    xfs = []
    for xf in children(scratch_xml, "cellXfs", "xf", sp)[first_new:]:
        for name, key in (("fontId", "font"), ("fillId", "fill"), ("borderId", "border")):
            value = _attr(xf, name)
            if value is not None:
                xf = _set_attr(xf, name, str(int(value) + offsets[key]))
        fmt = _attr(xf, "numFmtId")
        if fmt is not None and int(fmt) in fmt_map:
            xf = _set_attr(xf, "numFmtId", str(fmt_map[int(fmt)]))
        xfs.append(add_prefix(_set_attr(xf, "xfId", "0"), p))
    target_xml = _append(target_xml, "cellXfs", xfs, p, after("cellXfs"), "xf")

    dxf_base = len(children(target_xml, "dxfs", "dxf", p))
    dxfs = children(scratch_xml, "dxfs", "dxf", sp)
    target_xml = _append(target_xml, "dxfs", [add_prefix(d, p) for d in dxfs], p, after("dxfs"),
                         "dxf")
    return target_xml, {i: dxf_base + i for i in range(len(dxfs))}
