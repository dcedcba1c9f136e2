"""What the rest of citebot may assume about an embedding model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class EmbeddingModelError(Exception):
    """The embedding model cannot be found or loaded; the message is one line meant for the user."""


class Embedder(Protocol):
    # Recorded in index manifests, so an index is never queried with vectors from another model.
    model_id: str
    dim: int
    # The model's window in tokens, prompt and special tokens included; text
    # beyond it is truncated, so callers split long paragraphs using count_tokens.
    max_tokens: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows L2-normalised; texts get the model's query prompt."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows L2-normalised; texts get the model's passage prompt."""
        ...

    def embed_sentences(self, texts: Sequence[str]) -> np.ndarray:
        """As `embed_passages`, for the sentences indexing embeds one by one
        (the decision's signals, never compared with stored passage vectors):
        a runtime may use a faster, close approximation of the model here."""
        ...

    def embed_passage_pieces(
        self, texts: Sequence[str], pieces: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """One forward pass per text: its passage vector (as `embed_passages`)
        and, for each of its pieces (character spans of the text), the mean
        of the pieces' token embeddings (not normalised) with their token
        counts, so that pieces can be pooled into longer ones. A piece
        without tokens (cut off by the window) gets the passage's mean and 0."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for ``text`` as a passage, prompt and special tokens included."""
        ...
