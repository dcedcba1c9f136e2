"""Plain-text rendering of an Answer, shared by the CLI and the REPL."""

from __future__ import annotations

from retrieval.sentences import is_chinese
from retrieval.types import Answer, Citation


def not_found(question: str) -> str:
    if is_chinese(question):
        return "未找到：文档中没有能回答这个问题的内容。可以换个说法，或问得更具体一些。"
    return "Not found: the documents do not answer this question. Try rephrasing it or asking something more specific."


def citation_heading(c: Citation) -> str:
    section = f" ({c.section})" if c.section else ""
    return f"[{c.n}] {c.document}{page_mark(c.page)} ¶{c.paragraph}{section}"


def page_mark(page: int | None) -> str:
    """" p. N" for a PDF passage, nothing for formats without pages."""
    return f" p. {page}" if page is not None else ""


def trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_answer(answer: Answer, quote_chars: int = 300) -> str:
    if answer.abstained:
        return not_found(answer.question)
    lines = [answer.answer or "", ""]
    for c in answer.citations:
        lines.append(citation_heading(c))
        lines.append(f"    {trim(c.text, quote_chars)}")
    return "\n".join(lines)
