"""What the bot remembers about each chat between messages.

Two things: the last turns, so a follow-up ("and in Henan?") can be resolved,
and the citations of recent answers, so a passage button can carry only a
short key (Telegram caps callback data at 64 bytes). Everything is bounded:
the oldest chats and answers are forgotten, and a button that outlives its
answer is told so instead of failing. Keys carry a tag drawn at start-up, so
a button from before a restart can never open a passage of a newer answer.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from retrieval.types import Citation, Turn


@dataclass
class _Chat:
    turns: deque[Turn]
    answers: OrderedDict[str, list[Citation]] = field(default_factory=OrderedDict)
    next_key: int = 1


class ChatMemory:
    def __init__(self, turns: int = 2, answers: int = 20, chats: int = 10_000):
        self.turns = turns
        self.answers = answers
        self.chats = chats
        self._chats: OrderedDict[int, _Chat] = OrderedDict()
        self._tag = secrets.token_hex(4)

    def history(self, chat_id: int) -> tuple[Turn, ...]:
        chat = self._chats.get(chat_id)
        return tuple(chat.turns) if chat else ()

    def add_turn(self, chat_id: int, turn: Turn) -> None:
        self._chat(chat_id).turns.append(turn)

    def keep(self, chat_id: int, citations: list[Citation]) -> str:
        """Store an answer's citations; returns the key its buttons carry."""
        chat = self._chat(chat_id)
        key = f"{self._tag}.{chat.next_key}"
        chat.next_key += 1
        chat.answers[key] = citations
        if len(chat.answers) > self.answers:
            chat.answers.popitem(last=False)
        return key

    def citation(self, chat_id: int, key: str, n: int) -> Citation | None:
        chat = self._chats.get(chat_id)
        citations = chat.answers.get(key, []) if chat else []
        return next((c for c in citations if c.n == n), None)

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat(deque(maxlen=self.turns))
            if len(self._chats) > self.chats:
                self._chats.popitem(last=False)
        self._chats.move_to_end(chat_id)
        return chat
