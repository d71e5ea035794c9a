"""Attacks: XML entity and zip bombs refused within set limits, text from inputs never
becomes a formula, path arguments never lead outside the chosen output."""

from __future__ import annotations

import csv
import io
import re
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hardening_helpers import build_fast, digest, files, valid_sheets

import pysnop
from pysnop.errors import PysnopError
from pysnop.workbook.ooxml import safety
from pysnop.workbook.ooxml.safety import UnsafeWorkbookError, check_package


def rebuild(path: Path, change) -> Path:
    """Rewrite the package, ``change(name, data) -> data or None (drop)``; extra parts via
    ``change(None, None) -> {name: data}``."""
    with zipfile.ZipFile(path) as zin:
        items = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            new = change(name, data)
            if new is not None:
                zout.writestr(name, new)
        for name, data in (change(None, None) or {}).items():
            zout.writestr(name, data)
    path.write_bytes(out.getvalue())
    return path


def _book(tmp_path: Path) -> Path:
    return build_fast(tmp_path / "plan.xlsx", valid_sheets())


def _refused(path: Path, match: str) -> str:
    before = digest(path)
    names = files(path.parent)
    with pytest.raises(UnsafeWorkbookError, match=match) as info:
        pysnop.recalc(path)
    assert digest(path) == before and files(path.parent) == names
    from pysnop.cli.main import cli

    result = CliRunner().invoke(cli, ["recalc", str(path)], obj={})
    assert result.exit_code == 1 and "Traceback" not in result.output
    return str(info.value)


LOL = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
       + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                 for i in range(1, 10))
       + ']>')


def test_a_billion_laughs_in_a_sheet_is_refused(tmp_path):
    book = _book(tmp_path)

    def bomb(name, data):
        if name == "xl/worksheets/sheet2.xml":
            text = data.decode()
            text = text.replace("<worksheet", LOL + "<worksheet", 1)
            text = text.replace("<v>40</v>", "<v>&lol9;</v>")
            return text.encode()
        return data

    rebuild(book, bomb)
    message = _refused(book, "declares XML entities")
    assert message.startswith("cannot open plan.xlsx: the part xl/worksheets/sheet2.xml")


def test_an_external_entity_is_refused(tmp_path):
    book = _book(tmp_path)

    def xxe(name, data):
        if name == "xl/workbook.xml":
            return data.replace(b"<workbook", b'<!DOCTYPE w [<!ENTITY x SYSTEM '
                                              b'"file:///etc/passwd">]><workbook', 1)
        return data

    rebuild(book, xxe)
    _refused(book, "declares XML entities")


def test_a_doctype_hidden_behind_a_long_prolog_is_refused(tmp_path):
    book = _book(tmp_path)
    padding = b"<!--" + b" " * (100 * 1024) + b"-->"

    def hide(name, data):
        if name == "[Content_Types].xml":
            return data.replace(b"<Types", padding + b'<!DOCTYPE t [<!ENTITY a "b">]><Types', 1)
        return data

    rebuild(book, hide)
    _refused(book, "no XML element in its first")


def test_a_utf16_part_with_a_doctype_is_refused(tmp_path):
    book = _book(tmp_path)

    def utf16(name, data):
        if name == "docProps/core.xml":
            text = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
            text = re.sub(r"(<cp:coreProperties)", '<!DOCTYPE c [<!ENTITY e "e">]>\\1', text,
                          count=1)
            return text.encode("utf-16")
        return data

    rebuild(book, utf16)
    _refused(book, "declares XML entities")


def test_a_zip_bomb_member_is_refused_by_its_ratio(tmp_path):
    book = _book(tmp_path)

    def pad(name, data):
        if name is None:
            return {"xl/media/padding.xml": b"<a>" + b" " * (64 * 1024 * 1024) + b"</a>"}
        return data

    rebuild(book, pad)
    assert book.stat().st_size < 1024 * 1024
    _refused(book, r"compressed [\d,]+:1 .*over pysnop's limit of 250:1; refused as a possible "
                   r"zip bomb")


def _lie_about_size(path: Path, member: str, size: int) -> None:
    """Patch the central directory so ``member`` declares ``size`` uncompressed bytes."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46: at + 46 + name_len]) == name:
            struct.pack_into("<I", data, at + 24, size)
            break
        at += 4
    path.write_bytes(bytes(data))


def test_a_member_declaring_gigabytes_is_refused_unread(tmp_path):
    book = _book(tmp_path)
    _lie_about_size(book, "xl/styles.xml", 0xFFFF0000)
    message = _refused(book, "unpacks to 4.0 GiB, over pysnop's limit of 2.0 GiB")
    assert "xl/styles.xml" in message


def test_too_many_parts_and_too_much_in_total(tmp_path, monkeypatch):
    book = _book(tmp_path)
    rebuild(book, lambda n, d: {f"customXml/item{i}.xml": b"<a/>" for i in range(10_001)}
            if n is None else d)
    _refused(book, "holds 10,0[0-9][0-9] parts, over pysnop's limit of 10,000")

    book = _book(tmp_path)
    monkeypatch.setattr(safety, "LIMITS", safety.Limits(max_total_uncompressed=20_000))
    _refused(book, "it unpacks to [\\d,]+ bytes, over pysnop's limit of 20,000 bytes")
    monkeypatch.setattr(safety, "LIMITS", safety.Limits(max_file_bytes=1000))
    _refused(book, "the file is [\\d,]+ bytes, over pysnop's limit")


def test_a_normal_workbook_passes_and_the_limits_can_be_raised(tmp_path, monkeypatch):
    book = _book(tmp_path)
    check_package(book)
    check_package(book.read_bytes())
    monkeypatch.setattr(safety, "LIMITS", safety.LIMITS)
    safety.set_limits(max_ratio=5_000.0)
    assert safety.LIMITS.max_ratio == 5_000.0
    pysnop.recalc(book)


def test_openpyxl_and_calamine_never_see_a_dtd_even_directly(tmp_path):
    """Defence in depth: with defusedxml installed openpyxl refuses DTDs by itself."""
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML


# ------------------------------------------------------------------ formula injection

PAYLOADS = ["=cmd|' /C calc'!A0", "+SUM(9,9)", "-2+3+cmd|' /C notepad'!A1", "@SUM(1,1)",
            "=HYPERLINK(\"http://evil.example\",\"click\")", "\t=1+1"]


def _as_text_cell(ws, ref, value):
    ws[ref] = value
    ws[ref].data_type = "s"  # a text cell that merely looks like a formula


def test_formula_like_text_in_inputs_never_becomes_a_formula(tmp_path):
    sheets = valid_sheets()
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    inv, camp, fc = wb["Inventory"], wb["Campaigns"], wb["Forecast"]
    for i, payload in enumerate(PAYLOADS):
        r = inv.max_row + 1
        _as_text_cell(inv, f"A{r}", payload)  # sku
        _as_text_cell(inv, f"B{r}", PAYLOADS[-1 - i])  # location
        inv[f"C{r}"] = 5
        _as_text_cell(inv, f"H{r}", payload)  # category (extra)
    _as_text_cell(camp, "A2", PAYLOADS[0])  # campaign id
    camp["H1"] = "name"
    _as_text_cell(camp, "H2", PAYLOADS[1])
    _as_text_cell(fc, "A2", PAYLOADS[3])
    book = tmp_path / "plan.xlsx"
    wb.save(book)
    inputs = set(wb.sheetnames)
    try:
        report = pysnop.recalc(book, export_dir=tmp_path / "csv")
    except PysnopError as exc:  # also acceptable, as long as nothing was written
        pytest.fail(f"the injected workbook should recalculate with warnings: {exc}")
    assert report.warnings  # the odd SKUs have no forecast etc.
    out = openpyxl.load_workbook(book)
    owned = [s for s in out.sheetnames if s not in inputs]
    assert owned, "pysnop wrote no sheet"
    for title in owned + ["Campaigns"]:
        for row in out[title].iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert not any(p.lstrip("\t=+-@")[:6] in str(c.value) for p in PAYLOADS), \
                        f"{title}!{c.coordinate} became a formula: {c.value!r}"
    found = [c.value for s in owned for row in out[s].iter_rows() for c in row
             if isinstance(c.value, str) and c.value in PAYLOADS]
    assert found, "the payload text should be shown as text"
    for s in owned:
        for row in out[s].iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@")) \
                        and c.value in PAYLOADS:
                    assert c.data_type == "s" and c.quotePrefix, \
                        f"{s}!{c.coordinate}: a risky string must be quote-prefixed text"


def test_the_csv_export_does_not_hand_formulas_to_a_spreadsheet(tmp_path):
    """bridge.csv opened in Excel: a text field starting with = + - @ would run as a formula."""
    sheets = valid_sheets()
    sheets["Inventory"].append(["=cmd|' /C calc'!A0", "S1", 5])
    sheets["Forecast"].append(["=cmd|' /C calc'!A0", "S1", sheets["Forecast"][1][2], 1])
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
            for c in ws[ws.max_row]:
                if isinstance(c.value, str) and c.value.startswith("="):
                    c.data_type = "s"
    book = tmp_path / "plan.xlsx"
    wb.save(book)
    report = pysnop.recalc(book, export_dir=tmp_path / "csv")
    risky = []
    for path in report.exported:
        with open(path, newline="") as handle:
            for row in csv.reader(handle):
                risky += [v for v in row if v.startswith(("=", "+", "@")) and "cmd|" in v]
    assert risky == []
    exported = (tmp_path / "csv" / "bridge.csv").read_text()
    assert "'=" in exported or "'+" in exported or "'@" in exported  # kept, as inert text


# ----------------------------------------------------------------------- path arguments

def _all_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_names_from_the_workbook_never_become_paths(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    sheets = valid_sheets()
    for evil in ("../../escape", "..\\..\\escape", "/etc/escape", "C:\\escape", "csv/../../x"):
        sheets["Inventory"].append([evil, evil, 5])
        sheets["Forecast"].append([evil, evil, sheets["Forecast"][1][2], 1])
    sheets["Campaigns"].append(["../../campaign", "001", sheets["Campaigns"][1][2],
                                sheets["Campaigns"][1][3], 0.1])
    sheets["..%2F..%2Fsheet"] = [["x"]]
    book = build_fast(work / "plan.xlsx", sheets)
    before = _all_files(tmp_path)
    report = pysnop.recalc(book, output=work / "out.xlsx", export_dir=work / "csv")
    new = _all_files(tmp_path) - before
    assert all(n.startswith("work/") for n in new), new
    exported = {p.name for p in (work / "csv").iterdir()}
    assert exported <= {"bridge.csv", "consensus.csv", "actions.csv", "actions.json",
                        "scorecard.csv"}, exported
    assert {Path(p).parent for p in report.exported} == {work / "csv"}


def test_batch_outputs_stay_in_the_output_directory(tmp_path):
    from pysnop.operations.batch import plan_jobs

    jobs = plan_jobs([tmp_path / "a" / "..." / "east.xlsx", Path("../../west.xlsx")],
                     output=tmp_path / "out", export_dir=tmp_path / "csv")
    assert [Path(j.output).parent for j in jobs] == [tmp_path / "out"] * 2
    assert [Path(j.export_dir).parent for j in jobs] == [tmp_path / "csv"] * 2
    with pytest.raises(PysnopError, match="would both be written to"):
        plan_jobs([tmp_path / "a" / "plan.xlsx", tmp_path / "b" / "plan.xlsx"],
                  output=tmp_path / "out")
    with pytest.raises(PysnopError, match="would both export to"):
        plan_jobs([tmp_path / "a" / "plan.xlsx", tmp_path / "b" / "plan.xlsm"],
                  output=tmp_path / "out", export_dir=tmp_path / "csv")


def test_the_fallback_scan_without_defusedxml_refuses_a_doctype(tmp_path):
    book = _book(tmp_path)
    rebuild(book, lambda n, d: d.replace(b"<workbook", b'<!DOCTYPE w [<!ENTITY a "b">]><workbook',
                                         1) if n == "xl/workbook.xml" else d)
    with zipfile.ZipFile(book) as zf:
        info = zf.getinfo("xl/workbook.xml")
        with pytest.raises(UnsafeWorkbookError, match="declares XML entities"):
            safety._scan_xml_part(zf, info, "plan.xlsx", safety.LIMITS)
        safety._scan_xml_part(zf, zf.getinfo("xl/styles.xml"), "plan.xlsx", safety.LIMITS)


def test_a_package_found_safe_is_checked_again_under_lower_limits(tmp_path, monkeypatch):
    # a run checks one file several times and inflates it once; what it remembers is the
    # content with the limits it passed, so lowered limits still refuse it
    book = _book(tmp_path)
    check_package(book)
    check_package(book.read_bytes())
    monkeypatch.setattr(safety, "LIMITS", safety.Limits(max_total_uncompressed=20_000))
    _refused(book, "it unpacks to [\\d,]+ bytes, over pysnop's limit of 20,000 bytes")
