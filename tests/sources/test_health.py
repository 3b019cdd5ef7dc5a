"""Backoff between reconnection attempts, and health kept and logged once per change of state."""

from __future__ import annotations

import logging
import random

import pytest

from edge.sources import Backoff, BackoffPolicy, LatestFrameSlot
from edge.sources.health import SourceHealth


def test_backoff_doubles_up_to_its_cap_and_resets() -> None:
    backoff = Backoff(BackoffPolicy(initial=1.0, maximum=30.0, jitter=0.0))
    assert [backoff.next_delay() for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]
    backoff.reset()
    assert backoff.next_delay() == 1.0


def test_jitter_spreads_the_waits_within_bounds_and_under_the_cap() -> None:
    backoff = Backoff(BackoffPolicy(initial=1.0, maximum=30.0, jitter=0.2), random.Random(7))
    delays = [backoff.next_delay() for _ in range(200)]
    assert 0.8 <= delays[0] <= 1.2 and 1.6 <= delays[1] <= 2.4
    assert all(0 < d <= 30.0 for d in delays)
    assert len({round(d, 6) for d in delays[10:]}) > 1, "jitter keeps cameras from retrying in lockstep"


def test_a_long_outage_does_not_overflow() -> None:
    backoff = Backoff(BackoffPolicy(initial=0.5, maximum=5.0, jitter=0.0))
    assert [backoff.next_delay() for _ in range(5000)][-1] == 5.0


@pytest.mark.parametrize(("initial", "maximum", "jitter"), [(0, 1, 0), (2, 1, 0), (1, 2, 1.0), (1, 2, -0.1)])
def test_nonsense_policies_are_refused(initial: float, maximum: float, jitter: float) -> None:
    with pytest.raises(ValueError):
        BackoffPolicy(initial, maximum, jitter)


def test_health_logs_changes_once_and_scrubs_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="edge.sources")
    health = SourceHealth("cam", "rtsp://***@host/x")
    for _ in range(5):
        health.attempting()
        health.down("could not open rtsp://admin:hunter2@host/x", retry_in=1.0)
    health.up()
    health.up()
    health.down("no frame for 10 s", retry_in=1.0)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3, messages
    assert "hunter2" not in caplog.text
    status = health.status(LatestFrameSlot("cam"))
    assert status.reconnects == 4 and not status.connected and status.error == "no frame for 10 s"
