"""CSV files pysnop writes for other systems (ERP, campaign tools, spreadsheets)."""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame):
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
