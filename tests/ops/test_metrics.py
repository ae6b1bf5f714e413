"""Prometheus metrics of a running bot, read with an HTTP GET as Prometheus would."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

import pytest

from config.sections import LoggingSettings
from service.metrics import start_metrics
from tests.support import eventually, free_port
from tests.system.support import running_bot, running_simulator

prometheus_client = pytest.importorskip("prometheus_client", reason="the optional 'metrics' extra is not installed")

SETTING_EXISTS = "metrics_port" in LoggingSettings.model_fields


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.status == 200
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_metrics_endpoint_reports_the_running_bot(tmp_path: Path) -> None:
    port = free_port()
    overrides = {"logging": {"metrics_port": port}} if SETTING_EXISTS else {}
    with running_simulator(data_dir=None, symbols=["BTC", "ETH"], seed=2, speed=60) as sim, \
            running_bot(sim, tmp_path, overrides) as bot:
        assert bot.ctx is not None
        exporter = bot.metrics if SETTING_EXISTS else start_metrics(bot.ctx, port)
        assert exporter is not None and exporter.port == port
        try:
            samples = eventually(lambda: (s := scrape(port)).get("usdcbot_reconciled") == 1.0 and s, timeout=30,
                                 message="the bot never reported itself reconciled")
            bot.ctx.health.increment("restarts.scanner")  # as the RootSupervisor does on a restart
            samples = eventually(lambda: (s := scrape(port)).get('usdcbot_actor_restarts_total{actor="scanner"}')
                                 and s, timeout=20, message="the restart was not exported")
            feed = eventually(lambda: bot.ctx.health.get("feed.state"), timeout=20, message="no feed state")
            samples = scrape(port)
        finally:
            if not SETTING_EXISTS:
                exporter.stop()
    assert samples["usdcbot_up"] == 1.0
    assert samples["usdcbot_equity"] == pytest.approx(400.0, rel=0.05)
    assert "usdcbot_pnl_today" in samples and "usdcbot_open_positions" in samples
    assert samples['usdcbot_actor_restarts_total{actor="scanner"}'] == 1.0
    for symbol, state in feed.items():
        assert samples[f'usdcbot_feed_state{{source="{state}",symbol="{symbol}"}}'] == 1.0
    assert samples["usdcbot_symbols_active"] >= 1
    assert 0 < samples["usdcbot_weight_used"] <= samples["usdcbot_weight_limit"]
    assert samples["usdcbot_rest_calls_total"] > 0
    assert "usdcbot_order_latency_seconds_count" in samples
    assert samples['usdcbot_rest_latency_seconds{quantile="0.5"}'] > 0


def test_without_prometheus_client_the_bot_runs_on_without_metrics(monkeypatch, caplog) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # makes `import prometheus_client` fail
    assert start_metrics(object(), free_port()) is None
    assert "prometheus-client is not installed" in caplog.text


def test_no_port_configured_means_no_server() -> None:
    assert start_metrics(object(), None) is None
