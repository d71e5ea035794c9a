"""One definition of the worksheet functions and the ribbon buttons (pysnop/catalog.py): the
UDF module, the implementations, the operations and the docs agree with it."""

from __future__ import annotations

import inspect
from pathlib import Path

from pysnop import catalog
from pysnop.excel import udf
from pysnop.operations.book_ops import OPERATIONS
from pysnop.workbook.formulas.functions import IMPLEMENTATIONS

ROOT = Path(__file__).resolve().parents[1]


def test_every_function_is_implemented_and_nothing_else():
    assert list(IMPLEMENTATIONS) == [f.name for f in catalog.FUNCTIONS]


def test_the_udf_module_has_each_function_with_the_catalogs_signature():
    assert udf.__all__ == [f.name for f in catalog.FUNCTIONS]
    for spec in catalog.FUNCTIONS:
        fn = getattr(udf, spec.name)
        params = inspect.signature(fn).parameters
        assert list(params) == [a.name for a in spec.args], spec.name
        optional = [p.name for p in params.values() if p.default is None]
        assert optional == [a.name for a in spec.args if a.optional], spec.name
        assert fn.__doc__ == spec.description


def test_every_button_runs_an_operation_and_every_operation_has_a_button():
    assert [b.tag for b in catalog.BUTTONS] == list(OPERATIONS)
    assert {b.group for b in catalog.BUTTONS} == set(catalog.GROUPS)
    assert len({b.control_id for b in catalog.BUTTONS}) == len(catalog.BUTTONS)


def test_the_docs_show_the_catalogs_function_table():
    table = catalog.functions_markdown()
    for doc in ("README.md", "docs/excel.md"):
        assert table in (ROOT / doc).read_text(encoding="utf-8"), \
            f"{doc}: paste pysnop.catalog.functions_markdown() over the function table"
