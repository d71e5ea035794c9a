"""The domain's data: typed inputs (as read from the planner's sheets) and the bridge result.

Inputs are pandas DataFrames with canonical column names. Every input frame may carry a
``row`` column: the 1-based Excel row the record came from, so that warnings raised by the
engine can point a planner at the line to fix (-1 or missing when built from Python).

Canonical input frames (dtype notes in brackets; text columns hold Python ``str``):

inventory   sku, location [str]; on_hand, safety_stock [float, safety_stock 0 if blank];
            lead_time_weeks, unit_cost, unit_price, unit_margin [float, NaN = blank];
            category [str or None]; row; optional network columns, blank = the Locations
            value: role [str], supplied_by [str, "direct" = direct store delivery],
            transit_weeks [float], pack_size [float NaN = blank]
locations   location [str]; role [str or None: store, dc, online; None = store];
            supplied_by [str or None; None = orders from its supplier itself];
            transit_weeks [float, NaN = 1]; row
campaigns   campaign_id, sku [str]; start, end [datetime64, midnight, inclusive];
            lift [float fraction]; status [str, "Planned" if blank];
            locations [tuple of str; () = every location stocking the sku];
            name, channel, owner [str or None];
            optional economics (columns may be absent; NaN = blank): promo_price [float,
            the unit price while the campaign runs], discount [float fraction off
            unit_price, used when promo_price is blank], spend [float, marketing money
            behind the campaign], funding [float, vendor funding per unit sold in it];
            planned_lift [float] only after a lift source other than "planned" replaced
            ``lift`` (see pysnop.core.learned_lift); row
receipts    sku, location [str]; due [datetime64]; qty [float]; po_id, status [str or None]; row
forecast    sku, location [str or None; None = higher level]; week [datetime64, any day];
            units [float]; source, category [str or None]; row
products    sku [str]; category, description [str or None];
            unit_cost, unit_price, unit_margin [float NaN = blank]; pack_size [float NaN = blank,
            optional]; row
            optional: moq, order_multiple [float NaN = blank] (new supplier orders);
            substitutes [tuple of str; () = same category] (SKUs SHIFT_SKU may feature)
lanes       from_location, to_location [str]; transit_weeks [int, NaN = transfer_lead_weeks];
            cost_per_unit [float, NaN = Settings transfer_cost_per_unit]; row.
            None: no Lanes sheet, any location may send to any other.
campaigns   optional: earliest_start, latest_start [datetime64, NaT = blank]: the window
            marketing can live with (MOVE_WINDOW stays inside it)
actuals     sku, location [str]; week [datetime64]; units [float];
            on_hand_end [float NaN]; stockout [bool or None]; row
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pysnop.errors import Problem

if TYPE_CHECKING:
    from pysnop.core.network import NetworkProjection

STATUS_OK, STATUS_AT_RISK, STATUS_STOCKOUT = 0, 1, 2
STATUS_LABELS = np.array(["OK", "AT RISK", "STOCKOUT"], dtype=object)

RECONCILIATION_METHODS = ("bottom_up", "top_down", "mint_ols", "mint_wls_struct", "none")
LIFT_SOURCES = ("planned", "learned", "cautious")


@dataclass(frozen=True)
class Settings:
    """The Settings sheet, with its defaults."""

    as_of: dt.date | None = None  # None: today, resolved when the engine runs
    horizon_weeks: int = 8
    count_statuses: tuple[str, ...] = ("Planned", "Confirmed")
    risk_buffer: float = 0.25
    transfer_lead_weeks: int = 1
    expedite_min_weeks: int = 1
    expedite_cost_per_unit: float = 0.0
    reconciliation: str = "mint_wls_struct"
    divergence_threshold: float = 0.2
    nonnegative: bool = True  # reconciled forecasts never below zero (docs/semantics.md)
    lift_source: str = "planned"  # planned | learned | cautious: the lift the bridge projects
    expedite_max_weeks: int = 4  # the most weeks an open receipt may be pulled in
    max_move_weeks: int = 2  # MOVE_WINDOW's reach for a campaign without flexibility dates
    extra: dict[str, Any] = field(default_factory=dict)  # keys pysnop does not know, kept

    def resolved_as_of(self) -> dt.date:
        return self.as_of if self.as_of is not None else dt.date.today()


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


INVENTORY_COLUMNS = ["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                     "unit_cost", "unit_price", "unit_margin", "category", "row"]
CAMPAIGN_COLUMNS = ["campaign_id", "sku", "start", "end", "lift", "status", "locations",
                    "name", "channel", "owner", "row"]
# optional Campaigns economics (docs/semantics.md): the engine reads them where present
CAMPAIGN_ECONOMICS_COLUMNS = ["promo_price", "discount", "spend", "funding"]
RECEIPT_COLUMNS = ["sku", "location", "due", "qty", "po_id", "status", "row"]
FORECAST_COLUMNS = ["sku", "location", "week", "units", "source", "category", "row"]
PRODUCT_COLUMNS = ["sku", "category", "description", "unit_cost", "unit_price", "unit_margin",
                   "row"]
ACTUAL_COLUMNS = ["sku", "location", "week", "units", "on_hand_end", "stockout", "row"]
LOCATION_COLUMNS = ["location", "role", "supplied_by", "transit_weeks", "row"]
# optional per sku-location overrides of the Locations sheet, and the DC's pack for a store
INVENTORY_NETWORK_COLUMNS = ["role", "supplied_by", "transit_weeks", "pack_size"]
LANE_COLUMNS = ["from_location", "to_location", "transit_weeks", "cost_per_unit", "row"]
PRODUCT_ORDER_COLUMNS = ["moq", "order_multiple", "substitutes"]  # optional on products
CAMPAIGN_FLEX_COLUMNS = ["earliest_start", "latest_start"]  # optional on campaigns


@dataclass
class PlanInputs:
    """Everything the engine needs, already typed and validated."""

    settings: Settings
    inventory: pd.DataFrame
    forecast: pd.DataFrame
    campaigns: pd.DataFrame = field(default_factory=lambda: _empty(CAMPAIGN_COLUMNS))
    receipts: pd.DataFrame = field(default_factory=lambda: _empty(RECEIPT_COLUMNS))
    products: pd.DataFrame | None = None
    actuals: pd.DataFrame | None = None
    locations: pd.DataFrame | None = None  # the network (docs/semantics.md, network)
    lanes: pd.DataFrame | None = None  # LANE_COLUMNS; None = no Lanes sheet


@dataclass
class BridgeResult:
    """The projection for every sku-location (rows) and week (columns).

    Arrays are float64 (status int8) of shape (n_sku_locations, horizon_weeks), row order
    = ``keys`` order = Inventory order.
    """

    as_of: dt.date
    weeks: pd.DatetimeIndex  # Mondays of weeks 0..H-1
    keys: pd.DataFrame  # sku, location, row (Inventory row, -1 for an added DC row), role
    baseline: np.ndarray
    lift_units: np.ndarray
    demand: np.ndarray
    receipts: np.ndarray
    poh: np.ndarray
    threshold: np.ndarray
    status: np.ndarray
    promo: np.ndarray  # bool: a counted campaign touches this sku-location in this week
    # summary: sku, location, status, first_risk_week, min_projected, shortfall_units,
    # lost_units, margin_at_risk, wasted_spend, act_by, too_late (act_by before week 0),
    # campaigns, row, role, supplied_by (the feeding DC, "direct", or None), risk_cause
    # ("own shortfall", "DC fair share", "short for S01, S03" on a DC row, "" when OK),
    # short_for (a DC row's fed locations at risk because of it, "S01, S03")
    summary: pd.DataFrame
    # campaign supply check, one row per Campaigns row (same order): campaign_id, row,
    # supply_status, coverage, max_supportable_lift, earliest_safe_start, margin_at_risk, note
    # (+ promo_margin, lift_units, unserved_lift_units, unserved_lift_share, wasted_spend:
    # pysnop.core.economics)
    campaign_check: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)
    # units lost in each week of the lost-sales run (n × H, rows as poh; sums to lost_units),
    # and the unit margin each week's sales earn (promo margin in promo weeks; docs/semantics.md,
    # promotion economics)
    lost_weekly: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    margin_weekly: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # the distribution plan's per-week arrays when some location is fed by a DC, else None
    network: NetworkProjection | None = None

    @property
    def horizon_weeks(self) -> int:
        return len(self.weeks)

    def to_long(self) -> pd.DataFrame:
        """One row per sku, location and week, in the column order of ``bridge.csv``."""
        n, h = self.poh.shape
        frame = pd.DataFrame({
            "sku": np.repeat(self.keys["sku"].to_numpy(dtype=object), h),
            "location": np.repeat(self.keys["location"].to_numpy(dtype=object), h),
            "week": np.tile(self.weeks.strftime("%Y-%m-%d").to_numpy(dtype=object), n),
        })
        for name in ("baseline", "lift_units", "demand", "receipts"):
            frame[name] = getattr(self, name).reshape(-1)
        frame["projected_on_hand"] = self.poh.reshape(-1)
        frame["threshold"] = self.threshold.reshape(-1)
        frame["status"] = STATUS_LABELS[self.status.reshape(-1)]
        if self.network is not None:
            self._network_long(frame)
        return frame

    def _network_long(self, frame: pd.DataFrame) -> None:
        """The distribution plan's columns, so that each row adds up week by week
        (docs/semantics.md, network): projected_on_hand = the week before (on_hand before
        week 0) + receipts + from_dc − to_fed − demand.

        role, supplied_by (after location); from_dc: what arrives from its DC (fed rows);
        to_fed: what its fed locations ask of a DC for that week when every request is met
        (the DC row's plan); dc_shipped: what the DC ships under fair share; dc_fill: the
        share of its requests and direct demand it meets (1 = all).
        """
        net = self.network
        assert net is not None
        n, h = self.poh.shape
        by_key = self.summary.set_index(["sku", "location"])
        index = pd.MultiIndex.from_frame(self.keys[["sku", "location"]])
        supplied = by_key["supplied_by"].reindex(index).to_numpy(dtype=object) \
            if "supplied_by" in by_key else np.full(n, None, dtype=object)
        at = frame.columns.get_loc("location") + 1
        frame.insert(at, "role", np.repeat(self.keys["role"].to_numpy(dtype=object), h))
        frame.insert(at + 1, "supplied_by", np.repeat(supplied, h))
        frame["from_dc"] = net.shipments.reshape(-1)
        frame["to_fed"] = net.dc_requested_unconstrained.reshape(-1)
        frame["dc_shipped"] = net.dc_shipped.reshape(-1)
        frame["dc_fill"] = np.where(net.topology.feeds[:, None], net.dc_fraction,
                                    np.nan).reshape(-1)
