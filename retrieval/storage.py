"""The seam between the engine and where an index lives.

Two backends implement `Store`: a directory of FAISS and JSONL files on one
machine (`store.IndexStore`, the default) and a PostgreSQL database with
pgvector that several machines share (`pg_store.PgStore`). Search, the
decision and the front ends see only an `IndexView`: one committed version,
immutable, which a question keeps from start to end while writers commit
newer ones.

A row is how a view names a passage: a position in the files backend, a
database id in PostgreSQL. Rows are only meaningful within the view that
returned them.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, ContextManager, Iterable, Mapping, NamedTuple, Protocol, Sequence

import numpy as np

from .errors import ModelMismatchError
from .types import IndexInfo, Passage

if TYPE_CHECKING:
    from config.settings import Settings

    from .store import Manifest


@dataclass
class StoredPassage:
    passage: Passage
    terms: list[str]
    text_sha: str  # identical texts share one embedding
    pieces: int  # clause pieces of this passage, sentence by sentence (see sentence_pieces)
    sentences: int  # its sentences (len(sentence_pieces(text)))


class Pieces(NamedTuple):
    """What the index keeps of one passage's sentences (see sentence_pieces).

    Two views of a sentence. Its clauses pooled from the passage's own
    forward pass know the passage's subject, which a sentence that answers
    often does not name, so they rank the sentences best. The sentence
    embedded alone says whether one statement of the passage matches the
    question, not only its topic, so it decides: on CMRC 2018 the best
    sentence's cosine tells answerable from off-corpus questions with AUC
    0.98 embedded alone, 0.95 pooled. Both are signals of the short answer."""

    means: np.ndarray  # (clauses, dim) float32 mean token embeddings, in context
    counts: np.ndarray  # (clauses,) their token counts
    alone: np.ndarray  # (sentences, dim) float32, each sentence embedded by itself, normalised


class IndexView(Protocol):
    """One committed index version, as search and the decision read it."""

    manifest: "Manifest"

    @property
    def version(self) -> int: ...

    @property
    def size(self) -> int:
        """Passages in this version."""

    def info(self) -> IndexInfo: ...

    def passage(self, row: int) -> Passage: ...

    def stored(self) -> list[tuple[int, StoredPassage]]:
        """Every passage with its row, in document order (for writers)."""

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        """(len(rows), dim) float32, in the order asked."""

    def pieces_of(self, rows: Sequence[int]) -> list[Pieces]:
        """The clause means and sentence vectors of each passage, in the order asked."""

    def dense(self, vector: np.ndarray, k: int) -> dict[int, float]:
        """Up to k rows nearest to `vector` by inner product, with their scores."""

    def idf(self, term: str) -> float:
        """BM25 idf as `lexical.BM25.idf` defines it."""

    def lexical(self, terms: Iterable[str], weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """BM25 scores as `lexical.BM25.scores` computes them: the rows that
        share a term, ascending, and their scores."""

    def sample(self, limit: int) -> tuple[np.ndarray, list[str]]:
        """About `limit` rows evenly spread over the version, with their texts."""


class Store(Protocol):
    """Where versions are committed. `location` names it in messages, never
    with a secret."""

    location: str

    def exists(self) -> bool: ...

    def current_version(self) -> int | None:
        """The committed version number, read cheaply: readers ask once per question."""

    def load(self, expected_model_id: str | None = None, ef_search: int = 128) -> IndexView: ...

    def check_model(self, manifest: "Manifest", expected_model_id: str) -> None:
        """ModelMismatchError when the index was built with another model."""

    def verify(self) -> IndexInfo:
        """Check the current version thoroughly (`citebot doctor`)."""

    def writer(self) -> ContextManager["Store"]:
        """Hold the single-writer lock; a second writer gets IndexLockedError at once."""

    def commit(
        self,
        *,
        model_id: str,
        kind: str,
        passages: list[StoredPassage],
        vectors: np.ndarray,
        pieces: Pieces,  # of all passages, concatenated
        documents: dict[str, dict],
        hnsw: dict[str, int] | None = None,
        carried_over: frozenset[str] = frozenset(),
    ) -> "Manifest":
        """Make `passages` the new current version, all or nothing; call inside
        `writer()`. `carried_over` names documents whose passages are exactly
        those of the previous version, which a store may keep rather than rewrite."""


def open_store(settings: "Settings") -> Store:
    """The backend the settings name: the one place that chooses."""
    index = settings.index
    if index.backend == "files":
        from .store import IndexStore

        return IndexStore(index.dir, index.keep_versions)
    if index.backend == "postgres":
        from .pg_store import PgStore

        return PgStore(index.postgres_url, index.keep_versions)
    from config.settings import SettingsError

    raise SettingsError(f"setting index.backend is {index.backend!r}; use \"files\" or \"postgres\"")


def check_model(location: str, built_with: str, configured: str) -> None:
    if built_with != configured:
        raise ModelMismatchError(
            f"the index at {location} was built with model {built_with!r} but the "
            f"configured model is {configured!r}; re-index with `citebot index PATH...` "
            f"(it rebuilds for the new model) or set model.name back"
        )


def pool_sentences(sentences: list[list[tuple[int, int]]], means: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """One normalised vector per sentence (its `sentence_pieces`), pooled
    from its clause means weighted by their token counts."""
    weights = np.maximum(counts, 1e-3)[:, None] * means
    bounds = np.cumsum([0, *map(len, sentences)])
    pooled = np.add.reduceat(weights, bounds[:-1], axis=0) if len(means) else np.zeros((0, means.shape[1]))
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)


def row_starts(counts: Iterable[int]) -> np.ndarray:
    """Where each passage's rows begin in an array of all passages' rows
    (clause pieces, sentences), and where the last ends."""
    return np.concatenate([[0], np.cumsum(list(counts))]).astype(np.int64)


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def crash_point(name: str) -> None:
    """Test hook, inert unless CITEBOT_TEST_PAUSE_AT names this point: the
    writer then says so on stderr and sleeps, so the crash-safety tests can
    `kill -9` it at a known moment. Points: "embedding" (after the first
    batch), "staged" (new version written aside, not yet committed),
    "renamed" (files only: renamed into place, CURRENT not yet rewritten)."""
    if os.environ.get("CITEBOT_TEST_PAUSE_AT") == name:
        print(f"citebot: test pause at {name} (pid {os.getpid()})", file=sys.stderr, flush=True)
        time.sleep(600)
