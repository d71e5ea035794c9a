"""One pipeline: read a workbook, run stages over it, write their sheets back.

:func:`execute` is the one driver. ``pysnop recalc`` and :func:`pysnop.recalc` call
:func:`recalc` (every stage, written to a file), ``pysnop check``, :func:`pysnop.check` and the
ribbon's *Check inputs* call :func:`check` (consensus and bridge, nothing written or
recorded), and the ribbon's operations (:mod:`pysnop.operations.book_ops`) call
:func:`execute` and :func:`write` with the stages each button needs, on a file or on a
workbook open in Excel — so all of them compute the same thing the same way.

    >>> import pysnop
    >>> report = pysnop.recalc("plan.xlsx")            # in place, one backup kept
    >>> report.counts
    {'STOCKOUT': 3, 'AT RISK': 5, 'OK': 140}

Every failure a person can act on is a :class:`pysnop.errors.PysnopError`.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pysnop.core.bridge import run_bridge
from pysnop.core.consensus import Consensus
from pysnop.core.learned_lift import with_lift_source
from pysnop.core.model import BridgeResult, PlanInputs
from pysnop.core.scorecard import Scorecard
from pysnop.errors import Problem, PysnopError
from pysnop.pipeline import overlap
from pysnop.pipeline.audit import book_stamp, stamp_renderer
from pysnop.pipeline.exports import export_bridge_csv, export_consensus_csv
from pysnop.pipeline.stages import CHECK_STAGES, STAGES, start_formula_scan
from pysnop.pipeline.state import ActionsResult, Run, RunOptions, Stage
from pysnop.store.chain import Stamp
from pysnop.workbook.book import Book, FileBook
from pysnop.workbook.read.grid import GridSource, RememberingSource
from pysnop.workbook.read.reader import ReadResult, read_plan
from pysnop.workbook.write_check import check_writable

if TYPE_CHECKING:  # the drawing code loads openpyxl: when the run first draws, after its
    # plan is forked (pysnop.workbook.sheet_names)
    from pysnop.workbook.render.canvas import Renderer
    from pysnop.workbook.render.review import ReviewData

WRITABLE_SUFFIXES = (".xlsx", ".xlsm")
Progress = Callable[[str], None]


@dataclass
class RunReport:
    """What one run did: where it read and wrote, the results, the warnings, the timings."""

    source: Path | None
    output: Path | None
    result: BridgeResult
    warnings: list[Problem]
    timings: dict[str, float] = field(default_factory=dict)
    exported: list[Path] = field(default_factory=list)
    consensus: Consensus | None = None      # the reconciled forecast, when one was needed
    scorecard: Scorecard | None = None
    actions: ActionsResult | None = None    # the Actions rows and the decision log

    @property
    def counts(self) -> dict[str, int]:
        counts = self.result.summary["status"].value_counts()
        return {label: int(counts.get(label, 0)) for label in ("STOCKOUT", "AT RISK", "OK")}

    @classmethod
    def of(cls, run: Run, output: Path | None) -> RunReport:
        assert run.result is not None  # every report is of a run with the bridge stage
        return cls(run.book_path, output, run.result, run.warnings, run.timings,
                   consensus=run.consensus, scorecard=run.scorecard, actions=run.actions)


def read(book: str | os.PathLike[str] | GridSource, *, as_of: dt.date | None = None
         ) -> ReadResult:
    """Read and validate a workbook; raises ValidationError with every problem found."""
    return read_plan(book, as_of=as_of)


def bridge(inputs: PlanInputs) -> BridgeResult:
    """Run the bridge on inputs already in memory (DataFrames), e.g. from a notebook, with
    the lift Settings ``lift_source`` picks (learned from ``inputs.actuals``)."""
    return run_bridge(with_lift_source(inputs)[0])


def as_book(book: str | os.PathLike[str] | Book) -> Book:
    """A path as a :class:`FileBook`; a Book as it is."""
    return FileBook(book) if isinstance(book, (str, os.PathLike)) else book


def execute(book: Book, stages: Sequence[Stage], *, as_of: dt.date | None = None,
            options: RunOptions = RunOptions(), progress: Progress | None = None) -> Run:
    """Read and validate ``book``, then run ``stages`` in order; returns the :class:`Run`.

    Stages that are for files only (formulas) are skipped in live Excel. Nothing is written
    here (see :func:`write`); raises ValidationError when the workbook has errors. What the
    stages record in the decision log is held until :func:`write` has written the workbook
    (a stage that fails drops it).
    """
    tell = progress or (lambda step: None)
    started = time.perf_counter()
    tell("reading")
    scan = start_formula_scan(book, stages)
    read_result = read(book, as_of=as_of)
    output = getattr(book, "output", None)  # a FileBook written elsewhere (-o)
    with book.source_file() as source:
        run = Run(Path(source), Path(output) if output is not None else book.path,
                  read_result, options, warnings=list(read_result.warnings),
                  origin=book.path, stamp=book_stamp(book), formula_scan=scan)
        if options.overlap and isinstance(book, FileBook):
            run.begin_draft = book.begin_write
        if isinstance(book, FileBook) and Path(source) == book.file:
            run.grids = RememberingSource(book)  # the file the reader opened and checked
        run.timings["read"] = time.perf_counter() - started
        try:
            for stage in stages:
                if stage.files_only and not book.headless:
                    continue
                tell(stage.name)
                stage(run)
        except BaseException:
            run.release(committed=False)
            raise
    return run


def write(book: Book, run: Run, *, stages: Collection[str] | None = None,
          issues: bool = True) -> None:
    """Put the sheets of ``run`` into ``book``: those of ``stages`` (by name; all when
    None), and with ``issues`` the Issues sheet of the run's warnings; then commit what the
    run recorded in the decision log, whose new last entry the workbook now carries. A write
    that fails leaves no run in the log.

    A run whose log record was deferred (``RunOptions.overlap``) is recorded here: beside
    the write, in a forked process, where :func:`pysnop.pipeline.overlap.possible`, else
    first. A write the run began early (:meth:`pysnop.pipeline.state.Run.draw_ahead`)
    is finished here, after the sheets drawn on it."""
    post_save = run.post_save if book.headless else None
    draft = run.draft if stages is None and isinstance(book, FileBook) else None

    def draw() -> list[Renderer]:
        renderers = run.renderers(stages)
        if draft is not None:  # these were drawn ahead, in this order
            renderers = renderers[draft.drawn:]
        if issues:
            from pysnop.workbook.render.issues import issues_renderer

            renderers.append(issues_renderer(run.warnings))
        return renderers

    def apply(renderers: list[Renderer], stamp: Callable[[], Stamp] | None) -> None:
        late = None if stamp is None else (
            lambda canvas: stamp_renderer(stamp())(canvas))  # the properties, last
        if isinstance(book, FileBook):
            book.apply(renderers, post_save=post_save, draft=draft, late=late)
        else:  # a book open in Excel draws them all at once
            book.apply(renderers + ([late] if late is not None else []),
                       post_save=post_save)

    hold = run.hold if run.hold is not None and not run.hold.done else None
    pending = run.pending
    try:
        run.settle_log()  # what the stages held back, before the run's own record
        if (pending is not None and not pending.done and hold is not None
                and overlap.possible(book, len(run.inputs.inventory))):
            assert isinstance(book, FileBook)

            def sealed() -> Stamp:
                pending.settle()
                assert hold is not None
                return hold.head()

            def drawn(review: Callable[[], ReviewData]) -> list[Renderer]:
                pending.supplied = review
                return draw()

            known = len(run.warnings)

            def saved(renderers: list[Renderer], stamp: Callable[[], Stamp]
                      ) -> list[Problem]:
                apply(renderers, stamp)
                return run.warnings[known:]  # said while saving (the formula stage's)

            said = overlap.write(book, pending.reviewed, sealed, drawn, saved)
            if said is not None:
                run.warnings += said
                run.release(committed=True)
                return
        if pending is not None:
            pending.settle()
        renderers = draw()
        stamp = hold.head if hold is not None else None
        if renderers or draft is not None or stamp is not None:
            apply(renderers, stamp)
    except BaseException:
        run.release(committed=False)
        raise
    run.release(committed=True)


def check(book: str | os.PathLike[str] | Book, *, as_of: dt.date | None = None) -> RunReport:
    """Validate and compute as ``recalc`` would, writing nothing; warnings are in the report.

    The consensus and bridge stages run (so the check sees the baseline recalc would use);
    nothing is recorded in the forecast history or the decision log.
    """
    started = time.perf_counter()
    target = as_book(book)
    run = execute(target, CHECK_STAGES, as_of=as_of,
                  options=RunOptions(record_history=False))
    report = RunReport.of(run, None)
    report.timings["total"] = time.perf_counter() - started
    return report


def recalc(book: str | os.PathLike[str], *, output: str | os.PathLike[str] | None = None,
           as_of: dt.date | None = None, export_dir: str | os.PathLike[str] | None = None,
           backup: bool = True, progress: Progress | None = None, user: str | None = None,
           log: str | os.PathLike[str] | None = None, actions: bool = True) -> RunReport:
    """Read, validate, run every stage and write the results back.

    In place by default (atomic replace, the previous version kept as ``BOOK.bak``); with
    ``output`` the input is left untouched. Nothing is written when the workbook has errors,
    nor when the file changed since it was read. ``user`` and ``log``: the deciding user and
    pysnop's SQLite file (see :class:`~pysnop.pipeline.state.RunOptions`); ``actions=False``
    leaves the Actions sheet and the decision log alone (a bridge-only refresh).
    ``progress``: a callable told each step's name ("reading", "bridge", ..., "writing").
    """
    source = Path(book)
    dest = Path(output) if output is not None else source
    _check_destination(source, dest)
    check_writable(source)  # parts pysnop cannot edit, a user's own "Consensus": refused
    started = time.perf_counter()
    file = FileBook(source, output=dest, backup=backup)
    run = execute(file, STAGES, as_of=as_of, progress=progress,
                  options=RunOptions.of(user=user, log=log, actions=actions, overlap=True))
    if progress is not None:
        progress("writing")
    mark = time.perf_counter()
    write(file, run)
    run.timings["write"] = time.perf_counter() - mark

    report = RunReport.of(run, dest)
    report.source = source
    if export_dir is not None:
        if len(run.inputs.inventory):  # no bridge without Inventory
            report.exported.append(export_bridge_csv(report.result, Path(export_dir)))
        if run.consensus is not None:
            report.exported.append(export_consensus_csv(run.consensus, Path(export_dir)))
    run.timings["total"] = time.perf_counter() - started
    return report


def _check_destination(source: Path, dest: Path) -> None:
    if dest.suffix.lower() not in WRITABLE_SUFFIXES:
        raise PysnopError(f"{dest.name}: pysnop writes .xlsx or .xlsm workbooks; "
                          "save the workbook in one of those formats first")
    if source.suffix.lower() == ".xlsm" and dest.suffix.lower() != ".xlsm":
        raise PysnopError(f"{dest.name}: the output of a macro workbook must be .xlsm "
                          "to keep its macros")


__all__ = ["RunReport", "as_book", "bridge", "check", "execute", "read", "recalc", "write"]
