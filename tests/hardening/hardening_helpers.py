"""Shared helpers of the hardening tests: fast workbook building and file snapshots."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

D = dt.date
AS_OF = D(2026, 11, 18)
WEEK0 = D(2026, 11, 16)


def build_fast(path: Path, sheets: dict[str, list[list]], *, merged: dict | None = None) -> Path:
    """Write ``sheets`` with openpyxl's write-only mode (fast). Strings equal to an Excel error
    code (``#N/A``) become error cells; strings starting with ``=`` become formulas.
    ``merged``: {sheet: ["A2:B3", ...]} merged ranges."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for ref in (merged or {}).get(name, []):
            ws.merged_cells.add(ref)
    if not sheets:
        wb.create_sheet("Sheet1")
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def valid_sheets() -> dict[str, list[list]]:
    """A small workbook pysnop recalculates without errors."""
    return {
        "Settings": [["key", "value"], ["as_of", AS_OF], ["horizon_weeks", 3]],
        "Inventory": [["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                       "unit_cost", "unit_price"],
                      ["001", "S1", 40, 5, 1, 3, 7], ["001", "S2", 8, 2, 1, 3, 7],
                      ["002", "S1", 100, 0, 2, 10, 18]],
        "Forecast": [["sku", "location", "week", "units"],
                     *[[s, loc, WEEK0 + dt.timedelta(weeks=w), u]
                       for s, loc, u in (("001", "S1", 10), ("001", "S2", 6), ("002", "S1", 20))
                       for w in range(3)]],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift", "status", "locations"],
                      ["C1", "001", D(2026, 11, 19), D(2026, 11, 26), 0.5, "Planned", "ALL"]],
        "Receipts": [["po_id", "sku", "location", "due", "qty"],
                     ["P1", "001", "S2", D(2026, 11, 24), 12]],
    }


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def listing(directory: Path) -> set[str]:
    return {p.name for p in Path(directory).iterdir()}


def openable(path: Path) -> None:
    """Raise unless ``path`` is a sound zip that openpyxl loads."""
    import openpyxl

    with zipfile.ZipFile(path) as zf:
        bad = zf.testzip()
        assert bad is None, f"corrupt member {bad} in {path}"
    openpyxl.load_workbook(path).close()


def part_names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        return set(zf.namelist())


def content_types(path: Path) -> set[str]:
    """Every content type declared for a part present in the package."""
    import re

    with zipfile.ZipFile(path) as zf:
        xml = zf.read("[Content_Types].xml").decode()
    return set(re.findall(r'ContentType="([^"]+)"', xml))


def sidecars(names: set[str]) -> set[str]:
    """Files a run may leave beside the workbook on purpose (the decision log database)."""
    return {n for n in names if ".pysnop." in n and n.endswith((".sqlite", ".db", ".jsonl"))}


def files(directory: Path) -> set[str]:
    """The directory's file names, without pysnop's decision-log sidecar."""
    names = listing(directory)
    return names - sidecars(names)
