import math

import pytest

from retrieval.lexical import B, BM25, K1, analyse

DOCUMENTS = [["river", "bridge", "river"], ["bridge", "toll"], ["ferry"], []]


def okapi(term: str, row: int, weight: float = 1.0) -> float:
    """BM25 of one term in one passage, written out from its definition."""
    frequency = sum(term in d for d in DOCUMENTS)
    idf = math.log(1 + (len(DOCUMENTS) - frequency + 0.5) / (frequency + 0.5))
    tf = DOCUMENTS[row].count(term)
    average = sum(map(len, DOCUMENTS)) / len(DOCUMENTS)
    return weight * idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(DOCUMENTS[row]) / average))


def test_scores_are_okapi_bm25_summed_over_the_question_terms_with_their_weights():
    rows, scores = BM25(DOCUMENTS).scores(["river", "bridge", "unknown"], {"bridge": 0.5})
    assert rows.tolist() == [0, 1]
    assert scores[0] == pytest.approx(okapi("river", 0) + okapi("bridge", 0, 0.5))
    assert scores[1] == pytest.approx(okapi("bridge", 1, 0.5))


def test_an_unknown_term_has_the_highest_idf_and_an_empty_index_scores_nothing():
    bm25 = BM25(DOCUMENTS)
    assert bm25.idf("unknown") == bm25.max_idf > bm25.idf("ferry") > bm25.idf("bridge")
    assert len(BM25([]).scores(["river"])[0]) == 0


def test_one_segmentation_gives_search_terms_and_content_words():
    terms, words = analyse("大桥的通行费是多少? The toll of 2024")
    assert {"大桥", "通行费", "桥的", "行费", "toll", "2024"} <= set(terms)  # words and bigrams
    assert "的" not in terms and "the" not in terms and "of" not in terms
    assert words == ["toll", "2024", "大桥", "通行费"]
