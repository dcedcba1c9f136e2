"""The generic texts off-topic questions are compared with (retrieval.background)."""

from retrieval.background import Background


class CountingEmbedder:
    def __init__(self, embedder):
        self.inner, self.calls = embedder, 0
        self.model_id = embedder.model_id

    def embed_queries(self, texts):
        self.calls += 1
        return self.inner.embed_queries(texts)


def test_off_topic_question_is_closer_to_the_background_than_a_question_about_the_corpus(embedder, tmp_path):
    background = Background(embedder, tmp_path)
    off_topic, on_topic = embedder.embed_queries(
        ["Which football club won the most league titles?", "How many Party members took part in Chifeng's activities?"]
    )
    assert background.similarity(off_topic) > background.similarity(on_topic)


def test_vectors_are_cached_on_disk_per_model_and_a_damaged_cache_is_rebuilt(embedder, tmp_path):
    counting = CountingEmbedder(embedder)
    first = Background(counting, tmp_path).vectors()
    second = Background(counting, tmp_path).vectors()
    assert counting.calls == 1 and (first == second).all()

    [cached] = (tmp_path / "background").glob("*.npy")
    cached.write_bytes(b"not an array")
    assert (Background(counting, tmp_path).vectors() == first).all()
    assert counting.calls == 2


def test_an_unwritable_cache_only_costs_time(embedder, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would go")
    assert Background(embedder, blocked).vectors().shape[0] > 100


def test_the_null_is_measured_per_index_version_and_pair_of_scripts(make_engine):
    engine = make_engine(
        {
            "zh.txt": "青石桥始建于1462年，全长86米。\n\n如今桥上只许行人通过，车辆须绕行下游的新桥。\n",
            "en.txt": "The lighthouse was built in 1822 on the northern cape.\n\nIts lamp burned whale oil until 1870.\n",
        }
    )
    snapshot, background = engine.snapshot(), engine.background
    english_over_english = background.null(snapshot, False, False)
    # Measured over the passages of each script apart.
    assert english_over_english != background.null(snapshot, False, True)
    assert background.null(snapshot, False, False) is english_over_english  # measured once per version
    engine.add_document("more.txt", "A second lighthouse stands on the southern cape.\n")
    assert background.null(engine.snapshot(), False, False) is not english_over_english
