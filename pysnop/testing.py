"""Assert on planning workbooks in your own tests: recalculate them headlessly, read values.

    from pysnop.testing import recalculate, cell_values

    def test_plan_has_no_stockouts():
        book = recalculate("plans/spring.xlsx")          # nothing is written
        assert book["Planner"]["C4"] == "OK"
        assert cell_values("plans/spring.xlsx", "Planner", "A3:I3")[0][:2] == ["sku", "location"]

pysnop's formulas are evaluated as ``pysnop recalc`` would (native Excel functions through
the ``formulas`` engine, pysnop's worksheet functions through pysnop's core), with results of
``=STOCKOUT_RISK(...)`` and friends spilled over their ranges; so are the formulas reading
their results, and any formula they need that has no saved value. Other formulas read as the
workbook saved them. Values are plain
Python: str, float, bool, ``datetime.date`` (constant date cells and date columns of pysnop
results; a native formula computing a date gives its Excel serial number), None for blank,
and Excel errors as their text (``"#N/A"``, ``"#PYSNOP: ..."``).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import python_calamine as pc
from openpyxl.utils import get_column_letter, range_boundaries

from pysnop.workbook.formulas.headless import evaluate

__all__ = ["WorkbookValues", "cell_values", "recalculate"]


class WorkbookValues(dict):
    """``{sheet name: {"A1": value}}`` for every non-blank cell after recalculation."""

    def value(self, sheet: str, cell: str) -> Any:
        """One cell's value (None when blank)."""
        return self.get(sheet, {}).get(cell.replace("$", "").upper())

    def range(self, sheet: str, ref: str) -> list[list]:
        """A rectangle of values, row by row (``"A1:C4"``)."""
        c1, r1, c2, r2 = range_boundaries(ref.replace("$", "").upper())
        cells = self.get(sheet, {})
        return [[cells.get(f"{get_column_letter(c)}{r}") for c in range(c1, c2 + 1)]
                for r in range(r1, r2 + 1)]


def _constants(path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    book = pc.CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        start = sheet.start
        cells: dict[str, Any] = {}
        if start is not None:
            for i, row in enumerate(sheet.to_python(skip_empty_area=True)):
                for j, v in enumerate(row):
                    if v is None or v == "":
                        continue
                    if isinstance(v, dt.datetime) and v.time() == dt.time(0):
                        v = v.date()
                    cells[f"{get_column_letter(start[1] + j + 1)}{start[0] + i + 1}"] = v
        out[name] = cells
    return out


def recalculate(path: str | os.PathLike) -> WorkbookValues:
    """Recalculate the workbook at ``path`` headlessly and return every cell's value.

    The file is not modified. pysnop's formulas, and the formulas reading their results,
    get freshly computed values; every other cell is returned as the file stored it (a
    formula the workbook saved a value for keeps that value, as ``pysnop recalc`` keeps it).
    """
    values = WorkbookValues(_constants(path))
    ev = evaluate(path)
    for sheet, cells in ev.values.items():  # formulas computing blank are blank
        target = values.setdefault(sheet, {})
        for coord, v in cells.items():
            if v is None or v == "":
                target.pop(coord, None)
            else:
                target[coord] = v
    return values


def cell_values(path: str | os.PathLike, sheet: str, ref: str) -> list[list]:
    """The values of ``sheet!ref`` after a headless recalculation, row by row."""
    return recalculate(path).range(sheet, ref)
