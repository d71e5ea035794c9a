"""The network as the planner declared it: each sku-location's role, DC, transit and pack.

The Locations sheet gives every location a role (store, dc, online; blank = store), the DC
that replenishes it (supplied_by; blank = it orders from its supplier itself) and the weeks
from that DC (transit_weeks, default 1). Inventory may carry the same columns per
sku × location; a filled cell there wins, a blank one inherits the Locations value, and
supplied_by ``direct`` means direct store delivery even where Locations names a DC. A fed
store's pack is its Inventory pack_size, else the SKU's in Products (blank = no packs).
See docs/semantics.md (network).

:func:`resolve_network` is the one place that applies these rules; the reader calls
:func:`network_problems` to report every mistake at once, and the bridge uses the layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pysnop.core.demand import _rows, summarise
from pysnop.core.values import stripped_texts
from pysnop.errors import Problem, show_value

ROLES = ("store", "dc", "online")
DIRECT = "direct"
DEFAULT_TRANSIT_WEEKS = 1


@dataclass
class NetworkLayout:
    """Where each sku-location sits in the network.

    Arrays run over the Inventory rows (in order) followed by ``added_dcs``: the DCs that
    feed a SKU without an Inventory row for it (projected from on-hand 0, safety stock 0,
    lead time 0).
    """

    role: np.ndarray  # "store" / "dc" / "online"
    supplied_by: np.ndarray  # the feeding DC's code, None where not fed
    direct: np.ndarray  # bool: supplied_by says "direct"
    transit: np.ndarray  # int64 whole weeks from the DC
    pack: np.ndarray  # float units per pack a store receives; NaN = none (online, DC, blank)
    added_dcs: pd.DataFrame  # sku, location
    problems: list[Problem] = field(default_factory=list)

    @property
    def any_fed(self) -> bool:
        return bool(pd.notna(self.supplied_by).any())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def network_problems(locations: pd.DataFrame | None, inventory: pd.DataFrame,
                     products: pd.DataFrame | None = None) -> list[Problem]:
    """Every error and warning about the network, each naming its sheet, row and column."""
    return resolve_network(inventory, locations, products).problems


def has_network_data(inventory: pd.DataFrame, locations: pd.DataFrame | None) -> bool:
    """True when the workbook says anything about roles, DCs, transit or packs."""
    if locations is not None and len(locations):
        return True
    cols = [c for c in ("role", "supplied_by", "transit_weeks", "pack_size") if c in inventory]
    return any(_text(inventory[c]).notna().any() for c in cols)


def location_roles(inventory: pd.DataFrame,
                   locations: pd.DataFrame | None) -> NDArray[np.object_]:
    """Each Inventory row's effective role (Inventory, else Locations, else store), unchecked."""
    inv = inventory.reset_index(drop=True)
    loc_role = _locations_frame(locations)["role"]
    own = _role_text(inv["role"]) if "role" in inv else pd.Series([None] * len(inv), dtype=object)
    role = own.where(own.notna(), _text(inv["location"]).map(loc_role))
    roles: NDArray[np.object_] = role.fillna("store").to_numpy(dtype=object)
    return roles


def resolve_network(inventory: pd.DataFrame, locations: pd.DataFrame | None = None,
                    products: pd.DataFrame | None = None) -> NetworkLayout:
    """Apply the inheritance rules and check the result (docs/semantics.md, network)."""
    inv = inventory.reset_index(drop=True)
    n = len(inv)
    problems: list[Problem] = []
    locs = _locations_frame(locations, problems)
    sku = _text(inv["sku"])
    loc = _text(inv["location"])
    rows = _rows(inv)

    def column(name: str) -> pd.Series:
        return inv[name] if name in inv else pd.Series([None] * n, dtype=object)

    own_role = _role_text(column("role"))
    problems += _bad_roles(column("role"), own_role, rows, "Inventory")
    role = own_role.where(own_role.notna(), loc.map(locs["role"])).fillna("store")

    own_sup = _text(column("supplied_by"))
    sup_from_inv = own_sup.notna().to_numpy()
    sup = own_sup.where(own_sup.notna(), loc.map(locs["supplied_by"]))
    direct = sup.fillna("").str.casefold().eq(DIRECT).to_numpy()
    sup = sup.where(~direct, None)

    own_transit, bad = _numbers(column("transit_weeks"))
    problems += _located(bad, rows, "Inventory", "transit_weeks", column("transit_weeks"),
                         "transit_weeks: expected a number of weeks")
    problems += _whole_weeks(own_transit, rows, "Inventory", column("transit_weeks"))
    transit = own_transit.where(own_transit.notna(), loc.map(locs["transit_weeks"]))
    transit = transit.fillna(DEFAULT_TRANSIT_WEEKS)
    transit = transit.where((transit >= 0) & (transit == np.floor(transit)),
                            DEFAULT_TRANSIT_WEEKS)

    own_pack, bad = _numbers(column("pack_size"))
    problems += _located(bad, rows, "Inventory", "pack_size", column("pack_size"),
                         "pack_size: expected a number of units")
    problems += _positive_packs(own_pack, rows, "Inventory", column("pack_size"))
    pack = own_pack
    if products is not None and "pack_size" in products and len(products):
        prod_pack, bad = _numbers(products["pack_size"].reset_index(drop=True))
        prod_rows = _rows(products.reset_index(drop=True))
        problems += _located(bad, prod_rows, "Products", "pack_size",
                             products["pack_size"].reset_index(drop=True),
                             "pack_size: expected a number of units")
        problems += _positive_packs(prod_pack, prod_rows, "Products",
                                    products["pack_size"].reset_index(drop=True))
        by_sku = pd.Series(prod_pack.to_numpy(), index=_text(products["sku"]).to_numpy())
        by_sku = by_sku[~by_sku.index.duplicated()]
        pack = pack.where(pack.notna(), sku.map(by_sku))
    pack = pack.where(pack > 0)

    # a location's role as the Locations sheet (else any Inventory row there) declares it
    declared = dict(locs["role"].dropna())
    for where, r in zip(loc, role):
        if r == "dc" and where not in declared:
            declared[where] = "dc"

    problems += _locations_sheet_problems(locs, declared)
    fed = sup.notna().to_numpy()
    key = pd.MultiIndex.from_arrays([sku.to_numpy(dtype=object), loc.to_numpy(dtype=object)])
    target = key.get_indexer(pd.MultiIndex.from_arrays([sku.to_numpy(dtype=object),
                                                        sup.to_numpy(dtype=object)]))
    role_arr = role.to_numpy(dtype=object)
    target_role = np.where(target >= 0, role_arr[np.maximum(target, 0)],
                           sup.map(declared).to_numpy(dtype=object))
    not_dc = fed & (target_role != "dc")
    problems += _not_a_dc(not_dc, sup_from_inv, sup, target, target_role, sku, loc, rows,
                          locs, declared)
    fed_dc = fed & (role_arr == "dc") & ~not_dc
    role_from_inv = own_role.notna().to_numpy()
    for j in np.flatnonzero(fed_dc & (sup_from_inv | role_from_inv)).tolist():
        column_name = "supplied_by" if sup_from_inv[j] else "role"
        value = sup.iat[j] if sup_from_inv[j] else own_role.iat[j]
        problems.append(Problem(
            f"{loc.iat[j]} is a DC for sku {sku.iat[j]} and is supplied by {sup.iat[j]}: a DC "
            "orders from its supplier itself (one DC level)", "Inventory", _row(rows[j]),
            column=column_name, value=value))

    good = fed & ~not_dc & ~fed_dc
    supplied_by = sup.where(good, None).to_numpy(dtype=object)
    missing = good & (target < 0)
    added = pd.DataFrame({"sku": sku.to_numpy(dtype=object)[missing],
                          "location": sup.to_numpy(dtype=object)[missing],
                          "fed": loc.to_numpy(dtype=object)[missing]})
    added_dcs = added.drop_duplicates(["sku", "location"])[["sku", "location"]] \
        .reset_index(drop=True)
    problems += summarise([
        Problem(f"no Inventory row for sku {s} at DC {d}, which supplies "
                f"{', '.join(dict.fromkeys(g['fed']))}: projected from on-hand 0, safety stock "
                "0 and lead time 0", "Inventory", severity="warning")
        for (s, d), g in added.groupby(["sku", "location"], sort=False)],
        "DCs without an Inventory row for a SKU they supply", "Inventory")

    k = len(added_dcs)
    return NetworkLayout(
        role=np.concatenate([role_arr, np.full(k, "dc", dtype=object)]),
        supplied_by=np.concatenate([supplied_by, np.full(k, None, dtype=object)]),
        direct=np.concatenate([direct & ~fed_dc, np.zeros(k, dtype=bool)]),
        transit=np.concatenate([transit.to_numpy(dtype=float),
                                np.full(k, float(DEFAULT_TRANSIT_WEEKS))]).astype(np.int64),
        pack=np.concatenate([np.where(role_arr == "store", pack.to_numpy(dtype=float), np.nan),
                             np.full(k, np.nan)]),
        added_dcs=added_dcs, problems=problems)


# --- the Locations sheet -----------------------------------------------------------------
def _locations_frame(locations: pd.DataFrame | None,
                     problems: list[Problem] | None = None) -> pd.DataFrame:
    """Locations indexed by code: role, supplied_by, transit_weeks, row (first of a code)."""
    empty = pd.DataFrame({"role": pd.Series(dtype=object), "supplied_by": pd.Series(dtype=object),
                          "transit_weeks": pd.Series(dtype=float),
                          "row": pd.Series(dtype=np.int64)})
    if locations is None or len(locations) == 0:
        return empty
    lf = locations.reset_index(drop=True)
    n = len(lf)
    rows = _rows(lf)
    code = _text(lf["location"])

    def column(name: str) -> pd.Series:
        return lf[name] if name in lf else pd.Series([None] * n, dtype=object)

    role = _role_text(column("role"))
    transit, bad = _numbers(column("transit_weeks"))
    if problems is not None:
        problems += _bad_roles(column("role"), role, rows, "Locations")
        problems += _located(bad, rows, "Locations", "transit_weeks", column("transit_weeks"),
                             "transit_weeks: expected a number of weeks")
        problems += _whole_weeks(transit, rows, "Locations", column("transit_weeks"))
        dup = code.notna() & code.duplicated()
        first = dict(zip(code[~code.duplicated()], rows[~code.duplicated().to_numpy()]))
        problems += [Problem(f"location {c} is listed twice (first on row {first[c]})",
                             "Locations", _row(r), column="location", value=c)
                     for c, r in zip(code[dup], rows[dup.to_numpy()])]
    transit = transit.where((transit >= 0) & (transit == np.floor(transit)))
    out = pd.DataFrame({"role": role.fillna("store").to_numpy(dtype=object),
                        "supplied_by": _text(column("supplied_by")).to_numpy(dtype=object),
                        "transit_weeks": transit.to_numpy(dtype=float), "row": rows},
                       index=code.to_numpy(dtype=object))
    out = out[out.index.notna()]
    return out[~out.index.duplicated()]


def _locations_sheet_problems(locs: pd.DataFrame, declared: dict[Any, Any]) -> list[Problem]:
    problems: list[Problem] = []
    sup = locs["supplied_by"]
    named = sup.notna() & sup.fillna("").str.casefold().ne(DIRECT)
    for code, rec in locs[named].iterrows():
        target = rec["supplied_by"]
        if declared.get(target) != "dc":
            problems.append(Problem(
                f"supplied_by {target} is not a DC ({_what(target, declared)})", "Locations",
                _row(rec["row"]), column="supplied_by", value=target))
        elif rec["role"] == "dc":
            problems.append(Problem(
                f"DC {code} is supplied by {target}: a DC orders from its supplier itself "
                "(one DC level)", "Locations", _row(rec["row"]), column="supplied_by",
                value=target))
    return problems


def _not_a_dc(bad: np.ndarray, from_inv: np.ndarray, sup: pd.Series, target: np.ndarray,
              target_role: np.ndarray, sku: pd.Series, loc: pd.Series, rows: np.ndarray,
              locs: pd.DataFrame, declared: dict[Any, Any]) -> list[Problem]:
    """A supplied_by naming something that is not a DC for that SKU, reported once where set."""
    problems: list[Problem] = []
    reported: set[int] = set()
    for j in np.flatnonzero(bad).tolist():
        name = sup.iat[j]
        if from_inv[j]:
            known = isinstance(target_role[j], str)
            what = f"its role is {target_role[j]}" if known else "not a known location"
            problems.append(Problem(
                f"supplied_by {name} for sku {sku.iat[j]} at {loc.iat[j]} is not a DC ({what})",
                "Inventory", _row(rows[j]), column="supplied_by", value=name))
        elif declared.get(name) == "dc" and target[j] >= 0 and target[j] not in reported:
            # Locations says it is a DC; this SKU's Inventory row there says otherwise
            reported.add(int(target[j]))
            where = locs["row"].get(loc.iat[j])
            problems.append(Problem(
                f"{name} supplies {loc.iat[j]} (Locations row {where}) but this row makes it "
                f"a {target_role[j]} for sku {sku.iat[j]}", "Inventory",
                _row(rows[target[j]]), column="role", value=target_role[j]))
        # else: the Locations row itself is wrong and is reported there
    return problems


def _what(target: Any, declared: dict[Any, Any]) -> str:
    role = declared.get(target)
    return f"its role is {role}" if role else "not a known location"


# --- small helpers ------------------------------------------------------------------------
def _text(values: Any) -> pd.Series:
    """Cells as stripped text, blank → None."""
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    texts = stripped_texts(s.to_numpy(dtype=object))
    if texts is not None:
        return pd.Series(texts, dtype=object)
    blank = s.isna()
    out = s.astype(str).str.strip().astype(object)
    return out.where(~blank & (out != ""), None).astype(object)


def _role_text(values: pd.Series) -> pd.Series:
    text = _text(values).str.casefold()
    return text.where(text.isin(ROLES), None).astype(object)


def _bad_roles(raw: pd.Series, role: pd.Series, rows: np.ndarray, sheet: str) -> list[Problem]:
    text = _text(raw)
    bad = text.notna() & role.isna()
    return [Problem(f"role: expected store, dc or online, got \"{v}\"", sheet, _row(r),
                    column="role", value=v)
            for v, r in zip(text[bad], rows[bad.to_numpy()])]


def _numbers(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numbers (NaN where blank) and a mask of the cells that hold something else."""
    raw = pd.Series(raw, dtype=object).reset_index(drop=True)
    num = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = (num.isna() & _text(raw).notna()).to_numpy()
    return num, bad


def _located(bad: np.ndarray, rows: np.ndarray, sheet: str, column: str, raw: pd.Series,
             reason: str) -> list[Problem]:
    values = pd.Series(raw, dtype=object).reset_index(drop=True)
    return [Problem(f"{reason}, got {show_value(values.iat[j])}", sheet, _row(rows[j]),
                    column=column, value=values.iat[j]) for j in np.flatnonzero(bad).tolist()]


def _whole_weeks(num: pd.Series, rows: np.ndarray, sheet: str, raw: pd.Series) -> list[Problem]:
    bad = (num.notna() & ((num < 0) | (num != np.floor(num)))).to_numpy()
    return _located(bad, rows, sheet, "transit_weeks", raw,
                    "transit_weeks: expected whole weeks, 0 or more")


def _positive_packs(num: pd.Series, rows: np.ndarray, sheet: str,
                    raw: pd.Series) -> list[Problem]:
    bad = (num.notna() & (num <= 0)).to_numpy()
    return _located(bad, rows, sheet, "pack_size", raw,
                    "pack_size: expected a number of units above 0")


def _row(row: Any) -> int | None:
    return int(row) if row is not None and not pd.isna(row) and int(row) > 0 else None
