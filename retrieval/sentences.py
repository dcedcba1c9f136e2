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
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.end()].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def split_clauses(sentence: str) -> list[str]:
    """Split a sentence at commas and colons, keeping the separators."""
    clauses, start = [], 0
    for match in _CLAUSE_END.finditer(sentence):
        piece = sentence[start : match.end()].strip()
        if piece:
            clauses.append(piece)
        start = match.end()
    tail = sentence[start:].strip()
    if tail:
        clauses.append(tail)
    return clauses


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_chinese(text: str) -> bool:
    """True when the text is mostly CJK characters rather than Latin words."""
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]+", text))
    return cjk > 0 and cjk >= latin
