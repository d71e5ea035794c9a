"""The Actions sheet's lines: one decision per risk, its alternatives below it.

:func:`sheet_lines` turns the Actions rows (proposals with their decisions) and the run's
risks into the lines the sheet shows, in order (docs/semantics.md, "Risks and decisions"):

risk line      one per risk, in the risks' rank order: what the decision is about (the
               sku × location, or the campaign and its locations), its first risk week,
               shortfall, lost units and margin at risk, its deadline, and what can fix it —
               or "nothing can fix this: …". Its ``option`` cell holds the risk_id, its
               ``type`` cell the headline, its ``covers`` cell the state of the decision:
               covered (the approved alternatives close every gap), partly covered, open, or
               nothing to approve; its ``reason`` cell what can fix it.
alternative    the risk's proposals, ranked (recommended first, by net value); ``option`` is
               1, 2, … among the recommended ones, "not recommended" for one that loses money
               (never first); ``covers`` says how much of the shortfall it removes on its own.
group line     "not proposed any more": rows kept for the record (Obsolete, exported actions
               the run no longer proposes), after every risk.

A risk line or group line has no action_id: reading the sheet back skips it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pysnop.core.coordination import BINDING, Coverage, risk_covered
from pysnop.core.decisions import OBSOLETE, parse_status
from pysnop.workbook.ooxml.cell_text import map_distinct

RISK, ACTION, GROUP = "risk", "action", "group"
NOT_RECOMMENDED = "not recommended"
COVERED, PARTLY, OPEN, NOTHING = "covered", "partly covered", "open", "nothing to approve"
GROUP_TEXT = "Not proposed any more: kept for the record (the decision log has every run)"


def sheet_lines(rows: pd.DataFrame, risks: pd.DataFrame | None,
                cover: pd.DataFrame | Coverage | None = None) -> pd.DataFrame:
    """The lines of the Actions sheet, in order, with a ``line`` column (risk / action /
    group); see the module doc. Without ``risks`` the rows are listed as they are."""
    rows = rows.reset_index(drop=True).copy()
    rows["line"] = ACTION
    if risks is None or (len(risks) == 0 and not _has(rows, "risk_id")):
        rows["option"] = _options(rows)
        return rows
    risks = risks.sort_values("rank", kind="stable").reset_index(drop=True) \
        if "rank" in risks else risks.reset_index(drop=True)
    if "risk_id" not in rows:
        rows["risk_id"] = None
    known = set(risks["risk_id"].astype(str))
    risk_of = _each(rows["risk_id"], _risk_key)
    status = _parsed_status(rows)
    gone = status.eq(OBSOLETE).to_numpy() if "status" in rows \
        else np.zeros(len(rows), dtype=bool)
    mine = risk_of.isin(known).to_numpy() & ~gone  # Obsolete rows: with the record
    rank = pd.to_numeric(rows["rank"], errors="coerce") if "rank" in rows else \
        pd.Series(np.arange(len(rows)), dtype=float)
    rows["option"] = _options(rows)
    rows["covers"] = _covers_text(rows, risks)
    state = _states(rows, risks, cover, status)
    position = {r: n for n, r in enumerate(risks["risk_id"].astype(str))}
    grouped = rows[mine].assign(_risk=risk_of[mine].map(position), _rank=rank[mine])
    grouped = grouped.sort_values(["_risk", "_rank"], kind="stable")
    heads = risk_lines(risks, state) if len(risks) else pd.DataFrame([])
    heads["_risk"] = np.arange(len(heads))
    heads["_rank"] = -np.inf
    ordered = pd.concat([heads, grouped], ignore_index=True) \
        .sort_values(["_risk", "_rank"], kind="stable")
    rest = rows[~mine]
    parts = [ordered.drop(columns=["_risk", "_rank"])]
    if len(rest):
        parts += [pd.DataFrame([{"line": GROUP, "type": GROUP_TEXT}]), rest]
    return pd.concat(parts, ignore_index=True)


def _options(rows: pd.DataFrame) -> pd.Series:
    """1, 2, … among a risk's recommended alternatives (net value ≥ 0) in rank order;
    "not recommended" for the ones that lose money."""
    if len(rows) == 0:
        return pd.Series([], dtype=object)
    net = pd.to_numeric(rows["net_value"], errors="coerce") if "net_value" in rows else \
        pd.Series(np.nan, index=rows.index)
    recommended = (net >= 0).to_numpy() | net.isna().to_numpy()
    rank = pd.to_numeric(rows["rank"], errors="coerce") if "rank" in rows else \
        pd.Series(np.arange(len(rows)), dtype=float)
    risk = _each(rows["risk_id"], _risk_key).fillna("") if "risk_id" in rows \
        else pd.Series("", index=rows.index)
    order = pd.DataFrame({"risk": risk, "rank": rank, "rec": recommended})
    order = order.sort_values(["risk", "rank"], kind="stable")
    numbers = order[order["rec"]].groupby("risk", sort=False).cumcount() + 1
    out = pd.Series(None, index=rows.index, dtype=object)
    out[numbers.index] = [str(int(n)) for n in numbers]
    out[~recommended] = NOT_RECOMMENDED
    return out


def _covers_text(rows: pd.DataFrame, risks: pd.DataFrame) -> pd.Series:
    """'all of it' or 'X of Y units' per alternative (what it removes of its risk's
    shortfall on its own)."""
    need = pd.Series(pd.to_numeric(risks["shortfall_units"], errors="coerce").to_numpy(),
                     index=risks["risk_id"].astype(str))
    if not need.index.is_unique or len(rows) == 0:
        return _covers_text_rows(rows, need)
    risk = _col_text(rows, "risk_id").where(_present_in(rows, "risk_id"), None)
    units = _col_number(rows, "covers_units")
    shortfall = risk.map(need.to_dict())
    known = risk.isin(need.index).to_numpy() & units.notna().to_numpy()
    whole = (_present_in(rows, "covers_risk") & _col_flag(rows, "covers_risk")).to_numpy()
    part = _each(units, "{:,.0f}".format) + " of " \
        + _each(shortfall.astype(float), "{:,.0f}".format) + " units"
    said = _col(rows, "covers")  # read back from the sheet: as it was written
    said = said.where(_present_in(rows, "covers"), None)
    out = np.where(whole, "all of it", np.where(known, part.to_numpy(dtype=object),
                                                said.to_numpy(dtype=object)))
    return pd.Series(out, index=rows.index, dtype=object)


def _covers_text_rows(rows: pd.DataFrame, need: pd.Series) -> pd.Series:
    """_covers_text row by row, for risks whose ids repeat (not a run's own risks)."""
    used = [c for c in ("risk_id", "covers_units", "covers_risk", "covers") if c in rows]
    out: list[str | None] = []
    for rec in rows[used].to_dict("records"):
        risk = str(rec.get("risk_id")) if _present(rec.get("risk_id")) else None
        units = _number(rec.get("covers_units"))
        if _present(rec.get("covers_risk")) and _flag(rec.get("covers_risk")):
            out.append("all of it")
        elif risk in need.index and units is not None:
            out.append(f"{units:,.0f} of {float(need[risk]):,.0f} units")
        else:
            out.append(rec.get("covers") if _present(rec.get("covers")) else None)
    return pd.Series(out, index=rows.index, dtype=object)


def _parsed_status(rows: pd.DataFrame) -> pd.Series:
    """parse_status of every row's status, parsing each distinct status once."""
    if "status" not in rows:
        return pd.Series(None, index=rows.index, dtype=object)
    codes, uniques = pd.factorize(rows["status"])
    parsed = np.array([parse_status(u) for u in uniques] + [parse_status(None)], dtype=object)
    return pd.Series(parsed[codes], index=rows.index, dtype=object)  # NA's code -1: blank


def _states(rows: pd.DataFrame, risks: pd.DataFrame,
            cover: pd.DataFrame | Coverage | None, status: pd.Series) -> dict[str, str]:
    """covered / partly covered / open / nothing to approve, per risk (``status``: each
    row's parsed status)."""
    chosen = rows[status.isin(BINDING).to_numpy()]
    by_risk: dict[str, set[str]] = {}
    for risk, action in zip(chosen["risk_id"], chosen["action_id"]):
        if _present(risk):
            by_risk.setdefault(str(risk), set()).add(str(action))
    # built only when some risk has a chosen alternative (a fresh plan has none)
    coverage = None if not by_risk else \
        cover if isinstance(cover, Coverage) or cover is None else Coverage.of(cover)
    out = {}
    used = [c for c in ("risk_id", "alternatives") if c in risks]
    for rec in risks[used].to_dict("records"):
        risk = str(rec["risk_id"])
        picked = by_risk.get(risk, set())
        if not _number(rec.get("alternatives")) and not picked:
            out[risk] = NOTHING
        elif not picked:
            out[risk] = OPEN
        elif coverage is None or risk_covered(coverage, picked, risk):
            out[risk] = COVERED
        else:
            out[risk] = PARTLY
    return out


def risk_lines(risks: pd.DataFrame, state: dict[str, str]) -> pd.DataFrame:
    """The risk lines: each risk's headline in ``type`` (it runs over the blank cells to its
    right), its state in ``covers`` (``state`` by str(risk_id)), what can fix it in
    ``reason`` — built column by column (thousands of risks on a big workbook)."""
    ids = risks["risk_id"].tolist()
    n = len(ids)
    return pd.DataFrame({
        "line": [RISK] * n, "option": ids, "type": risk_headlines(risks).tolist(),
        "covers": [state.get(str(r), OPEN) for r in ids],
        "reason": risk_remedies_all(risks).tolist(), "status": [None] * n, "risk_id": ids})


def risk_headlines(risks: pd.DataFrame) -> pd.Series:
    """What each decision is about, when, how much: '000311 at S01: STOCKOUT from
    2026-11-23 · short 84 units · 84 lost · margin at risk 3,519.96 · act by 2026-11-02
    (too late to order)'."""
    n = len(risks)
    sku, where = _col_text(risks, "sku"), _col_text(risks, "location")
    dc = _col_text(risks, "dc")
    has_dc = (_present_in(risks, "dc") & _col(risks, "dc").map(bool).astype(bool)).to_numpy()
    kind = _col(risks, "kind").to_numpy(dtype=object)
    campaign = kind == "campaign"
    network = (kind == "network") & has_dc & ~campaign
    draft = _col_flag(risks, "draft").to_numpy()
    plain = sku + " at " + where
    camp = (pd.Series(np.where(draft, "Draft campaign ", "Campaign "), dtype=object)
            + _col_text(risks, "campaign_id") + ", " + plain
            + pd.Series(np.where(draft, " if confirmed", ""), dtype=object)
            + pd.Series(np.where(has_dc, " (through " + dc + ")", ""), dtype=object))
    net = plain + ": " + dc + " and the locations it leaves short"
    what = pd.Series(np.where(campaign, camp, np.where(network, net, plain)), dtype=object)
    status_raw = _col(risks, "status")
    status = pd.Series(np.where(status_raw.map(bool).astype(bool).to_numpy(),
                                _col_text(risks, "status"), "AT RISK"), dtype=object)
    text = what + ": " + status + " from " + _col_day(risks, "first_risk_week") \
        + " · short " + _col_units(_col_number(risks, "shortfall_units")) + " units"
    lost = _col_number(risks, "lost_units")
    margin = _col_number(risks, "margin_at_risk").fillna(0.0)
    margin = _each(margin.where(margin != 0, 0.0), "{:,.2f}".format)
    lost_text = " · " + _col_units(lost) + " lost · margin at risk " + margin
    text = text + pd.Series(np.where((lost.fillna(0.0) > 1e-6).to_numpy(), lost_text,
                                     " · no sale lost"), dtype=object)
    act = _col_day(risks, "act_by")
    late = pd.Series(np.where(_col_flag(risks, "too_late").to_numpy(),
                              " (too late to order)", ""), dtype=object)
    text = text + pd.Series(np.where(act.ne("").to_numpy(), " · act by " + act + late, ""),
                            dtype=object)
    return text.set_axis(risks.index) if n else pd.Series([], dtype=object)


def risk_remedies_all(risks: pd.DataFrame) -> pd.Series:
    """What can fix each risk: its alternatives and the best one, or why nothing can."""
    note = _col_text(risks, "note")
    has_note = _present_in(risks, "note").to_numpy()
    n = np.trunc(_col_number(risks, "alternatives").fillna(0.0).to_numpy()).astype(np.int64)
    rec = np.trunc(_col_number(risks, "recommended").fillna(0.0).to_numpy()).astype(np.int64)
    count = pd.Series(n).map(str)
    text = count + pd.Series(np.where(n != 1, " alternatives below", " alternative below"),
                             dtype=object)
    best = _col_text(risks, "best_action_id")
    text = text + pd.Series(np.where(_present_in(risks, "best_action_id").to_numpy(),
                                     ", best " + best, ""), dtype=object)
    losing = pd.Series(n - rec).map(str)
    text = text + pd.Series(np.where(rec < n, "; " + losing + pd.Series(np.where(
        n - rec == 1, " not recommended (it loses money)",
        " not recommended (they lose money)"), dtype=object), ""), dtype=object)
    text = text + pd.Series(np.where(has_note, "; " + note, ""), dtype=object) \
        + ". Approve the one you choose: the others it makes unnecessary become Superseded."
    nothing = has_note & note.str.startswith("nothing can fix it").to_numpy(dtype=bool)
    told = "Nothing can fix this: " + note.str.split(": ", n=1).str[-1] + "."
    capital = note.str[:1].str.upper() + note.str[1:] + "."
    out = np.where(nothing, told, np.where(has_note & (n == 0), capital, text))
    return pd.Series(out, index=risks.index, dtype=object)


def _col(risks: pd.DataFrame, name: str) -> pd.Series:
    """A column as plain Python objects (None where the frame has no such column)."""
    if name in risks:
        return pd.Series(risks[name].to_numpy(dtype=object), dtype=object)
    return pd.Series([None] * len(risks), dtype=object)


def _col_text(risks: pd.DataFrame, name: str) -> pd.Series:
    """str() of every value, as an f-string shows it."""
    return _each(_col(risks, name), str)


def _col_present(values: pd.Series) -> pd.Series:
    """:func:`_present` of a column of Python objects."""
    blank = _each(values, _blank_text) if len(values) else values.astype(bool)
    return (values.notna() & ~blank.astype(bool)).astype(bool)


def _present_in(frame: pd.DataFrame, name: str) -> pd.Series:
    """:func:`_present` of a column of ``frame`` (all False when it has none)."""
    if name not in frame:
        return pd.Series(np.zeros(len(frame), dtype=bool))
    column = frame[name]
    if pd.api.types.is_string_dtype(column) and not pd.api.types.is_object_dtype(column):
        return pd.Series((column.notna() & column.str.strip().ne("")).to_numpy(dtype=bool))
    if column.dtype.kind in "biufcmM":
        return pd.Series(column.notna().to_numpy(dtype=bool))
    return _col_present(_col(frame, name))


def _col_number(risks: pd.DataFrame, name: str) -> pd.Series:
    """:func:`_number` of a column: float, NaN where it is not a number."""
    if name in risks and pd.api.types.is_numeric_dtype(risks[name]):
        return pd.Series(risks[name].to_numpy(dtype=float), dtype=float)
    return _col(risks, name).map(_number).astype(float)


def _col_flag(risks: pd.DataFrame, name: str) -> pd.Series:
    """:func:`_flag` of a column."""
    if name in risks and pd.api.types.is_bool_dtype(risks[name]):
        return pd.Series(risks[name].to_numpy(dtype=bool))
    return _col(risks, name).map(_flag).astype(bool)


def _col_units(values: pd.Series) -> pd.Series:
    """Units as the sheet shows them: whole (or ≥ 100) without decimals, else one."""
    f = values.fillna(0.0)
    f = f.where(f != 0, 0.0)  # as `x or 0.0`: no "-0"
    return _each(f, _units_text).reset_index(drop=True)


def _col_day(risks: pd.DataFrame, name: str) -> pd.Series:
    """:func:`_day` of a column: yyyy-mm-dd, "" where blank."""
    if name in risks and pd.api.types.is_datetime64_any_dtype(risks[name]):
        days = risks[name].dt.strftime("%Y-%m-%d")
        return pd.Series(days.to_numpy(dtype=object), dtype=object).where(
            days.notna().to_numpy(), "")
    return _col(risks, name).map(_day)


def _each(values: pd.Series, func) -> pd.Series:
    """``values.map(func)``, ``func`` called once per distinct value (as
    :func:`~pysnop.workbook.ooxml.cell_text.map_distinct` tells them apart)."""
    return pd.Series(map_distinct(func, values.tolist()), index=values.index, dtype=object)


def _risk_key(value: Any) -> str | None:
    return str(value) if _present(value) else None


def _blank_text(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def _units_text(f: float) -> str:
    """Whole (or >= 100) without decimals, else one (as round() to the nearest even)."""
    return f"{f:,.0f}" if abs(f - round(f)) < 1e-6 or abs(f) >= 100 else f"{f:,.1f}"


def _has(rows: pd.DataFrame, column: str) -> bool:
    return column in rows and rows[column].map(_present).any()


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):
        return True


def _number(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().casefold() in ("true", "1", "yes")
    return _present(value) and bool(value)


def _day(value: Any) -> str:
    if not _present(value):
        return ""
    try:
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    except (TypeError, ValueError):
        return str(value)


__all__ = ["ACTION", "GROUP", "NOT_RECOMMENDED", "RISK", "risk_headlines", "risk_lines",
           "risk_remedies_all", "sheet_lines"]
