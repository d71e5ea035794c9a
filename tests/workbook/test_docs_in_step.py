from pathlib import Path

from pysnop.workbook.read.schema import contract_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "workbook-contract.md"


def test_workbook_contract_page_matches_the_reader():
    assert DOCS.read_text() == contract_markdown(), \
        "regenerate: python -m pysnop.workbook.read.schema > docs/workbook-contract.md"
