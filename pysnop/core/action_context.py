"""What every action proposer needs from one bridge run, on the Bridge's row order.

``ActionContext`` bundles the projection arrays of a ``BridgeResult`` with the per-row
economics (unit margin per week, category) looked up from the inputs, the campaigns placed on
the same grid, and the small helpers the proposers share: Settings values, deadlines, the
sentence fragments of a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core.bridge import resolve_item_economics
from pysnop.core.bridge_math import DECIMALS
from pysnop.core.demand import CampaignGrid, place_campaigns
from pysnop.core.model import BridgeResult, PlanInputs, Settings
from pysnop.core.valuation import weekly_margin

SUPPLY, MARKETING = "Supply", "Marketing"
UNIT_EPS = 1e-6  # lost units below this are float noise, not a protected sale


@dataclass
class ActionContext:
    inputs: PlanInputs
    result: BridgeResult
    margin: NDArray[np.float64]  # regular unit margin per Bridge row, 0 where unknown
    category: NDArray[Any]  # object, None where unknown
    grid: CampaignGrid  # campaigns placed on the Bridge's row order
    campaign_names: dict[Any, Any]  # campaign_id -> name (or the id when unnamed)
    margin_week: NDArray[np.float64]  # (rows, weeks) unit margin per week: the valuation hook
    sku: NDArray[Any] = field(init=False)
    location: NDArray[Any] = field(init=False)
    campaigns: NDArray[Any] = field(init=False)  # summary["campaigns"]: "C1, C2" per row
    cache: dict[str, Any] = field(default_factory=dict)  # per-run lookups proposers share
    _lookup: dict[tuple[Any, Any], int] = field(init=False)

    def __post_init__(self) -> None:
        keys = self.result.keys
        self.sku = keys["sku"].to_numpy(dtype=object)
        self.location = keys["location"].to_numpy(dtype=object)
        self.campaigns = self.result.summary["campaigns"].fillna("").astype(str).to_numpy()
        self._lookup = {}
        for n, key in enumerate(zip(self.sku, self.location)):
            self._lookup.setdefault(key, n)

    def row_of(self, sku: Any, location: Any) -> NDArray[np.int64]:
        """Bridge row of each (sku, location), -1 where the Bridge has none."""
        get = self._lookup.get
        return np.array([get(key, -1) for key in zip(sku, location)], dtype=np.int64)

    @property
    def horizon(self) -> int:
        return self.result.horizon_weeks

    @property
    def week0(self) -> pd.Timestamp:
        return pd.Timestamp(self.result.weeks[0])

    @property
    def as_of(self) -> pd.Timestamp:
        return pd.Timestamp(self.result.as_of)

    @property
    def settings(self) -> Settings:
        return self.inputs.settings

    def week(self, index: Any) -> pd.Timestamp:
        return self.week0 + dt.timedelta(days=7 * int(index))

    def weeks(self, index: NDArray[np.int64]) -> pd.DatetimeIndex:
        """Mondays of week indexes (relative to week 0), as datetime64[ns]."""
        days = np.datetime64(self.week0.date(), "D") + 7 * np.asarray(index, dtype=np.int64)
        return pd.DatetimeIndex(days.astype("datetime64[ns]"))

    def deadline(self, index: NDArray[np.int64]) -> pd.DatetimeIndex:
        """act_by of a proposal: the Monday of week ``index``, never before the as-of date.

        A deadline in the as-of week (or computed before it) reads as the as-of date itself:
        act now. docs/semantics.md, "Deadlines".
        """
        mondays = self.weeks(index)
        return pd.DatetimeIndex(np.maximum(mondays.to_numpy(), self.as_of.to_datetime64()))

    def first_risk_index(self) -> NDArray[np.int64]:
        """Index of each row's first week not OK; -1 for rows that are OK throughout."""
        at_risk = self.result.status > 0
        if at_risk.shape[1] == 0:
            return np.full(at_risk.shape[0], -1, dtype=np.int64)
        return np.where(at_risk.any(axis=1), np.argmax(at_risk, axis=1), -1).astype(np.int64)

    def gap(self) -> NDArray[np.float64]:
        """max(0, threshold − poh) per row and week: how far each week is below threshold."""
        if "gap" not in self.cache:
            res = self.result
            self.cache["gap"] = np.maximum(np.round(res.threshold - res.poh, DECIMALS), 0.0)
        out: NDArray[np.float64] = self.cache["gap"]
        return out

    def setting(self, key: str, default: float) -> float:
        """A number from Settings' extra keys (``transfer_cost_per_unit`` …), matched loosely."""
        wanted = _norm(key)
        for raw, value in self.inputs.settings.extra.items():
            if _norm(raw) == wanted:
                number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
                return default if pd.isna(number) else float(number)
        return default

    def whole_setting(self, key: str) -> int:
        """A whole-number Settings field; a same-named extra key wins (a reader that does not
        know the key yet leaves it among the extras)."""
        default = float(getattr(self.inputs.settings, key))
        return max(round(self.setting(key, default)), 0)

    def product_value(self, column: str, sku: NDArray[Any]) -> NDArray[Any]:
        """Products' ``column`` for each SKU (first Products row of the SKU); None where blank."""
        prod = self.inputs.products
        if prod is None or column not in prod.columns or len(prod) == 0:
            return np.full(len(sku), None, dtype=object)
        first = prod.drop_duplicates("sku")
        lookup = pd.Series(first[column].to_numpy(dtype=object),
                           index=first["sku"].astype(str).to_numpy())
        got = lookup.reindex(pd.Index(np.asarray(sku).astype(str)))
        shown = got.map(lambda v: None if _blank(v) else v).astype(object)
        values: NDArray[np.object_] = shown.to_numpy()
        return values

    def stockout_at(self, row: int) -> str:
        """'the Black Friday stockout at S01', or '… at S01 (campaign C7)' for unnamed ones."""
        said: dict[int, str] = self.cache.setdefault("stockout_at", {})
        text = said.get(row)
        if text is None:
            text = said[row] = self._stockout_at(row)
        return text

    def _stockout_at(self, row: int) -> str:
        head, tail = self._stockout_words(self.campaigns[row])
        return f"{head}{self.location[row]}{tail}"

    def _stockout_words(self, campaigns: str) -> tuple[str, str]:
        """What a stockout phrase says around its location, for a row's campaigns text (made
        once per distinct text)."""
        said: dict[str, tuple[str, str]] = self.cache.setdefault("stockout_words", {})
        words = said.get(campaigns)
        if words is None:
            words = said[campaigns] = self._say_stockout_words(campaigns)
        return words

    def _say_stockout_words(self, campaigns: str) -> tuple[str, str]:
        ids = [i.strip() for i in campaigns.split(",") if i.strip()]
        named = [self.campaign_names[i] for i in ids if self.campaign_names.get(i) != i]
        unnamed = [i for i in ids if self.campaign_names.get(i, i) == i]
        head = f"the {' and '.join(named) + ' ' if named else ''}stockout at "
        tail = f" (campaign{'s' if len(unnamed) > 1 else ''} {', '.join(unnamed)})" \
            if unnamed else ""
        return head, tail

    def stockouts_at(self, rows: NDArray[np.int64]) -> list[str]:
        """:meth:`stockout_at` of many rows: the words around the location are made once per
        distinct campaigns text, not once per row."""
        rows = np.asarray(rows, dtype=np.int64)
        code, texts = pd.factorize(self.campaigns[rows])
        words = [self._stockout_words(t) for t in texts]
        head = np.array([w[0] for w in words] or [""], dtype=object)[code].tolist()
        tail = np.array([w[1] for w in words] or [""], dtype=object)[code].tolist()
        return [f"{h}{loc}{t}" for h, loc, t in zip(head, self.location[rows].tolist(), tail)]

    def campaign_ids(self, row: int) -> str | None:
        ids = str(self.campaigns[row]).strip()
        return ids or None

    def campaign_ids_of(self, rows: NDArray[np.int64]) -> NDArray[np.object_]:
        """:meth:`campaign_ids` of many rows (None where a row has none)."""
        if "campaign_ids" not in self.cache:
            ids = np.char.strip(self.campaigns.astype(str)).astype(object)
            ids[ids == ""] = None
            self.cache["campaign_ids"] = ids
        out: NDArray[np.object_] = self.cache["campaign_ids"][np.asarray(rows, dtype=np.int64)]
        return out


def build_context(inputs: PlanInputs, result: BridgeResult,
                  margin_week: NDArray[np.float64] | None = None) -> ActionContext:
    """The context of one run; ``margin_week`` (rows × weeks, Bridge order) overrides the
    regular unit margin week by week (the promo-margin hook)."""
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
    raw = np.where(ok, economics["category"].to_numpy(dtype=object)[pos], None)
    category = np.array([c if isinstance(c, str) and c.strip() else None for c in raw],
                        dtype=object)
    grid = place_campaigns(inputs.campaigns, result.keys, inputs.settings.count_statuses,
                           result.weeks[0], result.horizon_weeks)
    camp = inputs.campaigns
    names: dict[Any, Any] = {}
    if len(camp):
        given = camp["name"] if "name" in camp else pd.Series([None] * len(camp))
        for cid, name in zip(camp["campaign_id"], given):
            names.setdefault(cid, name if isinstance(name, str) and name.strip() else cid)
    regular = np.nan_to_num(margin, nan=0.0)
    return ActionContext(inputs, result, regular, category, grid, names,
                         weekly_margin(regular, result.horizon_weeks, margin_week))


def units(value: float) -> str:
    """Units as a planner writes them: 120, 12.5."""
    value = float(value)
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-6 else f"{value:,.1f}"


def units_text(values: Any) -> list[str]:
    """:func:`units` of many values: which are whole is decided on the array."""
    v = np.asarray(values, dtype=float).reshape(-1)
    whole = (np.abs(v - np.round(v)) < 1e-6).tolist()
    return [f"{x:,.0f}" if w else f"{x:,.1f}" for x, w in zip(v.tolist(), whole)]


def percents(fractions: Any) -> list[str]:
    """:func:`percent` of many fractions, each distinct one formatted once."""
    values, code = np.unique(np.asarray(fractions, dtype=float).reshape(-1), return_inverse=True)
    said = np.array([percent(v) for v in values.tolist()] or [""], dtype=object)
    out: list[str] = said[code.reshape(-1)].tolist()
    return out


def join_by(text: Any, owner: NDArray[np.int64], size: int, empty: Any = "") -> NDArray[Any]:
    """', '-joined ``text`` per owner 0..size-1, in the order given (``empty`` where an owner
    has none): one join per owner on Python strings, no pandas groupby."""
    out = np.full(size, empty, dtype=object)
    owner = np.asarray(owner, dtype=np.int64)
    if len(owner) == 0:
        return out
    order = np.argsort(owner, kind="stable")
    o = owner[order]
    words = np.asarray(text).astype(str)[order].tolist()
    starts = np.flatnonzero(np.concatenate([[True], o[1:] != o[:-1]]))
    ends = np.append(starts[1:], len(o)).tolist()
    joined = [", ".join(words[a:b]) for a, b in zip(starts.tolist(), ends)]
    out[o[starts]] = np.array(joined, dtype=object)
    return out


def percent(fraction: float) -> str:
    """0.35 -> '35%', 0.125 -> '12.5%'."""
    text = f"{100 * float(fraction):.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def day(value: Any) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def days(values: Any) -> NDArray[np.str_]:
    """ISO dates of many datetimes at once (NaT -> 'NaT')."""
    arr: NDArray[np.datetime64] = pd.DatetimeIndex(values).to_numpy(dtype="datetime64[ns]")
    return np.datetime_as_string(arr, unit="D")


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (tuple, list)):
        return len(value) == 0
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _norm(key: Any) -> str:
    return str(key).strip().casefold().replace(" ", "_").replace("-", "_")
