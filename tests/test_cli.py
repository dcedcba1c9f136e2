"""The `citebot` command as a user runs it: real subprocesses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, cache_dir


def citebot(*args: str, index: Path, stdin: str | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITEBOT_", "TELEGRAM_"))}
    env.update(CITEBOT_INDEX=str(index), CITEBOT_MODEL_CACHE_DIR=str(cache_dir()))
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )


def one_line_error(result: subprocess.CompletedProcess, pattern: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("citebot: error:"), result.stderr
    assert pattern in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", "有什么新闻？"], "no index at"),
        (["ask", ""], "the question is empty"),
        (["ask", "x" * 100_000], "too long"),  # 100 KB: one argv string may not exceed 128 KiB
        (["index", "no/such/path"], "no such file or folder"),
        (["doctor"], "no index at"),
    ],
    ids=["missing-index", "empty-question", "huge-question", "missing-path", "doctor-missing-index"],
)
def test_bad_input_gets_one_clear_line_and_non_zero_exit(tmp_path, args, message):
    one_line_error(citebot(*args, index=tmp_path / "nowhere"), message)


def test_binary_and_empty_files_are_refused_before_anything_is_written(tmp_path):
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    one_line_error(citebot("index", str(tmp_path / "photo.txt"), index=tmp_path / "idx"), "not a text file")
    (tmp_path / "empty.md").write_text("")
    one_line_error(citebot("index", str(tmp_path / "empty.md"), index=tmp_path / "idx"), "empty")
    assert not (tmp_path / "idx").exists()


@pytest.mark.slow
def test_ask_json_batch_and_repl_on_the_sample_index(engine):
    index = engine.settings.index.dir
    result = citebot("ask", "--json", "教育部举办了多少场互联网+就业指导直播课？", index=index)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["abstained"] is False and "65场" in answer["answer"]
    assert answer["citations"][0]["paragraph"] == 21 and set(answer["timings_ms"]) >= {"embed", "search", "total"}

    batch = citebot("ask", "-", index=index, stdin="How many hazardous waste cases were investigated?\n\n" + "x" * 3000 + "\n")
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert "2769" in lines[0]["citations"][0]["text"]
    assert "too long" in lines[1]["error"]
    assert batch.returncode == 1  # one bad line is reported, the batch still completes

    repl = citebot("repl", index=index, stdin="教育部举办了多少场互联网+就业指导直播课？\n:sources 1\n:sources 9\n:quit\n")
    assert repl.returncode == 0, repl.stderr
    assert "[1] party_history_news_zh.txt ¶21" in repl.stdout
    assert "usage: :sources N" in repl.stdout


@pytest.mark.slow
def test_quick_start_indexes_the_bundled_sample(tmp_path):
    result = citebot("index", str(ROOT / "examples"), index=tmp_path / "idx")
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout and "46 passages" in result.stdout
    again = citebot("index", str(ROOT / "examples"), index=tmp_path / "idx")
    assert "1 unchanged" in again.stdout and "0 embedded" in again.stdout
