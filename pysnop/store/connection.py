"""One connection routine and one schema for pysnop's SQLite file.

Every table of the file is created here, with triggers that abort any UPDATE or DELETE
(history cannot be rewritten through pysnop or by a stray script), and the schema version
is kept in SQLite's ``user_version``. A file written by a newer pysnop (a higher version) is
refused rather than written in a shape this version does not know.

Version 1 is the schema of the first releases, which did not set ``user_version``: a file
with version 0 gets the missing tables and is stamped 1.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pysnop.errors import FileAccessError

SCHEMA_VERSION = 1

DECISION_TABLES = {
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
    return set(TABLES) <= names


def _create(db: sqlite3.Connection) -> None:
    with db:
        for name, columns in TABLES.items():
            db.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
            for verb in ("UPDATE", "DELETE"):
                message = _REFUSALS[name].format(verb=verb, name=name)
                db.execute(f"CREATE TRIGGER IF NOT EXISTS {name}_no_{verb.lower()} BEFORE "
                           f"{verb} ON {name} BEGIN SELECT RAISE(ABORT, '{message}'); END")
        for index, target in INDEXES.items():
            db.execute(f"CREATE INDEX IF NOT EXISTS {index} ON {target}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


__all__ = ["SCHEMA_VERSION", "TABLES", "connect"]
