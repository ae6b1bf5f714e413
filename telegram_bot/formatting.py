"""Reply texts: pure functions from snapshots (records, messages, plain dicts) to plain text.

Plain text, no parse mode: a symbol, a pause reason or an error text can then never break Telegram's
entity parser, and the owner's phone shows exactly what the bot computed. Numbers come straight
from the exchange view or the database, formatted in one place (:func:`num`, :func:`money`) so the
end-to-end tests can compare them with the simulator and SQLite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

TELEGRAM_TEXT_LIMIT = 4096
# The sync client puts every parameter in the URL; common servers refuse request lines over ~8 KB
# (the fake's aiohttp at 8190 bytes). Chunks are also kept under this many URL-encoded bytes.
URL_TEXT_BUDGET = 6000


def num(value: float | None) -> str:
    """A price or quantity as the exchange would print it: no float noise, no exponent."""
    if value is None:
        return "-"
    text = f"{value:.8f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def money(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def duration(ms: float | None) -> str:
    if ms is None:
        return "-"
    seconds = int(max(0, ms) // 1000)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s"


def utc(ms: int | None, with_date: bool = True) -> str:
    if ms is None:
        return "-"
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return moment.strftime("%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT, url_budget: int = URL_TEXT_BUDGET) -> list[str]:
    """Cut ``text`` into messages Telegram accepts: at most ``limit`` characters and ``url_budget``
    URL-encoded bytes each, preferably at line breaks, never losing a character."""
    if not text:
        return ["(empty)"]
    chunks: list[str] = []
    rest = text
    while rest:
        cut = _fitting_prefix(rest, limit, url_budget)
        if cut < len(rest):
            newline = rest.rfind("\n", 0, cut)
            if newline > cut // 2:
                cut = newline + 1
        chunk, rest = rest[:cut], rest[cut:]
        if chunk.strip():
            chunks.append(chunk.rstrip("\n") or chunk)
    return chunks or ["(empty)"]


def _fitting_prefix(text: str, limit: int, budget: int) -> int:
    """The longest prefix length within both limits (binary search: encoding is monotonic)."""
    low, high = 1, min(len(text), limit)
    if len(quote_plus(text[:high])) <= budget:
        return high
    while low < high:
        middle = (low + high + 1) // 2
        if len(quote_plus(text[:middle])) <= budget:
            low = middle
        else:
            high = middle - 1
    return max(1, low)


# ------------------------------------------------------------------------------------------ positions
@dataclass(frozen=True, slots=True)
class PositionRow:
    """One position as ``/positions`` shows it: the bot's book joined with the exchange's view."""

    symbol: str
    side: str
    size: float
    entry: float
    mark: float | None
    unrealized_pnl: float | None
    stop: float | None
    take_profits: tuple[float, ...]
    age_ms: int | None
    managed: bool
    state: str


def merge_positions(book: Sequence[Mapping[str, Any]], exchange: Sequence[Any] | None,
                    now_ms: int) -> list[PositionRow]:
    """Join the OrderActor's book (stops, take-profits, entry time) with the exchange's positions
    (size, mark, unrealized PnL). The exchange decides what is open; a book entry the exchange does
    not show yet is listed with its state (e.g. an entry in flight)."""
    by_symbol = {p["symbol"]: p for p in book}
    rows: list[PositionRow] = []
    seen: set[str] = set()
    for pos in exchange or ():
        mine = by_symbol.get(pos.symbol)
        seen.add(pos.symbol)
        rows.append(PositionRow(
            symbol=pos.symbol, side="long" if pos.amount > 0 else "short", size=abs(pos.amount),
            entry=pos.entry_price, mark=pos.mark_price, unrealized_pnl=pos.unrealized_pnl,
            stop=mine.get("stop") if mine else None, take_profits=tuple(mine.get("take_profits", ())) if mine else (),
            age_ms=now_ms - int(mine["entry_time"]) if mine and mine.get("entry_time") else None,
            managed=mine is not None, state=str(mine.get("state", "open")) if mine else "not managed"))
    for symbol, mine in by_symbol.items():
        if symbol in seen:
            continue
        rows.append(PositionRow(
            symbol=symbol, side=str(mine.get("side", "")), size=float(mine.get("quantity", 0.0)),
            entry=float(mine.get("entry_price", 0.0)), mark=None, unrealized_pnl=None, stop=mine.get("stop"),
            take_profits=tuple(mine.get("take_profits", ())),
            age_ms=now_ms - int(mine["entry_time"]) if mine.get("entry_time") else None, managed=True,
            state=f"{mine.get('state', '?')}" + ("" if exchange is None else " (not on the exchange)")))
    return sorted(rows, key=lambda r: r.symbol)


def format_positions(rows: Sequence[PositionRow], as_of_ms: int | None) -> str:
    """``as_of_ms``: the time of the exchange view used; None when the exchange did not answer."""
    source = (f" (exchange view at {utc(as_of_ms, with_date=False)} UTC)" if as_of_ms is not None
              else " (exchange did not answer: the bot's book only)")
    if not rows:
        return f"No open positions{source}."
    lines = [f"Open positions: {len(rows)}{source}"]
    for r in rows:
        tps = ", ".join(num(p) for p in r.take_profits) or "none"
        lines += [f"{r.symbol} {r.side.upper()} {num(r.size)} @ {num(r.entry)}",
                  f"  mark {num(r.mark)}, unrealized PnL {money(r.unrealized_pnl, signed=True)} USDC",
                  f"  stop {num(r.stop)}, take-profit {tps}",
                  f"  age {duration(r.age_ms)}, {r.state}"]
    return "\n".join(lines)


def format_balance(balance: Any | None, fallback_equity: float | None = None, as_of_ms: int | None = None) -> str:
    """``balance`` is the exchange's ``BalanceSnapshot``; None when the exchange did not answer."""
    if balance is None:
        extra = f" The bot's last known equity: {money(fallback_equity)} USDC." if fallback_equity is not None else ""
        return f"The exchange did not answer in time.{extra}"
    return "\n".join([
        f"Balance ({balance.asset}, from the exchange"
        + (f" at {utc(as_of_ms, with_date=False)} UTC)" if as_of_ms is not None else ")"),
        f"Wallet: {money(balance.wallet_balance)} {balance.asset}",
        f"Available: {money(balance.available_balance)} {balance.asset}",
        f"Margin used: {money(balance.margin_used)} {balance.asset}",
        f"Unrealized PnL: {money(balance.unrealized_pnl, signed=True)} {balance.asset}",
        f"Equity: {money(balance.equity)} {balance.asset}",
    ])


# ------------------------------------------------------------------------------------------ reports
def format_summary(summary: Any) -> str:
    """``summary`` is ``storage.Summary``."""
    s = summary
    lines = ["Summary of closed trades (database)",
             f"Trades: {s.total_trades} ({s.wins} won, {s.losses} lost, {s.breakeven} even)",
             f"Win rate: {pct(s.win_rate)}",
             f"Realized PnL: {money(s.realized_pnl, signed=True)} USDC (net of fees and funding)",
             f"Fees: {money(s.fees)} USDC, funding {money(s.funding, signed=True)} USDC",
             f"Average per trade: {money(s.average_pnl, signed=True)} USDC"]
    for label, trade in (("Best", s.best_trade), ("Worst", s.worst_trade)):
        if trade is not None:
            lines.append(f"{label}: {trade.symbol} {trade.side.value} {money(trade.realized_pnl, signed=True)} USDC "
                         f"({trade.exit_reason}, {utc(trade.exit_time_ms)} UTC)")
        else:
            lines.append(f"{label}: -")
    return "\n".join(lines)


def _bucket_lines(buckets: Iterable[Any], with_rate: bool = True) -> list[str]:
    lines = []
    for b in buckets:
        rate = f", win {pct(b.win_rate)}" if with_rate else ""
        lines.append(f"  {b.key}: {b.trades} trades, {money(b.pnl, signed=True)} USDC{rate}")
    return lines or ["  none"]


def format_performance(perf: Any, hours: int = 12, days: int = 7) -> str:
    """``perf`` is ``storage.Performance``."""
    lines = [f"Performance of {perf.trades} closed trades (database)",
             f"Average hold: {duration(perf.average_hold_ms)}",
             f"Stop-loss streak: {perf.stop_loss_streak} (losing streak {perf.loss_streak})",
             f"PnL per day (last {days}):", *_bucket_lines(perf.by_day[-days:]),
             f"PnL per hour (last {hours}):", *_bucket_lines(perf.by_hour[-hours:]),
             "Per symbol:", *_bucket_lines(perf.by_symbol),
             "Per exit reason:", *_bucket_lines(perf.by_exit_reason)]
    return "\n".join(lines)


def format_risk(status: Any, risk: Any, exchange: Any, profile: str) -> str:
    """``status`` is ``messages.risk.RiskStatus``; ``risk``/``exchange`` the settings sections."""
    limit_usdc = status.day_start_equity * status.daily_loss_limit_pct / 100
    day_pct = status.daily_pnl / status.day_start_equity * 100 if status.day_start_equity else 0.0
    lines = [f"Risk (profile {profile})",
             "Entries: " + ("PAUSED" if status.paused else "ACTIVE"),
             *[f"  why: {reason}" for reason in status.pause_reasons]]
    if status.pause_until_ms:
        lines.append(f"  until {utc(status.pause_until_ms)} UTC")
    lines += [f"Daily PnL: {money(status.daily_pnl, signed=True)} USDC ({day_pct:+.2f}%) against the limit "
              f"-{status.daily_loss_limit_pct:g}% (-{money(limit_usdc)} USDC)",
              f"Day start equity: {money(status.day_start_equity)}, equity now {money(status.equity)} USDC",
              f"Stop-loss streak: {status.stop_loss_streak} of {status.stop_loss_streak_limit} "
              f"(then a {risk.streak_pause_min:g} min pause)",
              f"Positions: {status.open_positions} of {status.max_concurrent_positions}",
              f"Risk per trade: {risk.risk_per_trade_pct:g}% of equity, max margin per position "
              f"{risk.max_position_pct:g}%, symbol cooldown {risk.symbol_cooldown_min:g} min",
              f"Leverage: {exchange.leverage}x (within {exchange.min_leverage}-{exchange.max_leverage}x)",
              f"Reconciled: {'yes' if status.reconciled else 'NO'}"]
    return "\n".join(lines)


def format_config(settings: Any, secrets: Sequence[str] = ()) -> str:
    """Profile, strategy, order and risk parameters. Only these sections: secrets, chat ids and paths
    are never listed, and any secret value is blanked should one ever appear in a value."""
    lines = [f"Profile: {settings.profile}", f"Mode: {settings.exchange.mode}"]
    for title, section, keys in (
        ("Exchange", settings.exchange, ("leverage", "min_leverage", "max_leverage", "margin_type", "feed")),
        ("Symbols", settings.symbols, None), ("Strategy", settings.strategy, None),
        ("Orders", settings.orders, None), ("Risk", settings.risk, None),
    ):
        data = section.model_dump(mode="json")
        shown = {k: data[k] for k in (keys or data)}
        lines.append(f"{title}:")
        lines += [f"  {key} = {_value(value)}" for key, value in shown.items()]
    text = "\n".join(lines)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "**********")
    return text


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def format_logs(events: Sequence[Any], requested: int) -> str:
    """``events`` are ``storage.EventRecord``, oldest first."""
    if not events:
        return "No important events recorded yet."
    lines = [f"Last {len(events)} of {requested} requested events (UTC):"]
    for e in events:
        lines.append(f"{utc(e.ts_ms)} {e.level.value.upper()} {e.kind}: {e.message}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ status
@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """What ``/status`` shows, gathered at the edge."""

    mode: str
    profile: str
    uptime_s: float
    balance: Any | None  # BalanceSnapshot
    risk: Any | None  # RiskStatus
    positions: Sequence[PositionRow]
    signals: Sequence[Any]  # storage.SignalRecord, oldest first
    feed: Mapping[str, str]
    last_reconciliation: str


def format_status(s: StatusSnapshot) -> str:
    risk = s.risk
    state = "unknown (risk actor did not answer)" if risk is None else ("PAUSED" if risk.paused else "ACTIVE")
    lines = [f"Status: entries {state}",
             f"Mode {s.mode}, profile {s.profile}, uptime {duration(s.uptime_s * 1000)}"]
    if risk is not None:
        lines += [f"  why paused: {reason}" for reason in risk.pause_reasons]
    if s.balance is not None:
        lines.append(f"Balance: wallet {money(s.balance.wallet_balance)}, available "
                     f"{money(s.balance.available_balance)}, equity {money(s.balance.equity)} USDC")
    elif risk is not None:
        lines.append(f"Balance: exchange did not answer; equity (bot view) {money(risk.equity)} USDC")
    limit = f" of {risk.max_concurrent_positions}" if risk is not None else ""
    lines.append(f"Positions: {len(s.positions)}{limit}")
    lines += [f"  {r.symbol} {r.side} {num(r.size)}, PnL {money(r.unrealized_pnl, signed=True)}" for r in s.positions]
    if risk is not None:
        lines.append(f"Today: {money(risk.daily_pnl, signed=True)} USDC")
        lines.append(f"Reconciliation: {'done' if risk.reconciled else 'PENDING'}"
                     f"{' - ' + s.last_reconciliation if s.last_reconciliation else ''}")
    ws = sorted(sym for sym, how in s.feed.items() if how == "ws")
    rest = sorted(sym for sym, how in s.feed.items() if how != "ws")
    lines.append(f"Feed: {len(ws)} WebSocket, {len(rest)} REST")
    lines += [f"  {sym}: {'WebSocket' if s.feed[sym] == 'ws' else 'REST fallback'}" for sym in sorted(s.feed)]
    lines.append("Last signals:" if s.signals else "Last signals: none recently")
    lines += [f"  {utc(sig.ts_ms)} {sig.symbol} {sig.side.value.upper()} @ {num(sig.price)}" for sig in s.signals]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    """What ``/health`` shows, gathered at the edge."""

    alive: Mapping[str, bool]
    root_restarts: Mapping[str, int]
    symbol_restarts: int
    quarantined: Mapping[str, str]
    exchange_stats: Mapping[str, float] | None
    weight_used: int | None
    weight_limit: int | None
    user_stream_connected: bool | None
    feed: Mapping[str, str]
    candle_age_ms: Mapping[str, int]
    heartbeat_missed: int
    telegram: Mapping[str, int]


def format_health(h: HealthSnapshot) -> str:
    dead = sorted(name for name, ok in h.alive.items() if not ok)
    lines = [f"Actors: {sum(h.alive.values())} of {len(h.alive)} alive" + (f"; NOT answering: {', '.join(dead)}"
                                                                         if dead else "")]
    restarts = ", ".join(f"{k} {v}" for k, v in sorted(h.root_restarts.items())) or "none"
    lines.append(f"Restarts: shared actors {restarts}; symbol actors {h.symbol_restarts}")
    lines.append("Quarantined: " + (", ".join(f"{s} ({e})" for s, e in sorted(h.quarantined.items())) or "none"))
    if h.exchange_stats is not None:
        st = h.exchange_stats
        lines.append(f"Exchange: latency p50 {st['latency_p50_ms']:.0f} ms, p99 {st['latency_p99_ms']:.0f} ms, "
                     f"{int(st['calls'])} calls, errors {st['error_rate'] * 100:.1f}%")
    if h.weight_used is not None:
        lines.append(f"Request weight: {h.weight_used} of {h.weight_limit} this minute")
    if h.user_stream_connected is not None:
        lines.append(f"User stream: {'connected' if h.user_stream_connected else 'DISCONNECTED'}")
    rest = sum(1 for v in h.feed.values() if v != "ws")
    lines.append(f"Feed: {len(h.feed) - rest} WebSocket, {rest} REST")
    if h.candle_age_ms:
        lines.append("Last candle (bot clock):")
        lines += [f"  {sym}: {duration(age)} ago" for sym, age in sorted(h.candle_age_ms.items())]
    lines.append(f"Heartbeats missed: {h.heartbeat_missed}")
    t = h.telegram
    lines.append(f"Telegram: {t.get('sent', 0)} sent, {t.get('queued', 0)} queued, {t.get('dropped', 0)} dropped, "
                 f"{t.get('refused', 0)} refused (not allowed)")
    return "\n".join(lines)


def format_daily_summary(day_end_ms: int, summary: Any, risk: Any | None) -> str:
    lines = [f"Daily summary to {utc(day_end_ms)} UTC (last 24 h)",
             f"Trades: {summary.total_trades}, win rate {pct(summary.win_rate)}",
             f"Realized PnL: {money(summary.realized_pnl, signed=True)} USDC, fees {money(summary.fees)} USDC"]
    if risk is not None:
        lines.append(f"Equity: {money(risk.equity)} USDC, open positions {risk.open_positions}, "
                     f"entries {'PAUSED' if risk.paused else 'active'}")
    return "\n".join(lines)
