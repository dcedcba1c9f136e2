"""Picking the short answer: the sentence of the cited passage that holds the
fact asked for.

Only sentences that hold the kind of fact asked for (a number, a year...),
name the title or kind of people asked about and, when a name is asked for,
give one the question does not already say, are considered, when the
passage has any. Of those, the one with the best embedding similarity to the
question (which works across languages; sentence vectors are computed at
index time) plus lexical overlap with it (precise for same-language
questions; an English question's words count through their CC-CEDICT
translations) wins.
"""

from __future__ import annotations

import re

import numpy as np

from . import cedict
from .answer_types import asked_type, asks_why, gives_reason, has_type
from .lexical import characters, is_stop_word, tagged, tokenize
from .names import chinese_names, names_in
from .sentences import is_chinese, split_clauses, split_sentences
from .subjects import asks_for_name, holds_asked_fact

# Above this length a sentence is cut down to its best run of clauses, so the
# short answer stays short.
MAX_ANSWER_CHARS = 160
# Swept on the dev set and the tuning files (see README, "Measuring"): 0.5
# to 0.8 picked the right sentence equally often, 0.3 missed one more.
LEXICAL_WEIGHT = 0.5
# Shared characters, on top of shared words: "给老人准备了什么" is answered by
# "针对老年人设置专门服务柜台". Weights from 0.5 to 1 picked the right sentence
# four more times on the tuning and read files; 0.2 two more; none lost one.
CHARACTER_WEIGHT = 0.5
TYPE_BONUS = 0.1
# An English question's words found in a sentence through CC-CEDICT ("team"
# in 党员突击队). 0.3 to 1 picked the right sentence seven more times on the
# tuning and read files (0.1 five more); none lost one.
TRANSLATED_WEIGHT = 0.3
# A programme's or body's name as Chinese news writes it: “幸福美好生活十大工程”.
# Quoted speech has punctuation inside and is not a name.
_QUOTED_NAME = re.compile(r"“[^“”，。；！？,.!?]{2,16}”")


def extract_answer(question: str, query_vector: np.ndarray, passage_text: str, sentence_vectors: np.ndarray) -> str:
    """`sentence_vectors` holds one row per sentence of `split_sentences(passage_text)`."""
    sentences = split_sentences(passage_text) or [passage_text]
    scores = sentence_vectors @ query_vector + _cue_scores(question, sentences)
    # A question for a number is answered by a sentence with one, "who is the
    # mayor" by one that names the mayor, "which ministries" by one that
    # names some and "why" by one that gives a reason, when the passage has such a sentence.
    holding = np.array([holds_asked_fact(question, s) for s in sentences])
    if asks_for_name(question):
        holding &= _gives_other_names(question, sentences)
    if asks_why(question):
        holding &= np.array([gives_reason(s) for s in sentences], dtype=bool)
    if holding.any():
        scores = np.where(holding, scores, -np.inf)
    best = sentences[int(np.argmax(scores))]
    if len(best) <= MAX_ANSWER_CHARS:
        return best
    return _best_clause_run(question, best)


def _cue_scores(question: str, pieces: list[str]) -> np.ndarray:
    asked = _without_names(question)
    terms, chars = set(tokenize(asked)), characters(asked)
    lexical = np.array(
        [
            len(terms & set(tokenize(p))) / max(len(terms), 1)
            + CHARACTER_WEIGHT * len(chars & characters(p)) / max(len(chars), 1)
            for p in pieces
        ]
    )
    kind = asked_type(question)
    typed = np.array([kind is not None and has_type(p, kind) for p in pieces], dtype=float)
    scores = LEXICAL_WEIGHT * lexical + TYPE_BONUS * typed
    if not is_chinese(question):
        scores += TRANSLATED_WEIGHT * _translated_overlap(asked, pieces)
    return scores


def _translated_overlap(asked: str, pieces: list[str]) -> np.ndarray:
    """For a question not in Chinese, without its names: the share of its
    words that each piece writes in Chinese, by CC-CEDICT. Dense similarity
    alone favours the sentence that repeats the question's names."""
    words = [w for w in re.findall(r"[a-z]{3,}", asked.lower()) if not is_stop_word(w)]
    chinese = [c for c in map(cedict.translations, words) if c]
    if not chinese:
        return np.zeros(len(pieces))
    return np.array([sum(any(c in p for c in options) for options in chinese) / len(chinese) for p in pieces])


def _gives_other_names(question: str, pieces: list[str]) -> np.ndarray:
    """Which pieces give a name the question does not already say: "which
    ministries issued it" is answered by "人社部、财政部印发通知", not by "两部门"."""
    own = [name for spellings in names_in(question) for name in spellings]

    def other(piece: str) -> bool:
        names = chinese_names(piece) + _QUOTED_NAME.findall(piece)
        return any(not any(o in name for o in own) for name in names)

    return np.array([other(p) for p in pieces], dtype=bool)


def _without_names(question: str) -> str:
    """The question without the names in it, nor the nouns right after a
    name ("兰考县政务服务中心"): they say which passage to cite, and then which
    sentence only by pointing at the one that sets the scene."""
    names = {name.lower() for spellings in names_in(question) for name in spellings}
    kept, after_name = [], False
    for word, flag in tagged(question):
        if word.lower() in names:
            after_name = True
        elif not (after_name and flag == "n"):
            after_name = False
            kept.append(word)
    question = "".join(kept)
    # jieba may cut a name differently in a question than names_in found it.
    for name in sorted(names, key=len, reverse=True):
        question = re.sub(re.escape(name), " ", question, flags=re.I)
    return question


def _best_clause_run(question: str, sentence: str) -> str:
    """The window of consecutive clauses, within MAX_ANSWER_CHARS, that best
    matches the question's words and the kind of fact it asks for."""
    clauses = split_clauses(sentence)
    windows = []
    for start in range(len(clauses)):
        text = ""
        for end in range(start, len(clauses)):
            if text and len(text) + len(clauses[end]) > MAX_ANSWER_CHARS:
                break
            text += clauses[end]
        windows.append(text)
    windows = list(dict.fromkeys(w for w in windows if w))
    if not windows:
        return sentence
    return windows[int(np.argmax(_cue_scores(question, windows)))]
