"""The public Python API: ``pysnop.recalc``, ``check``, ``read`` and ``bridge``.

    >>> import pysnop
    >>> report = pysnop.recalc("plan.xlsx")            # in place, one backup kept
    >>> report.counts
    {'STOCKOUT': 3, 'AT RISK': 5, 'OK': 140}
    >>> report.result.summary.head()                   # a pandas DataFrame

A thin facade over :mod:`pysnop.pipeline.run`, which the command line, the ribbon's
operations and this API all go through. Every failure a person can act on is a
:class:`pysnop.errors.PysnopError`.
"""

from pysnop.pipeline.run import RunReport, bridge, check, read, recalc

__all__ = ["RunReport", "bridge", "check", "read", "recalc"]
