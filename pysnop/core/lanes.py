"""Which transfers are possible, how long they take, what they cost (docs/semantics.md §3,
"Remedies": TRANSFER).

With a Lanes sheet only the listed (from_location, to_location) pairs may ship, each with its
own transit_weeks and cost_per_unit (a blank cell falls back to Settings transfer_lead_weeks /
transfer_cost_per_unit). A pair listed twice counts once, by its first row. Without a Lanes
sheet any location may send to any other, in transfer_lead_weeks, at the Settings cost.
Lanes carry no SKU: a lane serves every SKU both ends stock.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core.model import PlanInputs


def lane_table(lanes: pd.DataFrame | None, lead: int, cost: float) -> pd.DataFrame | None:
    """from_location, to_location, transit (int), cost (float) — one row per pair; None when
    there is no Lanes sheet (any pair may ship)."""
    if lanes is None or len(lanes) == 0:
        return None
    frm = lanes["from_location"].astype(object).map(_code)
    to = lanes["to_location"].astype(object).map(_code)
    transit, price = (pd.to_numeric(lanes[col], errors="coerce") if col in lanes
                      else pd.Series(np.nan, index=lanes.index)
                      for col in ("transit_weeks", "cost_per_unit"))
    table = pd.DataFrame({
        "from_location": frm.to_numpy(dtype=object), "to_location": to.to_numpy(dtype=object),
        "transit": np.maximum(np.round(transit.fillna(lead).to_numpy(dtype=float)), 0)
        .astype(np.int64),
        "cost": price.fillna(cost).to_numpy(dtype=float)})
    table = table[table["from_location"].notna() & table["to_location"].notna()
                  & (table["from_location"] != table["to_location"])]
    return table.drop_duplicates(["from_location", "to_location"]).reset_index(drop=True)


def transfer_arcs(sku: NDArray[Any], location: NDArray[Any], donors: NDArray[np.int64],
                  receivers: NDArray[np.int64], table: pd.DataFrame | None, lead: int,
                  cost: float) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64],
                                        NDArray[np.float64]]:
    """(from row, to row, transit weeks, cost per unit) of every possible donor → receiver
    transfer of the same SKU, rows being Bridge rows."""
    d = pd.DataFrame({"sku": sku[donors], "from_location": location[donors],
                      "d": donors.astype(np.int64)})
    r = pd.DataFrame({"sku": sku[receivers], "to_location": location[receivers],
                      "r": receivers.astype(np.int64)})
    pairs = d.merge(r, on="sku")
    pairs = pairs[pairs["d"] != pairs["r"]].sort_values(["d", "r"], kind="stable")
    if table is None:
        transit = np.full(len(pairs), max(int(lead), 0), dtype=np.int64)
        price = np.full(len(pairs), float(cost))
    else:
        pairs = pairs.merge(table, on=["from_location", "to_location"])
        transit, price = pairs["transit"].to_numpy(np.int64), pairs["cost"].to_numpy(float)
    return (pairs["d"].to_numpy(np.int64), pairs["r"].to_numpy(np.int64),
            np.asarray(transit, dtype=np.int64), np.asarray(price, dtype=float))


def lane_transit(inputs: PlanInputs, from_location: Any, to_location: Any) -> int:
    """Weeks a transfer from one location to another takes (the lane's, else Settings')."""
    lead = max(int(inputs.settings.transfer_lead_weeks), 0)
    table = lane_table(inputs.lanes, lead, 0.0)
    if table is None:
        return lead
    hit = table[(table["from_location"] == _code(from_location))
                & (table["to_location"] == _code(to_location))]
    return int(hit["transit"].iloc[0]) if len(hit) else lead


def _code(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None
