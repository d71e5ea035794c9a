"""The decision log: an append-only SQLite database of runs, proposals, risks, decisions, exports.

It sits beside the workbook (:mod:`pysnop.store.paths`), in the same SQLite file as the
forecast history; the tables are created by :mod:`pysnop.store.connection`, whose triggers
abort any UPDATE or DELETE, so history cannot be rewritten through pysnop or by a stray script.

Tables
  runs       id, at, kind (recalc / decisions / export), workbook, fingerprint (sha256 of the
             workbook file read), as_of, user, counts (JSON)
  proposals  run_id, action_id, type, owner, sku, location, campaign_id, qty, week,
             margin_protected, net_value, rank, reason, from_location, po_id, alt_sku,
             new_lift, new_start, cost, risk_id, recommended, act_by
  risks      run_id, sku, location, status, first_risk_week, act_by, lost_units, margin_at_risk
  plan_risks run_id + the risks frame of pysnop.core.risk_frame (one row per decision)
  plan_cover run_id, format, data: the run's cover frame (pysnop.core.actions), compressed
  decisions  run_id, action_id, field (status / comment), old, new, who, at, outcome
             (accepted / refused / system), message
  exports    run_id, action_id, at, format, file, who
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import sqlite3
import zlib
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from pysnop.core.decisions import EXPORTED, Known
from pysnop.core.values import is_blank
from pysnop.errors import FileAccessError
from pysnop.store.connection import DECISION_TABLES, connect

PROPOSAL_FIELDS = ("action_id", "type", "owner", "sku", "location", "campaign_id", "qty", "week",
                   "margin_protected", "net_value", "rank", "reason", "from_location", "po_id",
                   "alt_sku", "new_lift", "new_start", "cost", "risk_id", "recommended",
                   "act_by")
RISK_FIELDS = ("sku", "location", "status", "first_risk_week", "act_by", "lost_units",
               "margin_at_risk")
PLAN_RISK_FIELDS = ("risk_id", "kind", "draft", "sku", "location", "campaign_id", "status",
                    "first_risk_week", "shortfall_units", "lost_units", "margin_at_risk",
                    "act_by", "too_late", "alternatives", "recommended", "best_action_id",
                    "fixable", "note", "rank")
NUMBERS = {"qty", "margin_protected", "net_value", "lost_units", "margin_at_risk", "new_lift",
           "cost", "shortfall_units"}
WHOLE = {"rank", "alternatives"}
FLAGS = {"recommended", "draft", "too_late", "fixable"}
RISK_COUNTS = {"alternatives", "recommended"}  # on plan_risks, "recommended" is a count
COVER_FORMAT = "json-split+zlib"


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
                   events=(), exports=(), plan_risks=None, cover=None) -> int:
        """Append one run with everything it produced, atomically; returns the run id.

        ``plan_risks`` and ``cover``: the risks and cover frames of the run's action plan
        (:func:`pysnop.core.actions.plan_actions`), kept so that decisions taken between
        recalculations coordinate against what the sheet shows."""
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
                if plan_risks is not None and len(plan_risks):
                    self.db.executemany(
                        f"INSERT INTO plan_risks (run_id, {', '.join(PLAN_RISK_FIELDS)}) "
                        f"VALUES ({', '.join('?' * (len(PLAN_RISK_FIELDS) + 1))})",
                        [(run_id, *_row(rec, PLAN_RISK_FIELDS, RISK_COUNTS))
                         for rec in plan_risks.to_dict("records")])
                if cover is not None:
                    self.db.execute("INSERT INTO plan_cover (run_id, format, data) VALUES "
                                    "(?, ?, ?)", (run_id, COVER_FORMAT, _pack(cover)))
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

    def latest_plan(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None] | None:
        """(proposals, plan risks, cover) of the latest recalc run that recorded a plan, or
        None: what the Actions sheet shows until the next recalculation."""
        row = self.db.execute("SELECT MAX(r.id) FROM runs r WHERE r.kind = 'recalc' AND "
                              "EXISTS (SELECT 1 FROM plan_cover c WHERE c.run_id = r.id)"
                              ).fetchone()
        if row is None or row[0] is None:
            return None
        run_id = int(row[0])
        proposals = self.frame("proposals", "WHERE run_id = ? ORDER BY rank", (run_id,))
        risks = self.frame("plan_risks", "WHERE run_id = ? ORDER BY rank", (run_id,))
        blob = self.db.execute("SELECT format, data FROM plan_cover WHERE run_id = ?",
                               (run_id,)).fetchone()
        cover = _unpack(blob[1]) if blob is not None and blob[0] == COVER_FORMAT else None
        return _typed(proposals), _typed(risks, RISK_COUNTS), cover

    def exported_values(self) -> pd.DataFrame:
        """Every export with the values that were exported: one row per (export, action) —
        the action's proposal in the latest recalc run before the export — with
        ``exported_at``, ``export_run`` and ``who``. In export order."""
        cur = self.db.execute(
            "SELECT e.run_id AS export_run, e.at AS exported_at, e.who AS exported_by, p.* "
            "FROM exports e JOIN proposals p ON p.action_id = e.action_id AND p.run_id = "
            "(SELECT MAX(q.run_id) FROM proposals q JOIN runs r ON r.id = q.run_id "
            " WHERE q.action_id = e.action_id AND q.run_id < e.run_id AND r.kind = 'recalc') "
            "ORDER BY e.run_id, e.rowid")
        frame = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
        return frame.drop(columns=["run_id"]) if "run_id" in frame else frame

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


def read_exports(path: str | os.PathLike[str]) -> pd.DataFrame | None:
    """Every export in the decision log at ``path`` with the values exported
    (:meth:`DecisionLog.exported_values`), read without writing to the file (``pysnop check``
    writes nothing); None when there is no log, or it cannot be read."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"exports", "proposals", "runs"} <= names:
            return None
        log = DecisionLog.__new__(DecisionLog)
        log.path, log.db = path, db
        return log.exported_values()
    except sqlite3.Error:
        return None
    finally:
        db.close()


def _row(rec: dict, fields, whole: set[str] = WHOLE) -> list:
    out = []
    for name in fields:
        value = rec.get(name)
        if name in NUMBERS:
            out.append(_num(value))
        elif name in whole | WHOLE:
            n = _num(value)
            out.append(None if n is None else int(n))
        elif name in FLAGS:
            out.append(None if is_blank(value) else int(bool(value)))
        else:
            out.append(_iso(value))
    return out


def _typed(frame: pd.DataFrame, counts: Collection[str] = ()) -> pd.DataFrame:
    """Flags back to booleans, dates back to timestamps (a frame read from the log)."""
    frame = frame.copy()
    for col in (FLAGS - set(counts)) & set(frame.columns):
        frame[col] = frame[col].map(lambda v: None if v is None else bool(v)).astype(object)
    for col in {"first_risk_week", "act_by", "week", "new_start"} & set(frame.columns):
        frame[col] = pd.to_datetime(frame[col], errors="coerce")
    return frame


def _pack(cover: pd.DataFrame) -> bytes:
    """The cover frame as compressed JSON (dates as ISO days)."""
    frame = cover.copy()
    if "week" in frame:
        frame["week"] = pd.to_datetime(frame["week"]).dt.strftime("%Y-%m-%d")
    text = frame.to_json(orient="split", index=False, double_precision=10)
    return zlib.compress(text.encode("utf-8"), 6)


def _unpack(data: bytes) -> pd.DataFrame:
    frame = pd.read_json(io.StringIO(zlib.decompress(data).decode("utf-8")), orient="split",
                         dtype=False)
    if "week" in frame:
        frame["week"] = pd.to_datetime(frame["week"])
    for col in ("action_id", "risk_id", "sku", "location"):
        if col in frame:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
            frame[col] = frame[col].map(lambda v: v if v is None else str(v))
    return frame
