"""Resolving follow-up questions ("那福建呢？", "And how much were they fined?").

A follow-up leans on the previous question for its topic. It is searched with
its own vector blended with the previous question's, and with both questions'
terms (the previous ones down-weighted), so the new detail it asks about
still decides the ranking. Questions that look elliptical (a pronoun, very
short, or no noun of their own) are treated this way; any other question is
first searched alone, and only retried as a follow-up when alone it finds
nothing (see Engine._retrieve).
"""

from __future__ import annotations

import re
from typing import Sequence

from .lexical import tagged
from .sentences import is_chinese
from .types import Turn

# Weight of the previous question in the blended query and of its words in
# the lexical query. Swept over the first half of tests/eval/followups.jsonl
# only: follow-up recall@1 there was 0.82 at 0.5-0.7 and 0.88 from 1.0 to 2.0.
PREVIOUS_WEIGHT = 1.0
PREVIOUS_TERM_WEIGHT = 0.5

_ZH_CUES = re.compile(r"^(那|那么|那个|这|还有|另外|其|它|他们|她们|该)|呢[？?]?$|[它其该]")
_EN_CUES = re.compile(
    r"^(and|what about|how about|also|then|so|but)\b|\b(it|its|they|them|their|those|these|that one|there)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str, history: Sequence[Turn]) -> bool:
    if not history:
        return False
    text = question.strip()
    if is_chinese(text):
        return bool(_ZH_CUES.search(text)) or len(re.sub(r"\W", "", text)) <= 6 or not _has_noun(text)
    return bool(_EN_CUES.search(text)) or len(text.split()) <= 3


def _has_noun(text: str) -> bool:
    """Whether a Chinese question names a thing of its own: "目前已经落实了几项？"
    has no noun, so what it counts must come from the previous question."""
    return any(flag.startswith("n") or flag in {"vn", "eng"} for _, flag in tagged(text))


def previous_question(history: Sequence[Turn]) -> str | None:
    return history[-1].question if history else None
