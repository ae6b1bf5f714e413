"""systemd's notification protocol (``sd_notify(3)``) without libsystemd or any other dependency.

The protocol is one datagram of ``KEY=VALUE`` lines sent to the ``AF_UNIX`` socket named in
``$NOTIFY_SOCKET`` (a path, or ``@name`` for the Linux abstract namespace). Under ``Type=notify`` the
service manager waits for ``READY=1`` before it considers the unit started, restarts the unit when
``WATCHDOG=1`` stops arriving within ``WatchdogSec=``, and shows ``STATUS=`` in ``systemctl status``.

Why not a library: the protocol is fifteen lines of socket code, and the bot must run unchanged
where systemd is absent (every call is then a silent no-op). A notification never raises: losing one
is harmless (the next heartbeat sends another), while an exception in the heartbeat path is not.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


def socket_address(name: str) -> str | bytes:
    """The ``sendto`` address of ``$NOTIFY_SOCKET``: ``@name`` is the abstract name ``\\0name``."""
    if name.startswith("@"):
        return b"\0" + name[1:].encode()
    return name


class SdNotifier:
    """Sends notifications to one socket; disabled (every call returns False) without a socket."""

    def __init__(self, notify_socket: str | None) -> None:
        self.notify_socket = notify_socket or None
        self._sock: socket.socket | None = None
        self._failed = False
        self.sent = 0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SdNotifier:
        """The notifier systemd asked for (``$NOTIFY_SOCKET``), disabled when not run by systemd."""
        env = os.environ if environ is None else environ
        return cls(env.get("NOTIFY_SOCKET"))

    @property
    def enabled(self) -> bool:
        return self.notify_socket is not None

    def notify(self, **fields: str | int) -> bool:
        """Send ``KEY=VALUE`` lines (``notify(READY=1, STATUS="...")``); True when the datagram left."""
        if self.notify_socket is None:
            return False
        lines = []
        for key, value in fields.items():
            text = str(value).replace("\n", " ")  # a newline would start a forged field
            lines.append(f"{key}={text}")
        payload = ("\n".join(lines) + "\n").encode()
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(payload, socket_address(self.notify_socket))
        except OSError as exc:
            if not self._failed:  # once: a vanished socket must not flood the log every heartbeat
                self._failed = True
                log.warning("cannot notify systemd at %s: %s", self.notify_socket, exc)
            return False
        self.sent += 1
        return True

    def ready(self, status: str = "") -> bool:
        return self.notify(READY=1, STATUS=status) if status else self.notify(READY=1)

    def watchdog(self) -> bool:
        return self.notify(WATCHDOG=1)

    def status(self, text: str) -> bool:
        return self.notify(STATUS=text)

    def stopping(self, status: str = "stopping") -> bool:
        return self.notify(STOPPING=1, STATUS=status)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval_s(environ: Mapping[str, str] | None = None) -> float | None:
    """``WatchdogSec=`` as seen by this process, or None when no watchdog is armed for it.

    systemd sets ``WATCHDOG_USEC`` and ``WATCHDOG_PID``; a child process that inherited them (a
    subprocess of the bot) must not think the watchdog is its own.
    """
    env = os.environ if environ is None else environ
    usec, pid = env.get("WATCHDOG_USEC"), env.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 1_000_000
