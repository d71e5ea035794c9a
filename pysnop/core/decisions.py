"""Decisions on action proposals: who may decide, how a re-run keeps them, how they
coordinate (docs/semantics.md §3).

Pure functions on pandas frames; no file or clock access (``now`` and ``user`` are passed in).

Statuses: Proposed → Approved / Rejected (by a person) → Exported (by ``pysnop export``);
Obsolete (by pysnop) when the proposal is no longer made; Superseded (by pysnop) when the
approved alternatives of its risk already close every gap it would fill — it returns to
Proposed when they no longer do (docs/semantics.md, "Risks and decisions";
:mod:`pysnop.core.coordination`).

Two steps each time the Actions sheet is read back:

1. :func:`review_edits` compares each row's decision cells with the last state pysnop
   recorded for that action (from the decision log, :class:`Known`). A changed status is a
   decision by the approver typed in the row, or else by the deciding user (``--user``); it is
   accepted only from a person listed in Approvers for the action's owner function
   (Supply / Marketing). A refused decision is undone (status back to the recorded one,
   Proposed for a row never decided) and reported with a warning naming the row.
   Exported, Obsolete and Superseded are set by pysnop only; Exported is final.
   With the run's *cover* frame (``cover=``), approvals are then coordinated per risk: new
   approvals are taken in rank order, and one that would make the risk's approved set more
   than it needs is refused (undone, with a warning naming both rows) — before them, a
   standing approval that this review's rejections left more than needed goes to Needs
   re-approval (the worst-ranked first; an Exported one never) — and every Proposed or
   Superseded alternative is then re-marked against the approved set.
2. :func:`merge` lays the reviewed rows over the new proposals, keyed by ``action_id``:
   a proposal still made keeps its decision and comment and gets fresh values; a new one is
   appended as Proposed; one no longer made becomes Obsolete (an Exported row stays Exported,
   with the values it was exported with). An Obsolete proposal made again returns as Proposed
   (comment kept, approval cleared: it was given for another situation). An Exported action
   proposed again stays Exported until a run no longer proposes it (the ERP caught up); made
   again after that, it starts over as Proposed ("lapsed", from the log).
   Rows a person touched (decided, or commented) are never dropped. An untouched row that
   was already Obsolete and is still not proposed is dropped: it was shown Obsolete for one
   run, and the decision log keeps it. With ``cover=`` the Superseded marks are recomputed
   for the new proposals.

Approvals are bound to values (:mod:`pysnop.core.binding`): an accepted approval records the
fingerprint of the row's ``BOUND_FIELDS`` and its values; :func:`merge` puts an Approved row
whose new proposal differs into Needs re-approval (set by pysnop, like Superseded), which is
not in :data:`pysnop.core.coordination.BINDING`: it stops counting as chosen and the
alternatives it superseded come back. Who may decide is :mod:`pysnop.core.authority`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pysnop.core.authority import Runner, decide_as
from pysnop.core.binding import BOUND_FIELDS as BOUND_FIELDS  # what an approval is of
from pysnop.core.binding import rebind, values_json
from pysnop.core.binding import values_fingerprint as values_fingerprint
from pysnop.core.coordination import (
    BINDING,
    Coverage,
    Verdict,
    check_approval,
    fill_of,
    need_of,
    superseded,
)
from pysnop.core.values import is_blank_text
from pysnop.errors import Problem

PROPOSED, APPROVED, REJECTED, EXPORTED, OBSOLETE, SUPERSEDED = (
    "Proposed", "Approved", "Rejected", "Exported", "Obsolete", "Superseded")
NEEDS_REAPPROVAL = "Needs re-approval"  # approved values changed by a re-run (core.binding)
STATUSES = (PROPOSED, APPROVED, REJECTED, EXPORTED, OBSOLETE, SUPERSEDED, NEEDS_REAPPROVAL)
EDITABLE_STATUSES = (PROPOSED, APPROVED, REJECTED)  # the dropdown
SYSTEM_STATUSES = (EXPORTED, OBSOLETE, SUPERSEDED, NEEDS_REAPPROVAL)  # set by pysnop only
BOUND, BOUND_VALUES = "bound", "bound_values"  # an approved row's fingerprint and values
FUNCTIONS = ("Supply", "Marketing")
SYSTEM = "pysnop"  # the "who" of the transitions pysnop makes itself
DECISION_COLUMNS = ["status", "approver", "decided_at", "comment", "scenario", "exported_at"]
SHEET = "Actions"


@dataclass(frozen=True)
class Known:
    """The last state pysnop recorded for one action (from the decision log)."""

    status: str = PROPOSED
    approver: str | None = None
    decided_at: dt.datetime | None = None
    comment: str | None = None
    exported_at: dt.datetime | None = None
    fingerprint: str | None = None  # of the values approved (values_fingerprint)
    detail: str | None = None       # those values, as JSON (core.binding.values_json)


@dataclass(frozen=True)
class Event:
    """One change to a decision, for the log: who changed what, when, old → new."""

    action_id: str
    field: str  # "status" or "comment"
    old: str | None
    new: str | None
    who: str
    at: dt.datetime
    outcome: str  # "accepted", "refused" (person) or "system" (pysnop)
    message: str = ""
    account: str | None = None      # the OS account that ran pysnop (core.authority.Runner)
    fingerprint: str | None = None  # an approval: the fingerprint of the values approved
    detail: str | None = None       # an approval: those values as JSON


class Approvers:
    """Who may decide for which owner function. Names match case- and space-insensitively."""

    def __init__(self,
                 entries: Iterable[tuple[str, str] | tuple[str, str, str | None]] = ()) -> None:
        self.entries: list[tuple[str, str]] = []  # (name as typed, function)
        self._allowed: dict[str, set[str]] = {}
        self.accounts: dict[str, str] = {}  # name key -> the OS account that proves it is them
        for entry in entries:
            self.add(*entry)

    def add(self, name: str, function: str, account: str | None = None) -> None:
        self.entries.append((name, function))
        self._allowed.setdefault(_key(function), set()).add(_key(name))
        if account is not None and str(account).strip():
            self.accounts[_key(name)] = str(account).strip()

    def account_of(self, name: str | None) -> str | None:
        """The account listed for ``name`` (None: no account column, or left blank)."""
        return self.accounts.get(_key(name)) if name else None

    def person(self, who: str | None) -> str | None:
        """The listed name ``who`` is: a name, or the account of a listed person."""
        if not who:
            return None
        for name, _ in self.entries:
            if _key(name) == _key(who):
                return name
        for name, _ in self.entries:
            account = self.accounts.get(_key(name))
            if account is not None and _key(account) == _key(who):
                return name
        return None

    def listing(self) -> list[tuple[str, str, str | None]]:
        """(name, function, account) per entry, for the log's record of the list."""
        return [(n, f, self.accounts.get(_key(n))) for n, f in self.entries]

    def allows(self, name: str | None, function: str | None) -> bool:
        return bool(name) and _key(name) in self._allowed.get(_key(function), set())

    def names(self, function: str | None = None) -> list[str]:
        seen, out = set(), []
        for name, fn in self.entries:
            if (function is None or _key(fn) == _key(function)) and _key(name) not in seen:
                seen.add(_key(name))
                out.append(name)
        return out

    def __len__(self) -> int:
        return len(self.entries)


def _key(text: object) -> str:
    return " ".join(str(text).split()).casefold() if text is not None else ""


def text_or_none(value: object) -> str | None:
    return None if is_blank_text(value) else str(value).strip()


def parse_status(value: object) -> str | None:
    """A status cell as one of STATUSES; blank is Proposed; None for unknown text."""
    if is_blank_text(value):
        return PROPOSED
    wanted = _key(value)
    return next((s for s in STATUSES if s.casefold() == wanted), None)


def touched(row: Mapping[str, Any]) -> bool:
    """Did a person act on this row (decided it or wrote a comment)?"""
    status = parse_status(row.get("status"))
    return (status not in (PROPOSED, OBSOLETE, SUPERSEDED) or not is_blank_text(row.get("approver"))
            or not is_blank_text(row.get("comment")))


@dataclass
class Review:
    rows: pd.DataFrame
    events: list[Event] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> list[Event]:
        return [e for e in self.events if e.outcome == "refused"]


def review_edits(sheet: pd.DataFrame, known: dict[str, Known], approvers: Approvers,
                 user: str, now: dt.datetime, *, cover: pd.DataFrame | Coverage | None = None,
                 runner: Runner | None = None) -> Review:
    """Validate the decisions typed into the Actions sheet (see module doc).

    ``sheet``: one row per Actions row, with at least action_id, owner and the
    DECISION_COLUMNS (missing ones are blank) and optionally ``row`` (the Excel row).
    Returns the rows with decision cells set to what stands, the events and the warnings.
    Rows without an action_id, and repeats of an action_id, are left out with a warning.
    ``runner``: who ran pysnop and who declared to decide (:mod:`pysnop.core.authority`);
    without it ``user`` decides where no approver is typed and no account is checked.
    An accepted approval binds the row's values (``bound``, ``bound_values``;
    :mod:`pysnop.core.binding`).
    """
    out = Review(sheet.iloc[0:0].copy())
    records, seen = [], set()
    for rec in sheet.to_dict("records"):
        for col in DECISION_COLUMNS:
            rec.setdefault(col, None)
        where = _where(rec)
        action = text_or_none(rec.get("action_id"))
        if action is None:
            if any(not is_blank_text(rec.get(c)) for c in ("status", "approver", "comment")):
                out.problems.append(_warn(where, "action_id", None,
                                          "a decision on a row without an action_id is ignored"))
            continue
        if action in seen:
            out.problems.append(_warn(where, "action_id", action,
                                      f"action {action} appears twice; only its first row is kept"))
            continue
        seen.add(action)
        _review_row(rec, action, known.get(action), approvers, user, now, out, where, runner)
        records.append(rec)
    out.rows = pd.DataFrame.from_records(records, columns=_columns(sheet))
    if cover is not None:
        coordinate(out, cover, known, now)
    return out


def _review_row(rec: dict[str, Any], action: str, prior: Known | None, approvers: Approvers,
                user: str, now: dt.datetime, out: Review, where: int | None,
                runner: Runner | None = None) -> None:
    raw_status = rec.get("status")
    typed = parse_status(raw_status)
    sheet_approver = text_or_none(rec.get("approver"))
    if prior is None:  # never recorded: what pysnop set (Exported, Obsolete …) is taken as is
        prior = Known(typed if typed in SYSTEM_STATUSES else PROPOSED,
                      sheet_approver if typed in (EXPORTED, OBSOLETE) else None,
                      _as_datetime(rec.get("decided_at")) if typed in (EXPORTED, OBSOLETE)
                      else None, None, _as_datetime(rec.get("exported_at")))
    rec[BOUND], rec[BOUND_VALUES] = ((prior.fingerprint, prior.detail)
                                     if prior.status == APPROVED else (None, None))
    comment = text_or_none(rec.get("comment"))
    if comment != prior.comment and (comment is not None or prior.comment is not None):
        out.events.append(Event(action, "comment", prior.comment, comment,
                                sheet_approver or user, now, "accepted"))
    rec["comment"] = comment
    rec["exported_at"] = prior.exported_at or _as_datetime(rec.get("exported_at"))
    keep = dict(status=prior.status, approver=prior.approver, decided_at=prior.decided_at)
    if typed is None:
        out.problems.append(_warn(where, "status", raw_status,
                                  f"unknown status for {action}; expected Proposed, Approved "
                                  f"or Rejected; kept {prior.status}"))
        rec.update(keep)
        return
    if typed == prior.status or (typed == PROPOSED and prior.status == SUPERSEDED):
        if typed in (PROPOSED, OBSOLETE, SUPERSEDED) and prior.approver is None:
            keep["approver"] = sheet_approver  # a name typed ahead of a decision is harmless
        rec.update(keep)
        return
    if prior.status == EXPORTED or typed in SYSTEM_STATUSES or prior.status == OBSOLETE:
        reason = ("was exported; an exported action cannot change" if prior.status == EXPORTED
                  else "is no longer proposed; it cannot be decided" if prior.status == OBSOLETE
                  else f"{typed} is set by pysnop, not typed")
        out.problems.append(_warn(where, "status", raw_status,
                                  f"{action} {reason}; status stays {prior.status}"))
        if prior.status == OBSOLETE and prior.approver is None:
            keep["approver"] = sheet_approver  # the row was touched: it must not be dropped
        rec.update(keep)
        return
    owner = text_or_none(rec.get("owner"))
    decider, why = decide_as(approvers, sheet_approver, owner, runner, user)
    account = runner.account if runner is not None else None
    if why is None:
        fingerprint, detail = ((values_fingerprint(rec), values_json(rec))
                               if typed == APPROVED else (None, None))
        out.events.append(Event(action, "status", prior.status, typed, decider, now, "accepted",
                                account=account, fingerprint=fingerprint, detail=detail))
        decided = typed != PROPOSED
        rec.update(status=typed, approver=decider if decided else None,
                   decided_at=now if decided else None)
        rec[BOUND], rec[BOUND_VALUES] = fingerprint, detail
        return
    message = f"{typed} of {action} refused: {why}; left {prior.status}"
    out.events.append(Event(action, "status", prior.status, typed, decider, now, "refused",
                            message, account=account))
    out.problems.append(_warn(where, "status", raw_status, message))
    rec.update(keep)


def merge(reviewed: pd.DataFrame, proposals: pd.DataFrame, now: dt.datetime, *,
          known: dict[str, Known] | None = None, lapsed: AbstractSet[str] = frozenset(),
          cover: pd.DataFrame | Coverage | None = None) -> tuple[pd.DataFrame, list[Event]]:
    """Lay the reviewed sheet rows over the new ``proposals`` (see module doc).

    ``known``: the logged state per action (for rows a person deleted from the sheet);
    ``lapsed``: exported actions that were not proposed in some run after their export (so
    the export was carried out): proposed again, they start over as Proposed.
    Returns the rows of the new Actions sheet (proposal columns + DECISION_COLUMNS): the
    current proposals in rank order, then the rows no longer proposed in their old order.
    """
    known = known or {}
    events: list[Event] = []
    old: dict[str, dict[str, Any]] = {}
    for rec in reviewed.to_dict("records"):
        key = text_or_none(rec.get("action_id"))
        if key is not None:
            old.setdefault(key, rec)
    columns = list(dict.fromkeys([*proposals.columns,
                                  *(c for c in reviewed.columns if c != "row"),
                                  *DECISION_COLUMNS]))
    records = []
    current = set()
    for rec in proposals.to_dict("records"):
        action = rec["action_id"]
        current.add(action)
        prev = old.get(action)
        prior = known.get(action)
        if prev is None:
            prev = ({"status": EXPORTED, "approver": prior.approver,
                     "decided_at": prior.decided_at, "comment": prior.comment,
                     "exported_at": prior.exported_at}
                    if prior is not None and prior.status == EXPORTED else {})
        decision = {c: prev.get(c) for c in (*DECISION_COLUMNS, BOUND, BOUND_VALUES)}
        status = parse_status(decision["status"]) or PROPOSED
        if status == EXPORTED and action not in lapsed:
            records.append({**rec, **{k: v for k, v in prev.items() if k in columns},
                            **decision, "rank": rec.get("rank")})  # values as exported
            continue
        if not prev or status in (OBSOLETE, EXPORTED):
            was = status if prev else (prior.status if prior is not None else None)
            if was != PROPOSED:
                events.append(Event(action, "status", was, PROPOSED, SYSTEM, now, "system",
                                    "new proposal" if was is None else "proposed again"))
            status = PROPOSED
            decision.update(approver=None, decided_at=None, exported_at=None, bound=None,
                            bound_values=None)
        decision["status"] = status
        records.append({**rec, **decision})
    for action, prev in old.items():
        if action in current:
            continue
        status = parse_status(prev.get("status")) or PROPOSED
        if status == EXPORTED:
            records.append(dict(prev))
            continue
        if status == OBSOLETE and not touched(prev):
            continue  # shown Obsolete once already; the log keeps it
        if status != OBSOLETE:
            events.append(Event(action, "status", status, OBSOLETE, SYSTEM, now, "system",
                                "no longer proposed"))
        records.append({**prev, "status": OBSOLETE})
    frame = pd.DataFrame.from_records(records, columns=columns)
    if BOUND in reviewed.columns:  # reviewed by review_edits: approvals are bound to values
        events += [Event(action, "status", APPROVED, NEEDS_REAPPROVAL, SYSTEM, now, "system",
                         why) for action, why in rebind(frame)]
    if cover is not None:
        events += mark_superseded(frame, _coverage(cover), now)
    return frame, events


def coordinate(review: Review, cover: pd.DataFrame | Coverage, known: dict[str, Known],
               now: dt.datetime) -> None:
    """Refuse approvals that give a risk more than it needs; re-mark Superseded (in place)."""
    rows = review.rows
    if rows.empty:
        return
    coverage = _coverage(cover)
    ids = rows["action_id"].astype(str)
    status = rows["status"].map(parse_status)
    fresh = [(n, e) for n, e in enumerate(review.events)
             if e.field == "status" and e.outcome == "accepted" and e.new == APPROVED]
    fresh_ids = {e.action_id for _, e in fresh}
    chosen = set(ids[status.isin(BINDING).to_numpy()]) - fresh_ids
    position = {a: p for p, a in enumerate(ids)}
    rank = pd.to_numeric(rows["rank"], errors="coerce") if "rank" in rows else \
        pd.Series(float("nan"), index=rows.index)

    def rank_of(action: str) -> tuple[bool, float, int]:
        at = position[action]  # better-ranked alternatives are taken first
        value = rank.iloc[at]
        return (bool(pd.isna(value)), 0.0 if pd.isna(value) else float(value), at)

    fresh.sort(key=lambda item: rank_of(item[1].action_id))
    review.events += _withdraw_redundant(rows, coverage, chosen, ids, status, rank_of, now)
    for n, event in fresh:
        verdict = check_approval(coverage, chosen, event.action_id)
        if verdict is None:
            chosen.add(event.action_id)
            continue
        at = rows.index[position[event.action_id]]
        prior = known.get(event.action_id) or Known(event.old or PROPOSED)
        back = prior.status if prior.status != APPROVED else PROPOSED
        message = _too_much(verdict, coverage, rows, position, back)
        review.events[n] = Event(event.action_id, "status", event.old, APPROVED, event.who,
                                 now, "refused", message)
        review.problems.append(_warn(_where(rows.loc[at].to_dict()), "status",
                                     rows.at[at, "status"], message))
        _set(rows, at, status=back, approver=prior.approver, decided_at=prior.decided_at)
    review.events += mark_superseded(rows, coverage, now, chosen)


def _withdraw_redundant(rows: pd.DataFrame, coverage: Coverage, chosen: set[str],
                        ids: pd.Series, status: pd.Series,
                        rank_of: Callable[[str], tuple[bool, float, int]],
                        now: dt.datetime) -> list[Event]:
    """Standing approvals that a rejection in this review left more than needed go to
    Needs re-approval (in place; ``chosen`` shrinks): an approval given to make up for an
    alternative that worsened the risk (a transfer's donor leg) adds nothing once that one
    is rejected. The worst-ranked goes first, one at a time (each withdrawal can make the
    others needed again); an Exported action is never withdrawn."""
    events: list[Event] = []
    approved = set(ids[(status == APPROVED).to_numpy()]) & chosen
    while True:
        spare = [a for a in coverage.redundant_in(chosen) if a in approved]
        if not spare:
            return events
        worst = max(spare, key=rank_of)
        chosen.discard(worst)
        approved.discard(worst)
        at = rows.index[int(np.flatnonzero((ids == worst).to_numpy())[0])]
        _set(rows, at, status=NEEDS_REAPPROVAL, approver=None, decided_at=None, bound=None,
             bound_values=None)
        events.append(Event(worst, "status", APPROVED, NEEDS_REAPPROVAL, SYSTEM, now, "system",
                            "no longer needed: the risk's other approvals cover what it adds "
                            "now that an alternative was rejected; approve again to keep it"))


def mark_superseded(rows: pd.DataFrame, coverage: Coverage, now: dt.datetime,
                    chosen: set[str] | None = None) -> list[Event]:
    """Proposed alternatives the chosen set makes redundant become Superseded, Superseded ones
    it no longer does return to Proposed (in place); the events of the changes."""
    if rows.empty:
        return []
    ids = rows["action_id"].astype(str)
    status = rows["status"].map(parse_status)
    if chosen is None:
        chosen = set(ids[status.isin(BINDING).to_numpy()])
    open_rows = status.isin((PROPOSED, SUPERSEDED)).to_numpy()
    gone = superseded(coverage, chosen, set(ids[open_rows]))
    events = []
    for at, action, was in zip(rows.index[open_rows], ids[open_rows], status[open_rows]):
        now_status = SUPERSEDED if action in gone else PROPOSED
        if now_status == was:
            continue
        risk = coverage.risk_of(action)
        by = sorted(a for a in chosen if coverage.risk_of(a) == risk)
        note = (f"superseded: what it would fill is covered by approved {', '.join(by)}"
                if now_status == SUPERSEDED else "no longer superseded: the approved "
                "alternatives leave a gap it fills")
        _set(rows, at, status=now_status, approver=None, decided_at=None)
        events.append(Event(action, "status", was, now_status, SYSTEM, now, "system", note))
    return events


def _coverage(cover: pd.DataFrame | Coverage) -> Coverage:
    return cover if isinstance(cover, Coverage) else Coverage.of(cover)


def _set(rows: pd.DataFrame, at: Any, **values: Any) -> None:
    for column, value in values.items():
        if column not in rows:
            rows[column] = None
        if rows[column].dtype != object:
            rows[column] = rows[column].astype(object)
        rows.at[at, column] = value


def _too_much(verdict: Verdict, coverage: Coverage, rows: pd.DataFrame, position: dict[str, int],
              back: str) -> str:
    def named(action: str) -> str:
        at = position.get(action)
        row: Any = rows.iloc[at].get("row") if at is not None and "row" in rows else None
        return f"{action} (row {int(row)})" if not is_blank_text(row) else action

    b = verdict.action_id
    others = ", ".join(named(a) for a in verdict.others)
    need = need_of(coverage, verdict.risk_id)
    fills = "; ".join(f"{a} fills {fill_of(coverage, a):,.0f}" for a in [b, *verdict.others])
    if verdict.adds_nothing:
        why = (f"{others}, already approved, closes every gap {named(b)} would fill, so both "
               f"together are more than risk {verdict.risk_id} needs (shortfall "
               f"{need:,.0f} units; {fills})")
    else:
        why = (f"with it, {others} (approved) would add nothing to risk {verdict.risk_id} "
               f"(shortfall {need:,.0f} units; {fills}); reject {others} first to approve "
               f"{named(b)} instead")
    return f"Approved of {b} refused: {why}; left {back}"


def _columns(sheet: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys([*sheet.columns, *DECISION_COLUMNS, BOUND, BOUND_VALUES]))


def _as_datetime(value: object) -> dt.datetime | None:
    if is_blank_text(value):
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        stamp: dt.datetime = pd.Timestamp(value).to_pydatetime()
        return stamp
    except (ValueError, TypeError):
        return None


def _where(rec: Mapping[str, Any]) -> int | None:
    row: Any = rec.get("row")  # a cell: whatever the sheet holds
    return None if is_blank_text(row) else int(row)


def _warn(row: int | None, column: str, value: object, reason: str) -> Problem:
    return Problem(reason, SHEET, row, None, column, value, "warning")
