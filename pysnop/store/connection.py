"""One connection routine and one schema for pysnop's SQLite file.

Every table of the file is created here, with triggers that abort any UPDATE or DELETE
(history cannot be rewritten through pysnop or by a stray script), and the schema version
is kept in SQLite's ``user_version``. A file written by a newer pysnop (a higher version) is
refused rather than written in a shape this version does not know.

Version 1 is the schema of the first releases, which did not set ``user_version``: a file
with version 0 gets the missing tables and is stamped 1. Version 2 adds the hash chain
(``log_info``, ``chain``; :mod:`pysnop.store.chain`), the record of the Approvers list
(``approvers``) and, on the decision tables, the account that ran pysnop and the values an
approval binds (``account``, ``fingerprint``, ``detail``): an older file gets the new tables
and columns (columns are only ever added, so every row keeps its content and its hash).
It also adds what coordinated decisions need (docs/semantics.md, "Risks and decisions"): the
rest of each proposal's values (from_location, po_id, alt_sku, new_lift, new_start, cost, its
risk and deadline), the risks of each recalculation (``plan_risks``) and what each proposal
covers (``plan_cover``).

Version 3 adds a trigger refusing INSERTs that would change an earlier run on every table:
a row replacing another (``INSERT OR REPLACE`` deletes without firing the DELETE trigger)
and, on the tables whose rows belong to a run, a row for any run but the newest. So an
earlier run's rows can change only past a trigger, and every run need not re-hash every
earlier run to know it (:func:`pysnop.store.chain.verify`). A version-2 file gets these
triggers when opened.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pysnop.errors import FileAccessError

SCHEMA_VERSION = 3
GUARDED = 3  # the version whose files carry the INSERT triggers
# SQLite's page cache (and sorter memory), its default size: 32 MiB, which keeps a run's
# transaction from spilling to the journal, measured no faster (4,000 and 10,000
# sku-locations, fresh processes) and 10-90 MB more peak memory
CACHE_KIB = -2000

DECISION_COLUMNS: dict[str, list[str]] = {
    "runs": ["id INTEGER PRIMARY KEY", "at TEXT NOT NULL", "kind TEXT NOT NULL", "workbook TEXT",
             "fingerprint TEXT", "as_of TEXT", "user TEXT", "counts TEXT", "account TEXT"],
    "proposals": ["run_id INTEGER NOT NULL REFERENCES runs(id)", "action_id TEXT NOT NULL",
                  "type TEXT", "owner TEXT", "sku TEXT", "location TEXT", "campaign_id TEXT",
                  "qty REAL", "week TEXT", "margin_protected REAL", "net_value REAL",
                  "rank INTEGER", "reason TEXT", "fingerprint TEXT", "detail TEXT",
                  "from_location TEXT", "po_id TEXT", "alt_sku TEXT", "new_lift REAL",
                  "new_start TEXT", "cost REAL", "risk_id TEXT", "recommended INTEGER",
                  "act_by TEXT"],
    "risks": ["run_id INTEGER NOT NULL REFERENCES runs(id)", "sku TEXT", "location TEXT",
              "status TEXT", "first_risk_week TEXT", "act_by TEXT", "lost_units REAL",
              "margin_at_risk REAL"],
    "decisions": ["id INTEGER PRIMARY KEY", "run_id INTEGER NOT NULL REFERENCES runs(id)",
                  "action_id TEXT NOT NULL", "field TEXT NOT NULL", "old TEXT", "new TEXT",
                  "who TEXT", "at TEXT NOT NULL", "outcome TEXT NOT NULL", "message TEXT",
                  "account TEXT", "fingerprint TEXT", "detail TEXT"],
    "exports": ["run_id INTEGER NOT NULL REFERENCES runs(id)", "action_id TEXT NOT NULL",
                "at TEXT NOT NULL", "format TEXT", "file TEXT", "who TEXT", "account TEXT",
                "fingerprint TEXT", "detail TEXT"],
    "approvers": ["run_id INTEGER NOT NULL REFERENCES runs(id)", "change TEXT NOT NULL",
                  "name TEXT NOT NULL", "function TEXT NOT NULL", "account TEXT"],
    # one row per decision (risk) of a recalc run: pysnop.core.risk_frame's columns
    "plan_risks": ["run_id INTEGER NOT NULL REFERENCES runs(id)", "risk_id TEXT NOT NULL",
                   "kind TEXT", "draft INTEGER", "sku TEXT", "location TEXT",
                   "campaign_id TEXT", "status TEXT", "first_risk_week TEXT",
                   "shortfall_units REAL", "lost_units REAL", "margin_at_risk REAL",
                   "act_by TEXT", "too_late INTEGER", "alternatives INTEGER",
                   "recommended INTEGER", "best_action_id TEXT", "fixable INTEGER",
                   "note TEXT", "rank INTEGER", "dc TEXT"],
    # the cover frame of a recalc run (pysnop.core.actions.COVER_COLUMNS) as one compressed
    # JSON document (base64 text): what coordinates approvals between recalculations
    "plan_cover": ["run_id INTEGER NOT NULL REFERENCES runs(id)", "format TEXT NOT NULL",
                   "data TEXT NOT NULL"],
}
HISTORY_COLUMNS: dict[str, list[str]] = {
    "forecast_runs": ["id INTEGER PRIMARY KEY", "at TEXT NOT NULL", "workbook TEXT",
                      "recorded TEXT NOT NULL", "digest TEXT NOT NULL", "n_rows INTEGER"],
    "forecast_history": ["run_id INTEGER NOT NULL REFERENCES forecast_runs(id)",
                         "recorded TEXT NOT NULL", "node TEXT NOT NULL", "level TEXT",
                         "category TEXT", "sku TEXT", "location TEXT", "week TEXT NOT NULL",
                         "source TEXT NOT NULL", "units REAL"],
    "consensus_overrides": ["run_id INTEGER NOT NULL REFERENCES forecast_runs(id)",
                            "recorded TEXT NOT NULL", "node TEXT NOT NULL", "category TEXT",
                            "sku TEXT", "location TEXT", "week TEXT NOT NULL", "units REAL",
                            "reason TEXT", "planner TEXT"],
}
CHAIN_COLUMNS: dict[str, list[str]] = {  # the hash chain over all of the above
    "log_info": ["id INTEGER PRIMARY KEY", "log_id TEXT NOT NULL", "created_at TEXT NOT NULL",
                 "origin TEXT NOT NULL", "account TEXT", "workbook TEXT", "note TEXT",
                 "sealed INTEGER"],
    "chain": ["seq INTEGER PRIMARY KEY", "at TEXT NOT NULL", "kind TEXT NOT NULL",
              "ref INTEGER NOT NULL", "digest TEXT NOT NULL", "prev TEXT NOT NULL",
              "hash TEXT NOT NULL"],
}
COLUMNS = {**DECISION_COLUMNS, **HISTORY_COLUMNS, **CHAIN_COLUMNS}
DECISION_TABLES = {name: ", ".join(cols) for name, cols in DECISION_COLUMNS.items()}
HISTORY_TABLES = {name: ", ".join(cols) for name, cols in HISTORY_COLUMNS.items()}
TABLES = {name: ", ".join(cols) for name, cols in COLUMNS.items()}
INDEXES = {
    "decisions_action": "decisions(action_id)",
    "proposals_run": "proposals(run_id)",
    # each action's latest proposal without reading the older ones (DecisionLog.logged_values)
    "proposals_action_run": "proposals(action_id, run_id)",
    "forecast_history_week": "forecast_history(week)",
    "forecast_history_run": "forecast_history(run_id)",
    # the chain's digests read every table by run (pysnop.store.chain)
    "risks_run": "risks(run_id)",
    "decisions_run": "decisions(run_id)",
    "exports_run": "exports(run_id)",
    "approvers_run": "approvers(run_id)",
    "plan_risks_run": "plan_risks(run_id)",
    "plan_cover_run": "plan_cover(run_id)",
    "consensus_overrides_run": "consensus_overrides(run_id)",
}
_REFUSALS = {  # the message of each table's append-only trigger (as the first releases had)
    **{name: "the decision log is append-only: {verb} on {name} refused"
       for name in (*DECISION_TABLES, *CHAIN_COLUMNS)},
    **{name: "{name} is append-only" for name in HISTORY_TABLES},
}


# the tables whose rows belong to a run, and the table of those runs
RUN_OF = {**{name: "runs" for name, cols in DECISION_COLUMNS.items()
             if any(col.startswith("run_id ") for col in cols)},
          **{name: "forecast_runs" for name in ("forecast_history", "consensus_overrides")}}


def trigger_sql(name: str, verb: str) -> str:
    """The statement that creates the trigger refusing ``verb`` on ``name``: UPDATE, DELETE,
    or INSERT of a row that replaces another or (rows of a run) belongs to an earlier run."""
    if verb == "INSERT":
        message = f"the decision log is append-only: a row replacing another or belonging " \
                  f"to an earlier run refused on {name}"
        when = f"EXISTS (SELECT 1 FROM {name} WHERE rowid = NEW.rowid)"
        if name in RUN_OF:
            when += f" OR NEW.run_id IS NOT (SELECT MAX(id) FROM {RUN_OF[name]})"
        return (f"CREATE TRIGGER {name}_no_insert BEFORE INSERT ON {name} WHEN {when} BEGIN "
                f"SELECT RAISE(ABORT, '{message}'); END")
    message = _REFUSALS[name].format(verb=verb, name=name)
    return (f"CREATE TRIGGER {name}_no_{verb.lower()} BEFORE {verb} ON {name} BEGIN "
            f"SELECT RAISE(ABORT, '{message}'); END")


def trigger_verbs(version: int) -> tuple[str, ...]:
    """The statements each table's triggers refuse in a file of schema ``version``."""
    return ("UPDATE", "DELETE", "INSERT") if version >= GUARDED else ("UPDATE", "DELETE")


def connect(path: Path, what: str) -> sqlite3.Connection:
    """Open (creating when needed) pysnop's SQLite file at ``path`` with every table in place.

    ``what`` names the file in messages ("decision log", "forecast history"). Raises
    :class:`FileAccessError` when it cannot be opened or was written by a newer pysnop. The
    folder must exist: pysnop never creates folders for its file.
    """
    if not path.parent.is_dir():
        raise FileAccessError(f"cannot open the {what} {path}: the folder {path.parent} does "
                              f"not exist")
    try:
        db = sqlite3.connect(path, timeout=10)
    except (sqlite3.Error, OSError) as exc:
        raise FileAccessError(f"cannot open the {what} {path}: {exc}") from exc
    try:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(f"PRAGMA cache_size = {CACHE_KIB}")
        version = schema_version(db)
        if version > SCHEMA_VERSION:
            raise FileAccessError(f"cannot open the {what} {path}: it was written by a newer "
                                  f"pysnop (schema version {version}, this pysnop knows "
                                  f"{SCHEMA_VERSION}); upgrade pysnop")
        if version < SCHEMA_VERSION or not _complete(db):
            _create(db)
    except sqlite3.Error as exc:
        db.close()
        raise FileAccessError(f"cannot open the {what} {path}: {exc}") from exc
    except FileAccessError:
        db.close()
        raise
    return db


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _complete(db: sqlite3.Connection) -> bool:
    """Every table there, with every column and index (those added since are added by
    _create)."""
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN "
                                      "('table', 'index')")}
    if not set(TABLES) <= names or not set(INDEXES) <= names:
        return False
    return all({c.split()[0] for c in columns}
               <= {r[1] for r in db.execute(f"PRAGMA table_info({name})")}
               for name, columns in COLUMNS.items())


def _create(db: sqlite3.Connection) -> None:
    """Create what is missing: tables, columns added since (``ALTER TABLE ... ADD``, so no
    row changes), triggers, indexes. A trigger that is missing on a table that already had
    rows is not recreated here: that is tampering, for the chain check to report.

    One explicit transaction: sqlite3 opens none for DDL by itself, and each statement
    committed on its own costs the disk a sync (some fifty of them on a new file)."""
    with db:
        if not db.in_transaction:
            db.execute("BEGIN IMMEDIATE")
        existing = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = "
                                             "'table'")}
        triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = "
                                              "'trigger'")}
        version = schema_version(db)
        for name, columns in COLUMNS.items():
            if name not in existing:
                db.execute(f"CREATE TABLE {name} ({', '.join(columns)})")
            else:
                have = {r[1] for r in db.execute(f"PRAGMA table_info({name})")}
                for column in columns:
                    if column.split()[0] not in have:
                        db.execute(f"ALTER TABLE {name} ADD COLUMN {column.split()[0]} "
                                   f"{column.split()[1]}")
            for verb, since in (("UPDATE", 2), ("DELETE", 2), ("INSERT", GUARDED)):
                if f"{name}_no_{verb.lower()}" not in triggers and (name not in existing
                                                                    or version < since):
                    db.execute(trigger_sql(name, verb))
        for index, target in INDEXES.items():
            db.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {target}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


__all__ = ["CACHE_KIB", "COLUMNS", "DECISION_TABLES", "GUARDED", "HISTORY_TABLES", "RUN_OF",
           "SCHEMA_VERSION", "TABLES", "connect", "schema_version", "trigger_sql", "trigger_verbs"]
