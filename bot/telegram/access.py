"""Who may ask, and how often."""

from __future__ import annotations

import time
from collections import deque
from typing import Callable, Iterable


class Gate:
    """Optional allow-lists. With none set, everyone may ask. Otherwise a
    listed user may ask anywhere and anyone may ask in a listed chat, so a
    team can open the bot to its group and to a few people in private."""

    def __init__(self, user_ids: Iterable[int], chat_ids: Iterable[int]):
        self.user_ids = frozenset(user_ids)
        self.chat_ids = frozenset(chat_ids)

    def allows(self, user_id: int | None, chat_id: int | None) -> bool:
        if not self.user_ids and not self.chat_ids:
            return True
        return user_id in self.user_ids or chat_id in self.chat_ids


class ChatRateLimit:
    """At most `per_minute` questions per chat in any sliding minute
    (0 turns the limit off)."""

    WINDOW = 60.0
    # Chats idle for a whole window are forgotten once this many are tracked.
    _PRUNE_AT = 10_000

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self._asked: dict[int, deque[float]] = {}
        self._told_until: dict[int, float] = {}

    def wait(self, chat_id: int) -> float:
        """Seconds until the chat may ask again; 0 means go ahead, and counts
        the question."""
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        asked = self._asked.setdefault(chat_id, deque())
        while asked and asked[0] <= now - self.WINDOW:
            asked.popleft()
        if len(asked) >= self.per_minute:
            return asked[0] + self.WINDOW - now
        asked.append(now)
        if len(self._asked) > self._PRUNE_AT:
            self._prune(now)
        return 0.0

    def first_refusal(self, chat_id: int, wait: float) -> bool:
        """Whether a refused question is the first since the chat was told to
        wait: a burst of questions gets one "slow down", not one each."""
        now = self.clock()
        if self._told_until.get(chat_id, 0.0) > now:
            return False
        self._told_until[chat_id] = now + wait
        return True

    def _prune(self, now: float) -> None:
        for chat_id in [c for c, asked in self._asked.items() if asked[-1] <= now - self.WINDOW]:
            del self._asked[chat_id]
            self._told_until.pop(chat_id, None)
