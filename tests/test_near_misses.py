"""The abstention vetoes for near-miss questions: a best passage without the
kind of fact asked for, and names the documents never mention."""

import pytest

from retrieval.answer_types import asked_type, has_type
from retrieval.names import pinyin_mentioned, pinyin_names


@pytest.mark.parametrize(
    "question, kind",
    [
        ("退休人员基本养老金上调了百分之几？", "percent"),
        ("What share of costs can outpatients get reimbursed?", "percent"),
        ("这个项目的总投资是多少亿元？", "money"),
        ("How much did the new road cost?", "money"),
        ("应急管理部派出了多少名救援人员？", "people"),
        ("How many Party members took part?", "people"),
        ("林道一共有多长？", "length"),
        ("富源县的新学校占地多少亩？", "area"),
        ("改革是哪一年启动的？", "year"),
        ("When did the pilot begin?", "date"),
        ("办结了多少个项目？", "quantity"),
        # 哪几 asks "which ones", and a "when" clause is not a question about time.
        ("党员干部需要提升哪几种能力？", None),
        ("Where can residents go when they have been turned away?", None),
    ],
)
def test_asked_type(question, kind):
    assert asked_type(question) == kind


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("报销比例也提高到了90%。", "percent", True),
        ("自2021年1月1日起继续提高退休人员基本养老金水平。", "percent", False),
        ("还需要增加一两亿元财政投入。", "money", True),
        ("启动了首批数十项重点研发项目的立项实施工作。", "money", False),
        ("3.2万名党员参与其中。", "people", True),
        ("覆盖了119万参保人员。", "people", True),
        ("观看人次超过1.9亿。", "people", True),
        ("已提供岗位信息2066万条。", "people", False),
        ("村民投票选出了5件实事。", "length", False),
        ("占地70余亩的第三小学。", "area", True),
        ("今年6月正式开工建设。", "year", True),
        ("林道建设排第一。", "quantity", True),
        ("没有任何数字。", "quantity", False),
        ("任何文字", None, True),
    ],
)
def test_has_type(text, kind, expected):
    assert has_type(text, kind) is expected


@pytest.mark.parametrize(
    "question, names",
    [
        ("How many red stations has Wuhan set up?", ["wuhan"]),
        ("How tall is Yao Ming?", ["yaoming"]),
        ("Is an iPhone cheaper in Hong Kong?", ["hongkong"]),
        ("According to Xi Jinping, what matters?", ["jinping"]),
        # English words that spell pinyin, non-pinyin names and the first word are not names.
        ("Which school opened in June in mainland China?", []),
        ("What did the Ministry of Finance of Japan do in Berlin?", []),
        ("Fuyuan is where?", []),
        ("How do I fix a ModuleNotFoundError?", []),
    ],
)
def test_pinyin_names(question, names):
    assert pinyin_names(question) == names


def test_pinyin_names_are_found_through_the_bigrams_that_spell_them():
    terms = {"襄阳", "习近", "近平", "灌南", "南县", "吕梁"}.__contains__
    assert pinyin_mentioned("xiangyang", terms)
    assert pinyin_mentioned("xijinping", terms)
    assert pinyin_mentioned("guannanxian", terms)  # 灌南县
    assert pinyin_mentioned("luliang", terms)  # 吕梁, with ü written u
    assert not pinyin_mentioned("wuhan", terms)
    assert not pinyin_mentioned("xianggang", terms)


@pytest.mark.parametrize(
    "question",
    [
        "How many red stations has Wuhan set up?",  # the article only speaks of Xiangyang
        "2021年退休人员基本养老金总体上调了百分之几？",  # the passage gives the date, not the rate
        "上犹县新修的那条林道一共有多长？",  # the passage names the road, not its length
    ],
)
def test_near_misses_are_not_answered(engine, question):
    assert engine.answer(question).abstained


@pytest.mark.parametrize(
    "question, fact",
    [
        ("How many red stations has Xiangyang set up?", "609个"),
        ("东营市门诊慢性病的报销比例提高到了多少？", "90%"),
        ("教育部的直播课观看人次有多少？", "1.9亿"),
    ],
)
def test_the_answerable_neighbours_of_near_misses_are_answered(engine, question, fact):
    answer = engine.answer(question)
    assert not answer.abstained and fact in answer.citations[0].text
