"""The network's rules as the reader reports them: every finding of
:func:`pysnop.core.locations.network_problems` on its sheet's cell (docs/semantics.md,
network)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from pysnop.core import model
from pysnop.core.locations import network_problems
from pysnop.errors import Problem
from pysnop.workbook.read.layout import SheetLayout


def nonempty(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    return frame if frame is not None and len(frame) else None


def network_errors(frames: dict[str, pd.DataFrame],
                   layouts: dict[str, SheetLayout]) -> list[Problem]:
    """The network's rules (docs/semantics.md, network) as located errors: each of
    network_problems' findings on its sheet's cell, under the header as the planner typed it.

    Its warnings (a DC without an Inventory row) come with the bridge's, in every door.
    """
    inventory = frames.get("Inventory")
    locations = nonempty(frames.get("Locations"))
    products = frames.get("Products")
    has_packs = products is not None and "pack_size" in products
    if inventory is None or not (locations is not None or has_packs or any(
            c in inventory for c in model.INVENTORY_NETWORK_COLUMNS)):
        return []
    out: list[Problem] = []
    for p in network_problems(locations, inventory, products if has_packs else None):
        if p.severity != "error":
            continue
        layout = layouts.get(p.sheet or "")
        if layout is None:
            out.append(p)
            continue
        col = layout.columns.get(p.column or "")
        header = layout.headers.get(p.column or "", p.column)
        reason = p.reason.removeprefix(f"{p.column}: ") if p.column else p.reason
        out.append(dataclasses.replace(p, reason=reason, sheet=layout.name, col=col,
                                       column=header))
    return out


__all__ = ["network_errors", "nonempty"]
