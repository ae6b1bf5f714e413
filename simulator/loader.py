"""Load 1m kline files (and funding files) from a folder into :class:`CandleSeries`.

Accepted: the first six columns of Binance's kline CSV (``open_time,open,high,low,close,volume``), with
or without a header row, plain ``.csv``, ``.csv.gz`` or data.binance.vision ``.zip``; several files per
symbol (daily/monthly dumps) are concatenated, sorted and de-duplicated. The symbol is the file-name part
before the first ``-`` and the file name must contain ``-1m``. Funding: ``<SYMBOL>-*funding*.csv`` with
``funding_time,funding_rate``.

Symbol map: an explicit ``symbol_map`` entry wins; otherwise ``<BASE>USDT`` feeds ``<BASE>USDC`` when that
is a known USDC perpetual (the USDC twin trades within basis points of the USDT one). A base without a
USDC perpetual is skipped, or, with ``synthesize_markets``, gets an invented market
(:func:`simulator.markets.synthesize_market`).
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.candles import MINUTE_MS, CandleSeries
from simulator.markets import MARKETS, MarketSpec, synthesize_market

_KLINE_NAME = re.compile(r"^(?P<symbol>[A-Z0-9]+)-1m(?:[-.].*)?$")
_FUNDING_NAME = re.compile(r"^(?P<symbol>[A-Z0-9]+)-.*funding.*\.csv(?:\.gz)?$")


@dataclass
class LoadResult:
    """Loaded series by USDC symbol, plus what was skipped and why (printed by the CLI)."""

    series: dict[str, CandleSeries] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def _read_text(path: Path) -> list[str]:
    """All CSV texts in ``path`` (a zip may hold several)."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return [archive.read(name).decode() for name in archive.namelist() if name.endswith(".csv")]
    if path.suffix == ".gz":
        return [gzip.decompress(path.read_bytes()).decode()]
    return [path.read_text()]


def parse_csv(text: str, columns: int) -> np.ndarray:
    """First ``columns`` numeric columns of a CSV text as float64 rows; a header line is skipped.

    numpy 2's C ``loadtxt`` parses a month of 1m candles in ~20 ms (measured against ``fromstring`` and a
    split-based parser, which were no faster).
    """
    stripped = text.lstrip()
    if not stripped:
        return np.zeros((0, columns))
    first = stripped.split("\n", 1)[0]
    skip = 0 if first[:1].isdigit() or first[:1] == "-" else 1
    data = np.loadtxt(io.StringIO(stripped), delimiter=",", skiprows=skip, usecols=range(columns), ndmin=2)
    return data


def normalise_symbol(name: str) -> str:
    """'btc', 'BTC', 'BTCUSDC', 'BTC/USDC:USDC' -> 'BTCUSDC'."""
    text = name.strip().upper().split(":")[0].replace("/", "")
    return text if text.endswith("USDC") else f"{text}USDC"


def target_symbol(
    source: str, symbol_map: Mapping[str, str] | None, synthesize: bool, price: float
) -> tuple[MarketSpec | None, str]:
    """The USDC market a file symbol feeds, or None and the reason it is skipped."""
    if symbol_map and source in symbol_map:
        target = normalise_symbol(symbol_map[source])
    elif source.endswith("USDT"):
        target = source[:-4] + "USDC"
    else:
        target = normalise_symbol(source)
    if target in MARKETS:
        return MARKETS[target], ""
    if synthesize:
        return synthesize_market(target[:-4], price), ""
    return None, f"{target} is not a USDC perpetual (use synthesize_markets to invent one)"


def scan_folder(folder: Path | str) -> tuple[dict[str, list[Path]], dict[str, list[Path]]]:
    """The kline and funding files of ``folder`` by source symbol (``BTCUSDT-1m.csv.gz`` → ``BTCUSDT``);
    shared by the simulator and the backtest's data checks so both read the same files."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"kline folder {folder} does not exist")
    kline_files: dict[str, list[Path]] = {}
    funding_files: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        match = _FUNDING_NAME.match(path.name)
        if match:
            funding_files.setdefault(match["symbol"], []).append(path)
            continue
        match = _KLINE_NAME.match(path.name)
        if match and path.name.endswith((".csv", ".csv.gz", ".zip")):
            kline_files.setdefault(match["symbol"], []).append(path)
    return kline_files, funding_files


def load_directory(
    folder: Path | str,
    symbols: Iterable[str] | None = None,
    symbol_map: Mapping[str, str] | None = None,
    synthesize_markets: bool = False,
) -> LoadResult:
    """Load every kline file of ``folder`` (optionally only ``symbols``, given as bases or USDC symbols)."""
    wanted = {normalise_symbol(s) for s in symbols} if symbols else None
    kline_files, funding_files = scan_folder(folder)
    result = LoadResult()
    for source, paths in sorted(kline_files.items()):
        rows = np.concatenate([parse_csv(text, 6) for p in paths for text in _read_text(p)])
        if len(rows) == 0:
            result.skipped[source] = "no candles"
            continue
        spec, reason = target_symbol(source, symbol_map, synthesize_markets, float(rows[0, 4]))
        if spec is None:
            result.skipped[source] = reason
            continue
        if wanted is not None and spec.symbol not in wanted:
            continue
        if spec.symbol in result.series:
            result.skipped[source] = f"{spec.symbol} already fed by {result.series[spec.symbol].source}"
            continue
        t = rows[:, 0].astype(np.int64)
        if t[0] > 10**14:  # microsecond timestamps (spot dumps since 2025)
            t //= 1000
        t = (t // MINUTE_MS) * MINUTE_MS
        order = np.argsort(t, kind="stable")
        t, rows = t[order], rows[order]
        keep = np.r_[True, t[1:] != t[:-1]]
        t, rows = t[keep], rows[keep]
        series = CandleSeries(
            spec=spec,
            t=t,
            o=rows[:, 1].copy(),
            h=rows[:, 2].copy(),
            low=rows[:, 3].copy(),
            c=rows[:, 4].copy(),
            v=rows[:, 5].copy(),
            source=source,
        )
        fund = [parse_csv(text, 2) for p in funding_files.get(source, []) for text in _read_text(p)]
        if fund and sum(len(f) for f in fund):
            frows = np.concatenate(fund)
            ft = frows[:, 0].astype(np.int64)
            order = np.argsort(ft, kind="stable")
            series.funding_t, series.funding_r = ft[order], frows[order, 1].copy()
        result.series[spec.symbol] = series
    if wanted is not None:
        for symbol in sorted(wanted - set(result.series)):
            result.skipped.setdefault(symbol, "no kline file for it")
    return result
