"""The state of one run as it flows through the stages: inputs, typed results, warnings.

A :class:`Run` is created by :func:`pysnop.pipeline.run.execute` from a workbook that was
read and validated, then each :class:`Stage` of a list (:data:`pysnop.pipeline.stages.STAGES`
for a full recalculation) adds its results: the consensus stage ``consensus``,
``scorecard``, ``history_file``, ``history``, ``consensus_check`` and ``boundary``, the
commitments stage ``commitments`` (and the inputs with the exported actions in them), the
bridge stage ``result`` and ``learned_lift``, the signals stage ``signals``, the actions
stage ``actions``, the formula stage ``post_save``; and each stage adds the sheets it writes to
``sheets``, under its own name (the consensus stage writes the Scorecard under
"scorecard"), so a caller can write only some of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from pysnop.core.commitments import Commitments
from pysnop.core.consensus import Consensus
from pysnop.core.decisions import (
    APPROVED,
    EXPORTED,
    NEEDS_REAPPROVAL,
    OBSOLETE,
    PROPOSED,
    REJECTED,
    SUPERSEDED,
    Event,
)
from pysnop.core.model import BridgeResult, PlanInputs
from pysnop.core.scorecard import Scorecard
from pysnop.errors import Problem, PysnopError
from pysnop.pipeline.audit import LogHold, open_log
from pysnop.store.chain import Stamp
from pysnop.store.paths import SETTING as STORE_SETTING
from pysnop.store.paths import carry, resolve_path
from pysnop.workbook.book import PostSave
from pysnop.workbook.read.actions import read_actions_sheet
from pysnop.workbook.read.grid import GridSource, RememberingSource, open_source
from pysnop.workbook.read.reader import ReadResult
from pysnop.workbook.read.settings import extra_setting

if TYPE_CHECKING:  # openpyxl loads with the renderers and the writer, when the run first
    # writes: a run's plan is forked before that, and its wait is when they load
    from pysnop.workbook.render.canvas import Renderer
    from pysnop.workbook.render.review import ReviewData
    from pysnop.workbook.render.signal_tables import Signals
    from pysnop.workbook.writer import Draft


@dataclass(frozen=True)
class RunOptions:
    """What a caller may choose about a run."""

    user: str | None = None        # who is deciding (default: $PYSNOP_USER, else the OS user)
    log: Path | None = None        # pysnop's SQLite file (default: beside the workbook)
    actions: bool = True           # False: bridge only — no Actions sheet, no decision log
    record_history: bool = True    # False: record no forecast history (check, partial runs)
    # a second process where the system allows (pysnop.pipeline.overlap): the action plan
    # made by a forked child, and the run recorded in the decision log by
    # :func:`pysnop.pipeline.run.write` while a forked child writes the workbook (not at the
    # end of the actions stage)
    overlap: bool = False

    @classmethod
    def of(cls, *, user: str | None = None, log: str | os.PathLike[str] | None = None,
           actions: bool = True, record_history: bool = True,
           overlap: bool = False) -> RunOptions:
        return cls(user, Path(log) if log is not None else None, actions, record_history,
                   overlap)


@dataclass
class ActionsResult:
    """What the actions stage did: the Actions rows written, the log, the review."""

    rows: pd.DataFrame          # the Actions sheet as written, decisions kept
    decision_log: Path
    review: ReviewData
    decisions: list[Event]      # this run's decision events (new, obsolete, people's edits)
    risks: pd.DataFrame | None = None   # one row per decision (pysnop.core.risk_frame)
    cover: pd.DataFrame | None = None   # what each alternative covers (pysnop.core.actions)

    @property
    def new(self) -> int:
        return sum(1 for e in self.decisions if e.message == "new proposal")


@dataclass
class PendingLog:
    """The actions stage's record of the run in the decision log — its rows, the review read
    back from them, then the seal onto the chain — made when :meth:`settle` is called: at
    the end of the stage, or (``RunOptions.overlap``) while the workbook is written
    (:mod:`pysnop.pipeline.overlap`: the review first, the seal while the workbook is
    packed)."""

    record: Callable[[], None]      # the run's rows, inserted unsealed
    review: Callable[[], ReviewData]
    seal: Callable[[], object]      # the run sealed onto the chain
    result: ActionsResult           # its ``review`` is filled in when reviewed
    step: int = 0                   # 0: nothing yet, 1: recorded and reviewed, 2: sealed
    # in a child writing the workbook: where the review comes from (the parent settles)
    supplied: Callable[[], ReviewData] | None = None

    @property
    def done(self) -> bool:
        return self.step == 2

    def reviewed(self) -> ReviewData:
        """Record the run's rows and read the review back (once)."""
        if self.step == 0:
            self.record()
            self.result.review = self.review()
            self.step = 1
        return self.result.review

    def settle(self) -> ReviewData:
        """Record, review and seal (each once)."""
        review = self.reviewed()
        if self.step == 1:
            self.seal()
            self.step = 2
        return review

    def review_data(self) -> ReviewData:
        """The review, for the Review sheet."""
        return self.supplied() if self.supplied is not None else self.settle()


class StageSheets(NamedTuple):
    """A renderer, with the name it is written under (its stage's, see the module doc)."""

    stage: str
    render: Renderer


@dataclass
class Run:
    """One run in progress (see the module doc)."""

    source: Path                # a file holding the book's contents, for stages that read files
    book_path: Path | None      # where the workbook is written (the SQLite file sits beside it)
    read: ReadResult
    options: RunOptions
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    sheets: list[StageSheets] = field(default_factory=list)
    consensus: Consensus | None = None      # the reconciled forecast (consensus stage)
    scorecard: Scorecard | None = None      # forecast accuracy etc. (consensus stage, Actuals)
    history_file: Path | None = None        # where this cycle's forecasts were recorded
    commitments: Commitments | None = None  # exported actions put into the projection
    result: BridgeResult | None = None      # the bridge
    # forecasts recorded in earlier cycles for the Actuals weeks (consensus stage; learned
    # lift, tracking signals and the boundary scorecard judge past weeks by them)
    history: pd.DataFrame | None = None
    consensus_check: pd.DataFrame | None = None  # consensus vs each source (consensus stage)
    boundary: pd.DataFrame | None = None    # the scorecard's boundary figures by quarter
    learned_lift: pd.DataFrame | None = None  # per Campaigns row (bridge stage)
    signals: Signals | None = None          # tracking signals, demand shifts (signals stage)
    actions: ActionsResult | None = None
    post_save: PostSave | None = None       # caches formula values in the saved package
    origin: Path | None = None              # the workbook read, when written elsewhere (-o)
    stamp: Stamp | None = None              # the decision-log stamp the workbook carries
    hold: LogHold | None = None             # the decision log, held until the write
    pending: PendingLog | None = None       # the run's log record, until settled (actions)
    # the write begun early (RunOptions.overlap): the sheets the run has drawn while it
    # waits for the plan (draw_ahead), and how to begin one
    draft: Draft | None = None
    begin_draft: Callable[[], Draft] | None = None
    # the workbook's sheets for stages that read them (Actions, Approvers), opened once
    grids: GridSource | None = None
    # whether a formula calls a pysnop function, looked up while the run goes on (stages)
    formula_scan: Future[bool] | None = None
    # the Actions sheet as read (the log's check and the actions stage both need it)
    actions_read: pd.DataFrame | None = None
    # writes to the held log no later stage reads, kept for when the run waits (settle_log)
    deferred: list[Callable[[], None]] = field(default_factory=list)

    @property
    def inputs(self) -> PlanInputs:
        return self.read.inputs

    def source_grids(self) -> GridSource:
        """The sheets of ``source`` (its grids read once; see :attr:`grids`)."""
        if self.grids is None:
            self.grids = RememberingSource(open_source(self.source))
        return self.grids

    def actions_sheet(self) -> pd.DataFrame:
        """The Actions sheet of ``source`` (:func:`read_actions_sheet`), read once: a
        re-run's Actions sheet is as long as the plan, its cells read value by value."""
        if self.actions_read is None:
            self.actions_read = read_actions_sheet(self.source_grids())
        return self.actions_read

    def draw_ahead(self) -> None:
        """Begin the write and draw the sheets the stages so far have added (once; only
        when the run may, ``begin_draft``): the user's package read and these sheets drawn
        while the run waits for its plan, not after it."""
        if self.begin_draft is not None and self.draft is None:
            self.draft = self.begin_draft()
            self.draft.draw(self.renderers())

    def add_sheets(self, stage: str, render: Renderer) -> None:
        self.sheets.append(StageSheets(stage, render))

    def renderers(self, stages: Collection[str] | None = None) -> list[Renderer]:
        """The renderers added by ``stages`` (by name; all when None), in order."""
        return [s.render for s in self.sheets if stages is None or s.stage in stages]

    def store_path(self, *, required: bool = True) -> Path | None:
        """pysnop's SQLite file for this workbook (see :mod:`pysnop.store.paths`).

        A workbook never saved has no folder to keep it in: with ``required`` that is a
        :class:`PysnopError` asking to save it, else None.
        """
        setting = extra_setting(self.inputs.settings.extra, STORE_SETTING)
        if self.book_path is None:
            if self.options.log is not None:
                return self.options.log
            if required:
                raise PysnopError("save the workbook first: pysnop keeps its decision log and "
                                  "forecast history in a file beside it")
            return None
        return resolve_path(self.book_path, override=self.options.log, setting=setting)

    def log_hold(self) -> LogHold:
        """The decision log, checked against the workbook and held in a transaction until
        the workbook is written (:mod:`pysnop.pipeline.audit`); opened on first use.

        Written to another file (``-o``), the book's log follows it: a log beside the output
        is started as a copy of the input's (when there is none yet)."""
        if self.hold is None:
            path = self.store_path()
            assert path is not None  # required: raises for a workbook never saved
            if (self.options.log is None and self.origin is not None
                    and self.book_path is not None and self.origin != self.book_path):
                setting = extra_setting(self.inputs.settings.extra, STORE_SETTING)
                carry(resolve_path(self.origin, setting=setting), path)  # README: -o
            name = (self.origin or self.book_path or path).name
            self.hold = open_log(path, self.stamp, book=name,
                                 sheet=self.actions_sheet(),
                                 workbook=self.book_path)
            self.warnings += self.hold.warnings
        return self.hold

    def defer_log(self, write: Callable[[], None]) -> None:
        """Hold back ``write`` (into the held log; nothing a later stage reads) until
        :meth:`settle_log`: the actions stage does it while its plan is made, the write
        before it records the run — not on the way to the plan (this cycle's forecasts:
        a tenth of a second at 4,000 sku-locations, more where they are new)."""
        self.deferred.append(write)

    def settle_log(self) -> None:
        """Do the writes :meth:`defer_log` held back, in the order they were deferred."""
        while self.deferred:
            self.deferred.pop(0)()

    def release(self, committed: bool) -> None:
        """Commit the run's records to the log (the workbook was written) or drop them."""
        if self.hold is not None:
            if committed:
                self.settle_log()
                self.hold.commit()
            else:
                self.hold.rollback()


@dataclass(frozen=True)
class Stage:
    """A step of the pipeline: ``apply(run)`` adds its results and sheets to the run."""

    name: str
    apply: Callable[[Run], None]
    files_only: bool = False  # skipped in live Excel (Excel recalculates its own formulas)

    def __call__(self, run: Run) -> None:
        self.apply(run)


ACTION_STATUSES = (PROPOSED, APPROVED, REJECTED, EXPORTED, SUPERSEDED, OBSOLETE,
                   NEEDS_REAPPROVAL)


def status_counts(rows: pd.DataFrame) -> dict[str, int]:
    """Actions rows per status, keyed by the lower-case status (for the decision log)."""
    counts = rows["status"].value_counts().to_dict() if len(rows) else {}
    return {s.lower(): int(counts.get(s, 0)) for s in ACTION_STATUSES}


__all__ = ["ACTION_STATUSES", "ActionsResult", "Run", "RunOptions", "Stage", "StageSheets",
           "status_counts"]
