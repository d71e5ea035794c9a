"""The demo workbook and the blank planner template.

``python -m pysnop.demo workbooks/`` (re)writes ``workbooks/demo.xlsx`` and
``workbooks/template.xlsx``. Both are deterministic: fixed data (:mod:`pysnop.demo_data`),
fixed dates and fixed file metadata, so regenerating them gives byte-identical files.

The demo is a DC-served chain in its holiday season, as of Wednesday 2026-11-18 (week 47):
one DC (DC1) replenishing five stores in packs and a web shop it ships itself, two SKUs a
grower delivers straight to the stores, a marketing calendar with past campaigns (their
Actuals teach the learned lift) and the season's, open POs, transfer lanes, approvers with
their OS accounts, and a Notes sheet and a Planner view of the planner's own. What it shows
once recalculated (README, "The demo") is asserted by tests/core/test_demo_content.py.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pysnop.demo_data import (
    APPROVERS,
    AS_OF,
    CAMPAIGNS,
    HISTORY_WEEKS,
    HORIZON,
    ITEM,
    ITEMS,
    LANES,
    LOCATIONS,
    RECEIPTS,
    RISK_BUFFER,
    STOCKOUT_WEEKS,
    actual,
    baseline,
    history_forecast,
    inventory_rows,
    monday,
)

__all__ = ["DEMO_AS_OF", "DEMO_CAMPAIGN_COUNT", "TEMPLATE_SHEETS", "build_demo",
           "build_template", "main"]

DEMO_AS_OF = AS_OF
DEMO_CAMPAIGN_COUNT = len(CAMPAIGNS)
FIXED_TIMESTAMP = dt.datetime(2026, 11, 18, 8, 0, 0)

# ----------------------------------------------------------------------------- styling

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", start_color="1F4E78", end_color="1F4E78")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
NOTE_FONT = Font(italic=True, color="7F7F7F")
HEADER_BORDER = Border(bottom=Side(style="medium", color="1F4E78"))
DATE_FMT = "yyyy-mm-dd"
MONEY_FMT = "#,##0.00"
UNITS_FMT = "#,##0"

# ----------------------------------------------------------------------------- contract

# key, demo value, template value (the default), meaning
SETTINGS_ROWS: list[tuple[str, Any, Any, str]] = [
    ("as_of", AS_OF, None, "planning date; blank = today. Week 0 is the week that contains it"),
    ("horizon_weeks", HORIZON, 8, "weeks projected (weeks 0..H-1)"),
    ("count_statuses", "Planned, Confirmed", "Planned, Confirmed",
     "campaign statuses that create demand"),
    ("risk_buffer", RISK_BUFFER, 0.25,
     "extra cushion, a fraction of the week's incremental promo units"),
    ("transfer_lead_weeks", 1, 1, "weeks a transfer takes where Lanes does not say"),
    ("transfer_cost_per_unit", 0.5, 0, "cost of a transfer per unit where Lanes does not say"),
    ("expedite_min_weeks", 1, 1, "earliest week an open receipt can be pulled into"),
    ("expedite_max_weeks", 4, 4, "the most weeks an open receipt may be pulled in"),
    ("expedite_cost_per_unit", 1.5, 0, "cost used to value expedites, per unit"),
    ("max_move_weeks", 2, 2,
     "the most weeks a campaign without earliest/latest start may be moved"),
    ("lift_source", "learned", "planned",
     "planned, learned or cautious: the lift the Bridge projects"),
    ("reconciliation", "mint_wls_struct", "mint_wls_struct",
     "bottom_up, top_down, mint_ols, mint_wls_struct or none"),
    ("nonnegative", "TRUE", "TRUE", "reconciled forecasts never below zero"),
    ("divergence_threshold", 0.2, 0.2, "source vs consensus gap that is flagged"),
    ("accuracy_window_weeks", 8, 8, "trailing weeks of Actuals that weigh the sources"),
    ("decision_log", None, None,
     "the decision log's file name; blank = BOOK.pysnop.sqlite beside the workbook"),
]

LOCATION_HEADERS = ["location", "role", "supplied_by", "transit_weeks", "name"]
LANE_HEADERS = ["from_location", "to_location", "transit_weeks", "cost_per_unit"]
PRODUCT_HEADERS = ["sku", "category", "description", "unit_cost", "unit_price", "pack_size",
                   "moq", "order_multiple", "substitutes"]
INVENTORY_HEADERS = ["sku", "location", "description", "on_hand", "safety_stock",
                     "lead_time_weeks", "unit_cost", "unit_price", "supplied_by"]
FORECAST_HEADERS = ["sku", "location", "week", "units"]
ACTUAL_HEADERS = ["sku", "location", "week", "units", "stockout"]
CAMPAIGN_HEADERS = ["campaign_id", "name", "sku", "start", "end", "lift", "status",
                    "locations", "channel", "owner", "promo_price", "discount", "spend",
                    "funding", "earliest_start", "latest_start"]
RECEIPT_HEADERS = ["po_id", "sku", "location", "due", "qty", "status"]
APPROVER_HEADERS = ["name", "function", "account"]

# The template's sheets, in order, with their headers (Settings is key | value | meaning).
TEMPLATE_SHEETS: dict[str, list[str]] = {
    "Settings": ["key", "value", "meaning"],
    "Locations": LOCATION_HEADERS[:4],
    "Lanes": LANE_HEADERS,
    "Products": PRODUCT_HEADERS,
    "Inventory": ["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                  "unit_cost", "unit_price", "unit_margin", "category", "role", "supplied_by",
                  "transit_weeks", "pack_size"],
    "Forecast": ["sku", "location", "week", "units", "source", "category"],
    "Actuals": ["sku", "location", "week", "units", "on_hand_end", "stockout"],
    "Campaigns": ["campaign_id", "name", "sku", "start", "end", "lift", "status", "locations",
                  "channel", "owner", "promo_price", "discount", "spend", "funding",
                  "earliest_start", "latest_start"],
    "Receipts": RECEIPT_HEADERS,
    "Approvers": APPROVER_HEADERS,
}

COLUMN_WIDTHS = {
    "sku": 9, "location": 10, "category": 12, "description": 26, "unit_cost": 10,
    "unit_price": 10, "unit_margin": 11, "on_hand": 9, "safety_stock": 12,
    "lead_time_weeks": 15, "week": 11, "units": 8, "campaign_id": 13, "name": 40,
    "start": 11, "end": 11, "lift": 7, "status": 11, "locations": 10, "channel": 15,
    "owner": 15, "po_id": 10, "due": 11, "qty": 7, "key": 24, "value": 18, "meaning": 70,
    "role": 8, "supplied_by": 12, "transit_weeks": 13, "pack_size": 10, "moq": 7,
    "order_multiple": 14, "substitutes": 12, "from_location": 13, "to_location": 12,
    "cost_per_unit": 13, "function": 12, "account": 12, "stockout": 9, "on_hand_end": 12,
    "promo_price": 12, "discount": 9, "spend": 10, "funding": 9, "earliest_start": 14,
    "latest_start": 13, "source": 12,
}
_FORMATS = {
    "week": DATE_FMT, "start": DATE_FMT, "end": DATE_FMT, "due": DATE_FMT,
    "earliest_start": DATE_FMT, "latest_start": DATE_FMT, "lift": "0%", "discount": "0%",
    "unit_cost": MONEY_FMT, "unit_price": MONEY_FMT, "unit_margin": MONEY_FMT,
    "promo_price": MONEY_FMT, "funding": MONEY_FMT, "cost_per_unit": MONEY_FMT,
    "spend": "#,##0", "on_hand": UNITS_FMT, "safety_stock": UNITS_FMT, "units": UNITS_FMT,
    "qty": UNITS_FMT,
}
_TEXT_COLUMNS = {"sku", "location", "po_id", "campaign_id", "locations", "substitutes",
                 "supplied_by", "from_location", "to_location"}

# ----------------------------------------------------------------------------- records


def _records() -> dict[str, list[dict[str, Any]]]:
    """Every sheet's rows, as dicts keyed by header."""
    names = {item.sku: item.description for item in ITEMS}
    inventory = [{
        "sku": r.sku, "location": r.location, "description": names[r.sku],
        "on_hand": r.on_hand, "safety_stock": r.safety_stock,
        "lead_time_weeks": r.lead_time_weeks, "unit_cost": ITEM[r.sku].unit_cost,
        "unit_price": ITEM[r.sku].unit_price, "supplied_by": r.supplied_by,
    } for r in inventory_rows()]
    forecast: list[dict[str, Any]] = []
    actuals: list[dict[str, Any]] = []
    for item in ITEMS:
        for loc in item.where:
            past = history_forecast(item.sku, loc)
            weeks = [*past, *baseline(item.sku, loc)]
            forecast.extend({"sku": item.sku, "location": loc,
                             "week": monday(w - HISTORY_WEEKS), "units": units}
                            for w, units in enumerate(weeks))
            for w, units in enumerate(past):
                day = monday(w - HISTORY_WEEKS)
                sold_out = (item.sku, loc, day) in STOCKOUT_WEEKS
                sold = actual(item.sku, loc, w, units)
                actuals.append({"sku": item.sku, "location": loc, "week": day,
                                "units": round(sold * 0.7) if sold_out else sold,
                                "stockout": sold_out})
    products = [{
        "sku": i.sku, "category": i.category, "description": i.description,
        "unit_cost": i.unit_cost, "unit_price": i.unit_price, "pack_size": i.pack_size,
        "moq": i.moq, "order_multiple": i.order_multiple, "substitutes": i.substitutes,
    } for i in ITEMS]
    campaigns = [{h: getattr(c, h) for h in CAMPAIGN_HEADERS} for c in CAMPAIGNS]
    receipts = [dict(zip(["po_id", "sku", "location", "due", "qty", "status"], r))
                for r in RECEIPTS]
    return {
        "locations": [dict(zip(LOCATION_HEADERS, row)) for row in LOCATIONS],
        "lanes": [dict(zip(LANE_HEADERS, row)) for row in LANES],
        "products": products, "inventory": inventory, "forecast": forecast,
        "actuals": actuals, "campaigns": campaigns, "receipts": receipts,
        "approvers": [dict(zip(APPROVER_HEADERS, row)) for row in APPROVERS],
    }


# ----------------------------------------------------------------------------- writing


def _style_header(ws: Worksheet, row: int, headers: list[str]) -> None:
    for col, name in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=col, value=name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = COLUMN_WIDTHS.get(name, 12)
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def _format(cell: Any, name: str) -> None:
    if name in _FORMATS:
        cell.number_format = _FORMATS[name]
    elif name in _TEXT_COLUMNS:
        cell.number_format = "@"  # codes like 000184 stay text when retyped


def _write_table(ws: Worksheet, headers: list[str], records: list[dict[str, Any]],
                 header_row: int = 1, title: str | None = None,
                 note: str | None = None) -> None:
    if title:
        ws.cell(row=1, column=1, value=title).font = TITLE_FONT
    if note:
        ws.cell(row=2, column=1, value=note).font = NOTE_FONT
    _style_header(ws, header_row, headers)
    for r, rec in enumerate(records, start=header_row + 1):
        for c, name in enumerate(headers, start=1):
            _format(ws.cell(row=r, column=c, value=rec.get(name)), name)
    if records:
        ws.auto_filter.ref = (f"A{header_row}:{get_column_letter(len(headers))}"
                              f"{header_row + len(records)}")


def _write_settings(ws: Worksheet, template: bool) -> None:
    ws.cell(row=1, column=1, value="Settings").font = TITLE_FONT
    note = ("Edit the value column; a blank value takes the default shown. Keys are matched "
            "case-insensitively.") if template else \
        "Planning parameters for the holiday 2026 run (week 47)."
    ws.cell(row=2, column=1, value=note).font = NOTE_FONT
    _style_header(ws, 3, ["key", "value", "meaning"])
    for r, (key, demo_value, default, meaning) in enumerate(SETTINGS_ROWS, start=4):
        ws.cell(row=r, column=1, value=key).font = Font(bold=True)
        cell = ws.cell(row=r, column=2, value=default if template else demo_value)
        if key == "as_of":
            cell.number_format = DATE_FMT
        elif key in ("risk_buffer", "divergence_threshold"):
            cell.number_format = "0.00"
        cell.alignment = Alignment(horizontal="left")
        ws.cell(row=r, column=3, value=meaning).font = NOTE_FONT


def _write_notes(ws: Worksheet, n_inventory: int, n_receipts: int) -> None:
    first, last = 4, 3 + n_inventory
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 16
    ws["A1"] = "Planner notes — holiday 2026"
    ws["A1"].font = TITLE_FONT
    ws["A3"] = "Units on hand in the stores and the web shop"
    ws["B3"] = f'=SUMIF(Inventory!B{first}:B{last},"<>DC1",Inventory!D{first}:D{last})'
    ws["A4"] = "Units on hand at DC1"
    ws["B4"] = f'=SUMIF(Inventory!B{first}:B{last},"DC1",Inventory!D{first}:D{last})'
    ws["A5"] = "Open POs (rows on the Receipts sheet)"
    ws["B5"] = f"=COUNTA(Receipts!A2:A{1 + n_receipts})"
    for ref in ("A3", "A4", "A5"):
        ws[ref].font = Font(bold=True)
    for ref in ("B3", "B4", "B5"):
        ws[ref].number_format = UNITS_FMT
    lines = [
        "Weekly S&OP call — Tuesday 10:00 (supply, marketing, merchandising).",
        "Earbuds: the vendor can ship PO-88262 early if we pay the freight — ask Sam.",
        "Black Friday doorbuster is locked with the TV slot: a lift change needs Dana's sign-off.",
        "Lakeside (S05) is two weeks from the DC by road: plan its events early.",
        "Wreaths and poinsettias come straight from Green Acres Growers (DSD), not via DC1.",
        "Boxing Day candle clearance was cancelled (margin).",
        "This sheet is mine: pysnop does not touch it.",
    ]
    for i, text in enumerate(lines, start=7):
        ws.cell(row=i, column=1, value=text)


def _write_planner_view(ws: Worksheet, data: dict[str, list[dict[str, Any]]]) -> None:
    """Live pysnop worksheet functions over the planner's own ranges.

    In Excel with the add-in they recalculate like any formula; without Excel,
    ``pysnop recalc`` (and ``pysnop demo``) evaluates them and stores their values.
    """
    last = len(CAMPAIGN_HEADERS)
    campaigns = f"Campaigns!$A$2:${get_column_letter(last)}${2 + len(data['campaigns'])}"
    inventory = (f"Inventory!$A$3:${get_column_letter(len(INVENTORY_HEADERS))}"
                 f"${3 + len(data['inventory'])}")
    receipts = f"Receipts!$A$1:$F${1 + len(data['receipts'])}"
    forecast = f"Forecast!$A$1:$D${1 + len(data['forecast'])}"
    locations = f"Locations!$A$1:$D${1 + len(data['locations'])}"
    tables = f"{campaigns},{inventory},{receipts},{forecast}"
    ws["A1"] = "Planner view — live pysnop worksheet functions"
    ws["A1"].font = TITLE_FONT
    ws["A2"] = ("STOCKOUT_RISK(...) in A4 spills the risk summary through the network (Locations"
                " sheet); the cells on the right are single-value functions. The functions"
                " project marketing's planned lift; the Bridge projects the learned lift"
                " (Settings lift_source), so the earbuds and robot kits differ.")
    ws["A2"].font = NOTE_FONT
    ws["A4"] = (f"=STOCKOUT_RISK({tables},Settings!$B$4,Settings!$B$5,{locations})")
    earbuds = next(i for i, r in enumerate(data["inventory"])
                   if (r["sku"], r["location"]) == ("000311", "S01"))
    first_fc = next(i for i, r in enumerate(data["forecast"])
                    if (r["sku"], r["location"]) == ("000311", "S01")) + 2 + HISTORY_WEEKS
    labels = [
        ("Most at-risk sku @ location", '=A5&" @ "&B5', None),
        # a direct-delivered SKU: the function's own projection is the Bridge's
        ("Poinsettia offer (S01, S04): max supportable lift",
         f'=MAX_SUPPORTABLE_LIFT({tables},"MKT-2612-02",Settings!$B$4,Settings!$B$5)', "0.0%"),
        ("Weeks of supply, earbuds @ S01",
         f"=WEEKS_OF_SUPPLY(Inventory!$D${4 + earbuds},"
         f"Forecast!$D${first_fc}:$D${first_fc + HORIZON - 1})", "0.0"),
        ("Sku-locations stocking out (native COUNTIF on the spill)",
         '=COUNTIF(C5:C400,"STOCKOUT")', "0"),
    ]
    for r, (label, formula, fmt) in enumerate(labels, start=4):
        ws.cell(row=r, column=15, value=label).font = Font(bold=True)
        cell = ws.cell(row=r, column=16, value=formula)
        if fmt:
            cell.number_format = fmt
    for col, width in (("A", 9), ("B", 9), ("C", 11), ("D", 15), ("I", 12), ("O", 48),
                       ("P", 18)):
        ws.column_dimensions[col].width = width


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


def build_demo(path: str | Path) -> Path:
    """Write the demo workbook to ``path`` and return the path."""
    path = Path(path)
    data = _records()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Settings"
    _write_settings(ws, template=False)
    _write_table(wb.create_sheet("Locations"), LOCATION_HEADERS, data["locations"])
    _write_table(wb.create_sheet("Lanes"), LANE_HEADERS, data["lanes"], header_row=2,
                 title="Store-to-store transfers the trucks can make")
    _write_table(wb.create_sheet("Products"), PRODUCT_HEADERS, data["products"])
    _write_table(wb.create_sheet("Inventory"), INVENTORY_HEADERS, data["inventory"],
                 header_row=3, title="Inventory position — week 47",
                 note="Start of week 0 (Mon 2026-11-16), from the WMS snapshot; "
                      "supplied_by 'direct': the grower delivers the store")
    _write_table(wb.create_sheet("Forecast"), FORECAST_HEADERS, data["forecast"])
    _write_table(wb.create_sheet("Actuals"), ACTUAL_HEADERS, data["actuals"])
    _write_table(wb.create_sheet("Campaigns"), CAMPAIGN_HEADERS, data["campaigns"],
                 header_row=2, title="Promo calendar 2026 — past and coming campaigns")
    _write_table(wb.create_sheet("Receipts"), RECEIPT_HEADERS, data["receipts"])
    _write_table(wb.create_sheet("Approvers"), APPROVER_HEADERS, data["approvers"],
                 header_row=2, title="Who may approve pysnop's proposals")
    _write_notes(wb.create_sheet("Notes"), len(data["inventory"]), len(data["receipts"]))
    _write_planner_view(wb.create_sheet("Planner view"), data)
    return _save_deterministic(wb, path)


def build_template(path: str | Path) -> Path:
    """Write the blank planner template (every sheet and header, the Settings defaults)."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Settings"
    _write_settings(ws, template=True)
    for name, headers in TEMPLATE_SHEETS.items():
        if name == "Settings":
            continue
        sheet = wb.create_sheet(name)
        _write_table(sheet, headers, [])
        # formats for the rows planners will type: codes stay text, dates show as dates
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
