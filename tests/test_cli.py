"""The `citebot` command as a user runs it: real subprocesses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, cache_dir


def environment(index: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITEBOT_", "TELEGRAM_"))}
    return env | {"CITEBOT_INDEX": str(index), "CITEBOT_MODEL_CACHE_DIR": str(cache_dir()), **extra}


def citebot(
    *args: str, index: Path, stdin: str | None = None, timeout: int = 180, **env: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment(index, **env),
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
        (["ask", "???"], "the question has no words to search"),
        (["ask", "\u200b"], "the question has no words to search"),
        (["ask", "\u202e\u200b\u200d\ufeff"], "the question has no words to search"),
        (["ask", "😀" * 400], "the question has no words to search"),
    ],
    ids=[
        "missing-index", "empty-question", "huge-question", "missing-path", "doctor-missing-index",
        "punctuation-question", "zero-width-question", "invisible-question", "emoji-question",
    ],
)
def test_bad_input_gets_one_clear_line_and_non_zero_exit(tmp_path, args, message):
    one_line_error(citebot(*args, index=tmp_path / "nowhere"), message)


def test_binary_and_empty_files_are_refused_before_anything_is_written(tmp_path):
    (tmp_path / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    one_line_error(citebot("index", str(tmp_path / "photo.txt"), index=tmp_path / "idx"), "not a text file")
    (tmp_path / "empty.md").write_text("")
    one_line_error(citebot("index", str(tmp_path / "empty.md"), index=tmp_path / "idx"), "empty")
    assert not (tmp_path / "idx").exists()


@pytest.mark.parametrize("name", ["a\u202eb.txt", "a\u200b.txt"])
def test_a_file_name_with_invisible_characters_is_refused(tmp_path, name):
    (tmp_path / name).write_text("Hello.\n", encoding="utf-8")
    one_line_error(citebot("index", str(tmp_path / name), index=tmp_path / "idx"), "invisible character")
    assert not (tmp_path / "idx").exists()


@pytest.mark.parametrize(
    ("config", "env", "message"),
    [
        (None, {"CITEBOT_SEARCH_TOPK": "5"}, "unknown environment variable CITEBOT_SEARCH_TOPK (did you mean CITEBOT_SEARCH_TOP_K?)"),
        (None, {"CITEBOT_TELEGRAM_TOKEN": "1:x"}, "(did you mean TELEGRAM_BOT_TOKEN?)"),
        (None, {"CITEBOT_SEARCH_TOP_K": "five"}, "setting search.top_k has an unusable value 'five'"),
        ("[search]\ntopk = 5\n", {}, "unknown setting search.topk in"),
        ("[serch]\ntop_k = 5\n", {}, "unknown section [serch] in"),
        ("[search]\ntop_k = true\n", {}, "setting search.top_k has an unusable value True (expected int)"),
        ("[model]\nname = 5\n", {}, "setting model.name has an unusable value 5 (expected str)"),
        ("[api]\ntoken = 'x'\n", {}, "secrets are read from the environment only; set CITEBOT_API_TOKEN"),
    ],
    ids=["env-typo", "env-secret-name", "env-type", "toml-typo", "toml-section", "toml-bool", "toml-str", "toml-secret"],
)
def test_an_unknown_setting_or_a_wrong_type_stops_start_up_in_one_line(tmp_path, config, env, message):
    if config is not None:
        (tmp_path / "citebot.toml").write_text(config)
        env = {**env, "CITEBOT_CONFIG": str(tmp_path / "citebot.toml")}
    one_line_error(citebot("doctor", index=tmp_path / "nowhere", **env), message)


@pytest.mark.slow
def test_output_into_a_closed_pipe_ends_quietly(engine):
    """`citebot ask … | head -3`: the reader is gone before the answer is written."""
    question = "教育部举办了多少场互联网+就业指导直播课？"
    asking = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ask", question],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(engine.settings.index.dir),
        cwd=ROOT,
    )
    asking.stdout.close()
    stderr = asking.communicate(timeout=180)[1].decode()
    assert stderr == "" and asking.returncode == 1


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
    assert "indexed 1 document into" in result.stdout
    assert "1 added" in result.stdout and "46 passages" in result.stdout
    again = citebot("index", str(ROOT / "examples"), index=tmp_path / "idx")
    assert "1 unchanged" in again.stdout and "0 embedded" in again.stdout


@pytest.mark.slow
def test_eval_builds_a_throw_away_index_from_squad_json_and_reports_per_kind(tmp_path):
    from .test_labelled import SQUAD

    path = tmp_path / "squad.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    result = citebot("eval", str(path), "--withhold", "0.25", "--json", index=tmp_path / "unused")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["squad"]
    assert report["all"]["questions"] == 40
    assert report["answerable_en"]["answerable"] == 15
    assert report["off_corpus"]["unanswerable"] == 10 and report["adversarial"]["unanswerable"] == 15
    assert 0.0 <= report["answerable_en"]["recall@1"] <= 1.0 and "answer_length_median" in report["answerable_en"]
    assert not (tmp_path / "unused").exists()  # the configured index is left alone
