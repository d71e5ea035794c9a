"""Are two versions of pysnop writing the same workbooks? Part by part.

    python benchmarks/compare_outputs.py make DIR [--sizes 800,4000,10000] [--books net-4000]
    python benchmarks/compare_outputs.py compare BEFORE_DIR AFTER_DIR

``make`` runs ``pysnop recalc`` on the bench books (``/tmp/pysnop-bench/bench-Nx8.xlsx``,
from generate.py, and by default the network book ``bench-net-4000x8.xlsx``, whose
Campaigns sheet gets pysnop's "Supply: ..." columns) twice each, as a planner's week does:
a first run with a fresh decision log (``first-N.xlsx``) and a re-run against the log that
run left (``rerun-N.xlsx``), with ``--as-of`` fixed to the book's Settings as_of, so two
versions of pysnop get the same inputs. ``compare`` unzips two such folders and compares
every part: XML parts after parsing (canonical XML, C14N 2.0: attribute order, namespace
prefixes and insignificant formatting aside), any other part byte for byte. A cell's style
is compared as what it is, not by its index: each ``s=`` is replaced by the cell format it
names, its font, fill, border and number format written out (the order in which the styles
of one run are registered follows memory addresses, so two runs of the same pysnop can
number them differently), and styles.xml's tables are compared as sets. What a run stamps
with the clock is the only thing set aside, and each is listed: the package's modified time
(docProps/core.xml ``dcterms:modified``), the decision-log stamp pysnop stores as a custom
document property (it names the run, which the log numbers by time), and the time of the
previous run the Review sheet's title names. Exit status 1 when anything else differs.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from lxml import etree

BENCH = Path("/tmp/pysnop-bench")
AS_OF = "2026-11-18"  # the Settings as_of generate.py writes
PYSNOP = Path(sys.executable).parent / "pysnop"
VOLATILE_PARTS = {"docProps/core.xml", "docProps/custom.xml"}


def make(out: Path, books: list[str]) -> None:
    """``books``: the part of each bench book's name between ``bench-`` and ``x8.xlsx``
    (``800``, ``net-4000``)."""
    out.mkdir(parents=True, exist_ok=True)
    for n in books:
        book = BENCH / f"bench-{n}x8.xlsx"
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "log.sqlite"
            for name in (f"first-{n}.xlsx", f"rerun-{n}.xlsx"):
                subprocess.run([str(PYSNOP), "recalc", str(book), "-o", str(out / name),
                                "--log", str(log), "--as-of", AS_OF], check=True,
                               stdout=subprocess.DEVNULL)
        print(f"{n}: {out}/first-{n}.xlsx, rerun-{n}.xlsx")


def canonical(data: bytes) -> bytes:
    parser = etree.XMLParser(remove_blank_text=False, resolve_entities=False)
    return etree.tostring(etree.fromstring(data, parser), method="c14n2")


def volatile_free(name: str, data: bytes) -> bytes:
    """A clock-stamped part without its stamps (see the module doc)."""
    root = etree.fromstring(data)
    if name == "docProps/core.xml":
        for el in list(root):
            if etree.QName(el).localname == "modified":
                root.remove(el)
    else:
        for prop in list(root):
            if (prop.get("name") or "").startswith("pysnop"):
                root.remove(prop)
    return etree.tostring(root, method="c14n2")


SINCE = re.compile(r"since the run of \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
STYLED = {"c": "s", "row": "s", "col": "style"}


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def resolved_xfs(styles: bytes) -> list[str]:
    """Each cell format of a styles part, its font, fill, border and number format
    written out in place of their indexes."""
    root = etree.fromstring(styles)
    tables = {local(t): [etree.tostring(el, method="c14n").decode() for el in t]
              for t in root if local(t) in ("fonts", "fills", "borders")}
    formats = {el.get("numFmtId"): el.get("formatCode")
               for t in root if local(t) == "numFmts" for el in t}
    out = []
    for t in root:
        if local(t) != "cellXfs":
            continue
        for xf in t:
            xf = copy.deepcopy(xf)
            for attr, table in (("fontId", "fonts"), ("fillId", "fills"),
                                ("borderId", "borders")):
                if xf.get(attr) is not None:
                    xf.set(attr, tables[table][int(xf.get(attr))])
            fmt = xf.get("numFmtId")
            if fmt is not None:
                xf.set("numFmtId", formats.get(fmt, "builtin " + fmt))
            out.append(etree.tostring(xf, method="c14n").decode())
    return out


def styles_as_sets(styles: bytes) -> list[object]:
    """styles.xml with its fonts, fills, borders, number formats and cell formats as
    sets (see the module doc); the rest in order."""
    root = etree.fromstring(styles)
    out: list[object] = [sorted(resolved_xfs(styles))]
    for t in root:
        items = [etree.tostring(el, method="c14n") for el in t]
        if local(t) in ("fonts", "fills", "borders", "numFmts"):
            out.append((local(t), sorted(items)))
        elif local(t) != "cellXfs":
            out.append((local(t), items))
    return out


def sheet_resolved(data: bytes, xfs: list[str]) -> bytes:
    """A worksheet with each style index replaced by the format it names, and the
    previous run's time in the Review title set aside."""
    root = etree.fromstring(data)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        attr = STYLED.get(local(el))
        if attr and el.get(attr) is not None:
            el.set(attr, xfs[int(el.get(attr))])
        if local(el) == "t" and el.text and SINCE.search(el.text):
            el.text = SINCE.sub("since the run of <time>", el.text)
    return etree.tostring(root, method="c14n2")


def compare_books(a: Path, b: Path) -> list[str]:
    problems: list[str] = []
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        xfs_a, xfs_b = (resolved_xfs(z.read("xl/styles.xml")) for z in (za, zb))
        names_a, names_b = set(za.namelist()), set(zb.namelist())
        for name in sorted(names_a ^ names_b):
            problems.append(f"{name}: only in {'before' if name in names_a else 'after'}")
        for name in sorted(names_a & names_b):
            da, db = za.read(name), zb.read(name)
            if da == db:
                continue
            if name in VOLATILE_PARTS:
                if volatile_free(name, da) != volatile_free(name, db):
                    problems.append(f"{name}: differs beyond its clock stamps")
                continue
            if name == "xl/styles.xml":
                if styles_as_sets(da) != styles_as_sets(db):
                    problems.append(f"{name}: styles differ")
            elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                if sheet_resolved(da, xfs_a) != sheet_resolved(db, xfs_b):
                    problems.append(f"{name}: cells differ")
            elif name.endswith((".xml", ".rels", ".vml")):
                if canonical(da) != canonical(db):
                    problems.append(f"{name}: XML differs")
            else:
                problems.append(f"{name}: bytes differ")
    return problems


def compare(before: Path, after: Path) -> int:
    failed = 0
    for a in sorted(before.glob("*.xlsx")):
        b = after / a.name
        if not b.exists():
            print(f"{a.name}: missing after")
            failed += 1
            continue
        problems = compare_books(a, b)
        with zipfile.ZipFile(a) as z:
            parts = len(z.namelist())
        print(f"{a.name}: {parts} parts, " + ("all equal" if not problems
                                             else f"{len(problems)} differ"))
        for p in problems:
            print("   ", p)
        failed += bool(problems)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("out", type=Path)
    m.add_argument("--sizes", default="800,4000,10000")
    m.add_argument("--books", default="net-4000",
                   help="other bench books by name (bench-NAMEx8.xlsx), comma-separated; "
                        "'' for none")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "make":
        if args.out.exists():
            shutil.rmtree(args.out)
        books = [s for s in args.sizes.split(",") + args.books.split(",") if s]
        make(args.out, books)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
