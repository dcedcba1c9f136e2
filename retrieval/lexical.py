"""BM25 over a Chinese-aware tokenisation.

Chinese has no spaces, so terms are jieba words plus character bigrams: the
words give precise matches, the bigrams rescue names and numbers that jieba
segments differently in a question than in the passage. Latin words are
lower-cased; numbers are kept whole because questions ask for them.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from typing import Iterable, Mapping, Sequence

import numpy as np

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_OR_NUMBER = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)?")

# Function words that carry no topic; kept short on purpose: BM25's idf already
# discounts common words, this only removes the ones that appear in questions
# far more than in passages.
_STOP = set(
    "的 了 是 在 和 与 及 有 为 对 把 被 将 也 都 就 而 并 等 这 那 个 哪 什么 多少 几 谁 吗 呢 吧 啊 "
    "如何 怎么 怎样 为什么 哪些 哪个 哪里 哪儿 是否 没有 可以 我们 他们 the a an of to in on for and "
    "or is are was were be been what which who whom how why when where did do does many much".split()
)

_jieba_lock = threading.Lock()
_jieba = None


def _segmenter():
    """jieba, loaded once and quietly (it prints to stderr when it initialises)."""
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return _jieba


def tokenize(text: str) -> list[str]:
    return analyse(text)[0]


def analyse(text: str) -> tuple[list[str], list[str]]:
    """A text's search terms (see `tokenize`) and its content words: jieba's
    words and Latin words or numbers, lower-cased, without function words
    and bigrams; the words that say what a text is about. One jieba pass
    serves both, since a question needs both."""
    latin = [m.group().lower() for m in _LATIN_OR_NUMBER.finditer(text)]
    terms = [w for w in latin if w not in _STOP]
    words = list(latin)
    jieba = _segmenter()
    for run in _CJK_RUN.findall(text):
        cut = jieba.lcut(run)
        words.extend(cut)
        terms.extend(w for w in cut if w not in _STOP)
        terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    content = [w for w in dict.fromkeys(words) if w not in _STOP and not (len(w) == 1 and w.isascii())]
    return terms, content


def is_stop_word(word: str) -> bool:
    return word in _STOP


def characters(text: str) -> set[str]:
    """The Chinese characters of a text, without one-character function
    words: near-synonyms such as 老人 and 老年人 share characters but no
    word or bigram."""
    return {c for run in _CJK_RUN.findall(text) for c in run if c not in _STOP}


def tagged(text: str, *, guess_unknown: bool = True) -> list[tuple[str, str]]:
    """jieba's words with their part-of-speech tags (兰考县/ns, 政务/n).
    `guess_unknown=False` tags from the dictionary alone, without the HMM that
    guesses words it does not know: six times faster, for whole passages."""
    _segmenter()
    import jieba.posseg

    return [(w.word, w.flag) for w in jieba.posseg.lcut(text, HMM=guess_unknown)]


# Okapi BM25's parameters, shared with the PostgreSQL backend's SQL so that
# both rank alike.
K1, B = 1.2, 0.75


def bm25_idf(frequency: int, size: int) -> float:
    """The idf of a term found in `frequency` of `size` passages; a term no
    passage has (frequency 0) gets the highest possible idf."""
    return math.log(1 + (size - frequency + 0.5) / (frequency + 0.5))


class BM25:
    """Okapi BM25 over pre-tokenised passages.

    The inverted index keeps, per term, its passages and their share of the
    score before a question's weight, idf * tf * (k1 + 1) / (tf + k1 * (1 - b
    + b * length / average length)), in flat arrays: a question then adds up
    a few slices with numpy instead of looping over postings in Python, and a
    posting costs 12 bytes instead of a tuple's 60 or more.
    """

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = K1, b: float = B):
        self.size = len(documents)
        self._ids: dict[str, int] = {}
        term_ids, rows, tfs = [], [], []
        for row, terms in enumerate(documents):
            for term, count in Counter(terms).items():
                term_ids.append(self._ids.setdefault(term, len(self._ids)))
                rows.append(row)
                tfs.append(count)
        term_ids = np.array(term_ids, dtype=np.int64)
        order = np.argsort(term_ids, kind="stable")  # by term, passages ascending within one
        frequency = np.bincount(term_ids, minlength=len(self._ids))
        self._starts = np.concatenate([[0], np.cumsum(frequency)])
        self._idf = np.log(1 + (self.size - frequency + 0.5) / (frequency + 0.5))
        self._rows = np.array(rows, dtype=np.int32)[order]
        tf = np.array(tfs, dtype=np.float64)[order]
        lengths = np.array([len(d) for d in documents], dtype=np.float64)
        norm = k1 * (1 - b + b * lengths / lengths.mean()) if self.size else lengths
        self._shares = self._idf[term_ids[order]] * tf * (k1 + 1) / (tf + norm[self._rows])

    def idf(self, term: str) -> float:
        """A term the index has never seen gets the highest possible idf: for
        scaling, a question's unknown words are its most specific ones."""
        known = self._ids.get(term)
        return float(self._idf[known]) if known is not None else self.max_idf

    @property
    def max_idf(self) -> float:
        return bm25_idf(0, self.size)

    def scores(
        self, query_terms: Iterable[str], weights: Mapping[str, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The passages that share at least one term (rows ascending) and
        their BM25 scores; a term's contribution is multiplied by its weight
        (default 1)."""
        weights = weights or {}
        known = [(self._ids[t], weights.get(t, 1.0)) for t in set(query_terms) if t in self._ids]
        if not known:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        ids = np.array([i for i, _ in known])
        starts, ends = self._starts[ids].tolist(), self._starts[ids + 1].tolist()
        rows = np.concatenate([self._rows[a:b] for a, b in zip(starts, ends)])
        shares = np.concatenate([self._shares[a:b] * w for a, b, (_, w) in zip(starts, ends, known)])
        if 8 * len(rows) >= self.size:
            # Many postings for the index's size: one pass over an array of
            # every passage is cheaper than sorting the postings.
            totals = np.bincount(rows, weights=shares, minlength=self.size)
            found = np.flatnonzero(np.bincount(rows, minlength=self.size))
            return found, totals[found]
        found, where = np.unique(rows, return_inverse=True)
        return found.astype(np.int64), np.bincount(where, weights=shares)
