"""pysnop: the Marketing-to-Inventory Bridge for retail S&OP, inside the planner's workbook.

The library is the product; the command line and the Excel add-in are thin clients of it::

    import pysnop
    report = pysnop.recalc("plan.xlsx", output="plan-out.xlsx")
    report.result.summary        # one row per sku-location, worst first
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pysnop.errors import (
    DataError,
    FileAccessError,
    LayoutError,
    Problem,
    PysnopError,
    ValidationError,
)

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pysnop.api import RunReport, bridge, check, read, recalc

_API = ("recalc", "check", "read", "bridge", "RunReport")


def __getattr__(name: str) -> Any:
    # the API (and with it pandas, openpyxl, the pipeline) loads on first use, so that
    # ``import pysnop.core.bridge`` or ``import pysnop.errors`` stays light
    if name in _API:
        from pysnop import api

        return getattr(api, name)
    raise AttributeError(f"module 'pysnop' has no attribute {name!r}")


__all__ = [
    "DataError",
    "FileAccessError",
    "LayoutError",
    "Problem",
    "PysnopError",
    "RunReport",
    "ValidationError",
    "__version__",
    "bridge",
    "check",
    "read",
    "recalc",
]
