"""What a headless recalculation evaluates, and what it leaves as the workbook saved it.

pysnop recalculates *its own* worksheet functions, not the planner's workbook. So the
engine evaluates:

* every formula that calls a pysnop function;
* every formula that reads one of those cells or their spilled ranges (directly or through
  other formulas): its value follows from pysnop's results, as Excel would recalculate it;
* any formula those read that has no saved value (a book written by a program that does not
  calculate): its value is needed, and there is none to keep.

Every other formula is represented by the value the file saved for it, exactly as Excel
would show it: an external link's 1234.5, ``SEQUENCE``'s spill, ``RAND()``'s last draw.
Those saved values are never rewritten. And a workbook named by a formula (an external
link) is never opened: :class:`LocalModel` refuses to load any workbook but the one being
recalculated (the engine shows ``#REF!`` where a pysnop function reads one directly).
See docs/semantics.md §1.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import formulas

from pysnop.workbook.ooxml.cell_scan import ScannedCell, might_have_formulas, scan_cells
from pysnop.workbook.ooxml.package import Package
from pysnop.workbook.ooxml.sheetxml import shared_string_table
from pysnop.workbook.ooxml.workbook_xml import WorkbookXml

# an engine result that only says the engine could not do it (a function it does not know,
# a workbook it may not open): the saved value of a formula that has one stays
ENGINE_LIMITS = {"#NAME?", "#REF!"}

Rect = tuple[int, int, int, int]  # first row, first col, last row, last col


@dataclass
class Saved:
    """What the file saved for its formula cells: sheet -> {"B7": ScannedCell}."""

    cells: dict[str, dict[str, ScannedCell]] = field(default_factory=dict)
    strings: list[str] | None = None
    date1904: bool = False

    def of(self, sheet: str, coord: str) -> ScannedCell | None:
        return self.cells.get(sheet, {}).get(coord)

    def has_value(self, sheet: str, coord: str) -> bool:
        cell = self.of(sheet, coord)
        return cell is not None and cell.saved

    def value(self, sheet: str, coord: str) -> Any:
        cell = self.of(sheet, coord)
        return None if cell is None else cell.typed_value(lambda: self.strings or [])


def saved_formulas(xlsx: bytes) -> Saved:
    """The formula cells of every sheet of the package ``xlsx``, with their saved values."""
    package = Package(xlsx)
    book = WorkbookXml(package)
    out = Saved(date1904=book.date1904)
    for sheet in book.sheets():
        part = sheet["part"]
        if not part or not package.has(part):
            continue
        data = package.read(part)
        if not might_have_formulas(data):
            continue
        cells = {c.ref: c for c in scan_cells(data, part) if c.has_formula}
        if cells:
            out.cells[sheet["name"]] = cells
    if any(c.type == "s" for cells in out.cells.values() for c in cells.values()):
        out.strings = shared_string_table(package)
    return out


@dataclass
class Scope:
    """The cells one evaluation covers (sheet titles as the workbook spells them)."""

    pysnop: dict[str, set[str]]      # cells calling a pysnop function
    evaluated: dict[str, set[str]]   # those and the formulas reading their results
    saved: Saved

    def in_scope(self, sheet: str, coord: str) -> bool:
        return coord in self.evaluated.get(sheet, set())

    def writes(self, sheet: str, coord: str, value: Any) -> bool:
        """Whether the evaluated ``value`` may be cached in that cell."""
        if coord in self.pysnop.get(sheet, set()):
            return True
        saved = self.saved.has_value(sheet, coord)
        if self.in_scope(sheet, coord):
            return not (saved and isinstance(value, str) and value in ENGINE_LIMITS)
        return not saved  # a formula with no saved value, needed by one in scope


def _rect(rng: dict) -> Rect | None:
    try:
        return int(rng["r1"]), int(rng["n1"]), int(rng["r2"]), int(rng["n2"])
    except (KeyError, TypeError, ValueError):
        return None


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def cell_rect(coord: str, array_ref: str | None = None) -> Rect:
    from openpyxl.utils import range_boundaries

    c1, r1, c2, r2 = range_boundaries(array_ref or f"{coord}:{coord}")
    return r1, c1, r2, c2


def choose(compiled: dict[tuple[str, str], Any], pysnop_cells: Iterable[tuple[str, str]],
           arrays: dict[str, dict[str, str]], filename: str, references: dict[str, Any],
           saved: Saved) -> Scope:
    """The scope: pysnop's cells and, to a fixed point, the formulas reading them.

    ``compiled``: (sheet, coord) -> the engine's compiled cell (its ``inputs`` are range
    names); ``arrays``: sheet -> {anchor: array range}; ``filename``: the workbook's own
    file name as the engine spells it; ``references``: the engine's defined names.
    """
    from formulas.ranges import Ranges

    upper = {sheet.upper(): sheet for sheet, _ in compiled}
    pysnop: dict[str, set[str]] = {}
    evaluated: dict[str, set[str]] = {}
    regions: dict[str, list[Rect]] = {}

    def add(sheet: str, coord: str) -> None:
        evaluated.setdefault(sheet, set()).add(coord)
        regions.setdefault(sheet.upper(), []).append(
            cell_rect(coord, arrays.get(sheet, {}).get(coord)))

    for sheet, coord in pysnop_cells:
        pysnop.setdefault(sheet, set()).add(coord)
        add(sheet, coord)

    @functools.cache
    def reads(name: str) -> tuple[tuple[str, Rect], ...]:
        """(SHEET, rect) of the cells a range name (or a defined name) reads."""
        if name in references:
            ref = references[name]
            return tuple(x for inp in (getattr(ref, "inputs", None) or ())
                         if isinstance(inp, str) for x in reads(inp))
        try:
            rng = Ranges.get_range(name, raise_anchor=False)
        except Exception:  # a token, or a name the engine does not resolve
            return ()
        if str(rng.get("filename", filename)).upper() != filename.upper():
            return ()  # another workbook: never pysnop's results
        rect = _rect(rng)
        return ((str(rng.get("sheet", "")).upper(), rect),) if rect else ()

    pending = {key: cell for key, cell in compiled.items()
               if key[1] not in evaluated.get(key[0], set())}
    grown = True
    while grown:
        grown = False
        for key in list(pending):
            cell = pending[key]
            hit = False
            for inp in getattr(cell, "inputs", None) or ():
                if not isinstance(inp, str):
                    continue
                for sheet, rect in reads(inp):
                    if any(_overlaps(rect, r) for r in regions.get(sheet, ())):
                        hit = True
                        break
                if hit:
                    break
            if hit:
                del pending[key]
                add(upper.get(key[0].upper(), key[0]), key[1])
                grown = True
    return Scope(pysnop, evaluated, saved)


def freeze(book, compiled: Iterable[tuple[str, str]], scope: Scope) -> None:
    """Give every formula cell outside the scope that has a saved value that value instead
    of its formula (in the engine's openpyxl copy of the workbook only)."""
    for sheet, coord in compiled:
        if scope.in_scope(sheet, coord) or not scope.saved.has_value(sheet, coord):
            continue
        cell = book[sheet][coord]
        saved = scope.saved.of(sheet, coord)
        value = scope.saved.value(sheet, coord)
        cell.value = value  # openpyxl infers the data type from the value
        if saved is not None and saved.type == "e":
            cell.data_type = "e"
        elif isinstance(value, str):
            cell.data_type = "s"


class LocalModel(formulas.ExcelModel):
    """The formulas engine's model, confined to one workbook: any other workbook a formula
    names is refused (the engine turns the refusal into #REF!), never read from disk."""

    def add_book(self, book=None, context=None, data_only=False):
        if self.books and isinstance(book, str):
            wanted = book.replace("\\", "/").rsplit("/", 1)[-1].upper()
            if wanted not in {str(key).rsplit("/", 1)[-1].upper() for key in self.books}:
                raise PermissionError(f"pysnop never opens another workbook ({book})")
        return super().add_book(book, context, data_only)


def quiet_progress() -> None:
    """The engine draws tqdm progress bars on stderr while it loads ranges: never here."""
    import tqdm as tqdm_module
    from formulas import excel

    if not getattr(excel.tqdm, "_pysnop_quiet", False):
        excel.tqdm = SimpleNamespace(tqdm=functools.partial(tqdm_module.tqdm, disable=True),
                                     _pysnop_quiet=True)
