"""Reading documents and cutting them into passages.

A passage is a paragraph as a reader sees it. Chinese text often separates
paragraphs only by full-width indentation (U+3000 U+3000) inside one line, so
that counts as a paragraph break just like a blank line does. Short lines
without end punctuation are section headings, not passages.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import InputError
from .sentences import split_sentences
from .types import Passage

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}

# Indentation that starts a paragraph: two or more ideographic spaces, or the
# same in ASCII spaces/tabs at the start of a line.
_INDENT_BREAK = re.compile(r"\u3000{2,}")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_ENDS_LIKE_SENTENCE = re.compile(r"[。！？!?.；;：:，,、”\"’)）]$")
_HAS_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Document:
    name: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------- reading


def find_documents(paths: Iterable[Path]) -> list[tuple[str, Path]]:
    """(document name, file) for every text file named or found under a folder.

    A file named directly must be a supported text file; files of other kinds
    inside folders are skipped, as are hidden files and folders.
    """
    found: dict[str, Path] = {}
    for path in paths:
        if not path.exists():
            raise InputError(f"no such file or folder: {path}")
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                relative = file.relative_to(path)
                if file.is_file() and file.suffix.lower() in TEXT_SUFFIXES and not _hidden(relative):
                    found[relative.as_posix()] = file
        elif path.suffix.lower() in TEXT_SUFFIXES:
            found[path.name] = path
        else:
            raise InputError(f"{path}: unsupported file type (citebot reads .txt and .md files)")
    return sorted(found.items())


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def read_document(name: str, path: Path, *, encoding: str = "auto", max_bytes: int) -> Document:
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"{path}: file is too large ({size:,} bytes; the limit is {max_bytes:,})")
    return Document(name, decode_text(path.read_bytes(), encoding=encoding, source=str(path)))


def decode_text(data: bytes, *, encoding: str = "auto", source: str = "input") -> str:
    """Decode bytes as text, refusing binary data with a clear message.

    "auto" tries UTF-8 first (it rarely decodes anything else by accident),
    then GB18030, which covers GBK and GB2312 files common for Chinese text.
    """
    if b"\x00" in data[:8192]:
        raise InputError(f"{source}: not a text file (it contains binary data)")
    candidates = ["utf-8-sig", "gb18030"] if encoding == "auto" else [encoding]
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except LookupError:
            raise InputError(f"{source}: unknown encoding {candidate!r}") from None
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            break
        text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
        if not text.strip():
            raise InputError(f"{source}: the document is empty")
        return text
    hint = "" if encoding != "auto" else " (or name its encoding with --encoding)"
    raise InputError(f"{source}: not a text file, or not in a supported encoding{hint}")


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    return controls > max(2, len(sample) // 100)


# ------------------------------------------------------------------- splitting


@dataclass(frozen=True)
class _Block:
    """A run of text between paragraph breaks, with its offsets."""

    text: str
    start: int
    end: int


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
    section: str | None = None
    heading_run: list[str] = []
    paragraph = 0
    for block in _blocks(document.text):
        heading = _heading(block.text, heading_max_chars)
        if heading is not None:
            # Consecutive heading lines are a title and its subtitle.
            heading_run.append(heading)
            section = " — ".join(heading_run)
            continue
        heading_run = []
        if not _HAS_WORD.search(block.text):
            continue  # separators such as "…………" or "* * *"
        paragraph += 1
        pieces = _fit_to_window(block, max_tokens, count_tokens, overlap_sentences)
        for piece_no, piece in enumerate(pieces):
            passages.append(
                Passage(
                    id=_passage_id(document.name, paragraph, piece_no, piece.text),
                    document=document.name,
                    paragraph=paragraph,
                    section=section,
                    text=piece.text,
                    start=piece.start,
                    end=piece.end,
                )
            )
    return passages


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


def _heading(text: str, max_chars: int) -> str | None:
    """The heading text if this block is a heading, else None."""
    markdown = _MARKDOWN_HEADING.match(text)
    if markdown:
        return markdown.group(1).strip() or None
    if len(text) > max_chars or "\n" in text or not _HAS_WORD.search(text):
        return None
    if _ENDS_LIKE_SENTENCE.search(text):
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
        pieces.append(_Block(block.text[start:end], block.start + start, block.start + end))
        if last + 1 >= len(sentences):
            break
        first = max(first + 1, last + 1 - overlap)
    return pieces


def _sentence_spans(block: _Block) -> list[tuple[int, int]]:
    """Offsets of the sentences of a block; a sentence longer than any window
    is cut into fixed-size slices so that nothing is ever silently dropped."""
    spans, cursor = [], 0
    for sentence in split_sentences(block.text):
        start = block.text.index(sentence, cursor)
        cursor = start + len(sentence)
        for slice_start in range(start, cursor, 400):
            spans.append((slice_start, min(cursor, slice_start + 400)))
    return spans


def _passage_id(document: str, paragraph: int, piece: int, text: str) -> str:
    digest = hashlib.sha1(f"{document}\0{paragraph}\0{piece}\0{text}".encode("utf-8"))
    return digest.hexdigest()[:16]
