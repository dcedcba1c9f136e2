"""PDF with a text layer, read with pypdf (BSD; PyMuPDF reads PDFs well too
but is AGPL, which would bind citebot's own licence).

pypdf's layout mode gives each page's lines top to bottom, in reading order,
with blank lines where the page leaves a gap, which is how paragraphs are
told apart. Lines that recur at the top or bottom of most pages (running
headers and footers, counted with their digits masked so "Page 3" matches
"Page 4") and bare page numbers are left out and reported.
"""

from __future__ import annotations

import io
import logging
import re

from . import Block, Extracted, FormatError

# Lines at each end of a page where headers, footers and page numbers sit.
_EDGE_LINES = 3
# Running headers and footers are short; a longer line is body text, even
# when similar lines open every page.
_RUNNING_MAX_CHARS = 80
_PAGE_NUMBER = re.compile(r"^(?:(?:page|p\.)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?$|^第\s*\d{1,4}\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?$", re.I)  # fmt: skip
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def read_pdf(data: bytes, source: str) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if b"%%EOF" not in data[-2048:]:
        raise FormatError(f"{source}: the PDF is truncated or damaged (it has no end marker); get a complete copy")
    # pypdf logs every repaired defect; the reader's verdict is what matters here.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise FileNotDecryptedError("password")
        pages = [_page_lines(page) for page in reader.pages]
    except (FileNotDecryptedError, DependencyError):
        raise FormatError(
            f"{source}: the PDF is encrypted with a password; save an unprotected copy "
            f"(e.g. `qpdf --decrypt`) and index that"
        ) from None
    except Exception as err:  # a damaged file can make any part of the parser fail
        raise FormatError(f"{source}: the PDF is damaged and cannot be read ({err.__class__.__name__}); get a complete copy") from None
    if not any(line for lines in pages for line in lines):
        raise FormatError(
            f"{source}: the PDF has no text layer (it looks scanned); citebot does not do OCR, "
            f"so run it through an OCR tool such as ocrmypdf first"
        )
    return _blocks(pages)


def _opens_without_password(reader) -> bool:
    # A PDF with only an owner password (no copying, no printing) opens with
    # an empty user password, as every viewer does.
    try:
        return bool(reader.decrypt(""))
    except Exception:  # pypdf raises several kinds for unsupported encryption
        return False


def _page_lines(page) -> list[str]:
    try:
        text = page.extract_text(extraction_mode="layout")
    except Exception:  # layout mode fails on some fonts; plain mode still reads the text
        text = page.extract_text()
    return [" ".join(line.split()) for line in (text or "").splitlines()]


def _blocks(pages: list[list[str]]) -> Extracted:
    running = _running_lines(pages)
    blocks: list[Block] = []
    dropped_running = dropped_numbers = 0
    for number, lines in enumerate(pages, start=1):
        content = [i for i, line in enumerate(lines) if line]
        edges = set(content[:_EDGE_LINES] + content[-_EDGE_LINES:])
        paragraph: list[str] = []
        for i, line in enumerate(lines + [""]):
            if i in edges and _mask(line) in running:
                dropped_running += 1
                continue
            if i in edges and _PAGE_NUMBER.match(line):
                dropped_numbers += 1
                continue
            if line:
                paragraph.append(line)
            elif paragraph:
                blocks.append(Block(join_lines(paragraph), level=None, page=number))
                paragraph = []
    skipped = []
    if dropped_running:
        skipped.append(f"{dropped_running} running header/footer line{'s' * (dropped_running != 1)}")
    if dropped_numbers:
        skipped.append(f"{dropped_numbers} page number{'s' * (dropped_numbers != 1)}")
    return Extracted(tuple(blocks), tuple(skipped), pages=len(pages))


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Masked lines found near the edge of at least half the pages (and two)
    whose numbers are the same on every page or count the pages ("Page 7",
    "7 | Manual"): a numbered heading at the top of each page is not a header."""
    if len(pages) < 2:
        return set()
    seen: dict[str, list[tuple[int, tuple[int, ...]]]] = {}
    for number, lines in enumerate(pages):
        content = [line for line in lines if line]
        for line in dict.fromkeys(content[:_EDGE_LINES] + content[-_EDGE_LINES:]):
            if len(line) > _RUNNING_MAX_CHARS:
                continue
            numbers = tuple(int(n) for n in re.findall(r"\d+", line))
            seen.setdefault(_mask(line), []).append((number, numbers))
    return {
        key
        for key, found in seen.items()
        if len({page for page, _ in found}) >= max(2, (len(pages) + 1) // 2) and _fixed_or_counting(found)
    }


def _fixed_or_counting(found: list[tuple[int, tuple[int, ...]]]) -> bool:
    if len({numbers for _, numbers in found}) == 1:
        return True
    width = len(found[0][1])
    return any(len({numbers[i] - page for page, numbers in found}) == 1 for i in range(width))


def _mask(line: str) -> str:
    return re.sub(r"\d+", "#", line)


def join_lines(lines: list[str]) -> str:
    """One paragraph from its printed lines: a word hyphenated at a line end
    is rejoined, Latin lines are joined with a space, CJK ones with none."""
    joined = lines[0]
    for line in lines[1:]:
        if re.search(r"[^\W\d_]-$", joined) and line[:1].islower():
            joined = joined[:-1] + line
        elif _CJK.match(joined[-1]) or _CJK.match(line[0]):
            joined += line
        else:
            joined += " " + line
    return joined
