"""Pooling one text's token embeddings into its passage vector and the
vectors of its pieces (character spans), shared by every runtime."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pool_pieces(
    tokens: np.ndarray, offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]], shift: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`tokens`: (n, dim) token embeddings of prompt + text; `offsets`: their
    character offsets in it; `shift`: the prompt's length. Returns the
    normalised mean of all tokens (the model's own mean pooling), and per
    span the mean of its tokens (not normalised) with their count. A token
    belongs to the span its first character is in; the prompt's and the
    special tokens to none; a span without tokens gets the passage mean."""
    mean = tokens.mean(axis=0)
    starts = np.array([a - shift if b > a and a >= shift else -1 for a, b in offsets[: len(tokens)]])
    means, counts = [], []
    for start, end in spans:
        inside = (starts >= start) & (starts < end)
        counts.append(int(inside.sum()))
        means.append(tokens[inside].mean(axis=0) if counts[-1] else mean)
    dim = tokens.shape[1]
    return (
        mean / np.linalg.norm(mean),
        np.array(means, dtype=np.float32).reshape(len(spans), dim),
        np.array(counts, dtype=np.int32),
    )
