"""Request-weight and order-count limits (``exchangeInfo.rateLimits``), in simulated time.

Windows are aligned buckets of the *simulated* clock, so limits behave the same at any replay speed
(a bot that follows the exchange clock polls at the same simulated rate). Over the weight limit -> HTTP
429 with -1003 and ``Retry-After``; a client that sends more than ``ban_after`` requests while limited
gets banned: HTTP 418 for 2 minutes, doubling with every repeat up to 3 days.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.errors import BinanceError

MINUTE = 60_000
TEN_SECONDS = 10_000
BAN_MIN_MS = 120_000
BAN_MAX_MS = 3 * 86_400_000


@dataclass
class LimitState:
    weight_bucket: int = -1
    weight: int = 0
    orders_10s_bucket: int = -1
    orders_10s: int = 0
    orders_1m_bucket: int = -1
    orders_1m: int = 0
    limited_requests: int = 0
    banned_until: int = 0
    bans: int = 0


class RateLimiter:
    """One budget for the whole simulator (one IP, one account)."""

    def __init__(
        self,
        weight_limit: int = 6000,
        orders_10s: int = 300,
        orders_1m: int = 1200,
        ban_after: int = 20,
        enabled: bool = True,
    ) -> None:
        self.weight_limit = weight_limit
        self.orders_10s_limit = orders_10s
        self.orders_1m_limit = orders_1m
        self.ban_after = ban_after
        self.enabled = enabled
        self.state = LimitState()

    def _roll(self, now: int) -> None:
        s = self.state
        if now // MINUTE != s.weight_bucket:
            s.weight_bucket, s.weight, s.limited_requests = now // MINUTE, 0, 0
        if now // TEN_SECONDS != s.orders_10s_bucket:
            s.orders_10s_bucket, s.orders_10s = now // TEN_SECONDS, 0
        if now // MINUTE != s.orders_1m_bucket:
            s.orders_1m_bucket, s.orders_1m = now // MINUTE, 0

    def charge(self, now: int, weight: int, is_order: bool) -> dict[str, str]:
        """Count a request; returns the usage headers or raises a 429/418 :class:`LimitError`."""
        self._roll(now)
        s = self.state
        if self.enabled and now < s.banned_until:
            raise LimitError(418, _ban_msg(s.banned_until), (s.banned_until - now) // 1000 + 1, self.headers())
        s.weight += weight
        if self.enabled and s.weight > self.weight_limit:
            s.limited_requests += 1
            if s.limited_requests > self.ban_after:
                duration = min(BAN_MAX_MS, BAN_MIN_MS * 2**s.bans)
                s.bans += 1
                s.banned_until = now + duration
                raise LimitError(418, _ban_msg(s.banned_until), duration // 1000, self.headers())
            retry = ((s.weight_bucket + 1) * MINUTE - now) // 1000 + 1
            raise LimitError(
                429,
                f"Too many requests; current limit of IP(127.0.0.1) is {self.weight_limit} "
                "requests per minute. Please use the websocket for live updates to avoid "
                "polling the API.",
                retry,
                self.headers(),
            )
        if is_order:
            s.orders_10s += 1
            s.orders_1m += 1
            if self.enabled and s.orders_10s > self.orders_10s_limit:
                retry = ((s.orders_10s_bucket + 1) * TEN_SECONDS - now) // 1000 + 1
                raise LimitError(
                    429,
                    f"Too many new orders; current limit is {self.orders_10s_limit} orders per TEN_SECONDS.",
                    retry,
                    self.headers(True),
                    code=-1015,
                )
            if self.enabled and s.orders_1m > self.orders_1m_limit:
                retry = ((s.orders_1m_bucket + 1) * MINUTE - now) // 1000 + 1
                raise LimitError(
                    429,
                    f"Too many new orders; current limit is {self.orders_1m_limit} orders per MINUTE.",
                    retry,
                    self.headers(True),
                    code=-1015,
                )
        return self.headers(is_order)

    def headers(self, orders: bool = False) -> dict[str, str]:
        s = self.state
        out = {"X-MBX-USED-WEIGHT-1M": str(s.weight)}
        if orders:
            out["X-MBX-ORDER-COUNT-10S"] = str(s.orders_10s)
            out["X-MBX-ORDER-COUNT-1M"] = str(s.orders_1m)
        return out


class LimitError(BinanceError):
    """A 429/418 with the ``Retry-After`` (seconds) and usage headers to send."""

    def __init__(self, status: int, msg: str, retry_after: int, headers: dict[str, str], code: int = -1003) -> None:
        super().__init__(code, msg, status)
        self.retry_after = max(1, int(retry_after))
        self.headers = headers


def _ban_msg(until: int) -> str:
    return (
        f"Way too many requests; IP(127.0.0.1) banned until {until}. Please use the websocket for live "
        "updates to avoid bans."
    )
