"""Synthetic planner workbooks for benchmarks and scale tests.

    python benchmarks/generate.py out.xlsx --n 4000                # 4k sku-locations x 8 weeks
    python benchmarks/generate.py big.xlsx --max-forecast-rows     # Forecast = 1,048,576 rows
    python benchmarks/generate.py net.xlsx --n 4000 --network      # 2 DCs feed 18 locations

The workbook follows docs/workbook-contract.md (Settings, Products, Inventory, Forecast in long
form, Campaigns, Receipts; with ``network=True`` also Locations) and is written with
openpyxl's write-only mode, so even 100k sku-locations (800k forecast rows) take seconds, not
minutes. Everything is seeded: the same arguments give the same cell values.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

AS_OF = dt.date(2026, 11, 18)  # a Wednesday; week 0 starts Monday 2026-11-16
WEEK0 = AS_OF - dt.timedelta(days=AS_OF.weekday())
EXCEL_MAX_ROWS = 1_048_576
CATEGORIES = ("Toys", "Electronics", "Home", "Apparel", "Beauty", "Grocery", "Sports", "Garden")
CAMPAIGN_STATUSES = ("Planned", "Confirmed", "Confirmed", "Planned", "Draft", "Cancelled")


def default_campaigns(n_skulocs: int) -> int:
    """n/20 campaigns (200 for 4k sku-locations), at least 10."""
    return max(10, n_skulocs // 20)


def _layout(n_skulocs: int) -> tuple[int, int]:
    """(n_skus, n_locations) with n_skus * n_locations >= n_skulocs."""
    n_locs = max(1, min(20, n_skulocs))
    return math.ceil(n_skulocs / n_locs), n_locs


def _header(ws, names: list[str]) -> None:
    bold = Font(bold=True)
    cells = []
    for name in names:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        cells.append(cell)
    ws.append(cells)


def generate(path, n_skulocs: int, weeks: int = 8, n_campaigns: int | None = None,
             seed: int = 0, forecast_rows: int | None = None, network: bool = False) -> Path:
    """Write a synthetic workbook with ``n_skulocs`` Inventory rows and return its path.

    Forecast holds ``n_skulocs * weeks`` long rows, or exactly ``forecast_rows`` data rows
    when given (the last sku-location may then have fewer weeks). Campaigns default to
    ``n_skulocs // 20``; Receipts hold about ``n_skulocs / 2`` open POs (a few Received,
    past due or beyond the horizon).

    ``network``: the first two of the 20 locations are DCs (DC01, DC02) feeding the other 18
    (one DC level, docs/semantics.md): 17 stores, alternately DC01's and DC02's, transit 1 or
    2 weeks, and an online location WEB (transit 0). Stores get 2–6 weeks of cover, a DC
    3–8 weeks of what its locations sell; Products give most SKUs a pack (6, 12 or 24);
    about 2 % of the store rows are direct-store-delivered (supplied_by ``direct``); one DC
    row in ten has demand of its own (its Forecast rows), the others none; most POs go to the
    DCs.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = int(n_skulocs)
    n_campaigns = default_campaigns(n) if n_campaigns is None else int(n_campaigns)
    n_skus, n_locs = _layout(n)
    skus = [f"{100000 + i:07d}" for i in range(n_skus)]  # text codes with a leading zero
    locs = [f"S{j + 1:03d}" for j in range(n_locs)]
    key_sku = np.arange(n) // n_locs
    key_loc = np.arange(n) % n_locs
    sku_cat = rng.integers(0, len(CATEGORIES), n_skus)
    unit_cost = np.round(rng.uniform(2, 60, n_skus), 2)
    unit_price = np.round(unit_cost * rng.uniform(1.6, 2.8, n_skus), 2)

    # weekly baseline ~ 2..60 units with a gentle seasonal shape; on-hand 4..12 weeks of cover
    rate = rng.gamma(2.0, 8.0, n) + 2.0
    season = 1.0 + 0.35 * np.sin(np.linspace(0.3, 2.6, weeks))
    cover = rng.uniform(4.0, 12.0, n)
    on_hand = np.round(rate * cover)
    safety = np.round(rate * rng.uniform(0.5, 1.5, n))
    lead = rng.integers(1, 5, n)
    net = _network(rng, n, n_skus, n_locs, key_sku, key_loc, rate) if network else None
    if net is not None:
        locs = net.codes
        on_hand, safety = net.on_hand, np.where(net.is_dc, 0.0, safety)

    wb = Workbook(write_only=True)

    ws = wb.create_sheet("Settings")
    _header(ws, ["key", "value"])
    for row in (("as_of", dt.datetime.combine(AS_OF, dt.time())), ("horizon_weeks", weeks),
                ("count_statuses", "Planned, Confirmed"), ("risk_buffer", 0.25),
                ("transfer_lead_weeks", 1), ("expedite_min_weeks", 1),
                ("expedite_cost_per_unit", 0.5), ("reconciliation", "mint_wls_struct"),
                ("divergence_threshold", 0.2)):
        ws.append(list(row))

    ws = wb.create_sheet("Products")
    _header(ws, ["sku", "category", "description", "unit_cost", "unit_price",
                 *(["pack_size"] if net is not None else [])])
    for i in range(n_skus):
        pack = [None if np.isnan(net.pack[i]) else float(net.pack[i])] if net is not None \
            else []
        ws.append([skus[i], CATEGORIES[sku_cat[i]], f"Item {i}", float(unit_cost[i]),
                   float(unit_price[i]), *pack])

    if net is not None:
        ws = wb.create_sheet("Locations")
        _header(ws, ["location", "role", "supplied_by", "transit_weeks"])
        for row in net.locations:
            ws.append(list(row))

    ws = wb.create_sheet("Inventory")
    _header(ws, ["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                 "unit_cost", "unit_price", "category",
                 *(["supplied_by"] if net is not None else [])])
    for k in range(n):
        s = key_sku[k]
        dsd = ["direct" if net.direct[k] else None] if net is not None else []
        ws.append([skus[s], locs[key_loc[k]], float(on_hand[k]), float(safety[k]), int(lead[k]),
                   float(unit_cost[s]), float(unit_price[s]), CATEGORIES[sku_cat[s]], *dsd])

    ws = wb.create_sheet("Forecast")
    _header(ws, ["sku", "location", "week", "units"])
    mondays = [dt.datetime.combine(WEEK0 + dt.timedelta(weeks=w), dt.time())
               for w in range(weeks)]
    forecast_keys = n if net is None else int(net.forecast.sum())
    total = forecast_keys * weeks if forecast_rows is None else int(forecast_rows)
    noise = rng.uniform(0.85, 1.15, weeks)
    written = 0
    k = 0
    while written < total:
        kk = k % n  # wraps only if forecast_rows asks for more than n*weeks
        k += 1
        if net is not None and not net.forecast[kk]:
            continue  # a DC without demand of its own
        sku, loc = skus[key_sku[kk]], locs[key_loc[kk]]
        units = np.round(rate[kk] * season * noise)
        for w in range(min(weeks, total - written)):
            ws.append([sku, loc, mondays[w], float(units[w])])
        written += min(weeks, total - written)

    ws = wb.create_sheet("Campaigns")
    _header(ws, ["campaign_id", "name", "sku", "start", "end", "lift", "status", "locations",
                 "channel", "owner"])
    horizon_days = weeks * 7
    for c in range(n_campaigns):
        s = int(rng.integers(0, n_skus))
        start = WEEK0 + dt.timedelta(days=int(rng.integers(-3, horizon_days - 3)))
        end = start + dt.timedelta(days=int(rng.integers(1, 15)))
        lift = float(np.round(rng.uniform(0.1, 0.8), 2))
        if rng.random() < 0.6:
            scope = "ALL"
        else:
            picked = sorted(rng.choice(n_locs, size=min(n_locs, int(rng.integers(1, 4))),
                                       replace=False))
            scope = "; ".join(locs[j] for j in picked)
        ws.append([f"C{c + 1:05d}", f"Promo {c + 1}", skus[s],
                   dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time()),
                   lift, CAMPAIGN_STATUSES[c % len(CAMPAIGN_STATUSES)], scope,
                   ("Email", "Web", "Social", "In-store")[c % 4], "Marketing"])

    ws = wb.create_sheet("Receipts")
    _header(ws, ["po_id", "sku", "location", "due", "qty", "status"])
    n_receipts = max(1, n // 2)
    r_keys = rng.integers(0, n, n_receipts)
    if net is not None:  # most POs replenish a DC; the rest a DSD or unfed row
        r_keys = net.receivers[rng.integers(0, len(net.receivers), n_receipts)]
    r_days = rng.integers(-10, horizon_days + 14, n_receipts)  # some past due, some beyond
    r_qty = np.round(rng.uniform(1.0, 4.0, n_receipts) * rate[r_keys])
    for r in range(n_receipts):
        kk = r_keys[r]
        status = "Received" if r % 50 == 0 else ("In transit" if r % 3 == 0 else "Confirmed")
        ws.append([f"PO-{r + 1:07d}", skus[key_sku[kk]], locs[key_loc[kk]],
                   dt.datetime.combine(WEEK0 + dt.timedelta(days=int(r_days[r])), dt.time()),
                   float(r_qty[r]), status])

    wb.save(path)
    return path


class _Network:
    """The network's cells (see :func:`generate`)."""

    def __init__(self, codes, locations, is_dc, direct, forecast, on_hand, pack, receivers):
        self.codes, self.locations, self.is_dc, self.direct = codes, locations, is_dc, direct
        self.forecast, self.on_hand, self.pack, self.receivers = (forecast, on_hand, pack,
                                                                  receivers)


def _network(rng, n, n_skus, n_locs, key_sku, key_loc, rate) -> _Network:
    if n_locs < 3:
        raise ValueError("a network needs at least 3 locations (2 DCs and a store)")
    codes = ["DC01", "DC02"] + [f"S{j:03d}" for j in range(1, n_locs - 2)] + ["WEB"]
    locations = [("DC01", "dc", None, None), ("DC02", "dc", None, None)]
    feeder = np.full(n_locs, -1)
    for j in range(2, n_locs):
        feeder[j] = j % 2
        online = j == n_locs - 1
        locations.append((codes[j], "online" if online else "store", codes[feeder[j]],
                          0 if online else 1 + (j % 3 == 0)))
    is_dc = key_loc < 2
    direct = ~is_dc & (key_loc < n_locs - 1) & (rng.random(n) < 0.02)
    forecast = ~is_dc | (rng.random(n) < 0.1)
    # what each DC's locations sell per week, per SKU: the DC's stock covers 3..7 weeks of it
    fed = ~is_dc & ~direct
    dc_of = np.where(fed, feeder[key_loc], -1)
    sold = np.zeros((n_skus, 2))
    np.add.at(sold, (key_sku[fed], dc_of[fed]), rate[fed])
    on_hand = np.where(is_dc, np.round(sold[key_sku, np.minimum(key_loc, 1)]
                                       * rng.uniform(3.0, 8.0, n)),
                       np.round(rate * rng.uniform(2.0, 6.0, n)))
    pack = rng.choice([6.0, 12.0, 24.0, np.nan], n_skus, p=[0.4, 0.3, 0.1, 0.2])
    receivers = np.flatnonzero(is_dc | direct)
    return _Network(codes, locations, is_dc, direct, forecast, on_hand, pack, receivers)


def generate_max_forecast(path, weeks: int = 8, seed: int = 0) -> Path:
    """A workbook whose Forecast sheet has exactly 1,048,576 rows (Excel's limit)."""
    data_rows = EXCEL_MAX_ROWS - 1  # + the header row
    return generate(path, math.ceil(data_rows / weeks), weeks=weeks, seed=seed,
                    forecast_rows=data_rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--n", type=int, default=4000, help="sku-locations (Inventory rows)")
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--campaigns", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--network", action="store_true",
                    help="2 DCs feeding the other locations (Locations sheet, packs, DSD)")
    ap.add_argument("--max-forecast-rows", action="store_true",
                    help="fill the Forecast sheet to Excel's 1,048,576-row limit")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.max_forecast_rows:
        out = generate_max_forecast(args.path, weeks=args.weeks, seed=args.seed)
    else:
        out = generate(args.path, args.n, weeks=args.weeks, n_campaigns=args.campaigns,
                       seed=args.seed, network=args.network)
    print(f"{out} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
