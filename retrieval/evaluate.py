"""Measuring answer quality on labelled questions (`citebot eval`).

Each line of an eval file is {"question", "evidence": [...], "answer": str|null}
and optionally "history" (earlier questions, for follow-ups), "lang" and
"kind". A retrieval hit is a cited passage that contains one of the evidence
strings; questions with no evidence should be abstained on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .abstain import AbstentionModel, features, vetoed
from .engine import Engine
from .errors import InputError
from .sentences import is_chinese
from .types import Turn

KS = (1, 3, 5)


@dataclass(frozen=True)
class EvalItem:
    question: str
    evidence: tuple[str, ...]
    answer: str | None
    history: tuple[str, ...] = ()
    lang: str = "zh"
    kind: str = ""
    self_contained: bool = False  # has history, but must be answered as if asked alone

    @property
    def answerable(self) -> bool:
        return bool(self.evidence)

    @property
    def turns(self) -> list[Turn]:
        return [Turn(q) for q in self.history]


def load_items(path: Path) -> list[EvalItem]:
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = row["question"]
            items.append(
                EvalItem(
                    question=question,
                    evidence=tuple(row.get("evidence") or ()),
                    answer=row.get("answer"),
                    history=tuple(row.get("history") or ()),
                    lang=row.get("lang") or ("zh" if is_chinese(question) else "en"),
                    kind=row.get("kind", ""),
                    self_contained=bool(row.get("self_contained")),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: not a valid eval line ({exc})") from None
    if not items:
        raise InputError(f"{path}: no questions found")
    return items


@dataclass
class Outcome:
    item: EvalItem
    rank: int | None  # 1-based rank of the first cited passage with evidence
    abstained: bool
    answer_hit: bool
    latency_ms: float


def run(engine: Engine, items: Iterable[EvalItem], *, use_history: bool = True) -> list[Outcome]:
    """`use_history=False` asks every question alone: comparing the two runs
    shows what the conversation context adds, or takes away."""
    outcomes = []
    for item in items:
        answer = engine.answer(item.question, item.turns if use_history else (), top_k=max(KS))
        rank = next(
            (c.n for c in answer.citations if any(e in c.text for e in item.evidence)),
            None,
        )
        hit = bool(item.answer) and answer.answer is not None and item.answer in answer.answer
        outcomes.append(Outcome(item, rank, answer.abstained, hit, answer.timings_ms["total"]))
    return outcomes


def summarize(outcomes: list[Outcome]) -> dict:
    """Overall figures plus the same per category (language, follow-ups)."""
    report = {"all": _figures(outcomes)}
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if not o.item.answerable:
            groups.setdefault("unanswerable", []).append(o)
            continue
        groups.setdefault(f"answerable_{o.item.lang}", []).append(o)
        if o.item.history:
            group = "self_contained_after_history" if o.item.self_contained else "follow_up"
            groups.setdefault(group, []).append(o)
    for name, group in sorted(groups.items()):
        report[name] = _figures(group)
    return report


def _figures(outcomes: list[Outcome]) -> dict:
    answerable = [o for o in outcomes if o.item.answerable]
    unanswerable = [o for o in outcomes if not o.item.answerable]
    abstained = [o for o in outcomes if o.abstained]
    figures: dict = {"questions": len(outcomes), "answerable": len(answerable)}
    if answerable:
        for k in KS:
            figures[f"recall@{k}"] = _share(o.rank is not None and o.rank <= k for o in answerable)
        figures["mrr"] = round(float(np.mean([1 / o.rank if o.rank else 0.0 for o in answerable])), 4)
        figures["answer_hit"] = _share(o.answer_hit for o in answerable)
        figures["false_abstention"] = _share(o.abstained for o in answerable)
    if unanswerable:
        figures["unanswerable"] = len(unanswerable)
        figures["abstention_recall"] = _share(o.abstained for o in unanswerable)
        figures["abstention_precision"] = (
            round(sum(not o.item.answerable for o in abstained) / len(abstained), 4) if abstained else None
        )
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
            wrong.append({"question": o.item.question, "rank": o.rank, "abstained": o.abstained, "answer_hit": o.answer_hit})
        elif not o.item.answerable and not o.abstained:
            wrong.append({"question": o.item.question, "abstained": False})
    return wrong


@dataclass(frozen=True)
class CrossValidation:
    """Abstention on each labelled file by a model fitted on the other files."""

    abstained: int
    unanswerable: int
    falsely_abstained: int
    answerable: int


def calibrate(engine: Engine, files: Sequence[list[EvalItem]]) -> tuple[AbstentionModel, CrossValidation | None]:
    """Fit the abstention model on labelled questions' search signals. With
    two or more files, each file is first decided by a model fitted on the
    others: in-sample figures flatter a model fitted on a few dozen
    unanswerable questions."""
    signals = [[_signals(engine, item) for item in items] for items in files]
    check = None
    if len(files) > 1:
        counts = np.zeros(4, dtype=int)
        for held_out in range(len(files)):
            model = _fit(engine, [s for i, group in enumerate(signals) if i != held_out for s in group])
            for feats, ruled_out, answerable in signals[held_out]:
                abstains = ruled_out or model.should_abstain(feats)
                counts += (abstains and not answerable, not answerable, abstains and answerable, answerable)
        check = CrossValidation(*map(int, counts))
    return _fit(engine, [s for group in signals for s in group]), check


def _signals(engine: Engine, item: EvalItem) -> tuple[dict[str, float], bool, bool]:
    result = engine.search_result(item.question, item.turns)
    return features(item.question, result), vetoed(item.question, result), item.answerable


def _fit(engine: Engine, signals: list[tuple[dict[str, float], bool, bool]]) -> AbstentionModel:
    # Questions the rules decline stay in the fit: leaving them out left too
    # few unanswerable ones, and the files left out fared worse.
    return AbstentionModel.fit([f for f, _, _ in signals], [a for _, _, a in signals], engine.embedder.model_id)
