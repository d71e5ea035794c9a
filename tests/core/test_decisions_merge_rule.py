"""decisions.merge (column arrays) against the rule as it reads row by row (docs/semantics.md §3):
the same Actions rows, cell for cell and dtype for dtype, and the same events in the same order,
on generated sheets — every status (typed in any case, unknown, blank), duplicate and blank
action ids, rows deleted from the sheet but known to the log, exported and lapsed actions,
touched and untouched Obsolete rows, with and without a rank column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pysnop.core.binding import rebind
from pysnop.core.coordination import Coverage
from pysnop.core.decisions import (APPROVED, BOUND, BOUND_VALUES, DECISION_COLUMNS, EXPORTED,
                                   NEEDS_REAPPROVAL, OBSOLETE, PROPOSED, REJECTED, SUPERSEDED,
                                   SYSTEM, Event, Known, merge, parse_status, text_or_none,
                                   touched)
from pysnop.core.review_coordination import coverage_of, mark_superseded

NOW = dt.datetime(2026, 11, 23, 9, 0)


def row_by_row(reviewed: pd.DataFrame, proposals: pd.DataFrame, now: dt.datetime, *,
          known: dict[str, Known] | None = None, lapsed: AbstractSet[str] = frozenset(),
          cover: pd.DataFrame | Coverage | None = None) -> tuple[pd.DataFrame, list[Event]]:
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
        events += mark_superseded(frame, coverage_of(cover), now)
    return frame, events


STATUS_CELLS = [PROPOSED, APPROVED, REJECTED, EXPORTED, OBSOLETE, SUPERSEDED, "exported",
                " approved ", "maybe", "", None, np.nan]


def generated(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Known], set[str]]:
    rng = np.random.default_rng(seed)
    pool = [f"A{i:02d}" for i in range(14)]

    def pick(items: list[Any]) -> Any:
        return items[int(rng.integers(len(items)))]

    made = [a for a in pool if rng.random() < 0.6]
    rng.shuffle(made)
    proposals = pd.DataFrame({
        "action_id": made,
        "rank": np.arange(1, len(made) + 1),
        "qty": rng.integers(0, 90, len(made)).astype(float),
        "week": pd.to_datetime("2026-11-30") + pd.to_timedelta(
            7 * rng.integers(0, 4, len(made)), unit="D"),
        "owner": [pick(["Supply", "Marketing"]) for _ in made],
        # a nullable integer column and numpy numbers in an object column, as plans carry
        "alt_rank": pd.array([pick([1, 2, None]) for _ in made], dtype="Int64"),
        "detail": pd.Series([pick([np.int64(3), np.float64(2.5), "text", None])
                             for _ in made], dtype=object),
    })
    if rng.random() < 0.3:
        proposals = proposals.drop(columns="rank")
    shown = [a for a in pool if rng.random() < 0.6]
    ids: list[Any] = [pick([a, f" {a} "]) for a in shown]
    ids += [pick(shown)] if shown and rng.random() < 0.5 else []  # a repeated id
    ids += [pick([None, "", "  "])] if rng.random() < 0.5 else []  # a row without one
    n = len(ids)
    reviewed = pd.DataFrame({
        "action_id": ids,
        "row": np.arange(5, 5 + n),
        "qty": rng.integers(0, 90, n).astype(float),
        "owner": [pick(["Supply", "Marketing"]) for _ in range(n)],
        "note": [pick(["x", None]) for _ in range(n)],
        "status": [pick(STATUS_CELLS) for _ in range(n)],
        "approver": [pick([None, "", "Ann"]) for _ in range(n)],
        "decided_at": [pick([None, dt.datetime(2026, 11, 20, 8)]) for _ in range(n)],
        "comment": [pick([None, "  ", "keep"]) for _ in range(n)],
        "scenario": [pick([None, "base"]) for _ in range(n)],
        "exported_at": [pick([None, dt.datetime(2026, 11, 21, 8)]) for _ in range(n)],
    })
    if rng.random() < 0.5:  # as review_edits hands it on: unbound rows
        reviewed[BOUND] = None
        reviewed[BOUND_VALUES] = None
    known = {a: Known(pick([PROPOSED, APPROVED, EXPORTED, OBSOLETE]),
                      pick([None, "Bob"]), pick([None, dt.datetime(2026, 11, 19, 8)]),
                      pick([None, "old note"]), pick([None, dt.datetime(2026, 11, 19, 9)]))
             for a in pool if rng.random() < 0.5}
    lapsed = {a for a in pool if rng.random() < 0.2}
    return reviewed, proposals, known, lapsed


@pytest.mark.parametrize("seed", range(60))
def test_merge_is_the_row_by_row_rule(seed: int) -> None:
    reviewed, proposals, known, lapsed = generated(seed)
    want, want_events = row_by_row(reviewed, proposals, NOW, known=known, lapsed=lapsed)
    got, got_events = merge(reviewed, proposals, NOW, known=known, lapsed=lapsed)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for c in got.columns[got.dtypes == np.dtype(object)]:  # the very cells: int is not numpy's int64
        assert [type(v) for v in got[c]] == [type(v) for v in want[c]], c
    assert got_events == want_events


def test_generated_cases_reach_every_branch() -> None:
    # the generator is worth its cases: exported kept, restarted, obsolete, dropped, new
    seen: set[str] = set()
    for seed in range(60):
        reviewed, proposals, known, lapsed = generated(seed)
        rows, events = merge(reviewed, proposals, NOW, known=known, lapsed=lapsed)
        seen |= {e.message for e in events}
        if (rows["status"].map(parse_status) == EXPORTED).any():
            seen.add("exported kept")
        if len(rows) < len(set(proposals["action_id"]) | {
                text_or_none(a) for a in reviewed["action_id"]} - {None}):
            seen.add("dropped")
    assert {"new proposal", "proposed again", "no longer proposed", "exported kept",
            "dropped"} <= seen
