"""Small value helpers shared by the layers that turn cells and frames into text."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def is_blank(value: Any) -> bool:
    """None, NaN, NaT, pd.NA — anything a planner would see as an empty cell (not "")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: not a single missing value
        return False


def is_blank_text(value: Any) -> bool:
    """:func:`is_blank`, or text of nothing but spaces — a cell a person left empty."""
    if isinstance(value, str):
        return not value.strip()
    return is_blank(value)
