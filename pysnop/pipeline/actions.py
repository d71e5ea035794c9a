"""The actions stage: ranked remedies for every risk, decisions kept, the decision log.

After the bridge, it plans the remedies (:func:`pysnop.core.actions.plan_actions`: the
risks, their ranked alternatives and what each covers), reviews the decisions people typed
into the Actions sheet against the Approvers and against each other (an approval that gives
a risk more than it needs is refused, the alternatives an approval makes redundant are
Superseded: :mod:`pysnop.core.coordination`), merges both with what the decision log knows
(:mod:`pysnop.core.decisions`), records the run (with its risks and cover, so that decisions
taken before the next recalculation coordinate the same way), and adds the Actions sheet
(grouped by risk), the Review sheet and the "Supply: actions" column of Campaigns.

The deciding user is ``RunOptions.user`` (CLI ``--user``), else $PYSNOP_USER; a run that
declares nobody decides as the approvers typed in the rows, and every decision records the OS
account beside them (:mod:`pysnop.pipeline.audit`). The run's records are committed to the
log only once the workbook is written (:func:`pysnop.pipeline.run.write`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from pysnop import forking
from pysnop.core.bridge import run_bridge
from pysnop.core.decisions import APPROVED, OBSOLETE, Event, merge, review_edits
from pysnop.core.review_coordination import coverage_of
from pysnop.core.stale_inputs import on_hand_fingerprint
from pysnop.errors import Problem
from pysnop.pipeline.audit import approver_changes, hold_to_log, runner
from pysnop.pipeline.signals import FINGERPRINT
from pysnop.pipeline.state import ActionsResult, PendingLog, Run, status_counts
from pysnop.store.known import advance
from pysnop.workbook.ooxml.atomic import fingerprint
from pysnop.workbook.read.actions import ACTIONS_SHEET, check_owned_sheets
from pysnop.workbook.read.approvers import read_approvers

if TYPE_CHECKING:
    from pysnop.workbook.render.review import ReviewData

NAME = "actions"
T = TypeVar("T")


def now() -> dt.datetime:
    """The time decisions are stamped with (whole seconds, local time)."""
    return dt.datetime.now().replace(microsecond=0)


def file_digest(path: Path) -> str:
    """The SHA-256 of a workbook file, as the decision log records it."""
    return fingerprint(path).sha256


def actions_stage(run: Run) -> None:
    """See the module doc. Skipped with ``RunOptions(actions=False)`` and for a workbook
    without Inventory (no bridge, no risks)."""
    if not run.options.actions:
        return
    inputs = run.inputs
    if len(inputs.inventory) == 0:
        return
    # HiGHS (the transfer LP, highspy) loads with core.actions: imported here so that a
    # bridge-only run, and `import pysnop`, never pay for loading it
    from pysnop.core.actions import overlapping, plan_actions

    mark = time.perf_counter()
    result = run.result if run.result is not None else run_bridge(inputs)
    who = runner(run.options.user)
    user = who.declared or who.account
    # the plan is made by a forked child (pipeline/overlap), else on a second thread (up to
    # OVERLAP_ROWS: its transfer LPs free the GIL while HiGHS solves), while this one reads
    # the sheet and the log, which the plan does not depend on
    rows = len(inputs.inventory)
    # lost units valued at the week's margin (promo margin in promo weeks), as the Bridge's
    # margin at risk (docs/semantics.md, promotion economics)
    forked = (forking.fork_call(plan_actions, inputs, result, margin_week=result.margin_weekly)
              if run.options.overlap else None)
    with (overlapping(rows, "pysnop-plan") if forked is None
          else contextlib.nullcontext(None)) as pool:
        planned = forked if forked is not None else submit(
            pool, plan_actions, inputs, result, margin_week=result.margin_weekly)
        try:
            run.settle_log()  # while the plan is made (this cycle's forecasts, consensus)
            grids = run.source_grids()
            sheet = run.actions_sheet()
            check_owned_sheets(grids)
            approvers, approver_warnings = read_approvers(grids)
            at = now()
            log = run.log_hold().log
            known = log.known_states()
            sheet, restored = hold_to_log(sheet, run.log_hold(), known)
            if forked is not None:  # this core is free until the plan comes: the write
                run.draw_ahead()    # begins, with the sheets the run has
        except BaseException:
            if forked is not None:
                forked.cancel()
            raise
        try:
            plan = planned.result()
        except (ValueError, ArithmeticError) as exc:  # e.g. the transfer LP on absurd numbers
            run.warnings.append(Problem(
                f"action proposals were not computed ({exc}); the Actions sheet and its "
                f"decisions are left as they were", ACTIONS_SHEET, severity="warning"))
            return
    # the drawing code (openpyxl): loaded by now where the run drew ahead while the plan
    # was made (Run.draw_ahead), the plan forked before it loads
    from pysnop.workbook.render.actions import actions_renderer, campaign_actions_renderer
    from pysnop.workbook.render.review import ReviewData, build_review, review_renderer

    proposals = plan.proposals
    coverage = coverage_of(plan.cover)  # the cover as arrays, once for review and merge
    reviewed = review_edits(sheet, known, approvers, user, at, runner=who, cover=coverage)
    rows, changes = merge(reviewed.rows, proposals, at, known=known,
                          lapsed=log.lapsed_exports(), cover=coverage)
    events = reviewed.events + changes
    summary = result.summary
    counts: dict[str, int | str] = {s: int((summary["status"] == s).sum())
                              for s in ("STOCKOUT", "AT RISK", "OK")}
    counts.update(status_counts(rows), proposals=len(proposals),
                  new=sum(e.message == "new proposal" for e in changes),
                  refused=len(reviewed.refused))
    # what the next run compares to see if as_of moved without new on-hand figures
    counts[FINGERPRINT] = on_hand_fingerprint(inputs.inventory)
    changed_approvers = approver_changes(log, approvers)

    def record() -> None:
        log.record_run(kind="recalc", at=at, workbook=(run.book_path or run.source).resolve(),
                       fingerprint=file_digest(run.source), as_of=result.as_of, user=user,
                       counts=counts, proposals=proposals,
                       risks=summary[summary["status"] != "OK"], events=events,
                       account=who.account, approvers=changed_approvers,
                       plan_risks=plan.risks, cover=plan.cover, seal=False)

    def review() -> ReviewData:
        # the states as the log will read them back: those read, advanced by this run's
        # events (tests/store/test_known_states.py), not the whole history replayed again
        data = build_review(log, known=advance(known, events))
        data.signals = run.signals  # demand shifts, the consensus note (signals stage)
        return data

    path = log.path
    names = approvers.names()
    run.actions = ActionsResult(rows, path, ReviewData(), events, plan.risks, plan.cover)
    pending = run.pending = PendingLog(record, review, log.seal, run.actions)
    if not run.options.overlap:
        pending.settle()
    run.add_sheets(NAME, actions_renderer(rows, names, plan.risks, plan.cover))
    layout = run.read.layouts.get("Campaigns")
    if layout is not None and len(inputs.campaigns):  # columns on Campaigns, not a sheet
        run.add_sheets(NAME, campaign_actions_renderer(layout, inputs.campaigns, rows))
    # last of the stage: a child writing the workbook waits here for the log's review
    run.add_sheets(NAME, lambda canvas: review_renderer(pending.review_data())(canvas))
    run.warnings += approver_warnings + restored + reviewed.problems + lapsed_approvals(
        changes, rows)
    run.timings["actions"] = time.perf_counter() - mark


def submit(pool: Executor | None, fn: Callable[..., T], *args: Any, **kwargs: Any
           ) -> Future[T]:
    """``fn`` submitted to ``pool``, or (None) done now, its outcome in a future either way."""
    if pool is not None:
        return pool.submit(fn, *args, **kwargs)
    done: Future[T] = Future()
    try:
        done.set_result(fn(*args, **kwargs))
    except Exception as exc:  # re-raised by result(), where the pool's would be
        done.set_exception(exc)
    return done


def lapsed_approvals(changes: list[Event], rows: pd.DataFrame) -> list[Problem]:
    """A warning for each approval that lapsed unexported: the proposal it approved is no
    longer made (its week passed, the numbers moved), so nothing will be exported for it and
    its risk is open again — never silently."""
    lapsed = [e.action_id for e in changes if e.old == APPROVED and e.new == OBSOLETE]
    if not lapsed:
        return []
    approver = dict(zip(rows["action_id"].astype(str), rows["approver"])) \
        if "approver" in rows else {}
    return [Problem(f"{a}, approved by {approver.get(a) or 'someone'} and not exported, is no "
                    f"longer proposed (the plan changed since: its week passed or its numbers "
                    f"moved); it is Obsolete and will not be exported — its risk is open "
                    f"again: approve one of its current alternatives", ACTIONS_SHEET,
                    severity="warning")
            for a in lapsed]


__all__ = ["NAME", "actions_stage", "file_digest", "lapsed_approvals", "now"]
