"""The workbook's stamp: custom document properties, set without disturbing the others, kept
by the programs that save workbooks."""

import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from openpyxl.packaging.custom import StringProperty

from pysnop.workbook.ooxml.custom_props import (
    CUSTOM_PART,
    parse_properties,
    read_properties,
    set_properties,
)
from pysnop.workbook.ooxml.package import Package


def package(path):
    return Package(path.read_bytes())


def save(pkg, path):
    with open(path, "wb") as handle:
        pkg.save(handle)


def test_set_on_a_workbook_without_properties(tmp_path):
    path = tmp_path / "a.xlsx"
    openpyxl.Workbook().save(path)
    pkg = package(path)
    set_properties(pkg, {"pysnop_log_id": "abc", "pysnop_log_entry": "3"})
    save(pkg, path)
    assert read_properties(path) == {"pysnop_log_id": "abc", "pysnop_log_entry": "3"}
    wb = openpyxl.load_workbook(path)  # a valid package: openpyxl reads it back
    assert {p.name: p.value for p in wb.custom_doc_props.props} == read_properties(path)


def test_update_keeps_the_users_own_properties(tmp_path):
    path = tmp_path / "a.xlsx"
    wb = openpyxl.Workbook()
    wb.custom_doc_props.append(StringProperty(name="Department", value="Supply & <Ops>"))
    wb.custom_doc_props.append(StringProperty(name="pysnop_log_entry", value="1"))
    wb.save(path)
    pkg = package(path)
    set_properties(pkg, {"pysnop_log_entry": "7", "pysnop_log_hash": "f" * 64})
    save(pkg, path)
    props = read_properties(path)
    assert props == {"Department": "Supply & <Ops>", "pysnop_log_entry": "7",
                     "pysnop_log_hash": "f" * 64}
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(CUSTOM_PART)
        pids = [int(p) for p in __import__("re").findall(rb'pid="(\d+)"', xml)]
        assert len(pids) == len(set(pids)) and min(pids) >= 2
        assert zf.read("_rels/.rels").count(b"custom-properties") == 1
    assert parse_properties(xml) == props


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_keeps_the_stamp(tmp_path):
    path = tmp_path / "a.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(path)
    pkg = package(path)
    set_properties(pkg, {"pysnop_log_id": "abc", "pysnop_log_hash": "0" * 64})
    save(pkg, path)
    out = tmp_path / "lo"
    out.mkdir()
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(out),
                    str(path)], check=True, capture_output=True, timeout=120)
    props = read_properties(out / "a.xlsx")
    assert props["pysnop_log_id"] == "abc" and props["pysnop_log_hash"] == "0" * 64
