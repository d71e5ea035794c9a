"""The command line, through click's CliRunner: exit codes, what is printed, what is written."""

import csv
import datetime as dt
import subprocess
import sys

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from pysnop.cli.main import cli

D = dt.date


def good_sheets(on_hand=30):
    return {
        "Settings": [["key", "value"], ["as_of", D(2026, 11, 18)], ["horizon_weeks", 3],
                     ["risk_buffer", 0]],
        "Inventory": [["sku", "location", "on_hand", "safety_stock", "lead_time_weeks",
                       "unit_margin"],
                      ["00123", "S01", on_hand, 5, 1, 2.5]],
        "Forecast": [["sku", "location", "week", "units"],
                     ["00123", "S01", D(2026, 11, 16), 10],
                     ["00123", "S01", D(2026, 11, 23), 10],
                     ["00123", "S01", D(2026, 11, 30), 10]],
        "Campaigns": [["campaign_id", "sku", "start", "end", "lift", "name"],
                      ["BF", "00123", D(2026, 11, 23), D(2026, 11, 29), 0.5, "Black Friday"]],
    }


def bad_sheets():
    sheets = good_sheets()
    sheets["Inventory"][1][2] = "n/a"
    sheets["Campaigns"][1][4] = 35
    return sheets


@pytest.fixture
def run():
    def invoke(*args):
        return CliRunner().invoke(cli, [str(a) for a in args], obj={})
    return invoke


def test_recalc_in_place_writes_bridge_and_keeps_one_backup(make_book, run):
    book = make_book(good_sheets(), name="plan.xlsx")
    original = book.read_bytes()
    result = run("recalc", book)
    assert result.exit_code == 0, result.output
    # poh 20, 5, -5: STOCKOUT in week 2 (30 Nov); act_by one week before
    assert "1 STOCKOUT" in result.output
    assert "00123" in result.output and "2026-11-30" in result.output
    assert (book.parent / "plan.xlsx.bak").read_bytes() == original
    wb = CalamineWorkbook.from_path(str(book))
    assert {"Bridge", "Issues", "Inventory"} <= set(wb.sheet_names)


def test_output_option_leaves_the_input_untouched(make_book, run, tmp_path):
    book = make_book(good_sheets())
    before = book.read_bytes()
    out = tmp_path / "out.xlsx"
    result = run("recalc", book, "-o", out)
    assert result.exit_code == 0, result.output
    assert book.read_bytes() == before
    assert not (book.parent / (book.name + ".bak")).exists()
    assert "Bridge" in openpyxl.load_workbook(out).sheetnames


def test_bad_workbook_lists_every_error_and_writes_nothing(make_book, run):
    book = make_book(bad_sheets())
    before = book.read_bytes()
    result = run("recalc", book)
    assert result.exit_code == 1
    assert 'Inventory!C2 (on_hand): expected a number, got "n/a"' in result.output
    assert "Campaigns!E2 (lift): 35 looks like a percent" in result.output
    assert "not written" in result.output
    assert "Traceback" not in result.output
    assert book.read_bytes() == before
    assert not (book.parent / (book.name + ".bak")).exists()


def test_not_a_workbook_is_a_message_not_a_traceback(tmp_path, run):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("hello, I am a CSV\n1,2,3\n")
    result = run("recalc", fake)
    assert result.exit_code == 1
    assert "not an Excel workbook" in result.output
    assert "Traceback" not in result.output
    assert fake.read_text() == "hello, I am a CSV\n1,2,3\n"


def test_several_books_one_bad_does_not_stop_the_rest(make_book, run, tmp_path):
    good = make_book(good_sheets(), name="good.xlsx")
    bad = make_book(bad_sheets(), name="bad.xlsx")
    outdir = tmp_path / "results"
    result = run("recalc", bad, good, "-o", outdir, "--export", tmp_path / "csv")
    assert result.exit_code == 1
    assert "1 of 2 workbooks written" in result.output
    assert (outdir / "good.xlsx").exists() and not (outdir / "bad.xlsx").exists()
    assert (tmp_path / "csv" / "good" / "bridge.csv").exists()


def test_export_writes_long_bridge_csv(make_book, run, tmp_path):
    book = make_book(good_sheets())
    result = run("recalc", book, "--export", tmp_path / "exp")
    assert result.exit_code == 0, result.output
    with open(tmp_path / "exp" / "bridge.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["sku", "location", "week", "baseline", "lift_units", "demand",
                             "receipts", "projected_on_hand", "threshold", "status"]
    # week 1 carries Black Friday: 10 × 0.5 = 5 lift units; poh 30-10=20, 20-15=5, 5-10=-5
    assert [(r["week"], r["lift_units"], r["projected_on_hand"], r["status"]) for r in rows] == [
        ("2026-11-16", "0.0", "20.0", "OK"), ("2026-11-23", "5.0", "5.0", "OK"),
        ("2026-11-30", "0.0", "-5.0", "STOCKOUT")]
    assert rows[0]["sku"] == "00123"


def test_as_of_option_overrides_settings(make_book, run, tmp_path):
    book = make_book(good_sheets())
    result = run("recalc", book, "--as-of", "2026-11-25", "--export", tmp_path / "e")
    assert result.exit_code == 0, result.output
    weeks = [r["week"] for r in csv.DictReader(open(tmp_path / "e" / "bridge.csv"))]
    assert weeks[0] == "2026-11-23"


def test_check_validates_without_writing(make_book, run):
    book = make_book(good_sheets())
    before = book.read_bytes()
    ok = run("check", book)
    assert ok.exit_code == 0, ok.output
    assert "valid; 1 sku-locations, 1 stockout" in ok.output
    assert book.read_bytes() == before
    bad = make_book(bad_sheets())
    result = run("check", bad)
    assert result.exit_code == 1
    assert 'Inventory!C2 (on_hand): expected a number, got "n/a"' in result.output


def test_warnings_are_printed_and_do_not_stop_the_run(make_book, run):
    sheets = good_sheets()
    sheets["Inventory"].append(["00999", "S01", 4, 0, 1, 1.0])  # no forecast -> warning
    book = make_book(sheets)
    result = run("recalc", book)
    assert result.exit_code == 0
    assert "warning: Inventory row 3: no forecast for sku 00999 at location S01" in result.output


def test_macro_workbook_output_must_stay_xlsm(make_book, run, tmp_path):
    book = make_book(good_sheets(), name="plan.xlsm")
    result = run("recalc", book, "-o", tmp_path / "plan.xlsx")
    assert result.exit_code == 1
    assert "must be .xlsm" in result.output


def test_demo_builds_and_recalculates(run, tmp_path):
    result = run("demo", tmp_path / "d")
    assert result.exit_code == 0, result.output
    assert "STOCKOUT" in result.output and "AT RISK" in result.output
    wb = CalamineWorkbook.from_path(str(tmp_path / "d" / "pysnop-demo.xlsx"))
    assert "Bridge" in wb.sheet_names
    # the Planner view's worksheet functions were evaluated and their values stored
    view = wb.get_sheet_by_name("Planner view").to_python(skip_empty_area=False)
    bridge = wb.get_sheet_by_name("Bridge").to_python(skip_empty_area=False)
    assert view[3][:3] == ["sku", "location", "status"]
    assert view[4][:2] == bridge[4][:2]  # same worst sku-location as the Bridge
    spilled = [row[2] for row in view[4:] if row[2]]
    assert view[6][15] == spilled.count("STOCKOUT") > 0  # a native COUNTIF over the spill
    assert view[3][15] == f"{view[4][0]} @ {view[4][1]}"
    # the chain's longest cause (DC1's "short for S01, S02, S03, S04, WEB") can be read whole
    import openpyxl
    from openpyxl.utils import get_column_letter

    col = bridge[3].index("risk_cause")
    longest = max(len(str(r[col])) for r in bridge[4:] if r[col])
    assert longest > 20  # wider than the column's default
    ws = openpyxl.load_workbook(tmp_path / "d" / "pysnop-demo.xlsx")["Bridge"]
    assert ws.column_dimensions[get_column_letter(col + 1)].width >= longest + 2


def test_help_has_examples(run):
    result = run("recalc", "--help")
    assert result.exit_code == 0
    assert "pysnop recalc plan.xlsx -o" in result.output or "Examples" in result.output
    assert "Examples" in run("--help").output


def test_missing_file_and_usage_errors(run, tmp_path):
    result = run("recalc", tmp_path / "nope.xlsx")
    assert result.exit_code == 1
    assert "nope.xlsx" in result.output and "Traceback" not in result.output
    assert run("recalc").exit_code == 2


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "pysnop", "--version"], capture_output=True,
                         text=True)
    assert out.returncode == 0
    assert out.stdout.startswith("pysnop, version ")


def test_an_internal_error_is_one_line_and_exit_code_3(make_book, run, monkeypatch):
    import pysnop.pipeline.stages

    def broken(inputs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(pysnop.pipeline.stages, "run_bridge", broken)
    result = run("recalc", make_book(good_sheets()))
    assert result.exit_code == 3
    assert "internal error: ZeroDivisionError: division by zero" in result.output
    assert "Traceback" not in result.output


def test_an_internal_error_in_an_actions_command_exits_3_too(make_book, run, monkeypatch):
    import pysnop.operations.export

    def broken(*args, **kwargs):
        raise ValueError("Out of range float values are not JSON compliant")

    # the command imports its operation when it runs (pysnop/cli/actions.py)
    monkeypatch.setattr(pysnop.operations.export, "export_actions", broken)
    result = run("export", make_book(good_sheets()), "--format", "csv")
    assert result.exit_code == 3, result.output
    assert "internal error: ValueError" in result.output and "Traceback" not in result.output


def test_no_actions_refreshes_the_bridge_only(make_book, run):
    book = make_book(good_sheets())
    result = run("recalc", book, "--no-actions")
    assert result.exit_code == 0, result.output
    sheets = CalamineWorkbook.from_path(str(book)).sheet_names
    assert "Bridge" in sheets and "Actions" not in sheets
    result = run("recalc", book)
    assert "Actions" in CalamineWorkbook.from_path(str(book)).sheet_names


def test_check_runs_the_consensus_and_leaves_no_file_behind(make_book, run, tmp_path):
    sheets = good_sheets()
    sheets["Forecast"] = [["sku", "location", "week", "units", "source"]] + [
        ["00123", "S01", D(2026, 11, 16) + dt.timedelta(days=7 * w), u, src]
        for w in range(3) for src, u in (("Planning", 8), ("Marketing", 12))]
    sheets["Actuals"] = [["sku", "location", "week", "units"], ["00123", "S01", D(2026, 11, 9), 9]]
    book = make_book(sheets)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run("check", book)
    assert result.exit_code == 0, result.output
    # the consensus of 8 and 12 (equal weights, one node) is 10/week: poh 20, 5, -5
    assert "1 stockout" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_recalc_reports_each_step_as_it_goes(make_book):
    import pysnop

    steps = []
    pysnop.recalc(make_book(good_sheets()), progress=steps.append)
    assert steps[0] == "reading" and steps[-1] == "writing"
    assert steps.index("consensus") < steps.index("bridge") < steps.index("actions")
