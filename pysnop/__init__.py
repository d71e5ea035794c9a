"""pysnop: the Marketing-to-Inventory Bridge for retail S&OP, inside the planner's workbook.

The library is the product; the command line and the Excel add-in are thin clients of it::

    import pysnop
    report = pysnop.recalc("plan.xlsx", output="plan-out.xlsx")
    report.result.summary        # one row per sku-location, worst first
"""

__version__ = "0.1.0"

from pysnop.api import RunReport, bridge, check, read, recalc  # noqa: E402
from pysnop.errors import (DataError, FileAccessError, LayoutError, Problem,  # noqa: E402
                           PysnopError, ValidationError)

__all__ = ["recalc", "check", "read", "bridge", "RunReport", "Problem", "PysnopError",
           "LayoutError", "DataError", "FileAccessError", "ValidationError", "__version__"]
