"""The bot's side of systemd's ``Type=notify`` contract, fed by the heartbeat monitor.

- ``READY=1`` only once start-up reconciliation is done: until then the bot accepts no entries, and
  ``systemctl start`` should not report a service that is still recovering its positions as started.
- ``WATCHDOG=1`` after every heartbeat round in which *every* actor answered. A hung actor that its
  supervisor restarts costs a round or two; a tree that stays hung (a deadlocked supervisor, a stuck
  GIL holder) stops the pings, and systemd kills and restarts the process after ``WatchdogSec=``.
- ``STOPPING=1`` when an orderly shutdown starts, so the unit shows "deactivating" instead of a
  watchdog failure while the bot drains its order work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from service.sd_notify import SdNotifier, watchdog_interval_s

log = logging.getLogger(__name__)


class ServiceWatchdog:
    """Turns healthy heartbeat rounds into systemd notifications (a no-op outside systemd)."""

    def __init__(self, notifier: SdNotifier, is_reconciled: Callable[[], bool],
                 describe: Callable[[], str] = lambda: "trading") -> None:
        self.notifier = notifier
        self.is_reconciled = is_reconciled
        self.describe = describe
        self.ready_sent = False

    @property
    def enabled(self) -> bool:
        return self.notifier.enabled

    def check_timing(self, heartbeat_interval_s: float, heartbeat_timeout_s: float) -> None:
        """Warn when one heartbeat round can outlast half of ``WatchdogSec=`` (healthy but killed)."""
        limit = watchdog_interval_s()
        worst = heartbeat_interval_s + heartbeat_timeout_s
        if limit is not None and worst > limit / 2:
            log.warning("systemd WatchdogSec=%.0fs is short for the heartbeat (every %.1fs, timeout %.1fs): "
                        "raise WatchdogSec to at least %.0fs", limit, heartbeat_interval_s, heartbeat_timeout_s,
                        2 * worst)

    def on_healthy(self) -> None:
        """Called by the heartbeat monitor after a round in which every actor answered."""
        if not self.notifier.enabled:
            return
        if not self.ready_sent:
            try:
                reconciled = self.is_reconciled()
            except Exception as exc:  # the risk actor may be restarting: ask again next round
                log.debug("readiness not known yet: %s", exc)
                reconciled = False
            if reconciled:
                self.ready_sent = self.notifier.ready(status=self.describe())
                if self.ready_sent:
                    log.info("told systemd the bot is ready")
        self.notifier.watchdog()

    def stopping(self) -> None:
        self.notifier.stopping()
