"""Columns of cell values turned into pieces of SpreadsheetML text, a distinct value at a
time: the building blocks of :mod:`pysnop.workbook.ooxml.fastsheet`'s column writer."""

from __future__ import annotations

from functools import partial
from html import escape as _html_escape
from typing import Any

import numpy as np

# &, < and > as xml.sax.saxutils.escape does (which would import urllib, http and ssl)
escape = partial(_html_escape, quote=False)
# a carriage return written as itself is read back as a line feed (XML end-of-line
# handling); as a character reference it stays, as lxml writes it
CR, CR_REF = "\r", "&#13;"


def float_texts(values: np.ndarray) -> np.ndarray:
    """``repr`` of each float, once per distinct one (a projection repeats its values):
    told apart by their bits, so 0.0 and -0.0 each keep their own text."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    uniques, which = np.unique(bits, return_inverse=True)
    texts = np.array(list(map(repr, uniques.view(np.float64).tolist())), dtype=object)
    return texts[which.reshape(-1)]


def where(mask: np.ndarray, piece: Any) -> Any:
    """``piece`` (a string, or an array of them) where ``mask``, else "": ``piece`` itself
    when ``mask`` is all true (the usual whole column; the pieces are only read)."""
    if mask.all():
        return piece
    out = np.full(len(mask), "", dtype=object)
    out[mask] = piece if isinstance(piece, str) else piece[mask]
    return out


def join_rows(pieces: list[Any], stop: int, start: int = 0) -> str:
    """Rows ``start`` … ``stop - 1`` of ``pieces`` (strings the same in every row, or arrays
    of one string per row) joined row by row, in one join."""
    grid = np.empty((stop - start, len(pieces)), dtype=object)
    for j, piece in enumerate(pieces):
        grid[:, j] = piece if isinstance(piece, str) else piece[start:stop]
    return "".join(grid.ravel().tolist())


def inline_bodies(texts: list[str]) -> np.ndarray:
    """``<is><t>escaped text</t></is></c>`` for each (cleaned) text: escaped in one pass
    over all of them joined by a character no cleaned text holds; a text with spaces at
    either end keeps them (xml:space)."""
    escaped = escape("\x00".join(texts)).replace(CR, CR_REF).split("\x00") if texts else []
    padded = (np.array(texts, dtype=object)
              != np.array(list(map(str.strip, texts)), dtype=object))
    heads = np.where(padded, '<is><t xml:space="preserve">', "<is><t>").astype(object)
    return heads + np.array(escaped, dtype=object) + "</t></is></c>"


def row_tails(n: int, heights: list[float | None] | None) -> Any:
    """What follows ``<row r="..`` for each row: its height when it has one."""
    if heights is None:
        return '">'
    uniques, which = factorize(heights)
    marks = np.array([f'" ht="{h:g}" customHeight="1">' for h in uniques] + ['">'],
                     dtype=object)
    return marks[which]


def is_none(array: np.ndarray) -> np.ndarray:
    """Where an object array holds None (compared element by element)."""
    return np.asarray(array == None)  # noqa: E711


def factorize(values) -> tuple[list[Any], np.ndarray]:
    """The distinct values (None left out) and each value's index among them (-1: None),
    told apart by hash and equality as a dict would (a float NaN is a value) and, for
    anything but text, by type too: True, 1 and 1.0 are equal to a dict but not written
    alike."""
    import pandas as pd

    array = np.empty(len(values), dtype=object)
    array[:] = values
    missing = is_none(array)
    codes = np.full(len(array), -1, dtype=np.intp)
    present = array[~missing]
    if pd.api.types.infer_dtype(present, skipna=False) in ("string", "empty"):
        found, uniques = pd.factorize(present, use_na_sentinel=False)
        codes[~missing] = found
        return list(uniques), codes
    if len(set(map(type, present.tolist()))) == 1:  # one type: equality alone tells apart
        keys = present
    else:
        keys = np.empty(len(present), dtype=object)
        keys[:] = [v if isinstance(v, str) else (type(v), v) for v in present]
    found, _ = pd.factorize(keys, use_na_sentinel=False)
    codes[~missing] = found
    _, first = np.unique(found, return_index=True)  # codes count up in order of appearance
    return list(present[first]), codes


def map_distinct(func, values) -> list[Any]:
    """``[func(v) for v in values]``, calling ``func`` once per distinct value (as
    :func:`factorize` tells them apart: by type as well as equality, so each distinct value
    is converted as itself); values that cannot be keys (lists) are each converted."""
    try:
        uniques, which = factorize(values)
    except TypeError:
        return [func(v) for v in values]
    mapped = np.empty(len(uniques) + 1, dtype=object)
    blanks = [None] if (which < 0).any() else []  # func(None) only for a None there is
    for i, value in enumerate([*uniques, *blanks]):  # one by one: a value may be a sequence
        mapped[i] = func(value)
    return mapped[which].tolist()


__all__ = ["CR", "CR_REF", "escape", "factorize", "float_texts", "inline_bodies", "is_none",
           "join_rows", "map_distinct", "row_tails", "where"]
