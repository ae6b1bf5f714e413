"""listenKey life cycle: one active key per account, 60 simulated minutes after the last POST/PUT."""

from __future__ import annotations

import random
import string

from simulator import errors


class ListenKeys:
    def __init__(self, ttl_ms: int, seed: int) -> None:
        self.ttl_ms = ttl_ms
        self.expiry: dict[str, int] = {}
        self.dead: set[str] = set()
        self._rng = random.Random(seed ^ 0x115E)

    def _new_key(self) -> str:
        return "".join(self._rng.choices(string.ascii_letters + string.digits, k=64))

    def active_key(self, now: int) -> str | None:
        for key, until in self.expiry.items():
            if key not in self.dead and now < until:
                return key
        return None

    def create(self, now: int) -> str:
        """POST: the active key (its validity extended), or a new one."""
        key = self.active_key(now) or self._new_key()
        self.expiry[key] = now + self.ttl_ms
        return key

    def keep_alive(self, now: int, key: str | None = None) -> str:
        """PUT: extend the active key; -1125 when there is none (or a stale one is named)."""
        active = self.active_key(now)
        if active is None or (key not in (None, "") and key != active):
            raise errors.listen_key_missing()
        self.expiry[active] = now + self.ttl_ms
        return active

    def close(self, key: str | None, now: int) -> str | None:
        target = key if key not in (None, "") else self.active_key(now)
        if target in self.expiry:
            self.dead.add(target)
            return target
        return None

    def expire_all(self, now: int) -> list[str]:
        """Force every live key to lapse now (fault injection)."""
        victims = [k for k, until in self.expiry.items() if k not in self.dead and now < until]
        for key in victims:
            self.expiry[key] = now
        return victims

    def lapsed(self, now: int) -> list[str]:
        """Keys that have just expired (reported once each)."""
        gone = [k for k, until in self.expiry.items() if k not in self.dead and now >= until]
        self.dead.update(gone)
        return gone

    def is_known(self, key: str) -> bool:
        return key in self.expiry

    def is_active(self, key: str, now: int) -> bool:
        return key in self.expiry and key not in self.dead and now < self.expiry[key]
