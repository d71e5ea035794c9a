"""Issue 13, the property: whatever a person types, whatever re-runs change, an export never
writes values that nobody allowed to approve them approved as pysnop showed them.

A random sequence of steps on the plan of audit_helpers (a NEW_ORDER and marketing remedies):
hand edits of value cells (qty, location, sku, owner, type), approvals typed under various
names with or without a declared user, re-runs with on-hand changed (the NEW_ORDER's qty
moves), rows deleted, rows invented, and exports. The oracle keeps what pysnop *showed* (the
sheet as pysnop last wrote it) and, for each approval typed by (or declared as) a person
listed for the owner pysnop showed, the values it showed. Every exported line must be one of
those (action, values) pairs.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import openpyxl
import pytest
from audit_helpers import HEADER_ROW, plan_sheets
from conftest import build_book
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

from pysnop.core.binding import BOUND_FIELDS, values_fingerprint
from pysnop.errors import PysnopError
from pysnop.operations.decide import apply_decisions
from pysnop.operations.export import export_actions
from pysnop.pipeline.run import recalc

LISTED = {"Supply": {"ann"}, "Marketing": {"mo"}}
EDIT = st.tuples(st.just("edit"), st.integers(0, 5),
                 st.sampled_from(["qty", "location", "sku", "owner", "type"]),
                 st.sampled_from([76387, 0, "DC1", "Supply", "Marketing", "EXPEDITE", "99999"]))
APPROVE = st.tuples(st.just("approve"), st.integers(0, 5),
                    st.sampled_from([None, "ann", "mo", "mallory"]),
                    st.sampled_from([None, "ann", "mo", "mallory"]))
RERUN = st.tuples(st.just("recalc"), st.sampled_from([30, 25, 20, 60]))
EXPORT = st.tuples(st.just("export"), st.sampled_from([None, "ann", "mallory"]))
INVENT = st.tuples(st.just("invent"), st.sampled_from(["EXP-deadbeef", "NEW-1"]))
DELETE = st.tuples(st.just("delete"), st.integers(0, 5))
STEPS = st.lists(st.one_of(EDIT, APPROVE, RERUN, EXPORT, INVENT, DELETE), min_size=1,
                 max_size=7)


def sheet_rows(book: Path) -> list[dict]:
    """The action rows (risk lines have no action_id)."""
    ws = openpyxl.load_workbook(book)["Actions"]
    head = [c.value for c in ws[HEADER_ROW]]
    rows = [dict(zip(head, r)) for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    return [r for r in rows if r.get("action_id")]


def action_rows(ws) -> list:
    key = [c.value for c in ws[HEADER_ROW]].index("action_id")
    return [r for r in ws.iter_rows(min_row=HEADER_ROW + 1) if r[key].value]


def type_in(book: Path, index: int, **cells) -> dict | None:
    wb = openpyxl.load_workbook(book)
    ws = wb["Actions"]
    head = [c.value for c in ws[HEADER_ROW]]
    rows = action_rows(ws)
    if not rows:
        return None
    row = rows[index % len(rows)]
    for name, value in cells.items():
        row[head.index(name)].value = value
    wb.save(book)
    return {h: c.value for h, c in zip(head, row)}


@pytest.fixture(autouse=True)
def nobody(monkeypatch):
    monkeypatch.delenv("PYSNOP_USER", raising=False)
    monkeypatch.setattr("pysnop.workbook.book._os_login", lambda: "svc-batch")


@settings(max_examples=examples(40), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(STEPS)
def test_no_export_holds_a_value_nobody_approved(steps):
    with tempfile.TemporaryDirectory() as folder:
        book = build_book(Path(folder) / "plan.xlsx", plan_sheets())
        recalc(book)
        shown = {r["action_id"]: r for r in sheet_rows(book)}
        approved: set[tuple[str, str]] = set()
        exported: list[dict] = []
        for n, step in enumerate(steps):
            kind = step[0]
            try:
                if kind == "edit":
                    type_in(book, step[1], **{step[2]: step[3]})
                    continue
                if kind == "invent":
                    wb = openpyxl.load_workbook(book)
                    ws = wb["Actions"]
                    head = [c.value for c in ws[HEADER_ROW]]
                    ws.append([{"action_id": step[1], "type": "NEW_ORDER", "owner": "Supply",
                                "sku": "99999", "location": "NOWHERE", "qty": 128000,
                                "status": "Approved", "approver": "ann"}.get(h) for h in head])
                    wb.save(book)
                    continue
                if kind == "delete":
                    wb = openpyxl.load_workbook(book)
                    ws = wb["Actions"]
                    rows = [r[0].row for r in action_rows(ws)]
                    if rows:
                        ws.delete_rows(rows[step[1] % len(rows)])
                        wb.save(book)
                    continue
                if kind == "approve":
                    _, index, typed, declared = step
                    row = type_in(book, index, status="Approved", approver=typed)
                    if row is not None and row["action_id"] in shown:
                        was = shown[row["action_id"]]
                        decider = declared or typed
                        if decider in LISTED.get(was["owner"], ()):
                            approved.add((was["action_id"], values_fingerprint(was)))
                    apply_decisions(book, user=declared)
                elif kind == "recalc":
                    wb = openpyxl.load_workbook(book)
                    wb["Inventory"]["C2"] = step[1]
                    wb.save(book)
                    recalc(book)
                elif kind == "export":
                    out = Path(folder) / f"erp-{n}.json"
                    export_actions(book, "json", out, user=step[1])
                    if out.exists():
                        exported += json.loads(out.read_text())
            except PysnopError:  # a refusal (with its message) is fine; a traceback is not
                continue
            shown = {r["action_id"]: r for r in sheet_rows(book)}  # as pysnop wrote it
        for line in exported:
            key = (line["action_id"], values_fingerprint(line))
            assert key in approved, (line, sorted(approved), steps)
            assert {k: line[k] for k in BOUND_FIELDS if k in line}  # a real line
