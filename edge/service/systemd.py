"""systemd's notify protocol (``Type=notify``) and a watchdog that pings only while frames are processed.

``NOTIFY_SOCKET`` names a datagram socket (a path, or ``@name`` for an abstract one); each message is one
datagram of ``KEY=value`` lines. Unset, every call does nothing, so the daemon runs the same by hand.
``WATCHDOG_USEC`` (with ``WATCHDOG_PID``) asks for ``WATCHDOG=1`` at least that often: the pinger sends it
every half interval, and only while ``is_progressing()`` says the camera pipelines still turn, so a hung
pipeline gets the daemon restarted instead of pinged forever.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping

log = logging.getLogger(__name__)

MAX_WATCHDOG_USEC = 10**15  # 30 years: anything larger is nonsense, not a request
MAX_VALUE_CHARS = 1024  # a STATUS line longer than this is cut (systemctl shows one line anyway)
_CONTROL = {c: " " for c in range(32)} | {127: " "}


def _clean(value: str) -> str:
    """One line without control characters: a camera name cannot inject ``\\nREADY=1``."""
    return value.translate(_CONTROL)[:MAX_VALUE_CHARS]


def _socket_address(value: str) -> str | None:
    """The ``sendto`` address for a ``NOTIFY_SOCKET`` value; None for one this module cannot use."""
    if value.startswith("@") and len(value) > 1:
        return "\0" + value[1:]  # abstract namespace
    if value.startswith("/"):
        return value
    return None  # relative paths and vsock: (systemd 254+ for VMs) are not supported


class SystemdNotifier:
    """Sends sd_notify messages; every method returns whether the datagram went out (never raises)."""

    def __init__(self, notify_socket: str | None, environ: Mapping[str, str] | None = None) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self._address = _socket_address(notify_socket) if notify_socket else None
        if notify_socket and self._address is None:
            log.warning("NOTIFY_SOCKET=%r is not a path or @abstract name: systemd will not hear from us",
                        notify_socket[:200])
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._failed = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SystemdNotifier:
        env = os.environ if environ is None else environ
        return cls(env.get("NOTIFY_SOCKET"), env)

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, *assignments: str) -> bool:
        """Send ``KEY=value`` lines as one datagram."""
        if self._address is None or not assignments:
            return False
        data = "\n".join(assignments).encode("utf-8", "replace")
        with self._lock:
            try:
                if self._socket is None:
                    self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._socket.sendto(data, self._address)
            except OSError as exc:
                level = logging.DEBUG if self._failed else logging.WARNING
                self._failed = True
                log.log(level, "systemd notify (%s) failed: %s", assignments[0].split("=", 1)[0], exc)
                return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """Set-up is done (also after a reload)."""
        return self.notify("READY=1", *([f"STATUS={_clean(status)}"] if status else []))

    def status(self, text: str) -> bool:
        """The one line ``systemctl status`` shows."""
        return self.notify(f"STATUS={_clean(text)}")

    def reloading(self) -> bool:
        """A reload begins; send ``ready()`` when it is done. MONOTONIC_USEC is what systemd 253+ wants."""
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def stopping(self, status: str | None = None) -> bool:
        return self.notify("STOPPING=1", *([f"STATUS={_clean(status)}"] if status else []))

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for ``seconds`` more before the start or stop timeout (a long outbox drain, a slow start)."""
        return self.notify(f"EXTEND_TIMEOUT_USEC={max(0, int(seconds * 1_000_000))}")

    def watchdog_interval(self) -> float | None:
        """Seconds within which systemd wants ``WATCHDOG=1`` (``WATCHDOG_USEC``), None when it wants none or
        the request is for another process (``WATCHDOG_PID``)."""
        pid = self._environ.get("WATCHDOG_PID", "").strip()
        if pid and pid != str(os.getpid()):
            return None
        try:
            usec = int(self._environ.get("WATCHDOG_USEC", "").strip())
        except ValueError:
            return None
        return usec / 1_000_000 if 0 < usec <= MAX_WATCHDOG_USEC else None

    def close(self) -> None:
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None


def pipeline_progressing(last_progress_values: Iterable[float], now: float, max_age_s: float) -> bool:
    """Whether every camera pipeline turned its loop within ``max_age_s`` (monotonic times); no cameras: True."""
    if not max_age_s > 0:
        raise ValueError("max_age_s must be above 0")
    return all(now - value <= max_age_s for value in last_progress_values)


class WatchdogPinger:
    """The thread ``systemd-watchdog``: ``WATCHDOG=1`` every ``interval / 2`` while ``is_progressing()``,
    and ``STATUS=status_text()`` every ``status_every_s``. ``interval`` None: status lines only."""

    def __init__(self, notifier: SystemdNotifier, is_progressing: Callable[[], bool], interval: float | None, *,
                 status_text: Callable[[], str] | None = None, status_every_s: float = 5.0,
                 name: str = "systemd-watchdog") -> None:
        if interval is not None and not interval > 0:
            raise ValueError("interval must be above 0")
        if not status_every_s > 0:
            raise ValueError("status_every_s must be above 0")
        self._notifier = notifier
        self._is_progressing = is_progressing
        self._ping_every = interval / 2 if interval is not None else None
        self._interval = interval
        self._status_text = status_text
        self._status_every = status_every_s
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_ping = 0.0
        self._next_status = 0.0
        self._stalled = False
        self.pings = 0  # WATCHDOG=1 sent
        self.withheld = 0  # pings not sent because processing had stalled

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the watchdog pinger is already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def stalled(self) -> bool:
        return self._stalled

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.wait(delay):
            delay = self._turn(time.monotonic())

    def _turn(self, now: float) -> float:
        """Send what is due; the seconds until the next thing is due."""
        if self._ping_every is not None and now >= self._next_ping:
            self._ping()
            self._next_ping = now + self._ping_every
        if self._status_text is not None and now >= self._next_status:
            self._send_status()
            self._next_status = now + self._status_every
        due = [t for t, on in ((self._next_ping, self._ping_every), (self._next_status, self._status_text)) if on]
        return max(0.01, min(due) - time.monotonic()) if due else 3600.0

    def _ping(self) -> None:
        try:
            progressing = bool(self._is_progressing())
        except Exception:
            log.exception("watchdog: the progress check failed; counted as stalled")
            progressing = False
        if progressing:
            if self._stalled:
                log.warning("watchdog: camera processing moves again")
            self._stalled = False
            self.pings += self._notifier.watchdog()
            return
        if not self._stalled:
            log.error("watchdog: camera processing has stalled; no WATCHDOG=1 now, so systemd restarts the "
                      "daemon within %s s unless it recovers", self._interval)
        self._stalled = True
        self.withheld += 1

    def _send_status(self) -> None:
        assert self._status_text is not None
        try:
            text = self._status_text()
        except Exception as exc:  # a status line must never stop the pings
            text = f"status unavailable: {type(exc).__name__}"
            log.debug("watchdog: status text failed", exc_info=True)
        self._notifier.status(f"processing stalled; {text}" if self._stalled else text)
