"""The weekly review: what changed since the last run, from the decision log (issue 3 item 8).

:func:`build_review` compares the latest recalc run in the log with the one before it:

open risks         the run's risks (one decision each, docs/semantics.md "Risks and
                   decisions") with no Approved or Exported alternative — leaving out the ones
                   only below safety stock with nothing to decide (no sale lost, no remedy)
overdue            open risks whose act_by week is already past (docs/semantics.md,
                   "Deadlines"): too late for what the date was for; never mixed with the due
act_by within 7    open risks whose act_by falls between the Monday of the as-of week and
days               as-of + 7 days, shown as max(act_by, as-of): never a date already past
new risks          sku-locations at risk now that were not at the previous run
resolved risks     at risk at the previous run, OK (or gone) now
pending decisions  proposals of the latest run still Proposed, by rank
approved           approved, not exported yet
needs re-approval  approvals whose values a re-run changed: approve again (or reject)
exported           actions exported since the previous run
approvers          changes to the Approvers list since the previous run (added / removed)

A log written before risks were recorded (no ``plan_risks`` for the run) has no open-risks
section, and its deadlines are the Bridge's at-risk rows, classified the same way.

It is written as the "Review" sheet by ``recalc`` and printed by ``pysnop review`` (text, or
Markdown to paste into a mail).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import repeat
from typing import ClassVar

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment

from pysnop.core.coordination import BINDING
from pysnop.core.deadlines import DUE, OVERDUE, classify_deadlines
from pysnop.core.decisions import APPROVED, NEEDS_REAPPROVAL, PROPOSED, Known
from pysnop.core.values import is_blank
from pysnop.workbook.ooxml.cell_blocks import CellBlock
from pysnop.workbook.ooxml.cell_text import map_distinct
from pysnop.workbook.ooxml.fastsheet import cells_to_fast_rows
from pysnop.workbook.ooxml.xlcells import (
    BOLD_FONT,
    HEADER_BORDER,
    HEADER_FILL,
    LINE_HEIGHT,
    NOTE_FONT,
    TITLE_FONT,
    WRAP,
    StyleBook,
    excel_value,
    put,
    replace_sheet,
    set_width,
    wrapped_lines,
)
from pysnop.workbook.read.actions import REVIEW_SHEET
from pysnop.workbook.render.canvas import Canvas, Renderer
from pysnop.workbook.render.signals import Signals, review_signals_text, write_review_signals

DEADLINE_DAYS = 7
RISK_COLS = ["sku", "location", "status", "first_risk_week", "act_by", "lost_units",
             "margin_at_risk"]
# a risk as the agenda shows it: six short columns, then one sentence (the wide column)
DECISION_COLS = ["risk_id", "sku", "location", "status", "first_risk_week", "act_by",
                 "decision"]
ACTION_COLS = ["action_id", "type", "owner", "sku", "location", "net_value", "reason"]
EXPORT_COLS = ["action_id", "at", "who", "format", "file"]
APPROVER_COLS = ["change", "name", "function", "account", "run_id"]


@dataclass
class ReviewData:
    as_of: str | None = None
    run_at: str | None = None
    previous_at: str | None = None  # None: first run, everything is new
    sections: dict[str, pd.DataFrame] = field(default_factory=dict)
    signals: Signals | None = None  # this run's demand shifts and consensus note (signals.py)

    TITLES: ClassVar[dict[str, str]] = {
        "open_risks": "Open risks with no approved remedy",
        "overdue": "Overdue: act_by already past",
        "deadlines": f"act_by within {DEADLINE_DAYS} days",
        "new_risks": "New risks", "resolved_risks": "Resolved risks",
        "pending": "Decisions pending", "approved": "Approved, not exported yet",
        "reapproval": "Needs re-approval (values changed since the approval)",
        "exported": "Exported since the last run",
        "approvers": "Approvers list changes since the last run"}


def build_review(log, known: Mapping[str, Known] | None = None) -> ReviewData:
    """The review of the latest recalc run in ``log`` (a DecisionLog). ``known``: the log's
    :meth:`known_states`, when the caller has them (a run: those it read, advanced by its
    own events) — the log's whole history is not replayed again."""
    runs = log.runs("recalc")
    if not runs:
        return ReviewData(sections={k: pd.DataFrame() for k in ReviewData.TITLES})
    last = runs[-1]
    prev = runs[-2] if len(runs) > 1 else None
    risks = log.frame("risks", "WHERE run_id = ?", (last["id"],))
    before = (log.frame("risks", "WHERE run_id = ?", (prev["id"],)) if prev
              else risks.iloc[0:0])
    key = ["sku", "location"]
    now_keys = pd.MultiIndex.from_frame(risks[key])
    was_keys = pd.MultiIndex.from_frame(before[key])
    new = risks[~now_keys.isin(was_keys)]
    resolved = before[~was_keys.isin(now_keys)]
    as_of = pd.Timestamp(last["as_of"]) if last["as_of"] else None
    proposals = log.frame("proposals", "WHERE run_id = ? ORDER BY rank", (last["id"],),
                          columns=[*ACTION_COLS, "risk_id"])
    known = log.known_states() if known is None else known
    status = proposals["action_id"].map(lambda a: known[a].status if a in known else PROPOSED)
    decisions = log.frame("plan_risks", "WHERE run_id = ? ORDER BY rank", (last["id"],))
    if len(decisions) or (len(proposals) and proposals["risk_id"].notna().any()):
        chosen = set(proposals.loc[status.isin(BINDING).to_numpy(), "risk_id"].dropna())
        lost = pd.to_numeric(decisions["lost_units"], errors="coerce").fillna(0)
        alternatives = pd.to_numeric(decisions["alternatives"], errors="coerce").fillna(0)
        open_risks = decisions[~decisions["risk_id"].isin(chosen).to_numpy()
                               & ((lost > 1e-6) | (alternatives > 0)).to_numpy()]
        open_risks = open_risks.assign(decision=_decisions(open_risks))
        columns, dated = DECISION_COLS, open_risks
    else:  # a log from before risks were recorded: the Bridge's rows
        open_risks, columns, dated = None, RISK_COLS, risks
    overdue, deadlines = _deadlines(dated, as_of)
    exports = log.frame("exports", "WHERE run_id > ? ORDER BY at",
                        (prev["id"] if prev else 0,))
    sections = {"new_risks": new.reindex(columns=RISK_COLS),
                "resolved_risks": resolved.reindex(columns=RISK_COLS),
                "overdue": overdue.reindex(columns=columns),
                "deadlines": deadlines.reindex(columns=columns),
                "pending": proposals[status == PROPOSED].reindex(columns=ACTION_COLS),
                "approved": proposals[status == APPROVED].reindex(columns=ACTION_COLS),
                "reapproval": proposals[status == NEEDS_REAPPROVAL].reindex(columns=ACTION_COLS),
                "exported": exports.reindex(columns=EXPORT_COLS),
                "approvers": log.frame("approvers", "WHERE run_id > ? ORDER BY rowid",
                                       (prev["id"] if prev else 0,)).reindex(
                                           columns=APPROVER_COLS)}
    if open_risks is not None:
        sections["open_risks"] = open_risks.reindex(columns=DECISION_COLS)
    sections = {k: sections[k] for k in ReviewData.TITLES if k in sections}
    return ReviewData(last["as_of"], last["at"], prev["at"] if prev else None,
                      {k: v.reset_index(drop=True) for k, v in sections.items()})


def _decisions(risks: pd.DataFrame) -> list[str]:
    """One sentence per risk on the agenda: its campaign, shortfall, margin at risk, and
    the best alternative or why nothing can fix it — a column at a time: each part made
    once per distinct value of its column, the parts joined for all risks at once."""
    n = len(risks)

    def part(name: str, text) -> np.ndarray:
        values = risks[name].tolist() if name in risks.columns else [None] * n
        return np.array(map_distinct(text, values), dtype=object).reshape(n)

    campaign = part("campaign_id", lambda v: "" if is_blank(v) else f"campaign {v}; ")
    short = part("shortfall_units", _fmt)
    margin = part("margin_at_risk", lambda v: f"{0.0 if is_blank(v) else float(v):,.2f}")
    best = part("best_action_id", lambda v: "" if is_blank(v) else f"; best: {v}")
    note = part("note", lambda v: f"; {v}" if not is_blank(v) and str(v).strip() else "")
    return (campaign + "short " + short + " units, margin at risk " + margin + best
            + note).tolist()


def _deadlines(risks: pd.DataFrame, as_of: pd.Timestamp | None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(overdue, due within the week) of ``risks`` by their act_by (docs/semantics.md,
    "Deadlines"); a due act_by before the as-of date is shown as the as-of date."""
    if as_of is None or not len(risks):
        return risks.iloc[0:0], risks.iloc[0:0]
    when = classify_deadlines(risks["act_by"].to_numpy(), as_of)
    when.index = risks.index
    overdue = risks[(when["deadline"] == OVERDUE).to_numpy()]
    due = risks[(when["deadline"] == DUE).to_numpy()].copy()
    due["act_by"] = when.loc[due.index, "shown"].dt.strftime("%Y-%m-%d").to_numpy()
    order = pd.to_datetime(due["act_by"])
    return (overdue.sort_values("act_by", kind="stable"),
            due.iloc[order.argsort(kind="stable")])


def _fmt(value) -> str:
    value = excel_value(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 or value.is_integer() else f"{value:,.2f}"
    return str(value)


def _headline(review: ReviewData) -> str:
    since = (f"since the run of {review.previous_at}" if review.previous_at
             else "first run in the decision log")
    return f"pysnop weekly review · as of {review.as_of or '?'} · {since}"


def review_text(review: ReviewData, *, markdown: bool = False, limit: int = 25) -> str:
    """The review as plain text or Markdown (tables), ``limit`` rows per section."""
    lines = [f"# {_headline(review)}" if markdown else _headline(review), ""]
    for key, title in ReviewData.TITLES.items():
        frame = review.sections.get(key, pd.DataFrame())
        n = len(frame)
        lines.append(f"## {title} ({n})" if markdown else f"{title} ({n})")
        if n == 0:
            lines += ["", "none", ""] if markdown else ["  none", ""]
            continue
        shown = frame.head(limit)
        cols = [c for c in shown.columns if c != "reason"] if not markdown else list(shown.columns)
        if markdown:
            lines += ["", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            for rec in shown.to_dict("records"):
                cells = [_fmt(rec[c]).replace("|", "\\|").replace("\n", " ") for c in cols]
                lines.append("| " + " | ".join(cells) + " |")
        else:
            table = [[_fmt(rec[c]) for c in cols] for rec in shown.to_dict("records")]
            widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(cols)]
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
            for r in table:
                lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
        if n > limit:
            lines.append(f"{'' if markdown else '  '}... and {n - limit} more")
        lines.append("")
    lines += review_signals_text(review.signals, markdown=markdown)
    return "\n".join(lines).rstrip() + "\n"


WIDE = ("reason", "decision")  # the sentence columns: column G, wrapped
WIDE_WIDTH = 60
SHEET_LIMIT = 200  # rows per section: an agenda, not a dump (the full lists are on Actions/Bridge)


def write_review_sheet(wb, review: ReviewData, styles: StyleBook, limit: int = SHEET_LIMIT):
    ws = replace_sheet(wb, REVIEW_SHEET)
    put(ws, 1, 1, _headline(review), styles.get(font=TITLE_FONT))
    put(ws, 2, 1, "The agenda of the weekly demand-signal meeting, from the decision log.",
        styles.get(font=NOTE_FONT))
    head = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER)
    section = styles.get(font=BOLD_FONT)
    top = Alignment(vertical="top")  # a row with a wrapped sentence reads across its top
    plain, wrap = styles.get(alignment=top), styles.get(alignment=WRAP)
    money = styles.get(number_format="#,##0.00", alignment=top)
    r = 4
    widest = 0
    blocks: list[CellBlock] = []  # each section's rows, given column by column
    for key, title in ReviewData.TITLES.items():
        frame = review.sections.get(key, pd.DataFrame())
        put(ws, r, 1, f"{title} ({len(frame)})", section)
        r += 1
        if len(frame) == 0:
            put(ws, r, 1, "none", styles.get(font=NOTE_FONT))
            r += 2
            continue
        cols = list(frame.columns)
        widest = max(widest, len(cols))
        for c, name in enumerate(cols, start=1):
            put(ws, r, c, name, head)
        r += 1
        shown = frame.head(limit)
        blocks.append(_section_block(shown, r, money, wrap, plain))
        r += len(shown)
        if len(frame) > limit:
            where = "Actions" if "action_id" in cols else "Bridge"
            put(ws, r, 1, f"... and {len(frame) - limit} more: see the {where} sheet",
                styles.get(font=NOTE_FONT))
            r += 1
        r += 1
    r = write_review_signals(ws, r, review.signals, styles)
    for c, width in enumerate((16, 14, 14, 14, 14, 14, WIDE_WIDTH), start=1):
        set_width(ws, chr(64 + c), width)
    # a few thousand cells: written without openpyxl's per-cell XML
    cells_to_fast_rows(ws, styles, blocks)
    return ws


def _cell_value(value):
    """What a section's cell shows: a number as itself (money), anything else as text."""
    value = excel_value(value)
    return value if value is None or isinstance(value, float) else str(value)


def _section_block(shown: pd.DataFrame, first_row: int, money, wrap, plain) -> CellBlock:
    """A section's rows as a block of cells, a column at a time: numbers in ``money``,
    text in ``wrap`` (the sentence columns) or ``plain``, each value converted once per
    distinct value; each row tall enough for its wrapped sentences (no overlap)."""
    n = len(shown)
    columns = []
    lines = np.ones(n, dtype=np.int64)
    for c, name in enumerate(shown.columns, start=1):
        raw = shown[name].tolist()
        values = map_distinct(_cell_value, raw)
        numbers = np.fromiter(map(isinstance, values, repeat(float)), dtype=bool, count=n)
        columns.append((c, values, (np.where(numbers, 0, 1),
                                    [money, wrap if name in WIDE else plain])))
        if name in WIDE:
            lines = np.maximum(lines, _wrapped_lines(raw, WIDE_WIDTH))
    heights = [LINE_HEIGHT * k if k > 1 else None for k in lines.tolist()]
    return CellBlock(first_row, n, columns, heights)


def _wrapped_lines(raw: list, width: float) -> np.ndarray:
    """wrapped_lines of each text (1 for anything else), from the lengths of all the texts
    at once (a text with a line break of its own, rare, through wrapped_lines)."""
    texts = np.fromiter(map(isinstance, raw, repeat(str)), dtype=bool, count=len(raw))
    out = np.ones(len(raw), dtype=np.int64)
    where = np.flatnonzero(texts)
    shown = [raw[i] for i in where.tolist()]
    lengths = np.fromiter(map(len, shown), dtype=np.int64, count=len(shown))
    out[where] = np.maximum(1, -(-lengths // max(int(width) - 2, 1)))
    for j in np.flatnonzero(np.fromiter(map(str.__contains__, shown, repeat("\n")),
                                        dtype=bool, count=len(shown))).tolist():
        out[where[j]] = wrapped_lines(shown[j], width)
    return out


def review_renderer(review: ReviewData) -> Renderer:
    """The Review sheet, as a renderer (see :mod:`.canvas`)."""
    def render(canvas: Canvas) -> None:
        write_review_sheet(canvas.wb, review, canvas.styles)
    return render
