"""Reading labelled questions: SQuAD-format JSON, JSONL and folders."""

import json

import pytest

from retrieval.errors import InputError
from retrieval.labelled import ADVERSARIAL, ANSWERABLE, OFF_CORPUS, load_set

SQUAD = {
    "version": "v2.0",
    "data": [
        {
            "title": f"Article {n}",
            "paragraphs": [
                {
                    "context": f"Article {n} begins here. The answer of article {n} is forty-{n}. It ends.",
                    "qas": [
                        {"id": f"{n}a", "question": f"What is the answer of article {n}?", "is_impossible": False,
                         "answers": [{"text": f"forty-{n}", "answer_start": 49 + 2 * len(str(n))}]},
                        {"id": f"{n}b", "question": f"What is the question of article {n}?", "is_impossible": True,
                         "answers": [], "plausible_answers": [{"text": "x", "answer_start": 0}]},
                    ],
                }
            ],
        }
        for n in range(20)
    ],
}


@pytest.fixture
def squad_file(tmp_path):
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    return path


def test_squad_articles_become_documents_and_answers_point_at_their_sentence(squad_file):
    labelled = load_set(squad_file)
    assert len(labelled.documents) == 20 and labelled.documents[3].name == "Article 3"
    first = labelled.items[0]
    assert first.kind == ANSWERABLE and first.answers == ("forty-0",)
    assert first.evidence == ("The answer of article 0 is forty-0.",)
    impossible = labelled.items[1]
    assert impossible.kind == ADVERSARIAL and not impossible.answerable and impossible.answers == ()


def test_withheld_articles_leave_the_index_and_their_questions_become_off_corpus(squad_file):
    labelled = load_set(squad_file, withhold=0.25, seed=1)
    indexed = {d.name for d in labelled.documents}
    assert len(indexed) == 15
    off = [i for i in labelled.items if i.kind == OFF_CORPUS]
    assert len(off) == 10 and all(not i.answerable for i in off)  # both questions of 5 articles
    assert all(i.question.split()[-1].rstrip("?") not in {n.split()[-1] for n in indexed} for i in off)
    assert {d.name for d in load_set(squad_file, withhold=0.25, seed=1).documents} == indexed  # reproducible


def test_a_wrong_answer_offset_still_finds_the_answer_sentence(tmp_path):
    data = {"data": [{"title": "t", "paragraphs": [{"context": "First one. 秦统一六国是在公元前221年。最后。", "qas": [
        {"id": "1", "question": "秦始皇哪一年统一六国？", "answers": [{"text": "公元前221年", "answer_start": 0}]}]}]}]}
    path = tmp_path / "cmrc.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert load_set(path).items[0].evidence == ("秦统一六国是在公元前221年。",)


def test_jsonl_answers_may_be_one_string_or_several(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"question": "a?", "evidence": ["x"], "answer": "x"}\n'
        '{"question": "b?", "evidence": ["y"], "answer": ["y", "why"]}\n'
        '{"question": "c?", "evidence": [], "answer": null, "kind": "adversarial"}\n',
        encoding="utf-8",
    )
    items = load_set(path).items
    assert [i.answers for i in items] == [("x",), ("y", "why"), ()]
    assert items[2].kind == ADVERSARIAL and load_set(path).documents is None


def test_a_folder_brings_its_documents(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Alpha is first.\n", encoding="utf-8")
    (tmp_path / "q.jsonl").write_text('{"question": "What is first?", "evidence": ["Alpha"], "answer": "Alpha"}\n')
    labelled = load_set(tmp_path)
    assert [d.name for d in labelled.documents] == ["a.txt"] and len(labelled.items) == 1


@pytest.mark.parametrize("content", ['{"data": [{"paragraphs": [{"qas": []}]}]}', "[1, 2]", "{not json"])
def test_malformed_squad_is_refused_with_a_clear_message(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError, match="SQuAD|no questions"):
        load_set(path)
