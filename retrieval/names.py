"""Proper names in a question, and whether the documents ever mention them.

A question about a place, person or organisation the documents never name
cannot be answered by them, however close its other words come: "那福建呢？"
over a corpus without 福建, or "How many red stations has Wuhan set up?" over
one that only speaks of 襄阳. Every similarity score rates such near-misses
like answerable questions, so a name the index has never seen is a veto
rather than one more feature.

Chinese names are found by jieba's part-of-speech tags, less the common
words CC-CEDICT knows that jieba mistags. In English questions
about Chinese documents, names are capitalised words spelt in pinyin
("Wuhan", "Yao Ming"), looked up as the characters that spell them.
Capitalised words that are not pinyin (Berlin, Ministry) or are English
words (June, China) are left alone: only a name we can transcribe can be
looked for. The exceptions are listed in english_names.txt: government
bodies ("Ministry of Commerce", 商务部, which jieba does not always tag)
and places with an English name of their own (Hong Kong, Harbin).

A name is returned as its spellings, any of which the documents may use.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path
from typing import Callable

from . import cedict
from .lexical import tagged
from .sentences import is_chinese

# jieba part-of-speech tags of names: places, people, organisations. Not nz
# ("other proper nouns"): jieba gives it mostly to common compounds (新开工, 护城河).
_NAME_TAGS = {"ns", "nr", "nrt", "nt"}
_PERSON_TAGS = {"nr", "nrt"}
_PLACE_ENDINGS = set("省市县区镇乡村州部局委厅院会司署办")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+\b(?:[ -][A-Z][a-z]+\b)*")


def prepare() -> None:
    """Build the dictionary tables (CC-CEDICT's words and translations, the
    English word list) now: each takes a second or so, which the first
    question would otherwise wait for."""
    _cedict_words()
    _english_words()
    cedict.translations("")


def names_in(text: str) -> tuple[tuple[str, ...], ...]:
    """Every name in a question, each as the spellings it may have in the
    documents: listed names first, then jieba's and pinyin ones."""
    listed = []
    for spellings, pattern in _listed_names():
        # Blanked out, so that "Hong Kong" is not also read as pinyin.
        text, found = pattern.subn(lambda m: " " * len(m.group()), text)
        if found:
            listed.append(spellings)
    return (*listed, *((name,) for name in chinese_names(text) + pinyin_names(text)))


@cache
def _listed_names() -> list[tuple[tuple[str, ...], re.Pattern]]:
    listed = []
    for line in Path(__file__).with_name("english_names.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            chinese, english = ([s.strip() for s in part.split(",")] for part in line.split("|"))
            alternatives = "|".join(map(re.escape, chinese)) + r"|\b(?:" + "|".join(map(re.escape, english)) + r")\b"
            listed.append((tuple(chinese + [e.lower() for e in english]), re.compile(alternatives, re.I)))
    return listed


def chinese_names(text: str) -> list[str]:
    """Place, person and organisation names jieba finds in Chinese text, and
    the Latin words in it ("哪个App", "GDP"), lower-cased as the index keeps
    them: in Chinese text those are names or terms of art."""
    names = _tagged_names(text, _NAME_TAGS)
    if is_chinese(text):
        names += [word.lower() for word in _LATIN_WORD.findall(text)]
    return names


def place_names(text: str) -> list[str]:
    """The names of places jieba finds in Chinese text (天津, 杨浦区)."""
    return _tagged_names(text, {"ns"})


def person_names(text: str) -> list[str]:
    """The names of people jieba finds in Chinese text (陈志, 李先生)."""
    return _tagged_names(text, _PERSON_TAGS)


def _tagged_names(text: str, tags: set[str]) -> list[str]:
    return [word for word, flag in tagged(text) if flag in tags and _is_name(word, flag)]


def _is_name(word: str, flag: str) -> bool:
    """Whether a word jieba tags as a name is one. Not if CC-CEDICT lists it
    only as a common word: jieba's dictionary tags 宁可 and 明白 as people,
    山坡 and 城市 as places. A two-character place or body must moreover be
    one CC-CEDICT knows (兰考, 郑州) or end like one (杨浦区): jieba tags
    the verb 惠及 as a place, and CC-CEDICT does not list it at all."""
    common, proper, _ = _cedict_words()
    if len(word) < 2 or word in common:
        return False
    return flag in _PERSON_TAGS or len(word) > 2 or word in proper or word[-1] in _PLACE_ENDINGS


def is_also_a_word(name: str) -> bool:
    """Whether CC-CEDICT lists a name as a common word too: 新建 is a county
    and "newly built", 海口 a city and "estuary"."""
    return name in _cedict_words()[2]


@cache
def _cedict_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The words CC-CEDICT lists only as common words, its proper nouns, and
    the words it lists both ways. It writes a proper noun's pinyin
    capitalised (Bei3 jing1) and a common word's in lower case (ming2 bai5).
    Loading takes about 0.3 s; `prepare` does it when the engine opens."""
    common, proper = set(), set()
    for entry in cedict.entries():
        (proper if entry.pinyin[:1].isupper() else common).add(entry.simplified)
    return frozenset(common - proper), frozenset(proper), frozenset(common & proper)


def written_in(name: str, text: str) -> bool:
    """Whether `text` writes a name: as itself, spelt out (中建 as 中国建筑),
    or, for a pinyin name, in characters that spell it."""
    if not name.isascii():
        return name in text or abbreviated_in(name, text)
    if re.search(rf"\b{re.escape(name)}\b", text, re.I):
        return True
    return name.isalpha() and pinyin_mentioned(name, text.__contains__)


def abbreviated_in(name: str, text: str) -> bool:
    """Whether `text` spells out a Chinese abbreviation: 中建 for 中国建筑,
    人社部 for 人力资源和社会保障部. An abbreviation keeps the name's
    characters in order, a few apart and within one clause."""
    if name.isascii() or len(name) < 2:
        return False
    return re.search(r"[^，。；、：？！\s]{0,4}?".join(map(re.escape, name)), text) is not None


def pinyin_names(text: str) -> list[str]:
    """Capitalised pinyin names in English text, lower-cased and joined:
    "Wuhan" -> "wuhan", "Yao Ming" -> "yaoming". A word of one syllable is
    only a name together with its neighbours (Hong Kong, Yao Ming); the
    sentence's first word is skipped, as its capital says nothing."""
    names = []
    for run in _CAPITALISED_RUN.finditer(text):
        words = re.split(r"[ -]", run.group().lower())
        if run.start() == 0:
            words = words[1:]
        short: list[str] = []
        for word in words + [""]:
            syllables = _syllables(word)
            if syllables is not None and len(syllables) == 1:
                short.append(word)
                continue
            if len(short) >= 2 and not _is_english("".join(short)):
                names.append("".join(short))
            short = []
            if syllables is not None and len(syllables) >= 2 and not _is_english(word):
                names.append(word)
    return names


def pinyin_mentioned(name: str, knows: Callable[[str], bool]) -> bool:
    """Whether a pinyin name is written somewhere in the index, given its
    test for a term (see `pinyin_spellings`)."""
    return bool(pinyin_spellings(name, knows))


def pinyin_spellings(name: str, knows: Callable[[str], bool]) -> list[str]:
    """The indexed character bigrams that spell a pinyin name, given the
    index's test for a term. Every character bigram is a term (see
    lexical.py), so each pair of adjacent syllables must be spelt by some
    indexed bigram: "wuhan" needs one of 武汉, 吴汉, 五寒... The first
    segmentation spelt throughout wins. This costs some thousands of set
    lookups and nothing at index time."""
    for syllables in _segmentations(name):
        pairs = [
            [first + second for first in _characters(a) for second in _characters(b) if knows(first + second)]
            for a, b in zip(syllables, syllables[1:])
        ]
        if pairs and all(pairs):
            return [bigram for pair in pairs for bigram in pair]
    return []


def _is_english(word: str) -> bool:
    """English words that happen to spell pinyin (June, China, Module) are
    not names; the lookup is Webster's word list from `english-words`."""
    return word in _english_words() or (word.endswith("s") and word[:-1] in _english_words()) or word == "women"


@cache
def _english_words() -> frozenset[str]:
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["web2"], lower=True, alpha=True))


@cache
def _characters_by_syllable() -> dict[str, str]:
    """Toneless syllable -> the common characters (U+4E00..U+9FFF) read so,
    from pypinyin's dictionary, every reading of a polyphonic character
    included. Stripping the tone marks also turns ü into u, as English
    spellings do (Lüliang -> Luliang)."""
    from pypinyin.pinyin_dict import pinyin_dict

    characters: dict[str, list[str]] = {}
    for code, readings in pinyin_dict.items():
        if not 0x4E00 <= code <= 0x9FFF:
            continue
        for reading in readings.split(","):
            bare = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
            characters.setdefault(bare, []).append(chr(code))
    # Interjections written as bare consonants (m, ng, hm) would let English words parse.
    return {s: "".join(chars) for s, chars in characters.items() if re.search("[aeiou]", s)}


def _characters(syllable: str) -> str:
    return _characters_by_syllable().get(syllable, "")


def _syllables(word: str) -> tuple[str, ...] | None:
    """`word` split into pinyin syllables (longest first), or None if it is not pinyin."""
    splits = _segmentations(word)
    return splits[0] if splits else None


# Bounded: the words come from users' questions.
@lru_cache(maxsize=4096)
def _segmentations(word: str) -> tuple[tuple[str, ...], ...]:
    """Every way to split `word` into pinyin syllables: "henan" is he-nan (河南) or hen-an."""
    if not word:
        return ((),)
    splits = []
    for length in range(min(6, len(word)), 0, -1):
        if word[:length] in _characters_by_syllable():
            splits.extend((word[:length],) + rest for rest in _segmentations(word[length:]))
    return tuple(splits)
