from retrieval.extract import MAX_ANSWER_CHARS, short_answer, shorten

SENTENCES = [f"Fact number {i:02d} here." for i in range(10)]  # 20 characters each


def test_fills_the_share_with_the_next_ranked_sentences_in_the_passages_order():
    # 0.4 of ten sentences of the same length holds four of them.
    answer = short_answer("Which fact?", SENTENCES, [1, 0, 9, 3, 2, 4, 5, 6, 7, 8])
    assert answer == "Fact number 00 here. Fact number 01 here. … Fact number 03 here. … Fact number 09 here."


def test_a_passage_of_two_sentences_gets_one():
    assert short_answer("Which fact?", SENTENCES[:2], [1, 0]) == "Fact number 01 here."


def test_chinese_neighbours_are_joined_without_a_space():
    sentences = ["大桥于1932年通车。", "全长503米。"] + ["这是一句很长的与问题无关的话，它只是用来占据篇幅，让这一段落变得更长一些。"] * 2
    assert short_answer("大桥多长？", sentences, [1, 0, 2, 3]) == "大桥于1932年通车。全长503米。"


def test_never_longer_than_the_longest_short_answer():
    sentences = [f"Sentence number {i} says something about the bridge and its long history." for i in range(30)]
    answer = short_answer("What about the bridge?", sentences, list(range(30)))
    assert len(answer) <= MAX_ANSWER_CHARS
    assert answer.startswith(sentences[0])


def test_a_long_sentence_is_cut_to_a_run_of_its_clauses_as_written():
    clause = "the river runs past the old mill and on towards the sea"
    sentence = "In the valley, " + ", ".join([clause] * 4) + ", and the bridge over it is 503 metres long, built in 1932."
    answer = shorten("How long is the bridge?", sentence)
    assert len(answer) <= MAX_ANSWER_CHARS
    assert "503 metres" in answer
    assert answer in sentence  # a slice: the spaces after the commas are kept
