"""The operations pysnop performs on a workbook: the library the CLI (and the ribbon) call.

    >>> import pysnop
    >>> report = pysnop.recalc("plan.xlsx")            # in place, one backup kept
    >>> report.counts
    {'STOCKOUT': 3, 'AT RISK': 5, 'OK': 140}
    >>> report.result.summary.head()                   # a pandas DataFrame

Every failure a person can act on is a :class:`pysnop.errors.PysnopError`.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from pysnop.core.bridge import run_bridge
from pysnop.core.model import BridgeResult, PlanInputs
from pysnop.errors import FileAccessError, PysnopError, Problem
from pysnop.pipeline.exports import csv_safe

WRITABLE_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class RunReport:
    """What one run did: where it read and wrote, the result, the warnings, the timings."""

    source: Path
    output: Path | None
    result: BridgeResult
    warnings: list[Problem]
    timings: dict[str, float] = field(default_factory=dict)
    exported: list[Path] = field(default_factory=list)
    extras: dict = field(default_factory=dict)  # what later stages report (actions, ...)

    @property
    def counts(self) -> dict[str, int]:
        counts = self.result.summary["status"].value_counts()
        return {label: int(counts.get(label, 0)) for label in ("STOCKOUT", "AT RISK", "OK")}


def read(book: str | os.PathLike, *, as_of: dt.date | None = None):
    """Read and validate a workbook; raises ValidationError with every problem found."""
    from pysnop.workbook.read.reader import read_plan

    return read_plan(Path(book), as_of=as_of)


def bridge(inputs: PlanInputs) -> BridgeResult:
    """Run the bridge on inputs already in memory (DataFrames), e.g. from a notebook."""
    return run_bridge(inputs)


def check(book: str | os.PathLike, *, as_of: dt.date | None = None) -> RunReport:
    """Validate and compute as ``recalc`` would, writing nothing; warnings are in the report.

    The consensus and bridge stages run (so the check sees the baseline recalc would use);
    nothing is recorded in the forecast history or the decision log.
    """
    started = time.perf_counter()
    read_result = read(book, as_of=as_of)
    run = Run(Path(book), read_result, {"record_history": False},
              warnings=list(read_result.warnings))
    for stage in (consensus_stage, bridge_stage):
        stage(run)
    return RunReport(Path(book), None, run.result, run.warnings,
                     {**run.timings, "total": time.perf_counter() - started})


@dataclass
class Run:
    """One recalculation in progress: stages add their results, sheets and warnings here.

    A stage is a function ``stage(run) -> None``; :data:`STAGES` lists them in order. Each
    renderer writes some sheets into the openpyxl workbook being updated (see
    :func:`pysnop.workbook.writer.write_workbook`);
    """

    source: Path
    read: object  # pysnop.workbook.read.reader.ReadResult
    options: dict
    result: BridgeResult | None = None
    renderers: list = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    extras: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def bridge_stage(run: Run) -> None:
    from pysnop.workbook.writer import bridge_renderer

    mark = time.perf_counter()
    run.result = run_bridge(run.read.inputs)
    run.timings["compute"] = time.perf_counter() - mark
    if len(run.read.inputs.inventory) == 0:  # a forecast-only workbook: consensus only
        run.warnings.append(Problem("no Inventory sheet: the bridge was not run",
                                    "Inventory", severity="warning", kind="layout"))
        return
    run.warnings += run.result.warnings
    run.renderers.append(bridge_renderer(run.result,
                                         campaigns_layout=run.read.layouts.get("Campaigns")))


def consensus_stage(run: Run) -> None:
    from pysnop.store.history import consensus_stage as stage

    stage(run)


def formula_stage(run: Run) -> None:
    from pysnop.workbook.formulas.headless import formula_stage as stage

    stage(run)
    evaluate = run.extras.get("post_save")
    if evaluate is None:
        return

    def guarded(xlsx: bytes) -> bytes:
        """A formula the engine cannot evaluate must not cost the planner the whole run."""
        try:
            return evaluate(xlsx)
        except Exception as exc:  # the formulas library raises many kinds
            reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            run.warnings.append(Problem(
                f"formulas were not recalculated ({reason}); pysnop's sheets are written, "
                "and Excel recalculates the formulas on open", severity="warning"))
            return xlsx

    run.extras["post_save"] = guarded


def actions_stage(run: Run) -> None:
    if not run.options.get("actions", True):
        return
    from pysnop.operations.decide import propose_stage

    mark = time.perf_counter()
    propose_stage(run)
    run.timings["actions"] = time.perf_counter() - mark


# consensus first (the bridge's baseline), actions after the bridge (they remedy its risks),
# formulas last (they may read this run's results)
STAGES = [consensus_stage, bridge_stage, actions_stage, formula_stage]


def recalc(book: str | os.PathLike, *, output: str | os.PathLike | None = None,
           as_of: dt.date | None = None, export_dir: str | os.PathLike | None = None,
           backup: bool = True, **options) -> RunReport:
    """Read, validate, run every stage and write the results back.

    In place by default (atomic replace, the previous version kept as ``BOOK.bak``); with
    ``output`` the input is left untouched. Nothing is written when the workbook has errors.
    ``options`` reach the stages: ``user`` and ``log`` (the decision log), ``actions=False``
    to leave the Actions sheet and the decision log alone (a bridge-only refresh).
    ``progress``: a callable told each step's name ("reading", "bridge", ..., "writing").
    """
    from pysnop.workbook.writer import issues_renderer, write_workbook

    from pysnop.workbook.writer import check_writable

    source = Path(book)
    dest = Path(output) if output is not None else source
    _check_destination(source, dest)
    check_writable(source)  # parts pysnop cannot edit, a user's own "Consensus": refused
    started = time.perf_counter()
    from pysnop.workbook.ooxml.atomic import fingerprint

    try:
        expect = fingerprint(source)  # what the run reads; the write refuses if it changes
    except OSError:
        expect = None  # read() reports a missing or locked file in its own words
    progress = options.pop("progress", None) or (lambda step: None)
    progress("reading")
    read_result = read(source, as_of=as_of)
    run = Run(source, read_result, dict(options), warnings=list(read_result.warnings))
    run.timings["read"] = time.perf_counter() - started
    for stage in STAGES:
        progress(stage.__name__.removesuffix("_stage"))
        stage(run)

    progress("writing")
    mark = time.perf_counter()
    write_workbook(source, dest, [*run.renderers, issues_renderer(run.warnings)],
                   post_save=run.extras.get("post_save"),
                   backup=backup and dest.resolve() == source.resolve(), expect=expect)
    run.timings["write"] = time.perf_counter() - mark

    report = RunReport(source, dest, run.result, run.warnings, run.timings)
    report.extras = run.extras
    if export_dir is not None:
        if len(run.read.inputs.inventory):  # no bridge without Inventory
            report.exported.append(export_bridge_csv(run.result, Path(export_dir)))
        if run.extras.get("consensus") is not None:
            from pysnop.store.history import export_consensus_csv
            report.exported.append(export_consensus_csv(run.extras["consensus"],
                                                        Path(export_dir)))
    run.timings["total"] = time.perf_counter() - started
    return report


def export_bridge_csv(result: BridgeResult, directory: Path) -> Path:
    """Write ``bridge.csv`` (long form, one row per sku, location and week) atomically."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / "bridge.csv"
        partial = directory / ".bridge.csv.partial"
        csv_safe(result.to_long().round(6)).to_csv(partial, index=False, lineterminator="\n")
        os.replace(partial, target)
    except OSError as exc:
        raise FileAccessError(f"cannot write the export to {directory}: {exc.strerror or exc}")
    return target


def _check_destination(source: Path, dest: Path) -> None:
    if dest.suffix.lower() not in WRITABLE_SUFFIXES:
        raise PysnopError(f"{dest.name}: pysnop writes .xlsx or .xlsm workbooks; "
                          "save the workbook in one of those formats first")
    if source.suffix.lower() == ".xlsm" and dest.suffix.lower() != ".xlsm":
        raise PysnopError(f"{dest.name}: the output of a macro workbook must be .xlsm "
                          "to keep its macros")
