"""Data safety with real processes and real files: `kill -9` of `citebot
index` at several moments, a second writer refused, readers switching to new
versions while a writer commits (a question in flight finishing on the version
it started on), damage reported by `citebot doctor` and
`citebot ask`, and `citebot rm` / `citebot index --prune` from the command line.

The kill points are deterministic: CITEBOT_TEST_PAUSE_AT (a test hook, see
`retrieval.store.crash_point`) makes the indexer announce a point on stderr and
sleep there; the test then SIGKILLs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from retrieval.engine import Engine
from retrieval.store import IndexStore

from .conftest import ROOT, cache_dir

A = "青石镇的图书馆建于一九八二年，藏书两万册。\n\n图书馆每周一闭馆，其余日子早上八点开门。\n"
A_EDITED = A + "\n图书馆在二〇二三年增设了一间儿童阅览室。\n"
B = "红枫村的水库修好以后，村里的稻田再也不怕干旱了。\n"
B_EDITED = "红枫村的水库修好以后，村里的稻田年年丰收，再也不怕干旱了。\n"
C = "白沙港的灯塔高四十二米，每隔十五秒闪一次白光。\n"
QUESTION_B = "红枫村的水库修好以后稻田怎么样了？"
QUESTION_C = "白沙港的灯塔有多高？"


# ------------------------------------------------------------------ helpers


def _env(index_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEBOT_")}
    env.update(
        CITEBOT_INDEX=str(index_dir),
        CITEBOT_MODEL_CACHE_DIR=str(cache_dir()),
        CI="1",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def citebot(index_dir: Path, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=_env(index_dir, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def kill_at(index_dir: Path, point: str, *args: str, timeout: float = 120, **env: str) -> str:
    """Run `citebot ARGS` until it pauses at `point`, then SIGKILL it; its stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=_env(index_dir, CITEBOT_TEST_PAUSE_AT=point, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lines: list[str] = []
    paused = threading.Event()

    def read() -> None:
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            if f"test pause at {point}" in line:
                paused.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while not paused.wait(0.1):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"citebot never paused at {point!r} (exit {proc.poll()}):\n{''.join(lines)}")
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(5)
    return "".join(lines)


def listing(index_dir: Path) -> dict[str, bytes | None]:
    """Every path in the index dir with its content (None for folders), the lock file aside."""
    return {
        p.relative_to(index_dir).as_posix(): (None if p.is_dir() else p.read_bytes())
        for p in sorted(index_dir.rglob("*"))
        if p.name != ".lock"
    }


def documents(index_dir: Path) -> list[str]:
    return [d.name for d in IndexStore(index_dir).load().info().documents]


def cited(answer) -> list[str]:
    return [c.document for c in answer.citations]


def top_document(engine: Engine, question: str) -> str:
    """Where the best passage for `question` comes from (retrieval only, so the
    assertion does not hang on the abstention model's calibration)."""
    return engine.search(question, k=1)[0].passage.document


def write_docs(folder: Path, docs: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# -------------------------------------------------------------------- tests


@pytest.mark.slow
def test_kill_9_at_any_point_of_indexing_keeps_last_commit_and_next_run_completes(make_engine, embedder, tmp_path):
    base = make_engine({"a.txt": A, "b.txt": B})
    index_dir = base.settings.index.dir
    assert base.info().version == 1
    docs = write_docs(tmp_path / "docs", {"a.txt": A_EDITED, "c.txt": C})  # a edited, b gone, c new
    run = ("index", "--prune", str(docs))

    for point in ("embedding", "staged", "renamed"):
        before = listing(index_dir)
        kill_at(index_dir, point, *run)

        # The last committed version is what loads, whole and correct.
        store = IndexStore(index_dir)
        assert store.current_version() == 1
        assert documents(index_dir) == ["a.txt", "b.txt"]
        reader = Engine.open(base.settings, embedder=embedder)
        assert top_document(reader, QUESTION_B) == "b.txt"
        reader.answer(QUESTION_B)
        with store.writer():  # the dead writer's lock went with it
            pass

        after = listing(index_dir)
        debris = sorted(set(after) - set(before))
        if point == "embedding":  # nothing was written yet
            assert after == before
        elif point == "staged":  # a complete new version aside, never renamed
            assert any(p.startswith(".staging-2-") for p in debris)
            assert not any(p.startswith("v000002") for p in debris)
        else:  # renamed into place, but CURRENT still names version 1
            assert "v000002/manifest.json" in debris
            assert after["CURRENT"] == before["CURRENT"]

    # The next ordinary run does all the work and sweeps the debris away.
    done = citebot(index_dir, *run)
    assert done.returncode == 0, done.stderr
    assert "1 added, 1 updated, 0 unchanged, 1 removed" in done.stdout
    assert IndexStore(index_dir).current_version() == 2
    assert documents(index_dir) == ["a.txt", "c.txt"]
    assert not [p.name for p in index_dir.iterdir() if p.name.startswith(".staging-") or p.name.endswith(".tmp")]
    reader = Engine.open(base.settings, embedder=embedder)
    assert top_document(reader, QUESTION_C) == "c.txt"
    assert "b.txt" not in {h.passage.document for h in reader.search(QUESTION_B, k=10)}


@pytest.mark.slow
def test_second_writer_gets_one_clear_line_and_index_is_unchanged(make_engine, tmp_path):
    index_dir = make_engine({"a.txt": A}).settings.index.dir
    docs = write_docs(tmp_path / "docs", {"a.txt": A_EDITED, "c.txt": C})
    before = listing(index_dir)
    with IndexStore(index_dir).writer():  # this test process is the writer at work
        result = citebot(index_dir, "index", str(docs), timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"citebot: error: the index at {index_dir} is being written by citebot pid {os.getpid()}; "
        "wait for it to finish and try again"
    ]
    assert listing(index_dir) == before
    assert documents(index_dir) == ["a.txt"]


def test_reader_follows_a_writer_without_reopening_and_never_mixes_versions(make_engine, embedder):
    writer = make_engine({"a.txt": A, "b.txt": B}, index=dict(keep_versions=2))
    reader = Engine.open(writer.settings, embedder=embedder)  # a second process would do the same

    versions: dict[int, set[tuple]] = {}

    def record() -> None:
        snap = writer.snapshot()
        versions[snap.version] = {(sp.passage.document, sp.passage.paragraph, sp.passage.text) for sp in snap.passages}

    record()
    comet_question = "观测站发现的彗星编号是什么？"
    answers: dict[str, list] = {comet_question: [], "others": []}
    errors: list[BaseException] = []
    stop = threading.Event()

    def ask(questions: list[str], into: list) -> None:
        i = 0
        while not stop.is_set():
            try:
                question = questions[i % len(questions)]
                into.append(reader.search(question, k=3) if question == comet_question else reader.answer(question))
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)
            i += 1

    def two_more_searches_after_this_commit() -> None:
        """Two more searches for the comet: the second began after the commit."""
        seen, deadline = len(answers[comet_question]), time.monotonic() + 30
        while len(answers[comet_question]) < seen + 2 and not errors and time.monotonic() < deadline:
            time.sleep(0.01)

    threads = [
        threading.Thread(target=ask, args=([comet_question], answers[comet_question])),
        threading.Thread(target=ask, args=([QUESTION_B, "图书馆几点开门？"], answers["others"])),
    ]
    for t in threads:
        t.start()
    try:
        for k in range(1, 4):
            writer.add_document(f"comet-{k}.txt", f"山顶观测站第{k}号报告：天文台发现了一颗新的彗星，编号为C{k}。\n")
            record()
            two_more_searches_after_this_commit()
            if k > 1:
                writer.remove_document(f"comet-{k - 1}.txt")
                record()
                two_more_searches_after_this_commit()
    finally:
        stop.set()
        for t in threads:
            t.join(60)

    assert not errors, errors[:3]
    assert answers["others"]
    together = [{(c.document, c.paragraph, c.text) for c in a.citations} for a in answers["others"]]
    together += [
        {(h.passage.document, h.passage.paragraph, h.passage.text) for h in hits} for hits in answers[comet_question]
    ]
    for group in together:  # what each answer cites existed together in one version
        assert any(group <= passages for passages in versions.values()), sorted(group)
    # The reader switched mid-run: each added document was found while it existed.
    found = {h.passage.document for hits in answers[comet_question] for h in hits}
    assert {"comet-1.txt", "comet-2.txt", "comet-3.txt"} <= found
    assert max(versions) >= 6

    # The reader is on the writer's last commit, found without reopening.
    assert reader.info().version == writer.info().version == max(versions)
    assert [d.name for d in reader.documents()] == ["a.txt", "b.txt", "comet-3.txt"]
    writer.add_document("c.txt", C)
    assert top_document(reader, QUESTION_C) == "c.txt"


class _HeldEmbedder:
    """The real embedder, except that the first question waits at the door
    until the test lets it through: a question held in flight."""

    def __init__(self, inner):
        self._inner = inner
        self.entered, self.go = threading.Event(), threading.Event()

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def embed_queries(self, texts):
        if not self.entered.is_set():
            self.entered.set()
            assert self.go.wait(60)
        return self._inner.embed_queries(texts)


def test_question_in_flight_finishes_on_the_version_it_started_on(make_engine, embedder):
    writer = make_engine({"a.txt": A, "b.txt": B})
    held = _HeldEmbedder(embedder)
    reader = Engine.open(writer.settings, embedder=held)
    result: list = []
    asking = threading.Thread(target=lambda: result.append(reader.answer(QUESTION_B)))
    asking.start()
    try:
        assert held.entered.wait(30)  # the question has started on version 1
        writer.add_document("b.txt", B_EDITED)
        writer.add_document("c.txt", C)
        assert not (writer.settings.index.dir / "v000001").exists()  # its files are gone
    finally:
        held.go.set()
        asking.join(60)

    [in_flight] = result
    assert not in_flight.abstained
    assert in_flight.citations[0].document == "b.txt" and in_flight.citations[0].text == B.strip()
    after = reader.answer(QUESTION_B)  # the next question is on the newest version
    assert after.citations[0].document == "b.txt" and after.citations[0].text == B_EDITED.strip()
    assert reader.info().version == 3


@pytest.mark.slow
def test_doctor_and_ask_report_damage_in_one_line_naming_the_file(make_engine, tmp_path):
    good = make_engine({"a.txt": A, "b.txt": B}).settings.index.dir
    ok = citebot(good, "doctor")
    assert ok.returncode == 0, ok.stderr
    [line] = ok.stdout.strip().splitlines()
    assert line.startswith(f"ok: {good} version 1, 2 documents, ") and "passages" in line

    def truncate(path: Path) -> None:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    def alter(old: str, new: str):
        def damage(path: Path) -> None:
            text = path.read_text(encoding="utf-8")
            assert old in text
            path.write_text(text.replace(old, new), encoding="utf-8")

        return damage

    damaged = {}
    for file, damage in (
        ("vectors.faiss", truncate),
        ("passages.jsonl", alter("两万册", "三万册")),
        ("manifest.json", alter('"kind": "flat"', '"kind": "hnsw"')),
    ):
        copy = tmp_path / f"damaged-{file}"
        shutil.copytree(good, copy)
        damage(copy / "v000001" / file)
        damaged[file] = copy
        result = citebot(copy, "doctor")
        assert result.returncode == 1, result.stdout
        assert "Traceback" not in result.stderr
        [message] = result.stderr.strip().splitlines()
        assert message.startswith("citebot: error: the index is damaged: ")
        assert str(copy / "v000001" / file) in message
        assert "citebot index --rebuild" in message

    result = citebot(damaged["vectors.faiss"], "ask", "图书馆几点开门？")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [message] = [line for line in result.stderr.splitlines() if line.startswith("citebot:")]
    assert "vectors.faiss does not match its checksum" in message and "citebot index --rebuild" in message


@pytest.mark.slow
def test_rm_removes_one_document_from_the_command_line(make_engine):
    engine = make_engine({"a.txt": A, "b.txt": B, "c.txt": C})
    index_dir = engine.settings.index.dir
    result = citebot(index_dir, "rm", "b.txt")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "removed b.txt (index version 2)"
    assert documents(index_dir) == ["a.txt", "c.txt"]
    assert "b.txt" not in {h.passage.document for h in engine.search(QUESTION_B, k=10)}  # a running reader sees it too
