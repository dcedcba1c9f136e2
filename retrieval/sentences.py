"""Sentence and clause splitting that works for Chinese and Latin text alike."""

from __future__ import annotations

import re

# A sentence ends at Chinese or Latin end punctuation, optionally followed by
# closing quotes/brackets. Latin periods must be followed by whitespace so that
# "3.5" and "e.g." inside a sentence do not split it.
_SENTENCE_END = re.compile(r"(?:[。！？!?；;]+|…{2,}|\.(?=\s))[”’」』）)\"']*")
_CLAUSE_END = re.compile(r"[，,、：:]")


def split_sentences(text: str) -> list[str]:
    """Split text at sentence ends and semicolons, the places where a passage
    too long for the model may be cut; keeps the punctuation, never loses
    text. `sentence_pieces` joins the pieces of one statement that a semicolon
    inside brackets or an initial cut apart."""
    return [text[a:b] for a, b in _spans_after(text, _SENTENCE_END)]


def clause_bounds(sentence: str) -> list[tuple[int, int]]:
    """Where each clause of a sentence starts and ends: split at commas and
    colons, the separators kept, the whitespace between clauses left out."""
    return _spans_after(sentence, _CLAUSE_END)


def clause_spans(text: str) -> list[list[tuple[int, int]]]:
    """For each sentence of `split_sentences(text)`, the character spans of
    its clauses in `text`: the pieces whose vectors the index stores."""
    spans = []
    for start, end in _spans_after(text, _SENTENCE_END):
        spans.append([(start + a, start + b) for a, b in _spans_after(text[start:end], _CLAUSE_END)])
    return spans


def sentence_pieces(text: str) -> list[list[tuple[int, int]]]:
    """The clause spans of each sentence a short answer is made of, or the
    whole text as one piece when it has no words.

    They are `clause_spans` with a piece joined to the next when it ends at
    an initial ("Andrew W.") or at a semicolon inside brackets ("Lisbon
    (Portuguese: Lisboa; Latin: Olisipo)"): a passage too long for the model
    may be cut there, but it is one statement. The clauses themselves, whose
    vectors the index stores, stay as they are."""
    sentences: list[list[tuple[int, int]]] = []
    joined = False
    for sentence in clause_spans(text):
        if joined:
            sentences[-1].extend(sentence)
        else:
            sentences.append(list(sentence))
        start, end = sentences[-1][0][0], sentence[-1][1]
        joined = bool(_INITIAL.search(text, 0, end)) or (
            text.endswith(("；", ";"), 0, end) and _open_brackets(text[start:end]) > 0
        )
    return sentences or [[(0, len(text))]]


def sentence_texts(text: str, pieces: list[list[tuple[int, int]]]) -> list[str]:
    """The text of each sentence of `sentence_pieces(text)`."""
    return [text[sentence[0][0] : sentence[-1][1]] for sentence in pieces]


_INITIAL = re.compile(r"(?<!\w)[A-Z]\.$")


def _open_brackets(text: str) -> int:
    return text.count("(") + text.count("（") - text.count(")") - text.count("）")


def _spans_after(text: str, separator: re.Pattern) -> list[tuple[int, int]]:
    """Spans of the pieces ending at each separator, stripped of whitespace."""
    spans, start = [], 0
    for end in [*(m.end() for m in separator.finditer(text)), len(text)]:
        piece = text[start:end]
        if piece.strip():
            left = start + len(piece) - len(piece.lstrip())
            spans.append((left, left + len(piece.strip())))
        start = end
    return spans


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_chinese(text: str) -> bool:
    """True when the text is mostly CJK characters rather than Latin words."""
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]+", text))
    return cjk > 0 and cjk >= latin
