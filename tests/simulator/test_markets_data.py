"""The built-in market table, the kline/funding loader and the synthetic generator."""

from __future__ import annotations

import gzip
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from simulator.candles import aggregate
from simulator.loader import load_directory, parse_csv
from simulator.markets import MARKETS, synthesize_market
from simulator.server.exchange_info import exchange_info, symbol_entry
from simulator.synthetic import generate_series
from tests.support import EXCHANGE_INFO_FILE, SHARED_DIR, require_shared_data

TIERS_FILE = SHARED_DIR / "data" / "exchange" / "leverage-tiers-usdc-ccxt.json"


def test_builtin_table_reproduces_the_real_exchange_info_entries() -> None:
    real = json.loads(require_shared_data(EXCHANGE_INFO_FILE).read_text())
    by_symbol = {s["symbol"]: s for s in real["symbols"]}
    assert set(by_symbol) == set(MARKETS)
    for symbol, spec in MARKETS.items():
        assert symbol_entry(spec, spec.status) == by_symbol[symbol], symbol


def test_builtin_brackets_match_the_published_tiers() -> None:
    tiers = json.loads(require_shared_data(TIERS_FILE).read_text())
    assert len(tiers) == 26
    for unified, rows in tiers.items():
        spec = MARKETS[unified.split("/")[0] + "USDC"]
        assert len(spec.brackets) == len(rows)
        for bracket, row in zip(spec.brackets, rows, strict=True):
            info = row["info"]
            assert bracket.notional_cap == Decimal(info["notionalCap"])
            assert bracket.notional_floor == Decimal(info["notionalFloor"])
            assert bracket.initial_leverage == int(info["initialLeverage"])
            assert bracket.maint_margin_ratio == Decimal(info["maintMarginRatio"])
            assert bracket.cum == Decimal(info["cum"])


def test_min_notional_facts() -> None:
    assert MARKETS["BTCUSDC"].min_notional == "100"
    assert MARKETS["ETHUSDC"].min_notional == "20"
    assert MARKETS["SOLUSDC"].min_notional == "5"
    assert MARKETS["BIOUSDC"].status == "PENDING_TRADING"


@pytest.mark.parametrize(
    ("base", "price", "tick", "step"),
    [
        ("ETC", 16.22, "0.001", "0.01"),
        ("LAYER", 3.2183, "0.0001", "0.1"),
        ("XLM", 0.26908, "0.00001", "1"),
        ("XMR", 273.27, "0.01", "0.001"),
    ],
)
def test_synthesized_markets_follow_the_price_level(base: str, price: float, tick: str, step: str) -> None:
    spec = synthesize_market(base, price)
    assert (spec.symbol, spec.tick_size, spec.step_size, spec.min_notional) == (f"{base}USDC", tick, step, "5")
    assert spec.synthesized and spec.brackets[0].initial_leverage == 50
    assert spec.price_precision == len(tick.split(".")[1])
    assert Decimal(spec.market_max_qty) < Decimal(spec.max_qty)


def _write_csv(path: Path, rows: list[tuple], header: bool) -> None:
    text = ("open_time,open,high,low,close,volume\n" if header else "") + "".join(
        ",".join(map(str, r)) + "\n" for r in rows
    )
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)


def test_loader_reads_every_accepted_format(tmp_path: Path) -> None:
    t0 = 1_700_000_040_000
    rows = [(t0 + i * 60_000, 100 + i, 101 + i, 99 + i, 100.5 + i, 10) for i in range(5)]
    _write_csv(tmp_path / "SOLUSDT-1m-2023-11.csv.gz", rows[:3], header=True)
    _write_csv(tmp_path / "SOLUSDT-1m-2023-12.csv", rows[2:], header=False)  # overlap is de-duplicated
    binance_dump = "\n".join(",".join(map(str, (*r, t0, 1, 2, 3, 4, 0))) for r in rows) + "\n"
    with zipfile.ZipFile(tmp_path / "ETHUSDC-1m-2023-11.zip", "w") as archive:
        archive.writestr("ETHUSDC-1m-2023-11.csv", binance_dump)
    _write_csv(tmp_path / "DOGEUSDT-1m.csv", rows, header=True)
    (tmp_path / "SOLUSDT-8h-funding.csv").write_text(f"funding_time,funding_rate\n{t0 + 60_000},0.0001\n")
    result = load_directory(tmp_path, symbol_map={"DOGEUSDT": "SUIUSDC"})
    assert sorted(result.series) == ["ETHUSDC", "SOLUSDC", "SUIUSDC"]
    sol = result.series["SOLUSDC"]
    assert len(sol) == 5 and sol.first_ms == t0 and sol.c[-1] == 104.5
    assert sol.funding_t.tolist() == [t0 + 60_000]
    assert result.series["ETHUSDC"].h.tolist() == [101 + i for i in range(5)]


def test_loader_symbol_map_and_synthesized_markets() -> None:
    folder = require_shared_data()
    plain = load_directory(folder, symbols=["BTC", "ETC"])
    assert sorted(plain.series) == ["BTCUSDC"] and "ETCUSDT" in plain.skipped
    everything = load_directory(folder, synthesize_markets=True)
    assert len(everything.series) == 16
    assert everything.series["XMRUSDC"].spec.synthesized
    btc = everything.series["BTCUSDC"]
    assert len(btc) == 43_197 and len(btc.funding_t) > 90
    with gzip.open(folder / "BTCUSDT-1m.csv.gz", "rt") as fh:
        first = fh.read().splitlines()[1].split(",")
    assert (int(btc.t[0]), float(btc.o[0]), float(btc.v[0])) == (int(first[0]), float(first[1]), float(first[5]))


def test_parse_csv_without_header() -> None:
    data = parse_csv("1,2,3,4,5,6,7\n8,9,10,11,12,13,14\n", 6)
    assert data.shape == (2, 6) and data[1, 5] == 13


def test_synthetic_generator_is_seeded_and_plausible() -> None:
    a = generate_series("BTCUSDC", 1_746_000_000_000, 5000, seed=3)
    b = generate_series("BTCUSDC", 1_746_000_000_000, 5000, seed=3)
    c = generate_series("BTCUSDC", 1_746_000_000_000, 5000, seed=4)
    assert np.array_equal(a.c, b.c) and not np.array_equal(a.c, c.c)
    assert np.all(a.h >= np.maximum(a.o, a.c)) and np.all(a.low <= np.minimum(a.o, a.c))
    returns = np.diff(np.log(a.c))
    assert 0.0002 < returns.std() < 0.003  # per-minute volatility of a large cap
    clustering = np.corrcoef(np.abs(returns[1:]), np.abs(returns[:-1]))[0, 1]
    assert clustering > 0.1  # volatility clustering
    assert 50_000 < a.c.mean() < 150_000 and len(a.funding_t) >= 3
    assert np.all(a.t % 60_000 == 0)


def test_higher_timeframes_are_aggregated_from_1m() -> None:
    series = generate_series("ETHUSDC", 1_746_000_000_000, 600, seed=1)
    t, o, h, low, c, v = series.view()
    rows = aggregate(series, 15, int(t[0]) - 900_000, int(t[-1]), int(t[-1]) + 60_000, None)
    for row in rows:
        sel = (t >= row[0]) & (t < row[0] + 900_000)
        assert row[0] % 900_000 == 0
        assert (row[1], row[2], row[3], row[4]) == (o[sel][0], h[sel].max(), low[sel].min(), c[sel][-1])
        assert row[5] == pytest.approx(v[sel].sum())


def test_exchange_info_marks_symbols_without_data_yet_as_pending(synth_series: dict) -> None:
    first = min(s.first_ms for s in synth_series.values())
    info = exchange_info(synth_series, first - 1)
    assert {s["status"] for s in info["symbols"]} == {"PENDING_TRADING"}
    assert info["rateLimits"][0] == {
        "rateLimitType": "REQUEST_WEIGHT",
        "interval": "MINUTE",
        "intervalNum": 1,
        "limit": 6000,
    }
