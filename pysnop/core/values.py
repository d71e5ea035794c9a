"""Small value helpers shared by the layers that turn cells and frames into text."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
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
    if col.dtype.kind in "mM":  # dates: each distinct one boxed once (a few weeks, many rows)
        boxed: list[Any] = records_array(col).tolist()
        return boxed
    values: list[Any] = col.astype(object).tolist() if isinstance(col.dtype, pd.StringDtype) \
        else col.tolist()
    if col.dtype == object or isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
        if set(map(type, values)) <= _NATIVE:  # nothing maybe_box_native would change
            return values
        return list(map(maybe_box_native, values))
    return values


def plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")``, built column by column (the same values: numpy
    scalars of object columns boxed as pandas boxes them, text columns as plain objects)."""
    names = [str(c) for c in frame.columns]
    columns = (records_column(frame[c]) for c in frame.columns)
    return [dict(zip(names, row)) for row in zip(*columns)]


def records_array(col: pd.Series) -> NDArray[np.object_]:
    """:func:`records_column` as an object array. A numpy number or bool column's cells are
    the Python numbers ``tolist`` gives (``astype(object)`` makes the same ones), and a date
    or duration column's cells its distinct values, each boxed once as ``tolist`` boxes it
    (a Timestamp, Timedelta or NaT, shared by the rows that hold it)."""
    kind = col.dtype.kind
    if kind in "mM":
        codes, distinct = pd.factorize(col)
        boxes = np.empty(len(distinct) + 1, dtype=object)
        boxes[:-1] = distinct.tolist()
        boxes[-1] = pd.NaT  # code -1: a missing date
        out: NDArray[np.object_] = boxes[codes]
        return out
    if kind in "biufc" and isinstance(col.dtype, np.dtype):
        return np.asarray(col.to_numpy().astype(object), dtype=object)
    cells = np.empty(len(col), dtype=object)
    cells[:] = records_column(col)
    return cells


def per_distinct_text(cells: NDArray[Any], fn: Callable[[Any], Any]) -> NDArray[np.object_]:
    """``fn`` of every cell, called once per distinct cell when the cells are text and blanks
    only (texts are equal only when they are the same text; blanks — None, NaN, pd.NA, NaT —
    once per kind, each kind being a single value to a text rule); once per cell otherwise
    (1 and 1.0 are one value to pandas' factorize, but not to a text rule)."""
    cells = np.asarray(cells, dtype=object)
    out = np.empty(len(cells), dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):
        out[:] = [fn(v) for v in cells]
        return out
    codes, distinct = pd.factorize(cells)
    results = np.empty(len(distinct), dtype=object)
    results[:] = [fn(t) for t in distinct]
    known = codes >= 0
    out[known] = results[codes[known]]
    blank = np.flatnonzero(~known)
    if len(blank):  # one call per kind of blank (type), on its first cell
        kind, _ = pd.factorize(np.frompyfunc(type, 1, 1)(cells[blank]))
        _, first = np.unique(kind, return_index=True)
        said = np.empty(len(first), dtype=object)
        said[:] = [fn(cells[blank[i]]) for i in first.tolist()]
        out[blank] = said[kind]
    return out


# the exact types maybe_box_native hands back as they are (numpy scalars, whose types are
# subclasses of some of these, are not among them: a type is compared, not isinstance)
_NATIVE = frozenset({str, type(None), float, int, bool, type(pd.NaT),
                     pd.Timestamp, dt.datetime, dt.date})
