"""The one object every front end holds: it owns the model and the loaded
index and answers questions.

All methods are safe to call from several threads at once. A question is
answered on the index version that was current when it started; a newer
version committed by any process is picked up by the next question.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from typing import Sequence

import numpy as np

from config.settings import Settings
from embeddings import Embedder, load_embedder

from . import followup
from .background import Background
from .decide import SHIPPED_MODEL, AnswerModel, Decider
from .document_names import check_visible
from .errors import DocumentTooLargeError, IndexBusyError, InputError
from .extract import short_answer
from .ingest import Document, decode_text, document_from_bytes
from .indexer import IndexReport, Progress, update_index
from .lexical import BM25
from .search import SearchResult, make_query, search
from .sentences import is_chinese
from .signals import Signals, measure
from .storage import IndexView, Store, open_store
from .store import Manifest, Snapshot, build_faiss_index, now
from .types import Answer, Citation, DocumentInfo, Hit, IndexInfo, Turn

_DOCUMENT_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,200}$")


class Engine:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: Store,
        snapshot: IndexView,
        decider: Decider | None = None,
    ):
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self._snapshot = snapshot
        self._reload_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.decider = decider  # None only in an engine that writes and never answers (for_writing)
        self.background = Background(embedder, settings.model.cache_dir)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        decider: Decider | None = None,
        create: bool = False,
    ) -> "Engine":
        """Load the model and the index; `create` starts from an empty index
        when there is none yet (the HTTP API can then add documents)."""
        store = open_store(settings)
        snapshot = None
        if not (create and not store.exists()):
            # Before the slow model load, so a missing or damaged index is reported at once.
            snapshot = store.load(ef_search=settings.index.hnsw_ef_search)
        embedder = embedder or embedder_from_settings(settings)
        if snapshot is None:
            snapshot = _empty_snapshot(embedder, settings.index.kind)
        else:
            store.check_model(snapshot.manifest, embedder.model_id)
        decider = decider or AnswerModel.load(settings.answer.model or SHIPPED_MODEL, embedder.model_id)
        return cls(settings, embedder, store, snapshot, decider)

    # ------------------------------------------------------------ questions

    def answer(self, question: str, history: Sequence[Turn] = (), top_k: int | None = None) -> Answer:
        """search -> decide -> extract, each once."""
        started = time.perf_counter()
        question = self.check_question(question)
        snapshot = self.snapshot()
        timings: dict[str, float] = {}
        result, resolved = self._search(snapshot, question, history, top_k, timings)
        t0 = time.perf_counter()
        signals = self._measure(snapshot, result)
        answerable = not too_little_to_search(question) and self.decider.answerable(signals)
        timings["decide"] = _ms(t0)
        if not answerable:
            timings["total"] = _ms(started)
            return Answer(question, None, True, [], timings, resolved)
        t0 = time.perf_counter()
        short = short_answer(result.query.text, signals.sentences.texts, self.decider.rank_sentences(signals))
        timings["answer"] = _ms(t0)
        timings["total"] = _ms(started)
        return Answer(question, short, False, _citations(result.hits), timings, resolved)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        query = self.check_question(query)
        vector = self.embedder.embed_queries([query])[0]
        return search(self.snapshot(), make_query(vector, query), k, max(k, self.settings.search.candidates)).hits

    def inspect(self, question: str, history: Sequence[Turn] = (), k: int | None = None) -> tuple[SearchResult, Signals]:
        """The ranking and the signals `answer` decides on (for eval and calibration)."""
        question = self.check_question(question)
        snapshot = self.snapshot()
        result, _ = self._search(snapshot, question, history, k, {})
        return result, self._measure(snapshot, result)

    def check_question(self, question: str) -> str:
        return check_question(question, self.settings.answer.max_question_chars)

    def _measure(self, snapshot: IndexView, result: SearchResult) -> Signals:
        if not result.hits:
            return measure(snapshot, result, 0.0, None)
        vector = result.query.vector
        null = self.background.null(snapshot, is_chinese(result.query.text), is_chinese(result.hits[0].passage.text))
        return measure(snapshot, result, self.background.similarity(vector), null)

    def _search(
        self, snapshot: IndexView, question: str, history: Sequence[Turn], k: int | None, timings: dict[str, float]
    ) -> tuple[SearchResult, str | None]:
        """The ranking for a question, searched as a follow-up of the previous
        question when it reads like one (see followup.py); the resolved
        question is None when it was searched alone."""
        t0 = time.perf_counter()
        previous = followup.previous_question(history)
        leans = previous is not None and followup.is_follow_up(question, history)
        texts = [question, previous] if leans else [question]
        vectors = self.embedder.embed_queries(texts)
        query = make_query(vectors[0], question)
        if leans:
            query = followup.blend(query, make_query(vectors[1], previous))
        timings["embed"] = _ms(t0)
        t0 = time.perf_counter()
        k = k or self.settings.search.top_k
        result = search(snapshot, query, k, max(k, self.settings.search.candidates))
        timings["search"] = _ms(t0)
        return result, (f"{previous} {question}" if leans else None)

    @classmethod
    def for_writing(cls, settings: Settings) -> "Engine":
        """An engine that has not loaded the index, for `citebot index`: it
        must work when the index was built with another model (it is then
        rebuilt) and, with `--rebuild`, when the current index is damaged."""
        embedder = embedder_from_settings(settings)
        store = open_store(settings)
        return cls(settings, embedder, store, _empty_snapshot(embedder, settings.index.kind))

    # ---------------------------------------------------------------- index

    def snapshot(self) -> IndexView:
        """The current index version, reloaded if another writer committed."""
        current = self.store.current_version()
        if current is not None and current != self._snapshot.version:
            with self._reload_lock:
                if self.store.current_version() != self._snapshot.version:
                    self._snapshot = self.store.load(
                        self.embedder.model_id, ef_search=self.settings.index.hnsw_ef_search
                    )
        return self._snapshot

    def info(self) -> IndexInfo:
        return self.snapshot().info()

    def documents(self) -> list[DocumentInfo]:
        return self.info().documents

    def add_document(self, name: str, text: str) -> DocumentInfo:
        """Add or replace one document sent by a client. Its size is bounded
        twice, in bytes and in passages (counted before anything is embedded),
        so that one request cannot keep the index busy for minutes."""
        name = name.strip() if isinstance(name, str) else ""
        if not _DOCUMENT_NAME.match(name):
            raise InputError("a document name must be 1-200 characters without slashes or control characters")
        check_visible(name)
        text = decode_text(text.encode("utf-8", "surrogatepass"), encoding="utf-8", source=f"document {name!r}")
        if len(text.encode("utf-8")) > self.settings.ingest.max_file_bytes:
            raise DocumentTooLargeError(
                f"document {name!r} is too large (the limit is {self.settings.ingest.max_file_bytes:,} bytes)"
            )
        self.update(documents=[Document(name, text)], max_passages=self.settings.ingest.max_passages_per_document)
        return next(d for d in self.documents() if d.name == name)

    def add_file(self, name: str, data: bytes) -> DocumentInfo:
        """Add or replace a document from an uploaded file (PDF, DOCX, HTML,
        text), read exactly as `citebot index` reads a file of that name."""
        name = name.strip() if isinstance(name, str) else ""
        if not _DOCUMENT_NAME.match(name) or name in (".", ".."):
            raise InputError("a document name must be 1-200 characters without slashes or control characters")
        limit = self.settings.ingest.max_file_bytes
        if len(data) > limit:
            raise InputError(f"{name}: file is too large ({len(data):,} bytes; the limit is {limit:,})")
        self.update(documents=[document_from_bytes(name, data, encoding=self.settings.ingest.encoding)])
        return next(d for d in self.documents() if d.name == name)

    def remove_document(self, name: str) -> None:
        self.update(remove=[name])

    def update(self, *, progress: Progress | None = None, **change) -> IndexReport:
        """Apply a change (see `update_index`) and switch to the new version.

        Changes from this process run one at a time; one that cannot start
        within `index.write_wait_seconds` is refused with IndexBusyError, so a
        caller is told to come back instead of waiting without end."""
        wait = self.settings.index.write_wait_seconds
        if not self._write_lock.acquire(timeout=wait):
            raise IndexBusyError.after(wait)
        try:
            report = update_index(self.store, self.embedder, self.settings, progress=progress, **change)
        finally:
            self._write_lock.release()
        self.snapshot()
        return report


def embedder_from_settings(settings: Settings) -> Embedder:
    model = settings.model
    options = {"batch_size": model.batch_size}
    if model.name != "default":
        options["allow_download"] = model.allow_download
    return load_embedder(model.name, model.cache_dir, runtime=model.runtime, **options)


def check_question(question: str, max_chars: int) -> str:
    """The question, normalised, or an InputError saying what is wrong with it."""
    if not isinstance(question, str):
        raise InputError("the question must be text")
    question = unicodedata.normalize("NFC", question).strip()
    if not question:
        raise InputError("the question is empty")
    if len(question) > max_chars:
        raise InputError(f"the question is too long ({len(question):,} characters; the limit is {max_chars:,})")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co") and c not in "\t\n" for c in question):
        raise InputError("the question contains control or binary characters")
    # Punctuation, emoji and invisible format characters (zero-width spaces,
    # bidi marks) give the search nothing to match, yet some passage always
    # comes out nearest: without a letter or digit it is refused like an empty one.
    if not any(unicodedata.category(c)[0] in "LN" for c in question):
        raise InputError("the question has no words to search: ask it in letters or digits")
    return question


def too_little_to_search(question: str) -> bool:
    """A question written with a single letter or digit, however long
    ("aaaa…?"), names nothing: every passage is as near as any other, and
    the one that comes out first is not an answer."""
    return len({c.lower() for c in question if unicodedata.category(c)[0] in "LN"}) < 2


def _citations(hits: list[Hit]) -> list[Citation]:
    return [
        Citation(
            h.rank, h.passage.document, h.passage.paragraph, h.passage.section, h.passage.text, round(h.fused, 4),
            page=h.passage.page,
        )
        for h in hits
    ]


def _empty_snapshot(embedder: Embedder, kind: str) -> Snapshot:
    manifest = Manifest(1, 0, embedder.model_id, embedder.dim, kind, now(), 0)
    vectors = build_faiss_index(np.zeros((0, embedder.dim), dtype=np.float32), kind)
    empty = np.zeros((0, embedder.dim), dtype=np.float16)
    return Snapshot(manifest, [], vectors, empty, np.zeros(0, np.int32), empty, BM25([]))


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
