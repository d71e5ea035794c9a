"""The demo's week as README tells it: approve Supply's two remedies and export them.

Regression: an EXPEDITE (no campaign) exported with a NEW_ORDER (for a campaign) once made
pandas' string column turn the blank campaign_id into NaN, which the log's JSON refused —
`pysnop export` failed with an internal error and nothing could be exported.
"""

from __future__ import annotations

import csv

import openpyxl
from click.testing import CliRunner

from pysnop.cli.main import cli


def _approve(book, kinds: tuple[str, ...], approver: str) -> list[str]:
    wb = openpyxl.load_workbook(book)
    ws = wb["Approvers"]
    header = [c.value for c in ws[2]]
    for r in range(3, ws.max_row + 1):  # the demo ties approvers to accounts: not this one
        ws.cell(r, header.index("account") + 1).value = None
    ws = wb["Actions"]
    rows = list(ws.iter_rows())
    at = next(i for i, r in enumerate(rows)
              if {"action_id", "type"} <= {c.value for c in r})
    head = [c.value for c in rows[at]]
    ids, seen = [], set()
    for r in rows[at + 1:]:
        kind, action = r[head.index("type")].value, r[head.index("action_id")].value
        if kind in kinds and action and kind not in seen:
            seen.add(kind)
            r[head.index("status")].value = "Approved"
            r[head.index("approver")].value = approver
            ids.append(action)
    wb.save(book)
    return ids


def test_supplys_expedite_and_order_export_together(tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", str(tmp_path)]).exit_code == 0
    book = tmp_path / "pysnop-demo.xlsx"
    ids = _approve(book, ("EXPEDITE", "NEW_ORDER"), "Sam Ortiz")
    assert len(ids) == 2
    decided = runner.invoke(cli, ["decide", str(book)])
    assert decided.exit_code == 0, decided.output
    out = tmp_path / "approved.csv"
    exported = runner.invoke(cli, ["export", str(book), "--format", "csv", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = {r["action_id"]: r for r in csv.DictReader(handle)}
    assert set(rows) == set(ids)
    by_type = {r["type"]: r for r in rows.values()}
    # README's demo: pull PO-88262 (600 units of the earbuds, due 2026-12-09) into the
    # Black Friday week; no campaign on an expedite: blank, not "nan"
    expedite = by_type["EXPEDITE"]
    assert (expedite["po_id"], float(expedite["qty"]), expedite["campaign_id"]) == (
        "PO-88262", 600.0, "")
    assert by_type["NEW_ORDER"]["campaign_id"] and by_type["NEW_ORDER"]["po_id"] == ""
