"""The getUpdates queue: update ids, confirmation by offset, ``allowed_updates`` filtering.

Kept apart from the rest of the state because its semantics are the subtle part of polling: an
update stays queued (and is delivered again) until a later call's offset confirms it, which is
what lets a bot that crashed mid-batch see the same commands again after a restart.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

# Types delivered when allowed_updates is empty or absent (the Bot API's documented default).
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """Pending updates in ascending ``update_id``; not thread-safe (the state's lock guards it)."""

    def __init__(self, counters: Counter[str], first_update_id: int) -> None:
        self._counters = counters
        self._updates: list[dict[str, Any]] = []
        self._next_id = first_update_id
        self._allowed: frozenset[str] | None = None

    def push(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """Queue ``{"update_id": N, kind: body}`` with the next id."""
        update = {"update_id": self._next_id, kind: body}
        self._next_id += 1
        self._updates.append(update)
        self._counters["updates.injected"] += 1
        return update

    def take(self, offset: int, limit: int, allowed_updates: list[str] | None) -> list[dict[str, Any]]:
        """Confirm by ``offset``, then return up to ``limit`` pending updates (they stay queued).

        A positive offset confirms (drops) every update with a smaller id; a negative one forgets
        all but the last ``-offset``; 0 confirms nothing. ``allowed_updates`` (once given) persists
        across calls, as on Telegram; updates of other types are dropped undelivered.
        """
        if allowed_updates is not None:
            self._allowed = frozenset(allowed_updates) or None
        before = len(self._updates)
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._counters["updates.confirmed"] += before - len(self._updates)
        wanted = [u for u in self._updates if self._is_allowed(u)]
        self._counters["updates.filtered"] += len(self._updates) - len(wanted)
        self._updates = wanted
        batch = [dict(u) for u in self._updates[: max(1, min(limit, 100))]]
        self._counters["updates.delivered"] += len(batch)
        return batch

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self._allowed is None:
            return kind not in _OPT_IN_UPDATES
        return kind in self._allowed

    def pending(self) -> list[dict[str, Any]]:
        """Copies of the unconfirmed updates."""
        return [dict(u) for u in self._updates]

    def drop_all(self) -> None:
        """deleteWebhook/setWebhook with ``drop_pending_updates``."""
        self._counters["updates.dropped"] += len(self._updates)
        self._updates = []

    def __len__(self) -> int:
        return len(self._updates)
