"""Headless recalculation of workbooks that use pysnop's worksheet functions.

Planners type ``=STOCKOUT_RISK(Campaigns!A1:J40, Inventory[#All], ...)`` in Excel; here the
same workbook is recalculated with no Excel. Every formula of every sheet is evaluated with
the `formulas <https://pypi.org/project/formulas/>`_ engine, into which pysnop's functions
(:data:`pysnop.catalog.FUNCTIONS`, implemented in :mod:`pysnop.workbook.formulas.functions`)
are registered (:mod:`pysnop.workbook.formulas.engine`) — so a pysnop call may stand alone,
be nested in native formulas (``=INDEX(STOCKOUT_RISK(...),2,1)``) or take native formulas and
other sheets' ranges as arguments, and native formulas may use its results (``=A1#``).

The results are written as *cached values* while every formula is kept
(:mod:`pysnop.workbook.ooxml.cached_values`), so a reader that does not calculate
(python-calamine, openpyxl ``data_only=True``) sees the numbers. A pysnop call at the top of
a cell that returns a table spills like a dynamic array: the anchor becomes an array formula
over the result's range (``<f t="array" ref="A1:I20">``, marked dynamic for Excel 365) and each cell
of the range holds its value. If the range would cover cells that hold something, the anchor
shows ``#SPILL!``, as in Excel.

Entry points:

* :func:`evaluate` — values of every formula cell (and spilled cell) of a workbook file;
* :func:`recalc_formulas` — write a recalculated copy (or update in place);
* :func:`post_save` — ``bytes -> bytes``: cache every formula's value in a saved package
  (the pipeline's formula stage, :func:`pysnop.pipeline.stages.formula_stage`, hands it to
  the writer).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.formula import ArrayFormula

from pysnop.errors import FileAccessError
from pysnop.workbook.formulas.engine import (
    CALL,
    DATE_FORMAT,
    EXCEL_EPOCH,
    TOP_CALL,
    plain,
    register_functions,
    to_serial,
)
from pysnop.workbook.ooxml.atomic import atomic_write
from pysnop.workbook.ooxml.cached_values import patch_cached_values
from pysnop.workbook.ooxml.cell_scan import might_have_formulas
from pysnop.workbook.ooxml.spill_layout import lay_out_spills

# The formulas engine (and schedula under it) takes about a second to import: it is imported
# inside the functions that evaluate, so reading and writing workbooks without pysnop
# formulas never pays for it.

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------- evaluation

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


@dataclass
class Evaluation:
    """Results of one headless recalculation."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # sheet -> cell -> value
    spills: list[Spill] = field(default_factory=list)
    formulas: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> cell -> text
    pysnop: dict[str, set[str]] = field(default_factory=dict)  # cells calling pysnop
    date1904: bool = False  # the workbook counts dates from 1904 (a Mac workbook)

    def dynamic(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for s in self.spills:
            if s.ref and not s.blocked:
                out.setdefault(s.sheet, set()).add(s.anchor)
        return out

    def static(self) -> dict[str, set[str]]:
        """pysnop's cells that are not (or no longer) spilling dynamic arrays."""
        dynamic = self.dynamic()
        return {sheet: cells - dynamic.get(sheet, set())
                for sheet, cells in self.pysnop.items()}


@dataclass
class Loaded:
    """The engine's model of one workbook, and what of it is evaluated."""

    model: Any
    book: Any                                # the engine's openpyxl copy of the workbook
    formulas: dict[str, dict[str, str]]      # sheet -> cell -> formula text (every formula)
    scope: Any                               # pysnop.workbook.formulas.scope.Scope


def _load(path: Path) -> Loaded:
    """A formulas ExcelModel of pysnop's formulas and what they depend on (see ``scope``):
    every other formula stands for its saved value, data is pulled in on demand."""
    import schedula as sh

    from pysnop.workbook.formulas import scope as sc

    register_functions()
    sc.quiet_progress()
    model = sc.LocalModel()
    book, ctx = model.add_book(str(path))
    saved = sc.saved_formulas(path.read_bytes())
    formula_cells: dict[str, dict[str, str]] = {}
    tables = table_ranges(book)
    arrays = {ws.title: dict(ws.array_formulae) for ws in book.worksheets}
    compiled: dict[tuple[str, str], Any] = {}
    calls = []
    for ws in book.worksheets:
        cctx = {"external_links": model.external_links(ctx), **ctx, "sheet": ws.title.upper()}
        for c in list(ws._cells.values()):
            if getattr(c, "data_type", None) != "f":
                continue
            text = c.value if isinstance(c.value, str) else getattr(c.value, "text", "")
            formula_cells.setdefault(ws.title, {})[c.coordinate] = text or ""
            if tables and text and "[" in text:  # the engine has no structured refs
                resolved = resolve_table_refs(text, tables)
                if isinstance(c.value, str):
                    c.value = resolved
                else:
                    c.value.text = resolved
            if text and CALL.search(text):
                calls.append((ws.title, c.coordinate))
            try:  # compiled once to learn what it reads
                compiled[(ws.title, c.coordinate)] = sh.await_result(
                    model.compile_cell(c, cctx, model.references, arrays[ws.title]))
            except Exception:
                continue
    scope = sc.choose(compiled, calls, arrays, ctx["filename"], model.references, saved)
    sc.freeze(book, [key for sheet, cells in formula_cells.items() for key in
                     ((sheet, coord) for coord in cells)], scope)
    for ws in book.worksheets:
        cells = scope.evaluated.get(ws.title)
        if not cells:
            continue
        ws, sctx = model.add_sheet(ws, ctx)
        cctx = {"external_links": model.external_links(sctx), **sctx}
        f_refs, f_ranges = model.formula_references(sctx), model.formula_ranges(sctx)
        for coord in sorted(cells):
            cell = sh.await_result(model.compile_cell(ws[coord], cctx, model.references,
                                                      f_refs))
            model.add_cell(cell, cctx, f_ranges)
    model.finish()
    return Loaded(model, book, formula_cells, scope)


# a table name not preceded by a name character, a sheet's "!" or quote, or a "]" (the
# preceding character is captured and put back)
_TABLE_REF = re.compile(r"(^|[^\w.!'\]])([A-Za-z_\\][\w.]*)\[(#All|#Data|#Headers|)\]", re.I)


def table_ranges(book) -> dict[str, dict[str, str]]:
    """Excel tables of an openpyxl workbook: NAME -> {"#ALL"|"#DATA"|"#HEADERS": range}."""
    out: dict[str, dict[str, str]] = {}
    for ws in book.worksheets:
        sheet = "'" + ws.title.replace("'", "''") + "'!"
        for table in ws.tables.values():
            c1, r1, c2, r2 = range_boundaries(table.ref)
            header = 1 if table.headerRowCount is None else int(table.headerRowCount)
            totals = int(table.totalsRowCount or 0)
            cols = f"${get_column_letter(c1)}$%d:${get_column_letter(c2)}$%d"
            out[table.displayName.upper()] = {
                "#ALL": sheet + cols % (r1, r2),
                "#DATA": sheet + cols % (r1 + header, max(r1 + header, r2 - totals)),
                "#HEADERS": sheet + cols % (r1, r1),
            }
    return out


def resolve_table_refs(text: str, tables: dict[str, dict[str, str]]) -> str:
    """``Inventory[#All]`` (and ``[#Data]``, ``[#Headers]``, ``[]``) as the plain range it
    names, for the formulas engine; Excel resolves them itself. Other text is unchanged."""
    def repl(m: re.Match) -> str:
        table = tables.get(m.group(2).upper())
        if table is None:
            return m.group(0)
        return m.group(1) + table[(m.group(3) or "#Data").upper()]
    return _TABLE_REF.sub(repl, text)


def _cells_of(ref: str):
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


def _solve(path: Path):
    quiet = logging.getLogger("formulas")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        loaded = _load(path)
        solution = loaded.model.calculate()
    finally:
        quiet.setLevel(level)
    return loaded, solution


def _collect(loaded: Loaded, solution) -> dict[str, dict[str, Any]]:
    """sheet -> {cell: value} for the cells the evaluation may write: pysnop's formulas,
    the formulas reading them, the cells of their array ranges, and formulas with no saved
    value that the evaluation needed (see ``scope``)."""
    from formulas.ranges import Ranges

    book, scope = loaded.book, loaded.scope
    by_upper = {name.upper(): name for name in book.sheetnames}
    wanted: dict[str, set[str]] = {}
    arrays: dict[str, set[str]] = {}
    for ws in book.worksheets:
        cells = set(loaded.formulas.get(ws.title, {}))
        for anchor, ref in ws.array_formulae.items():
            if scope.in_scope(ws.title, anchor):
                arrays.setdefault(ws.title, set()).update(_cells_of(ref))
        cells |= arrays.get(ws.title, set())
        if cells:
            wanted[ws.title] = cells
    out: dict[str, dict[str, Any]] = {}
    for key, value in solution.items():
        if not isinstance(key, str) or "!" not in key:
            continue
        try:
            rng = Ranges.get_range(key, raise_anchor=False)
        except Exception:
            continue
        if rng.get("anchor"):
            continue
        sheet = by_upper.get(str(rng.get("sheet", "")).upper())
        if sheet is None or sheet not in wanted:
            continue
        arr = getattr(value, "value", value)
        arr = np.atleast_2d(np.asarray(arr, dtype=object))
        r1, n1 = int(rng["r1"]), int(rng["n1"])
        for i in range(arr.shape[0]):
            for j in range(arr.shape[1]):
                coord = f"{get_column_letter(n1 + j)}{r1 + i}"
                if coord not in wanted[sheet]:
                    continue
                v = plain(arr[i, j])
                if coord in arrays.get(sheet, set()) or scope.writes(sheet, coord, v):
                    out.setdefault(sheet, {})[coord] = v
    return out


def _spills(model, book, formula_cells, solution) -> list[Spill]:
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
    own = set(_cells_of(old_ref)) if old_ref else set()
    for coord in _cells_of(ref):
        if coord == anchor or coord in own:
            continue
        cell = ws._cells.get(_rc(coord))
        if cell is not None and cell.value not in (None, ""):
            return True
    return False


def _rc(coord: str) -> tuple[int, int]:
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
            for coord in _cells_of(s.old_ref):
                if coord != s.anchor:
                    ws[coord].value = None
        ref = None if s.blocked else s.ref
        if ref is None:
            ws[s.anchor].value = s.formula
            continue
        ws[s.anchor].value = ArrayFormula(ref, s.formula)
        r0, c0 = _rc(s.anchor)
        for i, row in enumerate(s.values):
            for j, v in enumerate(row):
                cell = ws.cell(r0 + i, c0 + j)
                if i or j:
                    cell.value = v
                if isinstance(v, dt.date) and cell.number_format == "General":
                    cell.number_format = DATE_FORMAT


def evaluate(path: str | os.PathLike, *, spill: bool = True) -> Evaluation:
    """Evaluate pysnop's formulas of the workbook at ``path`` and the formulas reading them
    (see :mod:`pysnop.workbook.formulas.scope`); nothing is written.

    With ``spill`` (default), results of top-level pysnop calls are laid out over their
    ranges before the values are read, as Excel would show them.
    """
    from openpyxl.utils import get_column_letter

    path = Path(path)
    loaded, solution = _solve(path)
    spills = _spills(loaded.model, loaded.book, loaded.formulas, solution)
    if spill and any(s.changed or s.blocked for s in spills):
        with tempfile.TemporaryDirectory(prefix="pysnop-") as tmp:
            copy = Path(tmp) / ("spilled" + path.suffix.lower().replace(".xlsm", ".xlsx"))
            _spilled_copy(path, spills, copy)
            loaded, solution = _solve(copy)
    ev = Evaluation(_collect(loaded, solution), spills, loaded.formulas)
    ev.pysnop = {sheet: set(cells) for sheet, cells in loaded.scope.pysnop.items()}
    ev.date1904 = loaded.scope.saved.date1904
    for s in spills:  # the function's own result wins: blanks stay blank, dates stay dates
        if s.blocked:
            ev.values.setdefault(s.sheet, {})[s.anchor] = "#SPILL!"
        elif s.ref:
            r0, c0 = _rc(s.anchor)
            cells = ev.values.setdefault(s.sheet, {})
            for i, row in enumerate(s.values):
                for j, v in enumerate(row):
                    cells[f"{get_column_letter(c0 + j)}{r0 + i}"] = v
    return ev


def _spilled_copy(path: Path, spills: list[Spill], dest: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path)
    apply_spills(wb, spills)
    wb.save(dest)


# ------------------------------------------------------------------ writing the results

def cache_values(values: dict[str, dict[str, Any]], date1904: bool = False
                 ) -> dict[str, dict[str, Any]]:
    """Evaluation values as cached cell values: dates as serials of the workbook's own date
    system (a Mac workbook counts from 1904-01-01)."""
    offset = 1462.0 if date1904 else 0.0
    return {sheet: {c: (to_serial(v) - offset if isinstance(v, dt.date) else v)
                    for c, v in cells.items()}
            for sheet, cells in values.items()}


def post_save(xlsx: bytes) -> bytes:
    """The saved package with the values of pysnop's formulas (and the formulas reading
    them) cached (``bytes -> bytes``); every other formula keeps the value it had.

    Evaluates the package *as saved* (so formulas that read pysnop's own output sheets see
    this run's results) and patches the values in. When a top-level pysnop call's spill range
    is new or changed size, the range is first laid out in the sheet XML (array formula on
    the anchor, values in the other cells; :mod:`pysnop.workbook.ooxml.spill_layout`);
    otherwise only the cells concerned are rewritten. A package without formulas is
    returned unchanged.
    """
    if not _zipped_has_formula(xlsx):
        return xlsx
    with tempfile.TemporaryDirectory(prefix="pysnop-") as tmp:
        path = Path(tmp) / "saved.xlsx"
        path.write_bytes(xlsx)
        ev = evaluate(path, spill=False)
        if any(s.changed or s.blocked for s in ev.spills):
            xlsx = _relaid(xlsx, ev.spills)
            path.write_bytes(xlsx)
            ev = evaluate(path, spill=False)
    return patch_cached_values(xlsx, cache_values(ev.values, ev.date1904), ev.dynamic(),
                               ev.static())


def _relaid(xlsx: bytes, spills: list[Spill]) -> bytes:
    """The package with the spill ranges laid out (XML-level: nothing else is touched)."""
    return lay_out_spills(xlsx, spills)


def _zipped_has_formula(xlsx: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zf:
        return any(might_have_formulas(zf.read(n)) for n in zf.namelist()
                   if n.startswith("xl/worksheets/") and n.endswith(".xml"))


def recalc_formulas(src: str | os.PathLike, dest: str | os.PathLike | None = None, *,
                    backup: bool = True) -> Evaluation:
    """Recalculate every formula of ``src`` headlessly and save with cached values.

    Writes ``dest`` (default: ``src`` in place, keeping ``<src>.bak``) atomically; formulas
    and everything else in the package are kept (the package is only re-laid out through
    openpyxl when a spill range is new or changes size). Returns the evaluation.
    """
    src = Path(src)
    dest = Path(dest) if dest is not None else src
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise FileAccessError(f"cannot read {src.name}: {exc.strerror or exc}") from exc
    data = post_save(data)

    def save(handle: BinaryIO) -> None:
        handle.write(data)

    atomic_write(dest, save, src=src, backup=backup and dest.resolve() == src.resolve())
    with tempfile.TemporaryDirectory(prefix="pysnop-") as tmp:
        path = Path(tmp) / "done.xlsx"
        path.write_bytes(data)
        return evaluate(path, spill=False)
