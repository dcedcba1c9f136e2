"""`citebot repl`: ask questions in a terminal, with line editing and history.

Follow-up questions work as in a chat: the previous question of the session
is passed along. `:sources N` prints cited passage N in full.
"""

from __future__ import annotations

import sys
from pathlib import Path

from retrieval.engine import Engine
from retrieval.errors import CitebotError
from retrieval.types import Answer, Turn

from .render import citation_heading, render_answer

HELP = """Type a question (中文 or English) and press Enter.
  :sources N   show cited passage N in full
  :help        this help
  :quit        leave (or Ctrl-D)"""


def run_repl(engine: Engine, history_file: Path | None = None) -> None:
    _enable_line_editing(history_file)
    info = engine.info()
    print(f"citebot — {len(info.documents)} documents, {info.passages} passages. :help for help, :quit to leave.")
    last: Answer | None = None
    turns: list[Turn] = []
    while True:
        try:
            line = input("citebot> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not line:
            continue
        if line in (":quit", ":q", ":exit"):
            return
        if line in (":help", ":h", "?"):
            print(HELP)
        elif line.startswith(":sources"):
            print(_source(last, line.removeprefix(":sources").strip()))
        elif line.startswith(":"):
            print(f"unknown command {line.split()[0]}; :help lists the commands")
        else:
            try:
                last = engine.answer(line, turns[-1:])
            except CitebotError as exc:
                print(f"error: {exc}")
                continue
            turns.append(Turn(last.resolved_question or line, last.answer))
            print(render_answer(last, engine.settings.answer.quote_chars))


def _source(last: Answer | None, arg: str) -> str:
    if last is None or not last.citations:
        return "no cited passages yet: ask a question first"
    if not arg.isdigit() or not 1 <= int(arg) <= len(last.citations):
        return f"usage: :sources N, with N from 1 to {len(last.citations)}"
    citation = last.citations[int(arg) - 1]
    return f"{citation_heading(citation)}\n{citation.text}"


def _enable_line_editing(history_file: Path | None) -> None:
    if not sys.stdin.isatty():
        return
    try:
        import readline
    except ImportError:  # not on every platform; the REPL still works without it
        return
    if history_file is None:
        return
    history_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        readline.read_history_file(history_file)
    except (FileNotFoundError, OSError):
        pass
    readline.set_history_length(1000)
    import atexit

    atexit.register(_save_history, readline, history_file)


def _save_history(readline, history_file: Path) -> None:
    try:
        readline.write_history_file(history_file)
    except OSError:
        pass
