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

from . import followup, names
from .abstain import SHIPPED_MODEL, AbstentionModel, settle_tie, should_abstain
from .background import Background
from .errors import InputError
from .extract import extract_answer
from .ingest import Document, decode_text, document_from_bytes
from .indexer import IndexReport, Progress, update_index
from .lexical import BM25
from .search import Query, SearchResult, make_query, search
from .store import IndexStore, Manifest, Snapshot, build_faiss_index, now
from .types import Answer, Citation, DocumentInfo, Hit, IndexInfo, Turn

_DOCUMENT_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,200}$")


class Engine:
    def __init__(self, settings: Settings, embedder: Embedder, store: IndexStore, snapshot: Snapshot):
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self._snapshot = snapshot
        self._reload_lock = threading.Lock()
        self._write_lock = threading.Lock()
        path = settings.search.abstention_model or SHIPPED_MODEL
        self.abstention = AbstentionModel.load(path)
        self.background = Background(embedder, settings.model.cache_dir)

    @classmethod
    def open(cls, settings: Settings, *, embedder: Embedder | None = None, create: bool = False) -> "Engine":
        """Load the model and the index; `create` starts from an empty index
        when there is none yet (the HTTP API can then add documents)."""
        store = IndexStore(settings.index.dir, settings.index.keep_versions)
        # Alongside the model load rather than on the first question.
        threading.Thread(target=names.prepare, name="dictionaries", daemon=True).start()
        snapshot = None
        if not (create and not store.exists()):
            # Before the slow model load, so a missing or damaged index is reported at once.
            snapshot = store.load(ef_search=settings.index.hnsw_ef_search)
        embedder = embedder or embedder_from_settings(settings)
        if snapshot is None:
            snapshot = _empty_snapshot(embedder, settings.index.kind)
        else:
            store.check_model(snapshot.manifest, embedder.model_id)
        return cls(settings, embedder, store, snapshot)

    # ------------------------------------------------------------ questions

    def answer(self, question: str, history: Sequence[Turn] = (), top_k: int | None = None) -> Answer:
        started = time.perf_counter()
        question = self.check_question(question)
        snapshot = self.snapshot()
        timings: dict[str, float] = {"embed": 0.0, "search": 0.0}
        query, result, resolved = self._retrieve(snapshot, question, history, top_k, timings)

        if self._abstains(question, result):
            timings["total"] = _ms(started)
            return Answer(question, None, True, [], timings, resolved)

        t0 = time.perf_counter()
        top = result.hits[0]
        short = extract_answer(
            resolved or question, query.vector, top.passage.text, snapshot.sentence_vectors_of(top.row)
        )
        timings["answer"] = _ms(t0)
        timings["total"] = _ms(started)
        return Answer(question, short, False, _citations(result.hits), timings, resolved)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        query = self.check_question(query)
        vector = self.embedder.embed_queries([query])[0]
        return search(self.snapshot(), make_query(vector, query), k, max(k, self.settings.search.candidates)).hits

    def search_result(self, question: str, history: Sequence[Turn] = (), k: int | None = None) -> SearchResult:
        """The ranking `answer` decides on, with all scores (for eval and calibration)."""
        question = self.check_question(question)
        return self._retrieve(self.snapshot(), question, history, k, {"embed": 0.0, "search": 0.0})[1]

    def check_question(self, question: str) -> str:
        return check_question(question, self.settings.answer.max_question_chars)

    def _abstains(self, question: str, result: SearchResult) -> bool:
        return should_abstain(self.abstention, question, result)

    def _retrieve(
        self, snapshot: Snapshot, question: str, history: Sequence[Turn], k: int | None, timings: dict[str, float]
    ) -> tuple[Query, SearchResult, str | None]:
        """Search for a question, as a follow-up of the previous one when it
        reads like one, or when it cannot be answered alone but can with the
        previous question's context. Returns the query, the ranking and the
        resolved question (None when the question was searched alone)."""
        k = k or self.settings.search.top_k
        candidates = self.settings.search.candidates
        previous = followup.previous_question(history)

        def embedded(text: str) -> Query:
            text = strip_document_pointers(text)
            t0 = time.perf_counter()
            query = make_query(self.embedder.embed_queries([text])[0], text)
            timings["embed"] += _ms(t0)
            return query

        def searched(query: Query, asked: str) -> SearchResult:
            t0 = time.perf_counter()
            result = settle_tie(asked, search(snapshot, query, k, candidates, self.background))
            timings["search"] += _ms(t0)
            return result

        own = embedded(question)
        if previous is None:
            return own, searched(own, question), None
        cue = followup.is_follow_up(question, history)
        if not cue:
            # Read alone first, so a self-contained question is never bent by
            # the previous one; only if that finds nothing is it tried as a
            # follow-up.
            alone = searched(own, question)
            if not self._abstains(question, alone):
                return own, alone, None
        earlier = embedded(previous)
        leaning = _follow_up_query(own, earlier)
        leaning_result = searched(leaning, question)
        # The previous question only lends context if it could be answered
        # itself: two unanswerable questions blended must not make an answer.
        if (cue or not self._abstains(question, leaning_result)) and not self._abstains(
            previous, searched(earlier, previous)
        ):
            return leaning, leaning_result, f"{previous} {question}"
        return own, (searched(own, question) if cue else alone), None

    @classmethod
    def for_writing(cls, settings: Settings) -> "Engine":
        """An engine that has not loaded the index, for `citebot index`: it
        must work when the index was built with another model (it is then
        rebuilt) and, with `--rebuild`, when the current index is damaged."""
        embedder = embedder_from_settings(settings)
        store = IndexStore(settings.index.dir, settings.index.keep_versions)
        return cls(settings, embedder, store, _empty_snapshot(embedder, settings.index.kind))

    # ---------------------------------------------------------------- index

    def snapshot(self) -> Snapshot:
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
        name = name.strip() if isinstance(name, str) else ""
        if not _DOCUMENT_NAME.match(name):
            raise InputError("a document name must be 1-200 characters without slashes or control characters")
        text = decode_text(text.encode("utf-8", "surrogatepass"), encoding="utf-8", source=f"document {name!r}")
        if len(text.encode("utf-8")) > self.settings.ingest.max_file_bytes:
            raise InputError(f"document {name!r} is too large (the limit is {self.settings.ingest.max_file_bytes:,} bytes)")
        self.update(documents=[Document(name, text)])
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
        """Apply a change (see `update_index`) and switch to the new version."""
        with self._write_lock:
            report = update_index(self.store, self.embedder, self.settings, progress=progress, **change)
        self.snapshot()
        return report


def embedder_from_settings(settings: Settings) -> Embedder:
    model = settings.model
    options = {"batch_size": model.batch_size}
    if model.name != "default":
        options["allow_download"] = model.allow_download
    return load_embedder(model.name, model.cache_dir, **options)


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
    return question


def _follow_up_query(own: Query, earlier: Query) -> Query:
    """The follow-up's vector blended with the previous question's, and its
    words plus the previous question's at a lower weight."""
    blended = own.vector + followup.PREVIOUS_WEIGHT * earlier.vector
    weights = {t: followup.PREVIOUS_TERM_WEIGHT for t in earlier.terms if t not in own.terms}
    return Query(
        (blended / np.linalg.norm(blended)).astype(np.float32),
        own.terms + list(weights),
        weights,
        names=own.names,
    )


# Words that point at the documents rather than at a topic: "文章认为…",
# "according to the report". Searched with, they only pull towards passages
# that talk about writing and reporting.
_POINTING_AT_DOCUMENTS = re.compile(
    r"(?:根据|按照|据)?(?:这篇|本篇|该)?(?:文章|文中|报道|新闻|本文|原文)(?:中|里)?(?:认为|提到|指出|说|讲|介绍|写道)?的?"
    r"|\b(?:according to|as (?:mentioned|stated|described|reported) in|mentioned in|in|does|did) (?:the|this) (?:article|report|text|story)(?: (?:say|mention|state))?\b",
    re.I,
)


def strip_document_pointers(question: str) -> str:
    """The question without the words that point at the documents."""
    return _POINTING_AT_DOCUMENTS.sub(" ", question).strip() or question


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
    return Snapshot(manifest, [], vectors, np.zeros((0, embedder.dim), dtype=np.float16), BM25([]))


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
