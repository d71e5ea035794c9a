"""The demo workbook tells the story it promises: every status, too-late and orderable risks."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from pysnop.core.bridge import run_bridge
from pysnop.demo import DEMO_AS_OF, DEMO_CAMPAIGN_COUNT, build_demo, build_template
from pysnop.workbook.read.reader import read_plan


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = build_demo(tmp_path_factory.mktemp("demo") / "demo.xlsx")
    read = read_plan(path)
    result = run_bridge(read.inputs)
    return path, read, result


def _key_row(result, sku: str, location: str) -> int:
    keys = result.keys
    hit = np.flatnonzero((keys["sku"] == sku).to_numpy() & (keys["location"] == location).to_numpy())
    assert len(hit) == 1, (sku, location)
    return int(hit[0])


def test_reads_without_errors_and_with_the_fixed_settings(demo):
    _path, read, result = demo
    settings = read.inputs.settings
    assert settings.as_of == DEMO_AS_OF
    assert settings.horizon_weeks == 8
    assert settings.risk_buffer == pytest.approx(0.25)
    assert tuple(settings.count_statuses) == ("Planned", "Confirmed")
    assert result.as_of == DEMO_AS_OF
    assert result.weeks[0] == pd.Timestamp("2026-11-16")
    assert len(result.weeks) == 8


def test_skus_stay_text_with_leading_zeros(demo):
    _path, read, _result = demo
    skus = read.inputs.inventory["sku"]
    assert all(isinstance(s, str) for s in skus)
    assert "000184" in set(skus)
    assert 140 <= len(read.inputs.inventory) <= 170
    assert set(read.inputs.inventory["location"]) == {"S01", "S02", "S03", "S04", "S05", "DC1"}


def test_every_status_appears_and_most_lines_are_ok(demo):
    _path, _read, result = demo
    counts = result.summary["status"].value_counts()
    assert counts.get("STOCKOUT", 0) >= 3
    assert counts.get("AT RISK", 0) >= 3
    assert counts.get("OK", 0) > 0.8 * len(result.summary)


def test_some_act_by_in_the_past_and_some_in_the_future(demo):
    _path, _read, result = demo
    week0 = pd.Timestamp(result.weeks[0])
    act_by = pd.to_datetime(result.summary["act_by"]).dropna()
    assert (act_by < week0).sum() >= 2  # too late to order: expedite, transfer or marketing
    assert (act_by > pd.Timestamp(DEMO_AS_OF)).sum() >= 2  # still time to order
    if "too_late" in result.summary:
        assert result.summary["too_late"].astype(bool).sum() == (act_by < week0).sum()


def test_campaign_calendar(demo):
    _path, read, result = demo
    campaigns = read.inputs.campaigns
    assert len(campaigns) == DEMO_CAMPAIGN_COUNT
    assert len(result.campaign_check) == DEMO_CAMPAIGN_COUNT
    statuses = set(campaigns["status"])
    assert {"Draft", "Cancelled", "Planned", "Confirmed"} <= statuses
    assert all(0 < lift < 1 for lift in campaigns["lift"])  # fractions, not percent numbers
    # a store-scoped campaign and an ALL-locations one
    scopes = [tuple(x) for x in campaigns["locations"]]
    assert ("S01", "S03") in [tuple(sorted(s)) for s in scopes]
    assert () in scopes
    # overlapping counted campaigns on one SKU (Black Friday + Cyber Monday earbuds)
    bf = campaigns.set_index("campaign_id").loc[["MKT-2611-01", "MKT-2611-04"]]
    assert bf["sku"].nunique() == 1
    assert bf["start"].max() <= bf["end"].min()


def test_receipts_received_past_due_and_beyond_horizon(demo):
    path, read, result = demo
    wb = load_workbook(path, read_only=True)
    rows = list(wb["Receipts"].iter_rows(values_only=True))
    header = list(rows[0])
    pos = {po[header.index("po_id")]: dict(zip(header, po)) for po in rows[1:]}
    open_pos = set(read.inputs.receipts["po_id"])
    # the Received PO (due inside week 0) is ignored: dropped or not projected
    received = pos["PO-88240"]
    assert received["status"] == "Received"
    i = _key_row(result, received["sku"], received["location"])
    assert result.receipts[i].sum() == 0
    # the past-due PO counts in week 0
    past = pos["PO-88213"]
    assert "PO-88213" in open_pos
    assert pd.Timestamp(past["due"]) < pd.Timestamp(result.weeks[0])
    i = _key_row(result, past["sku"], past["location"])
    assert result.receipts[i, 0] == pytest.approx(past["qty"])
    # the PO due beyond the horizon is read (it can be expedited) but not projected
    late = pos["PO-88290"]
    assert "PO-88290" in open_pos
    assert pd.Timestamp(late["due"]) > pd.Timestamp(result.weeks[-1])
    i = _key_row(result, late["sku"], late["location"])
    assert result.receipts[i].sum() == 0


def test_user_notes_sheet_is_there(demo):
    path, _read, _result = demo
    wb = load_workbook(path)
    assert "Notes" in wb.sheetnames
    assert str(wb["Notes"]["B3"].value).startswith("=SUM(Inventory!")
    ws = wb["Inventory"]
    assert "week 47" in ws["A1"].value
    assert ws["A3"].value == "sku" and ws["A3"].font.bold


def _values(path) -> dict:
    wb = load_workbook(path)
    return {name: [[c.value for c in row] for row in wb[name].iter_rows()] for name in wb.sheetnames}


def test_build_is_deterministic(tmp_path):
    a = build_demo(tmp_path / "a.xlsx")
    b = build_demo(tmp_path / "b.xlsx")
    assert _values(a) == _values(b)
    assert a.read_bytes() == b.read_bytes()


def test_template_has_headers_and_defaults(tmp_path):
    path = build_template(tmp_path / "template.xlsx")
    wb = load_workbook(path)
    for name in ("Settings", "Products", "Inventory", "Forecast", "Campaigns", "Receipts"):
        assert name in wb.sheetnames
    assert [c.value for c in wb["Inventory"][1]][:3] == ["sku", "location", "on_hand"]
    settings = {r[0]: r[1] for r in wb["Settings"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert settings["horizon_weeks"] == 8
    assert settings["reconciliation"] == "mint_wls_struct"
    assert settings["as_of"] is None
