"""CSV files a run writes for other systems (ERP, campaign tools, spreadsheets):
``bridge.csv`` and ``consensus.csv`` (``pysnop recalc --export DIR``).

Text a spreadsheet would run as a formula gets a leading apostrophe (:func:`csv_safe`);
files are written to a temporary name and moved into place.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from pysnop.core.consensus import Consensus
from pysnop.core.model import BridgeResult
from pysnop.errors import FileAccessError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe.

    Numbers are untouched; only text columns (sku, location, status, ...) are checked.
    """
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object or str(frame[col].dtype).startswith("str"):
            text = frame[col].astype(object)
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES))
            frame[col] = text.where(~risky, "'" + text.astype(str))
    return frame


def _write_csv(frame: pd.DataFrame, directory: Path, name: str) -> Path:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / name
        partial = directory / f".{name}.partial"
        csv_safe(frame.round(6)).to_csv(partial, index=False, lineterminator="\n")
        os.replace(partial, target)
    except OSError as exc:
        raise FileAccessError(f"cannot write the export to {directory}: "
                              f"{exc.strerror or exc}") from exc
    return target


def export_bridge_csv(result: BridgeResult, directory: str | os.PathLike[str]) -> Path:
    """Write ``bridge.csv`` (long form, one row per sku, location and week) atomically."""
    return _write_csv(result.to_long(), Path(directory), "bridge.csv")


def consensus_long(consensus: Consensus) -> pd.DataFrame:
    """The rows of ``consensus.csv``: category, sku, location, week (ISO), one column per
    source, consensus; keys a level does not have are blank (the total has none)."""
    t = consensus.table
    level = t["level"].to_numpy(dtype=object)
    out = pd.DataFrame({
        "category": np.where(level == "total", None, t["category"].to_numpy(dtype=object)),
        "sku": np.where(np.isin(level, ["sku", "sku_location"]), t["sku"].to_numpy(dtype=object),
                        None),
        "location": np.where(level == "sku_location", t["location"].to_numpy(dtype=object),
                             None),
        "week": pd.to_datetime(t["week"]).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)})
    for source in consensus.sources:
        out[source] = pd.to_numeric(t[source], errors="coerce").to_numpy(dtype=float)
    out["consensus"] = pd.to_numeric(t["consensus"], errors="coerce").to_numpy(dtype=float)
    return out


def export_consensus_csv(consensus: Consensus, directory: str | os.PathLike[str]) -> Path:
    """Write ``consensus.csv`` (long form, see :func:`consensus_long`) atomically."""
    return _write_csv(consensus_long(consensus), Path(directory), "consensus.csv")


__all__ = ["consensus_long", "csv_safe", "export_bridge_csv", "export_consensus_csv"]
