"""The small workbook interface the operations (:mod:`pysnop.operations.book_ops`) work on, and its two backends.

A :class:`Book` is a :class:`~pysnop.workbook.read.grid.GridSource` (``sheet_names``, ``grid``,
``tables``: what the reader needs) plus what the operations need to write and to decide:

* ``apply(renderers, post_save=None)``: draw pysnop's sheets with the usual renderers
  (``(openpyxl_wb, styles) -> None``, see :func:`pysnop.workbook.writer.write_workbook`) and put
  them into the book: whole sheets replace pysnop's sheets, column patches
  (:class:`~pysnop.workbook.ooxml.transplant.ColumnPatch`) go into the user's sheets;
* ``selected_rows(sheet)``: the 1-based rows a person selected on ``sheet``;
* ``user_name``: who is deciding; ``path``: the workbook file (``None`` if never saved);
* ``source_file()``: a context manager yielding a file that holds the book's current
  contents, for the stages that read a file themselves (proposals, decisions);
* ``save()``; ``headless``: True when nothing recalculates the book's own formulas
  (the file backend: pysnop's formula stage does it), False in live Excel.

:class:`FileBook` is the file the CLI works on (python-calamine to read, the part-by-part
writer to write). :class:`ExcelBook` is an open workbook in Excel through xlwings: it reads
``used_range`` values and writes a rendered scratch workbook into the live sheets — values in
bulk, then number formats, fills and fonts grouped by style, column widths, freeze panes,
autofilter, dropdowns and charts where Excel allows (those calls are guarded: a formatting
detail Excel refuses never costs the planner the run).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence, runtime_checkable

from pysnop.workbook.read.grid import CalamineSource, Grid, parse_ref

Renderer = Callable[[Any, Any], None]
RISKY_TEXT = ("=", "+", "-", "@")


@runtime_checkable
class Book(Protocol):
    """What the workbook operations need from a workbook (see the module doc)."""

    path: Path | None
    headless: bool

    def sheet_names(self) -> list[str]: ...

    def grid(self, sheet: str) -> Grid: ...

    def tables(self) -> list[tuple[str, str, str]]: ...

    @property
    def user_name(self) -> str: ...

    def apply(self, renderers: Sequence[Renderer], *, post_save=None) -> None: ...

    def selected_rows(self, sheet: str) -> list[int]: ...

    def source_file(self) -> contextlib.AbstractContextManager[Path]: ...

    def save(self) -> None: ...


# ----------------------------------------------------------------------------- file backend

class FileBook:
    """A workbook file, as the CLI uses it: read with calamine, written part by part.

    ``output``: write there instead of in place (later reads and writes then use the output).
    ``selection``: the rows the caller "selected" (``approve --rows 4,5`` on the command line).
    """

    headless = True

    def __init__(self, path, *, output=None, backup: bool = True,
                 selection: Sequence[int] = (), user: str | None = None):
        self.path = Path(path)
        self.output = Path(output) if output is not None else None
        self.backup = backup
        self.selection = [int(r) for r in selection]
        self._user = user
        self._source: CalamineSource | None = None

    def _src(self) -> CalamineSource:
        if self._source is None:
            self._source = CalamineSource(self.path)
        return self._source

    def sheet_names(self) -> list[str]:
        return self._src().sheet_names()

    def grid(self, sheet: str) -> Grid:
        return self._src().grid(sheet)

    def tables(self) -> list[tuple[str, str, str]]:
        return self._src().tables()

    def error_cells(self, sheet: str):
        return self._src().error_cells(sheet)

    @property
    def user_name(self) -> str:
        from pysnop.operations.decide import resolve_user

        return resolve_user(self._user)

    def apply(self, renderers: Sequence[Renderer], *, post_save=None) -> None:
        from pysnop.workbook.writer import write_workbook

        dest = self.output or self.path
        in_place = dest.resolve() == self.path.resolve()
        write_workbook(self.path, dest, list(renderers), post_save=post_save,
                       backup=self.backup and in_place)
        self.path, self.output, self._source = dest, None, None

    def selected_rows(self, sheet: str) -> list[int]:
        return list(self.selection)

    @contextlib.contextmanager
    def source_file(self) -> Iterator[Path]:
        yield self.path

    def save(self) -> None:  # every apply() is already an atomic save
        return None

    def __repr__(self) -> str:
        return f"FileBook({str(self.path)!r})"


# ----------------------------------------------------------------------------- Excel backend

class ExcelBook:
    """An open workbook in Excel (an ``xlwings.Book``, e.g. ``xw.Book.caller()``)."""

    headless = False

    def __init__(self, xl_book):
        self.xl = xl_book

    # -- identity
    @property
    def path(self) -> Path | None:
        try:
            name = str(self.xl.fullname)
        except Exception:
            return None
        return Path(name) if os.path.isabs(name) else None

    @property
    def name(self) -> str:
        return str(self.xl.name)

    @property
    def user_name(self) -> str:
        from pysnop.operations.decide import resolve_user

        try:
            name = str(self.xl.app.api.UserName or "").strip()
        except Exception:  # not on Windows / no COM: the OS user
            name = ""
        return resolve_user(name or None)

    # -- reading (GridSource)
    def _sheet(self, name: str):
        for sheet in self.xl.sheets:
            if sheet.name == name:
                return sheet
        for sheet in self.xl.sheets:
            if sheet.name.casefold() == name.casefold():
                return sheet
        return None

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.xl.sheets]

    def grid(self, sheet: str) -> Grid:
        ws = self._sheet(sheet)
        if ws is None:
            return Grid(sheet, [], 1, 1)
        used = ws.used_range
        values = used.options(ndim=2).value
        rows = [[_read_value(v) for v in row] for row in (values or [])]
        while rows and all(v in (None, "") for v in rows[-1]):
            rows.pop()
        if not rows:
            return Grid(ws.name, [], 1, 1)
        return Grid(ws.name, rows, int(used.row), int(used.column))

    def tables(self) -> list[tuple[str, str, str]]:
        out = []
        for sheet in self.xl.sheets:
            try:
                for table in sheet.tables:
                    ref = str(table.range.address).replace("$", "")
                    out.append((str(table.name), sheet.name, ref))
            except Exception:  # tables not supported here: none
                continue
        return out

    # -- selection
    def selected_rows(self, sheet: str) -> list[int]:
        try:
            selection = self.xl.selection
        except Exception:
            return []
        if selection is None or selection.sheet.name.casefold() != sheet.casefold():
            return []
        rows: set[int] = set()
        for area in str(selection.address).replace("$", "").split(","):
            area = area.strip()
            if not area:
                continue
            if re.fullmatch(r"\d+:\d+", area):  # whole rows selected
                a, b = (int(x) for x in area.split(":"))
                rows.update(range(min(a, b), max(a, b) + 1))
                continue
            try:
                r1, _, r2, _ = parse_ref(area)
            except ValueError:
                continue
            rows.update(range(r1, r2 + 1))
        return sorted(rows)

    # -- a file with the live contents, for stages that read files themselves
    @contextlib.contextmanager
    def source_file(self) -> Iterator[Path]:
        folder = Path(tempfile.mkdtemp(prefix="pysnop-"))
        name = Path(self.name).stem or "book"
        target = folder / f"{name}.xlsx"
        try:
            write_snapshot(self, target)
            yield target
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def save(self) -> None:
        if self.path is not None:
            self.xl.save()

    # -- writing
    def apply(self, renderers: Sequence[Renderer], *, post_save=None) -> None:
        scratch = scratch_for(self)
        from pysnop.workbook.ooxml.xlcells import StyleBook

        styles = StyleBook(scratch)
        for render in renderers:
            render(scratch, styles)
        copy_into_excel(scratch, self)

    def __repr__(self) -> str:
        return f"ExcelBook({self.name!r})"


def _read_value(value):
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value  # the reader takes datetimes and dates alike
    return value


def write_snapshot(book, target: Path) -> Path:
    """Save the values of every sheet of ``book`` (a GridSource) as an .xlsx at ``target``."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in book.sheet_names():
        ws = wb.create_sheet(name[:31])
        grid = book.grid(name)
        for i, row in enumerate(grid.rows):
            for j, value in enumerate(row):
                if value is None or value == "":
                    continue
                cell = ws.cell(row=grid.first_row + i, column=grid.first_col + j, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text stays text, never a formula
                elif isinstance(value, (dt.date, dt.datetime)):
                    cell.number_format = "yyyy-mm-dd"
    if not wb.worksheets:
        wb.create_sheet("Sheet1")
    wb.save(target)
    return target


def scratch_for(book: ExcelBook):
    """An empty openpyxl workbook with the attributes renderers expect (see writer)."""
    import openpyxl

    scratch = openpyxl.Workbook()
    scratch.remove(scratch.active)
    scratch._pysnop_patches = []

    def headers(sheet: str, row: int) -> dict[int, str]:
        grid = book.grid(sheet)
        out = {}
        if grid.first_row <= row <= grid.last_row:
            for j, value in enumerate(grid.rows[row - grid.first_row]):
                if value is not None and str(value).strip():
                    out[grid.first_col + j] = str(value)
        return out

    scratch._pysnop_user_headers = headers
    scratch._pysnop_user_sheets = book.sheet_names()
    return scratch


# ----------------------------------------------------------------------------- scratch -> Excel


from pysnop.excel.excel_copy import copy_into_excel  # noqa: E402  (the live-Excel writer)

__all__ = ["Book", "ExcelBook", "FileBook", "copy_into_excel", "scratch_for", "write_snapshot"]
