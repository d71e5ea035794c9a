"""The stages of a run, in order, and the bridge and formula stages themselves.

    STAGES = (CONSENSUS, COMMITMENTS, BRIDGE, SIGNALS, ACTIONS, FORMULAS)

consensus first (it makes the bridge's baseline), the exported actions next (the closed loop:
they change the inputs the bridge projects), the bridge, the demand signals (stale inputs,
tracking signals and what a demand shift does to the bridge's risks), actions after them
(they remedy the risks), formulas last (they may read this run's results).
``pysnop recalc``, the ribbon's operations, the Python API and ``pysnop check`` all run (a
prefix of) this list through :func:`pysnop.pipeline.run.execute`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from pysnop.core.bridge import run_bridge
from pysnop.core.commitments import covered_by
from pysnop.core.learned_lift import with_lift_source
from pysnop.core.model import BridgeResult
from pysnop.errors import Problem
from pysnop.pipeline import actions, commitments, consensus, signals
from pysnop.pipeline.economics import bridge_campaigns, with_learned_lift
from pysnop.pipeline.state import Run, Stage
from pysnop.workbook.book import Book
from pysnop.workbook.formulas.engine import has_pysnop_formulas
from pysnop.workbook.read.layout import SheetLayout
from pysnop.workbook.sheet_names import RESERVED_SHEETS

if TYPE_CHECKING:
    from pysnop.workbook.render.canvas import Canvas, Renderer


def bridge_renderer(result: BridgeResult, *, campaigns_layout: SheetLayout | None) -> Renderer:
    """The bridge's sheets: Bridge, Bridge Chart and the Campaigns supply check."""
    def render(canvas: Canvas) -> None:
        # the drawing code (openpyxl) loads when a sheet is first drawn: a run forks its
        # plan before, and draws while it waits (pipeline/overlap, Run.draw_ahead)
        from pysnop.workbook.render.bridge import write_bridge_sheet
        from pysnop.workbook.render.bridge_chart import write_chart_sheet
        from pysnop.workbook.render.campaign_columns import write_campaign_columns

        write_bridge_sheet(canvas.wb, result, canvas.styles)
        write_chart_sheet(canvas.wb, result, canvas.styles)
        check = result.campaign_check
        if campaigns_layout is not None and check is not None and len(check) > 0:
            write_campaign_columns(canvas, campaigns_layout, check)
    return render


def bridge_stage(run: Run) -> None:
    """Project on-hand for every sku-location (docs/semantics.md); a workbook without
    Inventory (consensus only) gets a warning and no bridge sheets.

    Settings lift_source picks the lift projected (learned lift, docs/semantics.md): the
    Campaigns of ``run.inputs`` project it from here on, marketing's plan kept in
    ``planned_lift``."""
    mark = time.perf_counter()
    run.read.inputs, run.learned_lift = with_lift_source(run.inputs, run.history)
    run.result = run_bridge(run.inputs)
    run.result.campaign_check = with_learned_lift(run.result.campaign_check, run.learned_lift)
    if run.commitments is not None:  # which risks the exported actions cover (closed loop)
        summary = run.result.summary
        summary["covered_by"] = covered_by(summary, summary["status"],
                                           run.commitments.effects)
    run.timings["compute"] = time.perf_counter() - mark
    if len(run.inputs.inventory) == 0:
        run.warnings.append(Problem("no Inventory sheet: the bridge was not run",
                                    "Inventory", severity="warning", kind="layout"))
        return
    run.warnings += run.result.warnings
    run.add_sheets("bridge", bridge_renderer(run.result,
                                             campaigns_layout=run.read.layouts.get("Campaigns")))
    campaigns = bridge_campaigns(run)

    def wasted_spend(canvas: Canvas) -> None:
        from pysnop.workbook.render.bridge_notes import wasted_spend_renderer

        wasted_spend_renderer(campaigns)(canvas)
    run.add_sheets("bridge", wasted_spend)


def formula_stage(run: Run) -> None:
    """If the workbook uses pysnop's worksheet functions, have every formula's value cached
    in the saved file (spilled results laid out): ``run.post_save`` for the writer."""
    mark = time.perf_counter()
    found = (run.formula_scan.result() if run.formula_scan is not None
             else has_pysnop_formulas(run.source, skip=RESERVED_SHEETS))
    if found:
        def guarded(xlsx: bytes) -> bytes:
            """A formula the engine cannot evaluate must not cost the planner the run."""
            from pysnop.workbook.formulas.headless import post_save  # at the save

            try:
                return post_save(xlsx)
            except Exception as exc:  # the formulas library raises many kinds
                reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
                run.warnings.append(Problem(
                    f"formulas were not recalculated ({reason}); pysnop's sheets are written, "
                    "and Excel recalculates the formulas on open", severity="warning"))
                return xlsx
        run.post_save = guarded
    run.timings["formulas"] = time.perf_counter() - mark


def start_formula_scan(book: Book, stages: Sequence[Stage]) -> Future[bool] | None:
    """:func:`has_pysnop_formulas` of ``book``'s file on a thread of its own, when
    ``stages`` will ask (the formula stage of a headless run): it is nearly all inflating the
    sheets' XML, which zlib does without the GIL, so it costs the run a second core's time
    rather than its own."""
    if not book.headless or not any(stage.apply is formula_stage for stage in stages):
        return None
    with book.source_file() as source:
        path = Path(source)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pysnop-formula-scan")
    try:
        # pysnop's own sheets hold none of the user's formulas (they are redrawn whole), and
        # a re-run's workbook is mostly them: not inflated
        return pool.submit(has_pysnop_formulas, path, RESERVED_SHEETS)
    finally:
        pool.shutdown(wait=False)  # the thread ends with its one task


CONSENSUS = Stage(consensus.NAME, consensus.consensus_stage)
COMMITMENTS = Stage(commitments.NAME, commitments.commitments_stage)
BRIDGE = Stage("bridge", bridge_stage)
SIGNALS = Stage(signals.NAME, signals.signals_stage)
ACTIONS = Stage(actions.NAME, actions.actions_stage)
FORMULAS = Stage("formulas", formula_stage, files_only=True)

STAGES: tuple[Stage, ...] = (CONSENSUS, COMMITMENTS, BRIDGE, SIGNALS, ACTIONS, FORMULAS)
# what `check` computes; it writes nothing (the decision log is only read)
CHECK_STAGES: tuple[Stage, ...] = (CONSENSUS, COMMITMENTS, BRIDGE, SIGNALS)

__all__ = ["ACTIONS", "BRIDGE", "CHECK_STAGES", "COMMITMENTS", "CONSENSUS", "FORMULAS", "SIGNALS",
           "STAGES",
           "bridge_renderer", "bridge_stage", "formula_stage", "start_formula_scan"]
