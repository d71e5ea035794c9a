"""The demo's data tables: the catalogue, the stores, the marketing calendar, the open POs and
the story of risks the demo workbook tells (see :mod:`pysnop.demo`)."""

from __future__ import annotations

import datetime as dt

import numpy as np

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


def sku_of(description: str) -> str:
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


__all__ = ["CAMPAIGNS", "CATALOGUE", "DEMO_CAMPAIGN_COUNT", "DESIGNED_RISKS", "FORCED_STORES",
           "LOCATIONS", "LOCATION_SIZE", "RECEIPTS", "REPLENISH", "SEASON", "SKUS", "STORES",
           "sku_of"]
