"""The decision log: an append-only SQLite database of runs, proposals, risks, decisions, exports.

It sits beside the workbook (:mod:`pysnop.store.paths`), in the same SQLite file as the
forecast history; the tables are created by :mod:`pysnop.store.connection`, whose triggers
abort any UPDATE or DELETE, and every run is sealed onto a hash chain (:mod:`pysnop.store.chain`)
whose last entry the workbook keeps, so a log that was edited, cut back, replaced or
rebuilt is found out (:mod:`pysnop.store.integrity`).

Tables
  runs       id, at, kind (recalc / decisions / export / adopt), workbook, fingerprint (sha256
             of the workbook file read), as_of, user (the deciding user), counts (JSON),
             account (the OS account that ran pysnop)
  proposals  run_id, action_id, type, owner, sku, location, campaign_id, qty, week,
             margin_protected, net_value, rank, reason, fingerprint (of the bound values),
             detail (every value, JSON), from_location, po_id, alt_sku, new_lift,
             new_start, cost, risk_id, recommended, act_by
  risks      run_id, sku, location, status, first_risk_week, act_by, lost_units, margin_at_risk
  plan_risks run_id + the risks frame of pysnop.core.risk_frame (one row per decision)
  plan_cover run_id, format, data: the run's cover frame (pysnop.core.actions), compressed
  decisions  run_id, action_id, field (status / comment), old, new, who, at, outcome
             (accepted / refused / system), message, account, and for an approval the
             fingerprint and the values approved (detail)
  exports    run_id, action_id, at, format, file, who, account, fingerprint, detail (the
             values written to the file)
  approvers  run_id, change (added / removed), name, function, account: the Approvers list
             as each run found it, as changes
  log_info, chain   the log's identity and the hash chain
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

import pandas as pd

from pysnop.core.binding import values_records
from pysnop.core.decisions import Known
from pysnop.errors import FileAccessError
from pysnop.store import chain
from pysnop.store.chain import Finding, Stamp
from pysnop.store.connection import COLUMNS, connect, schema_version
from pysnop.store.known import known_of, logged_values, replay
from pysnop.store.log_values import (
    COVER_FORMAT,
    PLAN_RISK_FIELDS,
    PROPOSAL_FIELDS,
    RISK_COUNTS,
    RISK_FIELDS,
    pack_cover,
    stored_columns,
    stored_text,
    typed_frame,
    unpack_cover,
)


class DecisionLog:
    """One open decision log (use as a context manager).

    ``record_run`` is one transaction of its own, or part of the caller's when one was
    opened with :meth:`begin` (then :meth:`commit` or :meth:`rollback` ends it: the pipeline
    commits only once the workbook is written). Opening a file without a chain starts one
    (a new log, or an older unchained file upgraded: ``upgraded`` runs sealed now).
    """

    def __init__(self, path: str | os.PathLike[str], *, account: str | None = None,
                 workbook: str | os.PathLike[str] | None = None):
        self.path = Path(path)
        self._unsealed: tuple[int, str] | None = None  # record_run(seal=False): to seal
        self.db = connect(self.path, "decision log")
        self.upgraded = 0
        self.started = False
        try:
            if chain.head(self.db) is None:
                with self.db:
                    self.db.execute("BEGIN IMMEDIATE")
                    if chain.head(self.db) is None:  # nobody started it meanwhile
                        self.upgraded = chain.unsealed(self.db)
                        chain.start(self.db, origin="upgraded" if self.upgraded else "new",
                                    account=account,
                                    workbook=None if workbook is None else str(workbook),
                                    note=(f"{self.upgraded} earlier runs sealed at the "
                                          f"upgrade; they are vouched for from then on only"
                                          if self.upgraded else None))
                        self.started = True
        except sqlite3.Error as exc:
            self.db.close()
            raise FileAccessError(f"cannot start the decision log {self.path}: {exc}") from exc

    @classmethod
    def adopted(cls, path: str | os.PathLike[str], *, account: str | None, workbook: str,
                note: str) -> DecisionLog:
        """A new log at ``path`` (which must not exist) started by adopting a workbook."""
        path = Path(path)
        db = connect(path, "decision log")
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                chain.start(db, origin="adopted", account=account, workbook=workbook, note=note)
        finally:
            db.close()
        return cls(path)

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.db.in_transaction:
            self.db.rollback()
        self.db.close()

    # ------------------------------------------------------------------------ transactions
    def begin(self) -> None:
        """Hold the log for this run: later writes wait until :meth:`commit` / rollback."""
        try:
            if not self.db.in_transaction:
                self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise FileAccessError(f"cannot write the decision log {self.path}: {exc} (is "
                                  f"another pysnop run using it?)") from exc

    def commit(self) -> None:
        if self._unsealed is not None:  # rows no entry covers: the next run would refuse
            raise RuntimeError(f"run {self._unsealed[0]} was recorded but not sealed")
        try:
            self.db.commit()
        except sqlite3.Error as exc:
            raise FileAccessError(f"cannot write the decision log {self.path}: {exc}") from exc

    def rollback(self) -> None:
        self._unsealed = None
        if self.db.in_transaction:
            self.db.rollback()

    # ------------------------------------------------------------------------ the chain
    def head(self) -> Stamp:
        stamp = chain.head(self.db)
        assert stamp is not None  # every opened log has its first entry
        return stamp

    def verify(self) -> list[Finding]:
        return chain.verify(self.db)

    def info(self) -> dict[str, Any]:
        cur = self.db.execute("SELECT * FROM log_info ORDER BY id LIMIT 1")
        row = cur.fetchone()
        return {} if row is None else dict(zip([d[0] for d in cur.description], row))

    def decision_runs(self) -> int:
        """Runs that recorded decisions or proposals (not forecast records)."""
        return int(self.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def changed_since(self, seq: int) -> set[str]:
        """Actions whose decision (status or comment) changed in runs sealed after entry
        ``seq``: what a workbook saved at ``seq`` cannot show yet."""
        rows = self.db.execute(
            "SELECT DISTINCT d.action_id FROM decisions d JOIN chain c ON c.kind = 'run' AND "
            "c.ref = d.run_id WHERE c.seq > ? AND d.outcome != 'refused'", (seq,))
        return {str(r[0]) for r in rows}

    # ------------------------------------------------------------------------ writing
    def record_run(self, *, kind: str, at: dt.datetime, workbook: Any = None,
                   fingerprint: str | None = None, as_of: Any = None, user: str | None = None,
                   counts: dict[str, Any] | None = None, proposals: pd.DataFrame | None = None,
                   risks: pd.DataFrame | None = None, events: Iterable[Any] = (),
                   exports: Iterable[dict[str, Any]] = (), account: str | None = None,
                   approvers: Iterable[tuple[str, str, str, str | None]] = (),
                   plan_risks: pd.DataFrame | None = None,
                   cover: pd.DataFrame | None = None, seal: bool = True) -> int:
        """Append one run with everything it produced and seal it onto the chain; returns
        the run id. Atomic: its own transaction, or part of the caller's (:meth:`begin`).

        ``plan_risks`` and ``cover``: the risks and cover frames of the run's action plan
        (:func:`pysnop.core.actions.plan_actions`), kept so that decisions taken between
        recalculations coordinate against what the sheet shows. ``seal=False`` (in the
        caller's transaction only): the run's rows are inserted, and sealed by
        :meth:`seal`, which must come before :meth:`commit` (it refuses otherwise) — so
        the run's own rows can be read back in between (pysnop.pipeline.overlap)."""
        own = not self.db.in_transaction
        if own and not seal:
            raise ValueError("an unsealed run needs the caller's transaction (begin())")
        try:
            if own:
                self.db.execute("BEGIN IMMEDIATE")
            run_id = self._insert_run(kind, at, workbook, fingerprint, as_of, user, counts,
                                      proposals, risks, events, exports, account, approvers)
            self._insert_plan(run_id, plan_risks, cover)
            self._unsealed = (run_id, stored_text(at) or chain.now_text())
            if seal:
                self.seal()
            if own:
                self.db.commit()
            return run_id
        except sqlite3.Error as exc:
            if own:
                self.db.rollback()
            raise FileAccessError(f"cannot write the decision log {self.path}: {exc}") from exc

    def seal(self) -> Stamp:
        """Seal the run :meth:`record_run` inserted onto the chain; the log's new head."""
        if self._unsealed is None:
            raise RuntimeError("no run to seal")
        run_id, at = self._unsealed
        try:
            stamp = chain.append(self.db, "run", run_id, at)
        except sqlite3.Error as exc:
            raise FileAccessError(f"cannot write the decision log {self.path}: {exc}") from exc
        self._unsealed = None
        return stamp

    def _insert_run(self, kind, at, workbook, fingerprint, as_of, user, counts, proposals,
                    risks, events, exports, account, approvers) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (at, kind, workbook, fingerprint, as_of, user, counts, account) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (stored_text(at), kind, None if workbook is None else str(workbook), fingerprint,
             stored_text(as_of), user, json.dumps(counts or {}, sort_keys=True), account))
        run_id = cur.lastrowid
        assert run_id is not None  # an INSERT gives its row id
        if proposals is not None and len(proposals):
            names = (*PROPOSAL_FIELDS, "fingerprint", "detail")
            bound = values_records(proposals)
            self.db.executemany(
                f"INSERT INTO proposals (run_id, {', '.join(names)}) VALUES "
                f"({', '.join('?' * (len(names) + 1))})",
                zip(repeat(run_id), *stored_columns(proposals, PROPOSAL_FIELDS),
                    [b[0] for b in bound], [b[1] for b in bound]))
        if risks is not None and len(risks):
            self.db.executemany(
                f"INSERT INTO risks (run_id, {', '.join(RISK_FIELDS)}) VALUES "
                f"({', '.join('?' * (len(RISK_FIELDS) + 1))})",
                zip(repeat(run_id), *stored_columns(risks, RISK_FIELDS)))
        self.db.executemany(
            "INSERT INTO decisions (run_id, action_id, field, old, new, who, at, outcome, "
            "message, account, fingerprint, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, e.action_id, e.field, e.old, e.new, e.who, stored_text(e.at), e.outcome,
              e.message or None, getattr(e, "account", None) or account,
              getattr(e, "fingerprint", None), getattr(e, "detail", None)) for e in events])
        self.db.executemany(
            "INSERT INTO exports (run_id, action_id, at, format, file, who, account, "
            "fingerprint, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, x["action_id"], stored_text(x["at"]), x.get("format"),
              None if x.get("file") is None else str(x["file"]), x.get("who"),
              x.get("account", account), x.get("fingerprint"), x.get("detail"))
             for x in exports])
        self.db.executemany(
            "INSERT INTO approvers (run_id, change, name, function, account) "
            "VALUES (?, ?, ?, ?, ?)", [(run_id, *change) for change in approvers])
        return int(run_id)

    def _insert_plan(self, run_id: int, plan_risks: pd.DataFrame | None,
                     cover: pd.DataFrame | None) -> None:
        if plan_risks is not None and len(plan_risks):
            self.db.executemany(
                f"INSERT INTO plan_risks (run_id, {', '.join(PLAN_RISK_FIELDS)}) "
                f"VALUES ({', '.join('?' * (len(PLAN_RISK_FIELDS) + 1))})",
                zip(repeat(run_id), *stored_columns(plan_risks, PLAN_RISK_FIELDS,
                                                    RISK_COUNTS)))
        if cover is not None:
            self.db.execute("INSERT INTO plan_cover (run_id, format, data) VALUES (?, ?, ?)",
                            (run_id, COVER_FORMAT, pack_cover(cover)))

    # ------------------------------------------------------------------------ reading
    def known_states(self) -> dict[str, Known]:
        """The last recorded state of every action, replaying accepted and system events."""
        state: dict[str, dict[str, Any]] = {}
        replay(state, self.db.execute(
            "SELECT action_id, field, new, who, at, fingerprint, detail FROM decisions "
            "WHERE outcome != 'refused' ORDER BY id"))
        return {a: known_of(s) for a, s in state.items()}

    def logged_values(self, known: dict[str, Known] | None = None,
                      only: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
        """Per action, the values pysnop last showed for it: those approved (or exported)
        for an Approved or Exported action, else its latest proposal's (normalised).
        ``only``: of these actions alone (what a run looks up: the sheet's rows and the
        decided actions it may restore), the others' values not read — every action a
        log ever proposed adds up week after week."""
        return logged_values(self.db, self.known_states() if known is None else known, only)

    def approvers_listed(self) -> set[tuple[str, str, str | None]]:
        """The Approvers list as last recorded: (name, function, account) entries."""
        listed: set[tuple[str, str, str | None]] = set()
        for change, name, function, account in self.db.execute(
                "SELECT change, name, function, account FROM approvers ORDER BY rowid"):
            entry = (name, function, account)
            if change == "added":
                listed.add(entry)
            else:
                listed.discard(entry)
        return listed

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
        cover = unpack_cover(blob[1]) if blob is not None and blob[0] == COVER_FORMAT else None
        return typed_frame(proposals), typed_frame(risks, RISK_COUNTS), cover

    def exported_values(self) -> pd.DataFrame:
        """Every export with the values that were exported, in export order: one row per
        (export, action) with ``exported_at`` and ``exported_by`` — the values the export
        recorded (``detail``), else (a log from before exports recorded them) the action's
        proposal in the latest recalc run before the export."""
        have = {r[1] for r in self.db.execute("PRAGMA table_info(exports)")}
        detail = "e.detail" if "detail" in have else "NULL"
        cur = self.db.execute(
            f"SELECT e.run_id, e.action_id, e.at, e.who, {detail} FROM exports e "
            f"ORDER BY e.run_id, e.rowid")
        records = []
        for run_id, action, at, who, text in cur.fetchall():
            values = json.loads(text) if text else self._proposal_before(action, run_id)
            records.append({**values, "action_id": action, "exported_at": at,
                            "exported_by": who, "export_run": run_id})
        return pd.DataFrame.from_records(records)

    def _proposal_before(self, action: str, run_id: int) -> dict[str, Any]:
        cur = self.db.execute(
            "SELECT p.* FROM proposals p JOIN runs r ON r.id = p.run_id WHERE p.action_id = ? "
            "AND p.run_id < ? AND r.kind = 'recalc' ORDER BY p.run_id DESC LIMIT 1",
            (action, run_id))
        row = cur.fetchone()
        if row is None:
            return {}
        values = dict(zip([d[0] for d in cur.description], row))
        return {k: v for k, v in values.items() if k not in ("run_id", "fingerprint",
                                                                 "detail")}

    def runs(self, kind: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, at, kind, workbook, fingerprint, as_of, user, counts, account FROM runs"
        args: tuple[Any, ...] = ()
        if kind is not None:
            sql += " WHERE kind = ?"
            args = (kind,)
        out = []
        for row in self.db.execute(sql + " ORDER BY id", args):
            rec = dict(zip(("id", "at", "kind", "workbook", "fingerprint", "as_of", "user",
                            "counts", "account"), row))
            rec["counts"] = json.loads(rec["counts"] or "{}")
            out.append(rec)
        return out

    def frame(self, table: str, where: str = "", args: tuple[Any, ...] = (),
              columns: Sequence[str] | None = None) -> pd.DataFrame:
        """A table (or its rows matching ``where``) as a DataFrame; ``columns``: those only
        (a proposal's bound values are a kilobyte each: not read for a list of them)."""
        if table not in COLUMNS:
            raise ValueError(f"no table {table}")
        wanted = "*" if columns is None else ", ".join(_column_name(table, c) for c in columns)
        cur = self.db.execute(f"SELECT {wanted} FROM {table} {where}", args)
        return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])


def _column_name(table: str, column: str) -> str:
    if column not in {spec.split()[0] for spec in COLUMNS[table]}:
        raise ValueError(f"no column {column} in {table}")
    return '"' + column + '"'


def was_unchained(path: Path) -> bool:
    """True for an existing file written before the chain (schema version below 2)."""
    if not path.exists():
        return False
    db = sqlite3.connect(path)
    try:
        return schema_version(db) < 2
    finally:
        db.close()


def read_exports(path: str | os.PathLike[str]) -> pd.DataFrame | None:
    """Every export in the decision log at ``path`` with the values exported
    (:meth:`DecisionLog.exported_values`), read without writing to the file (``pysnop check``
    writes nothing, and the closed loop only reads); None when there is no log, or it cannot
    be read."""
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


__all__ = ["PROPOSAL_FIELDS", "RISK_FIELDS", "DecisionLog", "read_exports", "was_unchained"]
