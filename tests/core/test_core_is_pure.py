"""pysnop.core must stay a pure domain layer: no workbook or Excel library inside."""

import ast
import pathlib
import subprocess
import sys

import pysnop.core

FORBIDDEN = {"openpyxl", "xlwings", "python_calamine", "formulas", "win32com"}
CORE = pathlib.Path(pysnop.core.__file__).parent


def test_no_core_module_imports_a_workbook_library():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_the_core_loads_no_workbook_library():
    modules = [f"pysnop.core.{p.stem}" for p in CORE.glob("*.py") if p.stem != "__init__"]
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
