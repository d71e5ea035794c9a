"""Fuzzing: hypothesis builds bad workbooks; pysnop either succeeds (warnings allowed) or
raises a PysnopError whose problems are located — never another exception, and a failed run
leaves the file byte-identical with nothing else beside it.

Under the "ci" hypothesis profile (.ci/run): 300 + 120 + 60 + 8 + 30 = 518 cases; the
default run (profile "dev") draws a tenth of each (see tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from hardening_helpers import (
    AS_OF,
    WEEK0,
    D,
    build_fast,
    digest,
    files,
    listing,
    openable,
    sidecars,
    valid_sheets,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis_budget import examples

import pysnop
from pysnop.errors import PysnopError

FUZZ = settings(deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture,
                                       HealthCheck.filter_too_much])

ERRORS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]
ODD_DATES = ["31/02/2026", "2026-13-01", "11/18/26", "18.11.2026", "2026-W60", "2026-W48",
             "next tuesday", "45000", "0000-00-00", "Nov 18", "2026/11/18 25:00", "1899-12-30",
             "９９", "２０２６-11-18"]
INJECTION = ["=1+1", "=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@SUM(1)", "=HYPERLINK(\"x\")",
             "\t=1", "\r=1"]
ODD_TEXT = ["", " ", "n/a", "NaN", "inf", "-inf", "1e309", "TRUE", "∞", "ǅ", "\u200b", "e\u0301",
            "\U0001F600", "Ünïcödé", "日本語", "\ufeffsku", "a\x00b", "\x1f", "\udcff", "x" * 32767,
            "../../etc/passwd", "..\\..\\boot.ini", "%s%n", "'"]


def _clean_surrogates(text: str) -> str:
    """What a real .xlsx can hold: no lone surrogates, no XML-illegal control characters
    (Excel stores those escaped as _x0000_, which is what we write instead)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = text.encode("utf-8", "replace").decode("utf-8")
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


garbage = st.one_of(
    st.none(),
    st.sampled_from(ERRORS),
    st.sampled_from(ODD_DATES),
    st.sampled_from(INJECTION),
    st.sampled_from(ODD_TEXT).map(_clean_surrogates),
    st.text(max_size=30).map(_clean_surrogates),
    st.integers(min_value=-(10 ** 20), max_value=10 ** 20),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0, 2 ** 53 + 1, -1, -1e9, 0.35, 35, 3500]),
    st.booleans(),
    st.dates(min_value=D(1900, 3, 1), max_value=D(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
)

SKUS = ["001", "002", "003", "A-1"]
LOCS = ["S1", "S2", "DC"]
VALID = {
    "sku": st.sampled_from(SKUS), "location": st.sampled_from(LOCS),
    "num": st.integers(min_value=0, max_value=500),
    "date": st.dates(min_value=D(2026, 11, 1), max_value=D(2027, 1, 31)),
    "week": st.integers(0, 4).map(lambda w: WEEK0 + dt.timedelta(weeks=w)),
    "lift": st.floats(min_value=0, max_value=1.5),
    "status": st.sampled_from(["Planned", "Confirmed", "Draft", "Cancelled", None, "ALL"]),
    "scope": st.sampled_from(["ALL", None, "S1", "S1; S2", "S1,DC", "S9"]),
    "text": st.sampled_from(["C1", "C2", "P1", "x", None]),
}
SCHEMA = {
    "Inventory": [("sku", "sku"), ("location", "location"), ("on_hand", "num"),
                  ("safety_stock", "num"), ("lead_time_weeks", "num"), ("unit_cost", "num"),
                  ("unit_price", "num"), ("category", "text")],
    "Forecast": [("sku", "sku"), ("location", "location"), ("week", "week"), ("units", "num"),
                 ("source", "text")],
    "Campaigns": [("campaign_id", "text"), ("sku", "sku"), ("start", "date"), ("end", "date"),
                  ("lift", "lift"), ("status", "status"), ("locations", "scope")],
    "Receipts": [("po_id", "text"), ("sku", "sku"), ("location", "location"), ("due", "date"),
                 ("qty", "num"), ("status", "status")],
    "Products": [("sku", "sku"), ("category", "text"), ("unit_cost", "num"),
                 ("unit_price", "num")],
    "Actuals": [("sku", "sku"), ("location", "location"), ("week", "week"), ("units", "num")],
}
SETTING_KEYS = ["as_of", "horizon_weeks", "count_statuses", "risk_buffer",
                "transfer_lead_weeks", "reconciliation", "divergence_threshold", "bogus_key"]


def cell(kind: str, bad: int):
    """Garbage with probability ``bad`` %, else a valid value of ``kind``."""
    return st.integers(0, 99).flatmap(lambda k: garbage if k < bad else VALID[kind])


@st.composite
def sheet_rows(draw, name: str, bad: int):
    columns = list(SCHEMA[name])
    # drop, duplicate or shuffle columns; odd headers
    if draw(st.integers(0, 9)) == 0:
        columns.pop(draw(st.integers(0, len(columns) - 1)))
    if draw(st.integers(0, 9)) == 0:
        columns.append(columns[draw(st.integers(0, len(columns) - 1))])
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))
    header = [draw(st.sampled_from([h, h.upper(), h.replace("_", " ").title(),
                                    h.replace("_", "-")])) for h, _ in columns]
    if draw(st.integers(0, 14)) == 0:
        header[draw(st.integers(0, len(header) - 1))] = draw(garbage)
    n_rows = draw(st.integers(0, 6))  # 0: a header-only sheet
    rows = [header]
    for _ in range(n_rows):
        row = [draw(cell(kind, bad)) for _, kind in columns]
        if draw(st.integers(0, 9)) == 0:  # ragged rows
            row = row[:draw(st.integers(0, len(row)))]
        rows.append(row)
    if rows[1:] and draw(st.integers(0, 5)) == 0:  # an exact duplicate row: duplicate keys
        rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
    title_rows = draw(st.integers(0, 2) if draw(st.integers(0, 4)) == 0 else st.just(0))
    return [[f"{name} title"] for _ in range(title_rows)] + rows


@st.composite
def bad_workbooks(draw, bad: int = 3):
    sheets: dict[str, list[list]] = {}
    merged: dict[str, list[str]] = {}
    settings_rows = [["key", "value"], ["as_of", AS_OF]]
    for key in draw(st.lists(st.sampled_from(SETTING_KEYS), max_size=3)):
        settings_rows.append([key, draw(st.one_of(garbage, st.integers(0, 10)))])
    if draw(st.integers(0, 5)):
        sheets["Settings"] = settings_rows
    for name in SCHEMA:
        present = draw(st.integers(0, 9)) < (9 if name in ("Inventory", "Forecast") else 5)
        if present:
            label = draw(st.sampled_from([name, name.lower(), name.upper(), f" {name} "]))
            sheets[label] = draw(sheet_rows(name, bad))
            if draw(st.integers(0, 9)) == 0 and len(sheets[label]) > 2:
                merged[label] = [draw(st.sampled_from(["A2:B2", "A2:A3", "C2:D3", "A1:B1"]))]
    for i in range(draw(st.integers(0, 2))):  # extra sheets of the user's
        sheets[f"Notes {i}{draw(st.sampled_from(['', 'é', '日本', '-x']))}"] = \
            [[draw(garbage) for _ in range(3)] for _ in range(2)]
    return sheets, merged


class Scratch:
    """A fresh directory per example (hypothesis reuses the function's fixtures)."""

    def __init__(self, base: Path):
        self.base, self.count = base, itertools.count()

    def new(self) -> Path:
        d = self.base / f"case{next(self.count)}"
        d.mkdir()
        return d


@pytest.fixture
def scratch(tmp_path):
    return Scratch(tmp_path)


def check_outcome(path: Path, *, as_of=AS_OF) -> str:
    """Run recalc on ``path`` and assert the hardening contract; returns "ok" or "error"."""
    directory = path.parent
    before, names = digest(path), listing(directory)
    try:
        report = pysnop.recalc(path, as_of=as_of)
    except PysnopError as exc:
        assert str(exc).strip(), "an error without a message"
        problems = exc.problems
        assert problems, "an error without problems"
        for p in problems:
            assert str(p).strip()
            assert "Traceback" not in str(p)
            if p.kind == "data":  # a value: it must say where
                assert p.sheet is not None, f"data problem without a sheet: {p}"
                assert p.row is not None or p.col is not None, f"data problem not located: {p}"
        assert digest(path) == before, "a failed run changed the workbook"
        after = listing(directory)
        assert after - sidecars(after) == names, "a failed run left files behind"
        return "error"
    # success: the file is a sound workbook, the backup holds the original bytes
    openable(path)
    assert digest(directory / (path.name + ".bak")) == before
    after = listing(directory)
    assert after - sidecars(after) == names | {path.name + ".bak"}
    assert all(str(w) for w in report.warnings)
    return "ok"


def _one_bad_cell():
    sheets = valid_sheets()
    sheets["Inventory"][1][2] = "n/a"
    return sheets


@pytest.mark.hypothesis
def test_mostly_valid_workbooks_with_some_bad_cells(tmp_path):
    """The mostly-valid fuzzer must exercise the write path too (not only validation): its
    outcomes are counted here, in this test, and both must occur."""
    scratch, outcomes = Scratch(tmp_path), {"ok": 0, "error": 0}

    # two fixed cases, so that both outcomes are reached whatever the random draws are
    @example(book=(valid_sheets(), []))
    @example(book=(_one_bad_cell(), []))
    @settings(FUZZ, max_examples=examples(300))
    @given(book=bad_workbooks(bad=3))
    def one_workbook(book):
        sheets, merged = book
        path = build_fast(scratch.new() / "plan.xlsx", sheets, merged=merged)
        outcomes[check_outcome(path)] += 1

    one_workbook()
    assert outcomes["ok"] > 0 and outcomes["error"] > 0, outcomes


@settings(FUZZ, max_examples=examples(120))
@given(book=bad_workbooks(bad=50))
def test_mostly_garbage_workbooks(scratch, book):
    sheets, merged = book
    path = build_fast(scratch.new() / "plan.xlsx", sheets, merged=merged)
    check_outcome(path)


@settings(FUZZ, max_examples=examples(60))
@given(sheet=st.sampled_from(["Inventory", "Forecast", "Campaigns", "Receipts"]),
       column=st.integers(0, 4), value=garbage, as_of=st.one_of(st.none(), st.just(AS_OF)))
# found by CI: a safety stock of 1.8e299 overflowed to infinity while writing the Actions sheet
@example(sheet="Inventory", column=3, value=1.7976931348623156e+299, as_of=None)
@example(sheet="Forecast", column=3, value=1e308, as_of=None)
def test_one_bad_cell_in_a_valid_workbook(scratch, sheet, column, value, as_of):
    sheets = valid_sheets()
    rows = sheets[sheet]
    col = min(column, len(rows[1]) - 1)
    rows[1][col] = value
    path = build_fast(scratch.new() / "plan.xlsx", sheets)
    check_outcome(path, as_of=as_of)


@settings(FUZZ, max_examples=examples(8))
@given(width=st.sampled_from([10_000, 16_384]), fill=st.sampled_from(["header", "data", "both"]),
       sheet=st.sampled_from(["Inventory", "Forecast", "Notes"]))
def test_ten_thousand_columns(scratch, width, fill, sheet):
    sheets = valid_sheets()
    rows = sheets.setdefault(sheet, [["x"], [1]])
    extra = width - len(rows[0])
    if fill in ("header", "both"):
        rows[0] = rows[0] + [f"extra {i}" for i in range(extra)]
    if fill in ("data", "both"):
        rows[1] = rows[1] + [i if i % 3 else "#N/A" for i in range(extra)]
    path = build_fast(scratch.new() / "plan.xlsx", sheets)
    check_outcome(path)


@settings(FUZZ, max_examples=examples(30))
@given(missing=st.sets(st.sampled_from(["Settings", "Inventory", "Forecast", "Campaigns",
                                        "Receipts"]), min_size=1),
       header_only=st.sets(st.sampled_from(["Inventory", "Forecast", "Campaigns", "Receipts"])),
       extra=st.lists(st.text(min_size=1, max_size=31).filter(
           lambda s: not any(c in s for c in "[]:*?/\\") and s.strip("'") == s
           and _clean_surrogates(s) == s), max_size=3, unique_by=str.lower))
def test_missing_extra_and_header_only_sheets(scratch, missing, header_only, extra):
    sheets = valid_sheets()
    for name in missing:
        sheets.pop(name)
    for name in header_only:
        if name in sheets:
            sheets[name] = sheets[name][:1]
    for name in extra:
        if name.lower() not in {s.lower() for s in sheets}:
            sheets[name] = [["whatever"], [1]]
    path = build_fast(scratch.new() / "plan.xlsx", sheets)
    check_outcome(path)


def test_not_a_workbook_at_all(tmp_path):
    junk = [b"", b"PK\x03\x04garbage", b"hello", b"\xd0\xcf\x11\xe0" + b"\0" * 600,
            bytes(range(256)) * 40]
    for i, data in enumerate(junk):
        path = tmp_path / f"junk{i}.xlsx"
        path.write_bytes(data)
        with pytest.raises(PysnopError):
            pysnop.recalc(path)
        assert path.read_bytes() == data
        assert files(tmp_path) == {f"junk{j}.xlsx" for j in range(i + 1)}
