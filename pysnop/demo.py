"""The demo workbook and the blank planner template.

``python -m pysnop.demo workbooks/`` (re)writes ``workbooks/demo.xlsx`` and
``workbooks/template.xlsx``. Both are deterministic: a seeded RNG, fixed dates and fixed
file metadata, so regenerating them gives byte-identical files.

The demo is a retail holiday season (as of Wednesday 2026-11-18, week 47): 36 SKUs in five
categories, five stores and a DC, a marketing calendar from Black Friday to the New Year,
open purchase orders, and a Notes sheet of the planner's own. The on-hand positions are
tuned with a small in-module projection that follows docs/semantics.md, so that after the
bridge runs the demo shows every status — a handful of STOCKOUTs and AT RISKs among mostly OK
lines — with some risks already too late to order (act_by in the past) and some still
orderable.
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

__all__ = ["DEMO_AS_OF", "DEMO_CAMPAIGN_COUNT", "build_demo", "build_template", "main"]

from pysnop.demo_data import (
    CAMPAIGNS,
    CATALOGUE,
    DEMO_CAMPAIGN_COUNT,
    DESIGNED_RISKS,
    FORCED_STORES,
    LOCATION_SIZE,
    LOCATIONS,
    RECEIPTS,
    REPLENISH,
    SEASON,
    SKUS,
    STORES,
    sku_of,
)

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
    ("as_of", DEMO_AS_OF, None,
     "planning date; blank = today. Week 0 is the week that contains it"),
    ("horizon_weeks", 8, 8, "weeks projected (weeks 0..H-1)"),
    ("count_statuses", "Planned, Confirmed", "Planned, Confirmed",
     "campaign statuses that create demand"),
    ("risk_buffer", RISK_BUFFER, 0,
     "extra cushion, fraction of the week's incremental promo units"),
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

def _weeks() -> list[dt.date]:
    return [WEEK0 + dt.timedelta(weeks=w) for w in range(HORIZON)]


def _frac(start: dt.date, end: dt.date) -> np.ndarray:
    """Days of [start, end] inside each horizon week, / 7 (docs/semantics.md)."""
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
        size = item_by_sku[sku][4] * LOCATION_SIZE[loc]
        noise = rng.normal(1.0, 0.08, HORIZON).clip(0.8, 1.2)
        baseline[(sku, loc)] = np.maximum(1, np.round(size * SEASON * noise))

    # lift and receipts per key (docs/semantics.md)
    lift_units = {k: np.zeros(HORIZON) for k in keys}
    for (_cid, _name, desc, start, end, lift, status, locs, *_rest) in CAMPAIGNS:
        if status not in COUNT_STATUSES:
            continue
        sku, scope, frac = sku_of(desc), _scope(locs), _frac(start, end)
        for k in keys:
            if k[0] == sku and (scope is None or k[1] in scope):
                lift_units[k] += baseline[k] * lift * frac
    receipt_list = list(RECEIPTS)
    for (desc, loc), po_id in REPLENISH.items():
        # the regular replenishment lands the week after the promo dip
        week = DESIGNED_RISKS[(desc, loc)][1] + 1
        base = baseline[(sku_of(desc), loc)]
        qty = 6 * math.ceil((base[week:].sum() + 1.5 * base.mean()) / 6)
        due = WEEK0 + dt.timedelta(weeks=week, days=1)
        receipt_list.append((po_id, desc, loc, due, int(qty), "Confirmed"))
    receipt_list.sort(key=lambda r: r[0])
    receipts = {k: np.zeros(HORIZON) for k in keys}
    for (_po, desc, loc, due, qty, status) in receipt_list:
        key = (sku_of(desc), loc)
        assert key in receipts, f"receipt for a key not stocked: {key}"
        if status in ("Received", "Cancelled"):
            continue
        w = (due - WEEK0).days // 7
        if w < HORIZON:
            receipts[key][max(w, 0)] += qty

    inventory = []
    designed = {(sku_of(d), loc): v for (d, loc), v in DESIGNED_RISKS.items()}
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

    forecast = [{"sku": sku, "location": loc, "week": weeks[w],
                 "units": int(baseline[(sku, loc)][w])}
                for (sku, loc) in keys for w in range(HORIZON)]
    products = [{"sku": sku, "category": it[0], "description": it[1], "unit_cost": it[2],
                 "unit_price": it[3]} for sku, it in zip(SKUS, CATALOGUE)]
    campaigns = [{"campaign_id": c[0], "name": c[1], "sku": sku_of(c[2]), "start": c[3],
                  "end": c[4], "lift": c[5], "status": c[6], "locations": c[7],
                  "channel": c[8], "owner": c[9]} for c in CAMPAIGNS]
    receipts_rows = [{"po_id": r[0], "sku": sku_of(r[1]), "location": r[2], "due": r[3],
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
