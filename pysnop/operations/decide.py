"""Operations on action proposals and decisions: the library the CLI (and the ribbon) call.

    >>> pysnop.recalc("plan.xlsx", user="ann")      # with propose_stage in api.STAGES
    >>> export_approved("plan.xlsx", "csv")         # Approved -> file; rows marked Exported
    >>> simulate("plan.xlsx", approved=True)        # before/after of the approved actions
    >>> print(review("plan.xlsx", fmt="markdown"))  # the weekly review, from the log

The deciding user is ``user=`` (CLI ``--user``), else $PYSNOP_USER, else the OS user. The
decision log is ``log=`` (CLI ``--log``), else Settings ``decision_log``, else
``<book stem>.pysnop.sqlite`` beside the workbook (for ``recalc -o``: beside the source).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pysnop.core.decisions import (
    APPROVED, EXPORTED, OBSOLETE, PROPOSED, REJECTED, Event, merge,
    review_edits,
)
from pysnop.store.decision_log import DecisionLog, fingerprint, resolve_path
from pysnop.errors import LayoutError, Problem, PysnopError
from pysnop.workbook.render.actions import (ACTIONS_SHEET, read_actions_sheet, write_actions_sheet,
                                     write_campaign_actions)
from pysnop.workbook.read.approvers import read_approvers
from pysnop.workbook.render.review import REVIEW_SHEET, build_review, review_text, write_review_sheet

LOG_SETTING = "decision_log"
EXPORT_COLUMNS = ["action_id", "type", "owner", "sku", "location", "from_location",
                  "campaign_id", "po_id", "alt_sku", "qty", "week", "new_lift", "new_start",
                  "cost", "margin_protected", "net_value", "reason", "approver", "decided_at",
                  "comment", "exported_at"]


@dataclass
class ActionsReport:
    """What an action operation did."""

    book: Path
    log: Path
    rows: pd.DataFrame  # the Actions sheet as written (or as read, when nothing was written)
    events: list[Event] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    exported: pd.DataFrame | None = None
    export_file: Path | None = None

    @property
    def refused(self) -> list[Event]:
        return [e for e in self.events if e.outcome == "refused"]


def resolve_user(user: str | None = None) -> str:
    if user and str(user).strip():
        return str(user).strip()
    env = os.environ.get("PYSNOP_USER", "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers)
        return "unknown"


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _setting(extra: dict, key: str):
    for raw, value in (extra or {}).items():
        if str(raw).strip().casefold().replace(" ", "_").replace("-", "_") == key:
            return value
    return None


def _settings_extra(book: Path) -> dict:
    """Unknown Settings keys (where ``decision_log`` lives), without a full read."""
    from pysnop.workbook.read.cells import Collector
    from pysnop.workbook.read.grid import CalamineSource
    from pysnop.workbook.read.schema import norm
    from pysnop.workbook.read.settings import read_settings

    src = CalamineSource(book)
    sheet = next((n for n in src.sheet_names() if norm(n) == "settings"), None)
    if sheet is None:
        return {}
    settings, _ = read_settings(src.grid(sheet), Collector())
    return settings.extra


def log_path(book, log=None, *, extra: dict | None = None) -> Path:
    book = Path(book)
    if log is None and extra is None:
        extra = _settings_extra(book)
    return resolve_path(book, override=log, setting=_setting(extra or {}, LOG_SETTING))


def _existing_log(book, log) -> Path:
    path = log_path(book, log)
    if not path.exists():
        raise PysnopError(f"no decision log at {path}: run pysnop recalc {Path(book).name} first")
    return path


# ------------------------------------------------------------------------- recalc stage

def propose_stage(run) -> None:
    """The api.STAGES stage: proposals, decisions kept, the log, Actions and Review sheets."""
    from pysnop.core.actions import propose_actions
    from pysnop.core.bridge import run_bridge

    inputs = run.read.inputs
    if len(inputs.inventory) == 0:  # a forecast-only workbook: no bridge, no actions
        return
    result = run.result if run.result is not None else run_bridge(inputs)
    try:
        proposals = propose_actions(inputs, result)
    except (ValueError, ArithmeticError) as exc:  # e.g. the transfer LP on absurd numbers
        run.warnings.append(Problem(f"action proposals were not computed ({exc}); the Actions "
                                    f"sheet and its decisions are left as they were",
                                    ACTIONS_SHEET, severity="warning"))
        return
    user = resolve_user(run.options.get("user"))
    path = log_path(run.source, run.options.get("log"), extra=inputs.settings.extra)
    run.warnings[:] = [w for w in run.warnings if not (
        w.sheet and w.column and w.column.strip().casefold().replace(" ", "_") == LOG_SETTING
        and "unknown setting" in w.reason)]
    sheet = read_actions_sheet(run.source)
    _check_owned(run.source)
    approvers, approver_warnings = read_approvers(run.source)
    at = now()
    with DecisionLog(path) as log:
        known = log.known_states()
        reviewed = review_edits(sheet, known, approvers, user, at)
        rows, changes = merge(reviewed.rows, proposals, at, known=known,
                              lapsed=log.lapsed_exports())
        events = reviewed.events + changes
        summary = result.summary
        counts = {s: int((summary["status"] == s).sum()) for s in ("STOCKOUT", "AT RISK", "OK")}
        counts.update(_status_counts(rows), proposals=len(proposals),
                      new=sum(e.message == "new proposal" for e in changes),
                      refused=len(reviewed.refused))
        log.record_run(kind="recalc", at=at, workbook=run.source.resolve(),
                       fingerprint=fingerprint(run.source), as_of=result.as_of, user=user,
                       counts=counts, proposals=proposals, risks=summary[summary["status"] != "OK"],
                       events=events)
        review_data = build_review(log)
    names = approvers.names()
    run.renderers.append(lambda wb, styles: write_actions_sheet(wb, rows, styles, names))
    run.renderers.append(lambda wb, styles: write_review_sheet(wb, review_data, styles))
    layout = run.read.layouts.get("Campaigns")
    if layout is not None and len(inputs.campaigns):
        run.renderers.append(lambda wb, styles: write_campaign_actions(
            wb, layout, inputs.campaigns, rows, styles))
    run.warnings += approver_warnings + reviewed.problems
    run.extras.update(actions=rows, decision_log=path, review=review_data, decisions=events)


def _status_counts(rows: pd.DataFrame) -> dict:
    counts = rows["status"].value_counts().to_dict() if len(rows) else {}
    return {s.lower(): int(counts.get(s, 0)) for s in (PROPOSED, APPROVED, REJECTED, EXPORTED,
                                                        OBSOLETE)}


def _check_owned(book: Path) -> None:
    """Refuse to overwrite a user's own sheet that happens to be called Actions or Review."""
    from pysnop.workbook.read.grid import CalamineSource
    from pysnop.workbook.read.schema import norm

    src = CalamineSource(book)
    for name in src.sheet_names():
        if norm(name) not in (norm(ACTIONS_SHEET), norm(REVIEW_SHEET)):
            continue
        rows = src.grid(name).rows
        cells = [str(v) for row in rows[:10] for v in row if v not in (None, "")]
        if not cells:
            continue
        ours = (any(norm(c) == "action_id" for c in cells) if norm(name) == "actions"
                else cells[0].startswith("pysnop"))
        if not ours:
            raise LayoutError(f'the sheet "{name}" is not one pysnop wrote, and pysnop writes '
                              f'its {name} there; rename your sheet and run again', sheet=name)


# ------------------------------------------------------------------------- decisions

def _review_sheet_decisions(book: Path, user: str, log: DecisionLog, at: dt.datetime):
    sheet = read_actions_sheet(book)
    if not len(sheet):
        raise PysnopError(f"{book.name} has no Actions sheet with proposals: run "
                          f"pysnop recalc {book.name} first")
    _check_owned(book)
    approvers, warnings = read_approvers(book)
    reviewed = review_edits(sheet, log.known_states(), approvers, user, at)
    return reviewed, approvers, warnings


def record_decisions(lg: DecisionLog, reviewed, *, at: dt.datetime, workbook: Path | None,
                     user: str) -> None:
    """Log one round of decisions (accepted and refused) as a "decisions" run."""
    exists = workbook is not None and Path(workbook).exists()
    lg.record_run(kind="decisions", at=at,
                  workbook=Path(workbook).resolve() if workbook is not None else None,
                  fingerprint=fingerprint(workbook) if exists else None, user=user,
                  counts={**_status_counts(reviewed.rows), "refused": len(reviewed.refused)},
                  events=reviewed.events)


def _write_actions(book: Path, rows: pd.DataFrame, names: list[str]) -> None:
    from pysnop.workbook.writer import write_workbook

    write_workbook(book, book, [lambda wb, styles: write_actions_sheet(wb, rows, styles, names)],
                   backup=True)


def apply_decisions(book, *, user: str | None = None, log=None) -> ActionsReport:
    """Validate the decisions typed into the Actions sheet, log them and write the result
    back (refused ones undone), without recalculating the bridge."""
    book = Path(book)
    user = resolve_user(user)
    path = log_path(book, log)
    at = now()
    with DecisionLog(path) as lg:
        reviewed, approvers, warnings = _review_sheet_decisions(book, user, lg, at)
        record_decisions(lg, reviewed, at=at, workbook=book, user=user)
    rows = reviewed.rows.drop(columns=["row"], errors="ignore")
    _write_actions(book, rows, approvers.names())
    return ActionsReport(book, path, rows, reviewed.events, warnings + reviewed.problems)


def export_approved(book, fmt: str = "csv", output=None, *, user: str | None = None,
                    log=None) -> ActionsReport:
    """Write the Approved actions not exported yet to CSV/JSON and mark them Exported in the
    workbook and the log. Exporting again exports nothing new (no file is written then)."""
    from pysnop.workbook.ooxml.atomic import atomic_write

    fmt = fmt.lower()
    if fmt not in ("csv", "json"):
        raise PysnopError(f"unknown export format {fmt!r}: use csv or json")
    book = Path(book)
    user = resolve_user(user)
    path = log_path(book, log)
    at = now()
    with DecisionLog(path) as lg:
        reviewed, approvers, warnings = _review_sheet_decisions(book, user, lg, at)
        rows = reviewed.rows.drop(columns=["row"], errors="ignore").reset_index(drop=True)
        chosen = rows.index[rows["status"] == APPROVED]
        target = None
        if len(chosen):
            target = Path(output) if output is not None else book.with_name(
                f"{book.stem}-actions-{at:%Y%m%d-%H%M%S}.{fmt}")
            rows.loc[chosen, "exported_at"] = at
            data = export_frame(rows.loc[chosen])
            atomic_write(target, lambda handle: handle.write(_encode(data, fmt)), backup=False)
            rows.loc[chosen, "status"] = EXPORTED
        events = reviewed.events + [
            Event(a, "status", APPROVED, EXPORTED, user, at, "accepted",
                  f"exported to {target.name}" if target else "")
            for a in rows.loc[chosen, "action_id"]]
        lg.record_run(kind="export", at=at, workbook=book.resolve(), fingerprint=fingerprint(book),
                      user=user, counts={**_status_counts(rows), "exported": len(chosen),
                                         "refused": len(reviewed.refused)},
                      events=events,
                      exports=[{"action_id": a, "at": at, "format": fmt, "file": target,
                                "who": user} for a in rows.loc[chosen, "action_id"]])
    if events:
        _write_actions(book, rows, approvers.names())
    return ActionsReport(book, path, rows, events, warnings + reviewed.problems,
                         rows.loc[chosen].reset_index(drop=True), target)


def export_frame(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.reindex(columns=EXPORT_COLUMNS).copy()
    for col in ("week", "new_start"):
        out[col] = [None if _blank(v) else pd.Timestamp(v).date().isoformat() for v in out[col]]
    for col in ("decided_at", "exported_at"):
        out[col] = [None if _blank(v) else pd.Timestamp(v).isoformat() for v in out[col]]
    return out


def _blank(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _encode(data: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "csv":
        return data.to_csv(index=False, lineterminator="\n").encode("utf-8")
    records = [{k: (None if _blank(v) else v.item() if hasattr(v, "item") else v)
                for k, v in rec.items()} for rec in data.to_dict("records")]
    return (json.dumps(records, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# ------------------------------------------------------------------------- what-if

def simulate(book, action_ids=None, *, approved: bool = False, as_of=None):
    """Before/after per sku-location with the chosen actions applied.

    Chosen: ``action_ids``; else, with ``approved``, the Approved rows of the Actions sheet;
    else the rows whose Scenario is Y. Returns (table, notes, ids simulated).
    """
    from pysnop.pipeline.run import read
    from pysnop.core.actions import propose_actions
    from pysnop.core.bridge import run_bridge
    from pysnop.core.simulate import simulate as run_simulation

    book = Path(book)
    inputs = read(book, as_of=as_of).inputs
    before = run_bridge(inputs)
    proposals = propose_actions(inputs, before).set_index("action_id", drop=False)
    sheet = read_actions_sheet(book)
    sheet = sheet[sheet["action_id"].notna()].drop_duplicates("action_id").set_index(
        "action_id", drop=False)
    if action_ids:
        ids = [str(a).strip() for a in action_ids if str(a).strip()]
    elif approved:
        ids = list(sheet.index[sheet["status"].map(lambda s: str(s).strip().casefold())
                               == APPROVED.casefold()])
    else:
        ids = list(sheet.index[sheet["scenario"].map(
            lambda s: str(s).strip().casefold() in ("y", "yes", "x", "true", "1"))])
        if not ids:
            raise PysnopError("nothing to simulate: give --actions ID,... or --approved, or "
                              "mark rows of the Actions sheet with Scenario = Y")
    notes, chosen = [], []
    for a in ids:
        if a in proposals.index:
            chosen.append(proposals.loc[a])
        elif a in sheet.index:
            chosen.append(sheet.loc[a])
            notes.append(f"{a} is not proposed any more; simulated with its values on the "
                         f"Actions sheet")
        else:
            notes.append(f"{a}: no such action; skipped")
    frame = pd.DataFrame(chosen).reset_index(drop=True) if chosen else proposals.iloc[0:0]
    table, more = run_simulation(inputs, frame, before=before)
    return table, notes + more, list(frame["action_id"])


# ------------------------------------------------------------------------- review, log

def review(book, fmt: str = "text", *, log=None) -> str:
    """The weekly review of the latest run, as text or Markdown."""
    with DecisionLog(_existing_log(book, log)) as lg:
        data = build_review(lg)
    return review_text(data, markdown=fmt.lower() in ("markdown", "md"))


def log_history(book, *, log=None) -> dict:
    """{"path", "runs": [...], "decisions": DataFrame, "exports": DataFrame}."""
    path = _existing_log(book, log)
    with DecisionLog(path) as lg:
        return {"path": path, "runs": lg.runs(),
                "decisions": lg.frame("decisions", "ORDER BY id"),
                "exports": lg.frame("exports", "ORDER BY at")}


__all__ = ["ActionsReport", "apply_decisions", "export_approved", "log_history", "log_path",
           "propose_stage", "resolve_user", "review", "simulate"]
