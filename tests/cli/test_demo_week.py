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


def test_an_approval_not_exported_that_lapses_is_said(tmp_path):
    import datetime as dt

    from python_calamine import CalamineWorkbook

    import pysnop

    runner = CliRunner()
    assert runner.invoke(cli, ["demo", str(tmp_path)]).exit_code == 0
    book = tmp_path / "pysnop-demo.xlsx"
    ids = _approve(book, ("EXPEDITE", "NEW_ORDER"), "Sam Ortiz")
    assert runner.invoke(cli, ["decide", str(book)]).exit_code == 0
    # a week later, nothing exported and no inventory refreshed: the plan proposes other
    # actions now, so the approved ones become Obsolete — which must be said, not silent
    report = pysnop.recalc(book, as_of=dt.date(2026, 11, 25))
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Actions").to_python()
    at = next(i for i, r in enumerate(rows) if "action_id" in r and "type" in r)
    head = rows[at]
    status = {r[head.index("action_id")]: r[head.index("status")] for r in rows[at + 1:]
              if r[head.index("action_id")]}
    lapsed = [a for a in ids if status.get(a) == "Obsolete"]
    assert lapsed, status  # the demo's approvals do lapse a week on
    said = [str(w) for w in report.warnings if "no longer proposed" in str(w)]
    for action in lapsed:
        assert any(action in w and "Sam Ortiz" in w and "not exported" in w for w in said)
