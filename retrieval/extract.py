"""The short answer: the sentence the answer model ranks first, with the
runner-up beside it when both together are still short next to the
passage, and a sentence too long for a chat reply cut down to its best run
of clauses."""

from __future__ import annotations

from .answer_types import holds_asked
from .lexical import tokenize
from .sentences import is_chinese, split_clauses

# Above this length a sentence is cut down to its best run of clauses, so the
# short answer stays short. Leave-one-corpus-out answer-hit at 160, 250 and
# 400: the same on the Chinese sets, and 4 points more on two English ones
# from 160 to 250 (their sentences are longer in characters).
MAX_ANSWER_CHARS = 250
# The share of the cited passage a short answer may take. Within it, a
# second sentence is added: the answer-model's runner-up holds the fact
# about a tenth as often again as its first choice (calibrate's figures).
MAX_SHARE = 0.4


def short_answer(question: str, sentences: list[str], ranking: list[int]) -> str:
    """`ranking`: indexes of `sentences`, best first."""
    chosen = ranking[:1]
    total = sum(map(len, sentences))
    if len(ranking) > 1 and len(sentences[ranking[0]]) + len(sentences[ranking[1]]) <= MAX_SHARE * total:
        chosen = sorted(ranking[:2])
    if len(chosen) == 1:
        return shorten(question, sentences[chosen[0]])
    return " ".join(sentences[i] for i in chosen) if not is_chinese(sentences[chosen[0]]) else "".join(
        sentences[i] for i in chosen
    )


def shorten(question: str, sentence: str) -> str:
    if len(sentence) <= MAX_ANSWER_CHARS:
        return sentence
    clauses = split_clauses(sentence)
    windows = []
    for start in range(len(clauses)):
        text = ""
        for clause in clauses[start:]:
            if text and len(text) + len(clause) > MAX_ANSWER_CHARS:
                break
            text += clause
        windows.append(text)
    asked = set(tokenize(question))
    if not asked or not windows:
        return sentence

    def score(window: str) -> float:
        return len(asked & set(tokenize(window))) / len(asked) + holds_asked(question, window)

    return max(windows, key=score)
