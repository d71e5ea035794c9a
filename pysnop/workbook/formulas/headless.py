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
shows ``#SPILL!``, as in Excel (:mod:`pysnop.workbook.formulas.spills`). Excel tables'
structured references are resolved first (:mod:`pysnop.workbook.formulas.table_refs`).

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
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from openpyxl.utils import get_column_letter

from pysnop.errors import FileAccessError
from pysnop.workbook.formulas.engine import CALL, plain, register_functions, to_serial
from pysnop.workbook.formulas.spills import Spill, cells_of, find_spills, row_col, spilled_copy
from pysnop.workbook.formulas.table_refs import resolve_table_refs, table_ranges
from pysnop.workbook.ooxml.atomic import atomic_write
from pysnop.workbook.ooxml.cached_values import patch_cached_values
from pysnop.workbook.ooxml.cell_scan import might_have_formulas
from pysnop.workbook.ooxml.spill_layout import lay_out_spills

# The formulas engine (and schedula under it) takes about a second to import: it is imported
# inside the functions that evaluate, so reading and writing workbooks without pysnop
# formulas never pays for it.

# ------------------------------------------------------------------------- evaluation

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
                arrays.setdefault(ws.title, set()).update(cells_of(ref))
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


def evaluate(path: str | os.PathLike, *, spill: bool = True) -> Evaluation:
    """Evaluate pysnop's formulas of the workbook at ``path`` and the formulas reading them
    (see :mod:`pysnop.workbook.formulas.scope`); nothing is written.

    With ``spill`` (default), results of top-level pysnop calls are laid out over their
    ranges before the values are read, as Excel would show them.
    """
    path = Path(path)
    loaded, solution = _solve(path)
    spills = find_spills(loaded.model, loaded.book, loaded.formulas, solution)
    if spill and any(s.changed or s.blocked for s in spills):
        with tempfile.TemporaryDirectory(prefix="pysnop-") as tmp:
            copy = Path(tmp) / ("spilled" + path.suffix.lower().replace(".xlsm", ".xlsx"))
            spilled_copy(path, spills, copy)
            loaded, solution = _solve(copy)
    ev = Evaluation(_collect(loaded, solution), spills, loaded.formulas)
    ev.pysnop = {sheet: set(cells) for sheet, cells in loaded.scope.pysnop.items()}
    ev.date1904 = loaded.scope.saved.date1904
    for s in spills:  # the function's own result wins: blanks stay blank, dates stay dates
        if s.blocked:
            ev.values.setdefault(s.sheet, {})[s.anchor] = "#SPILL!"
        elif s.ref:
            r0, c0 = row_col(s.anchor)
            cells = ev.values.setdefault(s.sheet, {})
            for i, row in enumerate(s.values):
                for j, v in enumerate(row):
                    cells[f"{get_column_letter(c0 + j)}{r0 + i}"] = v
    return ev


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
