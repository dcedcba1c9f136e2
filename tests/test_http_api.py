"""The HTTP API over real HTTP: a uvicorn server on a free port, httpx as the client."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.http_api import background_server, create_app

from . import documents
from .conftest import ROOT, cache_dir

TOKEN = "test-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY = 64_000

# A document nothing in the sample corpus resembles, so finding it proves it was indexed.
NEW_DOC = {
    "name": "quokka.md",
    "text": "# Rottnest Island\n\nThe quokka Zorblax lives on Rottnest Island and eats saltbush leaves every night.\n\n"
    "Zorblax the quokka weighs three kilograms.",
}
NEW_DOC_QUESTION = "What does the quokka Zorblax eat?"
# For tests that need their own index: indexing the sample corpus takes seconds, this does not.
SMALL_CORPUS = {
    "harbour.md": "# Port Ellery\n\nThe harbour of Port Ellery has twelve fishing boats.\n\n"
    "The lighthouse keeper counts the gulls every morning.",
    "港口.txt": "埃勒里港有十二艘渔船。\n\n灯塔看守人每天早上数海鸥。",
}


@contextmanager
def api_client(engine: Any, **api: Any) -> Iterator[httpx.Client]:
    """A client for a fresh server over `engine`; `api` overrides the [api] settings."""
    settings = engine.settings.replace(
        "api", **{"token": TOKEN, "public_read": False, "cors_origins": (), "max_body_bytes": MAX_BODY, **api}
    )
    with background_server(create_app(engine, settings)) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def client(engine: Any) -> Iterator[httpx.Client]:
    with api_client(engine) as client:
        yield client


def error_of(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Checks the one error body every failure has, and returns its `error`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert "\n" not in error["message"] and "Traceback" not in response.text
    if code is not None:
        assert error["code"] == code, error
    return error


# ---------------------------------------------------------------- endpoints


def test_healthz_and_readyz(client: httpx.Client, engine: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["passages"] == engine.info().passages > 0


def test_ask_returns_the_answer_json_of_the_cli(client: httpx.Client, engine: Any) -> None:
    question = "全国公安在深化“放管服”改革中出台了几条便民措施？"
    response = client.post("/v1/ask", json={"question": question}, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = engine.answer(question).to_dict()
    assert set(body) == set(expected)
    assert {k: v for k, v in body.items() if k != "timings_ms"} == {
        k: v for k, v in expected.items() if k != "timings_ms"
    }
    assert not body["abstained"] and body["citations"]
    assert "total" in body["timings_ms"]


def test_ask_in_english_with_top_k(client: httpx.Client) -> None:
    response = client.post(
        "/v1/ask",
        json={"question": "How many Party members joined the co-building activities in Chifeng?", "top_k": 2},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["citations"]) <= 2


def test_ask_follow_up_uses_history(client: httpx.Client) -> None:
    history = [{"question": "How many hazardous waste cases were investigated?", "answer": None}]
    response = client.post(
        "/v1/ask", json={"question": "And how much were they fined?", "history": history}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    assert response.json()["question"] == "And how much were they fined?"


def test_search_returns_ranked_passages_with_scores(client: httpx.Client) -> None:
    response = client.get("/v1/search", params={"q": "跨省通办", "k": 4}, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == "跨省通办"
    hits = body["hits"]
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1)) and 0 < len(hits) <= 4
    for hit in hits:
        assert set(hit) == {
            "rank", "id", "document", "paragraph", "page", "section", "text", "start", "end", "dense", "lexical", "fused"
        }
    assert "answer" not in body


def test_index_and_documents_describe_the_index(client: httpx.Client, engine: Any) -> None:
    info = engine.info()
    index = client.get("/v1/index", headers=AUTH).json()
    assert index["model_id"] == info.model_id
    assert index["passages"] == info.passages
    assert index["built_at"] == info.built_at
    names = [d.name for d in info.documents]
    assert [d["name"] for d in index["documents"]] == names
    listed = client.get("/v1/documents", headers=AUTH).json()["documents"]
    assert [d["name"] for d in listed] == names


def test_openapi_and_docs(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths) == {
        "/v1/ask", "/v1/search", "/v1/index", "/v1/documents", "/v1/documents/{name}", "/healthz", "/readyz"
    }
    assert "text/html" in client.get("/docs").headers["content-type"]


def test_add_ask_delete_round_trip(make_engine: Any) -> None:
    engine = make_engine(SMALL_CORPUS)
    with api_client(engine) as client:
        added = client.post("/v1/documents", json=NEW_DOC, headers=AUTH)
        assert added.status_code == 201, added.text
        assert added.json()["name"] == NEW_DOC["name"] and added.json()["passages"] >= 1
        assert NEW_DOC["name"] in [d["name"] for d in client.get("/v1/documents", headers=AUTH).json()["documents"]]

        found = client.post("/v1/ask", json={"question": NEW_DOC_QUESTION}, headers=AUTH).json()
        assert NEW_DOC["name"] in [c["document"] for c in found["citations"]], found

        longer = {**NEW_DOC, "text": NEW_DOC["text"] + "\n\nIt sleeps by day."}
        replaced = client.post("/v1/documents", json=longer, headers=AUTH)
        assert replaced.status_code == 200, replaced.text

        deleted = client.delete(f"/v1/documents/{NEW_DOC['name']}", headers=AUTH)
        assert deleted.status_code == 204, deleted.text
        after = client.post("/v1/ask", json={"question": NEW_DOC_QUESTION}, headers=AUTH).json()
        assert NEW_DOC["name"] not in [c["document"] for c in after["citations"]]
        assert NEW_DOC["name"] not in [d["name"] for d in client.get("/v1/documents", headers=AUTH).json()["documents"]]

        # Names travel percent-encoded in the path.
        assert client.delete("/v1/documents/港口.txt", headers=AUTH).status_code == 204
        assert [d["name"] for d in client.get("/v1/documents", headers=AUTH).json()["documents"]] == ["harbour.md"]


# --------------------------------------------------------------------- auth


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/v1/ask", {"json": {"question": "跨省通办"}}),
        ("GET", "/v1/search", {"params": {"q": "跨省通办"}}),
        ("GET", "/v1/index", {}),
        ("GET", "/v1/documents", {}),
        ("POST", "/v1/documents", {"json": NEW_DOC}),
        ("DELETE", "/v1/documents/quokka.md", {}),
    ],
)
@pytest.mark.parametrize(
    ("headers", "challenge"),
    [
        ({}, "Bearer"),
        ({"Authorization": "Bearer wrong-token"}, 'Bearer error="invalid_token"'),
        ({"Authorization": f"Basic {TOKEN}"}, "Bearer"),
        ({"Authorization": f"Bearer {TOKEN}x"}, 'Bearer error="invalid_token"'),
        # Non-ASCII bytes in the header must not break the comparison.
        ({"Authorization": "Bearer t\xf6ken".encode("latin-1")}, 'Bearer error="invalid_token"'),
    ],
)
def test_missing_or_wrong_token_is_401(
    client: httpx.Client, method: str, path: str, kwargs: dict, headers: dict, challenge: str
) -> None:
    response = client.request(method, path, headers=headers, **kwargs)
    error_of(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == challenge


def test_token_never_appears_in_responses_or_logs(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    wrong = client.post("/v1/ask", json={"question": "跨省通办"}, headers={"Authorization": "Bearer guess"})
    right = client.post("/v1/ask", json={"question": "跨省通办"}, headers=AUTH)
    assert wrong.status_code == 401 and right.status_code == 200
    assert TOKEN not in wrong.text + right.text
    assert TOKEN not in caplog.text and "guess" not in caplog.text


@contextmanager
def citebot_serve(index: Path, **env: str) -> Iterator[tuple[str, list[str]]]:
    """`citebot serve --create` as its own process on a free port, with the
    API token set and `env` added: its URL, and its log once it has stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    variables = {k: v for k, v in os.environ.items() if not k.startswith(("CITEBOT_", "TELEGRAM_"))}
    variables |= {"CITEBOT_API_TOKEN": TOKEN, "CITEBOT_INDEX": str(index), "CITEBOT_MODEL_CACHE_DIR": str(cache_dir())}
    serve = [sys.executable, "-m", "bot.cli", "serve", "--create", "--port", str(port)]
    server = subprocess.Popen(
        serve, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=variables | env, cwd=ROOT
    )
    url, log = f"http://127.0.0.1:{port}", []
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "citebot serve did not start"
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url, log
    finally:
        server.send_signal(signal.SIGINT)
        log.append(server.communicate(timeout=30)[0])


@pytest.mark.slow
def test_a_token_in_the_query_string_is_refused_and_kept_out_of_the_access_log(tmp_path: Path) -> None:
    with citebot_serve(tmp_path / "index") as (url, logged):
        for name in ("token", "access_token"):
            error_of(httpx.get(f"{url}/v1/index", params={name: TOKEN}), 401, "unauthorized")
        # With the header the request is served; the query's copy is still not logged.
        assert httpx.get(f"{url}/v1/documents", params={"token": TOKEN}, headers=AUTH).status_code == 200
    [log] = logged
    assert '"GET /v1/index?token=*** HTTP/1.1" 401' in log
    assert '"GET /v1/index?access_token=*** HTTP/1.1" 401' in log
    assert '"GET /v1/documents?token=*** HTTP/1.1" 200' in log
    assert TOKEN not in log


def test_public_read_opens_reads_but_not_writes(engine: Any) -> None:
    with api_client(engine, public_read=True) as client:
        assert client.post("/v1/ask", json={"question": "跨省通办"}).status_code == 200
        assert client.get("/v1/search", params={"q": "跨省通办"}).status_code == 200
        assert client.get("/v1/documents").status_code == 200
        error_of(client.post("/v1/documents", json=NEW_DOC), 401)
        error_of(client.delete("/v1/documents/quokka.md"), 401)


def test_without_a_configured_token_changes_are_refused(engine: Any) -> None:
    with api_client(engine, token=None, public_read=True) as client:
        assert client.post("/v1/ask", json={"question": "跨省通办"}).status_code == 200
        for response in (
            client.post("/v1/documents", json=NEW_DOC, headers=AUTH),
            client.delete("/v1/documents/quokka.md", headers=AUTH),
        ):
            assert "CITEBOT_API_TOKEN" in error_of(response, 403, "writes_disabled")["message"]
    with api_client(engine, token=None, public_read=False) as client:
        refused = client.post("/v1/ask", json={"question": "跨省通办"}, headers=AUTH)
        assert "CITEBOT_API_TOKEN" in error_of(refused, 403, "reads_disabled")["message"]


def test_health_and_schema_need_no_token(client: httpx.Client) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert client.get(path).status_code == 200, path


# ------------------------------------------------------------------- limits


NO_WORDS = ["???", "\u200b", "\u202e\u200b\u200d\ufeff", "😀" * 400]


@pytest.mark.parametrize("question", NO_WORDS, ids=["punctuation", "zero-width-space", "invisible-marks", "emoji"])
def test_a_question_without_letters_or_digits_is_422(client: httpx.Client, question: str) -> None:
    error = error_of(client.post("/v1/ask", json={"question": question}, headers=AUTH), 422, "invalid_input")
    assert error["message"] == "the question has no words to search: ask it in letters or digits"
    error_of(client.get("/v1/search", params={"q": question}, headers=AUTH), 422, "invalid_input")


def test_long_question_is_422(client: httpx.Client, engine: Any) -> None:
    limit = engine.settings.answer.max_question_chars
    assert client.post("/v1/ask", json={"question": "跨" * limit}, headers=AUTH).status_code == 200
    too_long = client.post("/v1/ask", json={"question": "跨" * (limit + 1)}, headers=AUTH)
    error = error_of(too_long, 422, "invalid_request")
    assert str(limit) in error["message"] and error["details"][0]["location"] == "body.question"
    error_of(client.get("/v1/search", params={"q": "x" * (limit + 1)}, headers=AUTH), 422, "invalid_request")
    long_history = [{"question": "x" * (limit + 1)}]
    error_of(client.post("/v1/ask", json={"question": "ok?", "history": long_history}, headers=AUTH), 422)


@pytest.mark.parametrize("top_k", [0, -1, 21, 10**20, "three", 2.5, True, False])
def test_top_k_out_of_range_is_422(client: httpx.Client, top_k: Any) -> None:
    ask = client.post("/v1/ask", json={"question": "跨省通办", "top_k": top_k}, headers=AUTH)
    error_of(ask, 422, "invalid_request")
    error_of(client.get("/v1/search", params={"q": "跨省通办", "k": top_k}, headers=AUTH), 422, "invalid_request")


def test_max_top_k_is_accepted(client: httpx.Client, engine: Any) -> None:
    k = engine.settings.api.max_top_k
    assert client.get("/v1/search", params={"q": "跨省通办", "k": k}, headers=AUTH).status_code == 200


def test_big_body_is_413_with_or_without_content_length(client: httpx.Client) -> None:
    big = b'{"question": "' + b"x" * MAX_BODY + b'"}'
    json_auth = AUTH | {"Content-Type": "application/json"}
    error_of(client.post("/v1/ask", content=big, headers=json_auth), 413, "body_too_large")

    def chunked() -> Iterator[bytes]:
        # A generator body is sent chunked, without Content-Length: only the
        # bytes actually received can trip the limit.
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    streamed = client.post("/v1/ask", content=chunked(), headers=json_auth)
    error_of(streamed, 413, "body_too_large")
    # The limit is on bytes, checked before auth: an anonymous flood is cut off the same way.
    error_of(client.post("/v1/documents", content=big, headers={"Content-Type": "application/json"}), 413)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"question": "\xff\xfe\xfd"}', 400, "invalid_encoding"),
        ('{"question": "跨省通办"}'.encode("gb18030"), 400, "invalid_encoding"),
        (b'{"question": ', 400, "malformed_json"),
        (b"question=hello", 400, "malformed_json"),
        (b"[1, 2, 3]", 422, "invalid_request"),
        (b'{"question": 42}', 422, "invalid_request"),
        (b'{"top_k": 3}', 422, "invalid_request"),
        (b'{"question": ""}', 422, "invalid_request"),
        (b'{"question": "\\ud800"}', 422, "invalid_request"),
        (b'{"question": "ok?", "history": [{"question": "a", "answer": "\\udfff"}]}', 422, "invalid_request"),
        (b'{"question": "a\\u0000b"}', 422, "invalid_input"),
        (b'{"question": "   "}', 422, "invalid_input"),
    ],
)
def test_bad_ask_bodies_are_4xx(client: httpx.Client, body: bytes, status: int, code: str) -> None:
    response = client.post("/v1/ask", content=body, headers=AUTH | {"Content-Type": "application/json"})
    error_of(response, status, code)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/json"])
def test_json_sent_as_another_media_type_is_415(client: httpx.Client, content_type: str) -> None:
    body = b'{"question": "\xe8\xb7\xa8\xe7\x9c\x81\xe9\x80\x9a\xe5\x8a\x9e"}'
    response = client.post("/v1/ask", content=body, headers=AUTH | {"Content-Type": content_type})
    error = error_of(response, 415, "unsupported_media_type")
    assert "Content-Type: application/json" in error["message"] and content_type in error["message"]
    added = client.post("/v1/documents", content=b'{"name": "a.md", "text": "x"}', headers=AUTH | {"Content-Type": content_type})
    error_of(added, 415, "unsupported_media_type")
    # A JSON subtype is JSON.
    assert client.post("/v1/ask", content=body, headers=AUTH | {"Content-Type": "application/vnd.api+json"}).status_code == 200


def test_files_are_uploaded_as_multipart_with_the_same_limits_and_errors(make_engine: Any) -> None:
    engine = make_engine(SMALL_CORPUS)
    with api_client(engine) as client:
        pdf = documents.pdf_bytes()
        added = client.post("/v1/documents", files={"file": ("manual.pdf", pdf, "application/pdf")}, headers=AUTH)
        assert added.status_code == 201, added.text
        assert added.json()["name"] == "manual.pdf" and added.json()["pages"] == 3
        answer = client.post("/v1/ask", json={"question": "档案阅览室的押金是多少？"}, headers=AUTH).json()
        assert not answer["abstained"]
        assert (answer["citations"][0]["document"], answer["citations"][0]["page"]) == ("manual.pdf", 2)
        # Named by a field rather than the file; sent again, it replaces.
        form = {"name": "Handbook.docx"}
        docx = ("ignored.docx", documents.docx_bytes())
        assert client.post("/v1/documents", files={"file": docx}, data=form, headers=AUTH).status_code == 201
        assert client.post("/v1/documents", files={"file": docx}, data=form, headers=AUTH).status_code == 200
        assert {d["name"] for d in client.get("/v1/documents", headers=AUTH).json()["documents"]} >= {
            "manual.pdf", "Handbook.docx",
        }

        def refused(files: dict, status: int, code: str, **kw: Any) -> str:
            return error_of(client.post("/v1/documents", files=files, headers=AUTH, **kw), status, code)["message"]

        locked = documents.pdf_bytes(encrypt="secret")
        assert "encrypted with a password" in refused({"file": ("locked.pdf", locked)}, 422, "invalid_input")
        assert "is a PDF; rename it" in refused({"file": ("lies.txt", pdf)}, 422, "invalid_input")
        assert "unsupported file type" in refused({"file": ("photo.png", b"\x89PNG")}, 422, "invalid_input")
        assert "body.file" in refused({"other": ("a.txt", b"x")}, 422, "invalid_request")
        assert "body.name" in refused({"file": ("a.txt", b"x")}, 422, "invalid_request", data={"name": "../a.txt"})
        refused({"file": ("big.html", b"<p>" + b"x" * MAX_BODY + b"</p>")}, 413, "body_too_large")
        assert "Handbook.docx" in {d.name for d in engine.documents()}  # nothing lost on the way


def test_the_schema_documents_both_document_bodies(client: httpx.Client) -> None:
    body = client.get("/openapi.json").json()["paths"]["/v1/documents"]["post"]["requestBody"]
    assert set(body["content"]) == {"application/json", "multipart/form-data"}
    upload = body["content"]["multipart/form-data"]["schema"]
    assert upload["properties"]["file"]["format"] == "binary" and upload["required"] == ["file"]


@pytest.mark.parametrize(
    "name",
    ["", "a/b.md", "..", ".", "a\\b.md", "x" * 201, "tab\there", " padded.md", "bell\x07.md", "a\u202eb.txt", "a\u200b.txt"],
)
def test_bad_document_names_are_422(client: httpx.Client, name: str) -> None:
    error_of(client.post("/v1/documents", json={"name": name, "text": "hello"}, headers=AUTH), 422, "invalid_request")


def test_empty_document_text_is_422(client: httpx.Client) -> None:
    error_of(client.post("/v1/documents", json={"name": "empty.md", "text": ""}, headers=AUTH), 422)


def test_a_document_with_too_many_passages_is_413_before_anything_is_embedded(
    make_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(SMALL_CORPUS, ingest={"max_passages_per_document": 3})
    embedded: list[str] = []
    embed = engine.embedder.embed_passage_pieces
    monkeypatch.setattr(
        engine.embedder, "embed_passage_pieces", lambda texts, pieces: embedded.extend(texts) or embed(texts, pieces)
    )
    with api_client(engine) as client:
        four = {"name": "long.md", "text": "\n\n".join(f"Paragraph {i} about the lighthouse." for i in range(4))}
        error = error_of(client.post("/v1/documents", json=four, headers=AUTH), 413, "document_too_large")
        assert "4 passages" in error["message"] and "limit of 3" in error["message"]
        assert embedded == []
        assert "long.md" not in [d["name"] for d in client.get("/v1/documents", headers=AUTH).json()["documents"]]
        three = {**four, "text": four["text"].rsplit("\n\n", 1)[0]}
        assert client.post("/v1/documents", json=three, headers=AUTH).status_code == 201


def test_a_write_behind_a_long_one_gets_503_with_retry_after_instead_of_hanging(
    make_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(SMALL_CORPUS, index={"write_wait_seconds": 0.5})
    embedding, release = threading.Event(), threading.Event()
    embed = engine.embedder.embed_passage_pieces

    def slow_embed(texts: list[str], pieces: Any) -> Any:
        embedding.set()
        assert release.wait(30)
        return embed(texts, pieces)

    monkeypatch.setattr(engine.embedder, "embed_passage_pieces", slow_embed)
    with api_client(engine) as client:
        statuses: list[int] = []
        long_add = threading.Thread(
            target=lambda: statuses.append(client.post("/v1/documents", json=NEW_DOC, headers=AUTH).status_code)
        )
        long_add.start()
        try:
            assert embedding.wait(30)
            small = {"name": "small.md", "text": "A small note."}
            for response in (
                client.post("/v1/documents", json=small, headers=AUTH),
                client.delete("/v1/documents/harbour.md", headers=AUTH),
            ):
                error = error_of(response, 503, "index_busy")
                assert response.headers["retry-after"] == "1" and "try again" in error["message"]
                assert response.elapsed.total_seconds() < 5
            # Questions are still answered meanwhile, from the current version.
            assert client.post("/v1/ask", json={"question": "灯塔看守人每天早上做什么？"}, headers=AUTH).status_code == 200
        finally:
            release.set()
            long_add.join(60)
        assert statuses == [201]
        monkeypatch.setattr(engine.embedder, "embed_passage_pieces", embed)
        assert client.post("/v1/documents", json=small, headers=AUTH).status_code == 201


def test_unknown_document_delete_is_404(client: httpx.Client) -> None:
    error = error_of(client.delete("/v1/documents/no-such-document.md", headers=AUTH), 404, "unknown_document")
    assert "no-such-document.md" in error["message"]


def test_unknown_route_and_method_use_the_error_body(client: httpx.Client) -> None:
    error_of(client.get("/v2/ask"), 404, "not_found")
    error_of(client.put("/v1/ask", headers=AUTH), 405, "method_not_allowed")


# --------------------------------------------------------------------- CORS


def test_cors_is_off_by_default(client: httpx.Client) -> None:
    response = client.get("/healthz", headers={"Origin": "https://example.org"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_configured_origins(engine: Any) -> None:
    with api_client(engine, cors_origins=("https://chat.example.org",)) as client:
        preflight = client.options(
            "/v1/ask",
            headers={
                "Origin": "https://chat.example.org",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://chat.example.org"
        other = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


# -------------------------------------------------------------- concurrency


@pytest.mark.slow
def test_asks_during_updates_all_succeed(make_engine: Any) -> None:
    engine = make_engine(SMALL_CORPUS)
    questions = ["灯塔看守人每天早上做什么？", NEW_DOC_QUESTION, "How many boats does the harbour have?"]
    statuses: list[int] = []
    in_flight = threading.Barrier(5)
    stop = threading.Event()

    with api_client(engine) as client:

        def ask_until_stopped() -> None:
            with httpx.Client(base_url=client.base_url, timeout=60) as own:
                in_flight.wait()
                i = 0
                while not stop.is_set() or i < 3:
                    statuses.append(own.post("/v1/ask", json={"question": questions[i % 3]}, headers=AUTH).status_code)
                    i += 1

        askers = [threading.Thread(target=ask_until_stopped) for _ in range(4)]
        for thread in askers:
            thread.start()
        in_flight.wait()
        try:
            longer = {**NEW_DOC, "text": NEW_DOC["text"] + "\n\nMore."}
            updates = [
                client.post("/v1/documents", json=NEW_DOC, headers=AUTH).status_code,
                client.post("/v1/documents", json=longer, headers=AUTH).status_code,
                client.delete(f"/v1/documents/{NEW_DOC['name']}", headers=AUTH).status_code,
            ]
        finally:
            stop.set()
            for thread in askers:
                thread.join()

    assert updates == [201, 200, 204]
    assert len(statuses) >= 12 and set(statuses) == {200}


@pytest.mark.slow
def test_simultaneous_updates_are_serialised(make_engine: Any) -> None:
    engine = make_engine(SMALL_CORPUS)
    names = [f"note-{i}.md" for i in range(3)]
    results: dict[str, int] = {}
    with api_client(engine) as client:

        def add(name: str) -> None:
            with httpx.Client(base_url=client.base_url, timeout=60) as own:
                text = f"Note {name} says the lighthouse keeper counts {len(name)} gulls."
                results[name] = own.post("/v1/documents", json={"name": name, "text": text}, headers=AUTH).status_code

        threads = [threading.Thread(target=add, args=(name,)) for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        listed = {d["name"] for d in client.get("/v1/documents", headers=AUTH).json()["documents"]}

    assert results == {name: 201 for name in names}
    assert set(names) <= listed
