"""One connection routine and one schema for pysnop's SQLite file.

Every table of the file is created here, with triggers that abort any UPDATE or DELETE
(history cannot be rewritten through pysnop or by a stray script), and the schema version
is kept in SQLite's ``user_version``. A file written by a newer pysnop (a higher version) is
refused rather than written in a shape this version does not know.

Version 1 is the schema of the first releases, which did not set ``user_version``: a file
with version 0 gets the missing tables and is stamped 1. Version 2 adds what coordinated
decisions need (docs/semantics.md, "Risks and decisions"): the rest of each proposal's values
(from_location, po_id, alt_sku, new_lift, new_start, cost, its risk and deadline), the risks
of each run (``plan_risks``) and what each proposal covers (``plan_cover``). An older file
gets the new columns (``ALTER TABLE … ADD COLUMN``, so nothing written is changed) and tables.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pysnop.errors import FileAccessError

SCHEMA_VERSION = 2

DECISION_TABLES = {
    "runs": "id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, workbook TEXT, "
            "fingerprint TEXT, as_of TEXT, user TEXT, counts TEXT",
    "proposals": "run_id INTEGER NOT NULL REFERENCES runs(id), action_id TEXT NOT NULL, "
                 "type TEXT, owner TEXT, sku TEXT, location TEXT, campaign_id TEXT, qty REAL, "
                 "week TEXT, margin_protected REAL, net_value REAL, rank INTEGER, reason TEXT, "
                 "from_location TEXT, po_id TEXT, alt_sku TEXT, new_lift REAL, new_start TEXT, "
                 "cost REAL, risk_id TEXT, recommended INTEGER, act_by TEXT",
    "risks": "run_id INTEGER NOT NULL REFERENCES runs(id), sku TEXT, location TEXT, "
             "status TEXT, first_risk_week TEXT, act_by TEXT, lost_units REAL, "
             "margin_at_risk REAL",
    "decisions": "id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), "
                 "action_id TEXT NOT NULL, field TEXT NOT NULL, old TEXT, new TEXT, who TEXT, "
                 "at TEXT NOT NULL, outcome TEXT NOT NULL, message TEXT",
    "exports": "run_id INTEGER NOT NULL REFERENCES runs(id), action_id TEXT NOT NULL, "
               "at TEXT NOT NULL, format TEXT, file TEXT, who TEXT",
    # one row per decision (risk) of a recalc run: pysnop.core.risk_frame's columns
    "plan_risks": "run_id INTEGER NOT NULL REFERENCES runs(id), risk_id TEXT NOT NULL, "
                  "kind TEXT, draft INTEGER, sku TEXT, location TEXT, campaign_id TEXT, "
                  "status TEXT, first_risk_week TEXT, shortfall_units REAL, lost_units REAL, "
                  "margin_at_risk REAL, act_by TEXT, too_late INTEGER, alternatives INTEGER, "
                  "recommended INTEGER, best_action_id TEXT, fixable INTEGER, note TEXT, "
                  "rank INTEGER",
    # the cover frame of a recalc run (pysnop.core.actions.COVER_COLUMNS), one compressed
    # JSON document: what coordinates approvals between recalculations
    "plan_cover": "run_id INTEGER NOT NULL REFERENCES runs(id), format TEXT NOT NULL, "
                  "data BLOB NOT NULL",
}
HISTORY_TABLES = {
    "forecast_runs": "id INTEGER PRIMARY KEY, at TEXT NOT NULL, workbook TEXT, "
                     "recorded TEXT NOT NULL, digest TEXT NOT NULL, n_rows INTEGER",
    "forecast_history": "run_id INTEGER NOT NULL REFERENCES forecast_runs(id), "
                        "recorded TEXT NOT NULL, node TEXT NOT NULL, level TEXT, category TEXT, "
                        "sku TEXT, location TEXT, week TEXT NOT NULL, source TEXT NOT NULL, "
                        "units REAL",
    "consensus_overrides": "run_id INTEGER NOT NULL REFERENCES forecast_runs(id), "
                           "recorded TEXT NOT NULL, node TEXT NOT NULL, category TEXT, sku TEXT, "
                           "location TEXT, week TEXT NOT NULL, units REAL, reason TEXT, "
                           "planner TEXT",
}
TABLES = {**DECISION_TABLES, **HISTORY_TABLES}
INDEXES = {
    "decisions_action": "decisions(action_id)",
    "proposals_run": "proposals(run_id)",
    "plan_risks_run": "plan_risks(run_id)",
    "forecast_history_week": "forecast_history(week)",
}
_REFUSALS = {  # the message of each table's append-only trigger (as the first releases had)
    **{name: "the decision log is append-only: {verb} on {name} refused"
       for name in DECISION_TABLES},
    **{name: "{name} is append-only" for name in HISTORY_TABLES},
}


def connect(path: Path, what: str) -> sqlite3.Connection:
    """Open (creating when needed) pysnop's SQLite file at ``path`` with every table in place.

    ``what`` names the file in messages ("decision log", "forecast history"). Raises
    :class:`FileAccessError` when it cannot be opened or was written by a newer pysnop.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=10)
    except (sqlite3.Error, OSError) as exc:
        raise FileAccessError(f"cannot open the {what} {path}: {exc}") from exc
    try:
        db.execute("PRAGMA foreign_keys = ON")
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
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


def _complete(db: sqlite3.Connection) -> bool:
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return set(TABLES) <= names and not any(_missing_columns(db, t) for t in TABLES)


def _declared(columns: str) -> list[tuple[str, str]]:
    """(name, definition) of each column of a TABLES entry."""
    out = []
    for part in columns.split(","):
        name, _, rest = part.strip().partition(" ")
        out.append((name, rest))
    return out


def _missing_columns(db: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
    if not have:
        return []  # not created yet
    return [(n, d) for n, d in _declared(TABLES[table]) if n not in have]


def _create(db: sqlite3.Connection) -> None:
    with db:
        for name, columns in TABLES.items():
            for column, definition in _missing_columns(db, name):
                # an older file: the new column is added, blank in the rows already written
                kind = definition.replace("NOT NULL", "").strip()
                db.execute(f"ALTER TABLE {name} ADD COLUMN {column} {kind}")
            db.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
            for verb in ("UPDATE", "DELETE"):
                message = _REFUSALS[name].format(verb=verb, name=name)
                db.execute(f"CREATE TRIGGER IF NOT EXISTS {name}_no_{verb.lower()} BEFORE "
                           f"{verb} ON {name} BEGIN SELECT RAISE(ABORT, '{message}'); END")
        for index, target in INDEXES.items():
            db.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {target}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


__all__ = ["SCHEMA_VERSION", "TABLES", "connect"]
