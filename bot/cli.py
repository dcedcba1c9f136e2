"""The `citebot` command.

Every subcommand takes --index and --model; flags override environment
variables, which override config files (see config/settings.py). Errors a
user can fix are printed as one line on stderr with a non-zero exit status.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Callable

from config.settings import Settings, SettingsError, load_settings
from embeddings import EmbeddingModelError
from retrieval.errors import CitebotError, InputError

EXIT_ERROR = 1
# `citebot index` indexed the readable files but skipped others (listed on stderr).
EXIT_SKIPPED = 3
SUPPORTED_FILES = ".pdf, .docx, .html, .txt or .md"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(_overrides(args))
        status = args.run(args, settings) or 0
        sys.stdout.flush()  # here, so that a closed pipe is caught below
        return status
    except (CitebotError, SettingsError, EmbeddingModelError) as exc:
        print(f"citebot: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `citebot ask … | head -3`: the reader has all it wanted. Point stdout
        # at /dev/null so that the flush at exit does not fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR


def _overrides(args: argparse.Namespace) -> dict:
    return {
        "index": {"dir": args.index},
        "model": {"name": args.model},
        "search": {"top_k": getattr(args, "top_k", None)},
        "api": {"host": getattr(args, "host", None), "port": getattr(args, "port", None)},
    }


# ------------------------------------------------------------------ commands


def _open(settings: Settings, *, create: bool = False):
    from retrieval.engine import Engine

    return Engine.open(settings, create=create)


def cmd_index(args, settings: Settings) -> int:
    from retrieval.document_names import check_visible
    from retrieval.ingest import find_documents, read_document

    found = find_documents([Path(p) for p in args.paths])
    for name, _ in found.files:
        check_visible(name)
    encoding = args.encoding or settings.ingest.encoding
    documents, skipped = [], list(found.skipped)
    for name, path in found.files:
        try:
            documents.append(read_document(name, path, encoding=encoding, max_bytes=settings.ingest.max_file_bytes))
        except InputError as exc:
            skipped.append((str(path), _without_source(str(exc), str(path))))
    if not documents:
        if len(skipped) == 1:
            raise InputError(f"{skipped[0][0]}: {skipped[0][1]}")
        for file, reason in skipped:
            print(f"citebot: skipped {file}: {reason}", file=sys.stderr)
        raise InputError(f"nothing to index: no readable {SUPPORTED_FILES} files in the given paths")
    _check_not_locked(settings)
    from retrieval.engine import Engine

    engine = Engine.for_writing(settings)
    # A file that is there but unreadable keeps its previous version under
    # --prune: a damaged copy must not cost the document.
    present = {name for name, _ in found.files}
    with _progress_bar() as progress:
        report = engine.update(
            documents=documents,
            keep_only=present if args.prune else None,
            rebuild=args.rebuild,
            progress=progress,
        )
    for document in documents:
        if document.skipped:
            print(f"{document.name}: left out {', '.join(document.skipped)}")
    for file, reason in skipped:
        print(f"citebot: skipped {file}: {reason}", file=sys.stderr)
    print(
        f"indexed {_count(len(documents), 'document')} into {engine.store.location} (version {report.version}): "
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed; {_count(report.passages, 'passage')}, {report.embedded} embedded "
        f"in {report.embed_seconds:.2f} s" + (f"; {_count(len(skipped), 'file')} skipped" if skipped else "")
    )
    return EXIT_SKIPPED if skipped else 0


def _without_source(message: str, source: str) -> str:
    """A reader's message without the leading "path: ", which the report puts first."""
    return message.removeprefix(f"{source}: ")


def _check_not_locked(settings: Settings) -> None:
    """Refuse at once, not after the slow model load, when another writer is
    at work (update_index takes the lock again for the change itself)."""
    from retrieval.storage import open_store

    with open_store(settings).writer():
        pass


def cmd_rm(args, settings: Settings) -> int:
    engine = _open(settings)
    report = engine.update(remove=args.names)
    print(f"removed {', '.join(report.removed)} (index version {report.version})")
    return 0


def cmd_ask(args, settings: Settings) -> int:
    from retrieval.engine import check_question

    from .render import render_answer

    if args.question != "-":
        check_question(args.question, settings.answer.max_question_chars)  # fail before loading the model
    engine = _open(settings)
    if args.question == "-":
        return _ask_batch(engine)
    answer = engine.answer(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        print(render_answer(answer, settings.answer.quote_chars))
    return 0


def _ask_batch(engine) -> int:
    """One question per stdin line, one JSON object per stdout line. A bad
    line gets an error object instead of stopping the batch."""
    status = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            print(json.dumps(engine.answer(line).to_dict(), ensure_ascii=False), flush=True)
        except InputError as exc:
            print(json.dumps({"question": line.rstrip("\n"), "error": str(exc)}, ensure_ascii=False), flush=True)
            status = EXIT_ERROR
    return status


def cmd_repl(args, settings: Settings) -> int:
    from .repl import run_repl

    run_repl(_open(settings), history_file=settings.model.cache_dir / "repl_history")
    return 0


def cmd_eval(args, settings: Settings) -> int:
    from retrieval import evaluate
    from retrieval.labelled import load_set

    if args.answer_model:
        settings = settings.replace("answer", model=args.answer_model)
    report = {}
    for path in args.sets:
        labelled = load_set(Path(path), withhold=args.withhold, seed=args.seed)
        with _progress_bar() as progress:
            engine = evaluate.engine_for(labelled, settings, progress=progress)
        outcomes = evaluate.run(engine, labelled.items, use_history=not args.ignore_history)
        figures = evaluate.summarize(outcomes)
        if args.show_misses:
            figures["misses"] = evaluate.misses(outcomes)
        report[labelled.name] = figures
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    for name, figures in report.items():
        print(f"== {name}")
        for group, values in figures.items():
            if group == "misses":
                continue
            print(f"{group}:")
            for key, value in values.items():
                print(f"  {key:<22} {value}")
        for miss in figures.get("misses", []):
            print("miss:", json.dumps(miss, ensure_ascii=False))
    return 0


def cmd_calibrate(args, settings: Settings) -> int:
    from retrieval import calibrate, evaluate
    from retrieval.decide import SHIPPED_MODEL
    from retrieval.labelled import load_set

    if not args.out and not args.replace_shipped:
        raise InputError("name where to write the fitted model with --out FILE (or --replace-shipped to overwrite the one citebot ships)")
    out = Path(args.out) if args.out else SHIPPED_MODEL
    sets, model_id = {}, None
    for path in args.sets:
        labelled = load_set(Path(path), withhold=args.withhold, seed=args.seed)
        if labelled.name in sets:
            raise InputError(f"two labelled sets are named {labelled.name!r}; rename one")
        with _progress_bar() as progress:
            engine = evaluate.engine_for(labelled, settings, decider=calibrate.UNFITTED, progress=progress)
        model_id = engine.embedder.model_id
        sets[labelled.name] = calibrate.collect(engine, labelled)
        print(f"{labelled.name}: {len(sets[labelled.name])} questions", file=sys.stderr)
    options = {"max_false_abstention": args.max_false_abstention}
    if len(sets) > 1:
        print("leave one corpus out (each set decided by a model fitted on the others):")
        for name, (model, figures) in calibrate.leave_one_out(sets, model_id, **options).items():
            declined = ", ".join(f"{kind} {d}/{n} ({d / n:.1%})" for kind, (d, n) in sorted(figures.abstention.items()))
            print(
                f"  {name:<22} answerable {figures.answerable}: false abstention {figures.false_abstention:.1%}, "
                f"answer-hit {figures.answer_hit:.1%}; not found: {declined or '-'}"
            )
            if args.loco_dir:
                Path(args.loco_dir).mkdir(parents=True, exist_ok=True)
                model.save(Path(args.loco_dir) / f"without-{name}.json")
    calibrate.fit(sets, model_id, **options).save(out)
    print(f"answer model fitted on {sum(map(len, sets.values()))} questions of {len(sets)} sets, written to {out}")
    return 0


def cmd_doctor(args, settings: Settings) -> int:
    from retrieval.storage import open_store

    store = open_store(settings)
    info = store.verify()  # raises a clear error naming what is damaged
    print(
        f"ok: {store.location} version {info.version}, {_count(len(info.documents), 'document')}, "
        f"{_count(info.passages, 'passage')}, model {info.model_id}, {info.kind} index, built {info.built_at}"
    )
    return 0


def cmd_telegram(args, settings: Settings) -> int:
    from .telegram import checked_token, run

    checked_token(settings.telegram.token)  # before the slow model load
    run(_open(settings), settings, webhook_url=args.webhook_url, listen=args.listen, port=args.webhook_port)
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from .http_api import serve

    serve(_open(settings, create=args.create), settings)
    return 0


# -------------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", metavar="DIR", help="index directory (default: $CITEBOT_INDEX or settings)")
    common.add_argument("--model", metavar="NAME", help="embedding model: 'default' or a sentence-transformers name/path")

    parser = argparse.ArgumentParser(prog="citebot", description="Answer questions about your documents, with cited passages.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable, help: str, parents: tuple = ()) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common, *parents], help=help, description=help)
        p.set_defaults(run=run)
        return p

    p = command(
        "index", cmd_index,
        "index PDF, DOCX, HTML, .txt and .md files and folders (only changed documents are re-embedded); "
        f"exits {EXIT_SKIPPED} if some files were skipped",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--encoding", help="file encoding, e.g. gb18030 (default: detect UTF-8 / GB18030)")
    p.add_argument("--prune", action="store_true", help="remove indexed documents that are not in PATHs")
    p.add_argument("--rebuild", action="store_true", help="build from scratch, ignoring the current index")

    p = command("rm", cmd_rm, "remove documents from the index")
    p.add_argument("names", nargs="+", metavar="NAME")

    p = command("ask", cmd_ask, "answer one question ('-' reads one question per line from stdin, writes JSON lines)")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--top-k", type=int, help="number of passages to cite")

    command("repl", cmd_repl, "ask questions interactively")

    labelled = argparse.ArgumentParser(add_help=False)
    labelled.add_argument(
        "sets", nargs="+", metavar="SET",
        help="labelled questions: a JSONL file (about the configured index), a folder with docs/ and *.jsonl, "
        "or a SQuAD-format JSON file (SQuAD, CMRC 2018, DRCD)",
    )
    labelled.add_argument(
        "--withhold", type=float, default=0.0, metavar="F",
        help="SQuAD-format sets: leave this share of articles out of the index; their questions must get 'not found'",
    )
    labelled.add_argument("--seed", type=int, default=0, help="which articles --withhold leaves out")

    p = command("eval", cmd_eval, "measure retrieval, answers and 'not found' on labelled questions", parents=[labelled])
    p.add_argument("--json", action="store_true")
    p.add_argument("--show-misses", action="store_true", help="list the questions that went wrong")
    p.add_argument("--ignore-history", action="store_true", help="ask every question without its history")
    p.add_argument("--answer-model", metavar="FILE", help="an answer model written by `citebot calibrate`")

    p = command("calibrate", cmd_calibrate, "fit the answer model on labelled sets of several corpora", parents=[labelled])
    p.add_argument("--out", metavar="FILE", help="where to write the fitted model")
    p.add_argument("--replace-shipped", action="store_true", help="overwrite the model citebot ships")
    p.add_argument("--loco-dir", metavar="DIR", help="also write each leave-one-corpus-out model here")
    p.add_argument(
        "--max-false-abstention", type=float, default=0.03, metavar="F",
        help="the share of answerable questions the decision may decline on the sets it is fitted on",
    )

    command("doctor", cmd_doctor, "check an index for damage and report what it holds")

    p = command("telegram", cmd_telegram, "run the Telegram bot (token from $TELEGRAM_BOT_TOKEN)")
    p.add_argument("--webhook-url", help="receive updates on this public HTTPS URL instead of polling")
    p.add_argument("--listen", default="127.0.0.1", help="address the webhook server binds to")
    p.add_argument("--webhook-port", type=int, default=8443)

    p = command("serve", cmd_serve, "run the HTTP API")
    p.add_argument("--host", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int)
    p.add_argument("--create", action="store_true", help="start with an empty index if there is none")
    return parser


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class _progress_bar:
    """A tqdm bar on a terminal for long embedding runs; silent otherwise."""

    def __enter__(self) -> Callable[[int, int], None] | None:
        self._bar = None
        if not sys.stderr.isatty() or os.environ.get("CI"):
            return None

        def update(done: int, total: int) -> None:
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=total, unit="passage", desc="embedding")
            self._bar.update(done - self._bar.n)

        return update

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()


if __name__ == "__main__":
    sys.exit(main())
