"""What the decision log knows of each action: its state, as its events leave it — the
replay :meth:`pysnop.store.decision_log.DecisionLog.known_states` runs over the log, and
:func:`advance`, which runs it over one run's events on top of a state already known — and
the values pysnop last showed for it (:func:`logged_values`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable
from itertools import compress
from operator import itemgetter, not_
from typing import Any, cast

from pysnop.core.binding import normal, parse_each, parse_values
from pysnop.core.decisions import APPROVED, EXPORTED, NEEDS_REAPPROVAL, Known
from pysnop.store.log_values import LEGACY_VALUES, parse_time, stored_text


def replay(state: dict[str, dict[str, Any]],
            events: Iterable[tuple[str, str, Any, Any, Any, Any, Any]]) -> None:
    """Advance each action's state by its events (action, field, new, who, at as stored,
    fingerprint, detail), in order: the fields each event sets."""
    for action, fld, new, who, at, fp, detail in events:
        s = state.setdefault(action, {})
        if fld == "comment":
            s["comment"] = new
        elif fld == "status":
            s["status"] = new
            if new == EXPORTED:
                s["exported_at"] = parse_time(at)
            elif new == APPROVED:
                s.update(approver=who, decided_at=parse_time(at), exported_at=None,
                         fingerprint=fp, detail=detail)
            elif new == "Rejected":
                s.update(approver=who, decided_at=parse_time(at), exported_at=None,
                         fingerprint=None, detail=None)
            elif new in ("Proposed", NEEDS_REAPPROVAL):
                s.update(approver=None, decided_at=None, exported_at=None,
                         fingerprint=None, detail=None)


def known_of(s: dict[str, Any]) -> Known:
    return Known(s.get("status", "Proposed"), s.get("approver"), s.get("decided_at"),
                 s.get("comment"), s.get("exported_at"), s.get("fingerprint"), s.get("detail"))


def advance(known: dict[str, Known], events: Iterable[Any]) -> dict[str, Known]:
    """``known`` (:meth:`DecisionLog.known_states`) as it stands once ``events`` (core
    Events) are recorded: what known_states would read back after the run's record, without
    replaying the log's whole history again (it grows every week). Refused events change
    nothing; times go through the text the log stores."""
    touched: dict[str, dict[str, Any]] = {}
    rows = []
    for e in events:
        if e.outcome == "refused":
            continue
        if e.action_id not in touched:
            was = known.get(e.action_id)
            touched[e.action_id] = {} if was is None else {
                "status": was.status, "approver": was.approver, "decided_at": was.decided_at,
                "comment": was.comment, "exported_at": was.exported_at,
                "fingerprint": was.fingerprint, "detail": was.detail}
        rows.append((e.action_id, e.field, e.new, e.who, stored_text(e.at),
                     getattr(e, "fingerprint", None), getattr(e, "detail", None)))
    replay(touched, rows)
    out = dict(known)  # an action already known keeps its place; a new one comes last
    out.update((action, known_of(s)) for action, s in touched.items())
    return out


def logged_values(db: sqlite3.Connection, known: dict[str, Known],
                  only: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
    """Per action, the values pysnop last showed for it: those approved (or exported) for an
    Approved or Exported action (``known``), else its latest proposal's (normalised).
    ``only``: of these actions alone (what a run looks up: the sheet's rows and the decided
    actions it may restore), the others' values not read — every action a log ever proposed
    adds up week after week. :meth:`DecisionLog.logged_values`."""
    wanted = None if only is None else {str(a) for a in only}
    # each action's proposals of its latest run only (by the index on action_id, run_id:
    # the older runs' values are not read), the last written winning; sorted here by rowid,
    # not by SQLite (whose sorter would carry every detail text)
    which, args = "", cast(tuple[str, ...], ())
    if wanted is not None:  # by the index on (action_id, run_id): those actions' rows only
        which = "WHERE action_id IN (SELECT value FROM json_each(?)) "
        args = (json.dumps(sorted(wanted)),)
    latest = ("FROM proposals p JOIN (SELECT action_id, MAX(run_id) AS run_id FROM "
              f"proposals {which}GROUP BY action_id) latest ON p.action_id = "
              "latest.action_id AND p.run_id = latest.run_id")
    try:
        rows = db.execute(f"SELECT p.rowid, p.action_id, p.detail {latest}", args).fetchall()
    except sqlite3.OperationalError:
        if wanted is None:
            raise
        # an SQLite built without its JSON functions (before 3.38, unless enabled): every
        # action read, those asked for kept — the same values
        return {a: v for a, v in logged_values(db, known).items() if a in wanted}
    rows.sort(key=itemgetter(0))
    out: dict[str, dict[str, Any]] = {}
    if rows:
        _, actions, details = zip(*rows)
        values = parse_each(details)
        missing = list(compress(range(len(rows)), map(not_, details)))
        if missing:  # proposals logged before their values were (the columns normalised)
            legacy = ", ".join(f"p.{name}" for name in LEGACY_VALUES)
            columns = {r[0]: r[1:] for r in db.execute(f"SELECT p.rowid, {legacy} {latest}",
                                                       args)}
            for at in missing:
                values[at] = {name: normal(v) for name, v in
                              zip(LEGACY_VALUES, columns[rows[at][0]])}
        # the last of an action's rows wins (every value is a dict now)
        out = dict(zip(map(str, actions), cast(list[dict[str, Any]], values)))
    for action, state in known.items():
        if state.status in (APPROVED, EXPORTED) and state.detail and (
                wanted is None or action in wanted):
            out[action] = parse_values(state.detail) or out.get(action, {})
    return out


__all__ = ["advance", "known_of", "logged_values", "replay"]
