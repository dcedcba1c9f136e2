"""Word documents (.docx), read with python-docx (MIT).

A DOCX is a ZIP archive, so its declared sizes are checked before anything is
unpacked: a few kilobytes can claim gigabytes of XML (a zip bomb). Body order
is kept: headings become sections, list items and paragraphs are passages,
and a table is one passage with a line per row, cells separated by " | ".
"""

from __future__ import annotations

import io
import re
import zipfile

from . import Block, Extracted, FormatError

# A real document's XML rarely packs tighter than 20:1; bombs reach 1000:1.
MAX_RATIO = 100
MAX_UNPACKED_BYTES = 100_000_000
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)


def read_docx(data: bytes, source: str) -> Extracted:
    import docx
    from docx.table import Table

    _check_archive(data, source)
    try:
        return Extracted(tuple(_blocks(docx.Document(io.BytesIO(data)), Table)))
    except Exception as err:  # lxml's, zipfile's and python-docx's errors, for a damaged part
        raise FormatError(
            f"{source}: the Word document is damaged and cannot be read ({err.__class__.__name__}); get a complete copy"
        ) from None


def _blocks(document, table_type: type) -> list[Block]:
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, table_type):
            rows = _table_rows(item)
            if rows:
                blocks.append(Block("\n".join(rows)))
            continue
        text = item.text.strip()
        if text:
            blocks.append(Block(text, level=_heading_level(item.style.name if item.style else "")))
    return blocks


def _check_archive(data: bytes, source: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
    except zipfile.BadZipFile:
        raise FormatError(f"{source}: the Word document is damaged or truncated (not a complete ZIP archive); get a complete copy") from None
    if "word/document.xml" not in names:
        raise FormatError(f"{source}: not a Word document (a ZIP archive without word/document.xml)")
    unpacked = sum(m.file_size for m in members)
    dense = [m for m in members if m.file_size > 1_000_000 and m.file_size > MAX_RATIO * max(m.compress_size, 1)]
    if unpacked > MAX_UNPACKED_BYTES or dense:
        raise FormatError(
            f"{source}: refused: the Word document would unpack to {unpacked:,} bytes "
            f"from {len(data):,} (a zip bomb?); the limit is {MAX_UNPACKED_BYTES:,} bytes at most {MAX_RATIO}:1"
        )


def _heading_level(style: str) -> int:
    if style.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style.strip())
    return min(int(match.group(1)), 3) if match else 0


def _table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            # A merged cell is returned once for every grid column it spans.
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows
