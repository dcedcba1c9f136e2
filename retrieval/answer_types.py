"""What kind of fact a question asks for, and whether a text holds one.

General patterns only, in Chinese and English: a time (years, dates, 公元前,
"20 July 1969", centuries, dynasties' 年间), a quantity (any number, with any
unit or none), a person or a place. They are signals for the short answer
and the decision, never a rule on their own.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .lexical import tagged

KINDS = ("time", "quantity", "person", "place")

_ASKS = {
    "time": re.compile(
        r"什么时候|何时|哪一?年|哪一?天|几月|几号|几日|几时|几点|哪个(?:朝代|世纪|年代|时期|月)|什么(?:年代|时期|朝代|日子|时间)|何年|年份|日期|多少年前"
        r"|\bwhen\b|\bwhat (?:year|date|day|month|time|century|decade|period|era)\b|\bwhich (?:year|date|day|month|century|decade|period|era)\b"
        r"|\bhow long ago\b",
        re.I,
    ),
    "quantity": re.compile(
        r"多少|几[个名位项次件条家所座户元倍批种类场起年月天岁人只支张本篇期届层间周小时分钟秒米公里吨亩]|多[大长高远重宽深久快少]|百分之几|比例|占比"
        r"|\bhow (?:many|much|long|far|big|large|old|tall|high|deep|wide|heavy|often|fast)\b|\bwhat (?:percentage|percent|proportion|share|number|amount|size|length|height|population|price|cost)\b",
        re.I,
    ),
    "person": re.compile(r"谁|哪位|哪些人|什么人|何人|\bwho(?:m|se)?\b", re.I),
    "place": re.compile(r"哪里|哪儿|在哪|什么地方|何地|何处|哪个(?:国家|城市|省|地区|地方)|\bwhere\b|\bwhat (?:country|city|region|place)\b|\bwhich (?:country|city|region|place)\b", re.I),
}

_MONTHS = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_CN_DIGITS = r"[〇零一二三四五六七八九十百千万两]"
_HOLDS = {
    "time": re.compile(
        r"(?:公元前|公元|前)?\d{1,4}\s*年|\d{1,2}\s*月\s*\d{1,2}\s*[日号]|\d{1,2}\s*月|" + _CN_DIGITS + r"{2,4}年|[上下本去今明前后]\s*[年月]"
        r"|\d{1,2}\s*世纪|" + _CN_DIGITS + r"{1,3}世纪|[\u4e00-\u9fff]{1,2}(?:代|朝)(?:初|末|中期|年间|时期)?|年间|\d{4}\s*[-–/]\s*\d{1,4}"
        r"|\b\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTHS + r"\b|\b" + _MONTHS + r"\.?\s+\d{1,2}(?:st|nd|rd|th)?\b|\b" + _MONTHS + r"\s+\d{4}\b"
        r"|\b(?:1[0-9]{3}|20[0-9]{2}|[1-9][0-9]{0,2})\s*(?:BC|BCE|AD|CE)\b|\b(?:AD|CE)\s*\d{1,4}\b|\b1[0-9]{3}s?\b|\b20[0-9]{2}s?\b"
        r"|\b\d{1,2}(?:st|nd|rd|th) century\b|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty-first) century\b"
        r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow)\b",
        re.I,
    ),
    "quantity": re.compile(
        r"\d|[０-９]|" + _CN_DIGITS + r"+(?:[多余]?[个名位项次件条家所座户元倍批种类场起年月天岁人只支张本篇期届层间周米吨亩成])|[百千万亿]"
        r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|half)\b",
        re.I,
    ),
}


@lru_cache(maxsize=4096)
def asked_kinds(question: str) -> frozenset[str]:
    """The kinds of fact a question asks for (none, one, or several for a question in parts)."""
    return frozenset(kind for kind, pattern in _ASKS.items() if pattern.search(question))


def holds(text: str, kind: str) -> bool:
    pattern = _HOLDS.get(kind)
    if pattern is not None:
        return bool(pattern.search(text))
    return bool(_names(text, kind))


def holds_asked(question: str, text: str) -> float:
    """The share of the kinds asked for that the text holds; 1 when none is asked."""
    kinds = asked_kinds(question)
    if not kinds:
        return 1.0
    return sum(holds(text, kind) for kind in kinds) / len(kinds)


_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
# Capitalised only because they start a sentence.
_SENTENCE_STARTERS = set(
    "The A An In On At It Its This That These Those He She They We I His Her Their Our After Before During When While "
    "As By For From Of To With However But And Also Then There Here Although Because Since If Some Many Most Each".split()
)


@lru_cache(maxsize=8192)
def _names(text: str, kind: str) -> tuple[str, ...]:
    """Person or place names: jieba's nr / ns tags in Chinese, capitalised
    words not at a sentence start in Latin text (no way to tell people from
    places there, so both kinds accept them)."""
    flag = "nr" if kind == "person" else "ns"
    chinese = re.search(r"[\u4e00-\u9fff]", text)
    # From the dictionary alone: a surname it tags nr stands for the name
    # that the slow unknown-word guess would have found (陈/nr 志).
    found = [w for w, f in tagged(text, guess_unknown=False) if f == flag and (len(w) > 1 or flag == "nr")] if chinese else []
    found += [n for n in _CAPITALISED.findall(text) if n.split()[0] not in _SENTENCE_STARTERS or " " in n]
    return tuple(found)
