"""File formats: each reader turns a file's bytes into blocks (text with its
heading level and page), which `retrieval.ingest` cuts into passages.

What a file really is comes from its first bytes, not its name: a PDF starts
with "%PDF-", a DOCX is a ZIP archive holding word/document.xml. A name that
says one format over bytes of another is refused with what the file is, since
reading it as its name says would only produce a confusing error or garbage.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError

# Suffix -> format; the formats citebot reads.
FORMATS = {
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
}
SUPPORTED = ".pdf, .docx, .html, .htm, .txt and .md"
_NAMES = {"pdf": "a PDF", "docx": "a Word document (DOCX)", "zip": "a ZIP archive", "html": "a web page (HTML)",
          "text": "plain text", "binary": "binary data"}  # fmt: skip
_SUFFIX_FOR = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "text": ".txt"}


@dataclass(frozen=True)
class Block:
    """A paragraph-sized piece of a document as its format delimits it.

    `level` is 1-3 for a heading (1 the highest), 0 for body text, and None
    where the format does not say (plain text, PDF): ingest then guesses from
    the text, as for a .txt file.
    """

    text: str
    level: int | None = 0
    page: int | None = None  # 1-based, PDF only


@dataclass(frozen=True)
class Extracted:
    """What a reader found: the blocks, and what it left out on purpose
    (repeated page headers, navigation...), to be reported, never silent."""

    blocks: tuple[Block, ...]
    skipped: tuple[str, ...] = ()
    pages: int | None = None


class FormatError(InputError):
    """A file of a supported kind that cannot be read (encrypted, damaged...)."""


def format_of(suffix: str) -> str | None:
    return FORMATS.get(suffix.lower())


def sniff(data: bytes) -> str:
    """What the bytes are: pdf, docx, zip, html, text or binary."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        # The first entries of a DOCX are [Content_Types].xml, _rels, word/...
        return "docx" if b"word/" in data[:65536] or b"[Content_Types].xml" in data[:2048] else "zip"
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered:
        return "html"
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def check_kind(source: str, expected: str, data: bytes) -> None:
    """Refuse a file whose bytes are not what its name says, naming what they are."""
    actual = sniff(data)
    if expected == "text":
        # HTML saved as .txt is still text a reader can index; PDF or ZIP is
        # not; binary data gets decode_text's own message.
        if actual in ("text", "html", "binary"):
            return
    elif actual == expected or (expected == "html" and actual == "text"):
        return  # a fragment of HTML without <html> is still HTML
    if actual == "binary":
        what = _NAMES["binary"]
        raise FormatError(f"{source}: the name says {_NAMES[expected]} but the file is {what}; check that it is the right file")
    hint = f"; rename it to end in {_SUFFIX_FOR[actual]}" if actual in _SUFFIX_FOR else ""
    raise FormatError(f"{source}: the name says {_NAMES[expected]} but the file is {_NAMES[actual]}{hint}")


def extract(data: bytes, kind: str, source: str, *, encoding: str = "auto") -> Extracted:
    """Read bytes of a format from FORMATS, after checking they are what the name says."""
    check_kind(source, kind, data)
    if kind == "pdf":
        from .pdf import read_pdf

        return read_pdf(data, source)
    if kind == "docx":
        from .docx import read_docx

        return read_docx(data, source)
    if kind == "html":
        from .html import read_html

        return read_html(data, source, encoding)
    from .text import read_text

    return read_text(data, source, encoding)
