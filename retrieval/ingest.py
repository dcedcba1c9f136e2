"""Reading documents and cutting them into passages.

Every format is read into blocks by `retrieval.formats`; this module is the
one place that cuts blocks into passages. A passage is a paragraph as a
reader sees it. Chinese text often separates paragraphs only by full-width
indentation (U+3000 U+3000) inside one line, so that counts as a paragraph
break just like a blank line does. A heading (a Markdown, Word or HTML one,
or a short line without end punctuation) is the section of what follows; one
that labels no paragraph is a passage itself, so no line is left unsearchable
(the indexer puts a heading's words with the first passage under it).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import InputError
from .formats import SUPPORTED, Block, extract, format_of
from .formats.text import decode_text
from .sentences import split_sentences
from .types import Passage

__all__ = ["Document", "Found", "decode_text", "document_from_bytes", "find_documents", "read_document", "split_passages"]

# Indentation that starts a paragraph: two or more ideographic spaces, or the
# same in ASCII spaces/tabs at the start of a line.
_INDENT_BREAK = re.compile(r"\u3000{2,}")
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ENDS_LIKE_SENTENCE = re.compile(r"[。！？!?.；;：:，,、”\"’)）]$")
# "Port: 8080", "默认密码：admin": a name and its value is a fact, not a heading.
_NAME_AND_VALUE = re.compile(r"^[^:：]{1,40}[:：]\s*\S")
_HAS_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    # From a format reader (PDF, DOCX, HTML); None: `text` is split as plain text.
    blocks: tuple[Block, ...] | None = None
    skipped: tuple[str, ...] = ()  # what the reader left out on purpose, for the report
    pages: int | None = None

    @property
    def sha256(self) -> str:
        content = self.text
        if self.blocks is not None:
            # Pages and headings count: a changed page break changes citations.
            content = json.dumps([(b.text, b.level, b.page) for b in self.blocks], ensure_ascii=False)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------- reading


@dataclass
class Found:
    """The files to read, and the ones passed over with the reason why."""

    files: list[tuple[str, Path]]  # (document name, file)
    skipped: list[tuple[str, str]]  # (file, reason)


def find_documents(paths: Iterable[Path]) -> Found:
    """Every supported file named or found under a folder. Files of other
    kinds are passed over and reported; hidden files and folders (.git) are
    passed over silently."""
    found: dict[str, Path] = {}
    skipped: list[tuple[str, str]] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"no such file or folder: {path}")
        candidates = (
            [(f.relative_to(path).as_posix(), f) for f in sorted(path.rglob("*")) if f.is_file() and not _hidden(f.relative_to(path))]
            if path.is_dir()
            else [(path.name, path)]
        )
        for name, file in candidates:
            if format_of(file.suffix) is None:
                skipped.append((str(file), f"unsupported file type (citebot reads {SUPPORTED} files)"))
            else:
                found[name] = file
    return Found(sorted(found.items()), skipped)


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def read_document(name: str, path: Path, *, encoding: str = "auto", max_bytes: int) -> Document:
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"{path}: file is too large ({size:,} bytes; the limit is {max_bytes:,})")
    return document_from_bytes(name, path.read_bytes(), encoding=encoding, source=str(path))


def document_from_bytes(name: str, data: bytes, *, encoding: str = "auto", source: str | None = None) -> Document:
    """A document from a file's bytes, its format told by the name's suffix
    (and checked against the bytes)."""
    source = source or name
    kind = format_of(Path(name).suffix)
    if kind is None:
        raise InputError(f"{source}: unsupported file type (citebot reads {SUPPORTED} files)")
    extracted = extract(data, kind, source, encoding=encoding)
    if kind == "text":
        return Document(name, extracted.blocks[0].text)
    if not extracted.blocks:
        raise InputError(f"{source}: the document has no text")
    return Document(name, "\n\n".join(b.text for b in extracted.blocks), extracted.blocks, extracted.skipped, extracted.pages)


# ------------------------------------------------------------------- splitting


@dataclass(frozen=True)
class _Block:
    """A run of text between paragraph breaks, with its offsets."""

    text: str
    start: int
    end: int
    level: int | None = None  # as in formats.Block: None means guess from the text
    page: int | None = None


def split_passages(
    document: Document,
    *,
    heading_max_chars: int = 30,
    max_tokens: int = 512,
    count_tokens: Callable[[str], int] = len,
    overlap_sentences: int = 1,
) -> list[Passage]:
    """Cut a document into passages: paragraphs, with headings as sections."""
    passages: list[Passage] = []
    sections: list[str] = []
    after_heading = False
    paragraph = 0
    # Headings not yet followed by a paragraph. A heading that labels none
    # (the last line, or one followed by a heading of its level) would be
    # found by no question, so it becomes a passage of its own.
    pending: list[tuple[_Block, str | None]] = []

    def add(block: _Block, number: int, section: str | None) -> None:
        pieces = _fit_to_window(block, max_tokens, count_tokens, overlap_sentences)
        for piece_no, piece in enumerate(pieces):
            passages.append(
                Passage(
                    id=_passage_id(document.name, number, piece_no, piece.text),
                    document=document.name,
                    paragraph=number,
                    section=section,
                    text=piece.text,
                    start=piece.start,
                    end=piece.end,
                    page=block.page,
                )
            )

    def unlabelled(level: int | None) -> None:
        # A heading of this level or higher ends the pending ones of its level or lower.
        nonlocal paragraph
        for heading, section in pending:
            if level is None or not heading.level or heading.level >= level:
                paragraph += 1
                add(heading, paragraph, section)
        pending[:] = [h for h in pending if not (level is None or not h[0].level or h[0].level >= level)]

    for block in _document_blocks(document):
        heading = _heading(block, heading_max_chars)
        if heading is not None:
            if block.level:
                unlabelled(block.level)
                sections = sections[: block.level - 1] + [heading]
            else:
                # Guessed heading lines in a row are a title and its subtitle.
                sections = (sections if after_heading else []) + [heading]
            after_heading = True
            at = block.text.find(heading)  # "# Guide" is indexed as "Guide"
            if at >= 0:
                block = _Block(heading, block.start + at, block.start + at + len(heading), block.level, block.page)
            pending.append((block, " — ".join(sections)))
            continue
        after_heading = False
        if not _HAS_WORD.search(block.text):
            continue  # separators such as "…………" or "* * *"
        pending.clear()
        paragraph += 1
        add(block, paragraph, " — ".join(sections) or None)
    unlabelled(None)
    return passages


def _document_blocks(document: Document) -> Iterator[_Block]:
    if document.blocks is None:
        yield from _blocks(document.text)
        return
    offset = 0  # the blocks are joined by blank lines in `document.text`
    for block in document.blocks:
        yield _Block(block.text, offset, offset + len(block.text), block.level, block.page)
        offset += len(block.text) + 2


def _blocks(text: str) -> Iterator[_Block]:
    """Paragraph-sized blocks: split on blank lines and indentation.

    Lines inside a blank-line-separated block are joined (hard-wrapped prose),
    unless the document has no blank lines at all, in which case every line is
    its own paragraph, as in most Chinese plain-text files.
    """
    one_per_line = "\n\n" not in text.strip()
    current: list[tuple[str, int, int]] = []

    def flush() -> Iterator[_Block]:
        if current:
            joined = _join_lines([t for t, _, _ in current])
            yield _Block(joined, current[0][1], current[-1][2])
            current.clear()

    offset = 0
    for line in text.split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        if not line.strip():
            yield from flush()
            continue
        starts_indented = line[:1] in (" ", "\t", "\u3000") and line.strip()
        if one_per_line or starts_indented or _MARKDOWN_HEADING.match(line):
            yield from flush()
        for piece_start, piece in _split_indentation(line):
            if piece_start > 0:
                yield from flush()
            begin = line_start + piece_start + (len(piece) - len(piece.lstrip()))
            current.append((piece.strip(), begin, begin + len(piece.strip())))
        if _MARKDOWN_HEADING.match(line):
            yield from flush()
    yield from flush()


def _split_indentation(line: str) -> list[tuple[int, str]]:
    """Pieces of a line separated by full-width indentation, with their offsets."""
    pieces, start = [], 0
    for match in _INDENT_BREAK.finditer(line):
        if line[start : match.start()].strip():
            pieces.append((start, line[start : match.start()]))
        start = match.end()
    if line[start:].strip():
        pieces.append((start, line[start:]))
    return pieces


def _join_lines(lines: list[str]) -> str:
    """Join hard-wrapped lines: with a space between Latin words, none in CJK."""
    joined = lines[0]
    for line in lines[1:]:
        if joined and ord(joined[-1]) < 0x2E80 and ord(line[0]) < 0x2E80:
            joined += " "
        joined += line
    return joined


def _heading(block: _Block, max_chars: int) -> str | None:
    """The heading text if this block is a heading, else None."""
    text = block.text
    if block.level is not None:
        return " ".join(text.split()) if block.level > 0 else None
    markdown = _MARKDOWN_HEADING.match(text)
    if markdown:
        return markdown.group(2).strip() or None
    if len(text) > max_chars or "\n" in text or not _HAS_WORD.search(text):
        return None
    if _ENDS_LIKE_SENTENCE.search(text) or _NAME_AND_VALUE.match(text):
        return None
    if not re.search(r"[^\W\d_]", text):
        return None  # a bare number or date is not a heading
    return text


def _fit_to_window(
    block: _Block, max_tokens: int, count_tokens: Callable[[str], int], overlap: int
) -> list[_Block]:
    """Split a paragraph too long for the model at sentence ends, with overlap."""
    if count_tokens(block.text) <= max_tokens:
        return [block]
    sentences = _sentence_spans(block)
    pieces: list[_Block] = []
    first = 0
    while first < len(sentences):
        last = first
        while last + 1 < len(sentences) and count_tokens(
            block.text[sentences[first][0] : sentences[last + 1][1]]
        ) <= max_tokens:
            last += 1
        start, end = sentences[first][0], sentences[last][1]
        pieces.append(_Block(block.text[start:end], block.start + start, block.start + end, block.level, block.page))
        if last + 1 >= len(sentences):
            break
        first = max(first + 1, last + 1 - overlap)
    return pieces


def _sentence_spans(block: _Block) -> list[tuple[int, int]]:
    """Offsets of the sentences of a block; a sentence longer than any window
    is cut into fixed-size slices so that nothing is ever silently dropped.
    A line ends a sentence too: table rows have no end punctuation."""
    spans, cursor = [], 0
    for sentence in (s for line in block.text.split("\n") for s in split_sentences(line)):
        start = block.text.index(sentence, cursor)
        cursor = start + len(sentence)
        for slice_start in range(start, cursor, 400):
            spans.append((slice_start, min(cursor, slice_start + 400)))
    return spans


def _passage_id(document: str, paragraph: int, piece: int, text: str) -> str:
    digest = hashlib.sha1(f"{document}\0{paragraph}\0{piece}\0{text}".encode("utf-8"))
    return digest.hexdigest()[:16]
