"""Generic everyday texts a question is compared with, to tell off-topic
questions from cross-lingual ones.

With multilingual-e5-small an English question about Chinese documents
scores about as high against them as an unrelated English question does, so
no cosine threshold separates the two. What differs is what else they are
close to: "What is the best smartphone to buy?" is closer to a generic text
about phones than to any passage, while a question about the documents is
not. The abstention model therefore sees the best passage's cosine minus the
best cosine against `background.txt` (160 short texts on everyday topics,
none about the sample corpus's subjects).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from embeddings import Embedder

TEXTS = Path(__file__).with_name("background.txt")


class Background:
    def __init__(self, embedder: Embedder, cache_dir: Path | None = None, texts: Path = TEXTS):
        self._embedder = embedder
        self._cache_dir = cache_dir
        self._texts = texts
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def similarity(self, vector: np.ndarray) -> float:
        """The highest cosine between an embedded question and the texts."""
        return float((self.vectors() @ vector).max())

    def vectors(self) -> np.ndarray:
        """Embedded on first use (about 2.5 s on two cores) and kept on disk
        per model, so a one-off `citebot ask` does not pay for it each time."""
        with self._lock:
            if self._vectors is None:
                self._vectors = self._load_or_embed()
            return self._vectors

    def _load_or_embed(self) -> np.ndarray:
        texts = [line for line in self._texts.read_text(encoding="utf-8").splitlines() if line.strip()]
        key = hashlib.sha256("\n".join([self._embedder.model_id, *texts]).encode()).hexdigest()[:16]
        cached = self._cache_dir / "background" / f"{key}.npy" if self._cache_dir else None
        if cached and cached.exists():
            try:
                return np.load(cached)
            except (OSError, ValueError):
                pass  # a damaged cache file is rebuilt below
        vectors = self._embedder.embed_passages(texts).astype(np.float32)
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
