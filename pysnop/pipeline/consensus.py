"""The consensus stage: one coherent forecast out of the Forecast sheet's sources.

It runs before the bridge. When the Forecast has several sources, rows above sku×location,
or the workbook has planner Overrides (or no Inventory sheet), it

1. reads the forecasts recorded in earlier cycles back from the history
   (:mod:`pysnop.store.history`) and weighs the sources by their recent accuracy against
   Actuals (else Settings ``weight_<source>`` keys, else equally) —
   :func:`pysnop.core.consensus.consensus_baseline`;
2. replaces ``run.inputs.forecast`` by the bottom-level consensus, so the bridge projects
   the consensus as its baseline;
3. adds the Consensus sheet (and the Scorecard sheet when the workbook has Actuals, with
   the boundary figures of :mod:`pysnop.pipeline.boundary`), and warns when the consensus
   was less accurate than one of its sources over the trailing window;
4. records this cycle's forecasts (each source and the consensus, per node and week, dated
   ``as_of``) and the overrides that acted, so accuracy can be measured next cycle.

A history that cannot be opened is a warning, not an error: the consensus is then computed
with Settings or equal weights. See docs/semantics.md (consensus forecast).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pysnop.core import model
from pysnop.core.consensus import (
    Consensus,
    consensus_baseline,
    consensus_vs_sources,
    consensus_worse_warnings,
    monday,
    settings_weights,
    to_nodes,
)
from pysnop.core.hierarchy import build_hierarchy
from pysnop.core.locations import has_network_data, location_roles
from pysnop.core.model import PlanInputs
from pysnop.core.scorecard import scorecard
from pysnop.errors import FileAccessError, Problem
from pysnop.pipeline.boundary import boundary_figures, sheet_inputs
from pysnop.pipeline.state import Run
from pysnop.store.history import history_rows, load_history, record_cycle
from pysnop.workbook.read.settings import extra_setting

if TYPE_CHECKING:
    from pathlib import Path

    from pysnop.store.decision_log import DecisionLog
    from pysnop.workbook.render.canvas import Canvas

NAME = "consensus"
SCORECARD = "scorecard"  # the Scorecard sheet is written under its own name (see Run.sheets)
DEFAULT_WINDOW_WEEKS = 8


def window_weeks(settings: model.Settings) -> int:
    """Settings ``accuracy_window_weeks`` (the trailing accuracy window), default 8."""
    value = extra_setting(settings.extra, "accuracy_window_weeks")
    try:
        weeks = int(float(value))
    except (TypeError, ValueError):
        return DEFAULT_WINDOW_WEEKS
    return weeks if 1 <= weeks <= 104 else DEFAULT_WINDOW_WEEKS


def needs_consensus(inputs: PlanInputs, overrides: pd.DataFrame | None = None) -> bool:
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


def network_dcs(inputs: PlanInputs) -> list[str]:
    """The DCs of the workbook's network (Inventory's roles, else Locations'), in code order."""
    inv = inputs.inventory
    if inv is None or not len(inv) or not has_network_data(inv, inputs.locations):
        return []
    dc = location_roles(inv, inputs.locations) == "dc"
    found = set(inv["location"].astype(str).to_numpy()[dc])
    if inputs.locations is not None:
        locs = inputs.locations
        roles = locs["role"].astype(str).str.strip().str.casefold()
        found |= set(locs["location"].astype(str).to_numpy()[(roles == "dc").to_numpy()])
    return sorted(found)


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


def override_warnings(overrides: pd.DataFrame, forecast: pd.DataFrame) -> list[Problem]:
    """Overrides for weeks no forecast covers (ignored), and overrides without a reason."""
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


def _override_records(overrides: pd.DataFrame, consensus: Consensus) -> pd.DataFrame:
    ov, _ = to_nodes(overrides.assign(source="override"), consensus.tree,
                     carry=("reason", "planner"))
    nodes = consensus.tree.nodes.set_index("node")[["category", "sku", "location"]]
    return ov.join(nodes, on="node")


def consensus_stage(run: Run) -> None:
    """See the module doc."""
    mark = time.perf_counter()
    inputs = run.inputs
    settings = inputs.settings
    overrides = run.read.overrides
    actuals = inputs.actuals if inputs.actuals is not None and len(inputs.actuals) else None
    as_of = pd.Timestamp(settings.resolved_as_of())
    window = window_weeks(settings)
    record = run.options.record_history

    history = None
    if actuals is not None:
        path = run.store_path(required=False)
        weeks = monday(actuals["week"].to_numpy())
        try:
            if path is not None:
                history = load_history(path, since=weeks.min(), until=weeks.max())
        except FileAccessError as exc:
            run.warnings.append(Problem(f"{exc}; accuracy weights and the scorecard's "
                                        "accuracy are skipped", severity="warning"))
    run.history = history

    consensus = None
    forecast_for_log = inputs.forecast
    if needs_consensus(inputs, overrides):
        forecast = inputs.forecast
        consensus = consensus_baseline(
            forecast, inputs.inventory, inputs.products, settings, history=history,
            actuals=actuals, overrides=overrides,  # Settings nonnegative (default TRUE)
            weights=settings_weights(settings) or None, locations=inputs.locations)
        if overrides is not None and len(overrides):
            run.warnings += override_warnings(overrides, forecast)
        run.warnings += consensus.warnings
        inputs.forecast = bottom_forecast(consensus)  # the bridge projects the consensus
        run.consensus = consensus
        dcs = network_dcs(inputs)
        shown = consensus

        def consensus_sheet(canvas: Canvas) -> None:
            # drawn later, with openpyxl loaded then (pipeline/stages.bridge_renderer)
            from pysnop.workbook.render.consensus import consensus_renderer

            consensus_renderer(shown, settings, as_of=as_of, dcs=dcs)(canvas)
        run.add_sheets(NAME, consensus_sheet)

    if actuals is not None:
        hist = history if history is not None and len(history) else None
        tree = build_hierarchy(inventory=inputs.inventory, products=inputs.products,
                               forecast=hist, actuals=actuals, locations=inputs.locations)
        card = scorecard(actuals, hist, campaigns=inputs.campaigns,
                         count_statuses=settings.count_statuses, products=inputs.products,
                         tree=tree, window_weeks=window, as_of=as_of)
        run.scorecard = card
        if hist is not None:  # is the consensus less accurate than one of its sources?
            run.consensus_check = consensus_vs_sources(hist, actuals, tree, window, as_of)
            run.warnings += consensus_worse_warnings(run.consensus_check, window)
        run.boundary = boundary_figures(run, sheet_inputs(inputs, forecast_for_log), hist)
        weights = consensus.weights if consensus is not None else None
        boundary = run.boundary

        def scorecard_sheet(canvas: Canvas) -> None:
            from pysnop.workbook.render.scorecard import scorecard_renderer

            scorecard_renderer(card, window_weeks=window, as_of=as_of, weights=weights,
                               boundary=boundary)(canvas)
        run.add_sheets(SCORECARD, scorecard_sheet)

    if record and forecast_for_log is not None and len(forecast_for_log):
        path = run.store_path()
        assert path is not None  # required: raises for a workbook never saved
        try:
            log = run.log_hold().log  # checked against the workbook; committed with it
        except FileAccessError as exc:
            run.warnings.append(Problem(f"{exc}; this cycle's forecasts were not recorded",
                                        severity="warning"))
        else:
            run.defer_log(lambda: _record_cycle(run, log, path, consensus, forecast_for_log,
                                                overrides, as_of))
    run.timings["consensus"] = time.perf_counter() - mark


def _record_cycle(run: Run, log: DecisionLog, path: Path, consensus: Consensus | None,
                  forecast: pd.DataFrame, overrides: pd.DataFrame | None,
                  as_of: pd.Timestamp) -> None:
    """This cycle's forecasts and the overrides that acted into the history (the log the
    run holds; nothing a later stage reads: Run.defer_log)."""
    try:
        rows = history_rows(consensus, forecast, as_of)
        ov = None
        if consensus is not None and overrides is not None and len(overrides):
            ov = _override_records(overrides, consensus)
            applied = consensus.table.dropna(subset=["override"])
            keep = pd.MultiIndex.from_frame(ov[["node", "week"]]).isin(
                pd.MultiIndex.from_frame(applied[["node", "week"]]))
            ov = ov[keep]  # the overrides that acted on a forecast week
        if record_cycle(log, rows, as_of=as_of, workbook=run.source, overrides=ov):
            run.history_file = path
    except FileAccessError as exc:
        run.warnings.append(Problem(f"{exc}; this cycle's forecasts were not recorded",
                                    severity="warning"))


__all__ = ["NAME", "SCORECARD", "bottom_forecast", "consensus_stage", "needs_consensus",
           "window_weeks"]
