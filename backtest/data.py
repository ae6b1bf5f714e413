"""Load the kline folder for a backtest and say, per file, what was wrong with it.

Why not just ``simulator.loader.load_directory``: it sorts and de-duplicates silently and passes NaN or
zero prices on. A backtest must report bad data and must never trade on it: unusable rows (NaN, zero or
negative prices, a high below the low, an open or close outside the high-low range) are dropped, so
they become gaps, and gaps are skipped, never filled with invented prices (the engine holds the last
price through a gap and the strategy sees the candles on both sides of it as neighbours, like a live
buffer that never received the missing candles). The symbol mapping, market specs and funding files
are the loader's (``target_symbol``, ``parse_csv``), so the backtest trades exactly the markets the
simulator would serve.
"""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.candles import MINUTE_MS, CandleSeries
from simulator.loader import normalise_symbol, parse_csv, scan_folder, target_symbol

SOURCE_NOTE = ("USDT-margined Binance price paths standing in for the USDC-margined perpetuals of the same base "
               "(the USDC twin trades within a few basis points)")


@dataclass
class FileCheck:
    """What one kline file held and what was wrong with it (counts of rows)."""

    file: str
    source: str
    symbol: str = ""
    rows: int = 0
    unreadable: int = 0
    nan_rows: int = 0
    bad_price_rows: int = 0
    inconsistent_rows: int = 0
    misaligned: int = 0
    unordered: int = 0
    duplicates: int = 0
    conflicting_duplicates: int = 0
    skipped: str = ""

    def problems(self) -> list[str]:
        """One line per kind of problem, in words."""
        texts = {
            "unreadable": "unreadable rows dropped",
            "nan_rows": "rows with NaN/missing values dropped",
            "bad_price_rows": "rows with zero or negative prices dropped",
            "inconsistent_rows": "rows with high < low or open/close outside high-low dropped",
            "misaligned": "open times not on a minute (floored to the minute)",
            "unordered": "rows out of time order (sorted)",
            "duplicates": "duplicate open times (first kept)",
            "conflicting_duplicates": "duplicates with different prices (first kept)",
        }
        found = [f"{getattr(self, name)} {text}" for name, text in texts.items() if getattr(self, name)]
        if self.skipped:
            found.append(f"skipped: {self.skipped}")
        return found


@dataclass
class SeriesCheck:
    """The merged candles of one symbol: span, candles and the gaps left (never filled)."""

    symbol: str
    source: str
    candles: int
    first_open_ms: int
    last_open_ms: int
    gaps: int
    missing_minutes: int
    largest_gap_minutes: int
    funding_events: int


@dataclass
class MarketData:
    """Clean candle series by USDC symbol, plus the per-file and per-symbol checks."""

    series: dict[str, CandleSeries] = field(default_factory=dict)
    files: list[FileCheck] = field(default_factory=list)
    symbols: list[SeriesCheck] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Every problem found, one line each, file by file (empty: clean data)."""
        lines = [f"{check.file}: {text}" for check in self.files for text in check.problems()]
        lines += [f"{s.symbol}: {s.gaps} gaps, {s.missing_minutes} missing minutes (largest "
                  f"{s.largest_gap_minutes} min), skipped, not filled" for s in self.symbols if s.gaps]
        sources = {check.source for check in self.files}
        lines += [f"{name}: {reason}" for name, reason in sorted(self.skipped.items()) if name not in sources]
        return lines

    def to_dict(self) -> dict[str, object]:
        return {
            "source_note": SOURCE_NOTE,
            "files": [{**vars(check), "problems": check.problems()} for check in self.files],
            "symbols": [vars(check) for check in self.symbols],
            "skipped": dict(sorted(self.skipped.items())),
        }


def _texts(path: Path) -> list[str]:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return [archive.read(name).decode() for name in archive.namelist() if name.endswith(".csv")]
    if path.suffix == ".gz":
        return [gzip.decompress(path.read_bytes()).decode()]
    return [path.read_text()]


def _tolerant_rows(text: str, check: FileCheck) -> np.ndarray:
    """The slow path for a file numpy cannot parse: row by row, a bad field becomes NaN."""
    rows = []
    for line in text.splitlines():
        parts = line.strip().split(",")
        if not parts or not parts[0].strip() or not (parts[0].strip()[0].isdigit() or parts[0].startswith("-")):
            continue  # header or empty line
        values = []
        for part in (parts + [""] * 6)[:6]:
            try:
                values.append(float(part))
            except ValueError:
                values.append(np.nan)
        if np.isnan(values[0]):
            check.unreadable += 1
            continue
        rows.append(values)
    return np.array(rows, dtype=np.float64).reshape(-1, 6)


def _read_rows(path: Path, check: FileCheck) -> np.ndarray:
    chunks = []
    for text in _texts(path):
        try:
            chunks.append(parse_csv(text, 6))
        except ValueError:
            chunks.append(_tolerant_rows(text, check))
    return np.concatenate(chunks) if chunks else np.zeros((0, 6))


def _clean_file(rows: np.ndarray, check: FileCheck) -> np.ndarray:
    """Drop unusable rows and count why; returns [t, o, h, l, c, v] rows in file order."""
    check.rows += len(rows)
    finite = np.isfinite(rows).all(axis=1)
    check.nan_rows += int((~finite).sum())
    rows = rows[finite]
    prices = rows[:, 1:5]
    positive = (prices > 0).all(axis=1) & (rows[:, 5] >= 0)
    check.bad_price_rows += int((~positive).sum())
    rows = rows[positive]
    o, h, low, c = rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4]
    consistent = (h >= low) & (o >= low) & (o <= h) & (c >= low) & (c <= h)
    check.inconsistent_rows += int((~consistent).sum())
    return rows[consistent]


def _merge(rows: np.ndarray, checks: list[FileCheck], owners: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sort by open time and keep the first row of each minute, counting what that took."""
    t = rows[:, 0].astype(np.int64)
    if len(t) and t[0] > 10**14:  # microsecond timestamps (spot dumps since 2025)
        t //= 1000
    aligned = (t // MINUTE_MS) * MINUTE_MS
    for k, check in enumerate(checks):
        mine = owners == k
        check.misaligned += int((aligned[mine] != t[mine]).sum())
        within = aligned[mine]
        check.unordered += int((np.diff(within) < 0).sum()) if len(within) > 1 else 0
    order = np.argsort(aligned, kind="stable")
    t, rows, owners = aligned[order], rows[order], owners[order]
    repeat = np.r_[False, t[1:] == t[:-1]]
    if repeat.any():
        first = np.maximum.accumulate(np.where(~repeat, np.arange(len(t)), 0))
        differs = repeat & (rows[:, 1:5] != rows[first, 1:5]).any(axis=1)
        for k, check in enumerate(checks):
            check.duplicates += int((repeat & (owners == k)).sum())
            check.conflicting_duplicates += int((differs & (owners == k)).sum())
    keep = ~repeat
    return t[keep], rows[keep]


def _gap_figures(t: np.ndarray) -> tuple[int, int, int]:
    if len(t) < 2:
        return 0, 0, 0
    steps = np.diff(t) // MINUTE_MS
    gaps = steps[steps > 1] - 1
    return len(gaps), int(gaps.sum()), int(gaps.max()) if len(gaps) else 0


def load_market_data(
    folder: Path | str,
    symbols: Iterable[str] | None = None,
    symbol_map: Mapping[str, str] | None = None,
    synthesize_markets: bool = False,
) -> MarketData:
    """Read, check and clean every kline file of ``folder`` (optionally only ``symbols``)."""
    wanted = {normalise_symbol(s) for s in symbols} if symbols else None
    klines, funding = scan_folder(folder)
    data = MarketData()
    for source, paths in sorted(klines.items()):
        checks = [FileCheck(file=p.name, source=source) for p in paths]
        parts = [_clean_file(_read_rows(p, c), c) for p, c in zip(paths, checks, strict=True)]
        data.files.extend(checks)
        rows = np.concatenate(parts) if parts else np.zeros((0, 6))
        if len(rows) == 0:
            for check in checks:
                check.skipped = "no usable candles"
            data.skipped[source] = "no usable candles"
            continue
        spec, reason = target_symbol(source, symbol_map, synthesize_markets, float(rows[0, 4]))
        if spec is None:
            for check in checks:
                check.skipped = reason
            data.skipped[source] = reason
            continue
        if wanted is not None and spec.symbol not in wanted:
            for check in checks:
                check.skipped = "not selected"
            continue
        if spec.symbol in data.series:
            for check in checks:
                check.skipped = f"{spec.symbol} already fed by {data.series[spec.symbol].source}"
            continue
        owners = np.concatenate([np.full(len(p), k) for k, p in enumerate(parts)])
        t, rows = _merge(rows, checks, owners)
        for check in checks:
            check.symbol = spec.symbol
        series = CandleSeries(spec=spec, t=t, o=rows[:, 1].copy(), h=rows[:, 2].copy(), low=rows[:, 3].copy(),
                              c=rows[:, 4].copy(), v=rows[:, 5].copy(), source=source)
        _attach_funding(series, funding.get(source, []))
        gaps, missing, largest = _gap_figures(t)
        data.symbols.append(SeriesCheck(symbol=spec.symbol, source=source, candles=len(t), first_open_ms=int(t[0]),
                                        last_open_ms=int(t[-1]), gaps=gaps, missing_minutes=missing,
                                        largest_gap_minutes=largest, funding_events=len(series.funding_t)))
        data.series[spec.symbol] = series
    if wanted is not None:
        for symbol in sorted(wanted - set(data.series)):
            data.skipped.setdefault(symbol, "no usable kline file for it")
    return data


def _attach_funding(series: CandleSeries, paths: list[Path]) -> None:
    tables = [parse_csv(text, 2) for path in paths for text in _texts(path)]
    if not tables:
        return
    rows = np.concatenate(tables)
    rows = rows[np.isfinite(rows).all(axis=1)]
    if len(rows) == 0:
        return
    times = rows[:, 0].astype(np.int64)
    order = np.argsort(times, kind="stable")
    times, rates = times[order], rows[order, 1]
    keep = np.r_[True, times[1:] != times[:-1]]
    series.funding_t, series.funding_r = times[keep], rates[keep].copy()

