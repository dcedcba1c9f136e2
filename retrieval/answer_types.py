"""What kind of fact a question asks for, and whether a text has one.

Used twice: to prefer the sentence that holds the kind of fact asked for when
picking the short answer, and as an abstention signal (a question asking for
a year about a passage that has no year in it is probably not answered).
"""

from __future__ import annotations

import re

_NUMERAL = r"[0-9０-９一二三四五六七八九十百千万亿两几]"

_ASKS = [
    ("year", re.compile(r"哪一?年|几几年|什么年份|which year|what year|in what year", re.I)),
    ("date", re.compile(r"什么时候|何时|哪一?天|几月|哪个月|截至什么|when\b|what date|on what day|by when|up to what date", re.I)),
    (
        "quantity",
        re.compile(
            r"多少|几[个项条次家场人年月天万亿名所件种位户元倍批座]|百分之|比例|多大|how (many|much|long|far)"
            r"|what (percentage|share|proportion|number|amount)|by how much",
            re.I,
        ),
    ),
]

_HAS = {
    "year": re.compile(r"(1[89]|20)\d\d\s*年?|今年|去年|明年"),
    "date": re.compile(rf"{_NUMERAL}+\s*[月日号]|[年月]底|[年月]初|今年|去年|上半年|下半年|季度|以来|起"),
    "quantity": re.compile(rf"{_NUMERAL}+(\.\d+)?\s*[%％个项条次家场人万亿名所件种位户元倍批座米亩条余多]|\d"),
}


def asked_type(question: str) -> str | None:
    for name, pattern in _ASKS:
        if pattern.search(question):
            return name
    return None


def has_type(text: str, kind: str | None) -> bool:
    """True when `text` holds a fact of `kind` (always true for no kind)."""
    return kind is None or bool(_HAS[kind].search(text))
