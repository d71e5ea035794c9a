"""pysnop's worksheet functions inside the `formulas` engine: registration, and the value
conversions between the engine's cells and the functions' plain Python values.

The engine (and schedula under it) takes about a second to import: it is imported inside the
functions that need it, so reading and writing workbooks without pysnop formulas never pays
for it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pysnop.catalog import FUNCTIONS
from pysnop.workbook.formulas import functions

if TYPE_CHECKING:
    from pysnop.workbook.ooxml.package import Package

NAMES = tuple(f.name for f in FUNCTIONS)
_NAME_ALT = "|".join(NAMES)
# a pysnop call anywhere in a formula (optionally with the _xludf. prefix Excel may write)
CALL = re.compile(rf"(?:^|[^\w.])(?:_xludf\.)?({_NAME_ALT})\s*\(", re.I)
# a formula that is one pysnop call and nothing else: it may spill
TOP_CALL = re.compile(rf"^=\s*(?:_xludf\.)?({_NAME_ALT})\s*\((.*)\)\s*$", re.I | re.S)
EXCEL_EPOCH = dt.date(1899, 12, 30)
DATE_FORMAT = "yyyy-mm-dd"


def plain(v: Any) -> Any:
    """A value from the formulas engine as a plain cell value (None for blank)."""
    import schedula as sh
    from formulas.tokens.operand import XlError

    if v is sh.EMPTY or v is None:
        return None
    if isinstance(v, XlError):
        return str(v)
    if isinstance(v, np.generic):
        return v.item()
    return v


def _arg(v: Any) -> Any:
    """A formulas-engine argument (Ranges, Array, scalar) as core input."""
    from formulas.ranges import Ranges

    if isinstance(v, Ranges):
        v = v.value
    if isinstance(v, np.ndarray):
        arr = np.atleast_2d(v)
        return [[plain(x) for x in row] for row in arr.tolist()]
    return plain(v)


def to_serial(d: dt.date) -> float:
    if isinstance(d, dt.datetime):
        d = d.date()
    return float((d - EXCEL_EPOCH).days)


def _out(value: Any):
    """A core result as what the formulas engine expects: a 2-D object array or a scalar."""
    import schedula as sh

    def cell(v):
        if isinstance(v, dt.date):
            return to_serial(v)
        return sh.EMPTY if v is None else v

    if isinstance(value, list):
        arr = np.empty((len(value), max((len(r) for r in value), default=0)), dtype=object)
        for i, row in enumerate(value):
            for j, v in enumerate(row):
                arr[i, j] = cell(v)
        if arr.shape == (1, 1):
            return arr[0, 0]
        return arr
    if isinstance(value, dt.date):
        return to_serial(value)
    return "" if value is None else value


# functions whose arguments are all tables, dates, counts or ids: the formulas engine passes
# an empty argument (``F(a,,b)``) as the integer 0, which here can only mean "omitted"
_ZERO_IS_OMITTED = {"STOCKOUT_RISK", "MAX_SUPPORTABLE_LIFT", "CONSENSUS_FORECAST"}


def engine_function(name: str) -> Callable:
    """The formulas-engine implementation of worksheet function ``name``."""
    omit = name in _ZERO_IS_OMITTED

    def function(*args):
        values = [None if omit and type(a) is int and a == 0 else _arg(a) for a in args]
        return _out(functions.call(name, *values))
    function.__name__ = name
    return function


def register_functions(functions: dict | None = None) -> dict:
    """Register pysnop's worksheet functions into the formulas engine (idempotent)."""
    import formulas

    functions = formulas.get_functions() if functions is None else functions
    for name in NAMES:
        fn = engine_function(name)
        functions[name] = fn
        functions["_XLUDF." + name] = fn
    return functions


def has_pysnop_formulas(path: str | os.PathLike, skip: Collection[str] = ()) -> bool:
    """Whether any formula of the workbook calls a pysnop function (the sheets' formulas
    streamed with lxml; no workbook library involved). ``skip``: sheets not looked at (a
    run's own sheets: it writes no formulas there, and they are a re-run's largest)."""
    from pysnop.workbook.ooxml.cell_scan import might_have_formulas, scan_cells
    from pysnop.workbook.ooxml.package import Package
    from pysnop.workbook.ooxml.workbook_xml import WorkbookXml
    from pysnop.workbook.ooxml.xmlparts import PackageError

    try:
        package = Package(Path(path).read_bytes())
        for sheet in WorkbookXml(package).sheets():
            part = sheet["part"]
            if not part or not package.has(part) or sheet["name"] in skip:
                continue
            if not _may_hold_formulas(package, part):
                continue
            data = package.read(part)
            if might_have_formulas(data) and any(
                    c.formula and CALL.search(c.formula) for c in scan_cells(data, part)):
                return True
    except (OSError, PackageError, zipfile.BadZipFile, KeyError):
        return False
    return False


def _may_hold_formulas(package: Package, part: str, chunk: int = 1 << 20) -> bool:
    """:func:`might_have_formulas` of a stored part, inflated a chunk at a time: a sheet of
    values (most of a planner's inputs) is ruled out holding a megabyte of its XML at a
    time, not the whole sheet (hundreds of megabytes at 100,000 sku-locations)."""
    from pysnop.workbook.ooxml.cell_scan import might_have_formulas

    if part in package.changed or part not in package.infos:
        return True  # not a stored part: read it whole
    tail = b""
    with package.zip.open(part) as stream:
        while block := stream.read(chunk):
            if might_have_formulas(tail + block[:1]) or might_have_formulas(block):
                return True
            tail = block[-1:]  # a marker split between two chunks
    return False


__all__ = ["CALL", "DATE_FORMAT", "EXCEL_EPOCH", "NAMES", "TOP_CALL", "engine_function",
           "has_pysnop_formulas", "plain", "register_functions", "to_serial"]
