"""core.demand.KeyIndex: where each (sku, location) sits among the bridge's keys, and the
campaign scopes placed with it. Expected positions are read off the small tables by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pysnop.core.demand import KeyIndex, _scope_pairs, key_lookup

KEYS = pd.DataFrame({"sku": ["A", "A", "B", "C"], "location": ["S1", "S2", "S1", "DC"],
                     "role": ["store", "store", "store", "dc"]})


def test_positions_of_known_unknown_and_blank_pairs():
    index = KeyIndex.of_frame(KEYS)
    got = index.positions(["B", "A", "A", "Z", "A", None, "C"],
                          ["S1", "S2", "S3", "S1", None, "S1", "DC"])
    # B@S1 is row 2, A@S2 row 1; A@S3 and Z@S1 are no rows; blanks match no row here;
    # C@DC row 3
    assert got.tolist() == [2, 1, -1, -1, -1, -1, 3]
    assert key_lookup(KEYS, ["A"], ["S1"]).tolist() == [0]


def test_blank_matches_blank_as_in_a_multiindex():
    keys = pd.DataFrame({"sku": ["A", "A"], "location": ["S1", None]})
    # a blank location finds the row whose location is blank, NaN and None alike
    assert KeyIndex.of_frame(keys).positions(["A", "A", "A"], [None, np.nan, "S1"]) \
        .tolist() == [1, 1, 0]


def test_sku_position_tells_blank_from_unknown():
    index = KeyIndex.of_frame(KEYS)
    # skus in first-seen order: A 0, B 1, C 2; -1 blank, -2 not stocked
    assert index.sku_position(["C", None, "Q", "A"]).tolist() == [2, -1, -2, 0]


def test_duplicate_keys_are_refused():
    keys = pd.DataFrame({"sku": ["A", "A"], "location": ["S1", "S1"]})
    with pytest.raises(pd.errors.InvalidIndexError):
        KeyIndex.of_frame(keys)


def test_scope_pairs_from_the_index():
    campaigns = pd.DataFrame({
        "campaign_id": ["P1", "P2", "P3", "P4"], "sku": ["A", "B", "A", "Q"],
        "locations": [(), ("S1", "S9"), ("DC", "S2", "S2"), ()], "row": [2, 3, 4, 5]})
    c, i, warnings = _scope_pairs(campaigns, KEYS, KeyIndex.of_frame(KEYS))
    # P1 (all): A's selling rows 0, 1; P2: B@S1 = row 2, S9 does not stock B;
    # P3: A@DC is no row (warned), A@S2 = row 1 once; P4: Q is stocked nowhere
    assert list(zip(c.tolist(), i.tolist())) == [(0, 0), (0, 1), (1, 2), (2, 1)]
    assert [w.reason for w in warnings] == [
        "campaign P2: location S9 does not stock sku B; ignored there",
        "campaign P3: location DC does not stock sku A; ignored there",
        "campaign P4: no location in Inventory stocks sku Q"]
    assert [w.row for w in warnings] == [3, 4, 5]


def test_scope_all_leaves_out_dc_rows():
    keys = pd.DataFrame({"sku": ["A", "A"], "location": ["DC", "S1"], "role": ["dc", "store"]})
    campaigns = pd.DataFrame({"campaign_id": ["P1", "P2"], "sku": ["A", "A"],
                              "locations": [(), ("DC",)], "row": [2, 3]})
    c, i, warnings = _scope_pairs(campaigns, keys)
    # blank scope: the store only (row 1); a listed DC is in scope (row 0)
    assert list(zip(c.tolist(), i.tolist())) == [(0, 1), (1, 0)]
    assert warnings == []
