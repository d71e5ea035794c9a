"""What-if: the bridge with chosen actions applied, before anyone decides (``pysnop simulate``).

The "before" is the bridge a recalculation would project (the consensus, exported-actions and
bridge stages of the pipeline: what was exported is already in it, so an exported action is
not applied a second time); the actions are applied by :func:`pysnop.core.simulate.simulate`,
which counts a Draft campaign that a marketing remedy changes before and after, as the
proposal was valued. Nothing is written or recorded.
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd

from pysnop.core.decisions import APPROVED
from pysnop.core.simulate import simulate as simulate_actions
from pysnop.errors import PysnopError
from pysnop.pipeline.run import as_book, execute
from pysnop.pipeline.stages import CHECK_STAGES
from pysnop.pipeline.state import RunOptions
from pysnop.workbook.book import Book
from pysnop.workbook.read.actions import read_actions_sheet

SCENARIO_MARKS = ("y", "yes", "x", "true", "1")


def simulate(book: str | os.PathLike[str] | Book, action_ids: list[str] | None = None, *,
             approved: bool = False, as_of: dt.date | None = None
             ) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Before/after per sku-location with the chosen actions applied.

    Chosen: ``action_ids``; else, with ``approved``, the Approved rows of the Actions sheet;
    else the rows whose Scenario is Y. Returns (table, notes, ids simulated).
    """
    from pysnop.core.actions import propose_actions  # scipy.optimize: loaded when needed

    target = as_book(book)
    run = execute(target, CHECK_STAGES, as_of=as_of, options=RunOptions(record_history=False))
    inputs, before = run.inputs, run.result
    assert before is not None  # CHECK_STAGES end with the bridge
    proposals = propose_actions(inputs, before, margin_week=before.margin_weekly) \
        .set_index("action_id", drop=False)
    sheet = read_actions_sheet(target)
    sheet = sheet[sheet["action_id"].notna()].drop_duplicates("action_id").set_index(
        "action_id", drop=False)
    if action_ids:
        ids = [str(a).strip() for a in action_ids if str(a).strip()]
    elif approved:
        ids = list(sheet.index[sheet["status"].map(lambda s: str(s).strip().casefold())
                               == APPROVED.casefold()])
    else:
        ids = list(sheet.index[sheet["scenario"].map(
            lambda s: str(s).strip().casefold() in SCENARIO_MARKS)])
        if not ids:
            raise PysnopError("nothing to simulate: give --actions ID,... or --approved, or "
                              "mark rows of the Actions sheet with Scenario = Y")
    notes, chosen = [], []
    projected = set(run.commitments.projected["action_id"]) if run.commitments else set()
    for a in ids:
        if a in projected:
            notes.append(f"{a} was exported and is already in the projection (the closed "
                         f"loop); not applied twice")
        elif a in proposals.index:
            chosen.append(proposals.loc[a])
        elif a in sheet.index:
            chosen.append(sheet.loc[a])
            notes.append(f"{a} is not proposed any more; simulated with its values on the "
                         f"Actions sheet")
        else:
            notes.append(f"{a}: no such action; skipped")
    frame = pd.DataFrame(chosen).reset_index(drop=True) if chosen else proposals.iloc[0:0]
    table, more = simulate_actions(inputs, frame, before=before)
    return table, notes + more, list(frame["action_id"])


__all__ = ["simulate"]
