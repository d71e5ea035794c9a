"""Small value helpers shared by the layers that turn cells and frames into text."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas.core.dtypes.cast import maybe_box_native  # how to_dict boxes a cell


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


def stripped_texts(cells: NDArray[Any]) -> NDArray[np.object_] | None:
    """Each cell as stripped text, blanks and "" as None — when the cells are text and blanks
    only (as codes, categories and roles are: each distinct text stripped once; texts are
    equal only when they are the same text); None for any other cells (the caller's rule)."""
    if pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):
        return None
    codes, distinct = pd.factorize(cells)
    stripped = np.array([t.strip() or None for t in distinct] + [None], dtype=object)
    out: NDArray[np.object_] = stripped[codes]
    return out


def records_column(col: pd.Series) -> list[Any]:
    """A column's values as ``to_dict("records")`` gives them (numpy scalars of object and
    extension columns boxed as pandas boxes them, text as plain str): the decision log's
    stored forms and fingerprints follow exactly what a record would hold."""
    values: list[Any] = col.astype(object).tolist() if isinstance(col.dtype, pd.StringDtype) \
        else col.tolist()
    if col.dtype == object or isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
        if set(map(type, values)) <= _NATIVE:  # nothing maybe_box_native would change
            return values
        return list(map(maybe_box_native, values))
    return values


# the exact types maybe_box_native hands back as they are (numpy scalars, whose types are
# subclasses of some of these, are not among them: a type is compared, not isinstance)
_NATIVE = frozenset({str, type(None), float, int, bool, type(pd.NaT),
                     pd.Timestamp, dt.datetime, dt.date})
