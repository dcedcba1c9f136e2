"""Labelled questions, and the documents they are about, for `citebot eval`
and `citebot calibrate`.

A labelled set comes in one of three shapes:

- a JSONL file of questions about the configured index, one object a line:
  {"question", "evidence": [substrings of a correct passage; empty = the
  documents cannot answer], "answer": str | [str, ...] | null}, optionally
  "history" (earlier questions, for follow-ups), "lang" and "kind";
- a folder with `docs/` (the documents) and `*.jsonl` question files;
- a SQuAD-format JSON file (SQuAD 1.1/2.0, CMRC 2018, DRCD:
  data[].paragraphs[].context/qas), one document per article. `withhold`
  leaves that share of articles out of the index; their questions become
  off-corpus questions that must get "not found", as must SQuAD 2.0's
  `is_impossible` ones.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .ingest import Document, find_documents, read_document
from .sentences import is_chinese, split_sentences
from .types import Turn

ANSWERABLE, OFF_CORPUS, ADVERSARIAL = "answerable", "off_corpus", "adversarial"


@dataclass(frozen=True)
class EvalItem:
    question: str
    evidence: tuple[str, ...]
    answers: tuple[str, ...]  # the short answer should contain one of them
    history: tuple[str, ...] = ()
    lang: str = "zh"
    kind: str = ANSWERABLE
    self_contained: bool = False  # has history, but must be answered as if asked alone

    @property
    def answerable(self) -> bool:
        return bool(self.evidence)

    @property
    def turns(self) -> list[Turn]:
        return [Turn(q) for q in self.history]


@dataclass(frozen=True)
class LabelledSet:
    name: str
    items: list[EvalItem]
    # The documents to index for these questions; None: they are about the
    # configured index.
    documents: list[Document] | None = None
    # Where the set was read from: a cached index for it is kept per source.
    source: Path = field(default=Path("."))


def load_set(path: Path, *, withhold: float = 0.0, seed: int = 0, max_bytes: int = 50_000_000) -> LabelledSet:
    path = Path(path)
    if path.is_dir():
        docs = path / "docs"
        if not docs.is_dir():
            raise InputError(f"{path}: a labelled folder needs a docs/ folder beside its *.jsonl files")
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise InputError(f"{path}: no *.jsonl question files")
        found = find_documents([docs])
        if found.skipped:
            raise InputError(f"{path}: cannot read " + "; ".join(f"{f}: {why}" for f, why in found.skipped))
        documents = [read_document(n, p, max_bytes=max_bytes) for n, p in found.files]
        items = [item for f in files for item in read_jsonl(f)]
        return LabelledSet(path.name, items, documents, path.resolve())
    if not path.is_file():
        raise InputError(f"no such file or folder: {path}")
    if path.suffix.lower() == ".json":
        return read_squad(path, withhold=withhold, seed=seed)
    return LabelledSet(path.stem, read_jsonl(path), None, path.resolve())


def read_jsonl(path: Path) -> list[EvalItem]:
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = row["question"]
            evidence = tuple(row.get("evidence") or ())
            answers = row.get("answer")
            answers = (answers,) if isinstance(answers, str) else tuple(answers or ())
            kind = row.get("kind") or ""
            items.append(
                EvalItem(
                    question=question,
                    evidence=evidence,
                    answers=answers,
                    history=tuple(row.get("history") or ()),
                    lang=row.get("lang") or _language(question),
                    kind=kind if kind in (OFF_CORPUS, ADVERSARIAL) else (ANSWERABLE if evidence else ""),
                    self_contained=bool(row.get("self_contained")),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{path}:{number}: not a valid eval line ({exc})") from None
    if not items:
        raise InputError(f"{path}: no questions found")
    return items


def read_squad(path: Path, *, withhold: float = 0.0, seed: int = 0) -> LabelledSet:
    """Each article is a document of its paragraphs; a question's evidence is
    the sentence of its paragraph that holds the answer."""
    try:
        articles = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
        shuffled = list(range(len(articles)))
        random.Random(seed).shuffle(shuffled)
        withheld = set(shuffled[: int(round(withhold * len(articles)))]) if len(articles) > 1 else set()
        documents, items, names = [], [], set()
        for number, article in enumerate(articles):
            name = _document_name(article.get("title"), number, names)
            contexts = [p["context"].strip() for p in article["paragraphs"]]
            if number not in withheld:
                documents.append(Document(name, "\n\n".join(contexts)))
            for context, paragraph in zip(contexts, article["paragraphs"]):
                # A few published questions are blank; there is nothing to ask.
                for qa in (qa for qa in paragraph["qas"] if qa["question"].strip()):
                    items.append(_squad_item(qa, context, number in withheld))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path}: not SQuAD-format JSON (data[].paragraphs[].context/qas): {exc}") from None
    if not items:
        raise InputError(f"{path}: no questions found")
    return LabelledSet(Path(path).stem, items, documents, Path(path).resolve())


def _squad_item(qa: dict, context: str, withheld: bool) -> EvalItem:
    question = qa["question"].strip()
    answers = tuple(dict.fromkeys(a["text"].strip() for a in qa.get("answers") or () if a["text"].strip()))
    if withheld or qa.get("is_impossible") or not answers:
        kind = OFF_CORPUS if withheld else ADVERSARIAL
        return EvalItem(question, (), (), lang=_language(question), kind=kind)
    evidence = tuple(dict.fromkeys(_sentence_at(context, a.get("answer_start"), a["text"]) for a in qa["answers"]))
    return EvalItem(question, evidence, answers, lang=_language(question))


def _sentence_at(context: str, start: int | None, answer: str) -> str:
    """The sentence holding the answer, or the answer itself where the
    offset is missing or off (CMRC's offsets are sometimes wrong)."""
    if start is None or context[start : start + len(answer)] != answer.strip():
        start = context.find(answer.strip())
        if start < 0:
            return answer.strip()
    cursor = 0
    for sentence in split_sentences(context):
        begin = context.find(sentence, cursor)
        cursor = begin + len(sentence)
        if begin <= start < cursor:
            return sentence if answer.strip() in sentence else answer.strip()
    return answer.strip()


def _document_name(title: str | None, number: int, taken: set[str]) -> str:
    base = (title or "").strip().replace("/", "／")[:150] or f"article {number + 1}"
    name = base if base not in taken else f"{base} ({number + 1})"
    taken.add(name)
    return name


def _language(question: str) -> str:
    return "zh" if is_chinese(question) else "en"
