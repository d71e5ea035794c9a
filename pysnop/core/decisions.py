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
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core.authority import Runner, decide_as
from pysnop.core.binding import BOUND_FIELDS as BOUND_FIELDS  # what an approval is of
from pysnop.core.binding import rebind, values_json
from pysnop.core.binding import values_fingerprint as values_fingerprint
from pysnop.core.coordination import Coverage
# the records live in their own module; importers keep reading them from here
from pysnop.core.decision_records import PROPOSED as PROPOSED
from pysnop.core.decision_records import APPROVED as APPROVED
from pysnop.core.decision_records import REJECTED as REJECTED
from pysnop.core.decision_records import EXPORTED as EXPORTED
from pysnop.core.decision_records import OBSOLETE as OBSOLETE
from pysnop.core.decision_records import SUPERSEDED as SUPERSEDED
from pysnop.core.decision_records import NEEDS_REAPPROVAL as NEEDS_REAPPROVAL
from pysnop.core.decision_records import STATUSES as STATUSES
from pysnop.core.decision_records import EDITABLE_STATUSES as EDITABLE_STATUSES
from pysnop.core.decision_records import SYSTEM_STATUSES as SYSTEM_STATUSES
from pysnop.core.decision_records import BOUND as BOUND
from pysnop.core.decision_records import BOUND_VALUES as BOUND_VALUES
from pysnop.core.decision_records import FUNCTIONS as FUNCTIONS
from pysnop.core.decision_records import SYSTEM as SYSTEM
from pysnop.core.decision_records import DECISION_COLUMNS as DECISION_COLUMNS
from pysnop.core.decision_records import SHEET as SHEET
from pysnop.core.decision_records import Known as Known
from pysnop.core.decision_records import Event as Event
from pysnop.core.decision_records import Approvers as Approvers
from pysnop.core.decision_records import Review as Review
from pysnop.core.decision_records import text_or_none as text_or_none
from pysnop.core.decision_records import parse_status as parse_status
from pysnop.core.decision_records import parse_statuses
from pysnop.core.decision_records import touched as touched
from pysnop.core.decision_records import row_of as row_of
from pysnop.core.decision_records import row_warning as row_warning
from pysnop.core.review_coordination import coordinate as coordinate
from pysnop.core.review_coordination import coverage_of
from pysnop.core.review_coordination import mark_superseded as mark_superseded
from pysnop.core.values import is_blank_text, per_distinct_text, plain_records, records_array


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
    for rec in plain_records(sheet):  # to_dict("records"), column by column
        for col in DECISION_COLUMNS:
            rec.setdefault(col, None)
        where = row_of(rec)
        action = text_or_none(rec.get("action_id"))
        if action is None:
            if any(not is_blank_text(rec.get(c)) for c in ("status", "approver", "comment")):
                out.problems.append(row_warning(where, "action_id", None,
                                          "a decision on a row without an action_id is ignored"))
            continue
        if action in seen:
            out.problems.append(row_warning(where, "action_id", action,
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
        out.problems.append(row_warning(where, "status", raw_status,
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
        out.problems.append(row_warning(where, "status", raw_status,
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
    out.problems.append(row_warning(where, "status", raw_status, message))
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
    columns = list(dict.fromkeys([*proposals.columns,
                                  *(c for c in reviewed.columns if c != "row"),
                                  *DECISION_COLUMNS]))
    # the sheet's rows by action, the first row of each (column arrays, not row dicts)
    ids = pd.Series(per_distinct_text(reviewed["action_id"].to_numpy(dtype=object),
                                      text_or_none) if "action_id" in reviewed
                    else [None] * len(reviewed), dtype=object)
    old_at = np.flatnonzero((ids.notna() & ~ids.duplicated()).to_numpy())
    old_ids = ids.to_numpy()[old_at]
    sheet = {c: _cells(reviewed[c])[old_at] for c in reviewed.columns}
    current, events = _current(proposals, columns, old_ids, sheet, now, known, lapsed)
    gone, gone_events = _no_longer_proposed(columns, old_ids, sheet, now,
                                            pd.Index(old_ids).isin(proposals["action_id"]))
    events += gone_events
    values = [np.concatenate([current[c], gone[c]]) for c in columns]
    frame = pd.DataFrame.from_records(list(zip(*values)), columns=columns)
    if BOUND in reviewed.columns:  # reviewed by review_edits: approvals are bound to values
        events += [Event(action, "status", APPROVED, NEEDS_REAPPROVAL, SYSTEM, now, "system",
                         why) for action, why in rebind(frame)]
    if cover is not None:
        events += mark_superseded(frame, coverage_of(cover), now)
    return frame, events


Columns = dict[str, NDArray[np.object_]]
KEPT = (*DECISION_COLUMNS, BOUND, BOUND_VALUES)  # what a proposal takes over from its row
CLEARED = ("approver", "decided_at", "exported_at", BOUND, BOUND_VALUES)  # when it restarts


def _statuses(cells: NDArray[np.object_]) -> NDArray[np.object_]:
    """parse_status of each cell, unknown text as Proposed."""
    parsed = parse_statuses(cells)
    parsed[pd.isna(parsed)] = PROPOSED
    return parsed


def _cells(column: pd.Series) -> NDArray[np.object_]:
    """A column's cells as ``to_dict("records")`` hands them out, so that the rows come out
    as the row-by-row merge made them."""
    return records_array(column)


def _nan_column(n: int) -> NDArray[np.object_]:
    return np.full(n, np.nan, dtype=object)  # what from_records puts where a row has no key


def _current(proposals: pd.DataFrame, columns: list[str], old_ids: NDArray[np.object_],
             sheet: Columns, now: dt.datetime, known: dict[str, Known],
             lapsed: AbstractSet[str]) -> tuple[Columns, list[Event]]:
    """The rows of the proposals still made, each with its decision (see the module doc)."""
    n = len(proposals)
    action = proposals["action_id"].to_numpy(dtype=object)
    where = pd.Index(old_ids, dtype=object).get_indexer(action) if len(old_ids) else \
        np.full(n, -1)
    on_sheet = where >= 0
    pick = where[on_sheet]
    prior = [known.get(a) for a in action]
    prior_status = np.array([k.status if k is not None else None for k in prior], dtype=object)
    # an action deleted from the sheet but exported keeps its exported decision (the log's)
    exported = ~on_sheet & (prior_status == EXPORTED)
    decision: Columns = {}
    for c in KEPT:
        cells = np.full(n, None, dtype=object)
        if c in sheet:
            cells[on_sheet] = sheet[c][pick]
        decision[c] = cells
    if exported.any():
        decision["status"][exported] = EXPORTED
        for c in ("approver", "decided_at", "comment", "exported_at"):
            decision[c][exported] = [getattr(prior[i], c) for i in np.flatnonzero(exported)]
    has_prev = on_sheet | exported
    status = _statuses(decision["status"])
    stays_exported = (status == EXPORTED) & ~pd.Index(action).isin(list(lapsed))
    restart = ~stays_exported & (~has_prev | (status == OBSOLETE) | (status == EXPORTED))
    was = np.where(has_prev, status, prior_status)
    told = np.flatnonzero(restart & (was != PROPOSED))
    events = [Event(action[i], "status", was[i], PROPOSED, SYSTEM, now, "system",
                    "new proposal" if was[i] is None else "proposed again") for i in told]
    # an exported row shows the values it was exported with, and its cells as they stand
    status[restart] = PROPOSED
    decision["status"] = np.where(stays_exported, decision["status"], status)
    for c in CLEARED:
        decision[c][restart] = None
    as_exported = stays_exported & on_sheet
    out: Columns = {}
    for c in columns:
        if c in decision:
            out[c] = decision[c]
            continue
        cells = _cells(proposals[c]) if c in proposals else _nan_column(n)
        if c == "rank":  # an exported row keeps its place in the ranking
            if c not in proposals:
                cells[stays_exported] = None
        elif c in sheet and as_exported.any():
            cells = cells.copy()
            cells[as_exported] = sheet[c][where[as_exported]]
        out[c] = cells
    return out, events


def _no_longer_proposed(columns: list[str], old_ids: NDArray[np.object_], sheet: Columns,
                        now: dt.datetime, proposed: NDArray[np.bool_]
                        ) -> tuple[Columns, list[Event]]:
    """The sheet's rows whose action is no longer proposed, in their order: Exported as they
    are, the others Obsolete; an untouched one that was Obsolete already is dropped."""
    n = len(old_ids)
    blank = np.full(n, None, dtype=object)
    status = _statuses(sheet.get("status", blank))
    person = ~(np.isin(status, (PROPOSED, OBSOLETE, SUPERSEDED))
               & per_distinct_text(sheet.get("approver", blank), is_blank_text).astype(bool)
               & per_distinct_text(sheet.get("comment", blank), is_blank_text).astype(bool))
    keep = ~proposed & ~((status == OBSOLETE) & ~person)
    told = np.flatnonzero(keep & (status != OBSOLETE) & (status != EXPORTED))
    events = [Event(old_ids[i], "status", status[i], OBSOLETE, SYSTEM, now, "system",
                    "no longer proposed") for i in told]
    out: Columns = {}
    for c in columns:
        cells = sheet[c][keep] if c in sheet else _nan_column(int(keep.sum()))
        if c == "status":
            cells = np.where(status[keep] == EXPORTED, cells, OBSOLETE).astype(object)
        out[c] = cells
    return out, events


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
