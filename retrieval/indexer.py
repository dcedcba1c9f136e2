"""Changing the index: add, replace and remove documents, embedding only
what is new.

Each document carries a content hash; an unchanged document is carried over
with its vectors. Vectors are reused by passage text, so identical
paragraphs, inside one document or across several, are embedded once. When
the embedding model changes, nothing is reused and every passage is
re-embedded, so old and new vectors are never mixed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from config.settings import Settings
from embeddings import Embedder

from .errors import DocumentTooLargeError, UnknownDocumentError
from .ingest import Document, split_passages
from .lexical import tokenize
from .sentences import sentence_pieces, sentence_texts
from .storage import IndexView, Pieces, Store, StoredPassage, crash_point, now, text_sha

Progress = Callable[[int, int], None]  # (embedded so far, total to embed)

# What a document becomes in the index: its passages (ingest.split_passages)
# and their terms (lexical.tokenize). Raised when either changes, so that the
# next `citebot index` reads again the documents an older citebot indexed
# instead of keeping their old passages beside new ones; passages whose text
# did not change keep their vectors. (A change to the clause pieces needs
# store.FORMAT_VERSION instead: their vectors change too.)
INGEST_VERSION = 1


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    passages: int = 0
    embedded: int = 0
    embed_seconds: float = 0.0
    version: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def update_index(
    store: Store,
    embedder: Embedder,
    settings: Settings,
    *,
    documents: Sequence[Document] = (),
    remove: Iterable[str] = (),
    keep_only: set[str] | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    max_passages: int | None = None,
) -> IndexReport:
    """Apply one change to the index and commit it as a new version.

    `keep_only`, when given, removes every indexed document not named in it
    (`citebot index --prune`). `rebuild` ignores the previous version entirely.
    `max_passages` refuses a document that splits into more passages, before
    anything is embedded.
    """
    report = IndexReport()
    with store.writer():
        previous = None if rebuild or not store.exists() else store.load()
        reusable = previous is not None and previous.manifest.model_id == embedder.model_id
        entries = _previous_documents(previous)

        for name in remove:
            if name not in entries:
                raise UnknownDocumentError(f"no document named {name!r} in the index")
            del entries[name]
            report.removed.append(name)
        if keep_only is not None:
            for name in sorted(set(entries) - keep_only):
                del entries[name]
                report.removed.append(name)

        for document in documents:
            old = entries.get(document.name)
            if old is not None and old.sha256 == document.sha256 and old.ingest == INGEST_VERSION and reusable:
                report.unchanged.append(document.name)
                continue
            split = _passages_of(document, embedder, settings)
            if max_passages is not None and len(split) > max_passages:
                raise DocumentTooLargeError(
                    f"document {document.name!r} has {len(split):,} passages, more than the limit of "
                    f"{max_passages:,} (ingest.max_passages_per_document); split it into smaller documents"
                )
            entries[document.name] = _DocumentEntry(document.sha256, now(), split, INGEST_VERSION, document.pages)
            (report.updated if old is not None else report.added).append(document.name)

        if previous is not None and not report.changed and reusable:
            report.passages, report.version = previous.size, previous.version
            return report

        passages = [p for name in sorted(entries) for p in entries[name].passages]
        vectors, pieces, report.embedded, report.embed_seconds = _vectors_for(
            passages, previous if reusable else None, embedder, progress
        )
        manifest = store.commit(
            model_id=embedder.model_id,
            kind=settings.index.kind,
            passages=passages,
            vectors=vectors,
            pieces=pieces,
            documents={name: e.manifest_entry() for name, e in sorted(entries.items())},
            hnsw={"m": settings.index.hnsw_m, "ef_construction": settings.index.hnsw_ef_construction},
            carried_over=frozenset(name for name, e in entries.items() if e.carried_over and reusable),
        )
        report.passages, report.version = manifest.passages, manifest.version
        return report


@dataclass
class _DocumentEntry:
    sha256: str
    indexed_at: str
    passages: list[StoredPassage]
    ingest: int | None  # INGEST_VERSION when it was read; None before citebot recorded it
    pages: int | None = None
    carried_over: bool = False  # the previous version's passages, untouched

    def manifest_entry(self) -> dict:
        entry = {"sha256": self.sha256, "passages": len(self.passages), "indexed_at": self.indexed_at}
        entry |= {"ingest": self.ingest} if self.ingest is not None else {}
        # Only PDFs have pages; other entries stay as older citebots wrote them.
        return entry | ({"pages": self.pages} if self.pages is not None else {})


def _previous_documents(previous: IndexView | None) -> dict[str, _DocumentEntry]:
    if previous is None:
        return {}
    by_document: dict[str, list[StoredPassage]] = {}
    for _, sp in previous.stored():
        by_document.setdefault(sp.passage.document, []).append(sp)
    return {
        name: _DocumentEntry(
            meta["sha256"], meta["indexed_at"], by_document.get(name, []), meta.get("ingest"), meta.get("pages"), True
        )
        for name, meta in previous.manifest.documents.items()
    }


def _passages_of(document: Document, embedder: Embedder, settings: Settings) -> list[StoredPassage]:
    passages = split_passages(
        document,
        heading_max_chars=settings.ingest.heading_max_chars,
        max_tokens=embedder.max_tokens,
        count_tokens=embedder.count_tokens,
        overlap_sentences=settings.ingest.split_overlap_sentences,
    )
    stored, section = [], None
    for p in passages:
        terms = tokenize(p.text)
        if p.section and p.section != section and p.text != p.section.rpartition(" — ")[2]:
            # Sections are not embedded; the first passage under a heading
            # carries its words, so a question in the heading's words finds
            # where the section starts.
            terms += tokenize(p.section)
        section = p.section
        sentences = sentence_pieces(p.text)
        stored.append(StoredPassage(p, terms, text_sha(p.text), sum(map(len, sentences)), len(sentences)))
    return stored


@dataclass
class _Vectors:
    passage: np.ndarray
    pieces: Pieces


def _vectors_for(
    passages: list[StoredPassage],
    previous: IndexView | None,
    embedder: Embedder,
    progress: Progress | None,
) -> tuple[np.ndarray, Pieces, int, float]:
    """Passage vectors and sentence pieces (storage.Pieces) for every
    passage, reused where the same text was embedded before. One forward
    pass per new text gives its vector and its clause means; a second embeds
    its sentences one by one (embed_sentences: short texts, and on ONNX
    Runtime an int8 model, so about a third of the first's cost). Returns
    them with the count of texts embedded and the seconds spent."""
    known: dict[str, _Vectors] = {}
    if previous is not None:
        needed = {sp.text_sha for sp in passages}
        rows = {sp.text_sha: row for row, sp in reversed(previous.stored()) if sp.text_sha in needed}
        reused = list(rows.values())
        vectors = previous.vectors_of(reused) if rows else []
        for sha, vector, pieces in zip(rows, vectors, previous.pieces_of(reused)):
            known[sha] = _Vectors(vector, pieces)
    to_embed = {sp.text_sha: sp.passage.text for sp in passages if sp.text_sha not in known}
    started = time.perf_counter()
    shas, texts = list(to_embed), list(to_embed.values())
    # Several of the model's batches at a time (model.batch_size), so that it
    # sorts them by length and short passages are not padded to the longest;
    # progress is reported per chunk.
    batch = 32
    for first in range(0, len(texts), batch):
        chunk = texts[first : first + batch]
        sentences = [sentence_pieces(text) for text in chunk]
        spans = [[span for sentence in split for span in sentence] for split in sentences]
        vectors, means, counts = embedder.embed_passage_pieces(chunk, spans)
        alone = embedder.embed_sentences([t for text, split in zip(chunk, sentences) for t in sentence_texts(text, split)])
        ends = np.cumsum([len(split) for split in sentences])
        for sha, vector, mean, count, own in zip(shas[first : first + batch], vectors, means, counts, np.split(alone, ends[:-1])):
            known[sha] = _Vectors(vector, Pieces(mean, count, own))
        crash_point("embedding")
        if progress:
            progress(min(first + batch, len(texts)), len(texts))
    seconds = time.perf_counter() - started if texts else 0.0
    if not passages:
        empty = np.zeros((0, embedder.dim), dtype=np.float32)
        return empty, Pieces(empty, np.zeros(0, dtype=np.int32), empty), 0, 0.0
    chosen = [known[sp.text_sha] for sp in passages]
    vectors = np.stack([v.passage for v in chosen]).astype(np.float32)
    # Each field of the passages' Pieces, concatenated in passage order.
    pieces = Pieces(*map(np.concatenate, zip(*(v.pieces for v in chosen))))
    return vectors, pieces, len(texts), seconds
