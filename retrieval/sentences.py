"""Sentence and clause splitting that works for Chinese and Latin text alike."""

from __future__ import annotations

import re

# A sentence ends at Chinese or Latin end punctuation, optionally followed by
# closing quotes/brackets. Latin periods must be followed by whitespace so that
# "3.5" and "e.g." inside a sentence do not split it.
_SENTENCE_END = re.compile(r"(?:[。！？!?；;]+|…{2,}|\.(?=\s))[”’」』）)\"']*")
_CLAUSE_END = re.compile(r"[，,、：:]")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, keeping their punctuation; never loses text."""
    return _split_after(text, _SENTENCE_END)


def split_clauses(sentence: str) -> list[str]:
    """Split a sentence at commas and colons, keeping the separators."""
    return _split_after(sentence, _CLAUSE_END)


def _split_after(text: str, separator: re.Pattern) -> list[str]:
    pieces, start = [], 0
    for match in separator.finditer(text):
        piece = text[start : match.end()].strip()
        if piece:
            pieces.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_chinese(text: str) -> bool:
    """True when the text is mostly CJK characters rather than Latin words."""
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]+", text))
    return cjk > 0 and cjk >= latin
