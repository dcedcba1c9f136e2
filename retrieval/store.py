"""The index on disk: versioned, checksummed, committed atomically.

    INDEX_DIR/
      CURRENT          "<version> <sha256 of that version's manifest.json>"
      .lock            held by the one writer (fcntl.flock)
      v000007/         one complete, immutable version
        manifest.json  model, dimension, documents, checksums of the files below
        vectors.faiss  the FAISS index; row i is passages.jsonl line i
        pieces.npy     float16 mean token embeddings of every passage's clauses
        piece_tokens.npy  their token counts, so clauses pool into sentences:
                       picking the short answer needs no embedding at query time
        sentences.npy  float16 vectors of every passage's sentences, each embedded alone
        passages.jsonl one passage per line, with its lexical terms

A writer builds a new version in a temporary folder, fsyncs it, renames it
into place and only then rewrites CURRENT (write aside, then rename). A crash
at any moment therefore leaves CURRENT pointing at a complete version, and
readers that loaded an older version keep answering from memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import faiss
import numpy as np

from .errors import IndexCorruptError, IndexLockedError, IndexNotFoundError
from .lexical import BM25
from .storage import Pieces, StoredPassage, check_model, crash_point, now, row_starts, text_sha
from .types import DocumentInfo, IndexInfo, Passage

__all__ = ["IndexStore", "Manifest", "Snapshot", "StoredPassage", "build_faiss_index", "crash_point", "now", "text_sha"]

# 2: clause pieces from the passage's own forward pass instead of separately
# embedded sentences. 3: separately embedded sentences as well (storage.Pieces).
FORMAT_VERSION = 3
_CURRENT = "CURRENT"
_LOCK = ".lock"
_MANIFEST = "manifest.json"
_VECTORS = "vectors.faiss"
_PASSAGES = "passages.jsonl"
_PIECES = "pieces.npy"
_PIECE_TOKENS = "piece_tokens.npy"
_SENTENCES = "sentences.npy"
_DATA_FILES = (_VECTORS, _PASSAGES, _PIECES, _PIECE_TOKENS, _SENTENCES)


@dataclass
class Manifest:
    format: int
    version: int
    model_id: str
    dim: int
    kind: str
    built_at: str
    passages: int
    documents: dict[str, dict] = field(default_factory=dict)  # name -> sha256, passages, indexed_at
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256

    def info(self) -> IndexInfo:
        documents = [
            DocumentInfo(name, d["passages"], d["sha256"], d["indexed_at"], d.get("pages"))
            for name, d in sorted(self.documents.items())
        ]
        return IndexInfo(self.version, documents, self.passages, self.model_id, self.dim, self.kind, self.built_at)


@dataclass
class Snapshot:
    """One loaded, immutable index version, held in memory (an IndexView)."""

    manifest: Manifest
    passages: list[StoredPassage]
    vectors: faiss.Index
    pieces: np.ndarray  # float16 clause means, rows of all passages' clauses
    piece_tokens: np.ndarray  # int32, their token counts
    sentences: np.ndarray  # float16 sentence vectors, rows of all passages' sentences
    bm25: BM25

    @property
    def version(self) -> int:
        return self.manifest.version

    def __post_init__(self) -> None:
        self._piece_starts = row_starts(sp.pieces for sp in self.passages)
        self._sentence_starts = row_starts(sp.sentences for sp in self.passages)

    @property
    def size(self) -> int:
        return len(self.passages)

    def passage(self, row: int) -> Passage:
        return self.passages[row].passage

    def stored(self) -> list[tuple[int, StoredPassage]]:
        return list(enumerate(self.passages))

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        return self.vectors.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def dense(self, vector: np.ndarray, k: int) -> dict[int, float]:
        scores, rows = self.vectors.search(vector.reshape(1, -1).astype(np.float32), k)
        return {int(r): float(s) for r, s in zip(rows[0], scores[0]) if r >= 0}

    def idf(self, term: str) -> float:
        return self.bm25.idf(term)

    def lexical(self, terms: Iterable[str], weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.bm25.scores(terms, weights)

    def sample(self, limit: int) -> tuple[np.ndarray, list[str]]:
        rows = np.arange(0, self.size, max(1, self.size // limit))
        return rows, [self.passages[int(r)].passage.text for r in rows]

    def pieces_of(self, rows: Sequence[int]) -> list[Pieces]:
        found = []
        for row in rows:
            start, end = self._piece_starts[row], self._piece_starts[row + 1]
            first, last = self._sentence_starts[row], self._sentence_starts[row + 1]
            found.append(Pieces(
                self.pieces[start:end].astype(np.float32),
                self.piece_tokens[start:end],
                self.sentences[first:last].astype(np.float32),
            ))
        return found

    def info(self) -> IndexInfo:
        return self.manifest.info()


class IndexStore:
    """The files backend of `storage.Store`."""

    def __init__(self, root: Path, keep_versions: int = 2):
        self.root = Path(root)
        self.keep_versions = max(1, keep_versions)
        self.location = str(self.root)
        self._current_path = self.root / _CURRENT
        self._current: tuple[tuple[int, int] | None, int | None] = (None, None)

    # ------------------------------------------------------------- reading

    def exists(self) -> bool:
        return self._current_path.is_file()

    def current_version(self) -> int | None:
        """The committed version number, read cheaply: readers poll it before
        every question. CURRENT is only ever replaced, never rewritten in
        place, so while its inode and mtime stay the same so does the version."""
        try:
            stat = os.stat(self._current_path)
            key = (stat.st_ino, stat.st_mtime_ns)
            if key != self._current[0]:
                self._current = (key, int(self._current_path.read_text().split()[0]))
            return self._current[1]
        except (FileNotFoundError, ValueError, IndexError):
            return None

    def load(self, expected_model_id: str | None = None, ef_search: int = 128) -> Snapshot:
        if not self.root.is_dir():
            raise IndexNotFoundError(
                f"no index at {self.root}; build one with `citebot index PATH...`"
            )
        pointer = self._read_current()
        version, manifest_sha = pointer
        folder = self._version_dir(version)
        manifest_path = folder / _MANIFEST
        if not manifest_path.is_file():
            raise self._damaged(manifest_path, "is missing")
        if _sha256(manifest_path) != manifest_sha:
            raise self._damaged(manifest_path, "does not match its checksum")
        manifest = self._read_manifest(manifest_path)
        if manifest.format != FORMAT_VERSION:
            raise IndexCorruptError(
                f"the index at {self.root} has format {manifest.format}, this citebot reads "
                f"format {FORMAT_VERSION}; re-index with `citebot index --rebuild PATH...`"
            )
        if expected_model_id is not None:
            self.check_model(manifest, expected_model_id)
        for name in _DATA_FILES:
            path = folder / name
            if not path.is_file():
                raise self._damaged(path, "is missing")
            if _sha256(path) != manifest.files.get(name):
                raise self._damaged(path, "does not match its checksum (truncated or altered)")
        passages = self._read_passages(folder / _PASSAGES)
        try:
            vectors = faiss.read_index(str(folder / _VECTORS))
        except RuntimeError:
            raise self._damaged(folder / _VECTORS, "cannot be read by FAISS") from None
        pieces, piece_tokens, sentences = (self._read_array(folder / name) for name in (_PIECES, _PIECE_TOKENS, _SENTENCES))
        if (
            vectors.ntotal != len(passages)
            or len(passages) != manifest.passages
            or vectors.d != manifest.dim
            or len(pieces) != sum(p.pieces for p in passages)
            or len(piece_tokens) != len(pieces)
            or sentences.shape != (sum(p.sentences for p in passages), manifest.dim)
        ):
            raise self._damaged(folder, "has vectors and passages that do not agree")
        if manifest.kind == "hnsw":
            faiss.downcast_index(vectors).hnsw.efSearch = ef_search
        return Snapshot(manifest, passages, vectors, pieces, piece_tokens, sentences, BM25([p.terms for p in passages]))

    def _read_array(self, path: Path) -> np.ndarray:
        try:
            return np.load(path, allow_pickle=False)
        except ValueError:
            raise self._damaged(path, "cannot be read") from None

    def check_model(self, manifest: Manifest, expected_model_id: str) -> None:
        check_model(self.location, manifest.model_id, expected_model_id)

    def verify(self) -> IndexInfo:
        return self.load().info()  # loading checks every checksum

    def _read_current(self) -> tuple[int, str]:
        path = self.root / _CURRENT
        if not path.is_file():
            raise IndexNotFoundError(
                f"no index at {self.root}; build one with `citebot index PATH...`"
            )
        try:
            version, sha = path.read_text().split()
            return int(version), sha
        except ValueError:
            raise self._damaged(path, "is not a valid version pointer") from None

    def _read_manifest(self, path: Path) -> Manifest:
        try:
            return Manifest(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError):
            raise self._damaged(path, "is not a valid manifest") from None

    def _read_passages(self, path: Path) -> list[StoredPassage]:
        try:
            with path.open(encoding="utf-8") as fh:
                rows = [json.loads(line) for line in fh]
            return [
                StoredPassage(Passage(**row["passage"]), row["terms"], row["text_sha"], row["pieces"], row["sentences"])
                for row in rows
            ]
        except (ValueError, TypeError, KeyError):
            raise self._damaged(path, "is not a valid passage store") from None

    def _damaged(self, path: Path, problem: str) -> IndexCorruptError:
        return IndexCorruptError(
            f"the index is damaged: {path} {problem}; run `citebot doctor --index {self.root}` "
            f"for details and rebuild it with `citebot index --rebuild PATH...`"
        )

    # ------------------------------------------------------------- writing

    @contextlib.contextmanager
    def writer(self) -> Iterator["IndexStore"]:
        """Hold the single-writer lock for the duration of a change."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock_path = self.root / _LOCK
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = lock_path.read_text().strip() or "another process"
                raise IndexLockedError(
                    f"the index at {self.root} is being written by {holder}; "
                    f"wait for it to finish and try again"
                ) from None
            os.ftruncate(fd, 0)
            os.write(fd, f"citebot pid {os.getpid()}".encode())
            yield self
        finally:
            os.close(fd)  # closing releases the lock, also when the process dies

    def commit(
        self,
        *,
        model_id: str,
        kind: str,
        passages: list[StoredPassage],
        vectors: np.ndarray,
        pieces: Pieces,
        documents: dict[str, dict],
        hnsw: dict[str, int] | None = None,
        carried_over: frozenset[str] = frozenset(),
    ) -> Manifest:
        """Write a new version and make it current. Call inside `writer()`.
        Every version is a complete folder, so `carried_over` changes nothing here."""
        version = (self.current_version() or 0) + 1
        final = self._version_dir(version)
        staging = self.root / f".staging-{version}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)  # debris of a crashed earlier attempt
        staging.mkdir(parents=True)

        dim = int(vectors.shape[1])
        index = build_faiss_index(vectors, kind, **(hnsw or {}))
        faiss.write_index(index, str(staging / _VECTORS))
        np.save(staging / _PIECES, pieces.means.astype(np.float16), allow_pickle=False)
        np.save(staging / _PIECE_TOKENS, pieces.counts.astype(np.int32), allow_pickle=False)
        np.save(staging / _SENTENCES, pieces.alone.astype(np.float16), allow_pickle=False)
        with (staging / _PASSAGES).open("w", encoding="utf-8") as fh:
            for sp in passages:
                row = {
                    "passage": asdict(sp.passage),
                    "terms": sp.terms,
                    "text_sha": sp.text_sha,
                    "pieces": sp.pieces,
                    "sentences": sp.sentences,
                }
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        manifest = Manifest(
            format=FORMAT_VERSION,
            version=version,
            model_id=model_id,
            dim=dim,
            kind=kind,
            built_at=now(),
            passages=len(passages),
            documents=documents,
            files={name: _sha256(staging / name) for name in _DATA_FILES},
        )
        (staging / _MANIFEST).write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=1))
        for name in (*_DATA_FILES, _MANIFEST):
            _fsync(staging / name)
        crash_point("staged")
        os.rename(staging, final)
        _fsync_dir(self.root)
        crash_point("renamed")
        _atomic_write(self.root / _CURRENT, f"{version} {_sha256(final / _MANIFEST)}\n")
        self._collect_garbage(version)
        return manifest

    def _collect_garbage(self, current: int) -> None:
        for path in self.root.iterdir():
            if path.name.startswith(".staging-"):
                shutil.rmtree(path, ignore_errors=True)
            elif path.name.startswith("v") and path.name[1:].isdigit():
                if int(path.name[1:]) <= current - self.keep_versions:
                    shutil.rmtree(path, ignore_errors=True)

    def _version_dir(self, version: int) -> Path:
        return self.root / f"v{version:06d}"


def build_faiss_index(vectors: np.ndarray, kind: str, m: int = 32, ef_construction: int = 200) -> faiss.Index:
    dim = int(vectors.shape[1])
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
    elif kind == "flat":
        index = faiss.IndexFlatIP(dim)
    else:
        raise ValueError(f"unknown index kind {kind!r} (use 'flat' or 'hnsw')")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)
