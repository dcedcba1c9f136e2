"""Fitting the answer model (`citebot calibrate`) on labelled sets of
several corpora, with leave-one-corpus-out figures.

Every set weighs the same in the fit, whatever its size, so a corpus with
thousands of questions does not teach the model its own habits. The
decision's threshold is the one that declines the most unanswerable
questions while declining at most `max_false_abstention` of the answerable
ones, on the sets it is fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .decide import AnswerModel, LogisticModel
from .engine import Engine
from .errors import InputError
from .extract import short_answer
from .labelled import ADVERSARIAL, OFF_CORPUS, EvalItem, LabelledSet
from .signals import DECISION_FEATURES, SENTENCE_FEATURES, Signals

# Regularisation (scikit-learn's C) of both models; chosen by the
# leave-one-corpus-out figures of `citebot calibrate`.
C = 1.0


class _Unfitted:
    """Stands in for the answer model while one is being fitted: the
    engine only searches and measures then."""

    model_id = ""

    def answerable(self, signals: Signals) -> bool:
        raise RuntimeError("no answer model while calibrating")

    rank_sentences = answerable


UNFITTED = _Unfitted()


@dataclass
class Sample:
    """What one labelled question contributes to the fit."""

    item: EvalItem
    signals: Signals
    # Per sentence of the best passage: does it hold an answer? None when
    # the best passage has no evidence (nothing to learn about sentences).
    holds_answer: np.ndarray | None


def collect(engine: Engine, labelled: LabelledSet) -> list[Sample]:
    samples = []
    for item in labelled.items:
        result, signals = engine.inspect(item.question, item.turns)
        samples.append(_sample(item, result.hits[0].passage.text if result.hits else "", signals))
    return samples


def _sample(item: EvalItem, top_text: str, signals: Signals) -> Sample:
    holds = None
    if signals.sentences is not None and item.answerable and any(e in top_text for e in item.evidence):
        flags = np.array([any(a in t for a in item.answers) for t in signals.sentences.texts])
        holds = flags if flags.any() else None
    return Sample(item, signals, holds)


def fit(sets: dict[str, list[Sample]], model_id: str, *, max_false_abstention: float = 0.03) -> AnswerModel:
    decision = _fit_decision(sets, max_false_abstention)
    sentence = _fit_sentence(sets)
    return AnswerModel(model_id, decision, sentence, sorted(sets))


def _fit_decision(sets: dict[str, list[Sample]], max_false: float) -> LogisticModel:
    x = np.array([s.signals.decision for group in sets.values() for s in group])
    y = np.array([s.item.answerable for group in sets.values() for s in group])
    _check_both(y, "answerable and unanswerable questions")
    weight = np.concatenate([np.full(len(group), 1 / len(group)) for group in sets.values()])
    model = LogisticModel.fit(x, y, DECISION_FEATURES, c=C, sample_weight=weight * len(sets))
    p = model.probabilities(x)
    # Each set's answerable questions count equally towards the budget.
    order = np.argsort(p[y])
    cumulative = np.cumsum(weight[y][order]) / weight[y].sum()
    allowed = int(np.searchsorted(cumulative, max_false, side="right"))
    model.threshold = float(p[y][order][min(allowed, len(order) - 1)]) - 1e-9
    return model


def _fit_sentence(sets: dict[str, list[Sample]]) -> LogisticModel:
    rows, labels, weights = [], [], []
    for group in sets.values():
        usable = [s for s in group if s.holds_answer is not None]
        for s in usable:
            rows.append(s.signals.sentences.features)
            labels.append(s.holds_answer)
            weights.append(np.full(len(s.holds_answer), 1 / (len(s.holds_answer) * len(usable))))
    _check_both(np.concatenate(labels) if labels else np.array([]), "answerable questions whose best passage has a sentence with the answer and one without")
    return LogisticModel.fit(np.vstack(rows), np.concatenate(labels), SENTENCE_FEATURES, c=C, sample_weight=np.concatenate(weights))


def _check_both(labels: np.ndarray, what: str) -> None:
    if labels.size == 0 or labels.all() or not labels.any():
        raise InputError(f"the labelled sets are too few to fit the answer model: they need {what}")


@dataclass(frozen=True)
class Figures:
    """One set decided by a model fitted without it."""

    answerable: int
    false_abstention: float
    answer_hit: float
    abstention: dict[str, tuple[int, int]]  # kind -> (declined, questions)


def measure(model: AnswerModel, samples: list[Sample]) -> Figures:
    answerable = [s for s in samples if s.item.answerable]
    declined = {id(s) for s in samples if not model.answerable(s.signals)}
    hits = 0
    for s in answerable:
        if id(s) in declined:
            continue
        short = short_answer(s.item.question, s.signals.sentences.texts, model.rank_sentences(s.signals))
        hits += any(a in short for a in s.item.answers)
    kinds: dict[str, tuple[int, int]] = {}
    for s in samples:
        if not s.item.answerable:
            kind = s.item.kind if s.item.kind in (OFF_CORPUS, ADVERSARIAL) else "unanswerable"
            done, total = kinds.get(kind, (0, 0))
            kinds[kind] = (done + (id(s) in declined), total + 1)
    n = max(len(answerable), 1)
    return Figures(len(answerable), sum(id(s) in declined for s in answerable) / n, hits / n, kinds)


def leave_one_out(sets: dict[str, list[Sample]], model_id: str, **options) -> dict[str, tuple[AnswerModel, Figures]]:
    """Each set decided by a model fitted on all the others."""
    report = {}
    for name in sets:
        model = fit({n: g for n, g in sets.items() if n != name}, model_id, **options)
        report[name] = (model, measure(model, sets[name]))
    return report
