"""``run.py download`` against the simulator: rows equal the simulator's candles, closed ones only; an
interrupted download resumes to the same bytes; requests are paced by the weight budget."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cli.app import run_cli
from config import load_settings
from exchange.rate_limit import WeightBudget
from service.download import HEADER, download_symbol, file_paths, last_closed_open_ms
from service.exchange_access import exchange_target, open_gateway
from simulator.candles import MINUTE_MS
from simulator.loader import load_directory
from simulator.synthetic import generate
from tests.support import REPO_ROOT, eventually
from tests.system.support import running_simulator

T0 = 1_746_057_600_000  # 2025-05-01 00:00 UTC
DAYS_OF_DATA = 4
SERIES = generate(["BTCUSDC", "ETHUSDC"], T0, DAYS_OF_DATA * 1440, seed=11)
NOW = T0 + DAYS_OF_DATA * 1440 * MINUTE_MS - 30 * MINUTE_MS + 20_000  # 20 s into a forming candle


@pytest.fixture(scope="module")
def sim():
    with running_simulator(data_dir=None, series=SERIES, start=NOW, stepped=True) as handle:
        yield handle


def _download(sim, out: Path, days: str = "3", symbols: str = "BTC,ETHUSDC") -> int:
    return run_cli(["download", "--symbols", symbols, "--days", days, "--timeframe", "1m", "--out", str(out),
                    "--exchange-url", sim.rest_url, "--env-file", str(out.parent / "none.env"), "--quiet"])


def test_rows_equal_the_simulators_closed_candles(sim, tmp_path: Path) -> None:
    out = tmp_path / "klines"
    assert _download(sim, out) == 0
    assert sorted(p.name for p in out.iterdir()) == ["BTCUSDC-1m.csv.gz", "ETHUSDC-1m.csv.gz"]
    loaded = load_directory(out).series  # what `trade --data` and `backtest --data` read
    last_open = last_closed_open_ms(NOW, "1m")
    first_open = last_open - 3 * 1440 * MINUTE_MS + MINUTE_MS
    for symbol, source in SERIES.items():
        got = loaded[symbol]
        keep = (source.t >= first_open) & (source.t <= last_open)
        assert len(got) == 3 * 1440
        assert got.t[0] == first_open and got.t[-1] == last_open  # the forming candle is not there
        np.testing.assert_array_equal(got.t, source.t[keep])
        for field in ("o", "h", "low", "c", "v"):
            np.testing.assert_allclose(getattr(got, field), getattr(source, field)[keep], rtol=1e-12)
    with __import__("gzip").open(out / "BTCUSDC-1m.csv.gz", "rt") as handle:
        assert handle.readline().strip() == HEADER


def test_an_interrupted_download_resumes_to_identical_files(sim, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    assert _download(sim, reference) == 0

    out = tmp_path / "interrupted"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT__", "BINANCE_", "TELEGRAM_"))}
    log = (tmp_path / "download-output.txt").open("w")
    sim.set_faults(latency_ms=150)  # slow enough to be killed in the middle
    try:
        process = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "run.py"), "download", "--symbols", "BTC,ETHUSDC", "--days", "3",
             "--out", str(out), "--exchange-url", sim.rest_url], cwd=tmp_path, env=env, stdout=log,
            stderr=subprocess.STDOUT)
        _, btc_part = file_paths(out, "BTCUSDC", "1m")
        eventually(lambda: btc_part.exists() and btc_part.stat().st_size > 20_000, timeout=30,
                   message="the download never wrote its first batch")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        sim.set_faults(latency_ms=0)
    assert not (out / "BTCUSDC-1m.csv.gz").exists(), "finished before it could be interrupted"
    with btc_part.open("a") as handle:  # as if killed in the middle of a row
        handle.write("17461")
    assert _download(sim, out) == 0
    for name in ("BTCUSDC-1m.csv.gz", "ETHUSDC-1m.csv.gz"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert sorted(p.name for p in out.iterdir()) == ["BTCUSDC-1m.csv.gz", "ETHUSDC-1m.csv.gz"]


def test_a_rerun_appends_only_what_is_new(sim, tmp_path: Path, capsys) -> None:
    out = tmp_path / "klines"
    assert _download(sim, out, days="1", symbols="BTC") == 0
    capsys.readouterr()
    before = (out / "BTCUSDC-1m.csv.gz").read_bytes()
    assert _download(sim, out, days="1", symbols="BTC") == 0
    assert "BTCUSDC: +0 rows" in capsys.readouterr().out
    assert (out / "BTCUSDC-1m.csv.gz").read_bytes() == before


def test_requests_are_paced_by_the_weight_budget(sim, tmp_path: Path) -> None:
    """A 100-weight budget allows 20 requests of 1000 candles a minute: 3 days (5 requests of weight 5
    plus the used-weight the simulator reports for this test's earlier calls) must wait for a new minute."""
    clock = {"ms": 0}
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock["ms"] += int(seconds * 1000) + 1

    budget = WeightBudget(100, now_ms=lambda: clock["ms"], sleep=sleep)
    budget.observe_used_weight(95)  # another process on the same IP spent most of this minute
    settings = load_settings(env={}, env_file=None).settings
    gateway = open_gateway(settings, exchange_target(settings, sim.rest_url), budget)
    last_open = last_closed_open_ms(NOW, "1m")
    result = download_symbol(gateway, "BTCUSDC", "1m", last_open - (3 * 1440 - 1) * MINUTE_MS, last_open, tmp_path)
    assert result.requests == 5 and result.rows_total == 3 * 1440
    assert waits and clock["ms"] >= 60_000 - 1, "no request waited for the next weight window"


def test_unknown_symbol_is_reported_and_others_continue(sim, tmp_path: Path, capsys) -> None:
    out = tmp_path / "klines"
    assert _download(sim, out, days="0.01", symbols="DOGE,BTC") == 1
    captured = capsys.readouterr()
    assert "DOGEUSDC: FAILED" in captured.err
    assert (out / "BTCUSDC-1m.csv.gz").exists()
