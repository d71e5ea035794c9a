"""The signals stage: what the workbook's data says beyond the bridge's projection.

After the bridge it

1. warns about stale inputs (docs/semantics.md, stale inputs): a Forecast that leaves
   horizon weeks of a sku × location uncovered, Actuals newer than the as-of week, and an
   as-of week that moved since the previous recalc while no on_hand changed — compared
   through the on-hand fingerprint each recalc records in the decision log (the run's
   counts, key ``on_hand_fingerprint``);
2. computes the tracking signal of every sku × location over the last 4 weeks of Actuals;
   beyond ±4 it is a DEMAND SHIFT, routed to Supply and Marketing, and the bridge is run
   again with those forecasts scaled by actual ÷ forecast to show which risks the shift
   creates or removes (docs/semantics.md, demand sensing). The shifts go below the Bridge
   table and into the Review, with the sources the consensus was less accurate than
   (``run.consensus_check``, from the consensus stage).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import TYPE_CHECKING

import pandas as pd

from pysnop.core.bridge import run_bridge
from pysnop.core.demand_shift import DEMAND_SHIFT, demand_shifts, shift_impact, tracking_signals
from pysnop.core.stale_inputs import stale_input_warnings
from pysnop.errors import FileAccessError, Problem
from pysnop.pipeline.consensus import window_weeks
from pysnop.pipeline.state import Run
from pysnop.store.decision_log import DecisionLog
from pysnop.workbook.read.layout import SheetLayout
from pysnop.workbook.render.signal_tables import SHIFT_COLUMNS, WORSE_COLUMNS, Signals

if TYPE_CHECKING:
    from pysnop.workbook.render.canvas import Canvas

NAME = "signals"
FINGERPRINT = "on_hand_fingerprint"  # the key of a recalc run's counts in the decision log
KNOCK_ON = "knock-on"
NO_CHANGE = "no change in risk"
_CHANGE_ORDER = {"creates risk": 0, "worse": 1, "removes risk": 2, "better": 3, NO_CHANGE: 4}


def previous_recalc(run: Run) -> tuple[dt.date | None, str | None]:
    """The as-of date and on-hand fingerprint of the last recalc the decision log recorded
    (None, None without one: a first run, or a log that cannot be read)."""
    if run.hold is not None and not run.hold.done:
        # the log this run holds (a second connection would wait for the hold's lock)
        runs = run.hold.log.runs("recalc")
    else:
        path = run.store_path(required=False)
        if path is None or not path.exists():
            return None, None
        try:
            with DecisionLog(path) as log:
                runs = log.runs("recalc")
        except FileAccessError as exc:
            run.warnings.append(Problem(f"{exc}; the as-of check against the last run is "
                                        "skipped", severity="warning"))
            return None, None
    if not runs:
        return None, None
    last = runs[-1]
    try:
        as_of = dt.date.fromisoformat(str(last["as_of"])[:10]) if last["as_of"] else None
    except ValueError:
        as_of = None
    fingerprint = (last.get("counts") or {}).get(FINGERPRINT)
    return as_of, fingerprint if isinstance(fingerprint, str) else None


def located(problems: list[Problem], layouts: dict[str, SheetLayout]) -> list[Problem]:
    """The engine's findings pointed at the workbook: the sheet as it is named there, the
    column's letter and header as typed, where the layout knows the column."""
    out = []
    for p in problems:
        layout = layouts.get(p.sheet) if p.sheet is not None else None
        col = layout.columns.get(p.column) if layout is not None and p.column else None
        if layout is None:
            out.append(p)
            continue
        out.append(dataclasses.replace(
            p, sheet=layout.name, col=p.col if p.col is not None else col,
            column=layout.headers.get(p.column, p.column) if p.column else p.column))
    return out


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(sku=frame["sku"].astype(str), location=frame["location"].astype(str))


def shift_rows(shifts: pd.DataFrame, changes: pd.DataFrame, summary: pd.DataFrame) \
        -> pd.DataFrame:
    """The DEMAND SHIFT rows with their re-projection, then the knock-on rows (SHIFT_COLUMNS).

    A shifted sku × location the re-projection leaves as it is shows its Bridge figures
    under "if it continues" with "no change in risk".
    """
    columns = [c for c, _ in SHIFT_COLUMNS]
    now = _keyed(summary)[["sku", "location", "status", "first_risk_week", "lost_units",
                           "margin_at_risk"]].rename(columns={
                               "status": "now_status", "first_risk_week": "now_first",
                               "lost_units": "now_lost", "margin_at_risk": "now_margin"})
    after = ["change", "status_before", "status_after", "first_risk_after", "lost_after",
             "margin_at_risk_after"]
    ch = _keyed(changes)
    rows = _keyed(shifts).merge(ch[["sku", "location", *after]], on=["sku", "location"],
                                how="left").merge(now, on=["sku", "location"], how="left")
    same = rows["change"].isna().to_numpy()
    for col, src in (("status_before", "now_status"), ("status_after", "now_status"),
                     ("first_risk_after", "now_first"), ("lost_after", "now_lost"),
                     ("margin_at_risk_after", "now_margin")):
        rows[col] = rows[col].astype(object).where(~same, rows[src].astype(object))
    rows["change"] = rows["change"].where(~same, NO_CHANGE)
    rows["_order"] = rows["change"].map(_CHANGE_ORDER).fillna(5)
    rows["_size"] = -rows["tracking_signal"].abs()
    rows = rows.sort_values(["_order", "_size"], kind="stable")
    knock = ch[~ch["shifted"].to_numpy(dtype=bool)].assign(kind=KNOCK_ON)
    out = pd.concat([rows.reindex(columns=columns), knock.reindex(columns=columns)],
                    ignore_index=True)
    return out[columns]


def signals_stage(run: Run) -> None:
    """See the module doc. A workbook without Inventory has no bridge to judge."""
    if run.result is None or len(run.inputs.inventory) == 0:
        return
    mark = time.perf_counter()
    inputs = run.inputs
    previous_as_of, previous_fingerprint = previous_recalc(run)
    run.warnings += located(stale_input_warnings(inputs, previous_as_of,
                                                 previous_fingerprint), run.read.layouts)

    tracking = tracking_signals(inputs, run.history)
    shifts = demand_shifts(tracking)
    signals = Signals(window_weeks=window_weeks(inputs.settings))
    if len(shifts):
        impact = shift_impact(inputs, shifts, run.result, project=run_bridge)
        signals.shift_rows = shift_rows(shifts, impact.changes, run.result.summary)
        signals.first_week, signals.last_week = shifts["first_week"].iloc[0], \
            shifts["last_week"].iloc[0]
        def shift_rows_below_bridge(canvas: Canvas) -> None:
            # drawn later, with openpyxl loaded then (pipeline/stages.bridge_renderer)
            from pysnop.workbook.render.bridge_notes import demand_shift_renderer

            demand_shift_renderer(signals)(canvas)
        run.add_sheets("bridge", shift_rows_below_bridge)
    check = run.consensus_check
    if check is not None and len(check):
        worse = check[check["worse"].to_numpy(dtype=bool)]
        signals.consensus_worse = worse[[c for c, _ in WORSE_COLUMNS]].reset_index(drop=True)
    run.signals = signals
    run.timings["signals"] = time.perf_counter() - mark


__all__ = ["DEMAND_SHIFT", "FINGERPRINT", "NAME", "located", "previous_recalc", "shift_rows",
           "signals_stage"]
