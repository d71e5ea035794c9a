"""The demo workbook and the blank planner template.

``python -m pysnop.demo workbooks/`` (re)writes ``workbooks/demo.xlsx`` and
``workbooks/template.xlsx``. Both are deterministic: a seeded RNG, fixed dates and fixed
file metadata, so regenerating them gives byte-identical files.

The demo is a retail holiday season (as of Wednesday 2026-11-18, week 47): 36 SKUs in five
categories, five stores and a DC, a marketing calendar from Black Friday to the New Year,
open purchase orders, and a Notes sheet of the planner's own. The on-hand positions are
tuned with a small in-module projection that follows SPEC §3, so that after the bridge runs
the demo shows every status — a handful of STOCKOUTs and AT RISKs among mostly OK lines — with
some risks already too late to order (act_by in the past) and some still orderable.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

__all__ = ["build_demo", "build_template", "main", "DEMO_AS_OF", "DEMO_CAMPAIGN_COUNT"]

DEMO_AS_OF = dt.date(2026, 11, 18)  # a Wednesday, ISO week 47
WEEK0 = DEMO_AS_OF - dt.timedelta(days=DEMO_AS_OF.weekday())  # Monday 2026-11-16
HORIZON = 8
RISK_BUFFER = 0.25
COUNT_STATUSES = ("Planned", "Confirmed")
SEED = 20261118
FIXED_TIMESTAMP = dt.datetime(2026, 11, 18, 8, 0, 0)

# ----------------------------------------------------------------------------- styling

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", start_color="1F4E78", end_color="1F4E78")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
SUBTITLE_FONT = Font(italic=True, color="595959")
NOTE_FONT = Font(italic=True, color="7F7F7F")
THIN = Side(style="thin", color="BFBFBF")
HEADER_BORDER = Border(bottom=Side(style="medium", color="1F4E78"))
DATE_FMT = "yyyy-mm-dd"
MONEY_FMT = "#,##0.00"
UNITS_FMT = "#,##0"

# ----------------------------------------------------------------------------- contract

SETTINGS_ROWS = [
    # key, demo value, template (spec default) value, meaning
    ("as_of", DEMO_AS_OF, None, "planning date; blank = today. Week 0 is the week that contains it"),
    ("horizon_weeks", 8, 8, "weeks projected (weeks 0..H-1)"),
    ("count_statuses", "Planned, Confirmed", "Planned, Confirmed",
     "campaign statuses that create demand"),
    ("risk_buffer", RISK_BUFFER, 0, "extra cushion, fraction of the week's incremental promo units"),
    ("transfer_lead_weeks", 1, 1, "weeks for a store-to-store / DC transfer to arrive"),
    ("expedite_min_weeks", 1, 1, "earliest week an open receipt can be pulled into"),
    ("expedite_cost_per_unit", 0.8, 0, "cost used to value expedites, per unit"),
    ("reconciliation", "mint_wls_struct", "mint_wls_struct",
     "bottom_up, top_down, mint_ols, mint_wls_struct or none"),
    ("divergence_threshold", 0.2, 0.2, "source vs consensus gap that is flagged"),
]

PRODUCT_HEADERS = ["sku", "category", "description", "unit_cost", "unit_price"]
APPROVERS = [{"name": "Sam Ortiz", "function": "Supply"},
             {"name": "Lee Chen", "function": "Supply"},
             {"name": "Dana Whitfield", "function": "Marketing"},
             {"name": "Priya Nair", "function": "Marketing"}]
INVENTORY_HEADERS = ["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                     "unit_cost", "unit_price", "category"]
FORECAST_HEADERS = ["sku", "location", "week", "units"]
CAMPAIGN_HEADERS = ["campaign_id", "name", "sku", "start", "end", "lift", "status",
                    "locations", "channel", "owner"]
RECEIPT_HEADERS = ["po_id", "sku", "location", "due", "qty", "status"]

COLUMN_WIDTHS = {
    "sku": 10, "location": 10, "category": 13, "description": 30, "unit_cost": 11,
    "unit_price": 11, "on_hand": 10, "safety_stock": 13, "lead_time_weeks": 16, "week": 12,
    "units": 9, "campaign_id": 13, "name": 32, "start": 12, "end": 12, "lift": 8,
    "status": 11, "locations": 13, "channel": 16, "owner": 16, "po_id": 13, "due": 12,
    "qty": 9, "key": 24, "value": 20, "meaning": 70,
}

# ----------------------------------------------------------------------------- demo data

# (category, description, unit_cost, unit_price, base weekly units at a standard store)
CATALOGUE = [
    ("Toys", "Robot building kit", 18.00, 39.99, 9),
    ("Toys", "Plush reindeer 30cm", 6.00, 14.99, 16),
    ("Toys", "Wooden train set", 22.00, 49.99, 6),
    ("Toys", "Family board game", 11.00, 24.99, 12),
    ("Toys", "RC stunt car", 16.00, 34.99, 8),
    ("Toys", "Art & craft studio", 9.00, 21.99, 10),
    ("Toys", "Fashion doll playset", 13.00, 29.99, 9),
    ("Electronics", "Wireless earbuds", 28.00, 69.99, 11),
    ("Electronics", "Bluetooth speaker", 21.00, 49.99, 8),
    ("Electronics", "Smartwatch", 62.00, 149.00, 5),
    ("Electronics", "4K streaming stick", 19.00, 39.99, 10),
    ("Electronics", "Gaming headset", 24.00, 59.99, 6),
    ("Electronics", "Power bank 20000mAh", 12.00, 29.99, 13),
    ("Electronics", "Instant camera", 38.00, 79.99, 4),
    ("Electronics", "Smart LED bulb 4-pack", 14.00, 34.99, 9),
    ("Home", "Scented candle trio", 7.50, 19.99, 18),
    ("Home", "Cast iron dutch oven", 34.00, 79.99, 4),
    ("Home", "Cozy throw blanket", 12.00, 29.99, 12),
    ("Home", "Espresso machine", 95.00, 219.00, 2),
    ("Home", "Stemless wine glasses (4)", 8.00, 19.99, 10),
    ("Home", "Air fryer 5L", 41.00, 89.99, 6),
    ("Home", "Holiday string lights 10m", 5.50, 14.99, 20),
    ("Apparel", "Cashmere-blend scarf", 14.00, 39.99, 8),
    ("Apparel", "Knit beanie", 4.50, 14.99, 15),
    ("Apparel", "Fleece pajama set", 11.00, 29.99, 11),
    ("Apparel", "Wool socks 3-pack", 5.00, 16.99, 17),
    ("Apparel", "Puffer vest", 26.00, 69.99, 5),
    ("Apparel", "Leather gloves", 13.00, 34.99, 7),
    ("Apparel", "Ugly holiday sweater", 12.00, 34.99, 9),
    ("Beauty", "Perfume gift set", 24.00, 59.99, 7),
    ("Beauty", "Skincare advent calendar", 31.00, 69.00, 5),
    ("Beauty", "Lip balm trio", 3.00, 9.99, 19),
    ("Beauty", "Hair dryer pro", 45.00, 119.00, 3),
    ("Beauty", "Bath bomb collection", 6.00, 17.99, 13),
    ("Beauty", "Men's grooming kit", 15.00, 39.99, 6),
    ("Beauty", "Nail polish set", 5.50, 16.99, 11),
]
CATEGORY_BASE = {"Toys": 184, "Electronics": 311, "Home": 452, "Apparel": 577, "Beauty": 703}

LOCATIONS = ["S01", "S02", "S03", "S04", "S05", "DC1"]
STORES = LOCATIONS[:5]
# relative volume: S01 flagship, S05 small-format; DC1 fulfils online orders
LOCATION_SIZE = {"S01": 1.4, "S02": 1.0, "S03": 0.8, "S04": 1.1, "S05": 0.6, "DC1": 1.3}
# holiday seasonality of the 8 weeks from Monday 2026-11-16 (Black Friday week, Christmas, January)
SEASON = np.array([1.00, 1.30, 1.15, 1.20, 1.40, 1.55, 0.95, 0.70])


def _sku_codes() -> list[str]:
    counters: dict[str, int] = {}
    codes = []
    for category, *_ in CATALOGUE:
        j = counters.get(category, 0)
        counters[category] = j + 1
        codes.append(f"{CATEGORY_BASE[category] + 7 * j:06d}")
    return codes


SKUS = _sku_codes()
DESC = {sku: item[1] for sku, item in zip(SKUS, CATALOGUE)}
SKU_BY_DESC = {item[1]: sku for sku, item in zip(SKUS, CATALOGUE)}


def _sku(description: str) -> str:
    return SKU_BY_DESC[description]


def _d(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


# campaign_id, name, sku (by description), start, end, lift, status, locations, channel, owner
CAMPAIGNS = [
    ("MKT-2611-01", "Black Friday doorbuster — earbuds", "Wireless earbuds",
     _d(11, 27), _d(11, 30), 0.80, "Confirmed", "ALL", "TV + Social", "Dana Whitfield"),
    ("MKT-2611-02", "Black Friday — toys of the year", "Robot building kit",
     _d(11, 27), _d(11, 30), 0.60, "Confirmed", None, "Email", "Dana Whitfield"),
    ("MKT-2611-03", "Black Friday in-store kitchen event", "Air fryer 5L",
     _d(11, 27), _d(11, 29), 0.70, "Planned", "S01; S03", "In-store", "Marco Ruiz"),
    ("MKT-2611-04", "Cyber Monday online exclusive — earbuds", "Wireless earbuds",
     _d(11, 30), _d(12, 1), 0.50, "Confirmed", "DC1", "Web", "Priya Nair"),
    ("MKT-2611-05", "Cyber Monday smart home bundle", "Smart LED bulb 4-pack",
     _d(11, 30), _d(12, 1), 0.40, "Planned", "DC1", "Web", "Priya Nair"),
    ("MKT-2612-01", "Holiday gift guide — fragrance", "Perfume gift set",
     _d(12, 1), _d(12, 20), 0.35, "Planned", "ALL", "Catalogue + Web", "Priya Nair"),
    ("MKT-2612-02", "Holiday gift guide — toys", "Robot building kit",
     _d(12, 1), _d(12, 20), 0.30, "Planned", "ALL", "Catalogue + Web", "Priya Nair"),
    ("MKT-2612-03", "Holiday gift guide — cosy knits", "Cashmere-blend scarf",
     _d(12, 1), _d(12, 20), 0.25, "Draft", "ALL", "Catalogue", "Marco Ruiz"),
    ("MKT-2612-04", "Stocking stuffers", "Lip balm trio",
     _d(12, 10), _d(12, 16), 0.20, "Planned", None, "In-store", "Marco Ruiz"),
    ("MKT-2612-05", "Week before Christmas — last-minute toys", "Robot building kit",
     _d(12, 18), _d(12, 24), 0.40, "Confirmed", "ALL", "Social", "Dana Whitfield"),
    ("MKT-2612-06", "Week before Christmas — wearables", "Smartwatch",
     _d(12, 18), _d(12, 24), 0.45, "Confirmed", "S02, S04", "Social + In-store", "Dana Whitfield"),
    ("MKT-2612-07", "Boxing Day outerwear", "Puffer vest",
     _d(12, 26), _d(12, 31), 0.50, "Planned", "ALL", "Email + Web", "Marco Ruiz"),
    ("MKT-2612-08", "Boxing Day kitchen clearance", "Cast iron dutch oven",
     _d(12, 26), _d(12, 31), 0.30, "Cancelled", "ALL", "Email", "Marco Ruiz"),
    ("MKT-2701-01", "New Year home reset", "Scented candle trio",
     _d(1, 2, 2027), _d(1, 7, 2027), 0.20, "Planned", None, "Email", "Priya Nair"),
]
DEMO_CAMPAIGN_COUNT = len(CAMPAIGNS)

# Forced assortment (sku description -> stores that must stock it), for scoped campaigns;
# the stores named in DESIGNED_RISKS and RECEIPTS are added to it.
FORCED_STORES = {
    "Air fryer 5L": {"S01", "S03"},
    "Smartwatch": {"S02", "S04"},
    "Wireless earbuds": set(STORES),
    "Robot building kit": set(STORES),
}

# The story: (description, location) -> (worst status, first risk week index, lead_time_weeks).
# act_by = first risk week - lead time; lead > week puts act_by before week 0 (too late).
DESIGNED_RISKS = {
    ("Wireless earbuds", "S01"): ("STOCKOUT", 1, 3),  # Black Friday: too late to order
    ("Wireless earbuds", "S04"): ("STOCKOUT", 1, 3),
    ("Wireless earbuds", "DC1"): ("STOCKOUT", 2, 4),  # Cyber Monday online
    ("Holiday string lights 10m", "S05"): ("STOCKOUT", 0, 1),  # already short this week
    ("Robot building kit", "S02"): ("STOCKOUT", 4, 2),  # gift guide + Christmas: order now
    ("Puffer vest", "S01"): ("STOCKOUT", 5, 2),  # Boxing Day: orderable
    ("Air fryer 5L", "S03"): ("AT RISK", 1, 2),  # in-store event, too late to order
    ("Perfume gift set", "S02"): ("AT RISK", 3, 1),
    ("Perfume gift set", "S05"): ("AT RISK", 3, 1),
    ("Smartwatch", "S02"): ("AT RISK", 4, 2),
    ("Plush reindeer 30cm", "S04"): ("AT RISK", 5, 2),
    ("Instant camera", "DC1"): ("AT RISK", 6, 3),
}

# po_id, sku (description), location, due, qty, status
RECEIPTS = [
    ("PO-88213", "Plush reindeer 30cm", "S01", _d(11, 11), 60, "Open"),  # past due
    ("PO-88240", "Knit beanie", "S03", _d(11, 17), 48, "Received"),  # booked in: ignored
    ("PO-88251", "Scented candle trio", "DC1", _d(11, 20), 120, "Confirmed"),
    ("PO-88262", "Wireless earbuds", "DC1", _d(12, 9), 40, "Confirmed"),
    ("PO-88263", "Wireless earbuds", "S01", _d(12, 2), 24, "In transit"),
    ("PO-88270", "Robot building kit", "S02", _d(12, 30), 30, "Confirmed"),  # after the risk
    ("PO-88271", "Robot building kit", "DC1", _d(11, 25), 60, "In transit"),
    ("PO-88275", "Perfume gift set", "DC1", _d(12, 3), 36, "Confirmed"),
    ("PO-88281", "Family board game", "S02", _d(11, 26), 24, "Confirmed"),
    ("PO-88284", "Cozy throw blanket", "S04", _d(12, 4), 30, "Confirmed"),
    ("PO-88290", "Smartwatch", "S02", _d(1, 18, 2027), 20, "Confirmed"),  # beyond the horizon
    ("PO-88292", "Puffer vest", "DC1", _d(12, 14), 40, "Confirmed"),
    ("PO-88295", "Lip balm trio", "S01", _d(12, 7), 72, "In transit"),
    ("PO-88301", "Bluetooth speaker", "S03", _d(12, 11), 18, "Confirmed"),
    ("PO-88305", "Ugly holiday sweater", "DC1", _d(11, 23), 50, "Confirmed"),
    ("PO-88310", "Air fryer 5L", "DC1", _d(12, 16), 24, "Confirmed"),
    ("PO-88312", "Hair dryer pro", "S01", _d(12, 21), 8, "Cancelled"),  # cancelled: ignored
    ("PO-88318", "Wool socks 3-pack", "S02", _d(12, 1), 60, "Open"),
    ("PO-88320", "Instant camera", "DC1", _d(1, 11, 2027), 12, "Confirmed"),  # beyond horizon
    ("PO-88325", "Gaming headset", "S05", _d(12, 18), 12, "Confirmed"),
]

# Regular replenishment POs (quantities computed from the forecast) for promo-driven dips:
# the shortage is then temporary, so expedites and marketing's levers can fix it.
REPLENISH = {
    ("Wireless earbuds", "S04"): "PO-88330",
    ("Air fryer 5L", "S03"): "PO-88331",
    ("Perfume gift set", "S02"): "PO-88332",
    ("Perfume gift set", "S05"): "PO-88333",
    ("Puffer vest", "S01"): "PO-88334",
}


def _weeks() -> list[dt.date]:
    return [WEEK0 + dt.timedelta(weeks=w) for w in range(HORIZON)]


def _frac(start: dt.date, end: dt.date) -> np.ndarray:
    """Days of [start, end] inside each horizon week, / 7 (SPEC §3)."""
    out = np.zeros(HORIZON)
    for w, monday in enumerate(_weeks()):
        lo = max(start, monday)
        hi = min(end, monday + dt.timedelta(days=6))
        out[w] = max(0, (hi - lo).days + 1) / 7.0
    return out


def _scope(locations: str | None) -> set[str] | None:
    if locations is None or locations.strip().upper() in ("", "ALL"):
        return None
    return {p.strip() for p in re.split(r"[;,]", locations) if p.strip()}


def _demo_data() -> dict:
    """All the demo's records, as plain Python lists (deterministic)."""
    rng = np.random.default_rng(SEED)
    weeks = _weeks()

    # assortment: DC1 stocks everything; each SKU sits in 3-4 of the 5 stores
    keys: list[tuple[str, str]] = []
    for sku, item in zip(SKUS, CATALOGUE):
        desc = item[1]
        forced = set(FORCED_STORES.get(desc, set()))
        forced |= {loc for (d, loc) in DESIGNED_RISKS if d == desc and loc in STORES}
        forced |= {r[2] for r in RECEIPTS if r[1] == desc and r[2] in STORES}
        n_stores = max(len(forced), int(rng.choice([2, 3, 3, 3, 4])))
        others = [s for s in STORES if s not in forced]
        picked = set(forced) | set(rng.choice(others, size=n_stores - len(forced),
                                               replace=False).tolist())
        for loc in LOCATIONS:
            if loc in picked or loc == "DC1":
                keys.append((sku, loc))

    item_by_sku = dict(zip(SKUS, CATALOGUE))
    baseline: dict[tuple[str, str], np.ndarray] = {}
    for sku, loc in keys:
        base = item_by_sku[sku][4] * LOCATION_SIZE[loc]
        noise = rng.normal(1.0, 0.08, HORIZON).clip(0.8, 1.2)
        baseline[(sku, loc)] = np.maximum(1, np.round(base * SEASON * noise))

    # lift and receipts per key (SPEC §3)
    lift_units = {k: np.zeros(HORIZON) for k in keys}
    for (_cid, _name, desc, start, end, lift, status, locs, *_rest) in CAMPAIGNS:
        if status not in COUNT_STATUSES:
            continue
        sku, scope, frac = _sku(desc), _scope(locs), _frac(start, end)
        for k in keys:
            if k[0] == sku and (scope is None or k[1] in scope):
                lift_units[k] += baseline[k] * lift * frac
    receipt_list = list(RECEIPTS)
    for (desc, loc), po_id in REPLENISH.items():
        # the regular replenishment lands the week after the promo dip
        week = DESIGNED_RISKS[(desc, loc)][1] + 1
        base = baseline[(_sku(desc), loc)]
        qty = 6 * math.ceil((base[week:].sum() + 1.5 * base.mean()) / 6)
        due = WEEK0 + dt.timedelta(weeks=week, days=1)
        receipt_list.append((po_id, desc, loc, due, int(qty), "Confirmed"))
    receipt_list.sort(key=lambda r: r[0])
    receipts = {k: np.zeros(HORIZON) for k in keys}
    for (_po, desc, loc, due, qty, status) in receipt_list:
        key = (_sku(desc), loc)
        assert key in receipts, f"receipt for a key not stocked: {key}"
        if status in ("Received", "Cancelled"):
            continue
        w = (due - WEEK0).days // 7
        if w < HORIZON:
            receipts[key][max(w, 0)] += qty

    inventory = []
    designed = {(_sku(d), loc): v for (d, loc), v in DESIGNED_RISKS.items()}
    blank_cost_rows = {keys[i] for i in (5, 41, 97)}  # Products fills these in
    for k in keys:
        sku, loc = k
        category, _desc, cost, price, _base = item_by_sku[sku]
        base = baseline[k]
        demand = base + lift_units[k]
        poh0 = np.cumsum(receipts[k] - demand)  # projection from zero on hand
        threshold_extra = RISK_BUFFER * lift_units[k]
        safety = float(round(base.mean() * (1.5 if loc == "DC1" else 1.0)))
        thr = safety + threshold_extra
        if k in designed:
            kind, week, lead = designed[k]
            if kind == "AT RISK":
                # dipping under safety stock without running out needs a floor above the
                # demand still to come after the risk week (a holiday safety stock)
                to_come = float(np.max(-poh0[week:]) + poh0[week])
                if safety + threshold_extra[week] <= to_come:
                    safety = float(math.ceil(to_come + 0.5 * base.mean()))
                    thr = safety + threshold_extra
            # prefer a position that only the promotion pushes under (so marketing's levers
            # — a smaller lift, a later window — can help); else any position that fits
            floor_without_lift = float(np.max(safety - np.cumsum(receipts[k] - base)))
            on_hand = _tune(poh0, thr, kind, week, prefer_at_least=floor_without_lift)
        else:
            lead = int(rng.choice([2, 3, 4])) if loc == "DC1" else int(rng.choice([1, 2, 2, 3]))
            need = float(np.max(thr - poh0))
            on_hand = math.ceil(max(need, 0) + rng.uniform(0.4, 2.5) * base.mean())
        assert on_hand >= 0
        inventory.append({
            "sku": sku, "location": loc, "on_hand": int(on_hand), "safety_stock": int(safety),
            "lead_time_weeks": lead,
            "unit_cost": None if k in blank_cost_rows else cost,
            "unit_price": None if k in blank_cost_rows else price,
            "category": category,
        })

    forecast = [{"sku": sku, "location": loc, "week": weeks[w], "units": int(baseline[(sku, loc)][w])}
                for (sku, loc) in keys for w in range(HORIZON)]
    products = [{"sku": sku, "category": it[0], "description": it[1], "unit_cost": it[2],
                 "unit_price": it[3]} for sku, it in zip(SKUS, CATALOGUE)]
    campaigns = [{"campaign_id": c[0], "name": c[1], "sku": _sku(c[2]), "start": c[3],
                  "end": c[4], "lift": c[5], "status": c[6], "locations": c[7],
                  "channel": c[8], "owner": c[9]} for c in CAMPAIGNS]
    receipts_rows = [{"po_id": r[0], "sku": _sku(r[1]), "location": r[2], "due": r[3],
                      "qty": r[4], "status": r[5]} for r in receipt_list]
    return {"inventory": inventory, "forecast": forecast, "products": products,
            "campaigns": campaigns, "receipts": receipts_rows}


def _tune(poh0: np.ndarray, thr: np.ndarray, kind: str, week: int,
          prefer_at_least: float = -math.inf) -> int:
    """The integer on-hand whose projection first leaves OK at ``week`` with ``kind``.

    poh[w] = on_hand + poh0[w]. Before ``week`` every poh >= threshold; at ``week`` it is
    below; STOCKOUT needs some poh < 0, AT RISK needs every poh >= 0.
    """
    lo = float(np.max(thr[:week] - poh0[:week])) if week > 0 else 0.0  # OK before week
    hi = float(thr[week] - poh0[week])  # not OK at week (exclusive)
    never_negative = float(np.max(-poh0))  # on_hand >= this: never below zero
    if kind == "STOCKOUT":
        hi = min(hi, never_negative)
    else:
        lo = max(lo, never_negative)
    lo = max(lo, 0.0)
    candidates = [v for v in range(math.ceil(lo), math.ceil(hi)) if v < hi]
    if not candidates:
        raise ValueError(f"cannot tune {kind} at week {week}: [{lo}, {hi})")
    preferred = [v for v in candidates if v >= prefer_at_least]
    if preferred:
        return preferred[len(preferred) // 2]
    return candidates[len(candidates) // 2]


# ----------------------------------------------------------------------------- writing


def _style_header(ws, row: int, headers: list[str]) -> None:
    for col, name in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=col, value=name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = COLUMN_WIDTHS.get(name, 12)
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


_FORMATS = {
    "week": DATE_FMT, "start": DATE_FMT, "end": DATE_FMT, "due": DATE_FMT,
    "lift": "0%", "unit_cost": MONEY_FMT, "unit_price": MONEY_FMT,
    "on_hand": UNITS_FMT, "safety_stock": UNITS_FMT, "units": UNITS_FMT, "qty": UNITS_FMT,
}
_TEXT_COLUMNS = {"sku", "location", "po_id", "campaign_id", "locations"}


def _write_table(ws, headers: list[str], records: list[dict], header_row: int = 1,
                 title: str | None = None, subtitle: str | None = None) -> None:
    if title:
        ws.cell(row=1, column=1, value=title).font = TITLE_FONT
    if subtitle:
        ws.cell(row=2, column=1, value=subtitle).font = SUBTITLE_FONT
    _style_header(ws, header_row, headers)
    for r, rec in enumerate(records, start=header_row + 1):
        for c, name in enumerate(headers, start=1):
            value = rec.get(name)
            cell = ws.cell(row=r, column=c, value=value)
            if name in _FORMATS:
                cell.number_format = _FORMATS[name]
            elif name in _TEXT_COLUMNS:
                cell.number_format = "@"  # keep codes like 000184 as text when retyped
    if records:
        ws.auto_filter.ref = (f"A{header_row}:{get_column_letter(len(headers))}"
                              f"{header_row + len(records)}")


def _write_settings(ws, template: bool) -> None:
    ws.cell(row=1, column=1, value="Settings").font = TITLE_FONT
    note = ("Edit the value column; blank values take the default shown in 'meaning'. "
            "Keys are matched case-insensitively.") if template else \
        "Planning parameters for the holiday 2026 run (week 47)."
    ws.cell(row=2, column=1, value=note).font = NOTE_FONT
    headers = ["key", "value", "meaning"]
    _style_header(ws, 3, headers)
    for r, (key, demo_value, default, meaning) in enumerate(SETTINGS_ROWS, start=4):
        ws.cell(row=r, column=1, value=key).font = Font(bold=True)
        cell = ws.cell(row=r, column=2, value=default if template else demo_value)
        if key == "as_of":
            cell.number_format = DATE_FMT
        elif key in ("risk_buffer", "divergence_threshold"):
            cell.number_format = "0.00"
        cell.alignment = Alignment(horizontal="left")
        ws.cell(row=r, column=3, value=meaning).font = NOTE_FONT


def _write_notes(ws, n_inventory_rows: int, n_receipt_rows: int) -> None:
    first, last = 4, 3 + n_inventory_rows
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 60
    ws["A1"] = "Planner notes — holiday 2026"
    ws["A1"].font = TITLE_FONT
    ws["A3"] = "Total units on hand (all locations)"
    ws["B3"] = f"=SUM(Inventory!C{first}:C{last})"
    ws["B3"].number_format = UNITS_FMT
    ws["A4"] = "Units on hand at the DC"
    ws["B4"] = f'=SUMIF(Inventory!B{first}:B{last},"DC1",Inventory!C{first}:C{last})'
    ws["B4"].number_format = UNITS_FMT
    ws["A5"] = "Open POs (rows on the Receipts sheet)"
    ws["B5"] = f"=COUNTA(Receipts!A2:A{1 + n_receipt_rows})"
    for cell in ("A3", "A4", "A5"):
        ws[cell].font = Font(bold=True)
    lines = [
        "",
        "Weekly S&OP call — Tuesday 10:00 (supply, marketing, merchandising).",
        "Earbuds: vendor confirmed no extra allocation before 12/09. Ask DC about a transfer.",
        "Black Friday doorbuster is locked with the TV slot — lift change needs Dana's sign-off.",
        "S03 kitchen event: store manager asked for extra air fryers on the floor.",
        "Boxing Day clearance for the dutch oven was cancelled (margin).",
        "This sheet is mine: pysnop does not touch it.",
    ]
    for i, text in enumerate(lines, start=7):
        ws.cell(row=i, column=1, value=text or None)


def _save_deterministic(wb: Workbook, path: Path) -> Path:
    """Save with fixed metadata and zip timestamps, so that rebuilds are byte-identical."""
    wb.properties.creator = "pysnop demo"
    wb.properties.lastModifiedBy = "pysnop demo"
    wb.properties.created = FIXED_TIMESTAMP
    buf = io.BytesIO()
    wb.save(buf)
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                from lxml import etree

                root = etree.fromstring(data)
                for modified in root.iter("{http://purl.org/dc/terms/}modified"):
                    modified.text = stamp
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            out = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            out.compress_type = zipfile.ZIP_DEFLATED
            out.external_attr = info.external_attr
            dst.writestr(out, data)
    return path


def build_demo(path) -> Path:
    """Write the holiday-season demo workbook to ``path`` and return the path."""
    path = Path(path)
    data = _demo_data()
    wb = Workbook()
    ws = wb.active
    ws.title = "Settings"
    _write_settings(ws, template=False)

    _write_table(wb.create_sheet("Products"), PRODUCT_HEADERS, data["products"])
    _write_table(wb.create_sheet("Inventory"), INVENTORY_HEADERS, data["inventory"],
                 header_row=3, title="Inventory position — week 47",
                 subtitle="Start of week 0 (Mon 2026-11-16), from the WMS snapshot")
    _write_table(wb.create_sheet("Forecast"), FORECAST_HEADERS, data["forecast"])
    _write_table(wb.create_sheet("Campaigns"), CAMPAIGN_HEADERS, data["campaigns"],
                 header_row=2, title="Holiday promo calendar 2026")
    _write_table(wb.create_sheet("Receipts"), RECEIPT_HEADERS, data["receipts"])
    _write_notes(wb.create_sheet("Notes"), len(data["inventory"]), len(data["receipts"]))
    _write_planner_view(wb.create_sheet("Planner view"), data)
    _write_table(wb.create_sheet("Approvers"), ["name", "function"], APPROVERS,
                 header_row=2, title="Who may approve pysnop's proposals")
    return _save_deterministic(wb, path)


def _write_planner_view(ws, data) -> None:
    """Live pysnop worksheet functions over the planner's own ranges (issue: UDFs).

    In Excel with the add-in they recalculate like any formula; without Excel,
    ``pysnop recalc`` (and ``pysnop demo``) evaluates them and stores their values.
    """
    campaigns = f"Campaigns!$A$2:$J${2 + len(data['campaigns'])}"
    inventory = f"Inventory!$A$3:$H${3 + len(data['inventory'])}"
    receipts = f"Receipts!$A$1:$F${1 + len(data['receipts'])}"
    forecast = f"Forecast!$A$1:$D${1 + len(data['forecast'])}"
    tables = f"{campaigns},{inventory},{receipts},{forecast}"
    ws["A1"] = "Planner view — live pysnop worksheet functions"
    ws["A1"].font = TITLE_FONT
    ws["A2"] = ("STOCKOUT_RISK(...) in A4 spills the risk summary below (as of Settings as_of, "
                "threshold = safety stock); the cells on the right are single-value functions.")
    ws["A2"].font = NOTE_FONT
    ws["A4"] = f"=STOCKOUT_RISK({tables},Settings!$B$4,Settings!$B$5)"
    labels = [
        ("Most at-risk sku @ location", '=A5&" @ "&B5', None),
        ("Black Friday earbuds: max supportable lift",
         f'=MAX_SUPPORTABLE_LIFT({tables},"MKT-2611-01",Settings!$B$4,Settings!$B$5)', "0.0%"),
        ("Weeks of supply, 000184 @ S01",
         "=WEEKS_OF_SUPPLY(Inventory!$C$4,Forecast!$D$2:$D$9)", "0.0"),
        ("Sku-locations stocking out (native COUNTIF on the spill)",
         '=COUNTIF(C5:C400,"STOCKOUT")', "0"),
    ]
    for r, (label, formula, fmt) in enumerate(labels, start=4):
        ws.cell(row=r, column=12, value=label).font = Font(bold=True)
        cell = ws.cell(row=r, column=13, value=formula)
        if fmt:
            cell.number_format = fmt
    for col, width in (("A", 10), ("B", 10), ("C", 11), ("D", 15), ("I", 12), ("L", 48),
                       ("M", 18)):
        ws.column_dimensions[col].width = width


def build_template(path) -> Path:
    """Write the blank planner template (headers, defaults, styling) to ``path``."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = "Settings"
    _write_settings(ws, template=True)
    _write_table(wb.create_sheet("Products"), PRODUCT_HEADERS, [])
    _write_table(wb.create_sheet("Inventory"), INVENTORY_HEADERS, [])
    _write_table(wb.create_sheet("Forecast"), FORECAST_HEADERS, [])
    _write_table(wb.create_sheet("Campaigns"), CAMPAIGN_HEADERS, [])
    _write_table(wb.create_sheet("Receipts"), RECEIPT_HEADERS, [])
    # column formats for the rows planners will type, so codes stay text and dates show as dates
    for name, headers in (("Products", PRODUCT_HEADERS), ("Inventory", INVENTORY_HEADERS),
                          ("Forecast", FORECAST_HEADERS), ("Campaigns", CAMPAIGN_HEADERS),
                          ("Receipts", RECEIPT_HEADERS)):
        sheet = wb[name]
        for c, header in enumerate(headers, start=1):
            fmt = _FORMATS.get(header) or ("@" if header in _TEXT_COLUMNS else None)
            if fmt:
                for r in range(2, 202):
                    sheet.cell(row=r, column=c).number_format = fmt
    return _save_deterministic(wb, path)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else Path("workbooks")
    out.mkdir(parents=True, exist_ok=True)
    for built in (build_demo(out / "demo.xlsx"), build_template(out / "template.xlsx")):
        print(built)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
