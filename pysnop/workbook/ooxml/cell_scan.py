"""Stream a worksheet part for the cells that need more than their value: formulas, errors.

python-calamine reads values; what it cannot say is whether a blank came from a formula
Excel never calculated, or which cells hold an error. This streams the sheet XML with lxml
(``iterparse``: a 1,000,000-row sheet is never held in memory) and yields the formula and
error cells, whatever the producer wrote: rows and cells without ``r``, prefixed elements,
shared-string or inline values.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lxml import etree

from pysnop.workbook.ooxml.sheetxml import split_ref
from pysnop.workbook.ooxml.xmlparts import MAIN, PackageError, q

_ROW, _C, _F, _V, _IS, _T = (q(MAIN, n) for n in ("row", "c", "f", "v", "is", "t"))


@dataclass(frozen=True)
class ScannedCell:
    """One formula or error cell of a sheet."""

    row: int
    col: int
    type: str | None          # the cell's t attribute (None: a number)
    formula: str | None       # the <f> text (None for a shared formula's other cells)
    has_formula: bool
    formula_kind: str | None  # "array", "shared", "dataTable" or None
    array_ref: str | None     # the range of an array formula's anchor
    cm: str | None            # cell metadata index (dynamic arrays)
    value: str | None         # the saved value as written (<v> text or inline text)

    @property
    def ref(self) -> str:
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(self.col)}{self.row}"

    @property
    def saved(self) -> bool:
        return self.value is not None

    def typed_value(self, strings: Callable[[], list[str]]):
        """The saved value as Python: float, str, bool, or the error text ("#N/A")."""
        if self.value is None:
            return None
        if self.type in ("str", "inlineStr", "e"):
            return self.value
        if self.type == "b":
            return self.value.strip() in ("1", "true")
        if self.type == "s":
            try:
                return strings()[int(self.value)]
            except (ValueError, IndexError):
                return None
        try:
            return float(self.value)
        except ValueError:
            return self.value


def might_have_formulas(data: bytes) -> bool:
    """False only when the part certainly has no <f> element (no parse)."""
    return b"<f" in data or b":f" in data


def scan_cells(data: bytes, part: str) -> Iterator[ScannedCell]:
    """The formula cells and error cells of worksheet part ``data``, in sheet order."""
    source = io.BytesIO(data)
    row_no, col_no = 0, 0
    try:
        for event, el in etree.iterparse(source, events=("start", "end"), tag=(_ROW, _C),
                                         resolve_entities=False, no_network=True,
                                         huge_tree=True, load_dtd=False):
            if el.tag == _ROW:
                if event == "start":
                    r = el.get("r")
                    row_no = int(r) if r else row_no + 1
                    col_no = 0
                else:
                    el.clear(keep_tail=True)
                continue
            if event == "start":
                continue
            ref = el.get("r")
            if ref:
                row_no, col_no = split_ref(ref)
            else:
                col_no += 1
            f = el.find(_F)
            t = el.get("t")
            if f is None and t != "e":
                el.clear(keep_tail=True)
                continue
            if t == "inlineStr":
                inline = el.find(_IS)
                value = None if inline is None else "".join(x.text or "" for x in inline.iter(_T))
            else:
                v = el.find(_V)
                value = None if v is None else (v.text or "")
                if value == "" and t not in ("str", "s"):
                    value = None
            yield ScannedCell(row_no, col_no, t, None if f is None else (f.text or None),
                              f is not None, None if f is None else f.get("t"),
                              None if f is None else f.get("ref"), el.get("cm"), value)
            el.clear(keep_tail=True)
    except etree.XMLSyntaxError as exc:
        raise PackageError(f"the part {part} is not well-formed XML ({exc}); "
                           "nothing was written") from None
