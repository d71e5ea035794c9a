"""The closed loop's stage: exported actions enter the projection (docs/semantics.md,
"Closed loop").

Before the bridge, it reads every export from the decision log (the values exported, read
without writing to the file) and puts the ones the Receipts and Campaigns sheets do not show
yet into the run's inputs (:func:`pysnop.core.commitments.apply_commitments`): a planned receipt
for a new order or a transfer, an expedited receipt's new date, a changed campaign. So the
bridge projects what was decided, the actions stage does not propose it again, and the Bridge
says which risks are covered and by what (``covered_by``). A workbook without a decision log,
or with nothing exported, is projected as it is.
"""

from __future__ import annotations

import time

from pysnop.core.commitments import apply_commitments
from pysnop.pipeline.state import Run
from pysnop.store.decision_log import read_exports

NAME = "commitments"


def commitments_stage(run: Run) -> None:
    """See the module doc."""
    if len(run.inputs.inventory) == 0:
        return
    mark = time.perf_counter()
    if run.hold is not None and not run.hold.done:
        # the log this run holds: another connection would wait on the hold's lock (the
        # history it recorded may already be written to the file, uncommitted)
        exported = run.hold.log.exported_values()
    else:
        path = run.store_path(required=False)
        exported = read_exports(path) if path is not None else None
    if exported is None or exported.empty:
        return
    done = apply_commitments(run.inputs, exported, listed_po_ids=run.read.closed_po_ids)
    run.read.inputs = done.inputs
    run.commitments = done
    run.warnings += done.warnings
    run.timings[NAME] = time.perf_counter() - mark


__all__ = ["NAME", "commitments_stage"]
