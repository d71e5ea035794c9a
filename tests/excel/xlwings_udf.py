"""The worksheet functions called the way Excel calls them through xlwings, without Excel.

On Windows, Excel calls ``xlwings.udfs.call_udf``, which reads the function's ``__xlfunc__``
metadata (made by ``xlwings.udfs.xlfunc`` / ``xlarg`` — what ``@xw.func`` / ``@xw.arg`` are
there), converts each argument with ``xlwings.conversion.read(None, value, arg["options"])``
(or from the Range), substitutes the default for a missing optional argument, calls the
function and converts the result with ``xlwings.conversion.write(ret, None, ret["options"])``.
Here the module ``xlwings.udfs`` is imported with the Windows-only modules stubbed, so the
metadata comes from xlwings' own decorators, and the conversion runs through xlwings' own
pipelines; only the COM value cleaning of the "excel" engine is stood in for (it mirrors
``xlwings._xlwindows.Engine``: blanks -> None on read, dates kept, None/NaN -> "" on write).

Used by the tests in this folder and by ``benchmarks/bench_udf.py``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

MISSING = -2147352572  # what COM passes for an omitted optional argument


class _ExcelEngineStandIn:
    name = "excel"
    type = "desktop"

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(v):
            if v in ("", None):
                return empty_as
            if number_builder is not None and isinstance(v, float):
                return number_builder(v)
            return v
        return [[clean(c) for c in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x, date_format):
        if isinstance(x, (dt.date, dt.datetime)):
            return x
        if x is None or (isinstance(x, float) and np.isnan(x)):
            return ""
        if isinstance(x, np.number):
            return float(x)
        return x


@contextmanager
def udf_module_as_on_windows() -> Iterator[types.ModuleType]:
    """pysnop.excel.udf as decorated on Windows, and an "excel" engine for the conversions."""
    import xlwings
    from xlwings.main import Engine

    stubs = {}
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        if name not in sys.modules:
            stubs[name] = sys.modules[name] = types.ModuleType(name)
    sys.modules["pythoncom"].CoInitialize = lambda: None  # type: ignore[attr-defined]
    sys.modules["pywintypes"].IID = lambda s: s  # type: ignore[attr-defined]
    sys.modules["win32com.client"].Dispatch = lambda *a: None  # type: ignore[attr-defined]
    sys.modules["win32com"].client = sys.modules["win32com.client"]  # type: ignore[attr-defined]
    try:
        import xlwings.udfs
        spec = importlib.util.spec_from_file_location(
            "pysnop_udf_as_on_windows", importlib.util.find_spec("pysnop.excel.udf").origin)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for name in stubs:
            sys.modules.pop(name, None)
        sys.modules.pop("xlwings.udfs", None)
    engine = Engine(impl=_ExcelEngineStandIn())
    added = "excel" not in xlwings.engines.engines_by_name
    if added:
        xlwings.engines.add(engine)
    try:
        yield module
    finally:
        if added:
            xlwings.engines.engines.remove(engine)
            xlwings.engines.engines_by_name.pop("excel", None)


def call_as_excel(func, *args):
    """xlwings.udfs.call_udf's argument and result handling (without COM)."""
    from xlwings import conversion

    info = func.__xlfunc__
    args = list(args)
    for i, arg in enumerate(args):
        arg_info = info["args"][min(i, len(info["args"]) - 1)]
        if isinstance(arg, int) and arg == MISSING:
            args[i] = arg_info.get("optional", None)
        else:
            args[i] = conversion.read(None, arg, arg_info["options"])
    ret = func(*args)
    return conversion.write(ret, None, info["ret"]["options"])
