"""The PostgreSQL backend against a real server (tests/conftest.py starts one
per session, each test gets its own database): the same answers as the files
backend, incremental updates, versions pinned per question, one writer at a
time, clear one-line errors that never show the password, `kill -9` of a
writer, and `citebot serve`, `citebot telegram` and `citebot ask` sharing
one database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from retrieval.engine import Engine
from retrieval.errors import IndexLockedError, IndexUnavailableError, ModelMismatchError
from retrieval.ingest import Document
from retrieval.pg_store import PgStore
from retrieval.storage import Pieces, open_store

from .conftest import EVAL_DIR, ROOT, make_settings, postgres_index
from .fake_bot_api import FakeBotApi
from .test_data_safety import A, A_EDITED, B, C, QUESTION_B, QUESTION_C, _env, citebot, kill_at, write_docs
from .test_http_api import AUTH, NEW_DOC, NEW_DOC_QUESTION, SMALL_CORPUS, citebot_serve
from .test_telegram import TOKEN as BOT_TOKEN

PASSWORD = "s3cret-Hunter2-pw"


def pg_env(url: str) -> dict[str, str]:
    return {"CITEBOT_INDEX_BACKEND": "postgres", "CITEBOT_INDEX_POSTGRES_URL": url}


def ranking(engine: Engine, question: str) -> tuple[list[tuple[str, int]], list[float]]:
    """The top passages, and their dense and lexical scores (pgvector and FAISS
    sum the float32 products in another order: equal to about 1e-6)."""
    hits = engine.search(question, k=10)
    return [(h.passage.document, h.passage.paragraph) for h in hits], [s for h in hits for s in (h.dense, h.lexical)]


def test_postgres_ranks_and_answers_the_labelled_questions_as_the_files_backend(engine, make_engine, postgres_url):
    """Same passages, same vectors, same BM25 formula: the rankings and
    answers of the sample's labelled questions agree exactly, the scores to
    float32 rounding."""
    pg = make_engine(index=postgres_index(postgres_url))
    assert isinstance(pg.store, PgStore)
    questions = [json.loads(line)["question"] for line in (EVAL_DIR / "sample_news_zh" / "dev_qa.jsonl").open()]
    questions += ["In what year did the Berlin Wall fall?", "How many hazardous waste cases were investigated?"]
    for question in questions:
        (ours, our_scores), (theirs, their_scores) = ranking(pg, question), ranking(engine, question)
        assert ours == theirs, question
        assert our_scores == pytest.approx(their_scores, abs=1e-5), question
        ours, theirs = pg.answer(question), engine.answer(question)
        assert (ours.answer, ours.abstained) == (theirs.answer, theirs.abstained), question
        assert [c.score for c in ours.citations] == pytest.approx([c.score for c in theirs.citations], abs=2e-4)
    assert pg.info().passages == engine.info().passages


def test_updates_embed_only_what_is_new_and_keep_every_process_on_one_version(make_engine, embedder, postgres_url):
    writer = make_engine({"a.txt": A, "b.txt": B}, index=postgres_index(postgres_url))
    reader = Engine.open(writer.settings, embedder=embedder)  # another process would do the same
    assert writer.info().version == reader.info().version == 1
    pinned = reader.snapshot()

    again = writer.update(documents=[Document("a.txt", A), Document("b.txt", B)])
    assert (again.unchanged, again.embedded, again.version) == (["a.txt", "b.txt"], 0, 1)
    # a edited (only its new paragraph is embedded), c new, and a copy of b embedded not at all
    edited = writer.update(documents=[Document("a.txt", A_EDITED), Document("c.txt", C), Document("b2.txt", B)])
    assert (edited.updated, sorted(edited.added), edited.embedded) == (["a.txt"], ["b2.txt", "c.txt"], 2)

    # The reader follows without reopening; the view it held stays on version 1.
    assert reader.search(QUESTION_C, k=1)[0].passage.document == "c.txt"
    assert reader.info().version == 2
    assert {pinned.passage(row).document for row in pinned.dense(reader.embedder.embed_queries([QUESTION_C])[0], 10)} == {"a.txt", "b.txt"}
    assert len(pinned.lexical(["灯塔"])[0]) == 0

    pruned = writer.update(documents=[Document("a.txt", A_EDITED)], keep_only={"a.txt"})
    assert sorted(pruned.removed) == ["b.txt", "b2.txt", "c.txt"]
    writer.remove_document("a.txt")
    assert reader.documents() == [] and reader.search(QUESTION_B) == []
    assert open_store(writer.settings).verify().version == 4


def test_old_versions_are_collected_beyond_keep_versions(make_engine, postgres_url):
    engine = make_engine({"a.txt": A}, index=postgres_index(postgres_url) | {"keep_versions": 2})
    for text in (A_EDITED, A, A_EDITED):
        engine.update(documents=[Document("a.txt", text)])
    with psycopg.connect(postgres_url) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM citebot_versions ORDER BY version")]
        oldest = conn.execute("SELECT min(live_from) FROM citebot_passages").fetchone()[0]
    assert versions == [3, 4] and oldest >= 2


def test_rebuild_and_a_changed_model_replace_every_row(make_engine, postgres_url):
    engine = make_engine({"a.txt": A, "b.txt": B}, index=postgres_index(postgres_url))
    rebuilt = engine.update(documents=[Document("a.txt", A), Document("b.txt", B)], rebuild=True)
    assert (rebuilt.embedded, rebuilt.version) == (engine.info().passages, 2)
    store = open_store(engine.settings)
    with store.writer():  # another model, of another dimension, wrote the index
        store.commit(model_id="other", kind="flat", passages=[], vectors=np.zeros((0, 3), np.float32),
                     pieces=Pieces(np.zeros((0, 3), np.float32), np.zeros(0, np.int32), np.zeros((0, 3), np.float32)),
                     documents={})
    with pytest.raises(ModelMismatchError, match="was built with model 'other'"):
        Engine.open(engine.settings, embedder=engine.embedder)
    back = engine.update(documents=[Document("a.txt", A)])
    assert (back.added, back.embedded, back.version) == (["a.txt"], back.passages, 4)
    assert store.verify().documents[0].name == "a.txt"
    assert engine.search(QUESTION_B, k=5)[0].passage.document == "a.txt"


def test_a_second_writer_is_refused_at_once_and_a_changed_model_is_named(make_engine, postgres_url):
    engine = make_engine({"a.txt": A}, index=postgres_index(postgres_url))
    store = open_store(engine.settings)
    with store.writer():
        with pytest.raises(IndexLockedError, match=r"is being written by citebot pid \d+; wait"):
            with open_store(engine.settings).writer():
                pass
    with open_store(engine.settings).writer():  # released with its connection
        pass
    with pytest.raises(ModelMismatchError, match="was built with model .* but the configured model is 'other'"):
        store.load(expected_model_id="other")


def test_doctor_and_ask_work_from_the_command_line(make_engine, postgres_url, tmp_path):
    make_engine({"a.txt": A, "b.txt": B}, index=postgres_index(postgres_url))
    doctor = citebot(tmp_path / "unused", "doctor", **pg_env(postgres_url))
    assert doctor.returncode == 0, doctor.stderr
    assert doctor.stdout.startswith("ok: postgresql://") and "version 1, 2 documents" in doctor.stdout
    with psycopg.connect(postgres_url, autocommit=True) as conn:  # a row lost behind citebot's back
        conn.execute("DELETE FROM citebot_terms WHERE passage_id = (SELECT min(id) FROM citebot_passages)")
    damaged = citebot(tmp_path / "unused", "doctor", **pg_env(postgres_url))
    assert damaged.returncode == 1
    assert damaged.stderr.startswith("citebot: error: the index at postgresql://") and "is damaged" in damaged.stderr


@pytest.fixture
def password_url(postgres_server, postgres_url) -> str:
    """The test database, reached as a role that must log in with a password
    (scram-sha-256 over the server's socket)."""
    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE citebot_pw LOGIN PASSWORD '{PASSWORD}'")
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
        hba.write_text("local all citebot_pw scram-sha-256\n" + hba.read_text())
        conn.execute("SELECT pg_reload_conf()")
    yield make_conninfo(postgres_url, user="citebot_pw", password=PASSWORD)
    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as conn:
        hba.write_text(hba.read_text().replace("local all citebot_pw scram-sha-256\n", ""))
        conn.execute("SELECT pg_reload_conf()")


def test_a_wrong_password_or_an_unreachable_server_is_one_line_without_the_password(password_url, tmp_path):
    assert PgStore(password_url).current_version() is None  # the right password gets in
    wrong = make_conninfo(password_url, password=PASSWORD[::-1])
    unreachable = f"postgresql://citebot_pw:{PASSWORD}@127.0.0.1:1/citebot?connect_timeout=3"
    for url, reason in ((wrong, "password authentication failed"), (unreachable, "127.0.0.1")):
        for command in (("ask", "what?"), ("doctor",), ("index", str(write_docs(tmp_path / "docs", {"a.txt": A})))):
            result = citebot(tmp_path / "unused", *command, **pg_env(url))
            assert result.returncode == 1, result
            [line] = result.stderr.splitlines()
            assert line.startswith("citebot: error: cannot use the index database postgresql://citebot_pw@"), line
            assert reason in line
            assert PASSWORD not in result.stdout + result.stderr and PASSWORD[::-1] not in result.stdout + result.stderr
    with pytest.raises(IndexUnavailableError) as raised:
        PgStore(wrong).load()
    assert PASSWORD[::-1] not in str(raised.value) and PASSWORD[::-1] not in repr(make_settings(tmp_path, index=postgres_index(wrong)))


def test_an_outage_mid_question_is_a_clear_error_and_the_index_is_intact(make_engine, postgres_server, postgres_url):
    engine = make_engine({"a.txt": A, "b.txt": B}, index=postgres_index(postgres_url))
    dbname = conninfo_to_dict(postgres_url)["dbname"]
    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,))
    with pytest.raises(IndexUnavailableError, match="cannot use the index database .*: .*terminat"):
        engine.answer(QUESTION_B)
    assert engine.search(QUESTION_B, k=1)[0].passage.document == "b.txt"  # a fresh connection, nothing lost


@pytest.mark.slow
def test_kill_9_of_indexing_into_postgres_keeps_the_last_version_and_the_next_run_completes(make_engine, embedder, postgres_url, tmp_path):
    base = make_engine({"a.txt": A, "b.txt": B}, index=postgres_index(postgres_url))
    docs = write_docs(tmp_path / "docs", {"a.txt": A_EDITED, "c.txt": C})
    run = ("index", "--prune", str(docs))
    for point in ("embedding", "staged"):
        kill_at(tmp_path / "unused", point, *run, **pg_env(postgres_url))
        assert open_store(base.settings).current_version() == 1
        reader = Engine.open(base.settings, embedder=embedder)
        assert [d.name for d in reader.documents()] == ["a.txt", "b.txt"]
        assert reader.search(QUESTION_B, k=1)[0].passage.document == "b.txt"
        with open_store(base.settings).writer():  # the dead writer's lock went with its connection
            pass
    done = citebot(tmp_path / "unused", *run, **pg_env(postgres_url))
    assert done.returncode == 0, done.stderr
    assert "1 added, 1 updated, 0 unchanged, 1 removed" in done.stdout and "version 2" in done.stdout
    assert base.search(QUESTION_C, k=1)[0].passage.document == "c.txt"
    assert open_store(base.settings).verify().documents[1].name == "c.txt"


@pytest.mark.slow
def test_serve_telegram_and_ask_share_one_database_without_restarts(postgres_url, tmp_path):
    env = pg_env(postgres_url)
    indexed = citebot(tmp_path / "unused", "index", str(write_docs(tmp_path / "docs", SMALL_CORPUS)), **env)
    assert indexed.returncode == 0, indexed.stderr
    telegram_env = env | {"TELEGRAM_BOT_TOKEN": BOT_TOKEN}

    def cited_by_ask() -> list[str]:
        asked = citebot(tmp_path / "unused", "ask", "--json", NEW_DOC_QUESTION, **env)
        assert asked.returncode == 0, asked.stderr
        return [c["document"] for c in json.loads(asked.stdout)["citations"]]

    with FakeBotApi(BOT_TOKEN) as api, citebot_serve(tmp_path / "unused", **env) as (url, _):
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "telegram"],
            env=_env(tmp_path / "unused", **telegram_env, TELEGRAM_API_BASE_URL=api.base_url),
            cwd=ROOT,
        )
        try:
            api.wait_for(lambda: api.called("getUpdates"), timeout=120)
            added = httpx.post(f"{url}/v1/documents", json=NEW_DOC, headers=AUTH, timeout=120)
            assert added.status_code == 201, added.text

            api.send(api.private_chat(1801), NEW_DOC_QUESTION)
            [reply] = api.wait_sent(1801, timeout=60)
            assert NEW_DOC["name"] in reply.params["text"]
            assert NEW_DOC["name"] in cited_by_ask()

            assert httpx.delete(f"{url}/v1/documents/{NEW_DOC['name']}", headers=AUTH, timeout=60).status_code == 204
            api.send(api.private_chat(1801), NEW_DOC_QUESTION)
            [_, after] = api.wait_sent(1801, 2, timeout=60)
            assert NEW_DOC["name"] not in after.params["text"]
            assert NEW_DOC["name"] not in cited_by_ask()
            served = httpx.get(f"{url}/v1/search", params={"q": NEW_DOC_QUESTION}, headers=AUTH).json()
            assert NEW_DOC["name"] not in json.dumps(served)
        finally:
            bot.terminate()
            bot.wait(30)

