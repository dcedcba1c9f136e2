"""The on-disk index: real FAISS files written and read back, checksums,
the writer lock and atomic versions. No model needed: vectors are random."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from retrieval.errors import IndexCorruptError, IndexLockedError, IndexNotFoundError, ModelMismatchError
from retrieval.storage import Pieces
from retrieval.store import IndexStore, StoredPassage, text_sha
from retrieval.types import Passage

DIM = 8


def stored(i: int, document: str = "a.txt") -> StoredPassage:
    text = f"第{i}段文字 paragraph {i}"
    return StoredPassage(Passage(f"id{i}", document, i, None, text, 0, len(text)), [f"t{i}"], text_sha(text), 1, 1)


def commit(store: IndexStore, n: int = 5, kind: str = "flat", model_id: str = "m1"):
    rng = np.random.default_rng(n)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with store.writer():
        manifest = store.commit(
            model_id=model_id,
            kind=kind,
            passages=[stored(i) for i in range(n)],
            vectors=vectors,
            pieces=Pieces(vectors, np.ones(n, dtype=np.int32), vectors),
            documents={"a.txt": {"sha256": "x", "passages": n, "indexed_at": "now"}},
        )
    return manifest, vectors


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_commit_and_load_round_trip(tmp_path: Path, kind: str):
    store = IndexStore(tmp_path / "idx")
    manifest, vectors = commit(store, kind=kind)
    snapshot = store.load("m1")
    assert snapshot.version == manifest.version == 1
    assert [sp.passage.text for sp in snapshot.passages] == [stored(i).passage.text for i in range(5)]
    assert snapshot.vectors.ntotal == 5
    np.testing.assert_allclose(snapshot.vectors_of([3])[0], vectors[3], rtol=1e-6)
    scores, rows = snapshot.vectors.search(vectors[2:3], 1)
    assert rows[0][0] == 2
    assert snapshot.info().documents[0].name == "a.txt"


def test_versions_advance_and_old_ones_are_collected(tmp_path: Path):
    store = IndexStore(tmp_path, keep_versions=2)
    for n in (3, 4, 5, 6):
        commit(store, n)
    assert store.current_version() == 4
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("v")) == ["v000003", "v000004"]
    assert store.load().manifest.passages == 6


def test_missing_index_is_a_clear_error(tmp_path: Path):
    with pytest.raises(IndexNotFoundError, match="citebot index"):
        IndexStore(tmp_path / "nope").load()
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFoundError):
        IndexStore(tmp_path / "empty").load()


def test_model_mismatch_is_refused_with_advice(tmp_path: Path):
    store = IndexStore(tmp_path)
    commit(store, model_id="model-a")
    with pytest.raises(ModelMismatchError, match="model-a.*model-b.*re-index"):
        store.load("model-b")


@pytest.mark.parametrize(
    "damage",
    [
        lambda v: v.joinpath("vectors.faiss").write_bytes(v.joinpath("vectors.faiss").read_bytes()[:100]),
        lambda v: v.joinpath("vectors.faiss").unlink(),
        lambda v: v.joinpath("passages.jsonl").write_text("{broken\n"),
        lambda v: v.joinpath("passages.jsonl").write_text(
            v.joinpath("passages.jsonl").read_text().replace("paragraph 1", "paragraph X")
        ),
        lambda v: v.joinpath("manifest.json").write_text(
            json.dumps({**json.loads(v.joinpath("manifest.json").read_text()), "passages": 99})
        ),
        lambda v: v.joinpath("manifest.json").write_text("not json"),
        lambda v: v.joinpath("pieces.npy").write_bytes(v.joinpath("pieces.npy").read_bytes()[:-64]),
        lambda v: v.parent.joinpath("CURRENT").write_text("garbage"),
    ],
    ids=["truncated-faiss", "missing-faiss", "broken-passages", "altered-passages", "altered-manifest", "broken-manifest", "truncated-pieces", "bad-pointer"],
)
def test_damage_is_detected_and_names_the_file(tmp_path: Path, damage):
    store = IndexStore(tmp_path)
    commit(store)
    damage(tmp_path / "v000001")
    with pytest.raises(IndexCorruptError, match=r"damaged: .*(faiss|passages|manifest|pieces|CURRENT).*citebot doctor"):
        store.load()


@pytest.mark.parametrize("name", ["pieces.npy", "piece_tokens.npy", "sentences.npy"])
def test_an_unreadable_array_is_named_even_when_its_checksum_matches(tmp_path: Path, name: str):
    # Written wrong rather than damaged later, a file passes its checksum:
    # the message must still name the file that does not load.
    store = IndexStore(tmp_path)
    commit(store)
    version = tmp_path / "v000001"
    (version / name).write_bytes(b"not an array")
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["files"][name] = hashlib.sha256(b"not an array").hexdigest()
    (version / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "CURRENT").write_text(f"1 {hashlib.sha256((version / 'manifest.json').read_bytes()).hexdigest()}")
    with pytest.raises(IndexCorruptError, match=rf"{name.replace('.', '[.]')} cannot be read"):
        store.load()


def test_second_writer_is_refused_while_first_holds_the_lock(tmp_path: Path):
    store = IndexStore(tmp_path)
    with store.writer():
        with pytest.raises(IndexLockedError, match="being written by citebot pid"):
            with IndexStore(tmp_path).writer():
                pass
    with IndexStore(tmp_path).writer():  # released afterwards
        pass


def test_debris_of_a_crashed_write_is_ignored_and_cleaned(tmp_path: Path):
    store = IndexStore(tmp_path)
    commit(store)
    staging = tmp_path / ".staging-2-12345"
    staging.mkdir()
    (staging / "vectors.faiss").write_bytes(b"half written")
    (tmp_path / "v000002").mkdir()  # renamed but CURRENT never updated
    assert store.load().version == 1
    commit(store, 7)
    assert store.load().manifest.passages == 7
    assert not staging.exists()
