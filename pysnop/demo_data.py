"""The demo's records: a DC-served chain in its holiday season (see :mod:`pysnop.demo`).

Everything here is plain data or arithmetic on it — no random generator — so the demo
workbook is the same, byte for byte, on every machine and every numpy. The story rows
(earbuds, the air fryer event, the wreaths, the robot kits, the throw blanket) are set by
hand; the other rows follow one rule that keeps them comfortably stocked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field

AS_OF = dt.date(2026, 11, 18)  # a Wednesday, ISO week 47
WEEK0 = AS_OF - dt.timedelta(days=AS_OF.weekday())  # Monday 2026-11-16
HORIZON = 8
HISTORY_WEEKS = 16  # Actuals (and the forecast that stood) from Mon 2026-07-27 to 2026-11-09
RISK_BUFFER = 0.25


def monday(week: int) -> dt.date:
    """The Monday of week ``week`` (0 = the as-of week; negative = history)."""
    return WEEK0 + dt.timedelta(weeks=week)


def _d(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


# ----------------------------------------------------------------------------- the network

# location, role, supplied_by, transit_weeks (DC to it), name
LOCATIONS = [
    ("DC1", "dc", None, None, "Central DC (Columbus)"),
    ("S01", "store", "DC1", 1, "Downtown flagship"),
    ("S02", "store", "DC1", 1, "Eastgate mall"),
    ("S03", "store", "DC1", 1, "Riverside"),
    ("S04", "store", "DC1", 1, "Northfield"),
    ("S05", "store", "DC1", 2, "Lakeside (two weeks by road)"),
    ("WEB", "online", "DC1", 0, "Web shop, shipped from DC1"),
]
STORES = ["S01", "S02", "S03", "S04", "S05"]
SELLING = [*STORES, "WEB"]
TRANSIT = {loc: transit for loc, _role, _dc, transit, _name in LOCATIONS if transit is not None}
# relative volume: S01 the flagship, S05 small; WEB sells like a large store
SIZE = {"S01": 1.4, "S02": 1.0, "S03": 0.8, "S04": 1.1, "S05": 0.6, "WEB": 1.5}

# from, to, transit_weeks, cost_per_unit: the store-to-store transfers the trucks can make
LANES = [
    ("S01", "S02", 1, 0.50), ("S02", "S01", 1, 0.50),
    ("S03", "S04", 1, 0.75), ("S04", "S03", 1, 0.75),
    ("S04", "S05", 1, 1.20), ("S01", "S05", 1, 2.00),
]

# name, function, account (the OS login that proves it is them)
APPROVERS = [
    ("Sam Ortiz", "Supply", "sortiz"),
    ("Lee Chen", "Supply", "lchen"),
    ("Dana Whitfield", "Marketing", "dwhitfield"),
    ("Priya Nair", "Marketing", "pnair"),
]

# ----------------------------------------------------------------------------- the products


@dataclass(frozen=True)
class Item:
    sku: str
    category: str
    description: str
    unit_cost: float
    unit_price: float
    level: float                     # baseline units a week at a standard store
    pack_size: int | None = None     # units per case DC1 ships to a store
    moq: int | None = None           # supplier order rules
    order_multiple: int | None = None
    substitutes: str | None = None
    dsd: bool = False                # direct store delivery: the supplier delivers each store
    where: tuple[str, ...] = tuple(SELLING)


ITEMS = [
    Item("000311", "Electronics", "Wireless earbuds", 28.00, 69.99, 14, 6, 120, 60, "000318"),
    Item("000318", "Electronics", "Bluetooth speaker", 21.00, 49.99, 8, 4, 48, 24),
    Item("000184", "Toys", "Robot building kit", 18.00, 39.99, 10, 4, 48, 12),
    Item("000191", "Toys", "Plush reindeer 30cm", 6.00, 14.99, 14, 12, 144, 72),
    Item("000459", "Home", "Air fryer 5L", 41.00, 89.99, 5, 2, 24, 12,
         where=("S01", "S02", "S04", "S05", "WEB")),
    Item("000452", "Home", "Scented candle trio", 7.50, 19.99, 16, 8, 96, 48),
    Item("000466", "Home", "Cozy throw blanket", 12.00, 29.99, 10, 4, 48, 24),
    Item("000577", "Apparel", "Cashmere-blend scarf", 14.00, 39.99, 7, 6, 60, 30),
    Item("000584", "Apparel", "Knit beanie", 4.50, 14.99, 12, 12, 144, 72),
    Item("000820", "Seasonal", "Fresh pine wreath 60cm", 11.00, 34.99, 9, None, 12, 6,
         dsd=True, where=tuple(STORES)),
    Item("000827", "Seasonal", "Poinsettia 6in pot", 3.20, 9.99, 15, None, 24, 12,
         dsd=True, where=tuple(STORES)),
]
ITEM = {item.sku: item for item in ITEMS}

# holiday seasonality of the 8 horizon weeks (Mon 2026-11-16 … 2027-01-04), and of the
# 16 history weeks before them (late summer into autumn)
SEASON = [1.00, 1.10, 1.10, 1.15, 1.25, 1.35, 0.90, 0.70]
HISTORY_SEASON = [0.80, 0.80, 0.85, 0.85, 0.85, 0.90, 0.90, 0.90,
                  0.90, 0.95, 0.95, 0.95, 1.00, 1.00, 1.00, 1.00]
# the wreaths and poinsettias sell from late November to Christmas, and hardly after
SEASONAL_CURVE = [0.60, 1.00, 1.30, 1.40, 1.40, 1.20, 0.20, 0.10]

# ----------------------------------------------------------------------------- the calendar


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    sku: str
    start: dt.date
    end: dt.date
    lift: float
    status: str
    locations: str | None
    channel: str
    owner: str
    promo_price: float | None = None
    discount: float | None = None
    spend: float | None = None
    funding: float | None = None
    earliest_start: dt.date | None = None
    latest_start: dt.date | None = None
    realised: float | None = None   # a past campaign: the lift the Actuals show


CAMPAIGNS = [
    # past campaigns (their Actuals teach the learned lift)
    Campaign("MKT-2609-01", "Labor Day tech deals — earbuds", "000311", _d(9, 7), _d(9, 13),
             0.50, "Confirmed", "ALL", "Email + Web", "Dana Whitfield", discount=0.15,
             spend=4000, realised=0.45),
    Campaign("MKT-2609-02", "Back-to-school STEM week — robot kit", "000184", _d(9, 14),
             _d(9, 20), 0.25, "Confirmed", "ALL", "Social", "Priya Nair", discount=0.10,
             spend=3000, realised=1.00),
    Campaign("MKT-2610-01", "Fall toy catalogue — robot kit", "000184", _d(10, 5), _d(10, 11),
             0.30, "Confirmed", "ALL", "Catalogue + Web", "Priya Nair", discount=0.10,
             spend=3500, realised=0.80),
    # the season ahead
    Campaign("MKT-2611-01", "Black Friday week doorbuster — earbuds", "000311", _d(11, 23),
             _d(11, 29), 1.00, "Confirmed", "ALL", "TV + Social", "Dana Whitfield",
             promo_price=49.99, spend=18000, funding=4.00),
    Campaign("MKT-2611-02", "Cyber week online exclusive — earbuds", "000311", _d(11, 30),
             _d(12, 6), 0.60, "Confirmed", "WEB", "Web", "Priya Nair", promo_price=54.99,
             spend=6000),
    Campaign("MKT-2611-03", "Black Friday kitchen event — air fryer", "000459", _d(11, 23),
             _d(11, 29), 0.80, "Planned", "S01; S05", "In-store", "Marco Ruiz",
             discount=0.15, spend=2500, earliest_start=_d(11, 23), latest_start=_d(12, 14)),
    Campaign("MKT-2612-01", "Holiday gift guide — robot kit", "000184", _d(12, 1), _d(12, 20),
             0.30, "Planned", "ALL", "Catalogue + Web", "Priya Nair", discount=0.10,
             spend=9000),
    Campaign("MKT-2612-02", "Poinsettia 3 for 2 (not signed off)", "000827", _d(12, 7),
             _d(12, 20), 0.25, "Draft", "S01; S04", "In-store", "Marco Ruiz", discount=0.20,
             spend=800),
    Campaign("MKT-2612-03", "Wreath & poinsettia weekend", "000820", _d(11, 30), _d(12, 6),
             0.50, "Planned", "ALL", "In-store", "Marco Ruiz", promo_price=29.99, spend=1500),
    Campaign("MKT-2612-04", "Stocking stuffers — beanies", "000584", _d(12, 7), _d(12, 13),
             0.20, "Planned", "ALL", "In-store", "Marco Ruiz", discount=0.25),
    Campaign("MKT-2612-05", "Boxing Day candle clearance", "000452", _d(12, 26), _d(12, 31),
             0.30, "Cancelled", "ALL", "Email", "Marco Ruiz", discount=0.40),
]

# ----------------------------------------------------------------------------- the story rows

# Baselines set by hand (horizon weeks 0..7) where the story needs exact numbers; the test
# of the DC's fair share works them through by hand.
BASELINE = {
    ("000311", "S01"): [18, 20, 20, 20, 24, 24, 14, 10],
    ("000311", "S02"): [14, 14, 14, 16, 18, 18, 10, 8],
    ("000311", "S03"): [10, 12, 12, 12, 14, 14, 8, 6],
    ("000311", "S04"): [14, 16, 16, 16, 18, 20, 12, 8],
    ("000311", "S05"): [8, 8, 8, 8, 10, 10, 6, 4],
    ("000311", "WEB"): [20, 24, 24, 24, 28, 30, 18, 12],
    ("000459", "S01"): [7, 8, 8, 8, 9, 9, 6, 5],
    ("000459", "S04"): [5, 6, 6, 6, 7, 7, 5, 4],
    ("000459", "S05"): [3, 3, 3, 3, 4, 4, 3, 2],
    ("000466", "S01"): [14, 15, 15, 16, 18, 19, 13, 10],
}

# The robot kit's forecast for the 16 history weeks, flat: the learned-lift test works its two
# past campaigns by hand from these (65 units a week across the six locations)
HISTORY_LEVEL = {("000184", "S01"): 15, ("000184", "S02"): 10, ("000184", "S03"): 10,
                 ("000184", "S04"): 10, ("000184", "S05"): 5, ("000184", "WEB"): 15}

# (sku, location) -> on_hand, safety_stock, lead_time_weeks (None: the rule below)
POSITION = {
    # earbuds: DC1 can serve the doorbuster's first week, not the second
    ("000311", "DC1"): (240, 30, 3),
    ("000311", "S01"): (30, 6, 1),
    ("000311", "S02"): (22, 6, 1),
    ("000311", "S03"): (16, 6, 1),
    ("000311", "S04"): (24, 6, 1),
    ("000311", "S05"): (24, 4, 1),
    ("000311", "WEB"): (30, 10, 0),
    # robot kits: enough for marketing's +30% gift guide until PO-88290 lands, not for the
    # +60% the last two robot-kit campaigns teach
    ("000184", "DC1"): (360, 40, 3),
    # the kitchen event: S01 holds a week's sales and DC1 ships it the rest; S05 (two weeks
    # from DC1) runs out in the event's week unless S04, which has spare, sends some
    ("000459", "S01"): (16, 3, 1),
    ("000459", "S04"): (14, 2, 1),
    ("000459", "S05"): (5, 2, 1),
    # the throw blanket at the flagship: a week's forecast plus safety stock — which the
    # demand shift (actuals 1.8× the forecast) eats in week 0
    ("000466", "S01"): (20, 6, 1),
    # the wreaths at S03 and S05 run out in the weekend's week; S03 can still order
    ("000820", "S03"): (14, 3, 1),
    ("000820", "S05"): (9, 2, 2),
}

# po_id, sku, location, due, qty, status
RECEIPTS = [
    ("PO-88213", "000191", "DC1", _d(11, 11), 120, "Open"),          # past due: counts now
    ("PO-88240", "000584", "DC1", _d(11, 17), 144, "Received"),      # booked in: ignored
    ("PO-88251", "000452", "DC1", _d(11, 20), 192, "Confirmed"),
    ("PO-88262", "000311", "DC1", _d(12, 9), 600, "Confirmed"),      # earbuds: pull it in
    ("PO-88266", "000311", "DC1", _d(1, 13, 2027), 1200, "Confirmed"),  # the next season's buy
    ("PO-88271", "000184", "DC1", _d(11, 25), 96, "In transit"),
    ("PO-88275", "000577", "DC1", _d(12, 3), 60, "Confirmed"),
    ("PO-88290", "000184", "DC1", _d(12, 23), 192, "Confirmed"),     # robot kits for January
    ("PO-88284", "000466", "DC1", _d(12, 4), 72, "Confirmed"),
    ("PO-88292", "000459", "DC1", _d(12, 2), 24, "Confirmed"),
    ("PO-88301", "000318", "DC1", _d(12, 11), 48, "Confirmed"),
    ("PO-88312", "000827", "S01", _d(11, 26), 48, "Confirmed"),      # the grower's delivery
    ("PO-88313", "000827", "S04", _d(11, 26), 36, "Confirmed"),
    ("PO-88318", "000820", "S01", _d(12, 2), 24, "Cancelled"),       # cancelled: ignored
]

# Actuals: past campaigns realise their ``realised`` lift; these cells differ from that rule
STOCKOUT_WEEKS = {("000311", "S05", _d(9, 7))}  # Labor Day sold S05 out: censored
DEMAND_SHIFT = ("000466", "S01", 1.8)  # the throw blanket went viral at the flagship


# ----------------------------------------------------------------------------- arithmetic


def wobble(*key: object) -> float:
    """A fixed pseudo-random number in [-1, 1] for ``key`` (sha256, so the same everywhere)."""
    digest = hashlib.sha256("|".join(map(str, key)).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 0xFFFFFFFF * 2 - 1


def level(sku: str, loc: str) -> float:
    return ITEM[sku].level * SIZE[loc]


def baseline(sku: str, loc: str) -> list[int]:
    """The Forecast's units for the 8 horizon weeks."""
    if (sku, loc) in BASELINE:
        return list(BASELINE[(sku, loc)])
    curve = SEASONAL_CURVE if ITEM[sku].dsd else SEASON
    return [max(1, round(level(sku, loc) * s * (1 + 0.06 * wobble(sku, loc, w))))
            for w, s in enumerate(curve)]


def history_forecast(sku: str, loc: str) -> list[int]:
    """The forecast that stood for the 16 history weeks (the Forecast sheet's past rows)."""
    if (sku, loc) in HISTORY_LEVEL:
        return [HISTORY_LEVEL[(sku, loc)]] * HISTORY_WEEKS
    if ITEM[sku].dsd:  # the grower's SKUs start selling in November
        return [max(0, round(level(sku, loc) * (0.1 if w < 14 else 0.4)))
                for w in range(HISTORY_WEEKS)]
    return [max(1, round(level(sku, loc) * s * (1 + 0.05 * wobble(sku, loc, "f", w))))
            for w, s in enumerate(HISTORY_SEASON)]


def window_share(start: dt.date, end: dt.date, week_monday: dt.date) -> float:
    """Days of [start, end] inside the week of ``week_monday``, ÷ 7 (docs/semantics.md §1)."""
    lo = max(start, week_monday)
    hi = min(end, week_monday + dt.timedelta(days=6))
    return max(0, (hi - lo).days + 1) / 7


def in_scope(campaign: Campaign, loc: str) -> bool:
    if campaign.locations is None or campaign.locations.strip().upper() in ("", "ALL"):
        return loc in SELLING
    return loc in {p.strip() for p in campaign.locations.replace(";", ",").split(",")}


def actual(sku: str, loc: str, week: int, forecast: int) -> int:
    """Units sold in history week ``week`` (0..15) against the forecast that stood.

    A past campaign's week sells forecast × (1 + its realised lift). Any other week misses
    the forecast by ±k units, alternately (+k in even weeks, −k in odd ones): any 4 weeks
    in a row, or two even and two odd ones, sum to the forecast exactly, so the tracking
    signal of the last 4 weeks is 0 and a learned-lift baseline (the mean of the 4 clean
    weeks before a campaign) is the forecast. Only DEMAND_SHIFT's row runs away from it.
    """
    day = monday(week - HISTORY_WEEKS)
    lift = sum(c.realised * window_share(c.start, c.end, day) for c in CAMPAIGNS
               if c.realised is not None and c.sku == sku and in_scope(c, loc))
    sku_s, loc_s, ratio = DEMAND_SHIFT
    if (sku, loc) == (sku_s, loc_s) and week >= HISTORY_WEEKS - 4:
        return round(forecast * ratio)
    if lift:
        return round(forecast * (1 + lift))
    k = round(0.08 * forecast)
    return max(0, forecast + (k if week % 2 == 0 else -k))


@dataclass
class Row:
    """One Inventory row."""

    sku: str
    location: str
    on_hand: int
    safety_stock: int
    lead_time_weeks: int
    supplied_by: str | None = None  # only where it differs from Locations (DSD: "direct")
    extra: dict[str, object] = field(default_factory=dict)


def inventory_rows() -> list[Row]:
    """Inventory: the story positions, and the rule for every other row.

    The rule keeps a row OK: a fed location holds what it sells until DC1's first shipment
    arrives (its transit) plus its safety stock and a week's cover; DC1 holds a little over
    what its locations will ask for in the horizon, less its open POs; a DSD row holds its
    horizon's demand (the grower delivers the season up front).
    """
    rows: list[Row] = []
    for item in ITEMS:
        dc_need = 0.0
        for loc in item.where:
            base = baseline(item.sku, loc)
            lift = _lift_units(item.sku, loc)
            demand = [b + u for b, u in zip(base, lift)]
            safety = max(1, round(0.4 * level(item.sku, loc)))
            if (item.sku, loc) in POSITION:
                on_hand, safety, lead = POSITION[(item.sku, loc)]
            elif item.dsd:
                on_hand, lead = math.ceil(sum(demand) + safety + 0.3 * max(demand)), 1
            else:
                transit = TRANSIT[loc]
                on_hand = math.ceil(sum(demand[:transit]) + safety + 0.3 * max(demand) + 1)
                lead = 1
            rows.append(Row(item.sku, loc, on_hand, safety, lead,
                            "direct" if item.dsd else None))
            dc_need += sum(demand) + safety
        if item.dsd:
            continue
        if (item.sku, "DC1") in POSITION:
            on_hand, safety, lead = POSITION[(item.sku, "DC1")]
        else:
            inbound = sum(qty for _po, sku, loc, due, qty, status in RECEIPTS
                          if sku == item.sku and loc == "DC1" and due < monday(HORIZON)
                          and status not in ("Received", "Cancelled"))
            safety = round(0.15 * dc_need)
            on_hand = max(0, math.ceil(1.1 * dc_need + safety - inbound))
            lead = 3
        rows.insert(len(rows) - len(item.where), Row(item.sku, "DC1", on_hand, safety, lead))
    return rows


def _lift_units(sku: str, loc: str) -> list[float]:
    """Planned lift units of the campaigns not cancelled over the horizon (docs/semantics.md §1)."""
    base = baseline(sku, loc)
    out = [0.0] * HORIZON
    for c in CAMPAIGNS:
        # a Draft counts too: stock is bought for what marketing may confirm
        if c.sku != sku or c.status == "Cancelled" or not in_scope(c, loc):
            continue
        for w in range(HORIZON):
            out[w] += base[w] * c.lift * window_share(c.start, c.end, monday(w))
    return out


__all__ = ["APPROVERS", "AS_OF", "CAMPAIGNS", "HISTORY_WEEKS", "HORIZON", "ITEM", "ITEMS",
           "LANES", "LOCATIONS", "RECEIPTS", "RISK_BUFFER", "SELLING", "STORES", "WEEK0",
           "Campaign", "Item", "Row", "actual", "baseline", "history_forecast",
           "inventory_rows", "monday"]
