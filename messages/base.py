"""The base of every message: a frozen msgspec Struct.

Why msgspec: construction costs ~130 ns (a frozen dataclass ~535 ns, a frozen pydantic model ~770 ns;
measured in ``../shared/docs/architecture.md``), instances are immutable and hashable, and the same
types decode exchange JSON. Messages hold only immutable values (numbers, strings, tuples, other
messages), so a receiver in another thread can never see one change under it.
"""

from __future__ import annotations

from typing import Literal

import msgspec


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """Base class: immutable, keyword-only. Times are integer milliseconds since the epoch (UTC)."""


class Event(Message, frozen=True, kw_only=True):
    """Something that happened. ``ts_event``: when it happened (exchange time where known);
    ``ts_init``: when this message was created (bot clock)."""

    ts_event: int
    ts_init: int


class Command(Message, frozen=True, kw_only=True):
    """A request for an actor to do something. ``ts_init``: when it was issued (bot clock)."""

    ts_init: int


Side = Literal["long", "short"]
"""Position direction."""

OrderSide = Literal["BUY", "SELL"]
"""Order direction on the exchange."""


def entry_order_side(side: Side) -> OrderSide:
    """The order side that opens a position of ``side``."""
    return "BUY" if side == "long" else "SELL"


def exit_order_side(side: Side) -> OrderSide:
    """The order side that reduces a position of ``side``."""
    return "SELL" if side == "long" else "BUY"
