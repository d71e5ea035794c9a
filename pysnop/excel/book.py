"""A workbook open in Excel as a :class:`~pysnop.workbook.book.Book`, through xlwings.

It reads ``used_range`` values and writes a rendered canvas into the live sheets
(:mod:`pysnop.excel.excel_copy`) — values in bulk, then number formats, fills and fonts
grouped by style, column widths, freeze panes, autofilter, dropdowns and charts where Excel
allows (those calls are guarded: a formatting detail Excel refuses never costs the planner
the run).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from pysnop.excel.excel_copy import copy_into_excel
from pysnop.workbook.book import PostSave, runner_account, write_snapshot
from pysnop.workbook.read.grid import Grid, parse_ref
from pysnop.workbook.render.canvas import Renderer, blank_canvas


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
        """The Windows account running pysnop: in Excel the deciding user is the account,
        not Excel's user name (which anyone sets in Excel's options)."""
        return runner_account()

    @property
    def declared_user(self) -> str | None:
        return runner_account()

    # -- the decision-log stamp (custom document properties, through COM)
    def custom_properties(self) -> dict[str, str]:
        try:
            props = self.xl.api.CustomDocumentProperties
            out = {}
            for i in range(1, int(props.Count) + 1):
                prop = props.Item(i)
                out[str(prop.Name)] = str(prop.Value)
            return out
        except Exception:  # no COM (not Windows) or no properties: none
            return {}

    def set_custom_properties(self, values: dict[str, str]) -> None:
        props = self.xl.api.CustomDocumentProperties
        for name, value in values.items():
            try:
                props.Item(name).Value = value
            except Exception:  # not there yet: add it (4 = msoPropertyTypeString)
                props.Add(name, False, 4, value)

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
        rows = [list(row) for row in (values or [])]
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
    def apply(self, renderers: Sequence[Renderer], *, post_save: PostSave | None = None
              ) -> None:
        """Render on a blank canvas and copy it into the live book (``post_save`` is for
        files: Excel recalculates its own formulas)."""
        canvas = blank_canvas(self.user_headers)
        for render in renderers:
            render(canvas)
        copy_into_excel(canvas, self)

    def user_headers(self, sheet: str, row: int) -> dict[int, str]:
        """The text of ``sheet``'s header cells in ``row``, by column (see Canvas)."""
        grid = self.grid(sheet)
        out = {}
        if grid.first_row <= row <= grid.last_row:
            for j, value in enumerate(grid.rows[row - grid.first_row]):
                if value is not None and str(value).strip():
                    out[grid.first_col + j] = str(value)
        return out

    def __repr__(self) -> str:
        return f"ExcelBook({self.name!r})"


__all__ = ["ExcelBook"]
