"""Stale inputs: warnings when the workbook's data does not match its as-of date
(docs/semantics.md, stale inputs).

- Forecast coverage: a sku × location of Inventory with sku × location Forecast rows in some
  horizon weeks but not all (its baseline is 0 in the others). Sku-locations missing the same
  weeks are reported together, in one warning naming the weeks and one of them.
- Actuals after the as-of week: Actuals rows for the as-of week or later mean as_of is
  behind the data.
- As-of moved, on-hand unchanged: the as-of week moved forward since the previous run while
  every on_hand is as it was (compared through :func:`on_hand_fingerprint`, which the
  decision log keeps per run).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd

from pysnop.core import calendar
from pysnop.core.consensus import monday
from pysnop.core.demand import key_lookup
from pysnop.core.model import PlanInputs
from pysnop.errors import Problem


def _day(value: object) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _row(value: object) -> int | None:
    try:
        row = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return row if row > 0 else None


def forecast_coverage(forecast: pd.DataFrame | None, inventory: pd.DataFrame,
                      as_of: dt.date, horizon_weeks: int) -> list[Problem]:
    """Warnings for sku × locations whose Forecast covers some horizon weeks but not all."""
    if forecast is None or len(forecast) == 0 or len(inventory) == 0 or horizon_weeks <= 0:
        return []
    weeks = calendar.week_mondays(as_of, horizon_weeks)
    keys = pd.DataFrame({"sku": inventory["sku"].astype(object),
                         "location": inventory["location"].astype(object)})
    fc = forecast[forecast["sku"].notna().to_numpy() & forecast["location"].notna().to_numpy()]
    i = key_lookup(keys, fc["sku"].to_numpy(), fc["location"].to_numpy())
    k = calendar.week_index(fc["week"].to_numpy(), weeks[0])
    inside = (i >= 0) & (k >= 0) & (k < horizon_weeks)
    covered = np.zeros((len(keys), horizon_weeks), dtype=bool)
    covered[i[inside], k[inside]] = True
    partial = np.flatnonzero(covered.any(axis=1) & ~covered.all(axis=1))
    if len(partial) == 0:
        return []
    # the Forecast row to point at: the pair's latest row in the horizon
    rows = pd.to_numeric(fc["row"], errors="coerce").to_numpy() if "row" in fc.columns \
        else np.full(len(fc), np.nan)
    last_row = pd.DataFrame({"i": i[inside], "k": k[inside], "row": rows[inside]}) \
        .sort_values("k", kind="stable").groupby("i")["row"].last()
    patterns, group = np.unique(covered[partial], axis=0, return_inverse=True)
    group = np.asarray(group).reshape(-1)
    out = []
    sku, loc = keys["sku"].to_numpy(), keys["location"].to_numpy()
    for g, pattern in enumerate(patterns):
        members = partial[group == g]
        j = int(members[0])
        missing = [_day(w) for w in weeks[~pattern]]
        who = f"sku {sku[j]} at {loc[j]}" if len(members) == 1 else \
            f"{len(members)} sku × locations (e.g. sku {sku[j]} at {loc[j]})"
        out.append(Problem(
            f"Forecast covers {int(pattern.sum())} of {horizon_weeks} horizon weeks for {who}: "
            f"no rows for the week{'s' if len(missing) > 1 else ''} of {', '.join(missing)} "
            "(baseline 0 there)", "Forecast", _row(last_row.get(j)), column="week",
            severity="warning"))
    return out


def actuals_after_as_of(actuals: pd.DataFrame | None, as_of: dt.date) -> list[Problem]:
    """One warning when Actuals hold rows for the as-of week or later."""
    if actuals is None or len(actuals) == 0:
        return []
    week0 = calendar.monday_of(as_of)
    weeks = monday(actuals["week"].to_numpy())
    late = (weeks >= week0).to_numpy()
    if not late.any():
        return []
    latest = weeks[late].max()
    pos = int(np.flatnonzero(late & (weeks == latest).to_numpy())[0])
    row = actuals["row"].iloc[pos] if "row" in actuals.columns else None
    return [Problem(
        f"Actuals has {int(late.sum())} row{'s' if late.sum() > 1 else ''} for the as-of week "
        f"({_day(week0)}) or later, up to the week of {_day(latest)}: as_of "
        f"{_day(as_of)} is behind the data — set Settings as_of", "Actuals", _row(row),
        column="week", severity="warning")]


def on_hand_fingerprint(inventory: pd.DataFrame) -> str:
    """A digest of every (sku, location, on_hand), independent of row order."""
    qty = pd.to_numeric(inventory["on_hand"], errors="coerce").round(9)
    lines = (inventory["sku"].astype(str) + "\t" + inventory["location"].astype(str) + "\t"
             + qty.astype("string").fillna("blank"))
    text = "\n".join(np.sort(lines.to_numpy(dtype=str)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def as_of_moved_on_hand_unchanged(previous_as_of: dt.date | None,
                                  previous_fingerprint: str | None, as_of: dt.date,
                                  inventory: pd.DataFrame) -> list[Problem]:
    """A warning when the as-of week moved forward since the last run but on-hand did not."""
    if previous_as_of is None or not previous_fingerprint:
        return []
    if calendar.monday_of(as_of) <= calendar.monday_of(previous_as_of):
        return []
    if on_hand_fingerprint(inventory) != previous_fingerprint:
        return []
    return [Problem(
        f"as_of moved from {_day(previous_as_of)} to {_day(as_of)} since the last run but no "
        "on_hand changed: refresh Inventory (on_hand is the position at the start of the "
        "as-of week)", "Inventory", column="on_hand", severity="warning")]


def stale_input_warnings(inputs: PlanInputs, previous_as_of: dt.date | None = None,
                         previous_fingerprint: str | None = None) -> list[Problem]:
    """Every stale-input warning for one run (the previous run's as-of and on-hand
    fingerprint come from the decision log; without them that check is skipped)."""
    s = inputs.settings
    as_of = s.resolved_as_of()
    return (forecast_coverage(inputs.forecast, inputs.inventory, as_of, int(s.horizon_weeks))
            + actuals_after_as_of(inputs.actuals, as_of)
            + as_of_moved_on_hand_unchanged(previous_as_of, previous_fingerprint, as_of,
                                            inputs.inventory))
