"""Any sentence-transformers model as a citebot Embedder, loaded offline unless
the user explicitly allows a hub download."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .base import EmbeddingModelError
from .pieces import pool_pieces

# torch's OpenMP workers spin while they wait for each other; when another
# process holds a core, one query then takes ~1 s instead of ~30 ms (measured
# on 2 cores).  Sleeping workers cost microseconds.  OpenMP reads this when
# torch is first imported, which the embedder defers until it loads a model.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# e5 models were trained with these prefixes, but older checkpoints do not
# declare them as prompts; the -instruct variants use task instructions instead.
_E5_NAME = re.compile(r"(?:^|[-_])e5(?:[-_]|$)", re.IGNORECASE)
_E5_PROMPTS = ("query: ", "passage: ")
_PASSAGE_PROMPT_KEYS = ("passage", "document", "corpus")


def _default_prompts(name: str, configured: Mapping[str, str]) -> tuple[str, str]:
    query = configured.get("query")
    passage = next((configured[key] for key in _PASSAGE_PROMPT_KEYS if key in configured), None)
    if query is None and passage is None and _E5_NAME.search(name) and "instruct" not in name.lower():
        return _E5_PROMPTS
    return query or "", passage or ""


def _hub_offline() -> None:
    """Put huggingface_hub in offline mode: otherwise it contacts the Hub even
    for files it has cached (it fetches a registry to build its User-Agent).
    The variable covers modules imported later, the constant an imported hub."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import huggingface_hub.constants

    huggingface_hub.constants.HF_HUB_OFFLINE = True


def _upcast_all_but_word_embeddings(st) -> None:
    """Compute in float32, but keep the vocabulary table (250,000 x 384 in
    XLM-R models, 40% of the weights) in float16, where its rows are only
    looked up. Loading in float16 and upcasting the rest keeps the load's
    peak low too: a process that loads the default model and embeds 40
    passages peaked at 1.40 GB, now at 1.24 GB, and its vectors agree with
    the all-float32 load at cosine 0.9999999 (a test holds it)."""
    import torch

    model = st[0].auto_model
    table = model.get_input_embeddings()
    for module in model.modules():
        if module is not table and not list(module.children()):
            module.float()
    table.register_forward_hook(lambda _module, _inputs, output: output.to(torch.float32))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class SentenceTransformerEmbedder:
    """Embeds with a sentence-transformers model from a local directory or the local HF cache.

    Nothing is downloaded unless `allow_download` is set (settings:
    model.allow_download): by default a hub name only works if that model is
    already in the Hugging Face cache.  Weights are upcast to float32 because fp16
    matmuls on CPU are slow and, on some CPUs, inaccurate; `half_word_embeddings`
    loads in float16 and keeps only the word-embedding table there (see
    _upcast_all_but_word_embeddings), for a model stored in float16.
    """

    def __init__(
        self,
        model: str | Path,
        *,
        batch_size: int = 32,
        device: str = "cpu",
        query_prompt: str | None = None,
        passage_prompt: str | None = None,
        show_progress: bool = False,
        model_id: str | None = None,
        allow_download: bool = False,
        half_word_embeddings: bool = False,
    ) -> None:
        path = Path(model).expanduser()
        local = path.exists()
        download = allow_download and not local
        if not download:
            _hub_offline()
        # Imported here: torch and sentence-transformers take seconds to import,
        # which commands that never embed should not pay.
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        # The load report (it lists the unused XLM-R pooler as "MISSING") and
        # the per-tensor progress bar are noise in a CLI's output.
        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()

        if not local and (path.is_absolute() or str(model).startswith((".", "~"))):
            raise EmbeddingModelError(f"embedding model directory does not exist: {model}")
        try:
            # A name that is not a local path is a hub id; local_files_only
            # confines it to models already in the Hugging Face cache.
            st = SentenceTransformer(
                str(path) if local else str(model),
                device=device,
                local_files_only=not download,
                model_kwargs={"dtype": torch.float16 if half_word_embeddings else torch.float32},
            )
            if half_word_embeddings:
                _upcast_all_but_word_embeddings(st)
        except Exception as exc:  # loaders raise OSError, ValueError, KeyError, ... for bad models
            if not local and isinstance(exc, OSError):
                reason = (
                    "no such directory, and not in the Hugging Face cache "
                    "(set CITEBOT_MODEL_ALLOW_DOWNLOAD=1 to let citebot download it)"
                )
            else:
                reason = _first_line(exc)
            raise EmbeddingModelError(f"cannot load embedding model {str(model)!r}: {reason}") from exc

        default_query, default_passage = _default_prompts(path.name, st.prompts)
        self.model_id = model_id or str(model)
        self.dim = int(st.get_embedding_dimension())
        self.max_tokens = int(st.max_seq_length or st.tokenizer.model_max_length)
        self.query_prompt = default_query if query_prompt is None else query_prompt
        self.passage_prompt = default_passage if passage_prompt is None else passage_prompt
        self._model = st
        self._batch_size = batch_size
        self._show_progress = show_progress

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self.query_prompt)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self.passage_prompt)

    def embed_sentences(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self.passage_prompt)

    def embed_passage_pieces(
        self, texts: Sequence[str], pieces: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        if len(texts) == 0:
            return np.empty((0, self.dim), dtype=np.float32), [], []
        # Mean pooling over every token, as the model's own Pooling module
        # does, so the passage vector is the one `embed_passages` gives.
        tokens = self._model.encode(
            list(texts),
            prompt=self.passage_prompt,
            batch_size=self._batch_size,
            show_progress_bar=self._show_progress,
            output_value="token_embeddings",
            convert_to_numpy=False,
        )
        offsets = self._model.tokenizer(
            [self.passage_prompt + t for t in texts],
            return_offsets_mapping=True,
            truncation=True,
            max_length=self.max_tokens,
            verbose=False,
        )["offset_mapping"]
        pooled = [
            pool_pieces(embedded.float().cpu().numpy(), text_offsets, spans, len(self.passage_prompt))
            for embedded, spans, text_offsets in zip(tokens, pieces, offsets)
        ]
        passages, means, counts = (list(column) for column in zip(*pooled))
        return np.ascontiguousarray(passages, dtype=np.float32), means, counts

    def count_tokens(self, text: str) -> int:
        """May exceed ``max_tokens``: that is how callers detect text that would be truncated."""
        encoded = self._model.tokenizer(self.passage_prompt + text, add_special_tokens=True, verbose=False)
        return len(encoded["input_ids"])

    def _embed(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        if isinstance(texts, str):  # a lone string would be embedded character by character
            raise TypeError("expected a sequence of strings, got a single str")
        if len(texts) == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            prompt=prompt,
            batch_size=self._batch_size,
            show_progress_bar=self._show_progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
