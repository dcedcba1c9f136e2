"""The decision (answer, or "not found") and the choice of the short
answer's sentence: two logistic models over the general signals of
signals.py, fitted with scikit-learn by `citebot calibrate` on labelled
sets of several corpora and shipped as JSON next to this module.

The models are plain numbers (means, scales, weights), so answering needs
numpy only; the file records the embedding model whose scores they were
fitted on, and `Engine` refuses a file fitted for another model.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .errors import ModelMismatchError, AnswerModelError
from .signals import DECISION_FEATURES, SENTENCE_FEATURES, Signals

SHIPPED_MODEL = Path(__file__).with_name("answer_model.json")


class Decider(Protocol):
    """What `Engine` asks once per question, after search and before the short answer."""

    model_id: str  # the embedding model whose scores it was fitted on

    def answerable(self, signals: Signals) -> bool:
        """Whether the best passage answers the question."""
        ...

    def rank_sentences(self, signals: Signals) -> list[int]:
        """The sentences of the best passage, most likely to hold the answer first."""
        ...


@dataclass
class LogisticModel:
    """P(yes) = sigmoid(weights · (x - mean) / scale + bias); yes when P >= threshold."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    threshold: float = 0.5

    def __post_init__(self) -> None:
        # Folded once into one affine map: a question then costs one product.
        scale = np.asarray(self.scale, dtype=np.float64)
        self._coef = np.asarray(self.weights, dtype=np.float64) / scale
        self._offset = self.bias - float(np.asarray(self.mean, dtype=np.float64) @ self._coef)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return np.atleast_2d(x) @ self._coef + self._offset

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(x)))

    @classmethod
    def fit(
        cls, x: np.ndarray, y: np.ndarray, features: Sequence[str], *, c: float = 1.0, sample_weight: np.ndarray | None = None
    ) -> "LogisticModel":
        """Standardised features, L2-regularised, classes weighted equally."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(x)
        scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
        fitted = LogisticRegression(C=c, class_weight="balanced", max_iter=2000).fit(
            (x - scaler.mean_) / scale, y, sample_weight=sample_weight
        )
        return cls(list(features), scaler.mean_.tolist(), scale.tolist(), fitted.coef_[0].tolist(), float(fitted.intercept_[0]))


@dataclass
class AnswerModel:
    """The shipped Decider: one model for the decision, one for the sentence."""

    model_id: str
    decision: LogisticModel
    sentence: LogisticModel
    fitted_on: list[str]  # the labelled sets, for the record

    def answerable(self, signals: Signals) -> bool:
        if signals.sentences is None:
            return False
        return bool(self.decision.probabilities(signals.decision)[0] >= self.decision.threshold)

    def rank_sentences(self, signals: Signals) -> list[int]:
        return np.argsort(-self.sentence.logits(signals.sentences.features), kind="stable").tolist()

    @classmethod
    def load(cls, path: Path, model_id: str | None = None) -> "AnswerModel":
        """`model_id`, when given, must be the embedding model it was fitted for."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            model = cls(raw["model_id"], LogisticModel(**raw["decision"]), LogisticModel(**raw["sentence"]), raw["fitted_on"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AnswerModelError(f"cannot read the answer model {path}: {exc}; refit it with `citebot calibrate`") from None
        if model.decision.features != list(DECISION_FEATURES) or model.sentence.features != list(SENTENCE_FEATURES):
            raise AnswerModelError(f"the answer model {path} was fitted on other signals; refit it with `citebot calibrate`")
        if model_id is not None and model.model_id != model_id:
            raise ModelMismatchError(
                f"the answer model {path} was fitted for embedding model {model.model_id!r}, not {model_id!r}; "
                f"fit one for it with `citebot calibrate SET... --out FILE` and set answer.model = FILE"
            )
        return model

    def save(self, path: Path) -> None:
        """Written aside and renamed, so a reader never sees half a file."""
        path = Path(path)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")
        os.replace(partial, path)
