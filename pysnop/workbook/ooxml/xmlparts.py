"""The package's XML parts, read and written with lxml: namespace-aware, any attribute order.

Every XML part pysnop edits in the user's package (content types, relationships, the
workbook, styles, the Campaigns sheet, tables, cell metadata) goes through :func:`parse` and
:func:`serialise`: prefixes, attribute order, extensions and namespace declarations the
producer wrote (Excel's ``mc:Ignorable`` prefixes among them) stay as they were, and a part
that is not what pysnop expects raises :class:`PackageError` before anything is written.
DTDs and entities never reach this parser (``pysnop.workbook.ooxml.safety`` refuses them
first), and it would not resolve them anyway.
"""

from __future__ import annotations

from lxml import etree

from pysnop.errors import FileAccessError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_NS = "http://www.w3.org/XML/1998/namespace"


class PackageError(FileAccessError):
    """A part pysnop must edit is not what Office Open XML says it is: nothing is written."""


def parse(data: bytes, part: str) -> etree._Element:
    """The root element of ``part``; PackageError when it is not well-formed XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                             load_dtd=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise PackageError(f"the part {part} is not well-formed XML ({exc}); "
                           "nothing was written") from None


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def q(namespace: str, local: str) -> str:
    """Clark notation: ``{namespace}local``."""
    return f"{{{namespace}}}{local}"


def local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def namespace(el: etree._Element) -> str:
    return etree.QName(el).namespace or ""


def children(el: etree._Element | None, name: str) -> list[etree._Element]:
    """Child elements of ``el`` with local name ``name`` in ``el``'s own namespace."""
    if el is None:
        return []
    return el.findall(q(namespace(el), name))


def child(el: etree._Element | None, name: str) -> etree._Element | None:
    if el is None:
        return None
    return el.find(q(namespace(el), name))


def expect_root(root: etree._Element, name: str, part: str,
                namespaces: tuple[str, ...] = (MAIN,)) -> str:
    """The root's namespace when it is ``name`` in one of ``namespaces``; else PackageError.

    A Strict Open XML part (purl.oclc.org namespaces) is refused with a message saying how
    to proceed: pysnop would otherwise mix strict and transitional parts in one file.
    """
    ns = namespace(root)
    if ns.startswith("http://purl.oclc.org/ooxml/"):
        raise StrictWorkbookError(
            "the workbook is saved as Strict Open XML, which pysnop does not write; save it "
            "in Excel as \"Excel Workbook (*.xlsx)\" and run again (nothing was written)")
    if local(root) != name or ns not in namespaces:
        raise PackageError(f"the part {part} is not a {name} part (its root is "
                           f"{root.tag}); nothing was written")
    return ns


class StrictWorkbookError(PackageError):
    """Strict Open XML input: refused, never mixed with transitional parts."""


def attr(el: etree._Element, name: str) -> str | None:
    """An unqualified attribute's value (``r``, ``s``, ``name`` ...)."""
    return el.get(name)


def rel_id(el: etree._Element) -> str | None:
    """The ``r:id`` of an element, whatever prefix the producer bound the namespace to."""
    return el.get(q(REL, "id"))
