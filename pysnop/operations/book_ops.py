"""The workbook operations: one set, run by the command line and by the Excel ribbon alike.

Each operation takes a :class:`~pysnop.workbook.book.Book` — :class:`~pysnop.workbook.book.FileBook` for
a file (the CLI), :class:`~pysnop.workbook.book.ExcelBook` for a workbook open in Excel (the
ribbon) — and options, does its work through the same pipeline as ``pysnop recalc``
(:data:`pysnop.pipeline.run.STAGES`, renderers, :mod:`pysnop.operations.decide`), writes through
``book.apply`` and returns a short :class:`Summary` (a str) for a message box or a console.

=====================  ==============================================================
operation              what it writes
=====================  ==============================================================
``run_bridge``         everything ``pysnop recalc`` writes (Bridge, Bridge Chart, Issues,
                       Campaigns supply check, Consensus/Scorecard, Actions when the
                       proposal stage is in the pipeline)
``refresh_campaigns``  only the "Supply: ..." columns of the Campaigns sheet
``reconcile_forecast`` only the Consensus sheet (and Scorecard when there are Actuals)
``propose_actions``    Actions, Review and the Campaigns "Supply: actions" column
``approve_selected``   the selected Actions rows set Approved by the deciding user, checked
``reject_selected``    against Approvers and logged (``pysnop decide`` after typing them)
``export_approved``    Approved actions to CSV/JSON, marked Exported (``pysnop export``)
``scorecard``          only the Scorecard sheet
``check_inputs``       nothing: validation, every problem listed (``pysnop check``)
=====================  ==============================================================

Failures a person can act on raise :class:`pysnop.errors.PysnopError`; the callers (CLI,
ribbon) show its message. Nothing is written when the workbook has errors.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from pysnop.errors import Problem, PysnopError, ValidationError
from pysnop.workbook.book import Book, ExcelBook, FileBook

MAX_LISTED = 8


class Summary(str):
    """The text shown to the person, with what the operation did in ``details``."""

    details: dict
    ok: bool

    def __new__(cls, text: str, ok: bool = True, **details):
        obj = super().__new__(cls, text)
        obj.details = details
        obj.ok = ok
        return obj


# ------------------------------------------------------------------------------ helpers

def _warnings_text(warnings: list[Problem]) -> str:
    if not warnings:
        return ""
    shown = "\n".join(f"- {w}" for w in warnings[:MAX_LISTED])
    more = f"\n... and {len(warnings) - MAX_LISTED} more" if len(warnings) > MAX_LISTED else ""
    return f"\n\n{len(warnings)} warning{'s' if len(warnings) != 1 else ''}:\n{shown}{more}"


def _read(book: Book, as_of):
    from pysnop.workbook.read.reader import read_plan

    return read_plan(book, as_of=as_of)


def _log_option(book: Book, read, options: dict) -> dict:
    """Where the decision log / forecast history lives: beside the workbook, as for the CLI.

    The pipeline's stages get a file holding the book's contents (``book.source_file()``);
    for a live workbook that is a temporary copy, so the log location is resolved from the
    workbook's own path here and passed on as the ``log`` option.
    """
    options = dict(options)
    if options.get("log") is not None or isinstance(book, FileBook):
        return options
    if book.path is None:
        raise PysnopError("save the workbook first: pysnop keeps its decision log and "
                          "forecast history in a file beside it")
    from pysnop.operations.decide import log_path

    options["log"] = log_path(book.path, extra=read.inputs.settings.extra)
    return options


def _stages(book: Book, stages) -> list:
    from pysnop.pipeline.run import formula_stage

    # Excel recalculates its own formulas; the headless formula stage is for files only
    return [s for s in stages if book.headless or s is not formula_stage]


def _pipeline(book: Book, stages, *, as_of=None, keep=None, issues=True, **options):
    """Run ``stages`` as ``pysnop recalc`` does and apply the renderers.

    ``keep``: the stages whose renderers are applied (default all); ``issues``: also write
    the Issues sheet from the run's warnings. Returns the :class:`pysnop.pipeline.run.Run`.
    """
    from pysnop.pipeline.run import Run
    from pysnop.workbook.writer import issues_renderer

    started = time.perf_counter()
    read = _read(book, as_of)
    options = _log_option(book, read, options)
    with book.source_file() as source:
        run = Run(Path(source), read, options, warnings=list(read.warnings))
        renderers = []
        for stage in _stages(book, stages):
            before = len(run.renderers)
            stage(run)
            if keep is None or stage in keep:
                renderers += run.renderers[before:]
    if issues:
        renderers.append(issues_renderer(run.warnings))
    if renderers:
        book.apply(renderers, post_save=run.extras.get("post_save") if book.headless else None)
    run.timings["total"] = time.perf_counter() - started
    return run


def _counts_text(result) -> str:
    summary = result.summary
    counts = {s: int((summary["status"] == s).sum()) for s in ("STOCKOUT", "AT RISK", "OK")}
    return (f"{len(summary)} sku-locations: {counts['STOCKOUT']} STOCKOUT, "
            f"{counts['AT RISK']} AT RISK, {counts['OK']} OK")


def _actions_counts(rows) -> str:
    if rows is None or not len(rows):
        return "no actions"
    counts = rows["status"].value_counts().to_dict()
    return ", ".join(f"{counts[s]} {s}" for s in
                     ("Proposed", "Approved", "Rejected", "Exported", "Obsolete") if counts.get(s))


# ------------------------------------------------------------------------------ operations

def run_bridge(book: Book, *, as_of: dt.date | None = None, **options) -> Summary:
    """The whole recalculation, exactly the stages of ``pysnop recalc``."""
    from pysnop.pipeline import run as api

    run = _pipeline(book, api.STAGES, as_of=as_of, **options)
    if run.result is None or not len(run.read.inputs.inventory):
        text = "Bridge not run: the workbook has no Inventory sheet (consensus only)."
    else:
        text = f"Bridge recalculated as of {run.result.as_of:%Y-%m-%d}. {_counts_text(run.result)}."
        if run.extras.get("actions") is not None:
            text += f"\nActions: {_actions_counts(run.extras['actions'])}."
    return Summary(text + _warnings_text(run.warnings), result=run.result, warnings=run.warnings,
                   extras=run.extras)


def refresh_campaigns(book: Book, *, as_of: dt.date | None = None, **options) -> Summary:
    """Only the supply check on the Campaigns sheet ("Supply: ..." columns)."""
    from pysnop.pipeline.run import Run
    from pysnop.core.bridge import run_bridge as compute
    from pysnop.workbook.render.campaign_columns import write_campaign_columns

    read = _read(book, as_of)
    layout = read.layouts.get("Campaigns")
    if layout is None or not len(read.inputs.campaigns):
        raise PysnopError("the workbook has no Campaigns sheet with campaigns to check")
    options = _log_option(book, read, options)
    with book.source_file() as source:
        run = Run(Path(source), read, {**options, "record_history": False},
                  warnings=list(read.warnings))
        _consensus(run)
    result = compute(read.inputs)
    check = result.campaign_check
    book.apply([lambda wb, styles: write_campaign_columns(wb, layout, check, styles)])
    worst = check["supply_status"].astype(str) if len(check) else []
    flagged = sum(1 for s in worst if s in ("STOCKOUT", "AT RISK"))
    text = (f"Supply check refreshed on {layout.name}: {len(check)} campaign rows, "
            f"{flagged} short of supply.")
    return Summary(text + _warnings_text(run.warnings + list(result.warnings)), check=check)


def _consensus(run) -> None:
    from pysnop.pipeline.run import consensus_stage

    consensus_stage(run)


def reconcile_forecast(book: Book, *, as_of: dt.date | None = None, **options) -> Summary:
    """Only the consensus forecast (Consensus sheet, and Scorecard when there are Actuals)."""
    from pysnop.pipeline.run import consensus_stage

    run = _pipeline(book, [consensus_stage], as_of=as_of, issues=False, **options)
    consensus = run.extras.get("consensus")
    if consensus is None:
        text = ("Nothing to reconcile: the Forecast has one source at sku x location level, "
                "so it is used as it is.")
    else:
        table = consensus.table
        flagged = int(table["divergent"].astype(bool).sum()) if "divergent" in table else 0
        text = f"Consensus forecast reconciled: {len(table)} node-weeks"
        text += f", {flagged} divergence flags." if "divergent" in table else "."
    return Summary(text + _warnings_text(run.warnings), consensus=consensus)


def propose_actions(book: Book, *, as_of: dt.date | None = None, **options) -> Summary:
    """Action proposals (Actions, Review sheets; Campaigns "Supply: actions"), decisions kept."""
    from pysnop.operations.decide import propose_stage
    from pysnop.pipeline.run import bridge_stage, consensus_stage

    run = _pipeline(book, [consensus_stage, bridge_stage, propose_stage], as_of=as_of,
                    keep=[propose_stage], issues=False, **{"record_history": False, **options})
    rows = run.extras.get("actions")
    if rows is None:
        return Summary("No proposals: the workbook has no Inventory sheet.", ok=False)
    book.save()  # the decision log and the workbook must not disagree
    new = sum(1 for e in run.extras.get("decisions", []) if e.message == "new proposal")
    text = f"Actions proposed: {_actions_counts(rows)} ({new} new)."
    return Summary(text + _warnings_text(run.warnings), rows=rows)


def _decide(book: Book, status: str, *, user=None, comment=None, log=None) -> Summary:
    """Set the selected Actions rows to ``status``, check, log and write (see module doc).

    :func:`pysnop.operations.decide.apply_decisions` does this for decisions typed into a saved
    file; here the selected rows of any Book (the live workbook in Excel) are decided, and
    both log through :func:`pysnop.operations.decide.record_decisions`.
    """
    from pysnop.operations.decide import log_path, now, record_decisions
    from pysnop.core.decisions import review_edits
    from pysnop.store.decision_log import DecisionLog
    from pysnop.workbook.render.actions import find_sheet, read_actions_sheet, write_actions_sheet
    from pysnop.workbook.read.approvers import read_approvers

    sheet_name = find_sheet(book.sheet_names())
    frame = read_actions_sheet(book)
    if sheet_name is None or not len(frame):
        raise PysnopError("there are no action proposals yet: press Propose actions first")
    rows = book.selected_rows(sheet_name)
    if not rows:
        verb = {"Approved": "approve", "Rejected": "reject"}.get(status, "decide")
        raise PysnopError(f"select the rows to {verb} on the {sheet_name} sheet first "
                          f"(any cell of each row)")
    chosen = frame["row"].isin(rows) & frame["action_id"].notna()
    if not chosen.any():
        raise PysnopError(f"the selected rows ({_rows_text(rows)}) hold no actions; "
                          f"select rows below the header of the {sheet_name} sheet")
    user = user or book.user_name
    frame = frame.copy()
    frame.loc[chosen, "status"] = status
    frame.loc[chosen, "approver"] = user
    if comment:
        frame.loc[chosen, "comment"] = comment
    approvers, warnings = read_approvers(book)
    if book.path is None and log is None:
        raise PysnopError("save the workbook first: pysnop keeps its decision log beside it")
    path = Path(log) if log is not None else log_path(book.path) if isinstance(book, FileBook) \
        else log_path(book.path, extra=_settings_extra(book))
    at = now()
    with DecisionLog(path) as lg:
        reviewed = review_edits(frame, lg.known_states(), approvers, user, at)
        record_decisions(lg, reviewed, at=at, workbook=book.path, user=user)
    result = reviewed.rows.drop(columns=["row"], errors="ignore")
    names = approvers.names()
    book.apply([lambda wb, styles: write_actions_sheet(wb, result, styles, names)])
    book.save()
    ids = set(frame.loc[chosen, "action_id"])
    accepted = [e.action_id for e in reviewed.events
                if e.outcome == "accepted" and e.field == "status" and e.action_id in ids]
    refused = [e for e in reviewed.refused if e.action_id in ids]
    verb = status.lower()
    text = f"{len(accepted)} action{'s' if len(accepted) != 1 else ''} {verb} by {user}"
    text += f": {', '.join(accepted[:MAX_LISTED])}." if accepted else "."
    unchanged = len(ids) - len(accepted) - len(refused)
    if unchanged > 0:
        text += f" {unchanged} already {verb} or not open for a decision."
    if refused:
        text += f"\n{len(refused)} refused:" + "".join(
            f"\n- {e.action_id}: {e.message}" for e in refused[:MAX_LISTED])
    others = [w for w in warnings + reviewed.problems
              if not any(e.action_id in str(w) for e in refused)]
    return Summary(text + _warnings_text(others), ok=not refused, rows=result,
                   events=reviewed.events, log=path)


def _rows_text(rows: list[int]) -> str:
    return ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")


def _settings_extra(book: Book) -> dict:
    from pysnop.workbook.read.cells import Collector
    from pysnop.workbook.read.schema import norm
    from pysnop.workbook.read.settings import read_settings

    sheet = next((n for n in book.sheet_names() if norm(n) == "settings"), None)
    if sheet is None:
        return {}
    settings, _ = read_settings(book.grid(sheet), Collector())
    return settings.extra


def approve_selected(book: Book, *, user: str | None = None, comment: str | None = None,
                     log=None) -> Summary:
    """Approve the Actions rows selected (a listed approver of each row's owner function)."""
    from pysnop.core.decisions import APPROVED

    return _decide(book, APPROVED, user=user, comment=comment, log=log)


def reject_selected(book: Book, *, user: str | None = None, comment: str | None = None,
                    log=None) -> Summary:
    """Reject the Actions rows selected."""
    from pysnop.core.decisions import REJECTED

    return _decide(book, REJECTED, user=user, comment=comment, log=log)


def export_approved(book: Book, *, fmt: str = "csv", output=None, user: str | None = None,
                    log=None) -> Summary:
    """Approved actions to CSV/JSON beside the workbook, marked Exported (``pysnop export``)."""
    from pysnop.operations import decide as action_ops
    from pysnop.workbook.render.actions import write_actions_sheet
    from pysnop.workbook.read.approvers import read_approvers

    if book.path is None:
        raise PysnopError("save the workbook first: the export file and the decision log are "
                          "written beside it")
    user = user or book.user_name
    if isinstance(book, FileBook):
        report = action_ops.export_approved(book.path, fmt, output, user=user, log=log)
    else:
        log = log if log is not None else action_ops.log_path(book.path,
                                                               extra=_settings_extra(book))
        if output is None:
            output = book.path.with_name(
                f"{book.path.stem}-actions-{action_ops.now():%Y%m%d-%H%M%S}.{fmt.lower()}")
        with book.source_file() as source:  # the live Actions rows, not the saved file
            report = action_ops.export_approved(source, fmt, output, user=user, log=log)
        if report.events:
            names = read_approvers(book)[0].names()
            rows = report.rows
            book.apply([lambda wb, styles: write_actions_sheet(wb, rows, styles, names)])
            book.save()
    n = len(report.exported) if report.exported is not None else 0
    if n:
        text = (f"Exported {n} approved action{'s' if n != 1 else ''} to "
                f"{report.export_file}; marked Exported.")
    else:
        text = "No approved actions left to export; nothing written."
    return Summary(text + _warnings_text(report.warnings), rows=report.rows,
                   file=report.export_file, exported=report.exported)


def scorecard(book: Book, *, as_of: dt.date | None = None, **options) -> Summary:
    """Only the Scorecard sheet (needs Actuals)."""
    from pysnop.pipeline.run import consensus_stage
    from pysnop.workbook.render.scorecard import SCORECARD_SHEET

    read = _read(book, as_of)
    actuals = read.inputs.actuals
    if actuals is None or not len(actuals):
        raise PysnopError("the scorecard needs an Actuals sheet (sku, location, week, units)")

    def only_scorecard(wb, styles):
        for render in kept:
            render(wb, styles)
        for ws in list(wb.worksheets):
            if ws.title != SCORECARD_SHEET:
                wb.remove(ws)
        wb._pysnop_patches[:] = []

    run = _pipeline(book, [consensus_stage], as_of=as_of, keep=[], issues=False,
                    **{"record_history": False, **options})
    kept = run.renderers
    book.apply([only_scorecard])
    card = run.extras.get("scorecard")
    text = "Scorecard written"
    acc = getattr(card, "accuracy", None)
    if acc is not None and len(acc):
        text += f": forecast accuracy for {len(acc)} source rows"
    return Summary(text + "." + _warnings_text(run.warnings), scorecard=card)


def check_inputs(book: Book, *, as_of: dt.date | None = None) -> Summary:
    """Validate and compute, write nothing: every problem with its cell (``pysnop check``)."""
    from pysnop.core.bridge import run_bridge as compute

    try:
        read = _read(book, as_of)
    except ValidationError as exc:
        problems = exc.problems
        shown = "\n".join(f"- {p}" for p in problems[:MAX_LISTED * 2])
        more = (f"\n... and {len(problems) - MAX_LISTED * 2} more"
                if len(problems) > MAX_LISTED * 2 else "")
        return Summary(f"{len(problems)} error{'s' if len(problems) != 1 else ''}: nothing "
                       f"can run until they are fixed.\n{shown}{more}", ok=False,
                       problems=problems)
    result = compute(read.inputs)
    warnings = read.warnings + list(result.warnings)
    return Summary(f"Inputs are valid. {_counts_text(result)}." + _warnings_text(warnings),
                   result=result, warnings=warnings)


OPERATIONS = {
    "run_bridge": run_bridge,
    "refresh_campaigns": refresh_campaigns,
    "reconcile_forecast": reconcile_forecast,
    "propose_actions": propose_actions,
    "approve_selected": approve_selected,
    "reject_selected": reject_selected,
    "export_approved": export_approved,
    "scorecard": scorecard,
    "check_inputs": check_inputs,
}

__all__ = ["Book", "ExcelBook", "FileBook", "OPERATIONS", "Summary", *OPERATIONS]
