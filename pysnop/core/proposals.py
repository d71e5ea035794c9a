"""Proposals as the proposers make them: columns built from arrays, plus what each one does.

A :class:`Batch` is a block of proposals of one kind (a DataFrame with ``PROPOSAL_COLUMNS``)
and their *effects*: for each sku-location a proposal changes, the change of
``poh − threshold`` it makes week by week. The projection is linear in receipts and demand, so
effects of several proposals add up exactly; the decision rules (docs/semantics.md, "Risks
and decisions") measure how far a set of approved proposals closes each weekly gap with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

# what proposers fill; ``home_row`` (supply: the Bridge row protected) and ``home_campaign``
# (marketing: the Campaigns row) say which risk a proposal belongs to
PROPOSAL_COLUMNS = ["type", "owner", "sku", "location", "from_location", "campaign_id", "po_id",
                    "alt_sku", "qty", "week", "cost", "units_protected", "margin_protected",
                    "reason", "new_lift", "new_start", "act_by", "ident", "home_row",
                    "home_campaign"]


@dataclass
class Batch:
    frame: pd.DataFrame
    effect_of: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    effect_row: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    effect_delta: NDArray[np.float64] | None = None  # (effects, H)

    def __len__(self) -> int:
        return len(self.frame)


def make_batch(horizon: int, columns: dict[str, Any], effect_of: NDArray[np.int64],
               effect_row: NDArray[np.int64], effect_delta: NDArray[np.float64]) -> Batch:
    """A batch from column arrays (missing columns blank) and its effects."""
    size = len(next(iter(columns.values()))) if columns else 0
    blank: dict[str, Any] = {
        "from_location": None, "campaign_id": None, "po_id": None, "alt_sku": None,
        "new_lift": np.nan, "new_start": pd.NaT, "ident": "", "home_row": -1,
        "home_campaign": -1}
    data = {}
    for col in PROPOSAL_COLUMNS:
        if col in columns:
            data[col] = columns[col]
        elif col in blank:
            data[col] = [blank[col]] * size
        else:
            raise KeyError(col)
    frame = pd.DataFrame(data, columns=PROPOSAL_COLUMNS)
    delta = np.asarray(effect_delta, dtype=float).reshape(-1, horizon)
    return Batch(frame, np.asarray(effect_of, np.int64), np.asarray(effect_row, np.int64), delta)


_EMPTY = pd.DataFrame({c: pd.Series(dtype=object) for c in PROPOSAL_COLUMNS})


def empty_batch(horizon: int) -> Batch:
    return Batch(_EMPTY.copy(deep=False), effect_delta=np.zeros((0, horizon)))


def concat(batches: list[Batch], horizon: int) -> Batch:
    """One batch of all; effects renumbered onto the joined frame."""
    live = [b for b in batches if len(b)]
    if not live:
        return empty_batch(horizon)
    offsets = np.cumsum([0] + [len(b) for b in live[:-1]])
    frame = pd.concat([b.frame for b in live], ignore_index=True)
    return Batch(frame,
                 np.concatenate([b.effect_of + o for b, o in zip(live, offsets)]),
                 np.concatenate([b.effect_row for b in live]),
                 np.concatenate([b.effect_delta if b.effect_delta is not None
                                 else np.zeros((0, horizon)) for b in live]))


def keep(batch: Batch, mask: NDArray[np.bool_]) -> Batch:
    """The proposals where ``mask`` holds, with their effects."""
    new_pos = np.cumsum(mask) - 1
    eff = mask[batch.effect_of] if len(batch.effect_of) else np.zeros(0, dtype=bool)
    delta = batch.effect_delta if batch.effect_delta is not None else np.zeros((0, 0))
    return Batch(batch.frame[mask].reset_index(drop=True), new_pos[batch.effect_of[eff]],
                 batch.effect_row[eff], delta[eff])
