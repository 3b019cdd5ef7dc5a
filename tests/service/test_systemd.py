"""sd_notify over a real datagram socket, the progress-gated watchdog, and the daemon as systemd runs it."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from edge.service.systemd import MAX_VALUE_CHARS, SystemdNotifier, WatchdogPinger, pipeline_progressing
from tests.service.notify import NotifyReceiver

CLI = str(Path(sys.executable).with_name("carwatch-edge"))


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    # Not tmp_path: a socket path must fit in 108 bytes, and pytest's folders can be longer.
    with tempfile.TemporaryDirectory(prefix="cw-notify-") as folder:
        yield Path(folder)


@pytest.fixture
def receiver(socket_dir: Path) -> Iterator[NotifyReceiver]:
    listener = NotifyReceiver(str(socket_dir / "notify"))
    yield listener
    listener.close()


@pytest.fixture
def notifier(receiver: NotifyReceiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[SystemdNotifier]:
    monkeypatch.setenv("NOTIFY_SOCKET", receiver.address)
    sender = SystemdNotifier.from_environment()
    yield sender
    sender.close()


def wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.01)


# ---- messages -----------------------------------------------------------------------------------

def test_each_message_is_one_exact_datagram(notifier: SystemdNotifier, receiver: NotifyReceiver) -> None:
    assert notifier.enabled
    assert notifier.ready()
    assert notifier.ready("2/2 cameras up")
    assert notifier.status("outbox 3")
    assert notifier.watchdog()
    assert notifier.stopping()
    assert notifier.extend_timeout(12.5)
    receiver.wait_for(lambda lines: len(receiver.datagrams) >= 6, what="six datagrams")
    assert receiver.datagrams == [b"READY=1", b"READY=1\nSTATUS=2/2 cameras up", b"STATUS=outbox 3",
                                  b"WATCHDOG=1", b"STOPPING=1", b"EXTEND_TIMEOUT_USEC=12500000"]


def test_reloading_carries_the_monotonic_clock(notifier: SystemdNotifier, receiver: NotifyReceiver) -> None:
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    assert notifier.reloading()
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    receiver.wait_for(lambda lines: bool(receiver.datagrams))
    reloading, usec = receiver.datagrams[0].decode().split("\n")
    assert reloading == "RELOADING=1"
    assert usec.startswith("MONOTONIC_USEC=")
    assert before <= int(usec.removeprefix("MONOTONIC_USEC=")) <= after


def test_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"@carwatch-test-{uuid.uuid4().hex}"
    listener = NotifyReceiver(name)
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", name)
        sender = SystemdNotifier.from_environment()
        assert sender.ready("up")
        listener.wait_for(lambda lines: "READY=1" in lines)
        assert listener.datagrams == [b"READY=1\nSTATUS=up"]
        sender.close()
    finally:
        listener.close()


def test_without_notify_socket_nothing_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    sender = SystemdNotifier.from_environment()
    assert not sender.enabled
    assert not sender.ready() and not sender.watchdog() and not sender.stopping() and not sender.reloading()
    sender.close()


@pytest.mark.parametrize("value", ["relative/notify", "vsock:2:1234", "@", "", "  "])
def test_unusable_notify_socket_values_disable_it(value: str) -> None:
    sender = SystemdNotifier(value)
    assert not sender.enabled
    assert not sender.ready()


def test_status_cannot_inject_other_assignments(notifier: SystemdNotifier, receiver: NotifyReceiver) -> None:
    notifier.status("gate\nREADY=1\rWATCHDOG=1\x00\x7f")
    notifier.status("x" * 1_000_000)
    notifier.status("bad \udcff surrogate")
    receiver.wait_for(lambda lines: len(receiver.datagrams) >= 3)
    assert receiver.datagrams[0] == b"STATUS=gate READY=1 WATCHDOG=1  "
    assert receiver.datagrams[1] == b"STATUS=" + b"x" * MAX_VALUE_CHARS
    assert receiver.datagrams[2] == b"STATUS=bad ? surrogate"


def test_a_socket_that_went_away_is_no_error(socket_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    listener = NotifyReceiver(str(socket_dir / "gone"))
    sender = SystemdNotifier(listener.address)
    assert sender.ready()
    listener.close()
    os.unlink(listener.address)
    with caplog.at_level(logging.DEBUG, logger="edge.service.systemd"):
        assert not sender.watchdog()
        assert not sender.watchdog()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "WATCHDOG" in warnings[0].getMessage()
    sender.close()


@pytest.mark.parametrize(("env", "expected"), [
    ({"WATCHDOG_USEC": "30000000"}, 30.0),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 30.0),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "-5"}, None),
    ({"WATCHDOG_USEC": "thirty"}, None),
    ({"WATCHDOG_USEC": "9" * 400}, None),
    ({"WATCHDOG_USEC": " 500000\n"}, 0.5),
    ({}, None),
])
def test_watchdog_interval(env: dict[str, str], expected: float | None) -> None:
    interval = SystemdNotifier(None, env).watchdog_interval()
    assert interval == pytest.approx(expected) if expected is not None else interval is None


# ---- progress -----------------------------------------------------------------------------------

def test_pipeline_progressing() -> None:
    assert pipeline_progressing([], now=100.0, max_age_s=10)
    assert pipeline_progressing([95.0, 99.9], now=100.0, max_age_s=10)
    assert pipeline_progressing([90.0], now=100.0, max_age_s=10)
    assert not pipeline_progressing([99.0, 89.9], now=100.0, max_age_s=10)
    assert pipeline_progressing([101.0], now=100.0, max_age_s=10)  # a turn after "now" was read
    assert not pipeline_progressing([float("nan")], now=100.0, max_age_s=10)
    assert pipeline_progressing(iter([99.0]), now=100.0, max_age_s=10)
    with pytest.raises(ValueError, match="max_age_s"):
        pipeline_progressing([1.0], now=2.0, max_age_s=0)


# ---- the pinger ---------------------------------------------------------------------------------

def count(receiver: NotifyReceiver, line: str) -> int:
    return receiver.lines().count(line)


def test_pings_only_while_processing_progresses(notifier: SystemdNotifier, receiver: NotifyReceiver) -> None:
    progressing = threading.Event()
    progressing.set()
    pinger = WatchdogPinger(notifier, progressing.is_set, interval=0.1, status_text=lambda: "1/1 cameras up",
                            status_every_s=0.05)
    pinger.start()
    try:
        assert "systemd-watchdog" in [t.name for t in threading.enumerate()]
        receiver.wait_for(lambda lines: lines.count("WATCHDOG=1") >= 3, what="three pings")
        receiver.wait_for(lambda lines: "STATUS=1/1 cameras up" in lines, what="a status line")

        progressing.clear()
        wait_until(lambda: pinger.withheld >= 1)
        receiver.receive()
        pings_before = count(receiver, "WATCHDOG=1")
        wait_until(lambda: pinger.withheld >= 5)
        assert count(receiver, "WATCHDOG=1") == pings_before  # stalled: no ping at all
        assert pinger.stalled
        receiver.wait_for(lambda lines: "STATUS=processing stalled; 1/1 cameras up" in lines, what="stalled status")

        progressing.set()
        receiver.wait_for(lambda lines: lines.count("WATCHDOG=1") > pings_before, what="pings again")
        assert not pinger.stalled
    finally:
        pinger.stop()
    assert "systemd-watchdog" not in [t.name for t in threading.enumerate()]
    assert pinger.pings >= 4


def test_a_failing_progress_check_counts_as_stalled(notifier: SystemdNotifier, receiver: NotifyReceiver) -> None:
    def broken() -> bool:
        raise RuntimeError("camera registry gone")

    def broken_status() -> str:
        raise KeyError("cameras")

    pinger = WatchdogPinger(notifier, broken, interval=0.1, status_text=broken_status, status_every_s=0.05)
    pinger.start()
    try:
        wait_until(lambda: pinger.withheld >= 3)
        receiver.wait_for(lambda lines: "STATUS=processing stalled; status unavailable: KeyError" in lines)
    finally:
        pinger.stop()
    assert "WATCHDOG=1" not in receiver.lines()


def test_status_only_without_a_watchdog(notifier: SystemdNotifier, receiver: NotifyReceiver) -> None:
    pinger = WatchdogPinger(notifier, lambda: True, interval=None, status_text=lambda: "up", status_every_s=0.05)
    pinger.start()
    try:
        receiver.wait_for(lambda lines: lines.count("STATUS=up") >= 2)
    finally:
        pinger.stop()
    assert "WATCHDOG=1" not in receiver.lines()


def test_pinger_arguments_and_lifecycle(notifier: SystemdNotifier) -> None:
    with pytest.raises(ValueError, match="interval"):
        WatchdogPinger(notifier, lambda: True, interval=0)
    with pytest.raises(ValueError, match="status_every_s"):
        WatchdogPinger(notifier, lambda: True, interval=1, status_every_s=-1)
    pinger = WatchdogPinger(notifier, lambda: True, interval=30, name="watchdog-test")
    pinger.stop()  # before start: nothing to do
    pinger.start()
    with pytest.raises(RuntimeError, match="already started"):
        pinger.start()
    pinger.stop()
    assert "watchdog-test" not in [t.name for t in threading.enumerate()]


# ---- the daemon as systemd runs it ------------------------------------------------------------

def test_daemon_reports_ready_reload_watchdog_and_stopping(receiver: NotifyReceiver, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARWATCH_")}
    env |= {"NOTIFY_SOCKET": receiver.address, "WATCHDOG_USEC": "2000000", "CARWATCH_MQTT__ENABLED": "false",
            "CARWATCH_API__PORT": "0"}
    log = (tmp_path / "daemon.log").open("wb")
    process = subprocess.Popen([CLI, "run", "--data-dir", str(tmp_path / "data"), "--duration", "8"],
                               stdout=subprocess.DEVNULL, stderr=log, env=env)
    def running_until(message: str, condition: Callable[[list[str]], bool]) -> Callable[[list[str]], bool]:
        def check(lines: list[str]) -> bool:
            if condition(lines):
                return True
            assert process.poll() is None, f"the daemon ended before {message}: {lines!r}"
            return False
        return check

    try:
        receiver.wait_for(running_until("READY=1", lambda lines: "READY=1" in lines), timeout=60, what="READY=1")
        receiver.wait_for(running_until("WATCHDOG=1", lambda lines: "WATCHDOG=1" in lines), what="WATCHDOG=1")
        process.send_signal(signal.SIGHUP)
        receiver.wait_for(running_until("RELOADING=1", lambda lines: "RELOADING=1" in lines), what="RELOADING=1")
        receiver.wait_for(running_until("READY=1 again", lambda lines: lines.count("READY=1") >= 2),
                          what="READY=1 after the reload")
        assert process.wait(60) == 0
        receiver.wait_for(lambda lines: "STOPPING=1" in lines, what="STOPPING=1")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    lines = receiver.lines()
    assert lines.index("READY=1") < lines.index("RELOADING=1") < lines.index("STOPPING=1")
    assert any(line.startswith("STATUS=") for line in lines)
