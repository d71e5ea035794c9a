"""The decision log: an append-only SQLite database of runs, proposals, risks, decisions, exports.

It sits beside the workbook (:mod:`pysnop.store.paths`), in the same SQLite file as the
forecast history; the tables are created by :mod:`pysnop.store.connection`, whose triggers
abort any UPDATE or DELETE, so history cannot be rewritten through pysnop or by a stray script.

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
import json
import math
import os
import sqlite3
from pathlib import Path

import pandas as pd

from pysnop.core.decisions import EXPORTED, Known
from pysnop.core.values import is_blank
from pysnop.errors import FileAccessError
from pysnop.store.connection import DECISION_TABLES, connect

PROPOSAL_FIELDS = ("action_id", "type", "owner", "sku", "location", "campaign_id", "qty", "week",
                   "margin_protected", "net_value", "rank", "reason")
RISK_FIELDS = ("sku", "location", "status", "first_risk_week", "act_by", "lost_units",
               "margin_at_risk")


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

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.db = connect(self.path, "decision log")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.db.close()

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
            assert run_id is not None  # an INSERT gives its row id
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
        if table not in DECISION_TABLES:
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
