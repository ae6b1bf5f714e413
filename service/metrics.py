"""Optional Prometheus metrics on localhost (``logging.metrics_port``; needs the ``metrics`` extra).

Why a custom collector instead of counters updated by the actors: the actors already publish what
they know on the HealthBoard (observability only, never read for decisions). Reading the board at
scrape time keeps the trading path free of metric calls, costs nothing when nobody scrapes, and makes
the exporter a pure add-on that can be absent (``prometheus-client`` not installed) without a single
``if`` in the actors.

The exporter listens on 127.0.0.1 only: it has no authentication, and equity and PnL are private.
Expose it further through a reverse proxy or an SSH tunnel if needed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pykka

from actors.directory import RISK

log = logging.getLogger(__name__)

PREFIX = "usdcbot"
FEED_STATES = ("ws", "rest")


class MetricsServer:
    """A running exporter: ``port`` is the bound port (useful with port 0), ``stop()`` ends it."""

    def __init__(self, server: Any, thread: Any) -> None:
        self._server = server
        self._thread = thread
        self.port = int(server.server_address[1])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2.0)


def start_metrics(ctx: Any, port: int | None, host: str = "127.0.0.1") -> MetricsServer | None:
    """Start the exporter when a port is configured and ``prometheus-client`` is installed; else None.

    Never fatal: a missing package or a busy port is logged and the bot trades on without metrics.
    """
    if port is None:
        return None
    try:
        from prometheus_client import start_http_server
        from prometheus_client.registry import CollectorRegistry
    except ImportError:
        log.warning("logging.metrics_port is set but prometheus-client is not installed: no metrics "
                    "(pip install 'usdc-futures-bot[metrics]')")
        return None
    registry = CollectorRegistry(auto_describe=False)  # one per bot: no process-global state
    registry.register(BotCollector(ctx))
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        log.error("cannot serve metrics on %s:%d: %s; continuing without metrics", host, port, exc)
        return None
    exporter = MetricsServer(server, thread)
    log.info("metrics on http://%s:%d/metrics", host, exporter.port)
    return exporter


class BotCollector:
    """Reads the HealthBoard (and asks the RiskActor for equity) each time Prometheus scrapes."""

    def __init__(self, ctx: Any, ask_timeout_s: float = 1.0) -> None:
        self.ctx = ctx
        self.ask_timeout_s = ask_timeout_s

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily

        health = self.ctx.health.snapshot()
        values, counters = health["values"], health["counters"]
        yield GaugeMetricFamily(f"{PREFIX}_uptime_seconds", "Seconds since the bot started", value=health["uptime_s"])

        restarts = CounterMetricFamily(f"{PREFIX}_actor_restarts", "Actor restarts by their supervisor",
                                       labels=["actor"])
        for key, count in sorted(counters.items()):
            if key.startswith("restarts."):
                restarts.add_metric([key.removeprefix("restarts.")], count)
        yield restarts
        supervisors = CounterMetricFamily(f"{PREFIX}_supervisor_restarts", "Restarts ordered per supervisor",
                                          labels=["supervisor"])
        supervisors.add_metric(["root"], counters.get("root.restarts", 0))
        supervisors.add_metric(["symbols"], counters.get("symbols.restarts", 0))
        yield supervisors
        yield CounterMetricFamily(f"{PREFIX}_heartbeats_missed", "Heartbeats not answered in time",
                                  value=counters.get("heartbeat.missed", 0))
        quarantined = values.get("symbols.quarantined", [])
        yield GaugeMetricFamily(f"{PREFIX}_symbols_quarantined", "Symbols quarantined after repeated failures",
                                value=len(quarantined))
        yield GaugeMetricFamily(f"{PREFIX}_symbols_active", "Symbols with a running SymbolActor",
                                value=len(values.get("symbols.active", [])))

        feed = GaugeMetricFamily(f"{PREFIX}_feed_state", "1 for the current market-data source of each symbol",
                                 labels=["symbol", "source"])
        for symbol, state in sorted((values.get("feed.state") or {}).items()):
            for source in FEED_STATES:
                feed.add_metric([symbol, source], 1.0 if state == source else 0.0)
        yield feed
        yield CounterMetricFamily(f"{PREFIX}_feed_stale_events", "Times a symbol's WebSocket feed went stale",
                                  value=counters.get("feed.stale", 0))
        yield CounterMetricFamily(f"{PREFIX}_feed_malformed_frames", "Market frames refused as malformed",
                                  value=counters.get("feed.malformed_frames", 0))
        connected = values.get("user_stream.connected")
        if connected is not None:
            yield GaugeMetricFamily(f"{PREFIX}_user_stream_connected", "1 while the user-data stream is open",
                                    value=1.0 if connected else 0.0)

        yield GaugeMetricFamily(f"{PREFIX}_storage_pending_writes",
                                "Journal writes waiting for the database (locked or disk full)",
                                value=values.get("storage.pending", 0))
        yield CounterMetricFamily(f"{PREFIX}_storage_outages", "Times the database refused journal writes",
                                  value=counters.get("storage.outages", 0))
        budget = values.get("exchange.budget")
        if budget is not None:
            yield GaugeMetricFamily(f"{PREFIX}_weight_used", "Request weight used in the current minute",
                                    value=budget.used)
            yield GaugeMetricFamily(f"{PREFIX}_weight_limit", "Request weight allowed per minute (our share)",
                                    value=budget.limit)
            yield CounterMetricFamily(f"{PREFIX}_rate_limit_rejections", "429/418 answers from the exchange",
                                      value=budget.rejections)
        stats = values.get("exchange.stats")
        if stats is not None:
            snap = stats.snapshot()
            yield CounterMetricFamily(f"{PREFIX}_rest_calls", "REST calls to the exchange", value=snap["calls"])
            yield CounterMetricFamily(f"{PREFIX}_rest_errors", "REST calls that failed", value=snap["errors"])
            latency = GaugeMetricFamily(f"{PREFIX}_rest_latency_seconds", "REST call latency (recent calls)",
                                        labels=["quantile"])
            latency.add_metric(["0.5"], snap["latency_p50_ms"] / 1000)
            latency.add_metric(["0.99"], snap["latency_p99_ms"] / 1000)
            yield latency
        samples = self.ctx.health.latencies("candle_to_entry_order") if hasattr(self.ctx.health, "latencies") else []
        yield SummaryMetricFamily(f"{PREFIX}_order_latency_seconds",
                                  "Closed candle received to entry order sent (recent samples)",
                                  count_value=len(samples), sum_value=float(sum(samples)))

        risk = self._risk_status()
        if risk is not None:
            yield GaugeMetricFamily(f"{PREFIX}_equity", "Account equity in USDC", value=risk.equity)
            yield GaugeMetricFamily(f"{PREFIX}_pnl_today", "PnL since the UTC day started, USDC",
                                    value=risk.daily_pnl)
            yield GaugeMetricFamily(f"{PREFIX}_open_positions", "Open positions", value=risk.open_positions)
            yield GaugeMetricFamily(f"{PREFIX}_paused", "1 while entries are paused", value=1.0 if risk.paused else 0)
            yield GaugeMetricFamily(f"{PREFIX}_reconciled", "1 once start-up reconciliation is done",
                                    value=1.0 if risk.reconciled else 0.0)
        yield GaugeMetricFamily(f"{PREFIX}_up", "1 when the risk actor answered this scrape",
                                value=0.0 if risk is None else 1.0)

    def _risk_status(self) -> Any:
        ref = self.ctx.directory.get(RISK)
        if ref is None:
            return None
        try:
            return ref.proxy().status().get(timeout=self.ask_timeout_s)
        except (pykka.Timeout, pykka.ActorDeadError):
            return None
