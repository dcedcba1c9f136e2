"""The types that cross module boundaries: what ingestion produces, what search
returns and what every front end renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Passage:
    """A paragraph (or a piece of a long one) as stored in the index."""

    id: str
    document: str
    paragraph: int  # 1-based, as a reader counts paragraphs
    section: str | None
    text: str
    start: int  # character offsets into the decoded document
    end: int
    # 1-based PDF page the passage starts on; None for other formats (and for
    # indexes written before pages existed, which still load).
    page: int | None = None


@dataclass(frozen=True)
class Hit:
    passage: Passage
    dense: float
    lexical: float
    fused: float
    rank: int  # 1-based
    row: int = -1  # position in the index version it came from


@dataclass(frozen=True)
class Citation:
    n: int
    document: str
    paragraph: int
    section: str | None
    text: str
    score: float
    page: int | None = None  # PDF page, 1-based


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, used to resolve follow-ups."""

    question: str
    answer: str | None = None


@dataclass
class Answer:
    question: str
    answer: str | None
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The question as it was searched, when a follow-up was expanded with the
    # previous turn; not part of the public JSON schema.
    resolved_question: str | None = None

    def to_dict(self) -> dict:
        """The public JSON schema shared by the CLI, the HTTP API and tests."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


@dataclass(frozen=True)
class DocumentInfo:
    name: str
    passages: int
    sha256: str
    indexed_at: str
    pages: int | None = None  # for PDFs


@dataclass(frozen=True)
class IndexInfo:
    version: int
    documents: list[DocumentInfo]
    passages: int
    model_id: str
    dim: int
    kind: str
    built_at: str
