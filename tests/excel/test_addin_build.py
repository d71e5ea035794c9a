"""pysnop.xlam built from the text sources: a valid add-in package whose ribbon calls VBA
procedures that exist in its VBA project (read back with oletools), which call Python entry
points that exist. Install / uninstall on Windows, refused elsewhere."""

from __future__ import annotations

import posixpath
import re
import struct
import warnings
import xml.etree.ElementTree as ET
import zipfile

import olefile
import pytest
from click.testing import CliRunner

with warnings.catch_warnings():  # oletools' pyparsing grammar uses deprecated names
    warnings.simplefilter("ignore")
    from oletools.olevba import VBA_Parser, decompress_stream

from pysnop import catalog
from pysnop.addin import ovba
from pysnop.cli import addin as cli_addin
from pysnop.cli.main import cli

CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
UI_NS = "{http://schemas.microsoft.com/office/2009/07/customui}"
UI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"


@pytest.fixture(scope="module")
def builder():
    from pysnop.addin import build

    return build


@pytest.fixture(scope="module")
def xlam(tmp_path_factory):
    path = tmp_path_factory.mktemp("addin") / "pysnop.xlam"
    result = CliRunner().invoke(cli_addin.register(cli), ["addin", "build", "-o", str(path)],
                                obj={})
    assert result.exit_code == 0, result.output
    assert "built" in result.output and path.exists()
    return path


@pytest.fixture(scope="module")
def vba(xlam) -> dict[str, str]:
    parser = VBA_Parser(str(xlam))
    assert parser.detect_vba_macros()
    modules = {stream.split("/")[-1]: code.replace("\r\n", "\n")
               for _, stream, _, code in parser.extract_macros()}
    parser.close()
    return modules


def content_type(types, part: str) -> str | None:
    for o in types.iter(CT_NS + "Override"):
        if o.get("PartName") == "/" + part:
            return o.get("ContentType")
    ext = part.rsplit(".", 1)[-1]
    for d in types.iter(CT_NS + "Default"):
        if d.get("Extension").lower() == ext.lower():
            return d.get("ContentType")
    return None


def test_package_is_a_valid_macro_enabled_addin(xlam):
    with zipfile.ZipFile(xlam) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        types = ET.fromstring(z.read("[Content_Types].xml"))
        for part in names - {"[Content_Types].xml"}:
            assert content_type(types, part), f"no content type for {part}"
        assert content_type(types, "xl/workbook.xml") == \
            "application/vnd.ms-excel.addin.macroEnabled.main+xml"
        assert content_type(types, "xl/vbaProject.bin") == "application/vnd.ms-office.vbaProject"
        # every relationship resolves to a part of the package
        rel_types = {}
        for rels in (n for n in names if n.endswith(".rels")):
            base = posixpath.dirname(posixpath.dirname(rels))
            for rel in ET.fromstring(z.read(rels)).iter(REL_NS + "Relationship"):
                target = posixpath.normpath(posixpath.join(base, rel.get("Target")))
                assert target in names, f"{rels}: {rel.get('Target')} does not exist"
                rel_types.setdefault(rels, {})[rel.get("Type")] = target
        root = rel_types["_rels/.rels"]
        assert root[UI_REL] == "customUI/customUI14.xml"
        assert root["http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                    "officeDocument"] == "xl/workbook.xml"
        assert rel_types["xl/_rels/workbook.xml.rels"][
            "http://schemas.microsoft.com/office/2006/relationships/vbaProject"] == \
            "xl/vbaProject.bin"
        assert b'codeName="ThisWorkbook"' in z.read("xl/workbook.xml")
        assert olefile.isOleFile(z.read("xl/vbaProject.bin"))


def test_a_spreadsheet_reader_opens_it(xlam):
    import python_calamine as pc

    book = pc.CalamineWorkbook.from_path(str(xlam))
    assert book.sheet_names == ["pysnop"]
    assert "S&OP Bridge" in book.get_sheet_by_name("pysnop").to_python()[0][0]


def test_ribbon_buttons_call_vba_procedures_that_call_python(xlam, vba):
    with zipfile.ZipFile(xlam) as z:
        ui = ET.fromstring(z.read("customUI/customUI14.xml"))  # well-formed
    tab = ui.find(f".//{UI_NS}tab")
    assert tab.get("label") == "S&OP Bridge"
    buttons = list(ui.iter(UI_NS + "button"))
    assert [b.get("tag") for b in buttons] == [b.tag for b in catalog.BUTTONS]
    for b in buttons:
        assert b.get("imageMso") and b.get("screentip") and b.get("supertip"), b.get("id")
    source = vba["Pysnop"]
    subs = dict(re.findall(r"^Sub (\w+)\(control As IRibbonControl\)\n(.*?)^End Sub",
                           source, re.M | re.S))
    assert {b.get("onAction") for b in buttons} == set(subs) == {"PysnopButton"}
    assert re.findall(r"^\s*(\w.*)$", subs["PysnopButton"], re.M) == ["PysnopPress control.Tag"]
    press = re.search(r"^Sub PysnopPress\(tag As String\)\n(.*?)^End Sub", source, re.M | re.S)
    calls = re.findall(r"^\s*RunPython (.+)$", press.group(1), re.M)
    # VBA: the Python statement with the button's Tag spliced in as a string literal
    assert calls == ['"import pysnop.excel.ribbon; pysnop.excel.ribbon.press(\'" & tag & "\')"']
    # what Python then runs for each button: an operation that exists
    from pysnop.excel import ribbon
    from pysnop.operations.book_ops import OPERATIONS

    assert callable(ribbon.press)
    assert [b.get("tag") for b in buttons] == list(ribbon.TAGS)
    assert set(ribbon.TAGS) == set(OPERATIONS)
    # RunPython and XLPy come from xlwings' add-in module, configured for pysnop.conf
    xl = vba["xlwings"]
    assert re.search(r"^Public Function RunPython\(", xl, re.M)
    assert re.search(r"^Function XLPy\(", xl, re.M)
    assert 'Public Const PROJECT_NAME As String = "pysnop"' in xl


def test_vba_project_holds_the_text_sources(vba, builder):
    assert vba["Pysnop"].strip() == builder.BAS.read_text(encoding="utf-8").strip()
    assert vba["xlwings"].strip() == builder.xlwings_source().replace("\r\n", "\n").strip()
    assert set(vba) == {"ThisWorkbook", "Sheet1", "Pysnop", "xlwings"}
    assert 'VB_Base = "0{00020819-0000-0000-C000-000000000046}"' in vba["ThisWorkbook"]


def test_generated_sources_are_current_and_cover_every_function(vba, builder):
    assert builder.stale_sources() == [], "run python -m pysnop.addin.build --sync"
    for spec in catalog.FUNCTIONS:
        name = spec.name
        assert re.search(rf'^Function {name}\((?:.*\n){{3}}\s+{name} = XLPy\.CallUDF\('
                         rf'"pysnop\.excel\.udf", "{name}", Array\(', vba["Pysnop"], re.M), name
    assert "Function PROMO_DEMAND(baseline, first_week, start, end_, lift)" in vba["Pysnop"]


def test_the_build_refuses_stale_sources(builder, tmp_path, monkeypatch):
    ui = tmp_path / "customUI.xml"
    ui.write_text(builder.custom_ui().replace("Run bridge", "Run it"), encoding="utf-8")
    monkeypatch.setattr(builder, "CUSTOM_UI", ui)
    with pytest.raises(RuntimeError, match="customUI.xml: out of date"):
        builder.build(tmp_path / "x.xlam")


def decrypt(text: str) -> bytes:
    """[MS-OVBA] 2.4.3.3 Decryption, written from the spec for this test."""
    buf = list(bytes.fromhex(text))
    seed, version_enc, key_enc = buf[:3]
    assert seed ^ version_enc == 2
    unencrypted1, encrypted1, encrypted2 = seed ^ key_enc, key_enc, version_enc
    data = []
    for enc in buf[3:]:
        byte = enc ^ ((encrypted2 + unencrypted1) & 0xFF)
        data.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    data = data[(seed & 6) // 2:]
    length = int.from_bytes(bytes(data[:4]), "little")
    assert length == len(data) - 4
    return bytes(data[4:])


def test_vba_streams_follow_ms_ovba(xlam, builder):
    with zipfile.ZipFile(xlam) as z:
        ole = olefile.OleFileIO(z.read("xl/vbaProject.bin"))
    assert sorted("/".join(p) for p in ole.listdir()) == [
        "PROJECT", "PROJECTwm", "VBA/Pysnop", "VBA/Sheet1", "VBA/ThisWorkbook",
        "VBA/_VBA_PROJECT", "VBA/dir", "VBA/xlwings"]
    project = ole.openstream("PROJECT").read().decode("cp1252")
    fields = dict(re.findall(r'^(\w+)="?([^"\r\n]*)"?\r$', project, re.M))
    assert fields["Name"] == "PysnopAddin"
    assert decrypt(fields["CMG"]) == struct.pack("<I", 0)  # not protected
    assert decrypt(fields["DPB"]) == b"\x00"                # no password
    assert decrypt(fields["GC"]) == b"\xff"                 # visible
    assert "Module=Pysnop\r\n" in project and "Document=ThisWorkbook/&H00000000\r\n" in project
    assert ole.openstream("VBA/_VBA_PROJECT").read() == b"\xcc\x61\xff\xff\x00\x00\x00"
    modules = [("ThisWorkbook", True), ("Sheet1", True), ("Pysnop", False), ("xlwings", False)]
    assert bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read()))) == \
        ovba.dir_stream(modules)
    wm = ole.openstream("PROJECTwm").read()
    assert wm.startswith(b"ThisWorkbook\x00T\x00h\x00") and wm.endswith(b"\x00\x00")


@pytest.mark.parametrize("data", [
    b"", b"a", b"abcabcabcabcabc", bytes(range(256)) * 40, b"x" * 10000,
    ("Sub A()\n    RunPython \"import pysnop\"\nEnd Sub\n" * 300).encode()])
def test_compression_round_trips_through_oletools(data):
    packed = ovba.compress(data)
    assert packed[0] == 1
    assert bytes(decompress_stream(bytearray(packed))) == data


def test_build_is_deterministic(builder, tmp_path):
    one = builder.build(tmp_path / "a.xlam").read_bytes()
    two = builder.build(tmp_path / "b.xlam").read_bytes()
    assert one == two


# ------------------------------------------------------------------- install / uninstall

def test_install_is_windows_only_here(monkeypatch):
    monkeypatch.setattr(cli_addin.sys, "platform", "linux")
    runner = CliRunner()
    for command in ("install", "uninstall"):
        result = runner.invoke(cli_addin.register(cli), ["addin", command], obj={})
        assert result.exit_code == 2
        assert "for Excel on Windows" in result.output


def test_install_and_uninstall_on_windows(tmp_path, monkeypatch):
    xlstart, conf = tmp_path / "XLSTART", tmp_path / ".pysnop" / "pysnop.conf"
    conf.parent.mkdir()
    conf.write_text('"LOG_FILE","C:\\\\temp\\\\x.log"\n', encoding="utf-8")
    done = cli_addin.install(xlstart=xlstart, config=conf, interpreter="C:\\py\\python.exe",
                             platform="win32")
    assert (xlstart / "pysnop.xlam").exists()
    assert done[0] == f"copied the add-in: {xlstart / 'pysnop.xlam'}"
    assert "INTERPRETER_WIN = C:\\py\\python.exe, UDF_MODULES = pysnop.excel.udf" in done[1]
    assert cli_addin.read_config(conf) == {"LOG_FILE": "C:\\\\temp\\\\x.log",
                                           "INTERPRETER_WIN": "C:\\py\\python.exe",
                                           "UDF_MODULES": "pysnop.excel.udf"}
    again = cli_addin.install(xlstart=xlstart, config=conf, interpreter="C:\\py\\python.exe",
                              platform="win32")
    assert again[0].startswith("replaced the add-in") and again[1].endswith("(unchanged)")
    gone = cli_addin.uninstall(xlstart=xlstart, config=conf, platform="win32")
    assert not (xlstart / "pysnop.xlam").exists()
    assert gone[1] == f"removed INTERPRETER_WIN, UDF_MODULES from {conf} (other keys kept)"
    assert cli_addin.read_config(conf) == {"LOG_FILE": "C:\\\\temp\\\\x.log"}
