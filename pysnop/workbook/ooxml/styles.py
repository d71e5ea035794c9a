"""Append the cell formats of pysnop's sheets to the user's styles.xml without renumbering his.

pysnop renders its sheets in a scratch openpyxl workbook that starts with the user's own
style tables (read by openpyxl's stylesheet reader, which keeps every entry in its place).
A format pysnop needs that the workbook already has — the user's, or pysnop's from the last
run — is reused; a new one is appended after the user's and gets the index it will have in
the user's styles.xml. So sheet XML moves over without rewriting a single ``s="…"``, and
re-running pysnop does not grow the style tables. Only custom number-format ids, which
openpyxl renumbers, are matched back by their format code.
"""

from __future__ import annotations

import re
import warnings

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


def style_counts(styles_xml: str | None) -> dict[str, int]:
    """How many entries each style table of a styles part holds."""
    if not styles_xml:
        return {}
    p = prefix_of(styles_xml, "styleSheet")
    return {section: len(children(styles_xml, section, item, p)) for section, item in TABLES}


TABLES = (("fonts", "font"), ("fills", "fill"), ("borders", "border"), ("cellXfs", "xf"),
          ("dxfs", "dxf"))


def seed_scratch_workbook(wb, archive) -> None:
    """Give the scratch workbook the user's style tables (``archive``: the user's zip)."""
    from openpyxl.styles.stylesheet import apply_stylesheet

    from openpyxl.utils.indexed_list import IndexedList

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        apply_stylesheet(archive, wb)
    # openpyxl renumbers custom number formats after it has indexed the cell formats, so
    # its lookup table holds stale keys and would add duplicates of formats the workbook
    # already has on every run: index them again, order (and so every index) unchanged.
    wb._cell_styles = IndexedList(list(wb._cell_styles))


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


def merge_styles(target_xml: str, scratch_xml: str, counts: dict[str, int]) -> str:
    """Append the scratch style entries beyond the user's ``counts`` to ``target_xml``."""
    p = prefix_of(target_xml, "styleSheet")
    sp = prefix_of(scratch_xml, "styleSheet")

    def after(section):
        return ORDER[ORDER.index(section) + 1:] + ("/styleSheet",)

    existing = {_attr(f, "formatCode"): int(_attr(f, "numFmtId"))
                for f in children(target_xml, "numFmts", "numFmt", p)}
    next_id = max([163, *existing.values()]) + 1
    fmt_map: dict[int, int] = {}
    new_fmts = []
    for f in children(scratch_xml, "numFmts", "numFmt", sp):
        code, old = _attr(f, "formatCode"), int(_attr(f, "numFmtId"))
        if code not in existing:
            existing[code] = next_id
            new_fmts.append(add_prefix(_set_attr(f, "numFmtId", str(next_id)), p))
            next_id += 1
        fmt_map[old] = existing[code]
    target_xml = _append(target_xml, "numFmts", new_fmts, p, after("numFmts"), "numFmt")

    for section, item in TABLES:
        new = children(scratch_xml, section, item, sp)[counts.get(section, 0):]
        if section == "cellXfs":
            new = [_fix_xf(xf, fmt_map) for xf in new]
        target_xml = _append(target_xml, section, [add_prefix(x, p) for x in new], p,
                             after(section), item)
    return target_xml


def _fix_xf(xf: str, fmt_map: dict[int, int]) -> str:
    fmt = _attr(xf, "numFmtId")
    if fmt is not None and int(fmt) in fmt_map:
        xf = _set_attr(xf, "numFmtId", str(fmt_map[int(fmt)]))
    return _set_attr(xf, "xfId", "0")
