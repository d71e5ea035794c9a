"""The consensus stage of a run: one coherent forecast out of the Forecast sheet's sources.

:func:`consensus_stage` runs before the bridge (see :data:`pysnop.pipeline.run.STAGES`). When the
Forecast has several sources, rows above sku×location, or the workbook has planner
Overrides (or no Inventory sheet), it

1. reads the forecasts recorded in earlier cycles back from the SQLite history and weighs
   the sources by their recent accuracy against Actuals (else Settings ``weight_<source>``
   keys, else equally) — :func:`pysnop.core.consensus.consensus_baseline`;
2. replaces ``inputs.forecast`` by the bottom-level consensus, so the bridge projects the
   consensus as its baseline;
3. writes the Consensus sheet (and the Scorecard sheet when the workbook has Actuals);
4. records this cycle's forecasts (each source and the consensus, per node and week, dated
   ``as_of``) and the overrides in the history database, so accuracy can be measured next
   cycle.

The history lives in the decision log's database beside the workbook
(``plan.xlsx`` → ``plan.pysnop.sqlite``; Settings ``decision_log`` or the ``log`` option
moves it), in its own append-only tables ``forecast_runs``, ``forecast_history`` and
``consensus_overrides``. A database that cannot be opened is a warning, not an error: the
consensus is then computed with Settings or equal weights.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from pysnop.core import model
from pysnop.core.values import is_blank
from pysnop.pipeline.exports import csv_safe
from pysnop.core.consensus import (CONSENSUS, Consensus, consensus_baseline, monday,
                                   settings_weights)
from pysnop.errors import FileAccessError, Problem

SUFFIX = ".pysnop.sqlite"
DEFAULT_WINDOW_WEEKS = 8
HISTORY_COLUMNS = ["sku", "location", "category", "week", "source", "units", "recorded"]

_TABLES = {
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


# ------------------------------------------------------------------------------ settings
def _norm(key) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(key).strip().lower()).strip("_")


def _extra(settings, name: str):
    for key, value in (getattr(settings, "extra", None) or {}).items():
        if _norm(key) == name:
            return value
    return None


def window_weeks(settings) -> int:
    """Settings ``accuracy_window_weeks`` (the trailing accuracy window), default 8."""
    value = _extra(settings, "accuracy_window_weeks")
    try:
        weeks = int(float(value))
    except (TypeError, ValueError):
        return DEFAULT_WINDOW_WEEKS
    return weeks if 1 <= weeks <= 104 else DEFAULT_WINDOW_WEEKS


def history_path(book: str | os.PathLike, settings=None, override=None) -> Path:
    """Where the history database is: ``override`` (the ``--log`` option), then Settings
    ``decision_log`` (relative to the workbook's folder), then ``<book stem>.pysnop.sqlite``
    beside the workbook — the decision log's database."""
    book = Path(book)
    for value in (override, _extra(settings, "decision_log")):
        if value is not None and str(value).strip():
            path = Path(str(value).strip()).expanduser()
            return path if path.is_absolute() else book.parent / path
    return book.with_name(book.stem + SUFFIX)


# ------------------------------------------------------------------------------- history
def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=10)
        with db:
            for name, columns in _TABLES.items():
                db.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
                for op in ("UPDATE", "DELETE"):
                    db.execute(f"CREATE TRIGGER IF NOT EXISTS {name}_no_{op.lower()} "
                               f"BEFORE {op} ON {name} BEGIN "
                               f"SELECT RAISE(ABORT, '{name} is append-only'); END")
            db.execute("CREATE INDEX IF NOT EXISTS forecast_history_week "
                       "ON forecast_history(week)")
        return db
    except (sqlite3.Error, OSError) as exc:
        raise FileAccessError(f"cannot open the forecast history {path}: {exc}") from exc


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
        return [None if pd.isna(v) else v for v in
                pd.to_datetime(col).dt.strftime("%Y-%m-%d").tolist()]
    if name == "units":
        values = pd.to_numeric(col, errors="coerce").astype(float)
        return values.astype(object).where(values.notna(), None).tolist()
    values = col.astype(object).where(col.notna(), None).tolist()
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
        rows = rows.groupby(["sku", "location", "week", "source"], sort=True, dropna=False) \
            .agg(units=("units", "sum")).reset_index()
        rows["node"] = "sku=" + rows["sku"] + "|location=" + rows["location"]
        rows["level"], rows["category"] = "sku_location", None
    rows = rows[pd.to_datetime(rows["week"]) > cut]
    return rows[["node", "level", "category", "sku", "location", "week", "source", "units"]] \
        .reset_index(drop=True)


def record_cycle(path: str | os.PathLike, rows: pd.DataFrame, *, as_of, workbook=None,
                 overrides: pd.DataFrame | None = None) -> bool:
    """Append one cycle's forecasts (:func:`history_rows`) and overrides (node, category,
    sku, location, week, units, reason, planner) to the history; nothing is ever updated
    or deleted. A cycle identical to the last one recorded for the same date is not
    recorded twice. Returns True when something was written."""
    recorded = _iso(as_of)
    records = list(zip(*(_column_values(rows, c) for c in (
        "node", "level", "category", "sku", "location", "week", "source", "units"))))
    ov = []
    if overrides is not None and len(overrides):
        ov = [(r.node, _text(r.category), _text(r.sku), _text(r.location), _iso(r.week),
               None if pd.isna(r.units) else float(r.units), _text(r.reason),
               _text(getattr(r, "planner", None))) for r in overrides.itertuples(index=False)]
    if not records and not ov:
        return False
    digest = hashlib.sha256(repr((records, ov)).encode("utf-8")).hexdigest()
    db = _connect(Path(path))
    try:
        with db:
            last = db.execute("SELECT digest FROM forecast_runs WHERE recorded = ? "
                              "ORDER BY id DESC LIMIT 1", (recorded,)).fetchone()
            if last is not None and last[0] == digest:
                return False
            cur = db.execute(
                "INSERT INTO forecast_runs (at, workbook, recorded, digest, n_rows) "
                "VALUES (?, ?, ?, ?, ?)",
                (dt.datetime.now().isoformat(timespec="seconds"),
                 None if workbook is None else str(workbook), recorded, digest, len(records)))
            run_id = cur.lastrowid
            db.executemany(
                "INSERT INTO forecast_history (run_id, recorded, node, level, category, sku, "
                "location, week, source, units) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, recorded, *rec) for rec in records])
            db.executemany(
                "INSERT INTO consensus_overrides (run_id, recorded, node, category, sku, "
                "location, week, units, reason, planner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, recorded, *rec) for rec in ov])
        return True
    except sqlite3.Error as exc:
        raise FileAccessError(f"cannot write the forecast history {path}: {exc}") from exc
    finally:
        db.close()


# --------------------------------------------------------------------------------- stage
def needs_consensus(inputs, overrides: pd.DataFrame | None = None) -> bool:
    """Several sources, rows above sku×location, overrides, or no Inventory to bridge."""
    fc = inputs.forecast
    if fc is None or len(fc) == 0:
        return False
    if overrides is not None and len(overrides):
        return True
    if inputs.inventory is None or len(inputs.inventory) == 0:
        return True
    if "source" in fc.columns:
        src = fc["source"].dropna().astype(str).str.strip()
        if src[src != ""].nunique() > 1:
            return True
    return bool((fc["sku"].isna() | fc["location"].isna()).any())


def bottom_forecast(consensus: Consensus) -> pd.DataFrame:
    """The consensus at sku×location level as a canonical Forecast frame (source None)."""
    b = consensus.bottom.dropna(subset=["units"])
    n = len(b)
    return pd.DataFrame({
        "sku": pd.Series(b["sku"].to_numpy(dtype=object), dtype=object),
        "location": pd.Series(b["location"].to_numpy(dtype=object), dtype=object),
        "week": pd.Series(pd.to_datetime(b["week"]).to_numpy(), dtype="datetime64[ns]"),
        "units": b["units"].to_numpy(dtype=float),
        "source": pd.Series([None] * n, dtype=object),
        "category": pd.Series([None] * n, dtype=object),
        "row": np.full(n, -1, dtype=np.int64)})[model.FORECAST_COLUMNS]


def _override_warnings(overrides: pd.DataFrame, forecast: pd.DataFrame) -> list[Problem]:
    out = []
    weeks = set(monday(forecast["week"].to_numpy()).dropna())
    ov_weeks = monday(overrides["week"].to_numpy())
    rows = overrides["row"].to_numpy() if "row" in overrides.columns else [None] * len(overrides)
    reasons = overrides["reason"] if "reason" in overrides.columns else \
        pd.Series([None] * len(overrides))
    for w, r, reason in zip(ov_weeks, rows, reasons.tolist()):
        r = int(r) if r is not None and r > 0 else None
        if pd.notna(w) and w not in weeks:
            out.append(Problem(f"override for the week of {w.date().isoformat()}, which no "
                               "forecast covers: ignored", "Overrides", r, severity="warning"))
        elif reason is None or (isinstance(reason, float) and math.isnan(reason)) \
                or not str(reason).strip():
            out.append(Problem("override without a reason: applied; add the reason for the "
                               "S&OP record", "Overrides", r, column="reason",
                               severity="warning"))
    return out


_USED_EXTRA = ("accuracy_window_weeks", "decision_log")


def _drop_used_setting_warnings(warnings: list[Problem], settings) -> list[Problem]:
    """The Settings reader warns about every key it does not know; the consensus keys
    (``weight_<source>``, ``accuracy_window_weeks``) are used here, so not "unused"."""
    used = {_norm(k) for k in settings_weights_keys(settings)} | set(_USED_EXTRA)
    return [p for p in warnings if not (p.sheet is not None and p.reason.startswith(
        "unknown setting") and p.column is not None and _norm(p.column) in used)]


def settings_weights_keys(settings) -> list[str]:
    out = []  # the pattern of pysnop.core.consensus.settings_weights
    for key in (getattr(settings, "extra", None) or {}):
        if re.fullmatch(r"\s*(?:weight[ _:]+(.+)|(.+?)[ _]+weight)\s*", str(key),
                        re.IGNORECASE):
            out.append(key)
    return out


def consensus_stage(run) -> None:
    """Stage for :data:`pysnop.pipeline.run.STAGES`; runs before the bridge (see the module doc)."""
    import time

    from pysnop.workbook.render.consensus import consensus_renderer
    from pysnop.workbook.render.scorecard import scorecard_renderer

    mark = time.perf_counter()
    inputs = run.read.inputs
    settings = inputs.settings
    overrides = getattr(run.read, "overrides", None)
    actuals = inputs.actuals if inputs.actuals is not None and len(inputs.actuals) else None
    run.warnings[:] = _drop_used_setting_warnings(run.warnings, settings)
    as_of = pd.Timestamp(settings.resolved_as_of())
    window = window_weeks(settings)
    path = history_path(run.source, settings, run.options.get("log"))
    record = run.options.get("record_history", True)

    history = None
    if actuals is not None:
        weeks = monday(actuals["week"].to_numpy())
        try:
            history = load_history(path, since=weeks.min(), until=weeks.max())
        except FileAccessError as exc:
            run.warnings.append(Problem(f"{exc}; accuracy weights and the scorecard's "
                                        "accuracy are skipped", severity="warning"))

    consensus = None
    if needs_consensus(inputs, overrides):
        forecast = inputs.forecast
        consensus = consensus_baseline(
            forecast, inputs.inventory, inputs.products, settings, history=history,
            actuals=actuals, overrides=overrides, nonnegative=True,
            weights=settings_weights(settings) or None)
        if overrides is not None and len(overrides):
            run.warnings += _override_warnings(overrides, forecast)
        run.warnings += consensus.warnings
        inputs.forecast = bottom_forecast(consensus)
        run.extras["consensus"] = consensus
        run.renderers.append(consensus_renderer(consensus, settings, as_of=as_of))
        forecast_for_log = forecast
    else:
        forecast_for_log = inputs.forecast

    if actuals is not None:
        from pysnop.core.hierarchy import build_hierarchy
        from pysnop.core.scorecard import scorecard
        hist = history if history is not None and len(history) else None
        tree = build_hierarchy(inventory=inputs.inventory, products=inputs.products,
                               forecast=hist, actuals=actuals)
        card = scorecard(actuals, hist, campaigns=inputs.campaigns,
                         count_statuses=settings.count_statuses, products=inputs.products,
                         tree=tree, window_weeks=window, as_of=as_of)
        run.extras["scorecard"] = card
        weights = consensus.weights if consensus is not None else None
        run.renderers.append(scorecard_renderer(card, window_weeks=window, as_of=as_of,
                                                weights=weights))

    if record and forecast_for_log is not None and len(forecast_for_log):
        try:
            rows = history_rows(consensus, forecast_for_log, as_of)
            ov = None
            if consensus is not None and overrides is not None and len(overrides):
                ov = _override_records(overrides, consensus)
                applied = consensus.table.dropna(subset=["override"])
                keep = pd.MultiIndex.from_frame(ov[["node", "week"]]).isin(
                    pd.MultiIndex.from_frame(applied[["node", "week"]]))
                ov = ov[keep]  # the overrides that acted on a forecast week
            if record_cycle(path, rows, as_of=as_of, workbook=run.source, overrides=ov):
                run.extras["forecast_history"] = path
        except FileAccessError as exc:
            run.warnings.append(Problem(f"{exc}; this cycle's forecasts were not recorded",
                                        severity="warning"))
    run.timings["consensus"] = time.perf_counter() - mark


def _override_records(overrides: pd.DataFrame, consensus: Consensus) -> pd.DataFrame:
    from pysnop.core.consensus import to_nodes
    ov, _ = to_nodes(overrides.assign(source="override"), consensus.tree,
                     carry=("reason", "planner"))
    nodes = consensus.tree.nodes.set_index("node")[["category", "sku", "location"]]
    return ov.join(nodes, on="node")


# -------------------------------------------------------------------------------- export
def consensus_long(consensus: Consensus) -> pd.DataFrame:
    """The rows of ``consensus.csv``: category, sku, location, week (ISO), one column per
    source, consensus; keys a level does not have are blank (the total has none)."""
    t = consensus.table
    level = t["level"].to_numpy(dtype=object)
    out = pd.DataFrame({
        "category": np.where(level == "total", None, t["category"].to_numpy(dtype=object)),
        "sku": np.where(np.isin(level, ["sku", "sku_location"]), t["sku"].to_numpy(dtype=object),
                        None),
        "location": np.where(level == "sku_location", t["location"].to_numpy(dtype=object),
                             None),
        "week": pd.to_datetime(t["week"]).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)})
    for source in consensus.sources:
        out[source] = pd.to_numeric(t[source], errors="coerce").to_numpy(dtype=float)
    out["consensus"] = pd.to_numeric(t["consensus"], errors="coerce").to_numpy(dtype=float)
    return out


def export_consensus_csv(consensus: Consensus, directory: str | os.PathLike) -> Path:
    """Write ``consensus.csv`` (long form, see :func:`consensus_long`) atomically."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / "consensus.csv"
        partial = directory / ".consensus.csv.partial"
        csv_safe(consensus_long(consensus).round(6)).to_csv(partial, index=False,
                                                             lineterminator="\n")
        os.replace(partial, target)
    except OSError as exc:
        raise FileAccessError(f"cannot write the export to {directory}: {exc.strerror or exc}")
    return target
