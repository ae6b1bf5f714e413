"""Historical candles from the exchange's klines endpoint into the folder format the simulator and the
backtest read (``simulator.loader``): one ``<SYMBOL>-<interval>.csv.gz`` per symbol, e.g.
``BTCUSDC-1m.csv.gz``, header ``open_time,open,high,low,close,volume``, the prices as Binance sent them.

- **Resumable**: rows go to ``<name>.csv.part`` (plain text, flushed and fsync'ed per request), and the
  ``.csv.gz`` is written from it atomically at the end. A re-run continues after the last complete row
  of the ``.part`` (a row cut by a crash is dropped) or of the finished ``.csv.gz``. The gzip header
  carries no time or name, so an interrupted and resumed download produces the same bytes as one that
  ran through.
- **Weight-aware**: 1000 candles per request (weight 5; 1500 would cost 10, so 1000 is the cheapest per
  candle), each through the process's ``WeightBudget``, which also follows ``X-MBX-USED-WEIGHT-1M``.
- **Closed candles only**: the end is the last candle closed at the exchange's time when the run
  started; the forming candle is never written (a backtest must not see a candle that later changes).
"""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.symbols import SymbolError, parse_symbol
from exchange.ccxt_gateway import CcxtGateway
from exchange.parsers import INTERVAL_MS, PayloadError, parse_rest_kline

HEADER = "open_time,open,high,low,close,volume"
ROWS_PER_REQUEST = 1000
WEIGHT_PER_REQUEST = 5  # klines weight for 500 <= limit <= 1000
DAY_MS = 86_400_000


class DownloadError(Exception):
    """The download of one symbol cannot go on; the message names the symbol and the reason."""


@dataclass(frozen=True)
class DownloadResult:
    symbol: str
    path: Path
    rows_added: int
    rows_total: int
    first_open_ms: int | None
    last_open_ms: int | None
    requests: int
    note: str = ""


def exchange_id(name: str) -> str:
    """``BTC``, ``btcusdc``, ``BTC/USDC:USDC`` → ``BTCUSDC`` (USDC perpetuals only)."""
    text = name.strip().upper()
    if text.isalnum() and not text.endswith(("USDC", "USDT")):
        text += "USDC"
    try:
        return parse_symbol(text).exchange_id
    except SymbolError as exc:
        raise DownloadError(str(exc)) from None


def file_paths(out_dir: Path, symbol_id: str, timeframe: str) -> tuple[Path, Path]:
    """(finished ``.csv.gz``, in-progress ``.csv.part``)."""
    base = out_dir / f"{symbol_id}-{timeframe}.csv"
    return base.with_name(base.name + ".gz"), base.with_name(base.name + ".part")


def last_closed_open_ms(server_ms: int, timeframe: str) -> int:
    """Open time of the last candle closed at ``server_ms`` (its close boundary <= ``server_ms``)."""
    step = INTERVAL_MS[timeframe]
    return (server_ms // step) * step - step


def _prepare_part(final: Path, part: Path) -> tuple[int | None, int | None, int]:
    """Make ``part`` hold every complete row so far; return (first open time, last open time, rows)."""
    if part.exists():
        _drop_incomplete_tail(part)
    elif final.exists():
        with gzip.open(final, "rb") as source, part.open("wb") as target:
            shutil.copyfileobj(source, target)
        _drop_incomplete_tail(part)
    else:
        with part.open("w", encoding="ascii") as handle:
            handle.write(HEADER + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return None, None, 0
    first = last = None
    rows = 0
    with part.open(encoding="ascii") as handle:
        for line in handle:
            head = line.split(",", 1)[0]
            if not head.isdigit():
                continue
            rows += 1
            if first is None:
                first = int(head)
            last = int(head)
    return first, last, rows


def _drop_incomplete_tail(part: Path) -> None:
    """A crash mid-write can leave half a row: cut the file after its last newline."""
    data = part.read_bytes()
    cut = data.rfind(b"\n") + 1
    if cut != len(data):
        with part.open("r+b") as handle:
            handle.truncate(cut)
    if cut == 0:
        part.write_text(HEADER + "\n", encoding="ascii")


def _finish(part: Path, final: Path) -> None:
    """Compress ``part`` into ``final`` atomically, deterministically (no time or name in the header)."""
    tmp = final.with_name(final.name + ".tmp")
    with part.open("rb") as source, tmp.open("wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as target:
            shutil.copyfileobj(source, target)
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tmp, final)
    part.unlink()


def download_symbol(gateway: CcxtGateway, symbol_id: str, timeframe: str, start_ms: int, end_open_ms: int,
                    out_dir: Path, progress: Callable[[str], None] | None = None) -> DownloadResult:
    """Append every closed candle of ``symbol_id`` from ``start_ms`` up to ``end_open_ms`` (an open time)."""
    if timeframe not in INTERVAL_MS:
        raise DownloadError(f"timeframe must be one of {', '.join(INTERVAL_MS)}, got {timeframe!r}")
    step = INTERVAL_MS[timeframe]
    out_dir.mkdir(parents=True, exist_ok=True)
    final, part = file_paths(out_dir, symbol_id, timeframe)
    first, last, total = _prepare_part(final, part)
    note = ""
    if first is not None and first > start_ms:
        note = "earlier candles than the file's first row are not back-filled (delete the file to start over)"
    cursor = last + step if last is not None else -(-start_ms // step) * step
    added = requests = 0
    with part.open("a", encoding="ascii") as handle:
        while cursor <= end_open_ms:
            params = {"symbol": symbol_id, "interval": timeframe, "startTime": cursor, "endTime": end_open_ms,
                      "limit": ROWS_PER_REQUEST}
            rows = gateway.call(WEIGHT_PER_REQUEST, gateway.client.fapiPublicGetKlines, params)
            requests += 1
            if not isinstance(rows, list):
                raise DownloadError(f"{symbol_id}: klines answer is not a list")
            lines = []
            for row in rows:
                try:
                    candle = parse_rest_kline(row, timeframe)
                except PayloadError as exc:
                    raise DownloadError(f"{symbol_id}: {exc}") from None
                if candle.open_time % step or candle.open_time < cursor or candle.open_time > end_open_ms:
                    continue  # misaligned, already written, or not closed when the run started
                lines.append(",".join([str(candle.open_time), *(str(value) for value in row[1:6])]))
                cursor = candle.open_time + step
                if first is None:
                    first = candle.open_time
                last = candle.open_time
            if not lines:
                break  # nothing more up to the end (the exchange has no later candle yet)
            handle.write("\n".join(lines) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            added += len(lines)
            total += len(lines)
            if progress is not None:
                progress(f"{symbol_id}: {total} rows")
    if added or not final.exists():
        _finish(part, final)
    else:
        part.unlink()
    return DownloadResult(symbol_id, final, added, total, first, last, requests, note)
