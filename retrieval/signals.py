"""The signals the decision and the short answer are fitted on.

Each means the same in any corpus and language. For the decision: how far
the best passage and its best sentence (embedded alone, see storage.Pieces)
stand above what unrelated everyday texts score in this index
(background.py's null, in standard deviations), how much closer the
question is to the passage than to those texts, and whether question and
passage are written in different scripts (cosines across languages run
lower). The best sentence's standing counts once more, with a slope of its
own, for a question in the other script: across languages the cosines of
related and unrelated texts lie closer together, so the same standing
above the null means less there.

For the short answer, per sentence of the best passage: its cosine and its
best clause's cosine to the question (pooled from the passage's own token
embeddings), its cosine embedded alone, how much of the question's weight
(IDF) it writes and the sentence before it writes, shared Chinese
characters, and whether it holds the kind of fact asked for
(answer_types.py). Signals that did not earn their place in the
leave-one-corpus-out figures were dropped: repeated word pairs, what a
sentence adds beyond the question, its place and its length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .answer_types import holds_asked
from .background import Null
from .lexical import characters
from .search import SearchResult
from .sentences import sentence_pieces, sentence_texts
from .storage import IndexView, Pieces, pool_sentences

DECISION_FEATURES = (
    "dense_over_null",
    "sentence_over_null",
    "sentence_over_background",
    "cross_lingual",
    "cross_lingual_sentence_over_null",
)

SENTENCE_FEATURES = (
    "cosine",
    "cosine_gap",
    "alone_cosine",
    "clause_cosine",
    "clause_gap",
    "overlap",
    "overlap_gap",
    "previous_overlap",
    "characters",
    "kind_held",
)


@dataclass(frozen=True)
class Sentences:
    """The best passage cut into the sentences a short answer is chosen from."""

    texts: list[str]
    features: np.ndarray  # (len(texts), len(SENTENCE_FEATURES))


@dataclass(frozen=True)
class Signals:
    decision: np.ndarray  # one row of DECISION_FEATURES
    sentences: Sentences | None  # None when nothing was found


def measure(snapshot: IndexView, result: SearchResult, background: float, null: Null | None) -> Signals:
    """`background` is the query's best cosine against the background texts,
    `null` how those texts fare in this index (see background.py)."""
    query, hits = result.query, result.hits
    if not hits:
        return Signals(np.zeros(len(DECISION_FEATURES)), None)
    top = hits[0]
    weights = {w: snapshot.idf(w) for w in query.words}
    (pieces,) = snapshot.pieces_of([top.row])
    sentences = _sentences(query.text, query.vector, snapshot.passage(top.row).text, pieces, weights)
    best = float(sentences.features[:, SENTENCE_FEATURES.index("alone_cosine")].max())
    cross_lingual = float(null.question_chinese != null.passage_chinese)
    sentence_over_null = (best - null.sentence_mean) / null.sentence_std
    decision = {
        "dense_over_null": (top.dense - null.dense_mean) / null.dense_std,
        "sentence_over_null": sentence_over_null,
        "sentence_over_background": best - background,
        "cross_lingual": cross_lingual,
        "cross_lingual_sentence_over_null": cross_lingual * sentence_over_null,
    }
    return Signals(np.array([decision[f] for f in DECISION_FEATURES]), sentences)


def _sentences(question: str, vector: np.ndarray, passage: str, pieces: Pieces, weights: dict[str, float]) -> Sentences:
    """`weights`: the question's content words with their IDF, since rare
    words say more about what is asked than common ones."""
    split = sentence_pieces(passage)
    texts = sentence_texts(passage, split)
    cosines = pool_sentences(split, pieces.means, pieces.counts) @ vector
    clauses = pieces.means @ vector / np.maximum(np.linalg.norm(pieces.means, axis=1), 1e-9)
    bounds = np.cumsum([0, *map(len, split)])
    best_clause = np.maximum.reduceat(clauses, bounds[:-1])
    total = sum(weights.values()) or 1.0
    asked_characters = characters(question)
    overlap, shared, kind = [], [], []
    for text in texts:
        lowered = text.lower()
        overlap.append(sum(w for t, w in weights.items() if t in lowered) / total)
        shared.append(sum(c in text for c in asked_characters) / max(len(asked_characters), 1))
        kind.append(holds_asked(question, text))
    overlap = np.array(overlap)
    columns = {
        "cosine": cosines,
        "cosine_gap": cosines - cosines.max(),
        "alone_cosine": pieces.alone @ vector,
        "clause_cosine": best_clause,
        "clause_gap": best_clause - best_clause.max(),
        "overlap": overlap,
        "overlap_gap": overlap - overlap.max(),
        # The sentence before often names what this one answers about.
        "previous_overlap": np.concatenate([[0.0], overlap[:-1]]),
        "characters": shared,
        "kind_held": kind,
    }
    return Sentences(texts, np.column_stack([np.asarray(columns[f], dtype=np.float64) for f in SENTENCE_FEATURES]))
