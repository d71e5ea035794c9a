"""Is this the workbook's log, whole and untouched? The check every run makes first.

The workbook carries a *stamp* — its log's id, the last entry and its hash (a custom
document property, :mod:`pysnop.workbook.ooxml.custom_props`). :func:`diagnose` holds the
log file against it and against its own hash chain (:mod:`pysnop.store.chain`):

==============  ===========================================================================
code            what happened
==============  ===========================================================================
ok              the log is whole and ends where the workbook says
behind          the log holds entries the workbook does not show yet (a run whose workbook
                was not saved, an older copy of the workbook): allowed, the log's decisions
                are shown (the caller warns for each action concerned)
upgraded        a file from before the chain: sealed now, vouched for from now on
missing         the workbook has a stamp (or decisions on its Actions sheet) and no log
replaced        the log is another log (another id) than the workbook's
rolled_back     the log ends before the entry the workbook was saved at (an older copy)
diverged        the log's entry at the workbook's stamp is not the one it was saved with
edited          rows no longer match the hash they were sealed with
outside         rows that no entry covers (inserted outside pysnop)
broken          the chain's links do not hold
triggers        the append-only triggers were dropped or changed
new_workbook    the workbook has no stamp and no decided rows, the log has runs: a workbook
                made anew beside its log (allowed, with a warning; it is stamped now)
unstamped       the log has decision runs, the workbook no stamp but decided rows on its
                Actions sheet (another workbook, or one saved by a program that dropped its
                document properties)
==============  ===========================================================================

Every refusal says what happened and how to proceed: ``pysnop log verify BOOK`` to see it,
restoring the right file, or ``pysnop log adopt BOOK`` to start a new log from the workbook's
decisions (never done silently).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from pysnop.errors import FileAccessError, Kind, PysnopError
from pysnop.store import chain, preverify
from pysnop.store.chain import Finding, Stamp
from pysnop.store.connection import CACHE_KIB, schema_version

REFUSED = ("missing", "replaced", "rolled_back", "diverged", "edited", "outside", "broken",
           "triggers", "unstamped")


class LogIntegrityError(PysnopError):
    """The decision log cannot be trusted for this workbook; nothing was done. (Not a
    FileAccessError: a stage that carries on past a file it cannot write must stop here.)"""

    kind: Kind = "file"

    def __init__(self, diagnosis: Diagnosis):
        super().__init__(diagnosis.message)
        self.diagnosis = diagnosis

    @property
    def code(self) -> str:
        return self.diagnosis.code


@dataclass
class Diagnosis:
    code: str
    message: str
    log_head: Stamp | None = None
    stamp: Stamp | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return self.code in REFUSED


def _next_steps(book: str) -> str:
    return (f"Nothing was done. `pysnop log verify {book}` shows what does not hold. Put the "
            f"right log back (from a backup that `pysnop log verify` accepts); if there is "
            f"none, `pysnop log adopt {book}` starts a new log from the workbook's decisions "
            f"as they stand, recorded as adopted (the old file is kept aside).")


def read_only(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(f"file:{path.resolve().as_posix()}?mode=ro", uri=True)
        # the digests sort a run's rows (pysnop.store.chain): in memory, not in temp files
        db.execute(f"PRAGMA cache_size = {CACHE_KIB}")
        return db
    except sqlite3.Error as exc:
        raise FileAccessError(f"cannot read the decision log {path}: {exc}") from exc


def diagnose(path: Path, stamp: Stamp | None, *, book: str, decided_rows: int = 0,
             full: bool = False) -> Diagnosis:
    """How the log at ``path`` stands against the workbook's ``stamp`` (see the module doc).

    Reads only. ``decided_rows``: Approved / Rejected / Exported rows on the Actions sheet
    (decisions with no log to hold them). ``full``: re-hash the rows of every run and
    forecast record, not only the newest (:func:`pysnop.store.chain.verify`)."""
    name = path.name
    if not path.exists():
        if stamp is not None:
            return Diagnosis("missing", (
                f"The decision log {name} is missing: {book} was saved with {stamp.short()}, "
                f"so its decisions are recorded in a log that is not at {path}. "
                + _next_steps(book)), None, stamp)
        if decided_rows:
            return Diagnosis("missing", (
                f"The decision log {name} is missing: the Actions sheet of {book} holds "
                f"{decided_rows} decided rows (Approved, Rejected or Exported), and no log at "
                f"{path} records them. " + _next_steps(book)), None, stamp)
        return Diagnosis("ok", "no decision log yet: a new one is started", None, stamp)
    db = read_only(path)
    try:
        try:
            if schema_version(db) < 2:
                return Diagnosis("upgraded", (
                    f"The decision log {name} was written before logs were chained: its runs "
                    f"are sealed onto a hash chain now, and vouched for from now on only."),
                    None, stamp)
            findings = None if full else preverify.take(path)  # checked while importing
            if findings is None:
                findings = chain.verify(db, full=full)
            head = chain.head(db)
            runs = int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
            info = db.execute("SELECT origin, sealed FROM log_info ORDER BY id LIMIT 1"
                              ).fetchone()
        except sqlite3.Error as exc:
            return Diagnosis("broken", (f"The decision log {name} cannot be read as a pysnop "
                                        f"log ({exc}). " + _next_steps(book)), None, stamp)
        if findings:
            return _findings(name, book, findings, head, stamp)
        if head is None:
            return Diagnosis("broken", f"The decision log {name} has no chain. "
                             + _next_steps(book), None, stamp)
        if stamp is None:
            if info is not None and info[0] == "upgraded" and head.seq == 1 + int(info[1] or 0):
                return Diagnosis("upgraded", (
                    f"The decision log {name} was written before logs were chained; its runs "
                    f"were sealed onto a hash chain at the upgrade, and {book} gets its stamp "
                    f"with this run."), head, stamp)
            if runs and not decided_rows:
                return Diagnosis("new_workbook", (
                    f"{book} carries no stamp of a decision log (a workbook made anew?); the "
                    f"log {name} beside it ({runs} runs) goes on, and {book} gets its stamp "
                    f"with this run"), head, stamp)
            if runs:
                return Diagnosis("unstamped", (
                    f"{book} carries no stamp of a decision log, but {name} beside it records "
                    f"{runs} runs of log {head.log_id[:8]}: this is another workbook than the "
                    f"one the log belongs to, or it was saved by a program that dropped its "
                    f"document properties. " + _next_steps(book)), head, stamp, findings)
            return Diagnosis("ok", "the log has no decision runs yet", head, stamp)
        return _against(db, name, book, head, stamp)
    finally:
        db.close()


def _findings(name: str, book: str, findings: list[Finding], head: Stamp | None,
              stamp: Stamp | None) -> Diagnosis:
    order = ("triggers", "outside", "edited", "broken")
    code = next(c for c in order if any(f.code == c for f in findings))
    listed = "; ".join(f.detail for f in findings if f.code == code)
    listed = listed if len(listed) < 300 else listed[:297] + "..."
    what = {
        "triggers": f"its append-only triggers were dropped or changed ({listed}), so rows "
                    f"could have been rewritten unnoticed",
        "outside": f"it holds rows that no entry of its hash chain covers ({listed}): rows "
                   f"were inserted outside pysnop (a back-dated decision?)",
        "edited": f"rows no longer match the hash they were sealed with: {listed}",
        "broken": f"its hash chain does not hold: {listed}",
    }[code]
    return Diagnosis(code, f"The decision log {name} was changed outside pysnop: {what}. "
                     + _next_steps(book), head, stamp, findings)


def _against(db: sqlite3.Connection, name: str, book: str, head: Stamp, stamp: Stamp
             ) -> Diagnosis:
    if stamp.log_id != head.log_id:
        return Diagnosis("replaced", (
            f"The decision log {name} is not the log of {book}: the workbook was saved with "
            f"{stamp.short()}, this file is log {head.log_id[:8]} (another log, or one started "
            f"afresh). " + _next_steps(book)), head, stamp)
    if stamp.seq > head.seq:
        last = chain.entry_of(db, head.seq)
        when = f" ({last[1].replace('T', ' ')})" if last else ""
        return Diagnosis("rolled_back", (
            f"The decision log {name} is older than {book}: it ends at entry {head.seq}{when}, "
            f"and the workbook was saved at entry {stamp.seq}. It was restored from an older "
            f"copy, or cut back; decisions recorded since (exports among them) would be "
            f"undone. " + _next_steps(book)), head, stamp)
    entry = chain.entry_of(db, stamp.seq)
    if entry is None or entry[0] != stamp.hash:
        return Diagnosis("diverged", (
            f"The decision log {name} does not hold the entry {book} was saved with (entry "
            f"{stamp.seq}, {stamp.hash[:12]}): the log was rebuilt, or another copy of it was "
            f"written. " + _next_steps(book)), head, stamp)
    if stamp.seq < head.seq:
        return Diagnosis("behind", (
            f"{book} was saved at entry {stamp.seq} of its decision log, which has "
            f"{head.seq}: the log's later decisions are shown"), head, stamp)
    return Diagnosis("ok", f"the log ends where {book} says ({head.short()})", head, stamp)


__all__ = ["REFUSED", "Diagnosis", "LogIntegrityError", "diagnose", "read_only"]
