"""Consensus forecast: combine sources, weigh them by accuracy, flag divergence.

Long frames used here carry ``node`` (a :class:`~pysnop.core.hierarchy.Hierarchy` id),
``week`` (the Monday of the week), ``source`` and ``units``. :func:`to_nodes` turns Forecast
rows keyed by sku / location / category into that form. :func:`consensus_baseline` runs the
whole stage for the bridge. See docs/reconciliation.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pysnop.core.hierarchy import Hierarchy, build_hierarchy
from pysnop.core.reconcile import reconcile
from pysnop.errors import Problem

if TYPE_CHECKING:
    from pysnop.core.model import Settings

TINY = 1e-9
NO_SOURCE = "(no source)"
CONSENSUS = "Consensus"


def monday(values: Iterable[object]) -> pd.Series:
    """Dates → the Monday (midnight) of their week."""
    ts = pd.to_datetime(pd.Series(values), errors="coerce").dt.normalize()
    return (ts - pd.to_timedelta(ts.dt.day_of_week, unit="D")).astype("datetime64[ns]")


def to_nodes(frame: pd.DataFrame, tree: Hierarchy,
             carry: Iterable[str] = ("row", "reason", "recorded")) \
        -> tuple[pd.DataFrame, list[Problem]]:
    """Forecast-like rows (sku, location, category, week, units[, source]) → long node frame
    (node, week, source, units, + the ``carry`` columns present); rows not in the tree are
    dropped with a warning each."""
    pos = tree.locate(frame)
    source = frame["source"] if "source" in frame.columns else pd.Series([None] * len(frame))
    source = source.astype(object).where(source.notna(), NO_SOURCE).astype(str).str.strip()
    source = source.where(source != "", NO_SOURCE)
    out = pd.DataFrame({
        "node": tree.ids.to_numpy()[np.maximum(pos, 0)],
        "week": monday(frame["week"].to_numpy()).to_numpy(),
        "source": source.to_numpy(),
        "units": pd.to_numeric(frame["units"], errors="coerce").to_numpy(dtype=float)})
    for col in carry:
        if col in frame.columns:
            out[col] = frame[col].to_numpy()
    bad = (pos < 0) | out["week"].isna().to_numpy()
    rows = out["row"].to_numpy() if "row" in out.columns else np.full(len(out), -1)
    warnings = [Problem("forecast row whose keys match no node of the hierarchy "
                        "(a location needs a sku; the sku or category must be known): ignored",
                        "Forecast", int(r) if r is not None and r > 0 else None,
                        severity="warning") for r in rows[bad][:200]]
    return out[~bad].reset_index(drop=True), warnings


# ---------------------------------------------------------------------------------------
def combine_sources(forecasts_long: pd.DataFrame,
                    weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Per node and week, the weighted mean of the sources that forecast it.

    Rows of one source for the same node and week are summed first. Weights (``{source:
    weight}``, missing = 0) are renormalised over the sources present; where those weights
    sum to 0 (or ``weights`` is None) the sources present are averaged equally.
    Returns node, week, units, n_sources.
    """
    fc = forecasts_long.dropna(subset=["units"])
    per = fc.groupby(["node", "week", "source"], sort=True, observed=True)["units"].sum() \
        .reset_index()
    w = per["source"].map(dict(weights or {})).astype(float).fillna(0.0).clip(lower=0.0)
    per["w"] = w.to_numpy()
    per["wu"] = per["w"] * per["units"]
    g = per.groupby(["node", "week"], sort=True)
    out = g.agg(wsum=("w", "sum"), wu=("wu", "sum"), mean=("units", "mean"),
                n_sources=("units", "size")).reset_index()
    out["units"] = np.where(out["wsum"] > 0, out["wu"] / out["wsum"].where(out["wsum"] > 0, 1.0),
                            out["mean"])
    return out[["node", "week", "units", "n_sources"]]


# ---------------------------------------------------------------------------------------
def actuals_by_node(actuals: pd.DataFrame, tree: Hierarchy) -> pd.Series:
    """Actual units summed up the tree: a Series indexed by (node, week)."""
    pos = tree.locate(actuals[["sku", "location"]])
    keep = pos >= 0
    leaf_col = np.full(len(tree), -1)
    leaf_col[tree.leaves] = np.arange(len(tree.leaves))
    pos, col = pos[keep], leaf_col[pos[keep]]
    weeks = monday(actuals["week"].to_numpy()).to_numpy()[keep]
    units = pd.to_numeric(actuals["units"], errors="coerce").fillna(0.0).to_numpy()[keep]
    ok = col >= 0
    week_index, week_codes = pd.factorize(pd.Series(weeks[ok]), sort=True)
    grid = np.zeros((len(tree.leaves), len(week_codes)))
    np.add.at(grid, (col[ok], week_index), units[ok])
    seen = np.zeros((len(tree), len(week_codes)), dtype=bool)
    seen[pos[ok], week_index] = True
    seen_all = tree.aggregate(seen[tree.leaves].astype(float)) > 0
    full = tree.aggregate(grid)
    r, c = np.nonzero(seen_all)
    return pd.Series(full[r, c], index=pd.MultiIndex.from_arrays(
        [tree.ids.to_numpy()[r], pd.DatetimeIndex(week_codes)[c]], names=["node", "week"]),
        name="actual")


def _window(weeks: pd.Series, window_weeks: int, as_of: dt.date | None = None) -> pd.Series:
    last = monday([as_of]).iloc[0] - pd.Timedelta(days=7) if as_of is not None else weeks.max()
    return (weeks <= last) & (weeks > last - pd.Timedelta(days=7 * window_weeks))


def matched(history: pd.DataFrame, actuals: pd.DataFrame, tree: Hierarchy) -> pd.DataFrame:
    """Recorded forecasts next to the actual of their node and week (and the naive forecast,
    the actual of the week before): node, week, source, units, actual, naive.

    When history has a ``recorded`` column, each (node, week, source) keeps the latest record
    made before the week began; otherwise rows of the same key are summed.
    """
    hist = history if "node" in history.columns else to_nodes(history, tree)[0]
    hist = hist.assign(week=monday(hist["week"].to_numpy()).to_numpy())
    if "source" not in hist.columns:
        hist = hist.assign(source=NO_SOURCE)
    if "recorded" in hist.columns:
        rec = pd.to_datetime(hist["recorded"])
        hist = hist[rec < hist["week"]].assign(recorded=rec).sort_values("recorded")
        hist = hist.groupby(["node", "week", "source"], sort=False).tail(1)
    hist = hist.groupby(["node", "week", "source"], sort=True)["units"].sum().reset_index()
    act = actuals_by_node(actuals, tree)
    key = pd.MultiIndex.from_arrays([hist["node"], hist["week"]])
    prev = pd.MultiIndex.from_arrays([hist["node"], hist["week"] - pd.Timedelta(days=7)])
    hist["actual"] = act.reindex(key).to_numpy()
    hist["naive"] = act.reindex(prev).to_numpy()
    return hist.dropna(subset=["actual"]).reset_index(drop=True)


def source_accuracy(history: pd.DataFrame, actuals: pd.DataFrame, tree: Hierarchy,
                    window_weeks: int = 8, as_of: dt.date | None = None) -> pd.DataFrame:
    """Per source over the trailing window: cells, wape = Σ|F−A|/Σ|A|, bias = Σ(F−A)/ΣA,
    naive_wape (last week's actual, on the cells where it exists) and fva = naive_wape − the
    source's WAPE on those same cells. NaN where the denominator is 0."""
    m = matched(history, actuals, tree)
    m = m[_window(m["week"], window_weeks, as_of)]
    return _accuracy(m, ["source"])


def _accuracy(m: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    m = m.assign(abs_err=(m["units"] - m["actual"]).abs(), err=m["units"] - m["actual"],
                 abs_act=m["actual"].abs())
    has_naive = m["naive"].notna()
    m = m.assign(n_abs_err=np.where(has_naive, (m["naive"] - m["actual"]).abs(), 0.0),
                 s_abs_err=np.where(has_naive, m["abs_err"], 0.0),
                 n_abs_act=np.where(has_naive, m["abs_act"], 0.0))
    g = m.groupby(by, sort=True).agg(
        cells=("units", "size"), abs_err=("abs_err", "sum"), err=("err", "sum"),
        abs_act=("abs_act", "sum"), act=("actual", "sum"), n_abs_err=("n_abs_err", "sum"),
        s_abs_err=("s_abs_err", "sum"), n_abs_act=("n_abs_act", "sum")).reset_index()

    def ratio(a: pd.Series, b: pd.Series) -> pd.Series:
        return (a / b.where(b != 0)).astype(float)

    g["wape"] = ratio(g["abs_err"], g["abs_act"])
    g["bias"] = ratio(g["err"], g["act"])
    g["naive_wape"] = ratio(g["n_abs_err"], g["n_abs_act"])
    g["fva"] = g["naive_wape"] - ratio(g["s_abs_err"], g["n_abs_act"])
    return g[by + ["cells", "wape", "bias", "naive_wape", "fva"]]


def consensus_vs_sources(history: pd.DataFrame, actuals: pd.DataFrame, tree: Hierarchy,
                         window_weeks: int = 8, as_of: dt.date | None = None,
                         consensus: str = CONSENSUS) \
        -> pd.DataFrame:
    """Is the consensus less accurate than a source? Per source over the trailing window,
    on the node-weeks where that source and the consensus were both recorded (each record
    made before its week began) and actuals exist: source, cells, source_wape,
    consensus_wape (WAPE = Σ|F − A| ÷ Σ|A|, NaN when Σ|A| is 0), worse (consensus_wape >
    source_wape). The history records the consensus as the source ``consensus``.
    """
    columns = ["source", "cells", "source_wape", "consensus_wape", "worse"]
    m = matched(history, actuals, tree)
    m = m[_window(m["week"], window_weeks, as_of).to_numpy()]
    is_cons = m["source"].astype(str).str.casefold() == consensus.casefold()
    cons = m[is_cons.to_numpy()][["node", "week", "units"]].rename(columns={"units": "cons"})
    joined = m[~is_cons.to_numpy()].merge(cons, on=["node", "week"])
    if len(joined) == 0:
        return pd.DataFrame(columns=columns)
    joined = joined.assign(err_s=(joined["units"] - joined["actual"]).abs(),
                           err_c=(joined["cons"] - joined["actual"]).abs(),
                           abs_act=joined["actual"].abs())
    g = joined.groupby("source", sort=True).agg(cells=("units", "size"), err_s=("err_s", "sum"),
                                                err_c=("err_c", "sum"),
                                                abs_act=("abs_act", "sum")).reset_index()
    act = g["abs_act"].where(g["abs_act"] != 0)
    g["source_wape"] = (g["err_s"] / act).astype(float)
    g["consensus_wape"] = (g["err_c"] / act).astype(float)
    g["worse"] = (g["consensus_wape"] > g["source_wape"] + TINY).to_numpy(dtype=bool)
    return g[columns]


def consensus_worse_warnings(comparison: pd.DataFrame, window_weeks: int = 8) -> list[Problem]:
    """One warning per source the consensus is less accurate than, with both WAPEs."""
    worse = comparison[comparison["worse"].to_numpy(dtype=bool)]
    return [Problem(f"the consensus was less accurate than {src} over the last {window_weeks} "
                    f"weeks: WAPE {cw:.1%} against {sw:.1%} on the {int(n)} node-weeks both "
                    "forecast", "Consensus", severity="warning")
            for src, n, sw, cw in worse[["source", "cells", "source_wape", "consensus_wape"]]
            .itertuples(index=False)]


class SourceWeights(dict[str, float]):
    """``{source: weight}`` summing to 1, with ``basis`` ("accuracy", "settings", "equal")
    and ``accuracy`` (the :func:`source_accuracy` frame, empty without history)."""

    basis: str = "equal"
    accuracy: pd.DataFrame


def accuracy_weights(history_forecasts: pd.DataFrame | None, actuals: pd.DataFrame | None,
                     window_weeks: int = 8, *, tree: Hierarchy | None = None,
                     sources: Iterable[object] | None = None,
                     fallback: Mapping[str, float] | None = None,
                     as_of: dt.date | None = None) -> SourceWeights:
    """Weights per source: inverse WAPE over the trailing window, normalised.

    History allows accuracy weights when every source in ``sources`` (default: those in the
    history) has a WAPE over the window. A source with WAPE 0 is perfect: the perfect sources
    share the weight equally and the others get 0 (the limit of 1/WAPE). Otherwise the
    ``fallback`` (Settings) weights are used when they give a positive weight to some source
    (sources missing from them get 0); otherwise equal weights.
    """
    acc = pd.DataFrame(columns=["source", "cells", "wape", "bias", "naive_wape", "fva"])
    if history_forecasts is not None and actuals is not None and len(history_forecasts) \
            and len(actuals):
        tree = tree or build_hierarchy(actuals=actuals, forecast=history_forecasts
                                       if "node" not in history_forecasts.columns else None)
        acc = source_accuracy(history_forecasts, actuals, tree, window_weeks, as_of)
    names = sorted({str(s) for s in sources}) if sources is not None else \
        sorted(acc["source"].astype(str))
    wape = acc.set_index("source")["wape"].reindex(names) if len(acc) else \
        pd.Series(np.nan, index=names, dtype=float)
    out = SourceWeights()
    if names and wape.notna().all():
        perfect = wape <= TINY
        raw = perfect.astype(float) if perfect.any() else 1.0 / wape
        out.update((raw / raw.sum()).to_dict())
        out.basis = "accuracy"
    elif fallback and sum(max(float(fallback.get(s, 0) or 0), 0) for s in names) > 0:
        raw = pd.Series({s: max(float(fallback.get(s, 0) or 0), 0.0) for s in names})
        out.update((raw / raw.sum()).to_dict())
        out.basis = "settings"
    else:
        out.update({s: 1.0 / len(names) for s in names})
        out.basis = "equal"
    out.accuracy = acc
    return out


# ---------------------------------------------------------------------------------------
def divergence(sources_long: pd.DataFrame, consensus: pd.DataFrame, threshold: float) \
        -> pd.DataFrame:
    """Each source's forecast against the consensus of its node and week.

    consensus: long (node, week, units) or the wide output of reconcile (node × week).
    Returns the source rows (summed per node, week, source) with consensus, rel_diff =
    |s − c| / max(|c|, tiny) and divergent = rel_diff > threshold.
    """
    if "node" not in consensus.columns:
        consensus = consensus.rename_axis(index="node", columns="week").stack() \
            .rename("units").reset_index()
    cons = consensus.set_index(["node", "week"])["units"]
    src = sources_long.dropna(subset=["units"]).groupby(["node", "week", "source"], sort=True)[
        "units"].sum().reset_index()
    c = cons.reindex(pd.MultiIndex.from_arrays([src["node"], src["week"]])).to_numpy(float)
    src["consensus"] = c
    src["rel_diff"] = np.abs(src["units"] - c) / np.maximum(np.abs(c), TINY)
    src["divergent"] = (src["rel_diff"] > threshold).to_numpy()
    return src


# ---------------------------------------------------------------------------------------
def settings_weights(settings: Settings) -> dict[str, float]:
    """Source weights from Settings keys ``weight_<source>`` or ``<source>_weight``."""
    out: dict[str, float] = {}
    for key, value in (getattr(settings, "extra", None) or {}).items():
        m = re.fullmatch(r"\s*(?:weight[ _:]+(.+)|(.+?)[ _]+weight)\s*", str(key), re.IGNORECASE)
        if m:
            try:
                out[(m.group(1) or m.group(2)).strip()] = float(value)
            except (TypeError, ValueError):
                continue
    return out


@dataclass
class Consensus:
    """The consensus stage's result.

    bottom: sku, location, week, units — the coherent consensus at sku×location level.
    table: one row per node and week for the Consensus sheet: node, level, category, sku,
        location, week, one column per source, base, consensus, method, divergent,
        divergent_sources, override, reason.
    """

    bottom: pd.DataFrame
    table: pd.DataFrame
    tree: Hierarchy
    weights: SourceWeights
    sources: list[str]
    method: str
    warnings: list[Problem] = field(default_factory=list)


def consensus_baseline(forecast: pd.DataFrame, inventory: pd.DataFrame | None,
                       products: pd.DataFrame | None, settings: Settings, *,
                       history: pd.DataFrame | None = None, actuals: pd.DataFrame | None = None,
                       overrides: pd.DataFrame | None = None, nonnegative: bool | None = None,
                       weights: Mapping[str, float] | None = None,
                       locations: pd.DataFrame | None = None) -> Consensus:
    """Combine, reconcile and flag the Forecast sheet's sources.

    forecast: the canonical Forecast frame. history: forecasts recorded in earlier cycles
    (same keys + source, optional ``recorded`` date) for accuracy weights with ``actuals``.
    overrides: planner locks keyed like Forecast rows (sku, location, category, week, units,
    reason). weights: explicit source weights (default: Settings ``weight_<source>`` keys).
    nonnegative: reconciled leaves ≥ 0 (default: Settings ``nonnegative``, TRUE); FALSE gives
    the unconstrained textbook estimators.
    locations: the Locations sheet; its DCs (and Inventory's) are leaves only where the
    Forecast gives them demand of their own.
    """
    if nonnegative is None:
        nonnegative = bool(getattr(settings, "nonnegative", True))
    tree = build_hierarchy(inventory=inventory, products=products, forecast=forecast,
                           actuals=None, locations=locations)
    fc, warnings = to_nodes(forecast, tree)
    sources = sorted(fc["source"].unique())
    acc_tree = None
    if history is not None and actuals is not None and len(history) and len(actuals):
        acc_tree = build_hierarchy(inventory=inventory, products=products, forecast=history,
                                   actuals=actuals, locations=locations)
    w = accuracy_weights(history, actuals, tree=acc_tree, sources=sources,
                         fallback=weights if weights is not None else settings_weights(settings),
                         as_of=getattr(settings, "as_of", None))
    base_long = combine_sources(fc, w)
    weeks = pd.DatetimeIndex(sorted(base_long["week"].unique()), name="week")
    base = base_long.pivot(index="node", columns="week", values="units").reindex(columns=weeks)
    locks, ov = None, None
    if overrides is not None and len(overrides):
        ov, more = to_nodes(overrides.assign(source="override"), tree)
        warnings += more
        if "reason" not in ov.columns:
            ov["reason"] = None
        ov = ov.dropna(subset=["units"]).groupby(["node", "week"], sort=False).last()
        ov = ov[ov.index.get_level_values("week").isin(weeks)]
        locks = {k: v for k, v in ov["units"].items()}
    method = settings.reconciliation
    cons = reconcile(base, tree, method, locked=locks, nonnegative=nonnegative) \
        if len(weeks) else pd.DataFrame(index=tree.ids, columns=weeks, dtype=float)
    # bottom level
    nodes = tree.nodes.set_index("node")
    leaves = nodes[nodes["level"] == "sku_location"]
    bl = cons.loc[leaves.index].stack().rename("units").reset_index()
    bottom = pd.DataFrame({"sku": leaves.loc[bl["node"], "sku"].to_numpy(),
                           "location": leaves.loc[bl["node"], "location"].to_numpy(),
                           "week": bl["week"].to_numpy(), "units": bl["units"].to_numpy()})
    # the table
    table = cons.stack().rename("consensus").reset_index()
    table = nodes[["level", "category", "sku", "location"]].reset_index().merge(table, on="node")
    per_source = fc.groupby(["node", "week", "source"])["units"].sum().unstack("source")
    table = table.merge(per_source.reset_index(), on=["node", "week"], how="left")
    table = table.merge(base_long[["node", "week", "units"]].rename(columns={"units": "base"}),
                        on=["node", "week"], how="left")
    table["method"] = method
    div = divergence(fc, cons, settings.divergence_threshold)
    flagged = div[div["divergent"]].groupby(["node", "week"])["source"] \
        .agg(lambda s: ", ".join(s)).rename("divergent_sources")
    table = table.merge(flagged.reset_index(), on=["node", "week"], how="left")
    table["divergent"] = table["divergent_sources"].notna()
    if ov is not None and len(ov):
        table = table.merge(ov[["units", "reason"]].rename(columns={"units": "override"})
                            .reset_index(), on=["node", "week"], how="left")
    else:
        table["override"], table["reason"] = np.nan, None
    order = ["node", "level", "category", "sku", "location", "week"] + sources + \
        ["base", "consensus", "method", "divergent", "divergent_sources", "override", "reason"]
    return Consensus(bottom, table[order], tree, w, sources, method, warnings)
