"""What a top-level pysnop call spills over, as Excel's dynamic arrays do.

A pysnop call at the top of a cell that returns a table is laid out like a dynamic array: the
anchor becomes an array formula over the result's range and each cell of the range holds its
value; if the range would cover cells that hold something, the anchor shows ``#SPILL!``.
:func:`find_spills` re-runs each such call from a solved model and finds its range;
:func:`apply_spills` lays the ranges out in an openpyxl workbook (the headless evaluation's
scratch copy; the pipeline lays them out in the package XML,
:mod:`pysnop.workbook.ooxml.spill_layout`).
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.formula import ArrayFormula

from pysnop.workbook.formulas.engine import DATE_FORMAT, EXCEL_EPOCH, TOP_CALL, plain

log = logging.getLogger(__name__)


@dataclass
class Spill:
    """A top-level pysnop call whose result is laid out over a range."""

    sheet: str
    anchor: str                 # "A1"
    formula: str                # "=STOCKOUT_RISK(...)"
    ref: str | None             # new range ("A1:I20"), None when the result is one cell
    old_ref: str | None         # the array range the workbook had, if any
    values: list[list]          # the result (dates as datetime.date)
    blocked: bool = False       # the range would cover other content: #SPILL!

    @property
    def changed(self) -> bool:
        return self.ref != self.old_ref


def cells_of(ref: str) -> Iterator[str]:
    """The coordinates of a range, row by row."""
    c1, r1, c2, r2 = range_boundaries(ref)
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            yield f"{get_column_letter(c)}{r}"


def _spill_ref(anchor: str, shape: tuple[int, int]) -> str | None:
    rows, cols = shape
    if rows * cols <= 1:
        return None
    letters, r = coordinate_from_string(anchor)
    c = column_index_from_string(letters)
    return f"{anchor}:{get_column_letter(c + cols - 1)}{r + rows - 1}"


def find_spills(model, book, formula_cells, solution) -> list[Spill]:
    """Full results of the top-level pysnop calls, and the range each one spills over."""
    by_title = {ws.title: ws for ws in book.worksheets}
    found = []
    index = {}
    from formulas.ranges import Ranges

    for key in model.cells:
        try:
            rng = Ranges.get_range(key, raise_anchor=False)
        except Exception:
            continue
        index[(str(rng.get("sheet", "")).upper(), f"{rng['c1']}{rng['r1']}")] = key
    for sheet, cells in formula_cells.items():
        ws = by_title[sheet]
        arrays = dict(ws.array_formulae)
        for coord, text in cells.items():
            m = TOP_CALL.match(text)
            if not m or not _balanced(m.group(2)):
                continue
            key = index.get((sheet.upper(), coord))
            if key is None:
                continue
            cell = model.cells[key]
            try:
                inputs = [solution[i] for i in (cell.inputs or ())]
                result = cell.func(*inputs)
            except Exception as exc:
                log.debug("could not re-run %s!%s: %s", sheet, coord, exc)
                continue
            arr = np.atleast_2d(np.asarray(getattr(result, "value", result), dtype=object))
            ref = _spill_ref(coord, arr.shape)
            old = arrays.get(coord)
            spill = Spill(sheet, coord, text, ref, old,
                          _dated(m.group(1).upper(), arr))
            if ref is not None:
                spill.blocked = _blocked(ws, ref, coord, old, cells)
            found.append(spill)
    return found


def _balanced(args: str) -> bool:
    """True when the call's closing parenthesis is the formula's last one."""
    depth, quoted = 0, False
    for ch in args:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            depth += ch == "("
            depth -= ch == ")"
            if depth < 0:
                return False
    return depth == 0


def _dated(name: str, arr: np.ndarray) -> list[list]:
    """The result with the date columns of the function's header turned back into dates."""
    rows = [[plain(v) for v in row] for row in arr.tolist()]
    if not rows or not rows[0]:
        return rows
    header = [str(h) for h in rows[0]]
    date_cols = [j for j, h in enumerate(header)
                 if h in ("first_risk_week", "act_by", "earliest_safe_start", "week")]
    for row in rows[1:]:
        for j in date_cols:
            if j < len(row) and isinstance(row[j], (int, float)) and not isinstance(row[j], bool):
                row[j] = EXCEL_EPOCH + dt.timedelta(days=int(row[j]))
    return rows


def _blocked(ws, ref: str, anchor: str, old_ref: str | None, formula_cells) -> bool:
    own = set(cells_of(old_ref)) if old_ref else set()
    for coord in cells_of(ref):
        if coord == anchor or coord in own:
            continue
        cell = ws._cells.get(row_col(coord))
        if cell is not None and cell.value not in (None, ""):
            return True
    return False


def row_col(coord: str) -> tuple[int, int]:
    letters, r = coordinate_from_string(coord)
    return r, column_index_from_string(letters)


def apply_spills(wb, spills: list[Spill]) -> None:
    """Lay the spill ranges out in an openpyxl workbook: array formula on each anchor, the
    values in the range's cells (dates formatted as dates), stale cells of a range that
    shrank cleared."""
    for s in spills:
        if s.sheet not in wb.sheetnames:
            continue
        ws = wb[s.sheet]
        if s.old_ref:
            for coord in cells_of(s.old_ref):
                if coord != s.anchor:
                    ws[coord].value = None
        ref = None if s.blocked else s.ref
        if ref is None:
            ws[s.anchor].value = s.formula
            continue
        ws[s.anchor].value = ArrayFormula(ref, s.formula)
        r0, c0 = row_col(s.anchor)
        for i, row in enumerate(s.values):
            for j, v in enumerate(row):
                cell = ws.cell(r0 + i, c0 + j)
                if i or j:
                    cell.value = v
                if isinstance(v, dt.date) and cell.number_format == "General":
                    cell.number_format = DATE_FORMAT


def spilled_copy(path: Path, spills: list[Spill], dest: Path) -> None:
    """A copy of the workbook at ``path`` with the spill ranges laid out, saved at ``dest``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path)
    apply_spills(wb, spills)
    wb.save(dest)
