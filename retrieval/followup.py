"""Resolving follow-up questions ("那福建呢？", "And how much were they fined?").

A follow-up leans on the previous question for its topic. It is searched
with its own vector blended with the previous question's, and with both
questions' terms (the previous ones down-weighted), so the new detail it
asks about still decides the ranking.

Only a question that reads as elliptical is a follow-up: one that refers
back by a pronoun or a leading "and / what about / 那", that ends in 呢 or
"is that?", that has no noun of its own, or an English one of three words
or fewer ("And the fine?"). These are whole words (jieba's, or Latin
words), never substrings: 其他 and 应该 hold 其 and 该 but refer to nothing.
A question with a subject of its own is always searched alone, so an
unrelated question after an on-topic one can still get "not found".
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from .lexical import tagged
from .search import Query
from .sentences import is_chinese
from .types import Turn

# Weight of the previous question in the blended query and of its words in
# the lexical query. Swept over the first half of tests/eval/followups.jsonl
# only: follow-up recall@1 there was 0.82 at 0.5-0.7 and 0.88 from 1.0 to 2.0.
PREVIOUS_WEIGHT = 1.0
PREVIOUS_TERM_WEIGHT = 0.5

_ZH_POINTERS = {"它", "它们", "其", "该", "这", "那", "这个", "那个", "这些", "那些", "他们", "她们", "此"}
_ZH_OPENERS = ("那", "那么", "还有", "另外", "此外")
_EN_POINTERS = {"it", "its", "they", "them", "their", "those", "these", "he", "she", "his", "her", "him"}
_EN_OPENERS = re.compile(r"^(?:and|what about|how about|also|then)\b", re.IGNORECASE)
# "How many people is that?": a demonstrative standing for what was said.
_EN_CLOSERS = re.compile(r"\b(?:that|this|those|these)\s*[?.!]*$", re.IGNORECASE)


def is_follow_up(question: str, history: Sequence[Turn]) -> bool:
    if not history:
        return False
    text = question.strip()
    if is_chinese(text):
        words = [(w, flag) for w, flag in tagged(text) if w.strip()]
        return (
            any(w in _ZH_POINTERS for w, _ in words)
            or (bool(words) and words[0][0] in _ZH_OPENERS)
            or text.rstrip("？?。 ").endswith("呢")
            or not any(flag.startswith("n") or flag in {"vn", "eng"} for _, flag in words)
        )
    words = re.findall(r"[a-z']+", text.lower())
    return (
        bool(_EN_OPENERS.search(text) or _EN_CLOSERS.search(text))
        or any(w in _EN_POINTERS for w in words)
        or len(words) <= 3
    )


def previous_question(history: Sequence[Turn]) -> str | None:
    return history[-1].question if history else None


def blend(own: Query, earlier: Query) -> Query:
    """The follow-up's vector blended with the previous question's, and its
    words plus the previous question's at a lower weight."""
    blended = own.vector + PREVIOUS_WEIGHT * earlier.vector
    weights = {t: PREVIOUS_TERM_WEIGHT for t in earlier.terms if t not in own.terms}
    return Query(
        f"{earlier.text} {own.text}",
        (blended / np.linalg.norm(blended)).astype(np.float32),
        own.terms + list(weights),
        list(dict.fromkeys(earlier.words + own.words)),
        weights,
    )
