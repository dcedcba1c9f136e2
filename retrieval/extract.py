"""Picking the short answer: the sentence of the cited passage that holds the
fact asked for.

Each sentence is scored by its embedding similarity to the question (which
works across languages) plus its lexical overlap with the question (which is
precise for same-language questions), with a bonus when the question asks
for a quantity and the sentence has one.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

import numpy as np

from .lexical import tokenize
from .sentences import split_clauses, split_sentences

# Above this length a sentence is cut down to its best run of clauses, so the
# short answer stays short.
MAX_ANSWER_CHARS = 160

_ASKS_QUANTITY = re.compile(
    r"多少|几[个项条次家场人年月天万亿名所]|百分之|比例|数量|how (many|much)|what (percentage|share|number)"
    r"|number of|percent",
    re.IGNORECASE,
)
_HAS_QUANTITY = re.compile(r"\d|[一二三四五六七八九十百千万亿两]+[个项条次家场人万亿名所%％]")


def extract_answer(
    question: str,
    query_vector: np.ndarray,
    passage_text: str,
    embed: Callable[[Sequence[str]], np.ndarray],
) -> str:
    sentences = split_sentences(passage_text) or [passage_text]
    best = _best(question, query_vector, sentences, embed)
    if len(best) <= MAX_ANSWER_CHARS:
        return best
    return _best_clause_run(question, query_vector, best, embed)


def _best(
    question: str, query_vector: np.ndarray, pieces: list[str], embed: Callable[[Sequence[str]], np.ndarray]
) -> str:
    if len(pieces) == 1:
        return pieces[0]
    return pieces[int(np.argmax(_scores(question, query_vector, pieces, embed)))]


def _scores(
    question: str, query_vector: np.ndarray, pieces: list[str], embed: Callable[[Sequence[str]], np.ndarray]
) -> np.ndarray:
    dense = embed(pieces) @ query_vector
    question_terms = set(tokenize(question))
    lexical = np.array(
        [len(question_terms & set(tokenize(p))) / max(len(question_terms), 1) for p in pieces]
    )
    quantity = np.array([bool(_HAS_QUANTITY.search(p)) for p in pieces], dtype=float)
    asks_quantity = bool(_ASKS_QUANTITY.search(question))
    return dense + 0.3 * lexical + (0.03 * quantity if asks_quantity else 0.0)


def _best_clause_run(
    question: str, query_vector: np.ndarray, sentence: str, embed: Callable[[Sequence[str]], np.ndarray]
) -> str:
    """The best window of consecutive clauses that fits MAX_ANSWER_CHARS."""
    clauses = split_clauses(sentence)
    windows = []
    for start in range(len(clauses)):
        text = ""
        for end in range(start, len(clauses)):
            if text and len(text) + len(clauses[end]) > MAX_ANSWER_CHARS:
                break
            text += clauses[end]
        windows.append(text)
    windows = list(dict.fromkeys(w for w in windows if w))
    return _best(question, query_vector, windows, embed) if windows else sentence
