"""sd_notify against a real AF_UNIX datagram socket that the test binds, as systemd does.

No mocks: the datagrams the bot sends are read back from the socket. The heartbeat test runs real
pykka actors and a real ``HeartbeatMonitor``: while one actor is hung, no WATCHDOG=1 leaves.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from actors.base import BotActor
from actors.context import BotContext
from actors.directory import ROOT, ActorDirectory
from config import load_settings
from core.clock import SystemClock
from exchange.catalog import MarketCatalog
from service.monitor import HeartbeatMonitor
from service.sd_notify import SdNotifier, socket_address, watchdog_interval_s
from service.watchdog import ServiceWatchdog
from tests.support import eventually


class NotifySocket:
    """The service manager's end: a bound datagram socket and the messages received on it."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(socket_address(address))
        self.sock.settimeout(5.0)

    def receive(self) -> dict[str, str]:
        data = self.sock.recv(4096).decode()
        return dict(line.split("=", 1) for line in data.splitlines() if line)

    def drain(self) -> list[dict[str, str]]:
        self.sock.setblocking(False)
        received = []
        try:
            while True:
                data = self.sock.recv(4096).decode()
                received.append(dict(line.split("=", 1) for line in data.splitlines() if line))
        except BlockingIOError:
            return received
        finally:
            self.sock.settimeout(5.0)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def path_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    listener = NotifySocket(str(tmp_path / "notify.sock"))
    yield listener
    listener.close()


@pytest.fixture
def abstract_socket() -> Iterator[NotifySocket]:
    listener = NotifySocket(f"@usdcbot-test-{uuid.uuid4().hex}")
    yield listener
    listener.close()


def test_ready_watchdog_status_stopping_reach_a_path_socket(path_socket: NotifySocket) -> None:
    notifier = SdNotifier.from_environment({"NOTIFY_SOCKET": path_socket.address})
    assert notifier.enabled
    assert notifier.ready(status="reconciled")
    assert path_socket.receive() == {"READY": "1", "STATUS": "reconciled"}
    assert notifier.watchdog()
    assert path_socket.receive() == {"WATCHDOG": "1"}
    assert notifier.stopping()
    assert path_socket.receive() == {"STOPPING": "1", "STATUS": "stopping"}
    assert notifier.sent == 3
    notifier.close()


def test_abstract_namespace_socket(abstract_socket: NotifySocket) -> None:
    notifier = SdNotifier(abstract_socket.address)
    assert notifier.watchdog()
    assert abstract_socket.receive() == {"WATCHDOG": "1"}


def test_a_newline_cannot_forge_a_field(path_socket: NotifySocket) -> None:
    SdNotifier(path_socket.address).status("all good\nREADY=1")
    assert path_socket.receive() == {"STATUS": "all good READY=1"}


def test_without_systemd_every_call_is_a_silent_no_op() -> None:
    notifier = SdNotifier.from_environment({})
    assert not notifier.enabled
    assert notifier.ready() is False and notifier.watchdog() is False and notifier.stopping() is False


def test_a_vanished_socket_is_reported_once_and_never_raises(tmp_path: Path, caplog) -> None:
    notifier = SdNotifier(str(tmp_path / "gone.sock"))
    assert notifier.watchdog() is False
    assert notifier.watchdog() is False
    assert sum("cannot notify systemd" in r.getMessage() for r in caplog.records) == 1


def test_watchdog_interval_belongs_to_the_process_it_was_set_for() -> None:
    assert watchdog_interval_s({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid())}) == 60.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "60000000"}) == 60.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval_s({}) is None


class Worker(BotActor):
    """An actor that can be made to hang (its thread blocked) until released."""

    def hang(self, release: threading.Event) -> None:
        release.wait(30)


def _context() -> BotContext:
    settings = load_settings(env={}, env_file=None, overrides={
        "supervision": {"heartbeat_interval_s": 0.05, "heartbeat_timeout_s": 0.3}}).settings
    return BotContext(settings=settings, clock=SystemClock(), directory=ActorDirectory(), storage=None,
                      catalog=MarketCatalog(rules={}))


def test_watchdog_pings_stop_while_an_actor_is_hung_and_resume_after(path_socket: NotifySocket) -> None:
    ctx = _context()
    refs = {name: Worker.start(ctx, name, ROOT) for name in (ROOT, "risk", "symbol:BTC/USDC:USDC")}
    for name, ref in refs.items():
        ctx.directory.register(name, ref)
    ready = threading.Event()
    watchdog = ServiceWatchdog(SdNotifier(path_socket.address), is_reconciled=ready.is_set)
    hung: list[str] = []
    monitor = HeartbeatMonitor(ctx, lambda name, supervisor: hung.append(name), watchdog.on_healthy)
    monitor.start()
    release = threading.Event()
    try:
        # Healthy but not reconciled: watchdog pings, no READY yet.
        assert path_socket.receive() == {"WATCHDOG": "1"}
        ready.set()
        eventually(lambda: any(m.get("READY") == "1" for m in path_socket.drain()), message="no READY=1")
        assert watchdog.ready_sent

        refs["symbol:BTC/USDC:USDC"].proxy().hang(release)
        eventually(lambda: ctx.health.counter("heartbeat.missed") >= 1, message="the hung actor was not noticed")
        path_socket.drain()  # pings from rounds that ended before the hang
        eventually(lambda: ctx.health.counter("heartbeat.missed") >= 3, message="monitoring stopped")
        assert path_socket.drain() == [], "WATCHDOG=1 was sent while an actor was hung"
        assert hung and set(hung) == {"symbol:BTC/USDC:USDC"}

        release.set()
        assert path_socket.receive() == {"WATCHDOG": "1"}
        assert sum(1 for m in path_socket.drain() if m.get("READY")) == 0, "READY=1 must be sent once"
    finally:
        release.set()
        monitor.stop()
        monitor.join(timeout=5)
        for ref in refs.values():
            ref.stop()


def test_a_hung_root_supervisor_stops_the_pings_too(path_socket: NotifySocket) -> None:
    """Nobody can restart the root supervisor but the service manager: its silence must reach it."""
    ctx = _context()
    root = Worker.start(ctx, ROOT, ROOT)
    ctx.directory.register(ROOT, root)
    watchdog = ServiceWatchdog(SdNotifier(path_socket.address), is_reconciled=lambda: True)
    hung: list[str] = []
    monitor = HeartbeatMonitor(ctx, lambda name, supervisor: hung.append(name), watchdog.on_healthy)
    monitor.start()
    release = threading.Event()
    try:
        path_socket.receive()
        root.proxy().hang(release)
        eventually(lambda: ctx.health.counter("heartbeat.missed") >= 1, message="the hung root was not noticed")
        path_socket.drain()
        eventually(lambda: ctx.health.counter("heartbeat.missed") >= 3, message="monitoring stopped")
        assert path_socket.drain() == []
        assert hung == []  # not reported to itself
    finally:
        release.set()
        monitor.stop()
        monitor.join(timeout=5)
        root.stop()
