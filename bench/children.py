"""Child processes of bench.py's indexing-vs-bare section (issue 15).

Each runs as a process of its own, so that the parent can measure it whole
(wall time from start to exit, CPU time and peak RSS from wait4), load
included, without this bench's own memory in the figures.

    python bench/children.py encode TEXTS.json CACHE_DIR OUT.json
    python bench/children.py serve INDEX_DIR CACHE_DIR QUESTIONS.json ROUNDS WARMUP OUT.json

`encode` is the baseline: a bare SentenceTransformer.encode of the texts
citebot indexed, with the same model, prompt and batch size. `serve` opens an
Engine on an index as a server does and times, per question, the bare query
embedding next to Engine.answer.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def vm_kb(field: str) -> int | None:
    """A VmRSS/VmHWM-style line of /proc/self/status, in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def encode(texts_file: str, cache_dir: str, out_file: str) -> None:
    from embeddings import load_embedder

    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    started = time.perf_counter()
    embedder = load_embedder("default", Path(cache_dir))
    loaded = time.perf_counter()
    vectors = embedder._model.encode(texts, prompt=embedder.passage_prompt, batch_size=32, normalize_embeddings=True)
    done = time.perf_counter()
    Path(out_file).write_text(
        json.dumps({"texts": len(vectors), "load_s": round(loaded - started, 3), "encode_s": round(done - loaded, 3)})
    )


def serve(index_dir: str, cache_dir: str, questions_file: str, rounds: str, warmup: str, out_file: str) -> None:
    from config.settings import load_settings
    from retrieval.engine import Engine

    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))
    settings = load_settings({"index": {"dir": index_dir}, "model": {"cache_dir": cache_dir}}, environ={})
    started = time.perf_counter()
    engine = Engine.open(settings)
    loaded = time.perf_counter()
    rss_loaded = vm_kb("VmRSS")
    for q in (questions * 2)[: int(warmup)]:  # first calls build caches (the background null, torch's)
        engine.answer(q)
    embed_ms, answer_ms, answer_embed_ms = [], [], []
    abstained = 0
    # Alternating per question, so both see the same machine load.
    for _ in range(int(rounds)):
        for q in questions:
            t0 = time.perf_counter()
            engine.embedder.embed_queries([q])
            embed_ms.append((time.perf_counter() - t0) * 1000)
            answer = engine.answer(q)
            answer_ms.append(answer.timings_ms["total"])
            answer_embed_ms.append(answer.timings_ms.get("embed", float("nan")))
            abstained += answer.abstained
    Path(out_file).write_text(
        json.dumps(
            {
                "questions": len(questions),
                "rounds": int(rounds),
                "warmup": int(warmup),
                "answered_share": round(1 - abstained / max(len(answer_ms), 1), 3),
                "open_s": round(loaded - started, 3),
                "median_embed_query_ms": round(statistics.median(embed_ms), 3),
                "median_answer_total_ms": round(statistics.median(answer_ms), 3),
                "median_answer_embed_ms": round(statistics.median(answer_embed_ms), 3),
                "rss_after_open_mb": round(rss_loaded / 1024, 1) if rss_loaded else None,
                "rss_after_answers_mb": round(vm_kb("VmRSS") / 1024, 1) if vm_kb("VmRSS") else None,
            }
        )
    )


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    {"encode": encode, "serve": serve}[command](*rest)
