"""The records of decisions on action proposals: the statuses, what the log knows of each
action (:class:`Known`), a change to a decision (:class:`Event`), who may decide
(:class:`Approvers`) and the outcome of reading the Actions sheet back (:class:`Review`)
(docs/semantics.md §3, "Risks and decisions"). Pure: no file or clock access."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

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


class Known(NamedTuple):
    """The last state pysnop recorded for one action (from the decision log). A named tuple,
    immutable like the frozen dataclass it was: a run builds one for every action its log
    ever held (hundreds of thousands in a log's second year), and a frozen dataclass took
    about 5 µs each to build, a tuple a tenth of that."""

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



def parse_statuses(cells: Any) -> NDArray[np.object_]:
    """:func:`parse_status` of every cell (a column), each distinct cell parsed once."""
    codes, uniq = pd.factorize(pd.Series(np.asarray(cells, dtype=object), dtype=object))
    parsed = np.array([parse_status(u) for u in uniq] + [PROPOSED], dtype=object)
    return np.asarray(parsed[codes], dtype=object)  # -1 (a blank cell): the last, Proposed

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


def row_of(rec: Mapping[str, Any]) -> int | None:
    row: Any = rec.get("row")  # a cell: whatever the sheet holds
    return None if is_blank_text(row) else int(row)


def row_warning(row: int | None, column: str, value: object, reason: str) -> Problem:
    return Problem(reason, SHEET, row, None, column, value, "warning")


def set_cells(rows: pd.DataFrame, at: Any, **values: Any) -> None:
    """Set cells of row ``at`` (in place), making a column first where there is none."""
    for column, value in values.items():
        if column not in rows:
            rows[column] = None
        if rows[column].dtype != object:
            rows[column] = rows[column].astype(object)
        rows.at[at, column] = value
