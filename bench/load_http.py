"""Load benchmark for the HTTP API: N concurrent clients asking questions for a
fixed time; prints throughput, latency percentiles and the error count.

    python bench/load_http.py --clients 8 --seconds 20
    python bench/load_http.py --url http://127.0.0.1:8080 --token "$CITEBOT_API_TOKEN" --json

Without --url it indexes the sample corpus into a temporary directory (or
uses --index) and serves it from this process, so the numbers include the
client's share of the CPU; point --url at a separately started
`citebot serve` to keep them apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "party_history_news_zh.txt"
QUESTIONS = [
    "全国公安在深化“放管服”改革中出台了几条便民措施？",
    "How many Party members joined the co-building activities in Chifeng's farming and pastoral areas?",
    "福建确定了多少个“我为群众办实事”项目？",
    "How many people were rescued in the Zhengzhou floods?",
    "上犹县村民投票选出的第一件实事是什么？",
    "Besides losing revenue, how much extra spending will Fuyuan's decision require?",
    "江苏灌南县设了几个外地医保服务站？",
    "What can Mr. Li do at the Yangpu district service centre?",
]


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile; NaN when there are no values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


async def client_loop(client: httpx.AsyncClient, first_question: int, deadline: float, results: Results) -> None:
    i = first_question
    while time.monotonic() < deadline:
        question = QUESTIONS[i % len(QUESTIONS)]
        i += 1
        started = time.perf_counter()
        try:
            response = await client.post("/v1/ask", json={"question": question})
        except httpx.HTTPError as exc:
            results.error(type(exc).__name__)
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        if response.status_code == 200:
            results.latencies_ms.append(elapsed_ms)
        else:
            results.error(f"HTTP {response.status_code}")


async def run_load(url: str, token: str | None, clients: int, seconds: float) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:
        warm_up = await client.post("/v1/ask", json={"question": QUESTIONS[0]})
        if warm_up.status_code != 200:
            raise SystemExit(f"warm-up request failed: HTTP {warm_up.status_code} {warm_up.text}")
        results = Results()
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(client_loop(client, n, deadline, results) for n in range(clients)))
        elapsed = time.monotonic() - started

    latencies = sorted(results.latencies_ms)
    total = len(latencies) + sum(results.errors.values())
    return {
        "url": url,
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": total,
        "ok": len(latencies),
        "errors": sum(results.errors.values()),
        "error_kinds": results.errors,
        "requests_per_second": round(total / elapsed, 2),
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(latencies[-1], 1) if latencies else math.nan,
        },
    }


@contextmanager
def local_server(index_dir: Path | None) -> Iterator[tuple[str, str]]:
    """Serve the sample corpus (or an existing index) from this process."""
    from bot.http_api import background_server, create_app
    from config.settings import load_settings
    from retrieval.engine import Engine
    from retrieval.ingest import Document

    token = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="citebot-bench-") as tmp:
        settings = load_settings({"index": {"dir": str(index_dir or tmp)}, "api": {"token": token}})
        print(f"loading the model and {'the index' if index_dir else 'indexing the sample corpus'}...", file=sys.stderr)
        engine = Engine.open(settings, create=index_dir is None)
        if index_dir is None:
            engine.update(documents=[Document(SAMPLE.name, SAMPLE.read_text(encoding="utf-8"))])
        with background_server(create_app(engine, settings)) as url:
            yield url, token


def report(result: dict) -> str:
    lat = result["latency_ms"]
    lines = [
        f"{result['clients']} clients for {result['seconds']} s against {result['url']}/v1/ask",
        f"requests: {result['requests']} ({result['ok']} ok, {result['errors']} errors)",
        f"throughput: {result['requests_per_second']} requests/s",
        f"latency ms: p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}",
    ]
    if result["error_kinds"]:
        lines.append("errors: " + ", ".join(f"{kind} x{n}" for kind, n in sorted(result["error_kinds"].items())))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to run (default 20)")
    parser.add_argument("--url", help="an already running server; default: start one on the sample corpus")
    parser.add_argument("--token", help="bearer token for --url")
    parser.add_argument("--index", type=Path, help="serve this existing index instead of indexing the sample corpus")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    if args.url:
        result = asyncio.run(run_load(args.url.rstrip("/"), args.token, args.clients, args.seconds))
    else:
        with local_server(args.index) as (url, token):
            result = asyncio.run(run_load(url, token, args.clients, args.seconds))
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
