"""Each action's state in the decision log, as its events leave it: the replay
:meth:`pysnop.store.decision_log.DecisionLog.known_states` runs over the log, and
:func:`advance`, which runs it over one run's events on top of a state already known."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pysnop.core.decisions import APPROVED, EXPORTED, NEEDS_REAPPROVAL, Known
from pysnop.store.log_values import parse_time, stored_text


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


__all__ = ["advance", "known_of", "replay"]
