"""``pysnop log verify`` and ``pysnop log adopt``: checking a decision log, and starting a new
one from a workbook when the old one is lost or cannot be trusted.

Verify reads only: it holds the log against its hash chain and the workbook's stamp and says
what it found (:mod:`pysnop.store.integrity`).

Adopt is the explicit way past a refused log, never taken silently: the old file (if any) is
kept aside under a new name, and a new log is started whose first run records the workbook's
Actions rows as they stand, marked as adopted by the account that ran it. Decisions are
adopted only where they could stand: an approval or rejection by someone not listed for the
row's owner function is adopted as Proposed (with a warning). Everything adopted rests on the
workbook's word, which the log says: the chain vouches for the decisions from the adoption on.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pysnop.core.binding import values_fingerprint, values_json
from pysnop.core.decisions import (
    APPROVED,
    EXPORTED,
    NEEDS_REAPPROVAL,
    OBSOLETE,
    PROPOSED,
    REJECTED,
    SUPERSEDED,
    SYSTEM,
    Approvers,
    Event,
    parse_status,
    text_or_none,
)
from pysnop.errors import Problem, PysnopError
from pysnop.operations.decide import as_file_book, file_digest_of, log_file, runner_for
from pysnop.pipeline.actions import now
from pysnop.pipeline.audit import approver_changes, book_stamp, decided_rows, stamp_renderer
from pysnop.store.chain import Stamp
from pysnop.store.decision_log import DecisionLog
from pysnop.store.integrity import Diagnosis, diagnose
from pysnop.workbook.book import Book
from pysnop.workbook.read.actions import ACTIONS_SHEET, read_actions_sheet
from pysnop.workbook.read.approvers import read_approvers


@dataclass
class AdoptReport:
    log: Path
    kept_aside: Path | None
    previous: Diagnosis
    counts: dict[str, int]
    stamp: Stamp
    warnings: list[Problem] = field(default_factory=list)


def verify_log(book: str | os.PathLike[str] | Book, *,
               log: str | os.PathLike[str] | None = None) -> tuple[Path, Diagnosis]:
    """How the book's decision log stands: every row re-hashed (reads only)."""
    target = as_file_book(book)
    path = log_file(target, log)
    name = target.path.name if target.path is not None else "BOOK"
    return path, diagnose(path, book_stamp(target), book=name,
                          decided_rows=decided_rows(read_actions_sheet(target)), full=True)


def adopt_log(book: str | os.PathLike[str] | Book, *, user: str | None = None,
              log: str | os.PathLike[str] | None = None) -> AdoptReport:
    """Start a new decision log from the workbook's Actions rows (see the module doc).
    Refused when the existing log is whole and the workbook's: there is nothing to adopt."""
    target = as_file_book(book)
    if target.path is None:
        raise PysnopError("save the workbook first: pysnop keeps its decision log beside it")
    path, previous = verify_log(target, log=log)
    name = target.path.name
    if path.exists() and not previous.refused:
        raise PysnopError(f"the decision log {path.name} is whole and is the log of {name} "
                          f"({previous.message}); there is nothing to adopt")
    who = runner_for(target, user)
    at = now()
    kept = None
    if path.exists():
        kept = path.with_name(f"{path.stem}.replaced-{at:%Y%m%d-%H%M%S}{path.suffix}")
        path.rename(kept)
    note = (f"adopted from {name} (sha256 {file_digest_of(target)}) by {who.account}; the "
            f"previous log: {previous.code}" + (f", kept as {kept.name}" if kept else ""))
    sheet = read_actions_sheet(target)
    approvers, warnings = read_approvers(target)
    rows = sheet.drop(columns=["row"], errors="ignore")
    rows = rows[rows["action_id"].map(text_or_none).notna()].drop_duplicates("action_id")
    events, exports, counts, problems = _adopted(sheet, approvers, who.account, at)
    adopted = DecisionLog.adopted(path, account=who.account, workbook=str(target.path),
                                  note=note)
    with adopted as lg:
        lg.begin()
        lg.record_run(kind="adopt", at=at, workbook=target.path.resolve(),
                      fingerprint=file_digest_of(target), user=who.declared or who.account,
                      account=who.account, counts=counts, proposals=rows, events=events,
                      exports=exports, approvers=approver_changes(lg, approvers))
        stamp = lg.head()
        try:
            target.apply([stamp_renderer(stamp)])
            target.save()
        except BaseException:
            lg.rollback()
            raise
        lg.commit()
    return AdoptReport(path, kept, previous, counts, stamp, warnings + problems)


def _adopted(sheet: pd.DataFrame, approvers: Approvers, account: str, at: dt.datetime
             ) -> tuple[list[Event], list[dict[str, Any]], dict[str, int], list[Problem]]:
    events: list[Event] = []
    exports: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    note = f"adopted from the workbook by {account}"
    for rec in sheet.to_dict("records"):
        action = text_or_none(rec.get("action_id"))
        if action is None or action in seen:
            continue
        seen.add(action)
        status = parse_status(rec.get("status")) or PROPOSED
        who = text_or_none(rec.get("approver"))
        if status in (APPROVED, REJECTED, EXPORTED) and not approvers.allows(
                who, text_or_none(rec.get("owner"))):
            problems.append(Problem(
                f"{action} shows {status} by {who or 'nobody'}, who is not listed as a "
                f"{rec.get('owner') or '?'} approver; adopted as Proposed", ACTIONS_SHEET,
                None if pd.isna(rec.get("row")) else int(rec["row"]), None, "status", status,
                "warning"))
            status = PROPOSED
        fp, detail = values_fingerprint(rec), values_json(rec)
        if status in (APPROVED, REJECTED, EXPORTED):
            events.append(Event(action, "status", None, APPROVED if status == EXPORTED
                                else status, who or SYSTEM, at, "system", note,
                                account=account, fingerprint=fp if status != REJECTED else None,
                                detail=detail if status != REJECTED else None))
        if status == EXPORTED:
            events.append(Event(action, "status", APPROVED, EXPORTED, SYSTEM, at, "system",
                                note, account=account))
            exports.append({"action_id": action, "at": at, "format": None, "file": None,
                            "who": SYSTEM, "fingerprint": fp, "detail": detail})
        elif status in (PROPOSED, OBSOLETE, SUPERSEDED, NEEDS_REAPPROVAL):
            events.append(Event(action, "status", None, status, SYSTEM, at, "system", note,
                                account=account))
        comment = text_or_none(rec.get("comment"))
        if comment is not None:
            events.append(Event(action, "comment", None, comment, who or SYSTEM, at, "system",
                                note, account=account))
        counts[status.lower()] = counts.get(status.lower(), 0) + 1
    return events, exports, counts, problems


__all__ = ["AdoptReport", "adopt_log", "verify_log"]
