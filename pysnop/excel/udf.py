"""pysnop's Excel worksheet functions (xlwings UDFs), one per :data:`pysnop.catalog.FUNCTIONS`.

Load them in Excel by adding ``pysnop.excel.udf`` to xlwings' *UDF Modules* (ribbon: xlwings
tab → UDF Modules, or ``UDF_MODULES`` in the xlwings.conf sheet / ``xlwings.conf`` file) and
clicking *Import Functions*; see ``docs/excel.md``. The same functions are evaluated
headlessly by ``pysnop recalc`` (see :mod:`pysnop.workbook.formulas.headless`).

Each function is made here from its catalog entry — name, signature, argument help and
description, the very decorators ``@xw.func`` / ``@xw.arg`` apply — and is a thin adapter over
:mod:`pysnop.workbook.formulas.functions`: table arguments are ranges that *include their
header row* (``Inventory!A1:G49`` or ``Inventory[#All]``), dates may be Excel serials, and a
bad argument returns one short cell text such as
``#PYSNOP: inventory row 7 (on_hand): expected a number, got "n/a"`` — the row is counted
inside the argument range, row 1 being its header.
"""

from __future__ import annotations

import datetime as dt
import gc
import inspect
from collections.abc import Callable
from typing import Any

import xlwings as xw

from pysnop.catalog import CATEGORY, FUNCTIONS, WorksheetFunction
from pysnop.workbook.formulas import functions

_arg: Any
_func: Any
try:  # Windows with pywin32: the very decorators behind xw.func / xw.arg
    from xlwings.udfs import xlarg as _arg
    from xlwings.udfs import xlfunc as _func
except ImportError:  # elsewhere xlwings' own no-op stand-ins (Excel is not there anyway)
    _arg, _func = xw.arg, xw.func

_TABLE = {"ndim": 2}  # a range stays 2-D even when it is one cell or one row


_AS_IS = frozenset({str, float, int, bool, dt.datetime})  # cells handed over unchanged


def _cell_to_excel(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return "" if value is None else value


def _to_excel(value: Any) -> Any:
    """Core values → what xlwings hands to Excel: dates as datetimes (Excel shows dates),
    None as blank; a 2-D list spills in dynamic-array Excel. (The common cells are tested
    by type inline: a 4,000-row result has 36,000 of them.)"""
    if isinstance(value, list):
        as_is, cell = _AS_IS, _cell_to_excel
        return [[v if type(v) in as_is else cell(v) for v in row] for row in value]
    return _cell_to_excel(value)


def _udf(spec: WorksheetFunction) -> Callable[..., Any]:
    """The xlwings UDF for ``spec``: its signature is the catalog's (xlwings reads it with
    ``inspect.signature``); any failure becomes a ``#PYSNOP: ...`` text, never a traceback."""
    def udf(*args: Any) -> Any:
        return functions.call(spec.name, *args, convert=_to_excel)

    udf.__name__ = udf.__qualname__ = spec.name
    udf.__doc__ = spec.description
    udf.__module__ = __name__
    udf.__annotations__ = {}  # xlwings turns type hints into converters: none here
    udf.__signature__ = inspect.Signature([  # type: ignore[attr-defined]  # read by xlwings
        inspect.Parameter(a.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          default=None if a.optional else inspect.Parameter.empty)
        for a in spec.args])
    decorated: Callable[..., Any] = udf
    for a in reversed(spec.args):  # innermost first, as stacked decorators apply
        decorated = _arg(a.name, doc=a.doc, **(_TABLE if a.table else {}))(decorated)
    wrapped: Callable[..., Any] = _func(category=CATEGORY)(decorated)
    return wrapped


for _spec in FUNCTIONS:
    globals()[_spec.name] = _udf(_spec)


def _settle_imports() -> None:
    """Move what is alive now (the imported modules of xlwings, pandas, numpy, scipy and
    pysnop: ~60,000 objects) out of the cyclic garbage collector's view, once per process.

    A 4,000-row call brings ~45,000 new row lists (xlwings' conversion of the ranges) that
    live through the call, which sets off a full collection every other call; a full
    collection walked every one of those module objects (~25 ms a call on average, a
    quarter of the call). Frozen objects are still freed when nothing refers to them; only
    reference cycles among them would wait, and module-level objects live as long as the
    process anyway. Measured by benchmarks/bench_udf.py."""
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


_settle_imports()

__all__ = [f.name for f in FUNCTIONS]
