"""The audit trail of a run: its hold on the decision log, who ran it, and the Actions sheet
held to the log (docs/semantics.md, "Approvals you can audit").

* :func:`open_log` checks the log against the workbook's stamp and its own hash chain
  (:mod:`pysnop.store.integrity`) — a missing, replaced, rolled-back, edited or trigger-less
  log stops the run with a message saying what happened and how to proceed — then holds it
  in a transaction: the run's records become part of the log only when :meth:`LogHold.commit`
  is called after the workbook was written (with the log's new last entry as its stamp,
  :func:`stamp_renderer`). A workbook write that fails leaves no run in the log.
* :func:`runner` is who ran pysnop: the OS account and the declared deciding user.
* :func:`hold_to_log` puts the Actions sheet back in line with the log before decisions are
  reviewed: value cells edited by hand, rows pysnop never proposed, decisions recorded after
  this copy of the workbook was saved, decided rows deleted (:mod:`pysnop.core.binding`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pysnop.core.authority import Runner
from pysnop.core.binding import RESTORED, normal, restore_deleted, restore_owned
from pysnop.core.decisions import (
    APPROVED,
    BOUND,
    BOUND_VALUES,
    EXPORTED,
    NEEDS_REAPPROVAL,
    REJECTED,
    Approvers,
    Known,
    parse_status,
)
from pysnop.errors import Problem
from pysnop.store.chain import Stamp
from pysnop.store.decision_log import DecisionLog
from pysnop.store.integrity import Diagnosis, LogIntegrityError, diagnose
from pysnop.workbook.book import declared_user, runner_account
from pysnop.workbook.read.actions import ACTIONS_SHEET, DATES

if TYPE_CHECKING:  # openpyxl loads with the renderers, when the run first writes
    from pysnop.workbook.render.canvas import Canvas, Renderer

PROPERTIES = ("pysnop_log_id", "pysnop_log_entry", "pysnop_log_hash")
DECIDED = (APPROVED, REJECTED, EXPORTED, NEEDS_REAPPROVAL)


def stamp_of(properties: Mapping[str, str]) -> Stamp | None:
    """The decision-log stamp among a workbook's custom properties (None: not stamped)."""
    log_id, entry, digest = (str(properties.get(k) or "").strip() for k in PROPERTIES)
    if not log_id or not digest or not entry.isdigit():
        return None
    return Stamp(log_id, int(entry), digest)


def book_stamp(book: object) -> Stamp | None:
    """The stamp of a Book (one that cannot keep custom properties has none)."""
    read = getattr(book, "custom_properties", None)
    return stamp_of(read()) if callable(read) else None


def stamp_renderer(stamp: Stamp) -> Renderer:
    """Writes ``stamp`` into the workbook's custom document properties."""
    def render(canvas: Canvas) -> None:
        canvas.properties.update(zip(PROPERTIES, (stamp.log_id, str(stamp.seq), stamp.hash)))
    return render


def runner(user: str | None = None) -> Runner:
    """The OS account running pysnop and the deciding user declared (``user`` or
    $PYSNOP_USER; None for a scheduler)."""
    return Runner(runner_account(), declared_user(user))


@dataclass
class LogHold:
    """A decision log checked against its workbook and held in a transaction."""

    log: DecisionLog
    diagnosis: Diagnosis
    warnings: list[Problem] = field(default_factory=list)
    done: bool = False

    @property
    def behind(self) -> int | None:
        """The workbook's entry when the log has entries it does not show, else None."""
        stamp = self.diagnosis.stamp
        return stamp.seq if self.diagnosis.code == "behind" and stamp is not None else None

    def head(self) -> Stamp:
        return self.log.head()

    def commit(self) -> None:
        if not self.done:
            self.done = True
            try:
                self.log.commit()
            finally:
                self.log.close()

    def rollback(self) -> None:
        if not self.done:
            self.done = True
            self.log.close()  # closing rolls back what was not committed


def decided_rows(sheet: pd.DataFrame) -> int:
    if not len(sheet) or "status" not in sheet:
        return 0
    return int(sheet["status"].map(parse_status).isin(DECIDED).sum())


def open_log(path: Path, stamp: Stamp | None, *, book: str, sheet: pd.DataFrame,
             workbook: str | os.PathLike[str] | None = None) -> LogHold:
    """Check the log at ``path`` against the workbook (raises :class:`LogIntegrityError`
    when it must not be used), open it and begin the run's transaction."""
    diagnosis = diagnose(path, stamp, book=book, decided_rows=decided_rows(sheet))
    if diagnosis.refused:
        raise LogIntegrityError(diagnosis)
    log = DecisionLog(path, account=runner_account(), workbook=workbook)
    hold = LogHold(log, diagnosis)
    if diagnosis.code == "new_workbook":
        hold.warnings.append(Problem(diagnosis.message, severity="warning", kind="file"))
    if log.upgraded:
        hold.warnings.append(Problem(
            f"the decision log {path.name} was written before logs were chained: its "
            f"{log.upgraded} earlier runs were sealed onto a hash chain now and are vouched "
            f"for from now on only", severity="warning", kind="file"))
    log.begin()
    return hold


def hold_to_log(sheet: pd.DataFrame, hold: LogHold, known: dict[str, Known]
                ) -> tuple[pd.DataFrame, list[Problem]]:
    """The Actions rows as the log says they stand, before the review (see the module doc).
    The values the log holds are read for the sheet's rows and the decided actions that
    may be restored only: not for every action the log ever proposed."""
    col_of = sheet.attrs.get("columns", {})
    on_sheet = ({str(a) for a in map(normal, sheet["action_id"].tolist()) if a is not None}
                if "action_id" in sheet else set())
    logged = hold.log.logged_values(known, only=on_sheet | {
        action for action, state in known.items() if state.status in RESTORED})
    rows, problems = restore_owned(sheet, logged, col_of, DATES)
    if hold.behind is not None and len(rows):
        changed = hold.log.changed_since(hold.behind)
        problems += _newer_decisions(rows, known, changed, col_of)
    rows, deleted = restore_deleted(rows, known, logged, DATES)
    return rows, problems + deleted


def _newer_decisions(rows: pd.DataFrame, known: dict[str, Known], changed: set[str],
                     col_of: Mapping[str, int]) -> list[Problem]:
    """Decisions recorded after this copy of the workbook was saved replace its cells."""
    out = []
    for at in rows.index:
        action = str(rows.at[at, "action_id"])
        state = known.get(action)
        if action not in changed or state is None:
            continue
        shown = parse_status(rows.at[at, "status"])
        values = {"status": state.status, "approver": state.approver,
                  "decided_at": state.decided_at, "comment": state.comment,
                  "exported_at": state.exported_at}
        for column, value in values.items():
            if column not in rows:
                rows[column] = None
            rows[column] = rows[column].astype(object)
            rows.at[at, column] = value
        if shown != state.status:
            row = rows.at[at, "row"] if "row" in rows else None
            out.append(Problem(
                f"{action} was decided in the decision log after this copy of the workbook "
                f"was saved ({state.status}" + (f" by {state.approver}" if state.approver
                                                else "") + f"); the sheet showed {shown}, the "
                f"log's decision is kept", ACTIONS_SHEET,
                None if row is None or pd.isna(row) else int(row), col_of.get("status"),
                "status", shown, "warning"))
    return out


def approver_changes(log: DecisionLog, approvers: Approvers
                     ) -> list[tuple[str, str, str, str | None]]:
    """(change, name, function, account) for every entry added to or removed from the
    Approvers list since the log last recorded it."""
    before = log.approvers_listed()
    now = set(approvers.listing())
    return ([("added", *e) for e in sorted(now - before, key=str)]
            + [("removed", *e) for e in sorted(before - now, key=str)])


def bound_export(rows: pd.DataFrame) -> pd.Series:
    """True for Approved rows whose approval recorded the values approved."""
    if not len(rows):
        return pd.Series(dtype=bool)
    ok = rows["status"] == APPROVED
    if BOUND_VALUES in rows:
        ok &= rows[BOUND_VALUES].map(lambda v: isinstance(v, str) and bool(v))
        ok &= rows[BOUND].map(lambda v: isinstance(v, str) and bool(v))
    else:
        ok &= False
    return ok


__all__ = ["PROPERTIES", "LogHold", "approver_changes", "book_stamp", "bound_export",
           "decided_rows", "hold_to_log", "open_log", "runner", "stamp_of", "stamp_renderer"]
