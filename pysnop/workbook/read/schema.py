"""The workbook contract as data: sheets, canonical columns, their kinds and header aliases.

Headers and sheet names are compared after :func:`norm`: case-insensitive, and any run of
spaces, ``_``, ``-`` or punctuation counts as one separator ("On Hand" = ``on_hand`` =
"on-hand"; "Lead time (weeks)" = ``lead_time_weeks``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SEP = re.compile(r"[^0-9a-z]+")


def norm(text: object) -> str:
    """Normalise a header, sheet name or setting key for matching."""
    if text is None:
        return ""
    return _SEP.sub("_", str(text).strip().lower()).strip("_")


# column kinds
TEXT = "text"          # optional text (None if blank)
KEY = "key"            # identifier text: leading zeros kept, 123.0 -> "123"
NUMBER = "number"
DATE = "date"
LIFT = "lift"
STATUS = "status"
LOCATIONS = "locations"
BOOL = "bool"


@dataclass(frozen=True)
class SheetSchema:
    name: str                              # canonical sheet name
    columns: dict[str, str]                # canonical column -> kind
    required: tuple[str, ...]
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical -> aliases
    nonnegative: tuple[str, ...] = ()
    sheet_aliases: tuple[str, ...] = ()
    optional_sheet: bool = True
    # an alias that means another column when its own column is already there: on Inventory
    # "DC" beside "Store" names the supplying DC (normalised alias -> the other column)
    second_meaning: dict[str, str] = field(default_factory=dict)

    def alias_map(self) -> dict[str, str]:
        """normalised header -> canonical name (canonical names included)."""
        out: dict[str, str] = {}
        for canon, names in self.aliases.items():
            if canon in self.columns:
                for a in names:
                    out.setdefault(norm(a), canon)
        for canon in self.columns:
            out[norm(canon)] = canon
        return out


_SKU = ("Item", "Item code", "Item no", "Item number", "Article", "Article number",
        "Product code", "Product", "SKU code", "SKU id")
_LOC = ("Store", "Store code", "Door", "DC", "Site", "Warehouse", "Loc", "Location code",
        "Location id")
_COMMON = {"sku": _SKU, "location": _LOC, "category": ("Category code", "Product category",
                                                       "Cat")}
# the network's columns (docs/semantics.md, network): on Locations, and per sku × location on
# Inventory, where a filled cell wins over the Locations value
_ROLE = ("Type", "Kind", "Location type", "Site type", "Store type")
_SUPPLIED_BY = ("Supplied by", "Source", "Parent", "Source DC", "Supplying DC", "Parent DC",
                "Fed by", "Replenished from", "Replenished by", "Ships from")
_TRANSIT = ("Transit", "Transit weeks", "Transit time", "Transit time weeks", "Transit wks",
            "Transit lead time", "DC transit")
_PACK = ("Pack", "Case pack", "Pack qty", "Pack quantity", "Case size", "Case qty",
         "Units per case", "Units per pack", "Pack units")
_MONEY = {"unit_cost": ("Cost", "Unit cost price", "Cost price"),
          "unit_price": ("Price", "Retail price", "Selling price", "Sales price"),
          "unit_margin": ("Margin", "Unit profit", "Gross margin")}

SETTINGS = SheetSchema(
    "Settings", {"key": TEXT, "value": TEXT}, (), {},
    sheet_aliases=("Setting", "Parameters", "Config"))

CAMPAIGNS = SheetSchema(
    "Campaigns",
    {"campaign_id": KEY, "sku": KEY, "start": DATE, "end": DATE, "lift": LIFT,
     "status": STATUS, "locations": LOCATIONS, "name": TEXT, "channel": TEXT, "owner": TEXT,
     # promotion economics (docs/semantics.md, promotion economics)
     "promo_price": NUMBER, "discount": NUMBER, "spend": NUMBER, "funding": NUMBER,
     "earliest_start": DATE, "latest_start": DATE},
    ("campaign_id", "sku", "start", "end", "lift"),
    {**_COMMON,
     "campaign_id": ("Campaign", "Campaign code", "Promo id", "Promo", "Promotion",
                     "Promotion id", "Campaign no"),
     "start": ("Start date", "From", "Start week"), "end": ("End date", "To", "End week"),
     "lift": ("Uplift", "Expected lift", "Lift pct", "Lift percent"),
     "locations": ("Stores", "Doors", "Sites", "Scope", "Location"),
     "name": ("Campaign name", "Promo name", "Description"),
     "owner": ("Campaign owner",), "status": ("Campaign status",),
     "promo_price": ("Promo price", "Promotional price", "Offer price", "Promo retail"),
     "discount": ("Discount pct", "Discount percent", "Price off", "Markdown", "Percent off"),
     "spend": ("Marketing spend", "Promo spend", "Media spend", "Budget", "Campaign cost"),
     "funding": ("Vendor funding", "Funding per unit", "Supplier funding", "Co-op"),
     # the window marketing can live with (MOVE_WINDOW stays inside it)
     "earliest_start": ("Earliest", "Earliest start date", "Start no earlier than",
                        "Not before", "Window from"),
     "latest_start": ("Latest", "Latest start date", "Start no later than", "Not after",
                      "Window to")},
    nonnegative=("promo_price", "spend", "funding"),
    sheet_aliases=("Campaign", "Promotions", "Promos", "Promo calendar"))

INVENTORY = SheetSchema(
    "Inventory",
    {"sku": KEY, "location": KEY, "on_hand": NUMBER, "safety_stock": NUMBER,
     "lead_time_weeks": NUMBER, "unit_cost": NUMBER, "unit_price": NUMBER,
     "unit_margin": NUMBER, "category": TEXT, "role": TEXT, "supplied_by": KEY,
     "transit_weeks": NUMBER, "pack_size": NUMBER},
    ("sku", "location", "on_hand"),
    {**_COMMON, **_MONEY,
     "on_hand": ("On hand", "SOH", "Stock on hand", "Onhand", "On hand qty", "Stock",
                 "On hand units"),
     "safety_stock": ("SS", "Safety", "Safety stock units"),
     "lead_time_weeks": ("Lead time", "Lead time weeks", "Lead time wks", "LT", "LT weeks"),
     "role": _ROLE, "supplied_by": _SUPPLIED_BY, "transit_weeks": _TRANSIT,
     "pack_size": _PACK},
    nonnegative=("on_hand", "safety_stock", "lead_time_weeks"),
    sheet_aliases=("Stock", "Inventory position"), optional_sheet=False,
    second_meaning={"dc": "supplied_by"})

PRODUCTS = SheetSchema(
    "Products",
    {"sku": KEY, "category": TEXT, "description": TEXT, "unit_cost": NUMBER,
     "unit_price": NUMBER, "unit_margin": NUMBER, "pack_size": NUMBER, "moq": NUMBER,
     "order_multiple": NUMBER, "substitutes": TEXT},
    ("sku",),
    {**_COMMON, **_MONEY, "description": ("Name", "Item name", "Product name", "Desc"),
     "pack_size": _PACK,
     # new supplier orders (NEW_ORDER) and the SKUs SHIFT_SKU may feature instead
     "moq": ("Minimum order", "Minimum order qty", "Minimum order quantity", "Min order",
             "Min order qty"),
     "order_multiple": ("Order multiple", "Multiple", "Order increment", "Order rounding",
                        "Rounding", "Case multiple"),
     "substitutes": ("Substitute", "Substitute SKUs", "Substitute items", "Alternatives",
                     "Alternative SKUs", "Alt SKUs")},
    nonnegative=("moq", "order_multiple"),
    sheet_aliases=("Product", "Items", "Item master"))

LOCATIONS_SHEET = SheetSchema(
    "Locations",
    {"location": KEY, "role": TEXT, "supplied_by": KEY, "transit_weeks": NUMBER},
    ("location",),
    # "DC" is the supplying DC here, not the location itself
    {"location": tuple(a for a in _LOC if a != "DC") + ("Location name", "Code"),
     "role": _ROLE, "supplied_by": ("DC", *_SUPPLIED_BY), "transit_weeks": _TRANSIT},
    sheet_aliases=("Stores", "Sites", "Location", "Network", "Store list", "Location master"))

LANES = SheetSchema(
    "Lanes",
    {"from_location": KEY, "to_location": KEY, "transit_weeks": NUMBER,
     "cost_per_unit": NUMBER},
    ("from_location", "to_location"),
    {"from_location": ("From", "Ship from", "From store", "From location", "Origin", "Donor",
                       "Sender"),
     "to_location": ("To", "Ship to", "To store", "To location", "Destination", "Receiver"),
     "transit_weeks": ("Transit", "Transit time", "Transit wks", "Lead time", "Lead time weeks",
                       "Weeks"),
     "cost_per_unit": ("Cost", "Unit cost", "Cost per unit", "Transfer cost", "Freight",
                       "Freight per unit")},
    nonnegative=("transit_weeks", "cost_per_unit"),
    sheet_aliases=("Lane", "Transfer lanes", "Transfers", "Routes", "Transfer routes"))

RECEIPTS = SheetSchema(
    "Receipts",
    {"sku": KEY, "location": KEY, "due": DATE, "qty": NUMBER, "po_id": KEY, "status": TEXT},
    ("sku", "location", "due", "qty"),
    {**_COMMON,
     "due": ("Due date", "ETA", "Expected date", "Arrival date", "Delivery date"),
     "qty": ("Quantity", "Units", "Qty ordered", "Open qty"),
     "po_id": ("PO", "PO number", "PO no", "PO id", "Order", "Order number")},
    nonnegative=("qty",),
    sheet_aliases=("Receipt", "Open POs", "Open orders", "Purchase orders"))

FORECAST = SheetSchema(
    "Forecast",
    {"sku": KEY, "location": KEY, "week": DATE, "units": NUMBER, "source": TEXT,
     "category": TEXT},
    ("sku", "location", "week", "units"),
    {**_COMMON,
     "week": ("Week start", "Week of", "Week starting", "Week commencing", "Date"),
     "units": ("Forecast", "Qty", "Quantity", "Forecast units", "Baseline", "Demand"),
     "source": ("Forecast source", "Function", "Team")},
    nonnegative=("units",),
    sheet_aliases=("Forecasts", "Baseline forecast", "Demand forecast"), optional_sheet=False)

ACTUALS = SheetSchema(
    "Actuals",
    {"sku": KEY, "location": KEY, "week": DATE, "units": NUMBER, "on_hand_end": NUMBER,
     "stockout": BOOL},
    ("sku", "location", "week", "units"),
    {**_COMMON,
     "week": ("Week start", "Week of", "Week starting", "Week commencing", "Date"),
     "units": ("Qty", "Quantity", "Sales", "Units sold", "Sold"),
     "on_hand_end": ("Closing stock", "End on hand", "On hand end", "Closing on hand"),
     "stockout": ("Stocked out", "Out of stock", "OOS")},
    nonnegative=("units",),
    sheet_aliases=("Actual", "Sales history", "History"))

OVERRIDES = SheetSchema(
    "Overrides",
    {"sku": KEY, "location": KEY, "category": TEXT, "week": DATE, "units": NUMBER,
     "reason": TEXT, "planner": TEXT},
    ("week", "units"),
    {**_COMMON,
     "week": ("Week start", "Week of", "Week starting", "Week commencing", "Date"),
     "units": ("Override", "Override units", "Qty", "Quantity", "Forecast"),
     "reason": ("Comment", "Why", "Note", "Override reason"),
     "planner": ("By", "Owner", "Entered by", "Approved by")},
    nonnegative=("units",),
    sheet_aliases=("Override", "Planner overrides", "Forecast overrides"))

SHEETS: dict[str, SheetSchema] = {s.name: s for s in
                                  (SETTINGS, CAMPAIGNS, INVENTORY, PRODUCTS, LOCATIONS_SHEET,
                                   RECEIPTS, FORECAST, ACTUALS, OVERRIDES, LANES)}

# Settings keys: canonical -> aliases
SETTING_ALIASES: dict[str, tuple[str, ...]] = {
    "as_of": ("As of date", "Planning date", "As at", "Today"),
    "horizon_weeks": ("Horizon", "Horizon weeks", "Weeks"),
    "count_statuses": ("Counted statuses", "Statuses counted"),
    "risk_buffer": ("Buffer",),
    "transfer_lead_weeks": ("Transfer lead time", "Transfer weeks"),
    "expedite_min_weeks": ("Expedite weeks",),
    "expedite_cost_per_unit": ("Expedite cost", "Expedite unit cost"),
    "reconciliation": ("Reconciliation method", "Reconcile"),
    "divergence_threshold": ("Divergence",),
    "nonnegative": ("Non negative", "Nonnegative forecasts", "Non negative forecasts"),
    "lift_source": ("Lift basis", "Projected lift"),
    "expedite_max_weeks": ("Expedite max weeks", "Max expedite weeks", "Expedite reach"),
    "max_move_weeks": ("Max move weeks", "Campaign move weeks", "Move weeks"),
    "transfer_cost_per_unit": ("Transfer cost", "Transfer unit cost", "Transfer cost per unit"),
}
# known Settings keys without a field of their own on Settings: parsed, and kept in
# Settings.extra under their canonical name (the actions read them there)
EXTRA_SETTINGS = ("transfer_cost_per_unit",)


# Settings keys the reader keeps in ``Settings.extra`` for later stages to read, so it does
# not call them unknown: the SQLite file's place (pysnop.store.paths), the accuracy window
# and the source weights of the consensus stage. A new key read from Settings.extra goes here.
STAGE_SETTINGS = ("decision_log", "accuracy_window_weeks")
# ``weight_<source>`` / ``<source>_weight``: pysnop.core.consensus.settings_weights' pattern
WEIGHT_SETTING = re.compile(r"\s*(?:weight[ _:]+(.+)|(.+?)[ _]+weight)\s*", re.IGNORECASE)


def is_stage_setting(key: object) -> bool:
    """True for a Settings key a later stage reads from ``Settings.extra``."""
    return norm(key) in STAGE_SETTINGS or WEIGHT_SETTING.fullmatch(str(key)) is not None


def setting_key_map() -> dict[str, str]:
    out = {}
    for canon, names in SETTING_ALIASES.items():
        for a in names:
            out[norm(a)] = canon
        out[norm(canon)] = canon
    return out


def sheet_name_map() -> dict[str, str]:
    """normalised sheet name or alias -> canonical sheet name."""
    out: dict[str, str] = {}
    for s in SHEETS.values():
        for a in s.sheet_aliases:
            out[norm(a)] = s.name
    for s in SHEETS.values():
        out[norm(s.name)] = s.name
    return out


def alias_table_markdown() -> str:
    """A markdown table of every sheet's columns and accepted header aliases (for the README)."""
    lines = ["| sheet | column | required | also accepted as |", "|---|---|---|---|"]
    for s in SHEETS.values():
        if s.name == "Settings":
            continue
        for col in s.columns:
            req = "yes" if col in s.required else ""
            if s.name == "Forecast" and col in ("sku", "location"):
                req = "yes (blank = higher level)"
            al = ", ".join(s.aliases.get(col, ())) or "—"
            lines.append(f"| {s.name} | `{col}` | {req} | {al} |")
    lines.append("")
    lines.append("| setting | also accepted as |")
    lines.append("|---|---|")
    for k, names in SETTING_ALIASES.items():
        lines.append(f"| `{k}` | {', '.join(names)} |")
    lines.append("")
    lines.append("| sheet | also accepted as |")
    lines.append("|---|---|")
    for s in SHEETS.values():
        lines.append(f"| {s.name} | {', '.join(s.sheet_aliases) or '—'} |")
    return "\n".join(lines) + "\n"


CAMPAIGN_STATUSES = ("Draft", "Planned", "Confirmed", "Cancelled")
RECEIPT_DROP_STATUSES = ("received", "cancelled", "canceled")
OUTPUT_PREFIX = "supply:"  # Campaigns columns written by pysnop itself


CONTRACT_INTRO = """# Workbook contract: sheets, columns and the names pysnop accepts

Generated from `pysnop/workbook/read/schema.py`
(`python -m pysnop.workbook.read.schema > docs/workbook-contract.md`); a test keeps this page and
the code in step. Headers match case-insensitively, and spaces,
`_` and `-` are the same character, so `On Hand`, `on_hand` and `ON-HAND` are one column.
The header row may sit anywhere in the first 10 rows, and an Excel table on the sheet is read
the same way. Unknown columns are left alone. On Inventory a `DC` header is the location,
unless another header already is (`Store`): then it names the supplying DC (`supplied_by`).
The network's columns (Locations; role, supplied_by, transit_weeks, pack_size on Inventory)
are explained in [semantics.md](semantics.md#4-the-network-dcs-that-replenish-stores).

"""


def contract_markdown() -> str:
    """The page docs/workbook-contract.md, from the same tables the reader uses."""
    return CONTRACT_INTRO + alias_table_markdown() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(contract_markdown(), end="")
