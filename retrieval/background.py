"""Generic everyday texts, the yardstick that makes scores comparable
across corpora and languages.

A raw cosine means different things in different indexes: in a folder of
Wikipedia articles an unrelated question still finds a passage at 0.86,
while over one news article it finds none above 0.80; and an English
question scores lower against Chinese text than a Chinese one does. So two
signals are measured against `background.txt` (160 short texts on everyday
topics, half Chinese, half English, about none of the corpora here):

- `similarity`: how close a question is to everyday topics ("What is the
  best smartphone to buy?" is closer to them than to any passage);
- `null`: how well the background texts in the question's language match
  *this* index, best passage and best sentence, mean and spread. A question
  whose best sentence stands no higher above that than an unrelated text
  does is not answered by it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings import Embedder

from .sentences import is_chinese
from .storage import IndexView

TEXTS = Path(__file__).with_name("background.txt")
# Passages a null is estimated over, at most: a sample says as much about
# an index of millions as all of it would.
SAMPLE = 20_000


@dataclass(frozen=True)
class Null:
    """Best-passage and best-sentence cosines of unrelated texts in one index,
    for questions in one script over passages in one script."""

    question_chinese: bool
    passage_chinese: bool
    dense_mean: float
    dense_std: float
    sentence_mean: float
    sentence_std: float


class Background:
    def __init__(self, embedder: Embedder, cache_dir: Path | None = None, texts: Path = TEXTS):
        self._embedder = embedder
        self._cache_dir = cache_dir
        self._texts = [line for line in texts.read_text(encoding="utf-8").splitlines() if line.strip()]
        self._vectors: np.ndarray | None = None
        self._nulls: dict[tuple[int, bool, bool], Null] = {}  # (version, question, passage script)
        self._lock = threading.Lock()

    def similarity(self, vector: np.ndarray) -> float:
        """The highest cosine between an embedded question and the texts."""
        return float((self.vectors() @ vector).max())

    def null(self, snapshot: IndexView, question_chinese: bool, passage_chinese: bool) -> Null:
        """The null for questions in one language over the passages in one
        language of `snapshot` (an English question over Chinese passages
        scores lower than over English ones, related or not), computed once
        per index version: a matrix product over at most SAMPLE passages."""
        key = (snapshot.version, question_chinese, passage_chinese)
        with self._lock:
            if key not in self._nulls:
                self._nulls = {k: v for k, v in self._nulls.items() if k[0] == snapshot.version}
                self._nulls[key] = self._null(snapshot, question_chinese, passage_chinese)
            return self._nulls[key]

    def _null(self, snapshot: IndexView, question_chinese: bool, passage_chinese: bool) -> Null:
        in_script = np.array([is_chinese(t) == question_chinese for t in self._texts])
        vectors = self._vectors_locked()[in_script]
        # A sample of the passages, evenly spread, then those of one script:
        # telling the script of millions of passages would cost seconds.
        rows, texts = snapshot.sample(2 * SAMPLE)
        chinese = np.array([is_chinese(text) for text in texts])
        if (chinese == passage_chinese).any():
            rows = rows[chinese == passage_chinese]
        similarities = vectors @ snapshot.vectors_of(rows).T
        best = rows[similarities.argmax(axis=1)]
        sentences = [float((p.alone @ v).max()) for p, v in zip(snapshot.pieces_of(best.tolist()), vectors)]
        scores = np.column_stack([similarities.max(axis=1), sentences])
        mean, std = scores.mean(axis=0), np.maximum(scores.std(axis=0), 1e-3)
        return Null(question_chinese, passage_chinese, float(mean[0]), float(std[0]), float(mean[1]), float(std[1]))

    def vectors(self) -> np.ndarray:
        """Embedded as questions on first use (about 2.5 s on two cores) and
        kept on disk per model, so a one-off `citebot ask` does not pay for it each time."""
        with self._lock:
            return self._vectors_locked()

    def _vectors_locked(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = self._load_or_embed()
        return self._vectors

    def _load_or_embed(self) -> np.ndarray:
        key = hashlib.sha256("\n".join(["query", self._embedder.model_id, *self._texts]).encode()).hexdigest()[:16]
        cached = self._cache_dir / "background" / f"{key}.npy" if self._cache_dir else None
        if cached and cached.exists():
            try:
                return np.load(cached)
            except (OSError, ValueError):
                pass  # a damaged cache file is rebuilt below
        vectors = self._embedder.embed_queries(self._texts).astype(np.float32)
        if cached:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                partial = cached.with_suffix(f".{os.getpid()}.tmp")
                with open(partial, "wb") as f:
                    np.save(f, vectors)
                os.replace(partial, cached)
            except OSError:
                pass  # a read-only cache only costs the embedding time
        return vectors
