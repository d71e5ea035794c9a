"""Render pysnop's sheets to PNG through LibreOffice, to look at them (not a test).

    .venv/bin/python tests/ooxml/look_pages.py OUT_DIR [BOOK.xlsx]

Without a book, the red-team plan with a long real-world SKU code and two weeks of Actuals
is built and recalculated. A copy of the book with every sheet set to print on one
landscape page goes through ``soffice --headless --convert-to pdf``, then ``pdftoppm``; each
page is cropped to its content and saved as ``OUT_DIR/<n>-<first words>.png``. What to look
for: chart date labels below the plot, Bridge Chart and Scorecard headers whole, "no
promoted weeks yet" on an empty promo chart, wrapped reasons in tall enough rows.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from ooxml_corpus import MAIN_NS, parts_of, sheet_parts

_ORDER = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData",
          "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter",
          "sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr",
          "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
          "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
          "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing")


def one_page_each(data: bytes) -> bytes:
    """The package with every sheet printing on one landscape page."""
    parts = parts_of(data)
    for part in sheet_parts(data).values():
        root = etree.fromstring(parts[part])
        pr = root.find(f"{{{MAIN_NS}}}sheetPr")
        if pr is None:
            pr = etree.Element(f"{{{MAIN_NS}}}sheetPr")
            root.insert(0, pr)
        fit = pr.find(f"{{{MAIN_NS}}}pageSetUpPr")
        if fit is None:
            fit = etree.SubElement(pr, f"{{{MAIN_NS}}}pageSetUpPr")
        fit.set("fitToPage", "1")
        old = root.find(f"{{{MAIN_NS}}}pageSetup")
        if old is not None:
            root.remove(old)
        setup = etree.Element(f"{{{MAIN_NS}}}pageSetup", orientation="landscape",
                              fitToWidth="1", fitToHeight="1")
        later = _ORDER[_ORDER.index("pageSetup") + 1:]
        nxt = next((x for x in root if etree.QName(x).localname in later), None)
        (nxt.addprevious(setup) if nxt is not None else root.append(setup))
        parts[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                     standalone=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in parts.items():
            zf.writestr(name, payload)
    return buffer.getvalue()


def sample_book(folder: Path) -> Path:
    from conftest import build_book
    from red_team_books import D, plan_sheets

    import pysnop

    code = "SKU-000184-BLUE-XL"
    sheets = plan_sheets()
    sheets["Inventory"][1][0] = code
    for row in sheets["Forecast"][1:5]:
        row[0] = code
    sheets["Campaigns"][1][1] = code
    past = [D(2026, 11, 2), D(2026, 11, 9)]
    sheets["Forecast"] += [[s, "S1", w, u] for s, u in ((code, 10), ("B2", 5)) for w in past]
    sheets["Actuals"] = [["sku", "location", "week", "units"]] + [
        [s, "S1", w, u] for s, units in ((code, (9, 11)), ("B2", (5, 4)))
        for w, u in zip(past, units)]
    book = build_book(folder / "look.xlsx", sheets)
    pysnop.recalc(book)
    return book


def render(book: Path, out: Path) -> list[Path]:
    from PIL import Image, ImageChops

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "pages.xlsx"
        copy.write_bytes(one_page_each(book.read_bytes()))
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp,
                        str(copy)], check=True, capture_output=True, timeout=600)
        pdf = Path(tmp) / "pages.pdf"
        subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(Path(tmp) / "p")],
                       check=True, timeout=600)
        saved = []
        for n, png in enumerate(sorted(Path(tmp).glob("p-*.png")), 1):
            text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                                  capture_output=True, text=True).stdout.split()
            label = "-".join(text[:3]).replace("/", "_")[:40] or "blank"
            image = Image.open(png).convert("RGB")
            box = ImageChops.invert(image).getbbox()
            target = out / f"{n:02d}-{label}.png"
            (image.crop(box) if box else image).save(target)
            saved.append(target)
        return saved


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(sys.argv[2]) if len(sys.argv) > 2 else sample_book(folder)
    for path in render(source, folder):
        print(path)
