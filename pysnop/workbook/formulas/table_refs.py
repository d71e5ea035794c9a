"""Excel table references (``Inventory[#All]``) as the plain ranges they name.

The formulas engine has no structured references; Excel resolves them itself.
"""

from __future__ import annotations

import re

from openpyxl.utils import get_column_letter, range_boundaries

# a table name not preceded by a name character, a sheet's "!" or quote, or a "]" (the
# preceding character is captured and put back)
_TABLE_REF = re.compile(r"(^|[^\w.!'\]])([A-Za-z_\\][\w.]*)\[(#All|#Data|#Headers|)\]", re.I)


def table_ranges(book) -> dict[str, dict[str, str]]:
    """Excel tables of an openpyxl workbook: NAME -> {"#ALL"|"#DATA"|"#HEADERS": range}."""
    out: dict[str, dict[str, str]] = {}
    for ws in book.worksheets:
        sheet = "'" + ws.title.replace("'", "''") + "'!"
        for table in ws.tables.values():
            c1, r1, c2, r2 = range_boundaries(table.ref)
            header = 1 if table.headerRowCount is None else int(table.headerRowCount)
            totals = int(table.totalsRowCount or 0)
            cols = f"${get_column_letter(c1)}$%d:${get_column_letter(c2)}$%d"
            out[table.displayName.upper()] = {
                "#ALL": sheet + cols % (r1, r2),
                "#DATA": sheet + cols % (r1 + header, max(r1 + header, r2 - totals)),
                "#HEADERS": sheet + cols % (r1, r1),
            }
    return out


def resolve_table_refs(text: str, tables: dict[str, dict[str, str]]) -> str:
    """``Inventory[#All]`` (and ``[#Data]``, ``[#Headers]``, ``[]``) as the plain range it
    names, for the formulas engine; Excel resolves them itself. Other text is unchanged."""
    def repl(m: re.Match) -> str:
        table = tables.get(m.group(2).upper())
        if table is None:
            return m.group(0)
        return m.group(1) + table[(m.group(3) or "#Data").upper()]
    return _TABLE_REF.sub(repl, text)
