"""What every action proposer needs from one bridge run, on the Bridge's row order.

``ActionContext`` bundles the projection arrays of a ``BridgeResult`` with the per-row
economics (unit margin, category) looked up from the inputs, the campaigns placed on the
same grid, and the small helpers the proposers share: lost units of a re-projection, the
sentence fragments of a reason, and the Settings values they read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pysnop.core.bridge import resolve_item_economics
from pysnop.core.bridge_math import DECIMALS
from pysnop.core.demand import CampaignGrid, place_campaigns
from pysnop.core.model import BridgeResult, PlanInputs

SUPPLY, MARKETING = "Supply", "Marketing"
UNIT_EPS = 1e-6  # lost units below this are float noise, not a protected sale


@dataclass
class ActionContext:
    inputs: PlanInputs
    result: BridgeResult
    margin: np.ndarray  # unit margin per Bridge row, 0 where unknown
    category: np.ndarray  # object, None where unknown
    grid: CampaignGrid  # campaigns placed on the Bridge's row order
    campaign_names: dict  # campaign_id -> name (or the id when unnamed)
    sku: np.ndarray = None  # object arrays of the Bridge's keys, filled in __post_init__
    location: np.ndarray = None
    campaigns: np.ndarray = None  # summary["campaigns"]: "C1, C2" per row
    _lookup: dict = None
    _week0: pd.Timestamp = None

    def __post_init__(self):
        keys = self.result.keys
        self.sku = keys["sku"].to_numpy(dtype=object)
        self.location = keys["location"].to_numpy(dtype=object)
        self.campaigns = self.result.summary["campaigns"].fillna("").astype(str).to_numpy()
        self._lookup = {}
        for n, key in enumerate(zip(self.sku, self.location)):
            self._lookup.setdefault(key, n)
        self._week0 = self.result.weeks[0] if len(self.result.weeks) else None

    def row_of(self, sku, location) -> np.ndarray:
        """Bridge row of each (sku, location), -1 where the Bridge has none."""
        get = self._lookup.get
        return np.array([get(key, -1) for key in zip(sku, location)], dtype=np.int64)

    @property
    def horizon(self) -> int:
        return self.result.horizon_weeks

    @property
    def week0(self) -> pd.Timestamp:
        return self._week0

    def week(self, index) -> pd.Timestamp:
        return self._week0 + dt.timedelta(days=7 * int(index))

    def first_risk_index(self) -> np.ndarray:
        """Index of each row's first week not OK; -1 for rows that are OK throughout."""
        at_risk = self.result.status > 0
        if at_risk.shape[1] == 0:
            return np.full(at_risk.shape[0], -1)
        return np.where(at_risk.any(axis=1), np.argmax(at_risk, axis=1), -1)

    def setting(self, key: str, default: float) -> float:
        """A number from Settings' extra keys (``transfer_cost_per_unit`` …), matched loosely."""
        wanted = _norm(key)
        for raw, value in self.inputs.settings.extra.items():
            if _norm(raw) == wanted:
                number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
                return default if pd.isna(number) else float(number)
        return default

    def stockout_at(self, row: int) -> str:
        """'the Black Friday stockout at S01', or '… at S01 (campaign C7)' for unnamed ones."""
        ids = [i.strip() for i in self.campaigns[row].split(",") if i.strip()]
        named = [self.campaign_names[i] for i in ids if self.campaign_names.get(i) != i]
        unnamed = [i for i in ids if self.campaign_names.get(i, i) == i]
        text = f"the {' and '.join(named) + ' ' if named else ''}stockout at {self.location[row]}"
        if unnamed:
            text += f" (campaign{'s' if len(unnamed) > 1 else ''} {', '.join(unnamed)})"
        return text

    def campaign_ids(self, row: int) -> str | None:
        ids = self.campaigns[row].strip()
        return ids or None


def build_context(inputs: PlanInputs, result: BridgeResult) -> ActionContext:
    inv = inputs.inventory.reset_index(drop=True)
    economics = resolve_item_economics(inv, inputs.products)
    index = pd.MultiIndex.from_arrays([inv["sku"].astype(object), inv["location"].astype(object)])
    first = ~index.duplicated()
    lookup = pd.Series(np.flatnonzero(first), index=index[first])
    probe = pd.MultiIndex.from_arrays([result.keys["sku"].astype(object),
                                       result.keys["location"].astype(object)])
    pos = lookup.reindex(probe).to_numpy()
    ok = ~pd.isna(pos)
    pos = np.where(ok, pos, 0).astype(np.int64)
    margin = np.where(ok, economics["unit_margin"].to_numpy(dtype=float)[pos], np.nan)
    category = np.where(ok, economics["category"].to_numpy(dtype=object)[pos], None)
    category = np.array([c if isinstance(c, str) and c.strip() else None for c in category],
                        dtype=object)
    grid = place_campaigns(inputs.campaigns, result.keys, inputs.settings.count_statuses,
                           result.weeks[0], result.horizon_weeks)
    camp = inputs.campaigns
    names = {}
    if len(camp):
        raw = camp["name"] if "name" in camp else pd.Series([None] * len(camp))
        for cid, name in zip(camp["campaign_id"], raw):
            names.setdefault(cid, name if isinstance(name, str) and name.strip() else cid)
    return ActionContext(inputs, result, np.nan_to_num(margin, nan=0.0), category, grid, names)


def lost_units(poh: np.ndarray) -> np.ndarray:
    """Units lost over the horizon in a lost-sales run of each row of ``poh`` (SPEC §3)."""
    if poh.shape[-1] == 0:
        return np.zeros(poh.shape[:-1])
    return np.maximum(0.0, -np.round(poh, DECIMALS).min(axis=-1))


def units(value: float) -> str:
    """Units as a planner writes them: 120, 12.5."""
    value = float(value)
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-6 else f"{value:,.1f}"


def percent(fraction: float) -> str:
    """0.35 -> '35%', 0.125 -> '12.5%'."""
    text = f"{100 * float(fraction):.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def day(value) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _norm(key) -> str:
    return str(key).strip().casefold().replace(" ", "_").replace("-", "_")
