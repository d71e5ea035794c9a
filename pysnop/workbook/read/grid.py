"""Raw cell grids: the one small interface between a workbook (file or live Excel) and the reader.

A :class:`GridSource` yields, per sheet, the rectangle of used cells as Python values
(str, float/int, bool, datetime.date/datetime, or "" / None for blank). The file
implementation, :class:`CalamineSource`, reads .xlsx/.xlsm/.xlsb/.xls/.ods with python-calamine.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from pysnop.errors import FileAccessError, LayoutError, column_letter

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".xltx", ".xltm")


@dataclass
class Grid:
    """Raw cell values of one sheet."""

    sheet: str        # actual sheet name
    rows: list[list]  # values; row 0 is Excel row ``first_row``, col 0 is Excel column ``first_col``
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


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")


def column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


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

    def __init__(self, path: str | os.PathLike):
        import python_calamine as pc

        self.path = Path(path)
        name = self.path.name
        if not self.path.exists():
            raise FileAccessError(f"file not found: {self.path}")
        if self.path.is_dir():
            raise FileAccessError(f"{self.path} is a folder, not a workbook file")
        from pysnop.workbook.ooxml.safety import check_package

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
        self._tables: list[tuple[str, str, str]] | None = None
        self._error_cells: dict[str, dict[tuple[int, int], str]] = {}

    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names)

    def grid(self, sheet: str) -> Grid:
        ws = self._book.get_sheet_by_name(sheet)
        start = ws.start
        if start is None:
            return Grid(sheet, [], 1, 1)
        rows = ws.to_python(skip_empty_area=True)
        return Grid(sheet, rows, start[0] + 1, start[1] + 1)

    def tables(self) -> list[tuple[str, str, str]]:
        if self._tables is None:
            self._tables = []
            try:
                import python_calamine as pc

                book = pc.CalamineWorkbook.from_path(str(self.path), load_tables=True)
                names = book.table_names
                for tname in (names() if callable(names) else names):
                    t = book.get_table_by_name(tname)
                    # calamine: start/end are the 0-based data area; the header is the row above
                    (r0, c0), (r1, c1) = t.start, t.end
                    self._tables.append((t.name, t.sheet, make_ref(r0, c0 + 1, r1 + 1, c1 + 1)))
                book.close()
            except Exception:  # tables unsupported for this format, or unreadable: no tables
                self._tables = []
        return list(self._tables)

    def error_cells(self, sheet: str) -> dict[tuple[int, int], str]:
        """{(row, col): "#N/A"} for cells holding an Excel error (calamine reads them as blank).

        Only for .xlsx/.xlsm; scans the sheet's XML, so call it only when blanks matter.
        """
        if sheet in self._error_cells:
            return self._error_cells[sheet]
        found: dict[tuple[int, int], str] = {}
        try:
            found = _xlsx_error_cells(self.path, self.sheet_names().index(sheet))
        except Exception:
            found = {}
        self._error_cells[sheet] = found
        return found


_ERR_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?t="e"[^>]*>(?:<f[^>]*/>|<f[^>]*>.*?</f>)?'
                       rb'<v>([^<]*)</v>', re.S)


def _xlsx_error_cells(path: Path, index: int) -> dict[tuple[int, int], str]:
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".xltx", ".xltm"):
        return {}
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
        sheets = re.findall(rb'<(?:\w+:)?sheet\b[^>]*?r:id="([^"]+)"', wb)
        if index >= len(sheets):
            return {}
        rid = sheets[index]
        target = None
        for m in re.finditer(rb"<Relationship\b[^>]*>", rels):
            tag = m.group(0)
            if re.search(rb'Id="' + re.escape(rid) + rb'"', tag):
                t = re.search(rb'Target="([^"]+)"', tag)
                target = t.group(1).decode() if t else None
        if target is None:
            return {}
        target = target.lstrip("/")
        if not target.startswith("xl/"):
            target = "xl/" + target
        data = z.read(target)
    if b't="e"' not in data:
        return {}
    return {(int(m.group(2)), column_index(m.group(1).decode())): m.group(3).decode()
            for m in _ERR_CELL.finditer(data)}


def open_source(source: str | os.PathLike | GridSource) -> GridSource:
    if isinstance(source, (str, os.PathLike)):
        return CalamineSource(source)
    return source
