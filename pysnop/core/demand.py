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


@dataclass(frozen=True)
class KeyIndex:
    """Where each (sku, location) of ``keys`` sits: built once per run and probed by every
    frame placed on the grid (Forecast, Receipts, campaign scopes), instead of a pandas
    MultiIndex rebuilt for each. Blank (None/NaN) skus or locations match each other, as in
    a MultiIndex; ``keys`` must be unique, as a MultiIndex lookup requires."""

    skus: pd.Index  # distinct skus of keys (blanks left out)
    locations: pd.Index  # distinct locations of keys (blanks left out)
    sku_code: NDArray[np.intp]  # per keys row: position in ``skus``, -1 when blank
    pairs: pd.Index  # per keys row: the pair's code (see _pair_codes)

    @classmethod
    def of(cls, sku: ArrayLike | Iterable[object], location: ArrayLike | Iterable[object]
           ) -> KeyIndex:
        sku_code, skus = pd.factorize(_objects(sku))
        loc_code, locations = pd.factorize(_objects(location))
        pairs = pd.Index(_pair_codes(sku_code, loc_code, len(locations)))
        if not pairs.is_unique:  # as MultiIndex.get_indexer refuses a non-unique index
            raise pd.errors.InvalidIndexError(
                "Reindexing only valid with uniquely valued Index objects")
        return cls(pd.Index(skus, dtype=object), pd.Index(locations, dtype=object),
                   sku_code.astype(np.intp), pairs)

    @classmethod
    def of_frame(cls, keys: pd.DataFrame) -> KeyIndex:
        return cls.of(keys["sku"], keys["location"])

    def sku_position(self, sku: ArrayLike | Iterable[object]) -> NDArray[np.intp]:
        """Position of each sku in ``skus``: -1 blank, -2 not a sku of keys."""
        return _codes(self.skus, _objects(sku))

    def location_position(self, location: ArrayLike | Iterable[object]) -> NDArray[np.intp]:
        """Position of each location in ``locations``: -1 blank, -2 not a location of keys."""
        return _codes(self.locations, _objects(location))

    def pair_positions(self, sku_pos: NDArray[np.intp], loc_pos: NDArray[np.intp]
                       ) -> NDArray[np.intp]:
        """Row of each (sku_position, location_position) pair in keys, -1 where none."""
        code = np.where((sku_pos >= -1) & (loc_pos >= -1),
                        _pair_codes(sku_pos, loc_pos, len(self.locations)), -1)
        pos: NDArray[np.intp] = self.pairs.get_indexer(code)
        return pos

    def positions(self, sku: ArrayLike | Iterable[object],
                  location: ArrayLike | Iterable[object]) -> NDArray[np.intp]:
        """Row of each (sku, location) in keys, -1 where it is not one of them."""
        return self.pair_positions(self.sku_position(sku), self.location_position(location))


def _codes(distinct: pd.Index, values: NDArray[np.object_]) -> NDArray[np.intp]:
    # an object Index: left to itself pandas would first infer (and check) a string dtype
    pos: NDArray[np.intp] = distinct.get_indexer(pd.Index(values, dtype=object, copy=False))
    miss = np.flatnonzero(pos < 0)
    if len(miss):  # blank or unknown: only the misses are tested for blank
        pos[miss] = np.where(pd.isna(values[miss]), -1, -2)
    return pos


def _objects(values: ArrayLike | Iterable[object]) -> NDArray[np.object_]:
    if isinstance(values, (pd.Series, pd.Index)):
        out: NDArray[np.object_] = values.to_numpy(dtype=object)
        return out
    if isinstance(values, np.ndarray):
        as_objects: NDArray[np.object_] = values.astype(object, copy=False)
        return as_objects
    listed: NDArray[np.object_] = pd.Series(values, dtype=object).to_numpy()
    return listed


def _pair_codes(sku_code: NDArray[np.intp], loc_code: NDArray[np.intp], n_locations: int
                ) -> NDArray[np.int64]:
    """One int per (sku, location) code pair; -1 (blank) is a code of its own."""
    return (sku_code.astype(np.int64) + 1) * (n_locations + 1) + (loc_code + 1)


def key_lookup(keys: pd.DataFrame, sku: ArrayLike | Iterable[object],
               location: ArrayLike | Iterable[object]) -> NDArray[np.intp]:
    """Position of each (sku, location) in ``keys``, -1 where it is not an Inventory row."""
    return KeyIndex.of_frame(keys).positions(sku, location)


def _rows(frame: pd.DataFrame) -> NDArray[np.int64]:
    if "row" in frame.columns:
        if frame["row"].dtype == np.int64:  # the readers' row numbers: nothing to coerce
            whole: NDArray[np.int64] = frame["row"].to_numpy(copy=True)
            return whole
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
                   horizon: int, index: KeyIndex | None = None
                   ) -> tuple[NDArray[np.float64], list[Problem]]:
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
    index = index or KeyIndex.of_frame(keys)
    sku, loc = fc["sku"].to_numpy(dtype=object), fc["location"].to_numpy(dtype=object)
    sku_pos, loc_pos = index.sku_position(sku), index.location_position(loc)
    bottom = (sku_pos != -1) & (loc_pos != -1)  # -1: blank
    all_rows = _rows(fc)
    if not bottom.all():
        rows = all_rows[~bottom]
        first = ", ".join(str(r) for r in rows[:5] if r > 0)
        warnings.append(Problem(
            f"{int((~bottom).sum())} rows forecast above sku×location level"
            + (f" (rows {first}{', ...' if len(rows) > 5 else ''})" if first else "")
            + "; the bridge uses sku×location rows only", "Forecast", severity="warning"))
    sku, loc, rows = sku[bottom], loc[bottom], all_rows[bottom]
    k = calendar.week_index(fc["week"].to_numpy()[bottom], week0)
    i = index.pair_positions(sku_pos[bottom], loc_pos[bottom])
    units = pd.to_numeric(fc["units"], errors="coerce").fillna(0.0).to_numpy(dtype=float)[bottom]

    unknown = i < 0
    if unknown.any():
        pairs = pd.DataFrame({"sku": sku[unknown], "location": loc[unknown],
                              "row": rows[unknown]}).drop_duplicates(["sku", "location"])
        warnings += summarise([
            Problem(f"forecast for sku {s} at location {loc}, which is not in Inventory: "
                    "not projected", "Forecast", _row_or_none(r), severity="warning")
            for s, loc, r in pairs.itertuples(index=False)], "forecasts for unknown sku-locations",
            "Forecast")

    inside = (~unknown) & (k >= 0) & (k < horizon)
    i, k, units = i[inside], k[inside], units[inside]
    source = fc["source"].to_numpy(dtype=object)[bottom][inside] if "source" in fc.columns \
        else None
    if source is not None and len(pd.factorize(source)[1]) > 1:  # distinct non-blank sources
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


def _is_dc(keys: pd.DataFrame) -> NDArray[np.bool_]:
    """``keys["role"] == "dc"`` per row, judged once per distinct role."""
    codes, roles = pd.factorize(keys["role"].to_numpy(dtype=object))
    dc = np.array([isinstance(r, str) and r == "dc" for r in roles] + [False])
    is_dc: NDArray[np.bool_] = dc[codes]  # code -1 (blank) takes the last entry
    return is_dc


def _no_forecast_warnings(keys: pd.DataFrame, has_forecast: NDArray[np.bool_]) -> list[Problem]:
    is_dc = _is_dc(keys) if "role" in keys else False
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
                    week0: pd.Timestamp, horizon: int, index: KeyIndex | None = None
                    ) -> CampaignGrid:
    n_c = len(campaigns)
    # each distinct status as text, stripped and casefolded, blank read as Planned
    codes, distinct = pd.factorize(campaigns["status"].to_numpy(dtype=object)) if n_c else \
        (np.zeros(0, np.intp), np.zeros(0, dtype=object))
    words = [str(v).strip().casefold() or "planned" for v in distinct] + ["planned"]
    counting = {s.casefold() for s in count_statuses}
    counted = np.array([w in counting for w in words])[codes]  # code -1 (blank): last
    cancelled = np.array([w == "cancelled" for w in words])[codes]
    start = calendar.to_days(campaigns["start"].to_numpy()) if n_c else np.zeros(0, np.int64)
    end = calendar.to_days(campaigns["end"].to_numpy()) if n_c else np.zeros(0, np.int64)
    frac = calendar.overlap_fraction(start, end, week0, horizon)
    lift = pd.to_numeric(campaigns["lift"], errors="coerce").fillna(0.0).to_numpy(dtype=float) \
        if n_c else np.zeros(0)

    pair_c, pair_i, warnings = _scope_pairs(campaigns, keys, index)
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


def _scope_pairs(campaigns: pd.DataFrame, keys: pd.DataFrame, index: KeyIndex | None = None
                 ) -> tuple[NDArray[np.int64], NDArray[np.int64], list[Problem]]:
    """(campaign, sku-location) pairs: blank/ALL scope = every selling location (role not
    ``dc`` in ``keys``, when it has roles) stocking the sku; a listed DC is in scope.
    Pairs come sorted by campaign, then sku-location, each once."""
    if len(campaigns) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    index = index or KeyIndex.of_frame(keys)
    n = len(keys)
    sku = campaigns["sku"].to_numpy(dtype=object)
    ids = campaigns["campaign_id"].to_numpy(dtype=object)
    rows = _rows(campaigns)
    camp_sku = index.sku_position(sku)  # -1 blank sku, -2 a sku no Inventory row stocks
    locations = campaigns["locations"]
    scope_all = locations.map(lambda locs: not locs).to_numpy(dtype=bool)

    # blank scope: every selling row of the campaign's sku, the rows grouped by sku
    selling = np.flatnonzero(~_is_dc(keys)) if "role" in keys else np.arange(n)
    by_sku = selling[np.argsort(index.sku_code[selling], kind="stable")]
    sku_of = index.sku_code[by_sku]
    c_all = np.flatnonzero(scope_all)
    code = camp_sku[c_all]
    first = np.searchsorted(sku_of, code, side="left")
    count = np.searchsorted(sku_of, code, side="right") - first
    c_rep = np.repeat(c_all, count)
    at = np.arange(len(c_rep)) - np.repeat(np.cumsum(count) - count, count)
    i_all = by_sku[np.repeat(first, count) + at]

    # listed scope: each listed location looked up with the campaign's sku
    listed = pd.Series(locations.to_numpy(dtype=object)[~scope_all],
                       index=np.flatnonzero(~scope_all)).explode()
    c_listed = listed.index.to_numpy(dtype=np.intp)
    listed_loc = listed.to_numpy(dtype=object)
    i_listed = index.positions(sku[c_listed], listed_loc)
    # a blank sku is stocked when a row has a blank sku (blanks match, as in pandas' isin)
    stocked = (camp_sku >= 0) | ((camp_sku == -1) & bool((index.sku_code < 0).any()))
    warnings: list[Problem] = []
    missing_loc = np.flatnonzero((i_listed < 0) & stocked[c_listed])
    warnings += summarise([
        Problem(f"campaign {ids[c]}: location {loc} does not stock sku {sku[c]}; ignored there",
                "Campaigns", _row_or_none(rows[c]), severity="warning")
        for c, loc in zip(c_listed[missing_loc], listed_loc[missing_loc])],
        "campaign locations that do not stock the sku", "Campaigns")
    warnings += summarise([
        Problem(f"campaign {ids[c]}: no location in Inventory stocks sku {sku[c]}", "Campaigns",
                _row_or_none(rows[c]), severity="warning")
        for c in np.flatnonzero(~stocked)], "campaigns for unstocked skus", "Campaigns")
    found = i_listed >= 0
    pair = np.unique(np.r_[c_rep.astype(np.int64) * n + i_all,
                           c_listed[found].astype(np.int64) * n + i_listed[found]])
    return pair // n, pair % n, warnings


CLOSED_RECEIPT_STATUSES = {"received", "cancelled", "canceled"}


def receipts_array(receipts: pd.DataFrame, keys: pd.DataFrame, week0: pd.Timestamp,
                   horizon: int, index: KeyIndex | None = None
                   ) -> tuple[NDArray[np.float64], list[Problem]]:
    """Open receipts per week; past-due ones land in week 0, those after the horizon are left out."""
    out = np.zeros((len(keys), horizon), order="F")
    if receipts is None or len(receipts) == 0:
        return out, []
    rc = receipts
    open_ = np.ones(len(rc), dtype=bool)
    if "status" in rc.columns:
        open_ = ~_folded_in(rc["status"], CLOSED_RECEIPT_STATUSES)
    k = np.maximum(calendar.week_index(rc["due"].to_numpy()[open_], week0), 0)
    sku = rc["sku"].to_numpy(dtype=object)[open_]
    loc = rc["location"].to_numpy(dtype=object)[open_]
    i = (index or KeyIndex.of_frame(keys)).positions(sku, loc)
    qty = pd.to_numeric(rc["qty"], errors="coerce").fillna(0.0).to_numpy(dtype=float)[open_]
    unknown = i < 0
    rows = _rows(rc)[open_]
    warnings = summarise([
        Problem(f"receipt for sku {sku[j]} at location {loc[j]}, which is not in Inventory: "
                "not projected", "Receipts", _row_or_none(rows[j]), severity="warning")
        for j in np.flatnonzero(unknown)], "receipts for unknown sku-locations", "Receipts")
    use = ~unknown & (k < horizon)
    np.add.at(out, (i[use], k[use]), qty[use])
    return out, warnings


def _folded_in(values: pd.Series, words: Iterable[str]) -> NDArray[np.bool_]:
    """``values`` as text (blank → ""), stripped and casefolded, is one of ``words`` (already
    folded): worked out once per distinct value, as statuses repeat down a column."""
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    wanted = set(words)
    hit = np.fromiter((str(v).strip().casefold() in wanted for v in distinct), dtype=bool,
                      count=len(distinct))
    blank = "" in wanted
    return np.where(codes < 0, blank, hit[np.maximum(codes, 0)] if len(hit) else False)
