"""The workbook operations behind the ribbon's buttons: one set, on a file or in Excel.

Each operation takes a :class:`~pysnop.workbook.book.Book` —
:class:`~pysnop.workbook.book.FileBook` for a file, :class:`pysnop.excel.book.ExcelBook` for a
workbook open in Excel — runs the pipeline's stages it needs
(:func:`pysnop.pipeline.run.execute`, the same stages as ``pysnop recalc``), writes the
sheets it owns through ``book.apply`` and returns a short :class:`Summary` (a str) for a
message box or a console.

======================  ==============================================================
operation               what it writes
======================  ==============================================================
``recalculate``         everything ``pysnop recalc`` writes (Bridge, Bridge Chart, Issues,
                        Campaigns supply check, Consensus/Scorecard, Actions, Review)
``refresh_campaigns``   only the "Supply: ..." columns of the Campaigns sheet
``reconcile_forecast``  only the Consensus sheet (and Scorecard when there are Actuals)
``check_inputs``        nothing: validation and the consensus and bridge (``pysnop check``)
``propose_actions``     Actions, Review and the Campaigns "Supply: actions" column
``approve_selected``    the selected Actions rows set Approved by the deciding user, checked
``reject_selected``     against Approvers and logged (``pysnop decide`` after typing them)
``export_approved``     Approved actions to CSV/JSON, marked Exported (``pysnop export``)
``write_scorecard``     only the Scorecard sheet
======================  ==============================================================

The buttons that call them are defined in :mod:`pysnop.catalog`. Failures a person can act
on raise :class:`pysnop.errors.PysnopError`; the callers show its message. Nothing is
written when the workbook has errors.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

import pandas as pd

from pysnop.core.decisions import APPROVED, REJECTED
from pysnop.core.model import BridgeResult
from pysnop.errors import Problem, PysnopError, ValidationError
from pysnop.operations.decide import decide_selected
from pysnop.operations.export import export_actions
from pysnop.pipeline import actions, consensus
from pysnop.pipeline.run import check, execute, write
from pysnop.pipeline.stages import ACTIONS, BRIDGE, CHECK_STAGES, COMMITMENTS, CONSENSUS, STAGES
from pysnop.pipeline.state import ACTION_STATUSES, RunOptions
from pysnop.workbook.book import Book
from pysnop.workbook.render.campaign_columns import write_campaign_columns
from pysnop.workbook.render.canvas import Canvas

MAX_LISTED = 8
Log = str | os.PathLike[str] | None


class Summary(str):
    """The text shown to the person, with what the operation did in ``details``."""

    details: dict[str, Any]
    ok: bool

    def __new__(cls, text: str, ok: bool = True, **details: Any) -> Summary:
        obj = super().__new__(cls, text)
        obj.details = details
        obj.ok = ok
        return obj


# ------------------------------------------------------------------------------ helpers

def declared(book: Book) -> str | None:
    """The deciding user the book declares (the Windows account in Excel; for a file
    $PYSNOP_USER), else None."""
    value = getattr(book, "declared_user", None)
    return str(value) if value else None


def _listed(problems: list[Problem], limit: int = MAX_LISTED) -> str:
    shown = "\n".join(f"- {p}" for p in problems[:limit])
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return shown + more


def _warnings_text(warnings: list[Problem]) -> str:
    if not warnings:
        return ""
    return f"\n\n{len(warnings)} warning{'s' if len(warnings) != 1 else ''}:\n" + \
        _listed(warnings)


def _counts_text(result: BridgeResult) -> str:
    summary = result.summary
    counts = {s: int((summary["status"] == s).sum()) for s in ("STOCKOUT", "AT RISK", "OK")}
    return (f"{len(summary)} sku-locations: {counts['STOCKOUT']} STOCKOUT, "
            f"{counts['AT RISK']} AT RISK, {counts['OK']} OK")


def _actions_counts(rows: pd.DataFrame | None) -> str:
    if rows is None or not len(rows):
        return "no actions"
    counts = rows["status"].value_counts().to_dict()
    return ", ".join(f"{counts[s]} {s}" for s in ACTION_STATUSES if counts.get(s))


# ------------------------------------------------------------------------------ operations

def recalculate(book: Book, *, as_of: dt.date | None = None, user: str | None = None,
                log: Log = None, actions: bool = True) -> Summary:
    """The whole recalculation, exactly the stages of ``pysnop recalc``."""
    run = execute(book, STAGES, as_of=as_of,
                  options=RunOptions.of(user=user or declared(book), log=log, actions=actions))
    write(book, run)
    if run.result is None or not len(run.inputs.inventory):
        text = "Bridge not run: the workbook has no Inventory sheet (consensus only)."
    else:
        text = f"Bridge recalculated as of {run.result.as_of:%Y-%m-%d}. {_counts_text(run.result)}."
        if run.actions is not None:
            text += f"\nActions: {_actions_counts(run.actions.rows)}."
    return Summary(text + _warnings_text(run.warnings), result=run.result, warnings=run.warnings,
                   run=run)


def refresh_campaigns(book: Book, *, as_of: dt.date | None = None, log: Log = None) -> Summary:
    """Only the supply check on the Campaigns sheet ("Supply: ..." columns)."""
    run = execute(book, CHECK_STAGES, as_of=as_of,
                  options=RunOptions.of(log=log, record_history=False))
    layout = run.read.layouts.get("Campaigns")
    if layout is None or not len(run.inputs.campaigns) or run.result is None:
        raise PysnopError("the workbook has no Campaigns sheet with campaigns to check")
    check_frame = run.result.campaign_check

    def render(canvas: Canvas) -> None:
        write_campaign_columns(canvas, layout, check_frame)

    book.apply([render])
    worst = check_frame["supply_status"].astype(str) if len(check_frame) else []
    flagged = sum(1 for s in worst if s in ("STOCKOUT", "AT RISK"))
    text = (f"Supply check refreshed on {layout.name}: {len(check_frame)} campaign rows, "
            f"{flagged} short of supply.")
    return Summary(text + _warnings_text(run.warnings), check=check_frame)


def reconcile_forecast(book: Book, *, as_of: dt.date | None = None, log: Log = None) -> Summary:
    """Only the consensus forecast (Consensus sheet, and Scorecard when there are Actuals)."""
    run = execute(book, [CONSENSUS], as_of=as_of, options=RunOptions.of(log=log))
    write(book, run, issues=False)
    if run.consensus is None:
        text = ("Nothing to reconcile: the Forecast has one source at sku x location level, "
                "so it is used as it is.")
    else:
        table = run.consensus.table
        flagged = int(table["divergent"].astype(bool).sum()) if "divergent" in table else 0
        text = f"Consensus forecast reconciled: {len(table)} node-weeks"
        text += f", {flagged} divergence flags." if "divergent" in table else "."
    return Summary(text + _warnings_text(run.warnings), consensus=run.consensus)


def check_inputs(book: Book, *, as_of: dt.date | None = None) -> Summary:
    """Validate and compute as ``pysnop check`` does (consensus and bridge), write nothing:
    every problem with its cell."""
    try:
        report = check(book, as_of=as_of)
    except ValidationError as exc:
        problems = exc.problems
        return Summary(f"{len(problems)} error{'s' if len(problems) != 1 else ''}: nothing "
                       f"can run until they are fixed.\n{_listed(problems, MAX_LISTED * 2)}",
                       ok=False, problems=problems)
    return Summary(f"Inputs are valid. {_counts_text(report.result)}."
                   + _warnings_text(report.warnings),
                   result=report.result, warnings=report.warnings, report=report)


def propose_actions(book: Book, *, as_of: dt.date | None = None, user: str | None = None,
                    log: Log = None) -> Summary:
    """Action proposals (Actions, Review sheets; Campaigns "Supply: actions"), decisions kept."""
    run = execute(book, (CONSENSUS, COMMITMENTS, BRIDGE, ACTIONS), as_of=as_of,
                  options=RunOptions.of(user=user or declared(book), log=log,
                                        record_history=False))
    if run.actions is None:
        return Summary("No proposals: the workbook has no Inventory sheet.", ok=False)
    write(book, run, stages={actions.NAME}, issues=False)
    book.save()  # the decision log and the workbook must not disagree
    text = f"Actions proposed: {_actions_counts(run.actions.rows)} ({run.actions.new} new)."
    return Summary(text + _warnings_text(run.warnings), rows=run.actions.rows)


def _decided(book: Book, status: str, user: str | None, comment: str | None,
             log: Log) -> Summary:
    report, ids = decide_selected(book, status, user=user, comment=comment, log=log)
    user = user or book.user_name
    chosen = set(ids)
    accepted = [e.action_id for e in report.events
                if e.outcome == "accepted" and e.field == "status" and e.action_id in chosen]
    refused = [e for e in report.refused if e.action_id in chosen]
    verb = status.lower()
    text = f"{len(accepted)} action{'s' if len(accepted) != 1 else ''} {verb} by {user}"
    text += f": {', '.join(accepted[:MAX_LISTED])}." if accepted else "."
    unchanged = len(chosen) - len(accepted) - len(refused)
    if unchanged > 0:
        text += f" {unchanged} already {verb} or not open for a decision."
    if refused:
        text += f"\n{len(refused)} refused:" + "".join(
            f"\n- {e.action_id}: {e.message}" for e in refused[:MAX_LISTED])
    return Summary(text + _warnings_text(report.warnings), ok=not refused, rows=report.rows,
                   events=report.events, log=report.log)


def approve_selected(book: Book, *, user: str | None = None, comment: str | None = None,
                     log: Log = None) -> Summary:
    """Approve the Actions rows selected (a listed approver of each row's owner function)."""
    return _decided(book, APPROVED, user, comment, log)


def reject_selected(book: Book, *, user: str | None = None, comment: str | None = None,
                    log: Log = None) -> Summary:
    """Reject the Actions rows selected."""
    return _decided(book, REJECTED, user, comment, log)


def export_approved(book: Book, *, fmt: str = "csv", output: str | os.PathLike[str] | None = None,
                    user: str | None = None, log: Log = None) -> Summary:
    """Approved actions to CSV/JSON beside the workbook, marked Exported (``pysnop export``)."""
    report = export_actions(book, fmt, output, user=user, log=log)
    n = len(report.exported) if report.exported is not None else 0
    if n:
        text = (f"Exported {n} approved action{'s' if n != 1 else ''} to "
                f"{report.export_file}; marked Exported.")
    else:
        text = "No approved actions left to export; nothing written."
    return Summary(text + _warnings_text(report.warnings), rows=report.rows,
                   file=report.export_file, exported=report.exported)


def write_scorecard(book: Book, *, as_of: dt.date | None = None, log: Log = None) -> Summary:
    """Only the Scorecard sheet (needs Actuals)."""
    run = execute(book, [CONSENSUS], as_of=as_of,
                  options=RunOptions.of(log=log, record_history=False))
    actuals = run.inputs.actuals
    if actuals is None or not len(actuals) or run.scorecard is None:
        raise PysnopError("the scorecard needs an Actuals sheet (sku, location, week, units)")
    write(book, run, stages={consensus.SCORECARD}, issues=False)
    text = "Scorecard written"
    acc = run.scorecard.accuracy
    if acc is not None and len(acc):
        text += f": forecast accuracy for {len(acc)} source rows"
    return Summary(text + "." + _warnings_text(run.warnings), scorecard=run.scorecard)


Operation = Callable[..., Summary]

OPERATIONS: dict[str, Operation] = {
    "recalculate": recalculate,
    "refresh_campaigns": refresh_campaigns,
    "reconcile_forecast": reconcile_forecast,
    "check_inputs": check_inputs,
    "propose_actions": propose_actions,
    "approve_selected": approve_selected,
    "reject_selected": reject_selected,
    "export_approved": export_approved,
    "write_scorecard": write_scorecard,
}

__all__ = ["OPERATIONS", "Operation", "Summary", *OPERATIONS]
