"""Deciding on action proposals: approvals and rejections, checked and logged.

Two doors, one routine (:func:`review_sheet`, then :func:`record_decisions`):

* :func:`apply_decisions` — the decisions people typed into the Actions sheet of a book
  (``pysnop decide BOOK``), without recalculating the bridge;
* :func:`decide_selected` — the rows selected in a book set Approved or Rejected by the
  deciding user (the ribbon's Approve / Reject).

Either way an approval by someone not listed in Approvers for the action's owner function is
refused, logged as refused and left as it was; so is an approval that would give a risk more
than it needs (the cover of the latest recalculation, from the decision log: the message names
both rows), and the alternatives an approval makes unnecessary become Superseded
(:mod:`pysnop.core.coordination`). The Actions sheet is rewritten, grouped by the risks of
that recalculation, and saved so the workbook and the decision log agree.

The deciding user is ``user=`` (CLI ``--user``), else the book's (the Windows account in Excel,
$PYSNOP_USER for a file), else nobody: the approvers typed in the rows decide, with the OS
account recorded beside them (:mod:`pysnop.core.authority`). The decision log is ``log=`` (CLI
``--log``), else Settings ``decision_log``, else ``<book stem>.pysnop.sqlite`` beside the
workbook (:mod:`pysnop.store.paths`); it is checked against the workbook before anything is
read from it, and the run is committed to it only once the workbook is written
(:mod:`pysnop.pipeline.audit`).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pysnop.core.authority import Runner
from pysnop.core.decisions import Approvers, Event, Review, review_edits
from pysnop.errors import Problem, PysnopError
from pysnop.pipeline.actions import file_digest, now
from pysnop.pipeline.audit import (
    LogHold,
    approver_changes,
    book_stamp,
    hold_to_log,
    open_log,
    stamp_renderer,
)
from pysnop.pipeline.state import status_counts
from pysnop.store.chain import Stamp
from pysnop.store.decision_log import DecisionLog
from pysnop.store.paths import SETTING as STORE_SETTING
from pysnop.store.paths import resolve_path
from pysnop.workbook.book import Book, FileBook, declared_user, runner_account
from pysnop.workbook.read.actions import (
    ACTIONS_SHEET,
    check_owned_sheets,
    find_sheet,
    read_actions_sheet,
)
from pysnop.workbook.read.approvers import read_approvers
from pysnop.workbook.read.settings import extra_setting, settings_extra
from pysnop.workbook.render.actions import actions_renderer

MAX_LISTED = 8


@dataclass
class Plan:
    """The risks and cover of the latest recalculation (from the decision log), which the
    Actions sheet shows until the next one."""

    risks: pd.DataFrame | None = None
    cover: pd.DataFrame | None = None

    @classmethod
    def of(cls, log: DecisionLog) -> Plan:
        latest = log.latest_plan()
        return cls() if latest is None else cls(latest[1], latest[2])


@dataclass
class ActionsReport:
    """What a decision or export operation did."""

    book: Path | None
    log: Path
    rows: pd.DataFrame  # the Actions sheet as written (or as read, when nothing was written)
    events: list[Event] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    exported: pd.DataFrame | None = None
    export_file: Path | None = None

    @property
    def refused(self) -> list[Event]:
        return [e for e in self.events if e.outcome == "refused"]


def as_file_book(book: str | os.PathLike[str] | Book) -> Book:
    return FileBook(book) if isinstance(book, (str, os.PathLike)) else book


def log_file(book: Book, log: str | os.PathLike[str] | None = None) -> Path:
    """The decision log of ``book``: ``log``, else Settings ``decision_log``, else beside it."""
    if book.path is None:
        if log is not None:
            return Path(log)
        raise PysnopError("save the workbook first: pysnop keeps its decision log beside it")
    setting = extra_setting(settings_extra(book), STORE_SETTING)
    return resolve_path(book.path, override=log, setting=setting)


def existing_log_file(book: Book, log: str | os.PathLike[str] | None = None) -> Path:
    path = log_file(book, log)
    if not path.exists():
        name = book.path.name if book.path is not None else "BOOK"
        raise PysnopError(f"no decision log at {path}: run pysnop recalc {name} first")
    return path


def no_proposals(book: Book) -> str:
    name = book.path.name if book.path is not None else "the workbook"
    return f"{name} has no Actions sheet with proposals: run pysnop recalc {name} first"


def runner_for(book: Book, user: str | None = None) -> Runner:
    """Who runs this operation: the OS account, and the deciding user declared — ``user``
    (``--user``), else the book's (in Excel the Windows account; for a file $PYSNOP_USER),
    else nobody."""
    declared = user.strip() if user and user.strip() else getattr(book, "declared_user", None)
    return Runner(runner_account(), declared if declared is not None else declared_user())


def open_book_log(book: Book, log: str | os.PathLike[str] | None,
                  sheet: pd.DataFrame) -> LogHold:
    """The book's decision log, checked against the workbook's stamp and held
    (:func:`pysnop.pipeline.audit.open_log`)."""
    path = log_file(book, log)
    name = book.path.name if book.path is not None else "BOOK"
    return open_log(path, book_stamp(book), book=name, sheet=sheet, workbook=book.path)


def review_sheet(book: Book, sheet: pd.DataFrame, hold: LogHold, who: Runner,
                 at: dt.datetime) -> tuple[Review, Approvers, list[Problem]]:
    """Hold the Actions rows ``sheet`` (as edited) to the log, then check their decisions
    against Approvers and the log. Returns the review, the Approvers and the warnings."""
    check_owned_sheets(book)
    approvers, warnings = read_approvers(book)
    known = hold.log.known_states()
    sheet, restored = hold_to_log(sheet, hold, known)
    reviewed = review_edits(sheet, known, approvers, who.declared or who.account, at,
                            runner=who, cover=Plan.of(hold.log).cover)
    return reviewed, approvers, hold.warnings + warnings + restored


def record_decisions(log: DecisionLog, reviewed: Review, *, at: dt.datetime,
                     workbook: Path | None, digest: str | None, who: Runner,
                     approvers: Approvers) -> None:
    """Log one round of decisions (accepted and refused) as a "decisions" run."""
    log.record_run(kind="decisions", at=at,
                   workbook=Path(workbook).resolve() if workbook is not None else None,
                   fingerprint=digest, user=who.declared or who.account, account=who.account,
                   counts={**status_counts(reviewed.rows), "refused": len(reviewed.refused)},
                   events=reviewed.events, approvers=approver_changes(log, approvers))


def put_actions(book: Book, rows: pd.DataFrame, approvers: Approvers, stamp: Stamp,
                plan: Plan | None = None) -> None:
    """Rewrite the Actions sheet of ``book`` with ``rows`` (grouped by ``plan``'s risks),
    stamp it with the log's last entry, and save the book."""
    plan = plan or Plan()
    book.apply([actions_renderer(rows, approvers.names(), plan.risks, plan.cover),
                stamp_renderer(stamp)])
    book.save()


def write_actions(book: Book, rows: pd.DataFrame, approvers: Approvers, hold: LogHold) -> None:
    """Write the Actions sheet and the stamp, then commit the log: a workbook that cannot
    be written leaves the run out of the log."""
    try:
        put_actions(book, rows, approvers, hold.head(), Plan.of(hold.log))
    except BaseException:
        hold.rollback()
        raise
    hold.commit()


def file_digest_of(book: Book) -> str | None:
    """The SHA-256 of the workbook's file as saved (None for a book never saved)."""
    return file_digest(book.path) if book.path is not None and book.path.exists() else None


def apply_decisions(book: str | os.PathLike[str] | Book, *, user: str | None = None,
                    log: str | os.PathLike[str] | None = None) -> ActionsReport:
    """Validate the decisions typed into the Actions sheet, log them and write the result
    back (refused ones undone), without recalculating the bridge."""
    book = as_file_book(book)
    who = runner_for(book, user)
    sheet = read_actions_sheet(book)
    if not len(sheet):
        raise PysnopError(no_proposals(book))
    reviewed, warnings, rows, path = _decide(book, sheet, who, log)
    return ActionsReport(book.path, path, rows, reviewed.events, warnings + reviewed.problems)


def _decide(book: Book, sheet: pd.DataFrame, who: Runner,
            log: str | os.PathLike[str] | None) -> tuple[Review, list[Problem], pd.DataFrame,
                                                           Path]:
    """Review the typed decisions, record them and write the Actions sheet back (one
    transaction with the log: a failure records nothing). Returns the review, the reading
    warnings, the sheet's rows as written and the log's path."""
    at = now()
    hold = open_book_log(book, log, sheet)
    try:
        reviewed, approvers, warnings = review_sheet(book, sheet, hold, who, at)
        record_decisions(hold.log, reviewed, at=at, workbook=book.path,
                         digest=file_digest_of(book), who=who, approvers=approvers)
    except BaseException:
        hold.rollback()
        raise
    rows = reviewed.rows.drop(columns=["row"], errors="ignore")
    write_actions(book, rows, approvers, hold)
    return reviewed, warnings, rows, hold.log.path


def decide_selected(book: Book, status: str, *, user: str | None = None,
                    comment: str | None = None,
                    log: str | os.PathLike[str] | None = None) -> tuple[ActionsReport, list[str]]:
    """Set the selected Actions rows of ``book`` to ``status`` (Approved / Rejected) by the
    deciding user, check, log and write. Returns the report and the ids of the selected
    actions."""
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
        shown = ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
        raise PysnopError(f"the selected rows ({shown}) hold no actions; "
                          f"select rows below the header of the {sheet_name} sheet")
    who = runner_for(book, user)
    frame = frame.copy()
    frame.loc[chosen, "status"] = status
    frame.loc[chosen, "approver"] = who.declared or who.account
    if comment:
        frame.loc[chosen, "comment"] = comment
    reviewed, warnings, result, path = _decide(book, frame, who, log)
    # the refusals are in the message already; other warnings (bad rows, Approvers) are not
    refused_ids = {e.action_id for e in reviewed.refused}
    refused_rows = set(frame.loc[frame["action_id"].isin(refused_ids), "row"])
    others = [w for w in warnings + reviewed.problems
              if not (w.sheet == ACTIONS_SHEET and w.row in refused_rows)]
    report = ActionsReport(book.path, path, result, reviewed.events, others)
    return report, list(frame.loc[chosen, "action_id"])


__all__ = ["ActionsReport", "Plan", "apply_decisions", "as_file_book", "decide_selected",
           "existing_log_file", "file_digest_of", "log_file", "no_proposals", "open_book_log",
           "put_actions", "record_decisions", "review_sheet", "runner_for", "write_actions"]
