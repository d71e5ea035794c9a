"""The workbook part (``xl/workbook.xml``) of a package: sheets, defined names, date system.

Parsed with lxml (``xmlparts``): a sheet pysnop adds is an element appended to ``<sheets>``
whose ``r:id`` uses the relationships namespace (lxml declares it where the producer did
not: openpyxl declares ``xmlns:r`` on each ``<sheet>``, Excel on the root). Defined names are
elements too; every other byte of the part's content stays as the producer wrote it.

pysnop's marker: each sheet pysnop writes carries a hidden sheet-level defined name
``_pysnop_sheet`` (:data:`MARKER`). Excel keeps hidden names and moves them with their sheet;
a sheet without the marker is the user's and is never replaced.
"""

from __future__ import annotations

from lxml import etree

from pysnop.workbook.ooxml.package import Package, resolve
from pysnop.workbook.ooxml.xmlparts import (
    REL,
    PackageError,
    child,
    children,
    expect_root,
    q,
    rel_id,
)

WORKBOOK = "xl/workbook.xml"
MARKER = "_pysnop_sheet"
FILTER_DATABASE = "_xlnm._FilterDatabase"
TRUE = ("1", "true")
# the schema's order of a workbook's children (CT_Workbook)
ORDER = ("fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews",
         "sheets", "functionGroups", "externalReferences", "definedNames", "calcPr",
         "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
         "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")


class WorkbookXml:
    def __init__(self, package: Package, part: str = WORKBOOK):
        self.package, self.part = package, part
        self.root = package.xml(part)
        self.ns = expect_root(self.root, "workbook", part)
        self.sheets_el = child(self.root, "sheets")
        if self.sheets_el is None:
            raise PackageError(f"the part {part} lists no sheets; nothing was written")

    # ---------------------------------------------------------------- reading

    def sheets(self) -> list[dict[str, str]]:
        """Sheets in tab order: name, sheetId, rid, part ("" when the r:id has no target)."""
        rels = {r["Id"]: r for r in self.package.rels(self.part)}
        out = []
        for el in children(self.sheets_el, "sheet"):
            rid = rel_id(el) or ""
            target = rels.get(rid, {}).get("Target", "")
            out.append({"name": el.get("name") or "", "sheetId": el.get("sheetId") or "",
                        "rid": rid, "part": resolve(self.part, target) if target else ""})
        return out

    @property
    def date1904(self) -> bool:
        pr = child(self.root, "workbookPr")
        return pr is not None and (pr.get("date1904") or "").lower() in TRUE

    def names(self) -> list[etree._Element]:
        return children(child(self.root, "definedNames"), "definedName")

    def is_pysnops(self, index: int) -> bool:
        return any(n.get("name") == MARKER and n.get("localSheetId") == str(index)
                   for n in self.names())

    # ---------------------------------------------------------------- editing

    def add_sheet(self, name: str, rid: str) -> int:
        """Append a sheet entry; its index (the localSheetId of its names)."""
        ids = [int(s.get("sheetId") or 0) for s in children(self.sheets_el, "sheet")]
        el = etree.SubElement(self.sheets_el, q(self.ns, "sheet"))
        el.set("name", name)
        el.set("sheetId", str(max(ids, default=0) + 1))
        el.set(q(REL, "id"), rid)
        return len(ids)

    def set_local_names(self, index: int, names: list[tuple[str, str, bool]]) -> None:
        """Make the sheet-level names of sheet ``index`` that pysnop sets (its marker, the
        autofilter's, print titles) exactly ``names``: (name, formula, hidden). A name that
        is there already is updated where it stands, so a re-run keeps the order."""
        block = self._defined_names()
        wanted = {name: (formula, hidden) for name, formula, hidden in names}
        for el in children(block, "definedName"):
            name = el.get("name") or ""
            if el.get("localSheetId") != str(index) or not (
                    name in (MARKER, FILTER_DATABASE) or name.startswith("_xlnm.Print_")):
                continue
            if name not in wanted:
                block.remove(el)
                continue
            formula, hidden = wanted.pop(name)
            el.text = formula
            if hidden:
                el.set("hidden", "1")
            else:
                el.attrib.pop("hidden", None)
        for name, (formula, hidden) in wanted.items():
            el = etree.SubElement(block, q(self.ns, "definedName"))
            el.set("name", name)
            el.set("localSheetId", str(index))
            if hidden:
                el.set("hidden", "1")
            el.text = formula
        if len(block) == 0:
            self.root.remove(block)

    def local_name(self, index: int, name: str) -> str | None:
        """The formula of sheet ``index``'s defined name ``name`` (None when it has none)."""
        found = next((n for n in self.names() if n.get("name") == name
                      and n.get("localSheetId") == str(index)), None)
        return None if found is None else (found.text or "")

    def set_local_name(self, index: int, name: str, formula: str | None) -> None:
        """Set (or, with ``formula`` None, remove) a hidden sheet-level name of pysnop's."""
        block = self._defined_names()
        for el in children(block, "definedName"):
            if el.get("name") == name and el.get("localSheetId") == str(index):
                if formula is None:
                    block.remove(el)
                else:
                    el.text = formula
                    formula = None
        if formula is not None:
            el = etree.SubElement(block, q(self.ns, "definedName"))
            el.set("name", name)
            el.set("localSheetId", str(index))
            el.set("hidden", "1")
            el.text = formula
        if len(block) == 0:
            self.root.remove(block)

    def _defined_names(self) -> etree._Element:
        found = child(self.root, "definedNames")
        if found is not None:
            return found
        made = etree.Element(q(self.ns, "definedNames"))
        later = ORDER[ORDER.index("definedNames") + 1:]
        for el in self.root:
            if isinstance(el.tag, str) and etree.QName(el).localname in later:
                el.addprevious(made)
                return made
        self.root.append(made)
        return made

    def save(self) -> None:
        self.package.put(self.part, self.root)


def quote_sheet(name: str) -> str:
    """A sheet name as it appears in a formula: ``'Bridge Chart'!``."""
    return "'" + name.replace("'", "''") + "'"
