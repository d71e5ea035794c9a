"""The forecast history: each cycle's forecasts, kept so the next cycle can measure accuracy.

Each run of the consensus stage (:mod:`pysnop.pipeline.stages`) records, dated ``as_of``,
every source's forecast and the consensus per node and week, and the planner overrides that
acted, in the append-only tables ``forecast_runs``, ``forecast_history`` and
``consensus_overrides`` of pysnop's SQLite file (:mod:`pysnop.store.connection`; beside the
workbook, :mod:`pysnop.store.paths`). Later cycles read them back to weigh the sources by
their recent accuracy against Actuals and to score them on the Scorecard.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import sqlite3
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd

from pysnop.core.consensus import CONSENSUS, Consensus, monday
from pysnop.core.values import is_blank
from pysnop.errors import FileAccessError
from pysnop.store import chain
from pysnop.store.connection import connect
from pysnop.store.decision_log import DecisionLog

HISTORY_COLUMNS = ["sku", "location", "category", "week", "source", "units", "recorded"]


def _connect(path: Path) -> sqlite3.Connection:
    return connect(path, "forecast history")


def _iso(value) -> str | None:
    if is_blank(value):
        return None
    return pd.Timestamp(value).date().isoformat()


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _column_values(frame: pd.DataFrame, name: str) -> list:
    """A column as SQLite-ready Python values: text or None, ISO dates, floats or None."""
    col = frame[name]
    if name == "week":
        # each distinct week formatted once (a cycle records a few weeks for every node)
        codes, weeks = pd.factorize(pd.to_datetime(col).to_numpy())
        days = pd.DatetimeIndex(weeks).strftime("%Y-%m-%d").tolist()
        return list(np.array([*days, None], dtype=object)[codes].tolist())  # -1 (NaT): None
    if name == "units":
        values = pd.to_numeric(col, errors="coerce").astype(float)
        return values.astype(object).where(values.notna(), None).tolist()
    values = col.astype(object).where(col.notna(), None).tolist()
    if set(map(type, values)) <= {str, type(None)}:  # text as it is: nothing to convert
        return values
    return [v if v is None or isinstance(v, str) else str(v) for v in values]


def load_history(path: str | os.PathLike, *, since=None, until=None) -> pd.DataFrame:
    """Forecasts recorded in earlier cycles, keyed like Forecast rows: sku, location,
    category, week, source, units, recorded (dates as Timestamps). ``since`` / ``until``
    bound the week (inclusive). Empty when the database does not exist."""
    path = Path(path)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in HISTORY_COLUMNS})
    if not path.exists():
        return empty
    db = _connect(path)
    try:
        query = ("SELECT level, category, sku, location, week, source, units, recorded "
                 "FROM forecast_history WHERE week >= ? AND week <= ?")
        rows = db.execute(query, (_iso(since) or "0000", _iso(until) or "9999")).fetchall()
    except sqlite3.Error as exc:
        raise FileAccessError(f"cannot read the forecast history {path}: {exc}") from exc
    finally:
        db.close()
    if not rows:
        return empty
    h = pd.DataFrame(rows, columns=["level", "category", "sku", "location", "week", "source",
                                    "units", "recorded"])
    # keys as a Forecast row of that level would fill them
    h.loc[h["level"] == "total", ["category", "sku", "location"]] = None
    h.loc[h["level"] == "category", ["sku", "location"]] = None
    h.loc[h["level"] == "sku", "location"] = None
    for col in ("category", "sku", "location"):
        h[col] = h[col].astype(object).where(h[col].notna(), None)
    h["week"] = pd.to_datetime(h["week"])
    h["recorded"] = pd.to_datetime(h["recorded"])
    h["units"] = pd.to_numeric(h["units"], errors="coerce")
    return h[HISTORY_COLUMNS]


def history_rows(consensus: Consensus | None, forecast: pd.DataFrame, as_of) -> pd.DataFrame:
    """What one cycle records: each source's forecast per node and week, and the consensus
    (source ``Consensus``) of every node, for the weeks after ``as_of`` (the only ones that
    can be scored later: a record counts for weeks that begin after it was made)."""
    cut = pd.Timestamp(as_of)
    if consensus is not None:
        nodes = consensus.tree.nodes.set_index("node")[["level", "category", "sku", "location"]]
        table = consensus.table
        parts = []
        for source in consensus.sources:
            part = table[["node", "week", source]].dropna(subset=[source])
            parts.append(part.rename(columns={source: "units"}).assign(source=source))
        parts.append(table[["node", "week", "consensus"]].dropna(subset=["consensus"])
                     .rename(columns={"consensus": "units"}).assign(source=CONSENSUS))
        rows = pd.concat(parts, ignore_index=True)
        rows = rows.join(nodes, on="node")
    else:
        fc = forecast[forecast["sku"].notna() & forecast["location"].notna()]
        src = fc["source"].astype(object).where(fc["source"].notna(), "(no source)") \
            if "source" in fc.columns else "(no source)"
        rows = pd.DataFrame({"sku": fc["sku"].astype(str).to_numpy(),
                             "location": fc["location"].astype(str).to_numpy(),
                             "category": None, "week": monday(fc["week"].to_numpy()).to_numpy(),
                             "units": pd.to_numeric(fc["units"], errors="coerce").to_numpy(),
                             "source": np.asarray(src, dtype=object)})
        # the weeks recorded only (week is a key: the groups kept are summed as before)
        rows = rows[(rows["week"] > cut).to_numpy()]
        rows = rows.groupby(["sku", "location", "week", "source"], sort=True, dropna=False) \
            .agg(units=("units", "sum")).reset_index()
        rows["node"] = _node_names(rows["sku"].to_numpy(dtype=object),
                                   rows["location"].to_numpy(dtype=object))
        rows["level"], rows["category"] = "sku_location", None
    rows = rows[pd.to_datetime(rows["week"]) > cut]
    return rows[["node", "level", "category", "sku", "location", "week", "source", "units"]] \
        .reset_index(drop=True)


def _node_names(sku: np.ndarray, location: np.ndarray) -> np.ndarray:
    """``sku=…|location=…`` of each row, written once for each run of rows of one pair
    (the grouped rows come sorted by sku and location)."""
    first = np.ones(len(sku), dtype=bool)
    first[1:] = (sku[1:] != sku[:-1]) | (location[1:] != location[:-1])
    starts = np.flatnonzero(first)
    names = np.array([f"sku={s}|location={loc}" for s, loc in
                      zip(sku[starts].tolist(), location[starts].tolist())] + [""], dtype=object)
    return names[np.cumsum(first) - 1]


def record_cycle(path: str | os.PathLike | DecisionLog, rows: pd.DataFrame, *, as_of,
                 workbook=None, overrides: pd.DataFrame | None = None) -> bool:
    """Append one cycle's forecasts (:func:`history_rows`) and overrides (node, category,
    sku, location, week, units, reason, planner) to the history, sealed onto the file's hash
    chain (:mod:`pysnop.store.chain`); nothing is ever updated or deleted. A cycle identical
    to the last one recorded for the same date is not recorded twice. Returns True when
    something was written.

    ``path`` may be an open :class:`DecisionLog`: the cycle is then written in its
    transaction (committed with the run, :mod:`pysnop.pipeline.log_session`)."""
    recorded = _iso(as_of)
    columns = [_column_values(rows, c) for c in (
        "node", "level", "category", "sku", "location", "week", "source", "units")]
    records = list(zip(*columns))
    ov = []
    if overrides is not None and len(overrides):
        ov = [(r.node, _text(r.category), _text(r.sku), _text(r.location), _iso(r.week),
               None if pd.isna(r.units) else float(r.units), _text(r.reason),
               _text(getattr(r, "planner", None))) for r in overrides.itertuples(index=False)]
    if not records and not ov:
        return False
    digest = hashlib.sha256(repr((records, ov)).encode("utf-8")).hexdigest()
    log = path if isinstance(path, DecisionLog) else DecisionLog(path)
    db = log.db
    own = not db.in_transaction
    try:
        if own:
            db.execute("BEGIN IMMEDIATE")
        last = db.execute("SELECT digest FROM forecast_runs WHERE recorded = ? "
                          "ORDER BY id DESC LIMIT 1", (recorded,)).fetchone()
        if last is not None and last[0] == digest:
            if own:
                db.rollback()
            return False
        at = dt.datetime.now().isoformat(timespec="seconds")
        cur = db.execute(
            "INSERT INTO forecast_runs (at, workbook, recorded, digest, n_rows) "
            "VALUES (?, ?, ?, ?, ?)",
            (at, None if workbook is None else str(workbook), recorded, digest, len(records)))
        run_id = cur.lastrowid
        db.executemany(
            "INSERT INTO forecast_history (run_id, recorded, node, level, category, sku, "
            "location, week, source, units) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            zip(repeat(run_id), repeat(recorded), *columns))
        db.executemany(
            "INSERT INTO consensus_overrides (run_id, recorded, node, category, sku, "
            "location, week, units, reason, planner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, recorded, *rec) for rec in ov])
        chain.append(db, "forecast_run", int(run_id or 0), at)
        if own:
            db.commit()
        return True
    except sqlite3.Error as exc:
        if own:
            db.rollback()
        raise FileAccessError(f"cannot write the forecast history {log.path}: {exc}") from exc
    finally:
        if log is not path:
            log.close()


__all__ = ["HISTORY_COLUMNS", "history_rows", "load_history", "record_cycle"]
