"""Raw cell grids: the one small interface between a workbook (file or live Excel) and the reader.

A :class:`GridSource` yields, per sheet, the rectangle of used cells as Python values
(str, float/int, bool, datetime.date/datetime, or "" / None for blank). The file
implementation, :class:`CalamineSource`, reads .xlsx/.xlsm/.xlsb/.xls/.ods with python-calamine.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import python_calamine as pc

from pysnop.errors import FileAccessError, LayoutError, column_index, column_letter
from pysnop.workbook.ooxml.safety import check_package
from pysnop.workbook.read.preload import Parsed

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".xltx", ".xltm")


@dataclass
class Grid:
    """Raw cell values of one sheet."""

    sheet: str        # actual sheet name
    rows: list[list]  # values; row 0 is Excel row ``first_row``, col 0 Excel col ``first_col``
    first_row: int    # 1-based
    first_col: int    # 1-based

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.rows) - 1

    def value(self, row: int, col: int):
        """The value at 1-based Excel (row, col), "" outside the grid."""
        r, c = row - self.first_row, col - self.first_col
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return ""


@runtime_checkable
class GridSource(Protocol):
    """What the reader needs from a workbook. A live-Excel (xlwings) implementation may follow."""

    def sheet_names(self) -> list[str]: ...

    def grid(self, sheet: str) -> Grid: ...

    def tables(self) -> list[tuple[str, str, str]]: ...  # (table name, sheet name, "A1:F20")


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a sheet becomes Python rows (restored after).

    A sheet of 800,000 rows is 800,000 new lists; each time the new containers pass a
    quarter of the old ones Python walks all of them, which made up three quarters of
    calamine's ``to_python`` there (0.93 s against 0.23 s). Rows of cell values hold no
    cycles, so there is nothing for it to find."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")


def parse_ref(ref: str) -> tuple[int, int, int, int]:
    """"C4:F20" -> (first_row, first_col, last_row, last_col), all 1-based."""
    m = _REF.match(ref.strip())
    if not m:
        raise ValueError(f"not a cell range: {ref!r}")
    c1, r1 = column_index(m.group(1)), int(m.group(2))
    if m.group(3):
        c2, r2 = column_index(m.group(3)), int(m.group(4))
    else:
        c2, r2 = c1, r1
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def make_ref(r1: int, c1: int, r2: int, c2: int) -> str:
    return f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}"


class CalamineSource:
    """A workbook file read with python-calamine. Opening checks the file; grids load lazily."""

    def __init__(self, path: str | os.PathLike, *, parsed: Parsed | None = None):
        """``parsed``: the file as :mod:`pysnop.workbook.read.preload` already checked and
        parsed it (its sheets are taken from there)."""
        self.path = Path(path)
        self._tables: list[tuple[str, str, str]] | None = None
        self._error_cells: dict[str, tuple[dict[tuple[int, int], str],
                                           set[tuple[int, int]]]] = {}
        self._parsed: dict[str, Any] = {}
        if parsed is not None:
            self._book = parsed.book
            self._parsed = dict(parsed.sheets)
            return
        name = self.path.name
        if not self.path.exists():
            raise FileAccessError(f"file not found: {self.path}")
        if self.path.is_dir():
            raise FileAccessError(f"{self.path} is a folder, not a workbook file")
        check_package(self.path)  # zip and XML entity bombs are refused before parsing
        try:
            self._book = pc.CalamineWorkbook.from_path(str(self.path))
        except PermissionError as exc:
            raise FileAccessError(f"cannot open {name}: permission denied"
                                  " (is it open in another program?)") from exc
        except FileNotFoundError as exc:
            raise FileAccessError(f"file not found: {self.path}") from exc
        except OSError as exc:
            if not isinstance(exc, getattr(pc, "CalamineError", ())):
                raise FileAccessError(f"cannot read {name}: {exc}") from exc
            raise LayoutError(f"{name} is not an Excel workbook (could not read it as"
                              " .xlsx/.xlsm/.xls/.ods)") from exc
        except Exception as exc:  # calamine's ZipError, XmlError, CalamineError, ...
            if isinstance(exc, getattr(pc, "PasswordError", ())):
                raise FileAccessError(f"cannot open {name}: the workbook is password"
                                      " protected") from exc
            raise LayoutError(f"{name} is not an Excel workbook (could not read it as"
                              " .xlsx/.xlsm/.xls/.ods)") from exc

    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names)

    def grid(self, sheet: str) -> Grid:
        ws = self._parsed.pop(sheet, None)
        if ws is None:
            ws = self._book.get_sheet_by_name(sheet)
        start = ws.start
        if start is None:
            return Grid(sheet, [], 1, 1)
        with gc_paused():
            rows = ws.to_python(skip_empty_area=True)
        return Grid(sheet, rows, start[0] + 1, start[1] + 1)

    def tables(self) -> list[tuple[str, str, str]]:
        if self._tables is None:
            self._tables = []
            try:
                book = pc.CalamineWorkbook.from_path(str(self.path), load_tables=True)
                names: Any = book.table_names  # a method in some calamine versions
                for tname in (names() if callable(names) else names or []):
                    t: Any = book.get_table_by_name(tname)
                    # calamine: start/end are the 0-based data area; the header is the row above
                    (r0, c0), (r1, c1) = t.start, t.end
                    self._tables.append((t.name, t.sheet, make_ref(r0, c0 + 1, r1 + 1, c1 + 1)))
                book.close()
            except Exception:  # tables unsupported for this format, or unreadable: no tables
                self._tables = []
        return list(self._tables)

    def error_cells(self, sheet: str) -> dict[tuple[int, int], str]:
        """{(row, col): "#N/A"} for cells holding an Excel error (calamine reads them as blank).

        Only for .xlsx/.xlsm; streams the sheet's XML, so call it only when blanks matter.
        """
        return self._scan(sheet)[0]

    def unsaved_formulas(self, sheet: str) -> set[tuple[int, int]]:
        """(row, col) of the formula cells with no saved value (calamine reads them as
        blank: a producer that does not calculate wrote the formula alone)."""
        return self._scan(sheet)[1]

    def _scan(self, sheet: str) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
        if sheet not in self._error_cells:
            try:
                self._error_cells[sheet] = _scan_sheet(self.path, sheet)
            except Exception:
                self._error_cells[sheet] = ({}, set())
        return self._error_cells[sheet]


def _scan_sheet(path: Path, sheet: str) -> tuple[dict[tuple[int, int], str],
                                                  set[tuple[int, int]]]:
    """The error cells and the unsaved formula cells of one sheet of an .xlsx/.xlsm."""
    from pysnop.workbook.ooxml.cell_scan import scan_cells
    from pysnop.workbook.ooxml.package import Package
    from pysnop.workbook.ooxml.workbook_xml import WorkbookXml

    if path.suffix.lower() not in (".xlsx", ".xlsm", ".xltx", ".xltm"):
        return {}, set()
    package = Package(path.read_bytes())
    part = next((s["part"] for s in WorkbookXml(package).sheets() if s["name"] == sheet), "")
    if not part or not package.has(part):
        return {}, set()
    errors: dict[tuple[int, int], str] = {}
    unsaved: set[tuple[int, int]] = set()
    for cell in scan_cells(package.read(part), part):
        if cell.type == "e" and cell.value is not None:
            errors[(cell.row, cell.col)] = cell.value
        elif cell.has_formula and not cell.saved:
            unsaved.add((cell.row, cell.col))
    return errors, unsaved


class RememberingSource:
    """A GridSource whose grids are read once: the stages of a run read the same sheets
    (Actions, Approvers) from the one workbook already opened (and checked) by the reader.
    Grids are read-only to their readers."""

    def __init__(self, source: GridSource):
        self._source = source
        self._grids: dict[str, Grid] = {}

    def sheet_names(self) -> list[str]:
        return self._source.sheet_names()

    def grid(self, sheet: str) -> Grid:
        got = self._grids.get(sheet)
        if got is None:
            got = self._grids[sheet] = self._source.grid(sheet)
        return got

    def tables(self) -> list[tuple[str, str, str]]:
        return self._source.tables()


def open_source(source: str | os.PathLike | GridSource) -> GridSource:
    if isinstance(source, (str, os.PathLike)):
        return CalamineSource(source)
    return source
