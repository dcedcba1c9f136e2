"""Answers and passages as Telegram HTML messages.

Every piece of document text is escaped: documents are untrusted input, and
one stray `<` would make Telegram reject the whole message. Messages stay
within Telegram's 4,096-character limit, which it counts in UTF-16 code units;
measuring the HTML source is conservative (tags and entities only shrink when
parsed), so a message measured here is never refused for length.
"""

from __future__ import annotations

import html
import re

from retrieval.types import Answer, Citation

from ..render import page_mark

LIMIT = 4096
# Quotes shorter than this say too little to be worth keeping; below it they
# are dropped rather than trimmed further.
_MIN_QUOTE = 40
_BREAKS = (re.compile(r"\n"), re.compile(r"[。！？；.!?;]\s*"), re.compile(r"\s"))


def tg_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def render_answer(answer: Answer, quote_chars: int) -> list[str]:
    """The short answer, then `[n] document ¶N · section` with a quote each.

    Quotes are trimmed, and dropped, before anything is split; only an answer
    too long for one message on its own is split, with the citations after it.
    """
    budget = quote_chars
    while True:
        message = "\n\n".join([escape(answer.answer)] + [_citation(c, budget) for c in answer.citations])
        if tg_len(message) <= LIMIT:
            return [message]
        if budget == 0:
            break
        budget = budget // 2 if budget // 2 >= _MIN_QUOTE else 0
    citations = "\n\n".join(_citation(c, 0) for c in answer.citations)
    return [escape(piece) for piece in split_text(answer.answer, LIMIT)] + [citations]


def render_passage(citation: Citation) -> list[str]:
    """The full text of a cited passage, split only if Telegram requires it."""
    header = f"<b>{_label(citation)}</b>"
    pieces = split_text(citation.text, LIMIT - tg_len(header) - 2)
    return [f"{header}\n\n{escape(pieces[0])}"] + [escape(piece) for piece in pieces[1:]]


def button_label(citation: Citation) -> str:
    return f"📖 [{citation.n}]{page_mark(citation.page)} ¶{citation.paragraph}"


def _label(citation: Citation) -> str:
    label = f"[{citation.n}] {escape(citation.document)}{page_mark(citation.page)} ¶{citation.paragraph}"
    return f"{label} · {escape(citation.section)}" if citation.section else label


def _citation(citation: Citation, quote_chars: int) -> str:
    header = f"<b>{_label(citation)}</b>"
    if quote_chars == 0:
        return header
    return f"{header}\n<blockquote>{escape(trim(citation.text, quote_chars))}</blockquote>"


def trim(text: str, limit: int) -> str:
    """One line of at most `limit` characters, marked with … when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int) -> list[str]:
    """Plain text in pieces whose escaped form fits `limit`, cut at a line,
    sentence or word boundary in the second half of a piece when there is one."""
    pieces = []
    text = text.strip()
    while tg_len(escape(text)) > limit:
        cut = _fitting_prefix(text, limit)
        window = text[cut // 2 : cut]
        for pattern in _BREAKS:
            ends = [m.end() for m in pattern.finditer(window)]
            if ends:
                cut = cut // 2 + ends[-1]
                break
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    return pieces + [text] if text else pieces


def _fitting_prefix(text: str, limit: int) -> int:
    used = 0
    for i, char in enumerate(text):
        used += tg_len(escape(char))
        if used > limit:
            return i
    return len(text)
