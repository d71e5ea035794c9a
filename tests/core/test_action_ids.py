"""core.actions.action_ids and _unique made per column (each distinct text once) instead of
per row: the per-row forms they replace are the oracles here, and one id is worked by hand."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pysnop.core.actions import PREFIX, SUPPLY_TYPES, _text, _unique, action_id, action_ids


def _old_action_ids(frame):
    kind = frame["type"].astype(str)
    supply = kind.isin(SUPPLY_TYPES).to_numpy()

    def texts(column):
        return column.map(_text).astype(str)

    parts = [kind, texts(frame["sku"]), texts(frame["location"]).where(supply, ""),
             texts(frame["from_location"]), texts(frame["campaign_id"]).where(~supply, ""),
             texts(frame["ident"]), texts(frame["alt_sku"])]
    keys = parts[0].str.cat(pd.concat(parts[1:], axis=1), sep="\x1f")
    return [f"{PREFIX[k]}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:8]}"
            for k, key in zip(kind, keys)]


def _old_unique(ids):
    seen, out = {}, []
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
        out.append(i if seen[i] == 1 else f"{i}-{seen[i]}")
    return out


CELL = st.one_of(st.none(), st.just(np.nan), st.sampled_from(["A", " A ", "S01", "DC1", ""]))
IDENT = st.one_of(CELL, st.just("2026-11-30"), st.just("P-7"))


@st.composite
def proposal_frames(draw):
    n = draw(st.integers(0, 12))
    column = st.lists(CELL, min_size=n, max_size=n)
    return pd.DataFrame({
        "type": draw(st.lists(st.sampled_from(sorted(PREFIX)), min_size=n, max_size=n)),
        "sku": pd.Series(draw(column), dtype=object),
        "location": pd.Series(draw(column), dtype=object),
        "from_location": pd.Series(draw(column), dtype=object),
        "campaign_id": pd.Series(draw(column), dtype=object),
        "ident": pd.Series(draw(st.lists(IDENT, min_size=n, max_size=n)), dtype=object),
        "alt_sku": pd.Series(draw(column), dtype=object)})


@settings(max_examples=150, deadline=None)
@given(proposal_frames())
def test_action_ids_are_the_per_row_ids(frame):
    assert action_ids(frame) == _old_action_ids(frame)
    assert action_ids(frame) == [action_id(row) for row in frame.itertuples()]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["EXP-1", "TRF-2", "ORD-3"]), max_size=15))
def test_unique_numbers_repeats_as_the_per_row_count_did(ids):
    assert _unique(ids) == _old_unique(ids)


def test_an_expedite_id_by_hand():
    # EXPEDITE of sku A at S01, receipt P-7: the key joins type, sku, location, no donor,
    # no campaign (a supply action), the receipt and no alternative sku with \x1f
    frame = pd.DataFrame({"type": ["EXPEDITE"], "sku": [" A "], "location": ["S01"],
                          "from_location": [None], "campaign_id": ["C1"], "ident": ["P-7"],
                          "alt_sku": [np.nan]})
    key = "EXPEDITE\x1fA\x1fS01\x1f\x1f\x1fP-7\x1f"
    assert action_ids(frame) == [f"EXP-{hashlib.sha1(key.encode()).hexdigest()[:8]}"]
    # two proposals of one identity: the second is told apart by -2, the third by -3
    assert _unique(["EXP-1", "TRF-2", "EXP-1", "EXP-1"]) == ["EXP-1", "TRF-2", "EXP-1-2",
                                                              "EXP-1-3"]
