"""Demand and supply arrays on the sku-location × week grid.

Each function turns one input frame into an (n_sku_locations, horizon) array with numpy
scatter-adds, plus the warnings a planner should see about records that could not be placed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from pysnop.core import calendar
from pysnop.errors import Problem

MAX_LISTED = 200  # individual warnings of one kind; the rest are summarised


def key_lookup(keys: pd.DataFrame, sku: ArrayLike | Iterable[object],
               location: ArrayLike | Iterable[object]) -> NDArray[np.intp]:
    """Position of each (sku, location) in ``keys``, -1 where it is not an Inventory row."""
    index = pd.MultiIndex.from_arrays([keys["sku"].astype(object), keys["location"].astype(object)])
    probe = pd.MultiIndex.from_arrays([pd.Series(sku, dtype=object), pd.Series(location, dtype=object)])
    pos: NDArray[np.intp] = index.get_indexer(probe)
    return pos


def _rows(frame: pd.DataFrame) -> NDArray[np.int64]:
    if "row" in frame.columns:
        rows: NDArray[np.int64] = pd.to_numeric(frame["row"], errors="coerce").fillna(-1) \
            .astype(np.int64).to_numpy()
        return rows
    return np.full(len(frame), -1, dtype=np.int64)


def _row_or_none(row: int) -> int | None:
    return int(row) if row is not None and row > 0 else None


def summarise(problems: list[Problem], what: str, sheet: str) -> list[Problem]:
    """Keep the first MAX_LISTED warnings of a kind and say how many more there were."""
    if len(problems) <= MAX_LISTED:
        return problems
    extra = len(problems) - MAX_LISTED
    return problems[:MAX_LISTED] + [Problem(f"... and {extra} more {what}", sheet,
                                            severity="warning")]


def baseline_array(forecast: pd.DataFrame, keys: pd.DataFrame, week0: pd.Timestamp,
                   horizon: int) -> tuple[NDArray[np.float64], list[Problem]]:
    """Baseline units per sku-location and week from the bottom-level Forecast rows.

    Where several sources forecast the same sku-location and week, they are averaged with
    equal weights; the consensus stage replaces this when it runs. A DC (``keys`` role
    ``dc``) without a forecast is not warned about: most DCs have no demand of their own.
    """
    n = len(keys)
    base = np.zeros((n, horizon), order="F")
    warnings: list[Problem] = []
    if forecast is None or len(forecast) == 0:
        return base, _no_forecast_warnings(keys, np.zeros(n, dtype=bool))
    fc = forecast
    bottom = fc["sku"].notna() & fc["location"].notna()
    if (~bottom).any():
        rows = _rows(fc[~bottom])
        first = ", ".join(str(r) for r in rows[:5] if r > 0)
        warnings.append(Problem(
            f"{int((~bottom).sum())} rows forecast above sku×location level"
            + (f" (rows {first}{', ...' if len(rows) > 5 else ''})" if first else "")
            + "; the bridge uses sku×location rows only", "Forecast", severity="warning"))
    fc = fc[bottom]
    k = calendar.week_index(fc["week"].to_numpy(), week0)
    i = key_lookup(keys, fc["sku"].to_numpy(), fc["location"].to_numpy())
    units = pd.to_numeric(fc["units"], errors="coerce").fillna(0.0).to_numpy(dtype=float)

    unknown = i < 0
    if unknown.any():
        pairs = pd.DataFrame({"sku": fc["sku"].to_numpy()[unknown],
                              "location": fc["location"].to_numpy()[unknown],
                              "row": _rows(fc)[unknown]}).drop_duplicates(["sku", "location"])
        warnings += summarise([
            Problem(f"forecast for sku {s} at location {loc}, which is not in Inventory: "
                    "not projected", "Forecast", _row_or_none(r), severity="warning")
            for s, loc, r in pairs.itertuples(index=False)], "forecasts for unknown sku-locations",
            "Forecast")

    inside = (~unknown) & (k >= 0) & (k < horizon)
    i, k, units = i[inside], k[inside], units[inside]
    source = fc["source"].to_numpy(dtype=object)[inside] if "source" in fc.columns else None
    if source is not None and pd.Series(source).dropna().nunique() > 1:
        # equal-weight mean over the sources that forecast each cell
        cells = pd.DataFrame({"i": i, "k": k, "src": pd.Series(source).fillna(""), "u": units})
        per_source = cells.groupby(["i", "k", "src"], sort=False)["u"].sum()
        per_cell = per_source.groupby(level=["i", "k"], sort=False).mean()
        base[per_cell.index.get_level_values("i"), per_cell.index.get_level_values("k")] = \
            per_cell.to_numpy()
    else:
        np.add.at(base, (i, k), units)
    has_forecast = np.zeros(n, dtype=bool)
    has_forecast[i] = True
    return base, warnings + _no_forecast_warnings(keys, has_forecast)


def _no_forecast_warnings(keys: pd.DataFrame, has_forecast: NDArray[np.bool_]) -> list[Problem]:
    is_dc = (keys["role"] == "dc").to_numpy(dtype=bool) if "role" in keys else False
    missing = np.flatnonzero(~has_forecast & ~is_dc)
    rows = _rows(keys)
    sku = keys["sku"].to_numpy(dtype=object)
    loc = keys["location"].to_numpy(dtype=object)
    return summarise([
        Problem(f"no forecast for sku {sku[j]} at location {loc[j]} in the horizon: "
                "baseline taken as 0", "Inventory", _row_or_none(rows[j]), severity="warning")
        for j in missing], "sku-locations without a forecast", "Inventory")


@dataclass
class CampaignGrid:
    """Campaigns placed on the grid.

    ``frac`` is (n_campaigns, H); pairs (pair_campaign, pair_key) link each campaign to the
    sku-location rows in its scope; ``counted`` marks campaigns whose status creates demand.
    """

    frac: NDArray[np.float64]
    lift: NDArray[np.float64]
    counted: NDArray[np.bool_]
    cancelled: NDArray[np.bool_]
    start_days: NDArray[np.int64]
    end_days: NDArray[np.int64]
    pair_campaign: NDArray[np.int64]
    pair_key: NDArray[np.int64]
    warnings: list[Problem]

    def lift_factor(self, n: int) -> NDArray[np.float64]:
        """Σ_c lift_c × frac_c[w] per sku-location, counted campaigns only."""
        factor = np.zeros((n, self.frac.shape[1]), order="F")
        use = self.counted[self.pair_campaign]
        c, i = self.pair_campaign[use], self.pair_key[use]
        np.add.at(factor, i, self.lift[c, None] * self.frac[c])
        return factor

    def promo_mask(self, n: int) -> NDArray[np.bool_]:
        mask = np.zeros((n, self.frac.shape[1]), dtype=bool)
        use = self.counted[self.pair_campaign]
        c, i = self.pair_campaign[use], self.pair_key[use]
        touched = self.frac[c] > 0
        rows, weeks = np.nonzero(touched)
        mask[i[rows], weeks] = True
        return mask


def place_campaigns(campaigns: pd.DataFrame, keys: pd.DataFrame, count_statuses: Iterable[str],
                    week0: pd.Timestamp, horizon: int) -> CampaignGrid:
    n_c = len(campaigns)
    status = campaigns["status"].astype(object).fillna("Planned").astype(str).str.strip() if n_c else \
        pd.Series([], dtype=object)
    status = status.where(status != "", "Planned")
    folded = status.str.casefold()
    counted = folded.isin({s.casefold() for s in count_statuses}).to_numpy(dtype=bool)
    cancelled = (folded == "cancelled").to_numpy(dtype=bool)
    start = calendar.to_days(campaigns["start"].to_numpy()) if n_c else np.zeros(0, np.int64)
    end = calendar.to_days(campaigns["end"].to_numpy()) if n_c else np.zeros(0, np.int64)
    frac = calendar.overlap_fraction(start, end, week0, horizon)
    lift = pd.to_numeric(campaigns["lift"], errors="coerce").fillna(0.0).to_numpy(dtype=float) \
        if n_c else np.zeros(0)

    pair_c, pair_i, warnings = _scope_pairs(campaigns, keys)
    rows = _rows(campaigns)
    ids = campaigns["campaign_id"].to_numpy(dtype=object) if n_c else np.zeros(0, dtype=object)
    # a campaign that ended before week 0 is history (it teaches the learned lift,
    # docs/semantics.md), not a mistake to warn about
    ended = end < np.datetime64(week0.date(), "D").astype(np.int64)
    outside = (frac.sum(axis=1) == 0) & ~cancelled & ~ended
    horizon_end = week0 + pd.Timedelta(days=7 * horizon - 1)
    warnings += summarise([
        Problem(f"campaign {ids[c]} runs outside the horizon "
                f"({week0:%Y-%m-%d} to {horizon_end:%Y-%m-%d}): not projected", "Campaigns",
                _row_or_none(rows[c]), severity="warning")
        for c in np.flatnonzero(outside)], "campaigns outside the horizon", "Campaigns")
    return CampaignGrid(frac, lift, counted, cancelled, start, end, pair_c, pair_i, warnings)


def _scope_pairs(campaigns: pd.DataFrame, keys: pd.DataFrame
                 ) -> tuple[NDArray[np.int64], NDArray[np.int64], list[Problem]]:
    """(campaign, sku-location) pairs: blank/ALL scope = every selling location (role not
    ``dc`` in ``keys``, when it has roles) stocking the sku; a listed DC is in scope."""
    if len(campaigns) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    inv = pd.DataFrame({"sku": keys["sku"].to_numpy(dtype=object),
                        "location": keys["location"].to_numpy(dtype=object),
                        "i": np.arange(len(keys))})
    selling = inv[(keys["role"] != "dc").to_numpy(dtype=bool)] if "role" in keys else inv
    camp = pd.DataFrame({"c": np.arange(len(campaigns)),
                         "sku": campaigns["sku"].to_numpy(dtype=object),
                         "locations": campaigns["locations"].to_numpy(dtype=object),
                         "id": campaigns["campaign_id"].to_numpy(dtype=object),
                         "row": _rows(campaigns)})
    scope_all = camp["locations"].map(lambda locs: not locs)
    all_pairs = camp[scope_all].merge(selling, on="sku")[["c", "i"]]

    listed = camp[~scope_all].explode("locations").rename(columns={"locations": "location"})
    listed_pairs = listed.merge(inv, on=["sku", "location"], how="left")
    warnings: list[Problem] = []
    stocked = set(inv["sku"])
    missing_loc = listed_pairs[listed_pairs["i"].isna() & listed_pairs["sku"].isin(stocked)]
    warnings += summarise([
        Problem(f"campaign {cid}: location {loc} does not stock sku {sku}; ignored there",
                "Campaigns", _row_or_none(r), severity="warning")
        for cid, sku, loc, r in missing_loc[["id", "sku", "location", "row"]]
        .itertuples(index=False)], "campaign locations that do not stock the sku", "Campaigns")
    unstocked = camp[~camp["sku"].isin(stocked)]
    warnings += summarise([
        Problem(f"campaign {cid}: no location in Inventory stocks sku {sku}", "Campaigns",
                _row_or_none(r), severity="warning")
        for cid, sku, r in unstocked[["id", "sku", "row"]].itertuples(index=False)],
        "campaigns for unstocked skus", "Campaigns")
    listed_pairs = listed_pairs.dropna(subset=["i"])
    pairs = pd.concat([all_pairs, listed_pairs[["c", "i"]]]).astype(np.int64)
    pairs = pairs.drop_duplicates().sort_values(["c", "i"], kind="stable")
    return pairs["c"].to_numpy(), pairs["i"].to_numpy(), warnings


CLOSED_RECEIPT_STATUSES = {"received", "cancelled", "canceled"}


def receipts_array(receipts: pd.DataFrame, keys: pd.DataFrame, week0: pd.Timestamp,
                   horizon: int) -> tuple[NDArray[np.float64], list[Problem]]:
    """Open receipts per week; past-due ones land in week 0, those after the horizon are left out."""
    out = np.zeros((len(keys), horizon), order="F")
    if receipts is None or len(receipts) == 0:
        return out, []
    rc = receipts
    if "status" in rc.columns:
        closed = rc["status"].astype(object).fillna("").astype(str).str.strip().str.casefold() \
            .isin(CLOSED_RECEIPT_STATUSES)
        rc = rc[~closed.to_numpy()]
    k = np.maximum(calendar.week_index(rc["due"].to_numpy(), week0), 0)
    i = key_lookup(keys, rc["sku"].to_numpy(), rc["location"].to_numpy())
    qty = pd.to_numeric(rc["qty"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    unknown = i < 0
    rows = _rows(rc)
    sku = rc["sku"].to_numpy(dtype=object)
    loc = rc["location"].to_numpy(dtype=object)
    warnings = summarise([
        Problem(f"receipt for sku {sku[j]} at location {loc[j]}, which is not in Inventory: "
                "not projected", "Receipts", _row_or_none(rows[j]), severity="warning")
        for j in np.flatnonzero(unknown)], "receipts for unknown sku-locations", "Receipts")
    use = ~unknown & (k < horizon)
    np.add.at(out, (i[use], k[use]), qty[use])
    return out, warnings
