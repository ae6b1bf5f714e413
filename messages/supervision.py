"""Supervision: failures, restarts, quarantine and heartbeats between actors and their supervisors."""

from __future__ import annotations

from messages.base import Event


class ChildFailed(Event, frozen=True, kw_only=True):
    """An actor died (reported from its ``on_failure``) or stopped answering heartbeats (``hung``)."""

    name: str
    error: str
    hung: bool = False


class ChildRestarted(Event, frozen=True, kw_only=True):
    """A supervisor started a fresh instance of a failed child after ``backoff_ms``."""

    name: str
    attempt: int
    backoff_ms: int


class SymbolQuarantined(Event, frozen=True, kw_only=True):
    """A symbol's actor exceeded its restart intensity: no new entries on it; its stop stays in place."""

    symbol: str
    failures: int
    last_error: str


class SharedActorGaveUp(Event, frozen=True, kw_only=True):
    """A shared actor exceeded its restart intensity: the process shuts down with a non-zero code."""

    name: str
    failures: int
    last_error: str
