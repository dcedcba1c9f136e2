"""Measuring answer quality on labelled questions (`citebot eval`).

A retrieval hit is a cited passage that contains one of the question's
evidence strings; an answer hit is a short answer that contains one of its
answers; a question without evidence must get "not found". Figures are
reported overall and per kind: answerable (by language), off-corpus,
adversarial, follow-ups.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from config.settings import Settings
from embeddings import Embedder

from .decide import Decider
from .engine import Engine
from .errors import IndexCorruptError
from .indexer import Progress
from .labelled import ADVERSARIAL, OFF_CORPUS, EvalItem, LabelledSet

KS = (1, 3, 5)


def engine_for(
    labelled: LabelledSet,
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    decider: Decider | None = None,
    progress: Progress | None = None,
) -> Engine:
    """The configured index, or for a set that brings its documents an index
    of them alone, kept in the cache folder per set and model so that a
    second run embeds nothing."""
    if labelled.documents is None:
        return Engine.open(settings, embedder=embedder, decider=decider)
    key = hashlib.sha256(f"{labelled.source}\0{settings.model.name}".encode()).hexdigest()[:16]
    folder = settings.model.cache_dir / "eval" / f"{labelled.name}-{key}"
    # Always a folder of files: with index.backend = "postgres" the set's
    # documents would otherwise replace the shared index's.
    settings = settings.replace("index", dir=folder, kind="flat", backend="files")
    try:
        engine = Engine.open(settings, embedder=embedder, decider=decider, create=True)
    except IndexCorruptError:  # a cache of an older citebot, or damaged: it is only a cache
        shutil.rmtree(folder)
        engine = Engine.open(settings, embedder=embedder, decider=decider, create=True)
    engine.update(documents=labelled.documents, keep_only={d.name for d in labelled.documents}, progress=progress)
    return engine


@dataclass
class Outcome:
    item: EvalItem
    rank: int | None  # 1-based rank of the first cited passage with evidence
    # The same rank in the search's own ranking, whatever the decision: a
    # declined question with search_rank 1 is a decision miss, not a search miss.
    search_rank: int | None
    abstained: bool
    answer_hit: bool
    latency_ms: float
    answer_share: float | None  # short answer's length over the cited passage's


def run(engine: Engine, items: Iterable[EvalItem], *, use_history: bool = True) -> list[Outcome]:
    """`use_history=False` asks every question alone: comparing the two runs
    shows what the conversation context adds, or takes away."""
    outcomes = []
    for item in items:
        started = time.perf_counter()
        answer = engine.answer(item.question, item.turns if use_history else (), top_k=max(KS))
        latency = (time.perf_counter() - started) * 1000
        rank = next((c.n for c in answer.citations if any(e in c.text for e in item.evidence)), None)
        search_rank = rank
        if answer.abstained and item.answerable:
            result, _ = engine.inspect(item.question, item.turns if use_history else (), k=max(KS))
            search_rank = next((h.rank for h in result.hits if any(e in h.passage.text for e in item.evidence)), None)
        short = answer.answer or ""
        hit = bool(short) and any(a in short for a in item.answers)
        share = len(short) / len(answer.citations[0].text) if short and answer.citations else None
        outcomes.append(Outcome(item, rank, search_rank, answer.abstained, hit, latency, share))
    return outcomes


def summarize(outcomes: list[Outcome]) -> dict:
    report = {"all": _figures(outcomes)}
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if not o.item.answerable:
            groups.setdefault("unanswerable", []).append(o)
            if o.item.kind in (OFF_CORPUS, ADVERSARIAL):
                groups.setdefault(o.item.kind, []).append(o)
            continue
        groups.setdefault(f"answerable_{o.item.lang}", []).append(o)
        if o.item.history:
            groups.setdefault("self_contained_after_history" if o.item.self_contained else "follow_up", []).append(o)
    for name, group in sorted(groups.items()):
        report[name] = _figures(group)
    return report


def _figures(outcomes: list[Outcome]) -> dict:
    answerable = [o for o in outcomes if o.item.answerable]
    unanswerable = [o for o in outcomes if not o.item.answerable]
    figures: dict = {"questions": len(outcomes)}
    if answerable:
        figures["answerable"] = len(answerable)
        for k in KS:
            figures[f"recall@{k}"] = _share(o.rank is not None and o.rank <= k for o in answerable)
        figures["mrr"] = round(float(np.mean([1 / o.rank if o.rank else 0.0 for o in answerable])), 4)
        figures["search_recall@1"] = _share(o.search_rank == 1 for o in answerable)
        figures["answer_hit"] = _share(o.answer_hit for o in answerable)
        figures["false_abstention"] = _share(o.abstained for o in answerable)
        shares = [o.answer_share for o in answerable if o.answer_share is not None]
        if shares:
            figures["answer_length_median"] = round(float(np.median(shares)), 3)
    if unanswerable:
        figures["unanswerable"] = len(unanswerable)
        figures["abstention"] = _share(o.abstained for o in unanswerable)
    latencies = [o.latency_ms for o in outcomes]
    figures["latency_p50_ms"] = round(float(np.percentile(latencies, 50)), 1)
    figures["latency_p95_ms"] = round(float(np.percentile(latencies, 95)), 1)
    return figures


def _share(flags: Iterable[bool]) -> float:
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def misses(outcomes: list[Outcome]) -> list[dict]:
    """The questions that went wrong, for reading (`citebot eval --show-misses`)."""
    wrong = []
    for o in outcomes:
        if o.item.answerable and (o.rank != 1 or not o.answer_hit):
            wrong.append(
                {"question": o.item.question, "rank": o.rank, "search_rank": o.search_rank, "abstained": o.abstained,
                 "answer_hit": o.answer_hit}
            )
        elif not o.item.answerable and not o.abstained:
            wrong.append({"question": o.item.question, "kind": o.item.kind, "abstained": False})
    return wrong
