"""Whom or what a question asks about, and whether a passage speaks of it.

Two common near-misses pass every other test: "Who is the mayor of
Xiangyang?" cited to a passage about Xiangyang that names no mayor, and "How
many rescuers were sent to Zhengzhou?" cited to one that counts the people
rescued. Both ask about a subject (the holder of a title, the kind of person
or thing counted) that their best passage never names, while the topic, the
place and even the kind of fact match.

A subject is a small set of words that mean the same thing, in Chinese and
in English, so that an English question about Chinese documents is checked
against the Chinese words. The lists name what news reports count and
whose names they ask for; a subject they do not list is never checked, so a
missing entry can only let a near-miss through, never decline an answerable
question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .answer_types import asked_type, has_type


@dataclass(frozen=True)
class Subject:
    chinese: str  # regex alternatives, as written in Chinese text
    english: str  # regex alternatives, matched as whole words

    @cache
    def pattern(self, deputy: bool = False) -> re.Pattern:
        # A deputy is not the holder of the title: "副局长" does not name the 局长.
        not_deputy = "" if deputy else r"(?<!副)(?<!deputy )(?<!vice )(?<!vice-)"
        return re.compile(rf"{not_deputy}(?:{self.chinese})|{not_deputy}\b(?:{self.english})\b", re.I)


# Titles whose holder a "who" question may ask for.
TITLES = (
    Subject("市长", "mayors?"),
    Subject("省长", "governors?"),
    Subject("县长", r"county (?:heads?|chiefs?|magistrates?)|magistrates?|heads? of (?:the )?county"),
    Subject("书记", "secretary|secretaries"),
    Subject("部长", "ministers?"),
    Subject("局长", r"bureau (?:chiefs?|directors?|heads?)|(?:directors?|heads?|chiefs?) of (?:the |its )?\w+(?: \w+)? bureau"),
    Subject("主任|局长|处长|所长|司长|署长|厅长|馆长", "directors?"),
    Subject("董事长|主席", "chairman|chairwoman|chairperson|chair"),
    Subject("总经理|总裁|首席执行官|CEO", "ceo|chief executive|general manager|president of the company"),
    Subject("校长", "principals?|headmasters?|headmistress"),
    Subject("院长", "deans?"),
    Subject("村支书|村主任|村长|书记|主任", r"village (?:heads?|chiefs?|leaders?)"),
    Subject("总理", "premiers?|prime ministers?"),
    Subject("总统|主席", "presidents?"),
)

# Kinds of people and things a "how many" question may count.
COUNTED = (
    Subject("救援人员|救援队员|消防员|消防救援人员|指战员|救援者", r"rescuers|rescue (?:workers|personnel|team members)|firefighters"),
    Subject(
        "遇难|死亡|丧生|身亡|罹难|伤亡|受伤|失踪",
        r"died|dead|deaths?|killed|death toll|lost their lives|injured|injuries|casualties|missing",
    ),
    Subject("嫌疑人|嫌犯|抓获|逮捕|拘留|被捕|落网", r"suspects?|arrested|arrests?|detained|detentions?"),
    Subject("学生|毕业生|学子", "students|pupils|graduates"),
    Subject("毕业生", "graduates"),
    Subject("教师|老师", "teachers"),
    Subject("医生|医务人员|医护人员|护士|医师", r"doctors|nurses|medical (?:staff|workers)"),
    Subject("患者|病人|病患", "patients"),
    Subject("志愿者", "volunteers"),
    Subject("游客|旅客", "tourists|travell?ers"),
    Subject("退休人员|离退休|退休职工", "retirees|pensioners"),
    Subject("员工|职工|工人|务工|劳动者|从业人员", "employees|workers|staff"),
    Subject("农民|村民|农户", "farmers|villagers"),
    Subject("党员", r"party members|members of the party"),
    Subject("医院|卫生院|诊所|医疗机构", "hospitals|clinics"),
    Subject("学校|小学|中学|幼儿园|高校|大学|学院", "schools|universities|colleges|kindergartens"),
    Subject("企业|公司|商户|市场主体|厂", "companies|enterprises|firms|businesses|factories"),
    Subject("村", "villages"),
)

_WHO = re.compile(r"谁|叫什么|什么名字|名字是|姓名|哪位|\bwho(?:m|se)?\b|\bname of\b|\bnamed?\b", re.I)
_CLAUSE = re.compile(r"[，。；！？、,;!?]|\.(?=\s)")
_DEPUTY = re.compile(r"副|\bdeputy\b|\bvice\b", re.I)
# Counting questions: how many rescuers, what share of the workers.
_COUNTING = {"people", "quantity", "percent"}
# What is counted stands next to the counting words: "多少名救援人员",
# "遇难人数是多少", "how many suspects were arrested". Farther off, a
# subject is usually someone else: "how many people did rescuers save".
_COUNTED_NEARBY = re.compile(
    r"[^，。？！,.?!]{0,6}(?:多少|几|百分之)[^，。？！,.?!]{0,6}"
    r"|\b(?:how (?:many|much)|what (?:number|percentage|percent|share|proportion|rate))\b(?: of)?(?:\W+\w+){0,4}",
    re.I,
)


def asked_subjects(question: str) -> list[Subject]:
    """The titles a "who" question asks after, or the kinds of people and
    things a counting question counts."""
    return _asked(question)[0]


def _asked(question: str) -> tuple[list[Subject], bool]:
    """The subjects asked about, and whether they are counted. A subject
    only named inside another's words ("workers" in "rescue workers") is not
    asked about on its own."""
    if _WHO.search(question):
        candidates, phrase = TITLES, question
    elif asked_type(question) in _COUNTING:
        candidates, phrase = COUNTED, " | ".join(m.group() for m in _COUNTED_NEARBY.finditer(question))
    else:
        return [], False
    spans = {s: [m.span() for m in s.pattern(deputy=True).finditer(phrase)] for s in candidates}
    every = [span for found in spans.values() for span in found]

    def inside_another(span: tuple[int, int]) -> bool:
        return any(o != span and o[0] <= span[0] and span[1] <= o[1] for o in every)

    return [s for s, found in spans.items() if any(not inside_another(span) for span in found)], candidates is COUNTED


def missing_subject(question: str, text: str) -> bool:
    """True when the question asks about a subject that `text` does not
    name: a title anywhere in it; a kind counted, in a clause with a number
    ("提供岗位信息2066万条" counts job postings, not graduates in work)."""
    subjects, counted = _asked(question)
    deputy = bool(_DEPUTY.search(question))
    places = [c for c in _CLAUSE.split(text) if has_type(c, "quantity")] if counted else [text]
    return any(not any(s.pattern(deputy).search(place) for place in places) for s in subjects)


def holds_asked_fact(question: str, text: str) -> bool:
    """Whether `text` could answer the question: it holds the kind of fact
    asked for (see answer_types) and names the title or kind counted."""
    return has_type(text, asked_type(question)) and not missing_subject(question, text)
