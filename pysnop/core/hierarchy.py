"""The forecast hierarchy: total → category → sku → sku×location.

A :class:`Hierarchy` is a tree of nodes stored level by level (the total first, then every
category, every sku, every sku×location). Leaves are the nodes without children; normally
the sku×location nodes, but a sku known only at sku level (or a category without skus) is a
leaf too, so the tree may be ragged. The summing matrix ``S`` has one row per node and one
column per leaf: ``S[i, j] = 1`` when leaf ``j`` lies under node ``i`` (or is node ``i``).

Node ids are readable strings::

    "total"                      the grand total
    "category=Snacks"            a category
    "sku=S1"                     a sku (a sku belongs to one category)
    "sku=S1|location=DC1"        a sku at a location (a bottom node)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from pysnop.core.locations import location_roles

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

LEVELS = ("total", "category", "sku", "sku_location")
TOTAL = "total"
NO_CATEGORY = "(no category)"
ALL_CATEGORIES = "ALL"


def node_id(level: str, category: object = None, sku: object = None,
            location: object = None) -> str:
    """The id of a node from its keys (``category`` is only used at category level)."""
    if level == "total":
        return TOTAL
    if level == "category":
        return f"category={category}"
    if level == "sku":
        return f"sku={sku}"
    if level == "sku_location":
        return f"sku={sku}|location={location}"
    raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")


def _text(values: Iterable[object]) -> pd.Series:
    """Keys as stripped text, blank → None."""
    s = pd.Series(values, dtype=object)
    s = s.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
              else str(v).strip())
    return s.where(s != "", None)


def row_levels(frame: pd.DataFrame) -> NDArray[np.object_]:
    """The level of each forecast-like row from the keys it fills.

    sku+location → ``sku_location``; sku only → ``sku``; category only → ``category``;
    category ``ALL`` (any case) or no keys → ``total``; a location without a sku → ``""``
    (not a node of the tree).
    """
    n = len(frame)
    sku = _text(frame["sku"]) if "sku" in frame.columns else pd.Series([None] * n, dtype=object)
    loc = _text(frame["location"]) if "location" in frame.columns else \
        pd.Series([None] * n, dtype=object)
    cat = _text(frame["category"]) if "category" in frame.columns else \
        pd.Series([None] * n, dtype=object)
    has_sku, has_loc = sku.notna().to_numpy(), loc.notna().to_numpy()
    is_all = cat.fillna("").str.casefold().eq(ALL_CATEGORIES.casefold()).to_numpy()
    has_cat = cat.notna().to_numpy() & ~is_all
    levels: NDArray[np.object_] = np.select(
        [has_sku & has_loc, has_sku, has_loc, has_cat],
        ["sku_location", "sku", "", "category"], default="total").astype(object)
    return levels


@dataclass(frozen=True)
class Hierarchy:
    """A tree of forecast nodes, level by level.

    ``nodes`` has one row per node: node (id), level, category, sku, location, depth,
    parent (position, -1 for the total), n_leaves (leaves under it, itself if a leaf).
    ``leaves`` holds the positions of the leaf nodes, in node order (= columns of ``S``).
    """

    nodes: pd.DataFrame

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_keys(cls, bottom: pd.DataFrame | None = None,
                  sku_category: Mapping[str, str | None] | None = None,
                  skus: Iterable[object] = (), categories: Iterable[object] = ()) -> "Hierarchy":
        """Build from sku×location pairs, a sku → category map and extra skus / categories.

        A sku without a category goes under ``"(no category)"``. Order within a level is
        sorted by name, so the same inputs always give the same tree.
        """
        category_of: dict[str, str | None] = {str(k): (None if v is None else str(v))
                                              for k, v in (sku_category or {}).items()}
        pairs = pd.DataFrame(columns=["sku", "location"], dtype=object) if bottom is None else \
            pd.DataFrame({"sku": _text(bottom["sku"]).to_numpy(),
                          "location": _text(bottom["location"]).to_numpy()})
        pairs = pairs.dropna().drop_duplicates().sort_values(["sku", "location"])
        all_skus = sorted(set(pairs["sku"]) | {str(s) for s in skus if s is not None})
        cat_of = {s: (category_of.get(s) or NO_CATEGORY) for s in all_skus}
        all_cats = sorted(set(cat_of.values()) | {str(c) for c in categories
                                                   if c is not None and
                                                   str(c).casefold() != ALL_CATEGORIES.casefold()})
        cat_pos = {c: 1 + i for i, c in enumerate(all_cats)}
        sku_pos = {s: 1 + len(all_cats) + i for i, s in enumerate(all_skus)}
        rows: list[tuple[str, str | None, str | None, str | None, int]] = \
            [("total", None, None, None, -1)]
        rows += [("category", c, None, None, 0) for c in all_cats]
        rows += [("sku", cat_of[s], s, None, cat_pos[cat_of[s]]) for s in all_skus]
        rows += [("sku_location", cat_of[s], s, loc, sku_pos[s])
                 for s, loc in pairs.itertuples(index=False)]
        nodes = pd.DataFrame(rows, columns=["level", "category", "sku", "location", "parent"])
        return cls._finish(nodes)

    @classmethod
    def _finish(cls, nodes: pd.DataFrame) -> "Hierarchy":
        nodes = nodes.reset_index(drop=True)
        level_depth = {lv: d for d, lv in enumerate(LEVELS)}
        nodes.insert(0, "node", [node_id(lv, c, s, loc) for lv, c, s, loc in
                                 nodes[["level", "category", "sku", "location"]]
                                 .itertuples(index=False)])
        nodes["depth"] = nodes["level"].map(level_depth).astype(np.int64)
        parent = nodes["parent"].to_numpy(dtype=np.int64)
        n = len(nodes)
        child_count = np.bincount(parent[parent >= 0], minlength=n)
        is_leaf = child_count == 0
        n_leaves = is_leaf.astype(np.int64)
        depth = nodes["depth"].to_numpy()
        for d in range(int(depth.max()), 0, -1):
            idx = np.flatnonzero(depth == d)
            np.add.at(n_leaves, parent[idx], n_leaves[idx])
        nodes["parent"] = parent
        nodes["n_leaves"] = n_leaves
        nodes["is_leaf"] = is_leaf
        if nodes["node"].duplicated().any():
            dup = nodes.loc[nodes["node"].duplicated(), "node"].iloc[0]
            raise ValueError(f"duplicate node {dup} in the hierarchy")
        return cls(nodes)

    # -- shape ----------------------------------------------------------------------------
    @property
    def ids(self) -> pd.Index:
        return pd.Index(self.nodes["node"], name="node")

    @property
    def parent(self) -> NDArray[np.int64]:
        parent: NDArray[np.int64] = self.nodes["parent"].to_numpy()
        return parent

    @property
    def depth(self) -> NDArray[np.int64]:
        depth: NDArray[np.int64] = self.nodes["depth"].to_numpy()
        return depth

    @property
    def is_leaf(self) -> NDArray[np.bool_]:
        is_leaf: NDArray[np.bool_] = self.nodes["is_leaf"].to_numpy(dtype=bool)
        return is_leaf

    @property
    def leaves(self) -> NDArray[np.intp]:
        return np.flatnonzero(self.is_leaf)

    @property
    def n_leaves(self) -> NDArray[np.int64]:
        n_leaves: NDArray[np.int64] = self.nodes["n_leaves"].to_numpy()
        return n_leaves

    def __len__(self) -> int:
        return len(self.nodes)

    def by_depth(self) -> list[NDArray[np.intp]]:
        """Node positions at each depth 0..max (a depth may be empty in a ragged tree)."""
        depth = self.depth
        return [np.flatnonzero(depth == d) for d in range(int(depth.max()) + 1)]

    def summing_matrix(self, sparse: bool = True) -> csr_matrix | NDArray[np.float64]:
        """``S`` (nodes × leaves): scipy.sparse CSR if ``sparse`` else a numpy array."""
        n, leaves = len(self), self.leaves
        leaf_col, anc, parent = np.arange(len(leaves)), leaves, self.parent
        rows, cols = [anc], [leaf_col]
        while True:  # one step up per level, all leaves at once
            up = parent[anc]
            keep = up >= 0
            anc, leaf_col = up[keep], leaf_col[keep]
            if len(anc) == 0:
                break
            rows.append(anc)
            cols.append(leaf_col)
        r, c = np.concatenate(rows), np.concatenate(cols)
        if sparse:
            from scipy import sparse as sp
            return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, len(leaves)))
        out = np.zeros((n, len(leaves)))
        out[r, c] = 1.0
        return out

    def aggregate(self, leaf_values: ArrayLike) -> NDArray[np.float64]:
        """``S @ leaf_values`` level by level: (n_leaves × T) → (n_nodes × T)."""
        values = np.asarray(leaf_values, dtype=float)
        out = np.zeros((len(self),) + values.shape[1:])
        out[self.leaves] = values
        parent = self.parent
        for idx in reversed(self.by_depth()[1:]):
            np.add.at(out, parent[idx], out[idx])
        return out

    # -- lookup ----------------------------------------------------------------------------
    def position(self, ids: Iterable[object]) -> NDArray[np.intp]:
        """Position of each node id, -1 where the id is not in the tree."""
        pos: NDArray[np.intp] = self.ids.get_indexer(pd.Index(list(ids), dtype=object))
        return pos

    def locate(self, frame: pd.DataFrame) -> NDArray[np.intp]:
        """Node position for each row of a frame keyed by sku / location / category.

        The level follows :func:`row_levels`; -1 where the node is not in the tree. A frame
        with a ``node`` column is looked up by id instead.
        """
        if "node" in frame.columns:
            return self.position(frame["node"].astype(object))
        levels = row_levels(frame)
        n = len(frame)
        blank = pd.Series([None] * n, dtype=object)
        sku = _text(frame["sku"]) if "sku" in frame.columns else blank
        loc = _text(frame["location"]) if "location" in frame.columns else blank
        cat = _text(frame["category"]) if "category" in frame.columns else blank
        ids = np.where(levels == "sku_location", "sku=" + sku.astype(str) + "|location="
                       + loc.astype(str),
                       np.where(levels == "sku", "sku=" + sku.astype(str),
                                np.where(levels == "category", "category=" + cat.astype(str),
                                         np.where(levels == "total", TOTAL, ""))))
        pos = self.position(ids)
        pos[levels == ""] = -1
        return pos


def build_hierarchy(inventory: pd.DataFrame | None = None, products: pd.DataFrame | None = None,
                    forecast: pd.DataFrame | None = None,
                    actuals: pd.DataFrame | None = None,
                    locations: pd.DataFrame | None = None) -> Hierarchy:
    """The tree for a workbook: leaves from Inventory (and any sku×location that is forecast
    or has actuals), skus from those plus sku-level forecasts, categories from Products,
    else Inventory, else the Forecast rows' own category column.

    Leaves are where demand happens: a DC (role ``dc`` on Inventory, else on ``locations``)
    is a leaf only where the Forecast gives it demand of its own, so higher-level forecasts
    are never spread onto a DC (docs/semantics.md, network)."""
    selling = inventory
    if inventory is not None and len(inventory) and \
            ("role" in inventory.columns or locations is not None):
        selling = inventory[location_roles(inventory, locations) != "dc"]
    bottoms: list[pd.DataFrame] = []
    skus: set[str | None] = set()
    cats: set[str | None] = set()
    sku_category: dict[str, str] = {}
    for frame in (forecast, inventory):  # later sources win: Inventory over Forecast
        if frame is not None and len(frame) and "category" in frame.columns and "sku" in frame:
            pairs = pd.DataFrame({"sku": _text(frame["sku"]), "category": _text(frame["category"])})
            pairs = pairs.dropna()
            pairs = pairs[pairs["category"].str.casefold() != ALL_CATEGORIES.casefold()]
            sku_category.update(dict(zip(pairs["sku"], pairs["category"])))
    if products is not None and len(products) and "category" in products.columns:
        pairs = pd.DataFrame({"sku": _text(products["sku"]),
                              "category": _text(products["category"])}).dropna()
        sku_category.update(dict(zip(pairs["sku"], pairs["category"])))
    for frame in (selling, actuals, forecast):
        if frame is None or len(frame) == 0:
            continue
        is_forecast = frame is forecast  # a test, not a narrowing of frame to forecast's type
        levels = row_levels(frame) if is_forecast else \
            np.full(len(frame), "sku_location", dtype=object)
        at_bottom = levels == "sku_location"
        bottoms.append(pd.DataFrame({"sku": _text(frame["sku"]).to_numpy()[at_bottom],
                                     "location": _text(frame["location"]).to_numpy()[at_bottom]}))
        if is_forecast:
            skus |= set(_text(frame["sku"]).to_numpy()[levels == "sku"])
            if "category" in frame.columns:
                cats |= set(_text(frame["category"]).to_numpy()[levels == "category"])
    bottom = pd.concat(bottoms, ignore_index=True) if bottoms else None
    return Hierarchy.from_keys(bottom, sku_category, skus, cats)
