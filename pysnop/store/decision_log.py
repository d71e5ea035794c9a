"""The decision log: an append-only SQLite database of runs, proposals, risks, decisions, exports.

By default it sits beside the workbook: ``plan.xlsx`` → ``plan.pysnop.sqlite``; the Settings
key ``decision_log`` (a path, relative to the workbook's folder) or ``--log PATH`` moves it.

Append-only is enforced by the database itself: every table has triggers that abort any
UPDATE or DELETE, so history cannot be rewritten through pysnop or by a stray script.

Tables
  runs       id, at, kind (recalc / decisions / export), workbook, fingerprint (sha256 of the
             workbook file read), as_of, user, counts (JSON)
  proposals  run_id, action_id, type, owner, sku, location, campaign_id, qty, week,
             margin_protected, net_value, rank, reason
  risks      run_id, sku, location, status, first_risk_week, act_by, lost_units, margin_at_risk
  decisions  run_id, action_id, field (status / comment), old, new, who, at, outcome
             (accepted / refused / system), message
  exports    run_id, action_id, at, format, file, who
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import sqlite3
from pathlib import Path

import pandas as pd

from pysnop.core.values import is_blank
from pysnop.core.decisions import EXPORTED, Known
from pysnop.errors import FileAccessError

SUFFIX = ".pysnop.sqlite"
TABLES = {
    "runs": "id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, workbook TEXT, "
            "fingerprint TEXT, as_of TEXT, user TEXT, counts TEXT",
    "proposals": "run_id INTEGER NOT NULL REFERENCES runs(id), action_id TEXT NOT NULL, "
                 "type TEXT, owner TEXT, sku TEXT, location TEXT, campaign_id TEXT, qty REAL, "
                 "week TEXT, margin_protected REAL, net_value REAL, rank INTEGER, reason TEXT",
    "risks": "run_id INTEGER NOT NULL REFERENCES runs(id), sku TEXT, location TEXT, "
             "status TEXT, first_risk_week TEXT, act_by TEXT, lost_units REAL, "
             "margin_at_risk REAL",
    "decisions": "id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), "
                 "action_id TEXT NOT NULL, field TEXT NOT NULL, old TEXT, new TEXT, who TEXT, "
                 "at TEXT NOT NULL, outcome TEXT NOT NULL, message TEXT",
    "exports": "run_id INTEGER NOT NULL REFERENCES runs(id), action_id TEXT NOT NULL, "
               "at TEXT NOT NULL, format TEXT, file TEXT, who TEXT",
}
PROPOSAL_FIELDS = ("action_id", "type", "owner", "sku", "location", "campaign_id", "qty", "week",
                   "margin_protected", "net_value", "rank", "reason")
RISK_FIELDS = ("sku", "location", "status", "first_risk_week", "act_by", "lost_units",
               "margin_at_risk")


def default_path(book: str | os.PathLike) -> Path:
    book = Path(book)
    return book.with_name(book.stem + SUFFIX)


def resolve_path(book, *, override=None, setting=None) -> Path:
    """``--log`` wins, then Settings ``decision_log`` (relative to the workbook), then default."""
    for value in (override, setting):
        if value is not None and str(value).strip():
            path = Path(str(value).strip()).expanduser()
            return path if path.is_absolute() else Path(book).parent / path
    return default_path(book)


def fingerprint(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _iso(value) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds") if (value.hour or value.minute or
                                                       value.second) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _num(value):
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _parse_time(text):
    return dt.datetime.fromisoformat(text) if text else None


class DecisionLog:
    """One open decision log. Use as a context manager; every ``record_run`` is one transaction."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path)
            self.db.execute("PRAGMA foreign_keys = ON")
            self._create()
        except (sqlite3.Error, OSError) as exc:
            raise FileAccessError(f"cannot open the decision log {self.path}: {exc}") from exc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.db.close()

    def _create(self) -> None:
        with self.db:
            for name, columns in TABLES.items():
                self.db.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
                for verb in ("UPDATE", "DELETE"):
                    self.db.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {name}_no_{verb.lower()} BEFORE {verb} "
                        f"ON {name} BEGIN SELECT RAISE(ABORT, 'the decision log is append-only: "
                        f"{verb} on {name} refused'); END")
            self.db.execute("CREATE INDEX IF NOT EXISTS decisions_action ON decisions(action_id)")
            self.db.execute("CREATE INDEX IF NOT EXISTS proposals_run ON proposals(run_id)")

    # ------------------------------------------------------------------------ writing
    def record_run(self, *, kind: str, at: dt.datetime, workbook=None, fingerprint=None,
                   as_of=None, user=None, counts=None, proposals=None, risks=None,
                   events=(), exports=()) -> int:
        """Append one run with everything it produced, atomically; returns the run id."""
        try:
            with self.db:
                cur = self.db.execute(
                    "INSERT INTO runs (at, kind, workbook, fingerprint, as_of, user, counts) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (_iso(at), kind, None if workbook is None else str(workbook), fingerprint,
                     _iso(as_of), user, json.dumps(counts or {}, sort_keys=True)))
                run_id = cur.lastrowid
                if proposals is not None and len(proposals):
                    self.db.executemany(
                        f"INSERT INTO proposals (run_id, {', '.join(PROPOSAL_FIELDS)}) VALUES "
                        f"({', '.join('?' * (len(PROPOSAL_FIELDS) + 1))})",
                        [(run_id, *_row(rec, PROPOSAL_FIELDS))
                         for rec in proposals.to_dict("records")])
                if risks is not None and len(risks):
                    self.db.executemany(
                        f"INSERT INTO risks (run_id, {', '.join(RISK_FIELDS)}) VALUES "
                        f"({', '.join('?' * (len(RISK_FIELDS) + 1))})",
                        [(run_id, *_row(rec, RISK_FIELDS)) for rec in risks.to_dict("records")])
                self.db.executemany(
                    "INSERT INTO decisions (run_id, action_id, field, old, new, who, at, "
                    "outcome, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(run_id, e.action_id, e.field, e.old, e.new, e.who, _iso(e.at), e.outcome,
                      e.message or None) for e in events])
                self.db.executemany(
                    "INSERT INTO exports (run_id, action_id, at, format, file, who) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(run_id, x["action_id"], _iso(x["at"]), x.get("format"),
                      None if x.get("file") is None else str(x["file"]), x.get("who"))
                     for x in exports])
            return run_id
        except sqlite3.Error as exc:
            raise FileAccessError(f"cannot write the decision log {self.path}: {exc}") from exc

    # ------------------------------------------------------------------------ reading
    def known_states(self) -> dict[str, Known]:
        """The last recorded state of every action, replaying accepted and system events."""
        state: dict[str, dict] = {}
        rows = self.db.execute(
            "SELECT action_id, field, new, who, at FROM decisions WHERE outcome != 'refused' "
            "ORDER BY id")
        for action, fld, new, who, at in rows:
            s = state.setdefault(action, {})
            if fld == "comment":
                s["comment"] = new
            elif fld == "status":
                s["status"] = new
                if new == EXPORTED:
                    s["exported_at"] = _parse_time(at)
                elif new in ("Approved", "Rejected"):
                    s.update(approver=who, decided_at=_parse_time(at), exported_at=None)
                elif new == "Proposed":
                    s.update(approver=None, decided_at=None, exported_at=None)
        return {a: Known(s.get("status", "Proposed"), s.get("approver"), s.get("decided_at"),
                         s.get("comment"), s.get("exported_at")) for a, s in state.items()}

    def lapsed_exports(self) -> set[str]:
        """Exported actions not proposed by some recalc run after their latest export."""
        rows = self.db.execute(
            "SELECT e.action_id FROM (SELECT action_id, MAX(run_id) AS run_id FROM exports "
            "GROUP BY action_id) e WHERE EXISTS (SELECT 1 FROM runs r WHERE r.kind = 'recalc' "
            "AND r.id > e.run_id AND NOT EXISTS (SELECT 1 FROM proposals p WHERE "
            "p.run_id = r.id AND p.action_id = e.action_id))")
        return {r[0] for r in rows}

    def runs(self, kind: str | None = None) -> list[dict]:
        sql = "SELECT id, at, kind, workbook, fingerprint, as_of, user, counts FROM runs"
        args: tuple = ()
        if kind is not None:
            sql += " WHERE kind = ?"
            args = (kind,)
        out = []
        for row in self.db.execute(sql + " ORDER BY id", args):
            rec = dict(zip(("id", "at", "kind", "workbook", "fingerprint", "as_of", "user",
                            "counts"), row))
            rec["counts"] = json.loads(rec["counts"] or "{}")
            out.append(rec)
        return out

    def frame(self, table: str, where: str = "", args: tuple = ()) -> pd.DataFrame:
        """A table (or its rows matching ``where``) as a DataFrame."""
        if table not in TABLES:
            raise ValueError(f"no table {table}")
        cur = self.db.execute(f"SELECT * FROM {table} {where}", args)
        return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])


def _row(rec: dict, fields) -> list:
    out = []
    for name in fields:
        value = rec.get(name)
        if name in ("qty", "margin_protected", "net_value", "lost_units", "margin_at_risk"):
            out.append(_num(value))
        elif name == "rank":
            n = _num(value)
            out.append(None if n is None else int(n))
        else:
            out.append(_iso(value))
    return out
