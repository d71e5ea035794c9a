"""The bridge as native spreadsheet formulas, recalculated by LibreOffice, against pysnop.

    python benchmarks/bench_libreoffice.py                    # 800 and 4,000 sku-locations
    python benchmarks/bench_libreoffice.py --sizes 800 --runs 3 --json lo.json

For each size the generated workbook (benchmarks/generate.py, cached in ``--cache-dir``) gets
a copy whose **Bridge** sheet computes the bridge of docs/semantics.md §1 with native
formulas, one row per Inventory row and one column per week for each quantity:

* week Mondays from Settings ``as_of`` (``as_of − WEEKDAY(as_of, 3) + 7w``);
* baseline: ``SUMIFS`` over the Forecast sheet (sku, location, week);
* lift units: baseline × ``SUMPRODUCT`` over the Campaigns of the SKU whose status is
  counted (Settings ``count_statuses``: Planned, Confirmed) and whose locations are blank,
  ``ALL`` or name the location, of lift × days inside the week ÷ 7;
* receipts: ``SUMIFS`` of open (not Received) receipts due in the week, past-due in week 0;
* projected on-hand ``poh[w] = poh[w−1] + receipts − baseline − lift``, threshold
  ``safety_stock + risk_buffer × lift``;
* status (STOCKOUT / AT RISK / OK), first risk week, min projected, shortfall, lost units,
  margin at risk (lost × (price − cost)) and act by.

That workbook (no cached values) is recalculated and saved by
``soffice --headless --convert-to xlsx`` in a fresh LibreOffice profile set to recalculate
OOXML files on load, timed by hyperfine (median of ``--runs``; LibreOffice's start-up
included, as pysnop's imports are). pysnop's default run and ``--no-actions`` run on the
*original* workbook in the same invocation (``bench_run.time_run``), and the statuses
LibreOffice computed are compared with pysnop's engine, so the two did the same work.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_bridge import WEEKS, workbook_for  # noqa: E402
from bench_run import hyperfine, load, machine, s, time_run  # noqa: E402

SIZES = (800, 4_000)
INPUTS = ("Settings", "Products", "Inventory", "Forecast", "Campaigns", "Receipts")
# OOXMLRecalcMode 0: always recalculate an Excel 2007+ file on load
PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def col(n: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(n)


def formula_workbook(src: Path, dest: Path) -> Path:
    """``src``'s input sheets as values, and a Bridge sheet of native formulas."""
    from openpyxl import Workbook
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(src))
    sheets = {n: book.get_sheet_by_name(n).to_python() for n in INPUTS}
    head = {n: rows[0] for n, rows in sheets.items()}
    last = {n: len(rows) for n, rows in sheets.items()}  # the last row (header is row 1)

    def rng(sheet: str, name: str) -> str:
        c = col(head[sheet].index(name) + 1)
        return f"{sheet}!${c}$2:${c}${last[sheet]}"

    wb = Workbook(write_only=True)
    for name in INPUTS:
        ws = wb.create_sheet(name)
        for row in sheets[name]:
            ws.append([None if v == "" else v for v in row])

    settings = {r[0]: i + 1 for i, r in enumerate(sheets["Settings"])}
    ws = wb.create_sheet("Weeks")  # A: Monday of week w; B1: risk_buffer
    ws.append(["monday", f"=Settings!$B${settings['risk_buffer']}"])
    for w in range(WEEKS):
        ws.append([f"=Settings!$B${settings['as_of']}-WEEKDAY(Settings!$B${settings['as_of']},3)"
                   f"+{7 * w}"])

    inv = head["Inventory"]
    ic = {k: col(inv.index(k) + 1) for k in ("sku", "location", "on_hand", "safety_stock",
                                             "lead_time_weeks", "unit_cost", "unit_price")}
    groups = ("baseline", "lift", "receipts", "poh", "threshold")
    first = 5  # A sku, B location, C on_hand, D safety
    gcol = {g: [col(first + k * WEEKS + w) for w in range(WEEKS)] for k, g in enumerate(groups)}
    summary = ["status", "first_risk_week", "min_projected", "shortfall_units", "lost_units",
               "margin_at_risk", "act_by"]
    scol = {name: col(first + len(groups) * WEEKS + k) for k, name in enumerate(summary)}
    ws = wb.create_sheet("Bridge")
    ws.append(["sku", "location", "on_hand", "safety_stock",
               *(f"{g}_w{w}" for g in groups for w in range(WEEKS)), *summary])

    f_units, f_sku, f_loc, f_week = (rng("Forecast", k) for k in ("units", "sku", "location",
                                                                   "week"))
    c_sku, c_start, c_end, c_lift, c_status, c_locs = (
        rng("Campaigns", k) for k in ("sku", "start", "end", "lift", "status", "locations"))
    r_qty, r_sku, r_loc, r_due, r_status = (rng("Receipts", k) for k in ("qty", "sku",
                                                                         "location", "due",
                                                                         "status"))
    for i in range(2, last["Inventory"] + 1):
        sku, loc = f"$A{i}", f"$B{i}"
        row: list = [f"=Inventory!{ic['sku']}{i}", f"=Inventory!{ic['location']}{i}",
                     f"=Inventory!{ic['on_hand']}{i}", f"=Inventory!{ic['safety_stock']}{i}"]
        mondays = [f"Weeks!$A${2 + w}" for w in range(WEEKS)]
        row += [f"=SUMIFS({f_units},{f_sku},{sku},{f_loc},{loc},{f_week},{m})" for m in mondays]
        for w, m in enumerate(mondays):
            # days of each campaign inside the week: max(0, min(end, m+6) − max(start, m) + 1),
            # with min/max written elementwise (a+b∓|a−b|)/2 so SUMPRODUCT takes whole columns
            lo = f"({c_start}+{m}+ABS({c_start}-{m}))/2"
            hi = f"({c_end}+{m}+6-ABS({c_end}-{m}-6))/2"
            days = f"(({hi})-({lo})+1+ABS(({hi})-({lo})+1))/2"
            counted = f"(({c_status}=\"Planned\")+({c_status}=\"Confirmed\"))"
            scope = (f"((({c_locs}=\"\")+({c_locs}=\"ALL\")"
                     f"+ISNUMBER(SEARCH({loc},{c_locs})))>0)")
            row.append(f"={gcol['baseline'][w]}{i}*SUMPRODUCT(({c_sku}={sku})*{counted}*{scope}"
                       f"*{c_lift}*{days})/7")
        for w, m in enumerate(mondays):
            since = "" if w == 0 else f",{r_due},\">=\"&{m}"
            row.append(f"=SUMIFS({r_qty},{r_sku},{sku},{r_loc},{loc},{r_due},\"<=\"&({m}+6)"
                       f"{since},{r_status},\"<>Received\")")
        for w in range(WEEKS):
            prev = f"$C{i}" if w == 0 else f"{gcol['poh'][w - 1]}{i}"
            row.append(f"={prev}+{gcol['receipts'][w]}{i}-{gcol['baseline'][w]}{i}"
                       f"-{gcol['lift'][w]}{i}")
        row += [f"=$D{i}+Weeks!$B$1*{gcol['lift'][w]}{i}" for w in range(WEEKS)]
        poh = f"{gcol['poh'][0]}{i}:{gcol['poh'][-1]}{i}"
        thr = f"{gcol['threshold'][0]}{i}:{gcol['threshold'][-1]}{i}"
        first_risk = '""'
        for w in reversed(range(WEEKS)):
            first_risk = (f"IF({gcol['poh'][w]}{i}<{gcol['threshold'][w]}{i},{mondays[w]},"
                          f"{first_risk})")
        row += [f"=IF(MIN({poh})<0,\"STOCKOUT\",IF(SUMPRODUCT(({poh}<{thr})*1)>0,\"AT RISK\","
                f"\"OK\"))",
                f"={first_risk}",
                f"=MIN({poh})",
                f"=MAX(0,SUMPRODUCT(MAX({thr}-{poh})))",
                f"=MAX(0,-MIN({poh}))",
                f"={scol['lost_units']}{i}*(Inventory!{ic['unit_price']}{i}"
                f"-Inventory!{ic['unit_cost']}{i})",
                f"=IF({scol['first_risk_week']}{i}=\"\",\"\",{scol['first_risk_week']}{i}"
                f"-7*Inventory!{ic['lead_time_weeks']}{i})"]
        ws.append(row)
    tmp = dest.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    tmp.replace(dest)
    return dest


def lo_profile(root: Path) -> Path:
    profile = root / "lo-profile"
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(PROFILE_XCU)
    return profile


def compare_statuses(src: Path, recalculated: Path) -> dict:
    """LibreOffice's statuses against pysnop's engine on the same inputs."""
    from python_calamine import CalamineWorkbook

    from pysnop.core.bridge import run_bridge
    from pysnop.workbook.read.reader import read_plan

    summary = run_bridge(read_plan(src).inputs).summary
    keys = list(zip(summary["sku"], summary["location"]))
    ours = dict(zip(keys, summary["status"]))
    our_min = dict(zip(keys, summary["min_projected"]))
    rows = CalamineWorkbook.from_path(str(recalculated)).get_sheet_by_name("Bridge").to_python()
    k, m = rows[0].index("status"), rows[0].index("min_projected")
    theirs = {(str(r[0]), str(r[1])): r[k] for r in rows[1:]}
    their_min = {(str(r[0]), str(r[1])): r[m] for r in rows[1:]}
    same = sum(1 for key, v in theirs.items() if ours.get(key) == v)
    same_min = sum(1 for key, v in their_min.items()
                   if key in our_min and abs(float(v) - our_min[key]) < 1e-6)
    counts = {v: list(theirs.values()).count(v) for v in ("STOCKOUT", "AT RISK", "OK")}
    return {"rows": len(theirs), "same_status": same, "same_min_projected": same_min,
            "libreoffice_counts": counts,
            "pysnop_counts": {v: list(ours.values()).count(v) for v in counts}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/pysnop-bench"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("hyperfine"):
        sys.exit("needs LibreOffice (soffice) and hyperfine")
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    fig: dict = {"machine": machine(), "libreoffice": subprocess.run(
        [soffice, "--version"], capture_output=True, text=True).stdout.strip(), "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="pysnop-bench-lo-") as tmp:
        work = Path(tmp)
        profile = lo_profile(work)
        for n in (int(x) for x in args.sizes.split(",") if x):
            src = workbook_for(n, args.cache_dir)
            book = args.cache_dir / f"lo-bridge-{n}x{WEEKS}.xlsx"
            if not book.exists():
                formula_workbook(src, book)
            outdir = work / "lo-out"
            cmd = (f"{shlex.quote(soffice)} -env:UserInstallation=file://{profile} --headless "
                   f"--convert-to xlsx --outdir {outdir} {shlex.quote(str(book))}")
            print(f"LibreOffice {n:,} … (load {load()})", file=sys.stderr, flush=True)
            lo = hyperfine(cmd, args.runs, prepare=f"rm -rf {outdir}")
            check = compare_statuses(src, outdir / book.name)
            print(f"pysnop {n:,} … (load {load()})", file=sys.stderr, flush=True)
            default = time_run(src, work, args.runs)
            bridge = time_run(src, work, args.runs, "--no-actions")
            fig["sizes"][n] = {"libreoffice": lo, "check": check, "default": default,
                               "no_actions": bridge}
    print(f"LibreOffice: {fig['libreoffice']}; machine: {fig['machine']['cpus']} cores, "
          f"{fig['machine']['cpu']}\n")
    print("Wall-clock medians (CPU time, user + system, in brackets).\n")
    print("| sku-locations | LibreOffice (native formulas) | pysnop default run | × faster "
          "| pysnop --no-actions | × faster | same status, min projected | load |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for n, f in fig["sizes"].items():
        lo, d, b, c = f["libreoffice"], f["default"], f["no_actions"], f["check"]

        def both(r):
            return f"{s(r['median_s'])} ({s(r['cpu_s'])})"

        def ratio(r):
            return (f"{lo['median_s'] / r['median_s']:.1f}× "
                    f"({lo['cpu_s'] / r['cpu_s']:.1f}×)")
        print(f"| {n:,} | {both(lo)} | {both(d)} | {ratio(d)} | {both(b)} | {ratio(b)} "
              f"| {c['same_status']:,}, {c['same_min_projected']:,} of {c['rows']:,} "
              f"| {lo['load']}, {d['load']} |")
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2, default=str))


if __name__ == "__main__":
    main()
