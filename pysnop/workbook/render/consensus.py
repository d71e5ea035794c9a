"""The "Consensus" sheet: one row per node of the forecast tree and week.

Columns: level, category, sku, location, week, one column per source, base (the sources
combined with the weights shown in the title), consensus (coherent across the tree),
method, divergent, divergent_sources, override, reason, node. A source more than the
divergence threshold away from the consensus has its cell highlighted amber; an overridden
consensus is bold on blue. To the right, from the header row down, the short list for the
S&OP review: each (node, source) that diverges, worst gap first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from pysnop.workbook.ooxml.fastsheet import FastRows
from pysnop.workbook.ooxml.xlcells import (
    AMBER_FILL,
    AMBER_FONT,
    BOLD_FONT,
    CENTER,
    FMT_DATE,
    FMT_PCT1,
    FMT_UNITS,
    HEADER_BORDER,
    HEADER_FILL,
    NOTE_FONT,
    TITLE_FONT,
    StyleBook,
    as_date,
    as_text,
    put,
    replace_sheet,
    set_width,
)
from pysnop.workbook.render.canvas import Canvas, Renderer

if TYPE_CHECKING:
    from pysnop.core.consensus import Consensus

CONSENSUS_SHEET = "Consensus"
HEADER_ROW = 4
FIRST_DATA_ROW = 5
KEY_COLUMNS = ("level", "category", "sku", "location", "week")
TAIL_COLUMNS = ("base", "consensus", "method", "divergent", "divergent_sources", "override",
                "reason", "node")
REVIEW_COLUMNS = ("node", "source", "weeks", "first_week", "source_units",
                  "consensus_units", "gap")
MAX_REVIEW = 30

OVERRIDE_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
OVERRIDE_FONT = Font(bold=True, color="FF1F4E79")
REVIEW_TITLE_FONT = Font(bold=True, size=12, color="FF9C5700")


def _split(text) -> list[str]:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    return [s.strip() for s in str(text).split(",") if s.strip()]


def review_list(consensus: Consensus) -> pd.DataFrame:
    """Per (node, source) that diverges in some week: weeks flagged, the first one, the
    source's and the consensus's units summed over those weeks and the gap
    (source − consensus) ÷ consensus; worst |gap| first."""
    t = consensus.table
    flagged = t[t["divergent"].fillna(False).astype(bool)]
    sources = [s for s in consensus.sources if s in t.columns]
    if not len(flagged) or not sources:
        return pd.DataFrame(columns=list(REVIEW_COLUMNS))
    pairs = flagged[["node", "week", "consensus", "divergent_sources"]].assign(
        source=flagged["divergent_sources"].map(_split)).explode("source")
    values = flagged[["node", "week"] + sources].melt(
        id_vars=["node", "week"], var_name="source", value_name="s")
    d = pairs.merge(values, on=["node", "week", "source"], how="inner") \
        .rename(columns={"consensus": "c"})[["node", "source", "week", "s", "c"]]
    if not len(d):
        return pd.DataFrame(columns=list(REVIEW_COLUMNS))
    g = d.groupby(["node", "source"], sort=False).agg(
        weeks=("week", "size"), first_week=("week", "min"), source_units=("s", "sum"),
        consensus_units=("c", "sum")).reset_index()
    c = g["consensus_units"]
    g["gap"] = np.where(c.abs() > 1e-9, (g["source_units"] - c) / c.where(c.abs() > 1e-9, 1.0),
                        np.nan)
    g["_order"] = g["gap"].abs().fillna(np.inf)
    g = g.sort_values(["_order", "node", "source"], ascending=[False, True, True],
                      kind="stable")
    return g.drop(columns="_order").reset_index(drop=True)[list(REVIEW_COLUMNS)]


def weights_text(consensus: Consensus) -> str:
    basis = getattr(consensus.weights, "basis", "equal")
    shown = ", ".join(f"{s} {w:.0%}" for s, w in sorted(consensus.weights.items(),
                                                        key=lambda kv: -kv[1]))
    what = {"accuracy": "from each source's recent accuracy (inverse WAPE)",
            "settings": "from Settings", "equal": "equal"}.get(basis, basis)
    return f"weights {what}: {shown}" if shown else f"weights {what}"


def _texts(col: pd.Series) -> list:
    values = col.astype(object).where(col.notna(), None).tolist()
    return [v if v is None or isinstance(v, str) else as_text(v) for v in values]


def _numbers(col: pd.Series) -> list:
    values = pd.to_numeric(col, errors="coerce").astype(float)
    values = values.where(np.isfinite(values))
    return values.astype(object).where(values.notna(), None).tolist()


def _num(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def network_note(dcs: Sequence[str]) -> str:
    """Row 3 of a network's Consensus sheet: where the forecast's leaves are."""
    listed = ", ".join(dcs[:10]) + (f" and {len(dcs) - 10} more" if len(dcs) > 10 else "")
    return ("sku × location rows are the selling locations (stores, online): forecasts above "
            f"them are spread over those only; a DC ({listed}) has a row only where the "
            "Forecast gives it demand of its own")


def write_consensus_sheet(wb, consensus: Consensus, styles: StyleBook, *, settings=None,
                          as_of=None, dcs: Sequence[str] = ()):
    ws = replace_sheet(wb, CONSENSUS_SHEET)
    t = consensus.table
    sources = list(consensus.sources)
    threshold = getattr(settings, "divergence_threshold", None)
    day = as_date(as_of)
    put(ws, 1, 1, f"pysnop consensus · as of {day.isoformat() if day else '?'} · "
                  f"{consensus.method} · {weights_text(consensus)}",
        styles.get(font=TITLE_FONT))
    put(ws, 2, 1, "Legend:", styles.get(font=BOLD_FONT))
    put(ws, 2, 2, "divergent source", styles.get(fill=AMBER_FILL, font=AMBER_FONT,
                                                 alignment=CENTER))
    put(ws, 2, 3, "override", styles.get(fill=OVERRIDE_FILL, font=OVERRIDE_FONT,
                                         alignment=CENTER))
    note = ("a source is divergent when it is more than "
            f"{threshold:.0%} away from the consensus" if threshold is not None
            else "a source is divergent when it is far from the consensus")
    put(ws, 2, 4, note + "; base = the sources combined; consensus = coherent from the "
                         "total down (the bridge's baseline)", styles.get(font=NOTE_FONT))

    columns = list(KEY_COLUMNS) + sources + list(TAIL_COLUMNS)
    col_of = {name: i + 1 for i, name in enumerate(columns)}
    head = styles.get(font=BOLD_FONT, fill=HEADER_FILL, border=HEADER_BORDER)
    for name, c in col_of.items():
        put(ws, HEADER_ROW, c, name, head)

    plain = styles.get()
    date_style = styles.get(number_format=FMT_DATE)
    units = styles.get(number_format=FMT_UNITS)
    amber_units = styles.get(number_format=FMT_UNITS, fill=AMBER_FILL, font=AMBER_FONT)
    amber_text = styles.get(fill=AMBER_FILL, font=AMBER_FONT)
    bold_units = styles.get(number_format=FMT_UNITS, font=BOLD_FONT)
    override_units = styles.get(number_format=FMT_UNITS, fill=OVERRIDE_FILL, font=OVERRIDE_FONT)
    override_text = styles.get(fill=OVERRIDE_FILL, font=OVERRIDE_FONT)

    n = len(t)
    text_cols = {name: _texts(t[name])
                 for name in ("level", "category", "sku", "location", "method", "node")}
    week_ts = pd.to_datetime(t["week"])
    weeks = [None if pd.isna(v) else v.date() for v in week_ts]
    src_vals = {s: _numbers(t[s]) for s in sources}
    base = _numbers(t["base"])
    cons = _numbers(t["consensus"])
    override = _numbers(t["override"])
    divergent = t["divergent"].fillna(False).astype(bool).tolist()
    div_sources = [_split(v) if d else [] for v, d in
                   zip(t["divergent_sources"].tolist(), divergent)]
    reasons = _texts(t["reason"])

    review = review_list(consensus)
    review_col = len(columns) + 2
    shown = review.head(MAX_REVIEW)
    review_rows = []
    pct = styles.get(number_format=FMT_PCT1)
    for rec in shown.itertuples(index=False):
        review_rows.append([
            (review_col, as_text(rec.node), plain), (review_col + 1, as_text(rec.source), plain),
            (review_col + 2, int(rec.weeks), plain),
            (review_col + 3, as_date(rec.first_week), date_style),
            (review_col + 4, _num(rec.source_units), units),
            (review_col + 5, _num(rec.consensus_units), units),
            (review_col + 6, _num(rec.gap), pct)])
    if len(review) > MAX_REVIEW:
        note = f"… and {len(review) - MAX_REVIEW} more: filter column 'divergent' for TRUE"
        review_rows.append([(review_col, note, styles.get(font=NOTE_FONT))])
    if not len(review):
        review_rows.append([(review_col, "no source diverges from the consensus",
                             styles.get(font=NOTE_FONT))])
    put(ws, HEADER_ROW - 1, review_col, "For the S&OP review: divergent sources",
        styles.get(font=REVIEW_TITLE_FONT))
    for k, name in enumerate(REVIEW_COLUMNS):
        put(ws, HEADER_ROW, review_col + k, name, head)

    fast = FastRows(ws, styles)
    for j in range(max(n, len(review_rows))):
        cells = []
        if j < n:
            flagged = div_sources[j]
            has_override = override[j] is not None
            cells = [(col_of["level"], text_cols["level"][j], plain),
                     (col_of["category"], text_cols["category"][j], plain),
                     (col_of["sku"], text_cols["sku"][j], plain),
                     (col_of["location"], text_cols["location"][j], plain),
                     (col_of["week"], weeks[j], date_style)]
            for s in sources:
                v = src_vals[s][j]
                if v is not None:  # empty cells are not written (a big sheet stays fast)
                    cells.append((col_of[s], v, amber_units if s in flagged else units))
            cells += [(col_of["base"], base[j], units),
                      (col_of["consensus"], cons[j],
                       override_units if has_override else bold_units),
                      (col_of["method"], text_cols["method"][j], plain),
                      (col_of["divergent"], bool(divergent[j]),
                       amber_text if divergent[j] else plain),
                      (col_of["divergent_sources"], ", ".join(flagged) or None,
                       amber_text if flagged else plain),
                      (col_of["override"], override[j],
                       override_units if has_override else units),
                      (col_of["reason"], reasons[j], override_text if has_override else plain),
                      (col_of["node"], text_cols["node"][j], plain)]
            cells = [cell for cell in cells if cell[1] is not None or (cell[2] is not plain
                     and cell[2] is not units)]
        if j < len(review_rows):
            cells += review_rows[j]
        fast.add_row(FIRST_DATA_ROW + j, cells)
    if n == 0:
        put(ws, 3, 1, "No forecast to reconcile", styles.get(font=NOTE_FONT))
    elif dcs:  # docs/semantics.md (network): a DC is a leaf only with demand of its own
        put(ws, 3, 1, network_note(dcs), styles.get(font=NOTE_FONT))

    last = get_column_letter(len(columns))
    ws.freeze_panes = f"{get_column_letter(len(KEY_COLUMNS) + 1)}{FIRST_DATA_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(n, 1)}"
    widths = {"level": 12, "category": 14, "sku": 12, "location": 11, "week": 11.5,
              "base": 11, "consensus": 11, "method": 15, "divergent": 10,
              "divergent_sources": 20, "override": 10, "reason": 30, "node": 28}
    for name, c in col_of.items():
        set_width(ws, get_column_letter(c), widths.get(name, max(11, min(len(name) + 2, 20))))
    for k, w in enumerate((28, 14, 7, 11.5, 12, 14, 8)):
        set_width(ws, get_column_letter(review_col + k), w)
    return ws


def consensus_renderer(consensus: Consensus, settings=None, *, as_of=None,
                       dcs: Sequence[str] = ()) -> Renderer:
    """The Consensus sheet, as a renderer (see :mod:`.canvas`); ``dcs``: the network's DCs
    (the sheet then says its leaves are the selling locations)."""
    def render(canvas: Canvas) -> None:
        write_consensus_sheet(canvas.wb, consensus, canvas.styles, settings=settings,
                              as_of=as_of, dcs=dcs)
    return render


__all__ = ["CONSENSUS_SHEET", "consensus_renderer", "network_note", "review_list",
           "write_consensus_sheet"]
