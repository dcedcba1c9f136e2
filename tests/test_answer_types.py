"""General answer-type patterns: what a question asks for and whether a text holds it."""

import pytest

from retrieval.answer_types import asked_kinds, holds, holds_asked


@pytest.mark.parametrize(
    "question, kinds",
    [
        ("When did Armstrong walk on the Moon?", {"time"}),
        ("秦始皇是哪一年统一六国的", {"time"}),
        ("How many people live in Normandy?", {"quantity"}),
        ("屏幕刷新率是多少", {"quantity"}),
        ("Who ruled the duchy?", {"person"}),
        ("谁担任县委书记？", {"person"}),
        ("Where is the lighthouse?", {"place"}),
        ("茶叶最早产于哪里？", {"place"}),
        ("几点上班，咨询电话是多少？", {"time", "quantity"}),
        ("What is the main idea?", set()),
    ],
)
def test_what_a_question_asks_for(question, kinds):
    assert asked_kinds(question) == kinds


@pytest.mark.parametrize(
    "text",
    ["Armstrong walked on the Moon on 20 July 1969.", "秦于公元前221年统一六国。", "It was built in the 3rd century.",
     "The war ended in 1815.", "唐代开始流行饮茶。", "会议于3月15日召开。", "July 4, 1776 is remembered.", "Rome fell in AD 476."],
)
def test_times_in_chinese_and_english_forms(text):
    assert holds(text, "time")


@pytest.mark.parametrize("text", ["屏幕刷新率为120Hz。", "It weighs 3.5 kg.", "共有三百名学生。", "About twenty ships sailed."])
def test_quantities_with_any_unit(text):
    assert holds(text, "quantity")


def test_names_in_either_script():
    assert holds("陈志担任富源县委书记。", "person")
    assert holds("The duchy was ruled by Rollo.", "person")
    assert not holds("the duke ruled the region.", "person")


def test_a_text_without_the_asked_kind_holds_none_of_it():
    assert holds_asked("When was it built?", "It is made of stone.") == 0.0
    assert holds_asked("What is it made of?", "It is made of stone.") == 1.0  # nothing particular asked
    assert holds_asked("几点上班，咨询电话是多少？", "咨询电话是12345。") == 0.5
